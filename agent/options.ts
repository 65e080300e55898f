// The agent's configuration: AgentOptions with Mesos's defaults, the resources an agent offers
// when none (or only some) are given — detected from the host as Mesos does — and the parsing
// of `--attributes`. Plain functions; only startAgent reads the host.

import { cpus as hostCpus, hostname as hostHostname, totalmem } from 'node:os';
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ValidationError, type Clock, type Credential, type Random, type Transport } from '../runtime/index.js';
import type { HttpAuthOptions } from '../protocol/index.js';
import { PERMISSIVE, type Acls } from '../protocol/index.js';
import { ExecutorTokens } from './executor-tokens.js';
import { Fetcher, FETCHER_DEFAULTS } from './fetcher.js';
import { Resources, type Attribute } from '../protocol/index.js';
import type { CommandSpec } from './containerizer/index.js';

/** Mesos's `--recover`: what a restarted agent does with the executors a previous run left. */
export type RestartMode = 'reconnect' | 'cleanup';

export interface AgentOptions {
  /** The master: `host:port`, `master@host:port`, or `zk://…`/`file://…` to follow the leader. */
  master: string;
  /** `--zk_session_timeout` with a `zk://` master (default 10 s). */
  zkSessionTimeoutMs?: number;
  /** Address to listen on (default 127.0.0.1). */
  ip?: string;
  /** Port to listen on (default 5051, as Mesos; 0 picks a free one). */
  port?: number;
  /** Hostname reported to the master (default: the host's name). */
  hostname?: string;
  /** Mesos's text form; cpus, mem, disk and ports left out are detected from the host. */
  resources?: string;
  /** `rack:a;zone:b` (values may be scalars, [ranges], {sets} or text). */
  attributes?: string;
  workDir: string;
  clock?: Clock;
  transport?: Transport;
  logger?: Logger;
  /** Appends one JSON line per message to this file (mesos-trace reads it). */
  trace?: string;
  /** Mesos's registration_backoff_factor: first attempt after a random wait in [0, b]. */
  registrationBackoffMs?: number;
  /** Cap of the registration retry interval (Mesos: 1 min). */
  registrationBackoffMaxMs?: number;
  /** First status-update retry interval (Mesos: 10 s), doubling up to statusUpdateRetryMaxMs. */
  statusUpdateRetryMs?: number;
  /** Status-update retry cap (Mesos: 10 min). */
  statusUpdateRetryMaxMs?: number;
  executorRegistrationTimeoutMs?: number;
  executorShutdownGracePeriodMs?: number;
  /** After an agent restart, how long executors have to re-register (Mesos: 2 s). */
  executorReregistrationTimeoutMs?: number;
  /**
   * Mesos's --executor_reregistration_retry_interval: how often ReconnectExecutor is sent again
   * to an executor that has not re-registered. Unset (Mesos's default): once after a restart;
   * an executor whose connection was lost while the agent ran is asked every
   * executor_reregistration_timeout.
   */
  executorReregistrationRetryIntervalMs?: number;
  /** Passed to executors as MESOS_RECOVERY_TIMEOUT (Mesos: 15 min). */
  recoveryTimeoutMs?: number;
  /** Total ping timeout used until the master tells us its own (Mesos: 75 s). */
  pingTimeoutMs?: number;
  /** Mesos's --recover. reconnect (default): re-attach to live executors; cleanup: kill them and exit without registering. */
  recover?: RestartMode;
  /** The command line flags, served by /flags and in /state. */
  flags?: Record<string, string>;
  /** stop() kills every executor (tests, mesos-local). Default false: executors survive for recovery. */
  destroyAllOnStop?: boolean;
  /** The program of the per-framework executor host; defaults to the one executor/ provides. */
  executorHostCommand?: CommandSpec;
  /** The program of the DEFAULT executor that runs task groups; defaults to the one executor/ provides. */
  defaultExecutorCommand?: CommandSpec;
  /** fsync checkpoint files (default true). */
  checkpointFsync?: boolean;
  /** How often an executor re-attached after a restart is probed for exit (ms). */
  reattachedExecutorPollMs?: number;
  /** The runtime's source of randomness (RuntimeOptions.random), which the registration backoff draws from; tests pin it. */
  random?: Random;
  /** Executor environment base (default: the agent's own environment). */
  executorBaseEnv?: Record<string, string | undefined>;
  /** `--credential`: the principal and secret this agent proves to the master. */
  credential?: Credential;
  /**
   * Executors must register from a connection that proved the token the agent gave them
   * (MESOS_EXECUTOR_AUTHENTICATION_TOKEN). Default false for the library; mesos-agent sets it.
   */
  authenticateExecutors?: boolean;
  /**
   * Serve /__filters__ and /__connections__/break (tests only), and have executors serve them
   * too (MESOS_ENABLE_TEST_ENDPOINTS in their environment).
   */
  testEndpoints?: boolean;
  /** `--http_credentials` (and `--credential`): principal → secret for HTTP Basic. */
  httpCredentials?: ReadonlyMap<string, string>;
  /** `--authenticate_http_readonly`. */
  authenticateHttpReadonly?: boolean;
  /** `--authenticate_http_readwrite`. */
  authenticateHttpReadwrite?: boolean;
  /** `--acls`: only `access_sandboxes` and `get_endpoints` apply on an agent. */
  acls?: Acls;
  /** `--fetcher_cache_dir` (Mesos: /tmp/mesos/fetch); each agent caches in a subdirectory named by its id. */
  fetcherCacheDir?: string;
  /** `--fetcher_cache_size` in bytes (Mesos: 2 GB). */
  fetcherCacheSizeBytes?: number;
  /** `--fetcher_stall_timeout` (Mesos: 1 min). */
  fetcherStallTimeoutMs?: number;
  /** `--isolation`: Mesos's isolator names, comma separated (default posix/cpu,posix/mem). */
  isolation?: string;
  /** `--cgroups_hierarchy` (default /sys/fs/cgroup). */
  cgroupsHierarchy?: string;
  /** `--cgroups_root`: containers' cgroups go under it (default mesos). */
  cgroupsRoot?: string;
  /** `--cgroups_enable_cfs`: cap CPU with a CFS quota beside the shares. */
  cgroupsEnableCfs?: boolean;
  /** `--launcher`: linux (the freezer cgroup tracks and destroys a container) or posix (process groups). */
  launcher?: 'linux' | 'posix';
  /** How often containers with a memory limit are checked for an OOM kill (ms, default 1000). */
  oomCheckMs?: number;
  /** `--switch_user`: run tasks as their user when the agent is root. Default false for the library; mesos-agent sets true, as Mesos. */
  switchUser?: boolean;
  /** `--gc_delay`: how long a completed run's sandbox is kept (Mesos: 1 week). */
  gcDelayMs?: number;
  /** `--gc_disk_headroom`: the fraction of the disk kept free by pruning sandboxes sooner (Mesos: 0.1). */
  gcDiskHeadroom?: number;
  /** `--disk_watch_interval`: how often the disk is checked for that (Mesos: 1 min). */
  diskWatchIntervalMs?: number;
}

