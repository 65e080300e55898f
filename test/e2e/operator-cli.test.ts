// mesos-operator as an operator runs it — `node --import tsx cli/mesos-operator.ts …` — against a
// master (and an agent) running as OS processes: quota and weights set, read and removed, with
// one-line errors for bad flag values and for requests the master refuses.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'cli', 'mesos-operator.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs mesos-operator to completion (killed after 30 s), without MESOS_* from this environment. */
function operator(...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MESOS_') && !k.startsWith('NODE_TEST')) env[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    }),
  );
}

/** Exit 1 with exactly one `error:` line on stderr that matches `pattern`, and nothing on stdout. */
function refused(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code (stdout ${r.stdout}, stderr ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
}

function ok(r: Run): unknown {
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as unknown;
}

type QuotaInfos = { infos: { role: string; guarantee: { name: string; scalar: { value: number } }[]; limit: { name: string; scalar: { value: number } }[] }[] };
const byName = (list: { name: string; scalar: { value: number } }[]): Record<string, number> => Object.fromEntries(list.map((r) => [r.name, r.scalar.value]));

/** A port nobody listens on (just released by this process). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

// Each command is a Node process with tsx's loader: about a second apiece on an idle machine.
describe('mesos-operator against a running master', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'operator-cli-'));
  let master: Started<{ address: string }>;
  let agent: Started<{ address: string }>;
  let m: string;

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`http://${m}${path}`)).json()) as T;

  before(async () => {
    master = await startProcess(fixture('roles-node.ts'), ['master', JSON.stringify({ roles: ['web', 'gold', 'silver'] })]);
    m = master.ready.address;
    // Quota is checked against the cluster's capacity: one agent with 4 cpus and 2 GB.
    agent = await startProcess(fixture('roles-node.ts'), ['agent', m, 'cpus:4;mem:2048;disk:1024;ports:[31030-31039]', join(dir, 'agent')]);
    const deadline = Date.now() + 15_000;
    while ((await get<{ activated_slaves: number }>('/state')).activated_slaves !== 1) {
      assert.ok(Date.now() < deadline, 'the agent registers');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    for (const p of [agent, master]) {
      if (p === undefined || p.child.exitCode !== null) continue;
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('quota get prints the master\'s quotas as JSON: none at first', async () => {
    assert.deepEqual(ok(await operator(`--master=${m}`, 'quota', 'get')), { infos: [], configs: [] });
  });

  it('quota set with a guarantee and a limit prints the quotas, and the master enforces both', async () => {
    const out = ok(await operator(`--master=${m}`, 'quota', 'set', '--role=web', '--guarantee=cpus:2;mem:512', '--limit=cpus:3;mem:1024')) as QuotaInfos;
    assert.deepEqual(out.infos.map((i) => [i.role, byName(i.guarantee), byName(i.limit)]), [['web', { cpus: 2, mem: 512 }, { cpus: 3, mem: 1024 }]]);
    // The master's own views agree, and so does its allocator.
    const roles = await get<{ roles: { name: string; quota: { guarantee: { cpus?: number }; limit: { cpus?: number } } }[] }>('/roles');
    const web = roles.roles.find((r) => r.name === 'web')!;
    assert.deepEqual([web.quota.guarantee.cpus, web.quota.limit.cpus], [2, 3]);
    const metrics = await get<Record<string, number>>('/metrics/snapshot');
    assert.equal(metrics['allocator/mesos/quota/roles/web/resources/cpus/guarantee'], 2);
    assert.equal(metrics['allocator/mesos/quota/roles/web/resources/cpus/limit'], 3);
    // The flag order is free: --master may follow the command.
    assert.deepEqual(ok(await operator('quota', 'get', `--master=${m}`)), out);
  });

  it('quota set without --limit sets the limit to the guarantee, as Mesos\'s /quota does', async () => {
    const out = ok(await operator(`--master=${m}`, 'quota', 'set', '--role=gold', '--guarantee=cpus:1')) as QuotaInfos;
    const gold = out.infos.find((i) => i.role === 'gold')!;
    assert.deepEqual([byName(gold.guarantee), byName(gold.limit)], [{ cpus: 1 }, { cpus: 1 }]);
  });

  it("a request the master refuses prints the master's reason on one line and exits 1", async () => {
    const [again, notAllowed] = await Promise.all([
      operator(`--master=${m}`, 'quota', 'set', '--role=web', '--guarantee=cpus:1'),
      operator(`--master=${m}`, 'weights', 'set', '--weights=[{"role":"batch","weight":2}]'),
    ]);
    refused(again, /^error: Quota for role 'web' is already set; remove it first$/);
    refused(notAllowed, /^error: Role 'batch' is not one of the roles this master allows/);
  });

  it('bad flag values are one line naming the flag, exit 1, and reach no master', async () => {
    const port = await closedPort();
    const runs = await Promise.all([
      operator(`--master=${m}`, 'quota', 'set', '--role=silver', '--guarantee=cpus:x'),
      operator(`--master=${m}`, 'quota', 'set', '--role=silver', '--guarantee=cpus:2', '--limit=cpus:1'),
      operator(`--master=${m}`, 'quota', 'set', '--role=a b', '--guarantee=cpus:1'),
      operator(`--master=${m}`, 'weights', 'set', '--weights=gold=0'),
      operator(`--master=${m}`, 'weights', 'set', '--weights={"gold":'),
      operator('--master=nohost', 'quota', 'get'),
      operator(`--master=127.0.0.1:${port}`, 'quota', 'get'),
    ]);
    const expected = [
      /^error: --guarantee: .*'cpus'.*bad value 'x'/,
      /^error: --limit: cpus:1 is below the guarantee cpus:2$/,
      /^error: --role: 'a b' is not a valid role: it contains a space/,
      /^error: --weights: the weight of 'gold' must be a positive number, not 0/,
      /^error: --weights: invalid JSON/,
      /^error: --master: 'nohost' is not host:port/,
      new RegExp(`^error: cannot reach the master at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)$`),
    ];
    runs.forEach((r, i) => refused(r, expected[i]!));
    const quotas = (await get<QuotaInfos>('/quota')).infos.map((i) => i.role);
    assert.deepEqual(quotas.sort(), ['gold', 'web'], 'nothing was set by a refused command');
    assert.deepEqual(await get('/weights'), [], 'nor by a refused weight');
  });

  it('quota remove drops a role\'s quota, and says so when there is none', async () => {
    const out = ok(await operator(`--master=${m}`, 'quota', 'remove', '--role=web')) as QuotaInfos;
    assert.deepEqual(out.infos.map((i) => i.role), ['gold']);
    const [again, never] = await Promise.all([
      operator(`--master=${m}`, 'quota', 'remove', '--role=web'),
      operator(`--master=${m}`, 'quota', 'remove', '--role=silver'),
    ]);
    refused(again, /^error: There is no quota for role 'web'$/);
    refused(never, /^error: there is no quota for role 'silver'$/);
  });

  it('weights set takes role=weight pairs or JSON and prints the weights, as weights get does', async () => {
    assert.deepEqual(ok(await operator(`--master=${m}`, 'weights', 'set', '--weights=gold=3,silver=1')), [
      { role: 'gold', weight: 3 },
      { role: 'silver', weight: 1 },
    ]);
    const weights = [
      { role: 'gold', weight: 2.5 },
      { role: 'silver', weight: 1 },
    ];
    assert.deepEqual(ok(await operator(`--master=${m}`, 'weights', 'set', '--weights={"gold":2.5}')), weights);
    assert.deepEqual(ok(await operator(`--master=${m}`, 'weights', 'get')), weights);
    const roles = await get<{ roles: { name: string; weight: number }[] }>('/roles');
    assert.deepEqual(roles.roles.filter((r) => r.name === 'gold' || r.name === 'silver').map((r) => [r.name, r.weight]), [
      ['gold', 2.5],
      ['silver', 1],
    ]);
  });

  it('--help describes the commands and their flags, exit 0; without --master it is an error', async () => {
    const [help, setHelp, noMaster] = await Promise.all([operator('--help'), operator('quota', 'set', '--help'), operator('quota', 'get')]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: mesos-operator/);
    assert.match(help.stdout, /quota/);
    assert.match(help.stdout, /weights/);
    assert.equal(setHelp.code, 0);
    assert.match(setHelp.stdout, /--guarantee=VALUE/);
    assert.match(setHelp.stdout, /--limit=VALUE/);
    assert.equal(noMaster.code, 1);
    assert.match(noMaster.stderr, /^error: required option '--master <host:port>' not specified/);
  });
});
