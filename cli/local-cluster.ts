// startLocalCluster: a master (or, with numMasters > 1, a ZooKeeper and that many masters
// electing a leader through it) and N agents as separate OS processes on free ports, started
// through the mesos-master and mesos-agent entry points as a user would, waited for until every
// agent is registered, and stopped so that no process (daemon or executor) is left behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { entryCommand } from './common.js';
import { generateCredentials, type GeneratedCredentials } from './credentials.js';
import { clientTlsFromEnv } from '../runtime/index.js';
import { HttpClient } from './http-client.js';
import type { StartedMessage, StopMessage } from './daemon.js';
import { startZooKeeper, type ZooKeeperServer } from '../detector/index.js';

export interface LocalClusterOptions {
  /** How many agents (default 1). */
  numAgents?: number;
  /** How many masters (default 1); more than one run a ZooKeeper of their own and elect a leader. */
  numMasters?: number;
  /** Address every process listens on (default 127.0.0.1). */
  ip?: string;
  /** The master's port (default 0: a free one). Agents always take free ports. */
  port?: number;
  /**
   * Where this run keeps the agents' sandboxes and every process's log: used as is when new or
   * empty, else a fresh folder is made inside it (not given: a new one under the OS temp dir).
   * Never reused, because an agent refuses to start over another's checkpoints.
   */
  workDir?: string;
  /** Turns tracing on in every process: master, agents and their executors write here. */
  traceDir?: string;
  /** Each agent's `--resources` (default: detected from the host, as a lone agent would). */
  resources?: string;
  /** Each agent's `--attributes`. */
  attributes?: string;
  /** More `--name=value` flags for the master (Mesos's names, without the dashes). */
  masterFlags?: Readonly<Record<string, string>>;
  /** More `--name=value` flags for every agent. */
  agentFlags?: Readonly<Record<string, string>>;
  /** `--logging_level` of every process (default INFO; the lines go to the log files). */
  loggingLevel?: 'INFO' | 'WARNING' | 'ERROR';
  /** How long to wait for the master to listen and all agents to register (default 30 s). */
  startTimeoutMs?: number;
  /** The environment children start from (default: this process's, minus every MESOS_* variable). */
  env?: NodeJS.ProcessEnv;
  /** Aborting while the cluster starts stops what has started and rejects. */
  signal?: AbortSignal;
  /**
   * Generate credentials (random secrets, files of mode 0600 under the run's directory) and
   * start every process with --authenticate_frameworks, --authenticate_agents and
   * --authenticate_http_readwrite (default true: secure where we choose the default).
   */
  secure?: boolean;
}

export interface LocalProcess {
  /** `master`, `agent-1`, … */
  name: string;
  /** OS process id. */
  osPid: number;
  /** The actor's pid, `master@ip:port` or `slave(1)@ip:port`. */
  pid: string;
  /** `ip:port`. */
  address: string;
  logFile: string;
  traceFile: string | undefined;
}

export interface LocalCluster {
  /** The (leading) master's `ip:port`. */
  master: string;
  /** Every master's `ip:port` (one, unless numMasters > 1). */
  masters: string[];
  /** With numMasters > 1: the `zk://…/mesos` URL that agents, frameworks and CLIs take as --master. */
  zk: string | undefined;
  /** `ip:port` of each agent. */
  agents: string[];
  /** The id the master gave each agent, in the order of `agents`. */
  agentIds: string[];
  /** The trace files written so far (master, agents, executors); empty without traceDir. */
  readonly traceFiles: string[];
  /** This run's directory: sandboxes under agent-N/, logs as <process>.log. */
  workDir: string;
  traceDir: string | undefined;
  processes: LocalProcess[];
  /** Resolves with a description when a process exits without being asked to. */
  failed: Promise<string>;
  /** Stops the agents (killing their executors), then the master; resolves once all have exited. */
  stop(): Promise<void>;
  /** With `secure`: the generated credentials; frameworks use `framework` (DEFAULT_PRINCIPAL/DEFAULT_SECRET). */
  credentials: GeneratedCredentials | undefined;
}