/** AgentOptions with every default applied. */
export interface AgentConfig {
  master: string;
  hostname: string;
  resources: Resources;
  attributes: Attribute[];
  workDir: string;
  registrationBackoffMs: number;
  registrationBackoffMaxMs: number;
  statusUpdateRetryMs: number;
  statusUpdateRetryMaxMs: number;
  executorRegistrationTimeoutMs: number;
  executorShutdownGracePeriodMs: number;
  executorReregistrationTimeoutMs: number;
  executorReregistrationRetryIntervalMs: number | undefined;
  recoveryTimeoutMs: number;
  pingTimeoutMs: number;
  recover: RestartMode;
  flags: Record<string, string>;
  checkpointFsync: boolean;
  executorHostCommand: CommandSpec | undefined;
  defaultExecutorCommand: CommandSpec | undefined;
  /** Present when executors must authenticate. */
  executorTokens: ExecutorTokens | undefined;
  testEndpoints: boolean;
  http: HttpAuthOptions;
  acls: Acls;
  /** Brings CommandInfo.uris into sandboxes; shared by every launch of this agent. */
  fetcher: Fetcher;
  switchUser: boolean;
  gcDelayMs: number;
  gcDiskHeadroom: number;
  diskWatchIntervalMs: number;
}

export const DEFAULTS = {
  port: 5051,
  registrationBackoffMs: 1000,
  registrationBackoffMaxMs: 60_000,
  statusUpdateRetryMs: 10_000,
  statusUpdateRetryMaxMs: 600_000,
  executorRegistrationTimeoutMs: 60_000,
  executorShutdownGracePeriodMs: 5000,
  executorReregistrationTimeoutMs: 2000,
  recoveryTimeoutMs: 15 * 60_000,
  pingTimeoutMs: 75_000,
  gcDelayMs: 7 * 24 * 3600_000,
  gcDiskHeadroom: 0.1,
  diskWatchIntervalMs: 60_000,
} as const;

