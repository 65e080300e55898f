#!/usr/bin/env node
// mesos-operator: an operator's commands against a running master's HTTP endpoints — quota
// (GET/POST /quota, DELETE /quota/<role>) and weights (GET/PUT /weights) — printing JSON results.
// Bad flag values and requests the master refuses are one `error:` line on stderr and exit 1.

import { createDetector, isZooKeeperUrl, parseZooKeeperUrl } from '../detector/index.js';
import { Command, Option } from 'commander';
import { checkRole, Resources } from '../protocol/index.js';
import { mesosStyleHelp } from './flags.js';
import { httpClient, HttpClientError, type HttpClient } from './http-client.js';
import { versionLine } from './version.js';

/** A bad value or a failed request: printed as one `error:` line, exit 1. */
class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

const fail = (flag: string, message: string): never => {
  throw new OperatorError(`${flag}: ${message}`);
};

const missing = (flag: string, example: string): never => {
  throw new OperatorError(`${flag} is required (e.g. ${example})`);
};

// ---- values --------------------------------------------------------------------------------

/** `host:port`, `master@host:port` or `http://host:port` → the master's base URL. */
function masterUrl(raw: string, http: HttpClient): string {
  if (isZooKeeperUrl(raw)) {
    try {
      parseZooKeeperUrl(raw);
    } catch (err) {
      fail('--master', (err as Error).message);
    }
    return raw.trim(); // the leader is looked up in ZooKeeper when a request is made
  }
  let text = raw.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const at = text.indexOf('@');
  if (at >= 0) text = text.slice(at + 1);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/[\]]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) fail('--master', `'${raw}' is not host:port (e.g. 127.0.0.1:5050)`);
  return raw.trim().startsWith('https://') ? `https://${text}` : http.base(text);
}

function role(raw: string | undefined, flag = '--role'): string {
  if (raw === undefined) return missing(flag, '--role=web');
  const problem = checkRole(raw);
  if (problem !== undefined) fail(flag, `'${raw}' is not a valid role: ${problem}`);
  if (raw === '*') fail(flag, "'*' is the default role, which has no quota");
  return raw;
}

/** `cpus:2;mem:512` (or a JSON array of resources) → unreserved scalars, each name once. */
function quantities(raw: string, flag: string): Resources {
  const example = "(e.g. 'cpus:2;mem:512')";
  const parse = (text: string): Resources => {
    try {
      return Resources.parse(text);
    } catch (err) {
      return fail(flag, `${(err as Error).message} ${example}`);
    }
  };
  const tokens = raw.trim().startsWith('[') ? [raw] : raw.split(';').filter((t) => t.trim() !== '');
  const seen = new Set<string>();
  let out = Resources.EMPTY;
  for (const token of tokens) {
    const r = parse(token);
    for (const e of r.entries()) {
      if (e.type !== 'SCALAR') fail(flag, `'${e.name}' is not a scalar resource; quota takes quantities such as cpus, mem, disk or gpus ${example}`);
      if (e.reserved) fail(flag, `'${e.toString()}' is reserved; quota takes unreserved quantities ${example}`);
      if (seen.has(e.name)) fail(flag, `'${e.name}' is given more than once`);
      seen.add(e.name);
    }
    out = out.add(r);
  }
  if (out.isEmpty()) fail(flag, `'${raw}' has no positive quantity ${example}`);
  return out;
}