/** Why the cluster could not start; `logTail` holds the last lines the failing process logged. */
export class LocalClusterError extends Error {
  override readonly name = 'LocalClusterError';
  constructor(
    message: string,
    readonly logTail: string = '',
  ) {
    super(message);
  }
}

interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  traceFile: string | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stopping: boolean;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const numAgents = options.numAgents ?? 1;
  if (!Number.isInteger(numAgents) || numAgents < 0) throw new LocalClusterError(`numAgents must be a whole number, got ${numAgents}`);
  const ip = options.ip ?? '127.0.0.1';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const level = options.loggingLevel ?? 'INFO';
  const workDir = await runDirectory(options.workDir);
  const traceDir = options.traceDir === undefined ? undefined : resolve(options.traceDir);
  if (traceDir !== undefined) mkdirSync(traceDir, { recursive: true });
  const baseEnv = withoutMesosVariables(options.env ?? process.env);

  const children: Child[] = [];
  const interrupted = new Promise<never>((_, reject) => {
    const abort = (): void => reject(new LocalClusterError('interrupted while starting'));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
  });
  interrupted.catch(() => undefined);
  const orAbort = <T>(p: Promise<T>): Promise<T> => Promise.race([p, interrupted]);
  let resolveFailed!: (why: string) => void;
  const failed = new Promise<string>((r) => (resolveFailed = r));
  const stopAll = async (): Promise<void> => {
    // Agents first, so that they kill their executors while the master still hears from them.
    const agents = children.filter((c) => !c.name.startsWith('master'));
    await Promise.all(agents.map((c) => stopChild(c)));
    await Promise.all(children.filter((c) => c.name.startsWith('master')).map((c) => stopChild(c)));
    await zk?.stop();
  };
  const numMasters = options.numMasters ?? 1;
  if (!Number.isInteger(numMasters) || numMasters < 1) throw new LocalClusterError(`numMasters must be a whole number of at least 1, got ${numMasters}`);
  let zk: ZooKeeperServer | undefined;

  const launch = (name: string, entry: string, flags: Record<string, string>, env: NodeJS.ProcessEnv): Child => {
    const logFile = join(workDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const cmd = entryCommand(entry);
    const args = [...cmd.args, ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)];
    // detached: a process group of its own, so a Ctrl-C in the terminal reaches only us and
    // we stop the children in order; the IPC channel lets a child notice if we die.
    const proc = spawn(cmd.command, args, { stdio: ['ignore', fd, fd, 'ipc'], detached: true, env });
    closeSync(fd);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    const child: Child = { name, proc, logFile, traceFile: flags['trace'], exited, stopping: false };
    // A failed spawn or IPC write must not crash us; an exit is what we act on.
    proc.on('error', (err) => {
      if (!child.stopping) resolveFailed(`${name}: ${err.message}; see ${logFile}`);
    });
    void exited.then(({ code, signal }) => {
      if (!child.stopping) resolveFailed(`${name} exited unexpectedly (${signal ?? `exit code ${code}`}); see ${logFile}`);
    });
    children.push(child);
    return child;
  };

  const credentials = options.secure === false ? undefined : generateCredentials(join(workDir, 'credentials'));
  try {
    const masterFlags: Record<string, string> = {
      ip,
      port: String(options.port ?? 0),
      logging_level: level,
      ...(credentials !== undefined
        ? { credentials: credentials.credentialsFile, authenticate_frameworks: 'true', authenticate_agents: 'true', authenticate_http_readwrite: 'true' }
        : {}),
      ...(traceDir !== undefined ? { trace: join(traceDir, 'master.trace.jsonl') } : {}),
      ...options.masterFlags,
    };
    let zkUrl: string | undefined;
    if (numMasters > 1) {
      zk = await orAbort(startZooKeeper({ dataDir: join(workDir, 'zookeeper') }));
      zkUrl = `zk://${zk.connect}/mesos`;
    }
    const masters = Array.from({ length: numMasters }, (_, i) =>
      numMasters === 1
        ? launch('master', 'mesos-master', masterFlags, baseEnv)
        : launch(`master-${i + 1}`, 'mesos-master', { ...masterFlags, port: i === 0 ? masterFlags['port']! : '0', zk: zkUrl!, ...(traceDir !== undefined ? { trace: join(traceDir, `master-${i + 1}.trace.jsonl`) } : {}) }, baseEnv),
    );
    const mastersStarted = await orAbort(Promise.all(masters.map((m) => started(m, timeoutMs))));
    const masterStarted = zkUrl === undefined ? mastersStarted[0]! : await orAbort(waitForLeader(mastersStarted, timeoutMs));

    const agentChildren: Child[] = [];
    for (let i = 1; i <= numAgents; i++) {
      const name = `agent-${i}`;
      const flags: Record<string, string> = {
        master: zkUrl ?? masterStarted.address,
        ip,
        port: '0',
        work_dir: join(workDir, name),
        logging_level: level,
        destroy_executors_on_stop: 'true',
        ...(credentials !== undefined ? { credential: credentials.agentCredentialFile } : {}),
        ...(options.resources !== undefined ? { resources: options.resources } : {}),
        ...(options.attributes !== undefined ? { attributes: options.attributes } : {}),
        ...(traceDir !== undefined ? { trace: join(traceDir, `${name}.trace.jsonl`) } : {}),
        ...options.agentFlags,
      };
      // Executors inherit their agent's environment; MESOS_TRACE makes them trace too, to a
      // file of their own (the agent's --trace flag wins over the variable for the agent).
      const env = traceDir !== undefined ? { ...baseEnv, MESOS_TRACE: join(traceDir, `${name}-executors.trace.jsonl`) } : baseEnv;
      agentChildren.push(launch(name, 'mesos-agent', flags, env));
    }
    const agentStarted = await orAbort(Promise.all(agentChildren.map((c) => started(c, timeoutMs))));
    const agentIds = await orAbort(waitForAgents(masterStarted.address, agentStarted.map((a) => a.address), timeoutMs, failed));

    const processes: LocalProcess[] = [...masters, ...agentChildren].map((c, i) => {
      const s = i < masters.length ? mastersStarted[i]! : agentStarted[i - masters.length]!;
      return { name: c.name, osPid: c.proc.pid ?? -1, pid: s.pid, address: s.address, logFile: c.logFile, traceFile: c.traceFile };
    });
    let stopping: Promise<void> | undefined;
    return {
      master: masterStarted.address,
      masters: mastersStarted.map((m) => m.address),
      zk: zkUrl,
      agents: agentStarted.map((a) => a.address),
      agentIds,
      get traceFiles(): string[] {
        return traceDir === undefined ? [] : listTraceFiles(traceDir);
      },
      workDir,
      traceDir,
      processes,
      failed,
      stop: () => (stopping ??= stopAll()),
      credentials,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The trace files in a directory, the master's first, then agents and executors by name. */
export function listTraceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.trace.jsonl'))
    .sort((a, b) => (a.startsWith('master') ? -1 : b.startsWith('master') ? 1 : a.localeCompare(b, 'en', { numeric: true })))
    .map((f) => join(dir, f));
}

async function runDirectory(given: string | undefined): Promise<string> {
  if (given === undefined) return mkdtemp(join(tmpdir(), 'mesos-local-'));
  // A new or empty directory is this run's; one with something in it gets a fresh folder inside.
  if (!existsSync(given) || readdirSync(given).length === 0) {
    mkdirSync(given, { recursive: true });
    return resolve(given);
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return mkdtemp(join(resolve(given), `run-${stamp}-`));
}

function withoutMesosVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // Children get every flag explicitly; a MESOS_PORT meant for something else must not leak in.
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('MESOS_')) out[k] = v;
  return out;
}