/** `master@host:port` from either accepted form. */
export function masterPidText(master: string): string {
  const m = master.trim();
  // A ZooKeeper URL is followed by the agent's detector (startAgent).
  if (m.startsWith('zk://') || m.startsWith('file://')) return m;
  return m.includes('@') ? m : `master@${m}`;
}

/**
 * Resources from the `--resources` text, completed with what the host has for any of cpus,
 * mem, disk and ports left out (Mesos: mem = total − min(1 GB, total/2), disk = free space of
 * work_dir's filesystem − min(5 GB, half), ports 31000-32000).
 */
export async function agentResources(text: string | undefined, workDir: string): Promise<Resources> {
  let given = text === undefined || text.trim() === '' ? Resources.EMPTY : Resources.parse(text);
  const names = new Set(given.names());
  const add = (r: string): void => void (given = given.add(Resources.parse(r)));
  if (!names.has('cpus')) add(`cpus:${hostCpus().length || 1}`);
  if (!names.has('mem')) {
    const totalMb = Math.floor(totalmem() / (1024 * 1024));
    add(`mem:${Math.max(totalMb - Math.min(1024, Math.floor(totalMb / 2)), 32)}`);
  }
  if (!names.has('disk')) add(`disk:${await detectDiskMb(workDir)}`);
  if (!names.has('ports')) add('ports:[31000-32000]');
  return given;
}

async function detectDiskMb(workDir: string): Promise<number> {
  try {
    const s = await statfs(workDir);
    const totalMb = Math.floor((s.blocks * s.bsize) / (1024 * 1024));
    return Math.max(totalMb - Math.min(5 * 1024, Math.floor(totalMb / 2)), 1);
  } catch {
    return 10 * 1024;
  }
}

/** `rack:a;zone:b;level:3;ids:[1-4];tags:{x,y}` as Mesos's attribute list. */
export function parseAttributes(text: string | undefined): Attribute[] {
  if (text === undefined || text.trim() === '') return [];
  const out: Attribute[] = [];
  for (const raw of text.split(';')) {
    const token = raw.trim();
    if (token === '') continue;
    const colon = token.indexOf(':');
    if (colon <= 0) throw new ValidationError(`Invalid attribute '${token}': expected name:value`);
    const name = token.slice(0, colon).trim();
    const value = token.slice(colon + 1).trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) out.push({ name, type: 'SCALAR', scalar: { value: Number(value) } });
    else if (value.startsWith('[') || value.startsWith('{')) {
      const r = Resources.parse(`${name}:${value}`).toJSON()[0];
      if (r?.type === 'RANGES' && r.ranges) out.push({ name, type: 'RANGES', ranges: r.ranges });
      else if (r?.type === 'SET' && r.set) out.push({ name, type: 'SET', set: r.set });
      else throw new ValidationError(`Invalid attribute '${token}'`);
    } else out.push({ name, type: 'TEXT', text: { value } });
  }
  return out;
}