/** `a=2,b=1`, `{"a":2,"b":1}` or `[{"role":"a","weight":2}]` → role/weight pairs. */
function weights(raw: string): { role: string; weight: number }[] {
  const flag = '--weights';
  const example = "(e.g. 'gold=3,silver=1')";
  let pairs: [string, unknown][];
  const text = raw.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return fail(flag, `invalid JSON: ${(err as Error).message}`);
    }
    if (Array.isArray(json)) {
      pairs = json.map((w: unknown) => {
        const o = w as { role?: unknown; weight?: unknown } | null;
        if (typeof o !== 'object' || o === null || typeof o.role !== 'string') return fail(flag, `${JSON.stringify(w)} is not {"role": …, "weight": …}`);
        return [o.role, o.weight];
      });
    } else pairs = Object.entries(json as Record<string, unknown>);
  } else {
    pairs = text.split(',').filter((p) => p.trim() !== '').map((item) => {
      const parts = item.split('=');
      if (parts.length !== 2) return fail(flag, `'${item.trim()}' is not role=weight ${example}`);
      const w = parts[1]!.trim();
      // A weight that is not a number stays text, so the error below shows it as given.
      return [parts[0]!.trim(), w !== '' && Number.isFinite(Number(w)) ? Number(w) : w];
    });
  }
  if (pairs.length === 0) fail(flag, `'${raw}' names no role ${example}`);
  const seen = new Set<string>();
  return pairs.map(([r, w]) => {
    const problem = checkRole(r);
    if (problem !== undefined) fail(flag, `'${r}' is not a valid role: ${problem}`);
    if (seen.has(r)) fail(flag, `role '${r}' is given more than once`);
    seen.add(r);
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) fail(flag, `the weight of '${r}' must be a positive number, not ${typeof w === 'string' ? `'${w}'` : JSON.stringify(w)} ${example}`);
    return { role: r, weight: w as number };
  });
}

// ---- the master's endpoints ---------------------------------------------------------------

/** The leading master's base URL, from ZooKeeper (within 10 s). */
async function leaderUrl(zk: string): Promise<string> {
  const detector = createDetector(zk, { sessionTimeoutMs: 10_000 });
  try {
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000).unref());
    const leader = await Promise.race([detector.detect(), timeout]);
    if (leader === undefined) throw new OperatorError(`no leading master found in ${zk}`);
    return client().base(leader.address);
  } finally {
    detector.close();
  }
}