function started(child: Child, timeoutMs: number): Promise<StartedMessage> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new LocalClusterError(`${child.name} did not start within ${timeoutMs} ms; see ${child.logFile}`, logTail(child.logFile)));
    }, timeoutMs);
    const onMessage = (m: unknown): void => {
      const msg = m as Partial<StartedMessage> | null;
      if (msg?.event !== 'started' || typeof msg.address !== 'string' || typeof msg.pid !== 'string') return;
      cleanup();
      resolvePromise(msg as StartedMessage);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      const tail = logTail(child.logFile);
      const why = lastError(tail);
      reject(new LocalClusterError(`${child.name} exited before it started (${signal ?? `exit code ${code}`})${why ? `: ${why}` : ''}; see ${child.logFile}`, tail));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
    };
    child.proc.on('message', onMessage);
    child.proc.once('exit', onExit);
  });
}

/** Polls the masters until one says it is elected (`master/elected`), and returns it. */
async function waitForLeader(masters: StartedMessage[], timeoutMs: number): Promise<StartedMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const m of masters) {
      try {
        const res = await fetch(`http://${m.address}/metrics/snapshot`, { signal: AbortSignal.timeout(2000) });
        if (((await res.json()) as Record<string, number>)['master/elected'] === 1) return m;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) throw new LocalClusterError(`no master was elected within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls the master until every agent is active; returns their ids in the order of `addresses`. */
async function waitForAgents(master: string, addresses: string[], timeoutMs: number, failed: Promise<string>): Promise<string[]> {
  let failure: string | undefined;
  void failed.then((why) => (failure = why));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (failure !== undefined) throw new LocalClusterError(failure);
    try {
      // The agents and master inherit LIBPROCESS_SSL_*: so does this look at them.
      const http = new HttpClient(clientTlsFromEnv(), undefined);
      const res = await http.request(`${http.base(master)}/state`, { timeoutMs: 2000 });
      const state = JSON.parse(res.text) as { slaves?: Array<{ id: string; pid: string; active?: boolean }> };
      const byAddress = new Map((state.slaves ?? []).filter((s) => s.active !== false).map((s) => [s.pid.slice(s.pid.indexOf('@') + 1), s.id]));
      const ids = addresses.map((a) => byAddress.get(a));
      if (ids.every((id) => id !== undefined)) return ids as string[];
      last = `${byAddress.size} of ${addresses.length} agents registered`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new LocalClusterError(`the agents did not all register within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM (and an IPC stop), then SIGKILL if it has not exited in time. */
async function stopChild(child: Child): Promise<void> {
  child.stopping = true;
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const stop: StopMessage = { event: 'stop' };
  // Over IPC first (it works on every platform); SIGTERM when the channel is gone.
  if (child.proc.connected) child.proc.send(stop, (err) => err && child.proc.kill('SIGTERM'));
  else child.proc.kill('SIGTERM');
  const killed = setTimeout(() => {
    try {
      // The group: anything the child started in its own group goes too.
      if (child.proc.pid !== undefined) process.kill(-child.proc.pid, 'SIGKILL');
    } catch {
      child.proc.kill('SIGKILL');
    }
  }, 15_000);
  await child.exited;
  clearTimeout(killed);
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The message of the last error line of a log (pino JSON or an `error: …` line). */
function lastError(tail: string): string | undefined {
  for (const line of tail.split('\n').reverse()) {
    if (line.startsWith('error: ')) return line.slice('error: '.length);
    try {
      const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((j.level ?? 0) >= 50) return j.err?.message ?? j.msg;
    } catch {
      // not JSON
    }
  }
  return undefined;
}