/** An attribute's value as text, as the legacy JSON endpoints show it. */
export function attributeValue(a: Attribute): string | number {
  if (a.type === 'SCALAR') return a.scalar?.value ?? 0;
  if (a.type === 'RANGES') return `[${(a.ranges?.range ?? []).map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
  if (a.type === 'SET') return `{${(a.set?.item ?? []).join(', ')}}`;
  return a.text?.value ?? '';
}

export async function agentConfig(o: AgentOptions, executorHostCommand: CommandSpec | undefined): Promise<AgentConfig> {
  return {
    master: masterPidText(o.master),
    hostname: o.hostname ?? hostHostname(),
    resources: await agentResources(o.resources, o.workDir),
    attributes: parseAttributes(o.attributes),
    workDir: o.workDir,
    registrationBackoffMs: o.registrationBackoffMs ?? DEFAULTS.registrationBackoffMs,
    registrationBackoffMaxMs: o.registrationBackoffMaxMs ?? DEFAULTS.registrationBackoffMaxMs,
    statusUpdateRetryMs: o.statusUpdateRetryMs ?? DEFAULTS.statusUpdateRetryMs,
    statusUpdateRetryMaxMs: o.statusUpdateRetryMaxMs ?? DEFAULTS.statusUpdateRetryMaxMs,
    executorRegistrationTimeoutMs: o.executorRegistrationTimeoutMs ?? DEFAULTS.executorRegistrationTimeoutMs,
    executorShutdownGracePeriodMs: o.executorShutdownGracePeriodMs ?? DEFAULTS.executorShutdownGracePeriodMs,
    executorReregistrationTimeoutMs: o.executorReregistrationTimeoutMs ?? DEFAULTS.executorReregistrationTimeoutMs,
    executorReregistrationRetryIntervalMs: o.executorReregistrationRetryIntervalMs,
    recoveryTimeoutMs: o.recoveryTimeoutMs ?? DEFAULTS.recoveryTimeoutMs,
    pingTimeoutMs: o.pingTimeoutMs ?? DEFAULTS.pingTimeoutMs,
    recover: o.recover ?? 'reconnect',
    flags: o.flags ?? {},
    checkpointFsync: o.checkpointFsync ?? true,
    executorHostCommand,
    defaultExecutorCommand: o.defaultExecutorCommand,
    executorTokens: o.authenticateExecutors ? new ExecutorTokens() : undefined,
    testEndpoints: o.testEndpoints === true,
    http: {
      credentials: new Map([...(o.httpCredentials ?? []), ...(o.credential ? ([[o.credential.principal, o.credential.secret]] as const) : [])]),
      readonly: o.authenticateHttpReadonly ?? false,
      readwrite: o.authenticateHttpReadwrite ?? false,
    },
    acls: o.acls ?? PERMISSIVE,
    fetcher: new Fetcher({
      cacheDir: o.fetcherCacheDir ?? FETCHER_DEFAULTS.cacheDir,
      cacheSizeBytes: o.fetcherCacheSizeBytes ?? FETCHER_DEFAULTS.cacheSizeBytes,
      stallTimeoutMs: o.fetcherStallTimeoutMs ?? FETCHER_DEFAULTS.stallTimeoutMs,
    }),
    switchUser: o.switchUser ?? false,
    gcDelayMs: o.gcDelayMs ?? DEFAULTS.gcDelayMs,
    gcDiskHeadroom: o.gcDiskHeadroom ?? DEFAULTS.gcDiskHeadroom,
    diskWatchIntervalMs: o.diskWatchIntervalMs ?? DEFAULTS.diskWatchIntervalMs,
  };
}