async function call(master: string, method: string, path: string, body?: unknown): Promise<unknown> {
  if (isZooKeeperUrl(master)) master = await leaderUrl(master);
  const url = `${master}${path}`;
  let res: Awaited<ReturnType<HttpClient['request']>>;
  try {
    res = await client().request(url, {
      method,
      timeoutMs: 15_000,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
  } catch (err) {
    throw new OperatorError(`cannot reach the master at ${master} (${(err as Error).message})`);
  }
  const text = res.text.trim();
  if (res.status === 401) throw new OperatorError(`the master wants HTTP authentication for ${method} ${path} (--principal and --secret, or DEFAULT_PRINCIPAL and DEFAULT_SECRET)`);
  // The master's refusal (400) says what is wrong; print it as it is.
  if (res.status === 400) throw new OperatorError(text || `the master refused ${method} ${path}`);
  if (res.status < 200 || res.status > 299) {
    throw new OperatorError(`the master answered ${res.status} ${res.statusText} to ${method} ${path}${text ? `: ${text.split('\n')[0]}` : ''}`);
  }
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OperatorError(`the master's answer to ${method} ${path} is not JSON: ${text.slice(0, 200)}`);
  }
}

const print = (value: unknown): void => void process.stdout.write(JSON.stringify(value, null, 2) + '\n');

// ---- commands -----------------------------------------------------------------------------

const program = new Command('mesos-operator')
  .description("An operator's commands against a running mesos-ts (or Mesos) master: quota and weights of roles. Prints the master's JSON.")
  .addOption(new Option('--master <host:port>', "the master's address, e.g. 127.0.0.1:5050").makeOptionMandatory())
  .addOption(new Option('--principal <principal>', 'HTTP Basic principal, for a master with --authenticate_http_*').env('DEFAULT_PRINCIPAL'))
  .addOption(new Option('--secret <secret>', "the principal's secret").env('DEFAULT_SECRET'))
  .version(versionLine('mesos-operator'), '--version', 'Prints the version and exits.')
  .helpOption('-h, --help', 'Prints this help message and exits.')
  .configureHelp({
    formatHelp: mesosStyleHelp({
      examples: [
        'mesos-operator --master=127.0.0.1:5050 quota get',
        "mesos-operator --master=127.0.0.1:5050 quota set --role=web --guarantee='cpus:2;mem:512' --limit='cpus:4;mem:1024'",
        'mesos-operator --master=127.0.0.1:5050 quota remove --role=web',
        'mesos-operator --master=127.0.0.1:5050 weights get',
        "mesos-operator --master=127.0.0.1:5050 weights set --weights='gold=3,silver=1'",
      ],
    }),
  })
  .showHelpAfterError('(see mesos-operator --help)');

let http: HttpClient | undefined;
function client(): HttpClient {
  const o = program.opts<{ principal?: string; secret?: string }>();
  try {
    return (http ??= httpClient({ principal: o.principal, secret: o.secret }));
  } catch (err) {
    throw err instanceof HttpClientError ? new OperatorError(err.message) : err;
  }
}
const master = (): string => masterUrl(program.opts<{ master: string }>().master, client());

const quota = program.command('quota').description("a role's guaranteed (and at most limited) share of the cluster: GET/POST /quota, DELETE /quota/<role>");

quota
  .command('get')
  .description('prints every quota: {"infos": [{role, guarantee, limit}], "configs": [{role, guarantees, limits}]}')
  .action(async () => print(await call(master(), 'GET', '/quota')));

quota
  .command('set')
  .description('sets the quota of a role that has none; prints every quota afterwards')
  .option('--role <role>', 'a top-level role, e.g. web')
  .option('--guarantee <resources>', "what the role is guaranteed, e.g. 'cpus:2;mem:512'")
  .option('--limit <resources>', 'the most the role may get (default: the guarantee); resources it leaves out are unlimited')
  .option('--force', "set it even if the cluster's resources cannot satisfy it now")
  .action(async (o: { role?: string; guarantee?: string; limit?: string; force?: boolean }) => {
    const url = master();
    const r = role(o.role);
    const guarantee = quantities(o.guarantee ?? missing('--guarantee', "--guarantee='cpus:2;mem:512'"), '--guarantee');
    const limit = o.limit === undefined ? undefined : quantities(o.limit, '--limit');
    if (limit !== undefined) {
      for (const name of guarantee.names()) {
        if (limit.names().includes(name) && guarantee.scalar(name) > limit.scalar(name)) {
          fail('--limit', `${name}:${limit.scalar(name)} is below the guarantee ${name}:${guarantee.scalar(name)}`);
        }
      }
    }
    await call(url, 'POST', '/quota', {
      role: r,
      guarantee: guarantee.toJSON(),
      ...(limit !== undefined ? { limit: limit.toJSON() } : {}),
      ...(o.force === true ? { force: true } : {}),
    });
    print(await call(url, 'GET', '/quota'));
  });

quota
  .command('remove')
  .description("removes a role's quota; prints every quota afterwards")
  .option('--role <role>', 'the role, e.g. web')
  .action(async (o: { role?: string }) => {
    const url = master();
    const r = role(o.role);
    try {
      await call(url, 'DELETE', `/quota/${r}`);
    } catch (err) {
      // A master serves /quota/<role> only for roles that had a quota.
      if (err instanceof OperatorError && err.message.startsWith('the master answered 404')) throw new OperatorError(`there is no quota for role '${r}'`);
      throw err;
    }
    print(await call(url, 'GET', '/quota'));
  });

const weightsCommand = program.command('weights').description("roles' weights for fair sharing (default 1): GET/PUT /weights");

weightsCommand
  .command('get')
  .description('prints the weights set: [{role, weight}]')
  .action(async () => print(await call(master(), 'GET', '/weights')));

weightsCommand
  .command('set')
  .description('sets the weights of the roles given; prints every weight afterwards')
  .option('--weights <weights>', "role=weight pairs, e.g. 'gold=3,silver=1', or JSON: {\"gold\":3} or [{\"role\":\"gold\",\"weight\":3}]")
  .action(async (o: { weights?: string }) => {
    const url = master();
    await call(url, 'PUT', '/weights', weights(o.weights ?? missing('--weights', "--weights='gold=3,silver=1'")));
    print(await call(url, 'GET', '/weights'));
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof OperatorError)) throw err;
  process.stderr.write(`error: ${err.message}\n`);
  process.exitCode = 1;
}
