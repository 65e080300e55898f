// The agent's flags (Mesos's names, defaults and meanings) and their mapping onto AgentOptions;
// shared by mesos-agent and by mesos-local, which passes the per-agent ones through.

import { Resources } from '../protocol/index.js';
import { DEFAULT_ISOLATION, ISOLATORS, parseAttributes, parseIsolation, type AgentOptions } from '../agent/index.js';
import type { Logger } from '../runtime/index.js';
import { boolFlag, bytesFlag, choiceFlag, customFlag, durationFlag, ipFlag, parseMasterAddress, parseNumber, portFlag, stringFlag, type CommandSpec, type FlagValues } from './flags.js';
import { readAcls, readCredential, readCredentials } from './credentials.js';
import { LOGGING_LEVELS } from './common.js';

function resources(raw: string): string {
  Resources.parse(raw);
  return raw;
}

function attributes(raw: string): string {
  parseAttributes(raw);
  return raw;
}

/** Flags that describe one agent's machine and behaviour: what mesos-local passes to each agent. */
export const AGENT_MACHINE_FLAGS = {
  resources: customFlag(
    "Total resources the agent offers, in Mesos's text form, e.g. 'cpus:4;mem:4096;disk:10000;ports:[31000-32000]'. Any of cpus, mem, disk and ports left out is detected from the host.",
    resources,
  ),
  attributes: customFlag("Attributes of the machine, e.g. 'rack:r1;zone:a;level:3'.", attributes),
  registration_backoff_factor: durationFlag('The agent first registers after a random wait up to this long, then backs off exponentially (capped at 1mins).', { default: '1secs' }),
  executor_registration_timeout: durationFlag('How long an executor has to register with the agent before its tasks fail.', { default: '1mins' }),
  executor_shutdown_grace_period: durationFlag('How long an executor has to exit after being asked to shut down, before it is killed.', { default: '5secs' }),
  executor_reregistration_timeout: durationFlag('After an agent restart, how long running executors have to re-register.', { default: '2secs' }),
  executor_reregistration_retry_interval: durationFlag('How often ReconnectExecutor is sent again to an executor that has not re-registered after an agent restart (unset: once, as Mesos).'),
  recovery_timeout: durationFlag('How long an executor of a checkpointing framework waits for its agent to come back.', { default: '15mins' }),
  recover: choiceFlag('On restart, reconnect re-attaches to the executors left running; cleanup kills them and exits without registering.', ['reconnect', 'cleanup'], { default: 'reconnect' }),
  status_update_retry_interval: durationFlag('Beyond Mesos (which fixes it at 10secs): how long the agent waits for an acknowledgement before it sends a status update again; each retry doubles it, up to 10mins. For tests.', { default: '10secs' }),
  fetcher_cache_dir: stringFlag('Parent directory of the fetcher cache; each agent caches in a subdirectory named by its id.', { default: '/tmp/mesos/fetch' }),
  fetcher_cache_size: bytesFlag('Size of the fetcher cache (URIs fetched with cache=true); least recently used files are evicted beyond it.', { default: '2GB' }),
  fetcher_stall_timeout: durationFlag('A URI download that receives no data for this long fails.', { default: '1mins' }),
  destroy_executors_on_stop: boolFlag('Beyond Mesos: kill every executor when the agent stops (mesos-local does this so nothing outlives it). Off, executors survive for the next agent to recover.', { default: 'false' }),
};

export const AGENT_FLAGS = {
  zk_session_timeout: durationFlag('With --master=zk://…: the ZooKeeper session timeout; without ZooKeeper this long, the agent treats its session as expired.', { default: '10secs' }),
  master: customFlag('The master to register with: host:port, master@host:port, or zk://host:port/path (or file:///path holding it) to follow the leading master.', parseMasterAddress, {
    required: true,
    requiredHint: 'the master to register with, e.g. --master=127.0.0.1:5050',
  }),
  ip: ipFlag('IP address to listen on.', { default: '127.0.0.1' }),
  port: portFlag('Port to listen on; 0 picks a free one.', { default: '5051' }),
  hostname: stringFlag("Hostname reported to the master (default: the host's name)."),
  work_dir: stringFlag('Where the agent keeps executor sandboxes and its checkpoints (created if missing). Required, as in Mesos: a restarted agent recovers its executors from there.', {
    required: true,
    requiredHint: 'where the agent keeps sandboxes and checkpoints, e.g. --work_dir=/var/lib/mesos-agent',
  }),
  ...AGENT_MACHINE_FLAGS,
  logging_level: choiceFlag('Lowest level of log lines written to stderr.', LOGGING_LEVELS, { default: 'INFO' }),
  quiet: boolFlag('Only log errors.', { default: 'false' }),
  log_dir: stringFlag('Also write the log to a file in this directory (mesos-agent.<host>.<user>.log.INFO.<date>-<time>.<pid>, linked from mesos-agent.INFO; a new file every --max_log_size).'),
  max_log_size: bytesFlag("With --log_dir: start a new log file once the current one reaches this size (glog's --max_log_size, here a size such as 10MB).", { default: '100MB' }),
  log_format: choiceFlag('Log lines as glog-like text or as JSON.', ['text', 'json'] as const, { default: 'text' }),
  trace: stringFlag('Append one JSON line per message sent, received or dropped to this file (render it with mesos-trace).'),
  credential: customFlag('File with the principal and secret this agent authenticates to the master with: {"principal": "…", "secret": "…"}.', readCredential),
  http_credentials: customFlag('File of principals and secrets for HTTP Basic authentication of this agent\'s endpoints (as the master\'s --credentials); --credential is accepted too.', readCredentials),
  authenticate_http_readonly: boolFlag('GET endpoints (other than /health) need HTTP Basic authentication.', { default: 'false' }),
  authenticate_http_readwrite: boolFlag('Endpoints that change state need HTTP Basic authentication.', { default: 'false' }),
  authenticate_executors: boolFlag('Executors must authenticate with the token the agent gives them in MESOS_EXECUTOR_AUTHENTICATION_TOKEN.', { default: 'true' }),
  acls: customFlag("Mesos's ACLs as JSON, or a file holding them; on an agent access_sandboxes and get_endpoints apply.", readAcls),
  unregister_on_sigterm: boolFlag('Beyond Mesos, which does this on SIGUSR1 only: on SIGTERM too, unregister from the master (which removes the agent and its tasks at once), kill every executor and exit.', { default: 'false' }),
  isolation: customFlag(`Isolators for every container, comma separated, with Mesos's names: ${ISOLATORS.join(', ')}.`, isolation, { default: DEFAULT_ISOLATION }),
  cgroups_hierarchy: stringFlag('Where the cgroups hierarchy is mounted (v1: one directory per subsystem under it; v2: the unified mount itself).', { default: '/sys/fs/cgroup' }),
  cgroups_root: stringFlag("Name of the root cgroup under which each container's cgroups are created.", { default: 'mesos' }),
  cgroups_enable_cfs: boolFlag('With cgroups/cpu, also cap each container at its cpus with a CFS quota (hard limit), not only shares.', { default: 'false' }),
  launcher: choiceFlag('How container processes are tracked and destroyed: linux (a freezer cgroup per container) or posix (process groups). Default: linux when a cgroups isolator is in use, else posix.', ['linux', 'posix'] as const),
  switch_user: boolFlag("Run each task as its CommandInfo.user, else its framework's user, when the agent runs as root.", { default: 'true' }),
  gc_delay: durationFlag("How long the sandbox of a finished executor run is kept before it is deleted (sooner when the disk fills; see --gc_disk_headroom).", { default: '1weeks' }),
  gc_disk_headroom: customFlag('The fraction of the disk to keep free: sandboxes are deleted sooner as disk usage approaches 1 minus this (0 to 1).', headroom, { default: '0.1' }),
  disk_watch_interval: durationFlag('How often the disk usage is checked for garbage collection.', { default: '1mins' }),
  enable_test_endpoints: boolFlag('For tests: serve /__filters__ and /__connections__/break (fault injection from outside), here and in every executor this agent starts.', { default: 'false' }),
};

function isolation(raw: string): string {
  parseIsolation(raw);
  return raw;
}

function headroom(raw: string): number {
  const v = parseNumber(raw, { min: 0 });
  if (v > 1) throw new Error(`expected a fraction between 0 and 1, got '${raw}'`);
  return v;
}

export const AGENT_SPEC = {
  name: 'mesos-agent',
  description:
    "Runs a mesos-ts agent: it registers with the master, offers this machine's resources and runs the tasks frameworks launch on it, each in a sandbox under --work_dir. Its state is at http://<ip>:<port>/state.",
  flags: AGENT_FLAGS,
  env: true,
  examples: [
    "mesos-agent --master=127.0.0.1:5050 --work_dir=/tmp/mesos-agent --resources='cpus:2;mem:1024'",
    'MESOS_MASTER=127.0.0.1:5050 MESOS_WORK_DIR=/tmp/agent2 mesos-agent --port=5052',
  ],
} satisfies CommandSpec<typeof AGENT_FLAGS>;

export type AgentFlagValues = FlagValues<typeof AGENT_FLAGS>;

/** AgentOptions from parsed flags; `text` is what /flags shows. */
export function agentOptions(f: AgentFlagValues, text: Record<string, string>, logger: Logger): AgentOptions {
  return {
    master: f.master,
    zkSessionTimeoutMs: f.zk_session_timeout,
    ip: f.ip,
    port: f.port,
    workDir: f.work_dir,
    logger,
    registrationBackoffMs: f.registration_backoff_factor,
    executorRegistrationTimeoutMs: f.executor_registration_timeout,
    executorShutdownGracePeriodMs: f.executor_shutdown_grace_period,
    executorReregistrationTimeoutMs: f.executor_reregistration_timeout,
    statusUpdateRetryMs: f.status_update_retry_interval,
    ...(f.executor_reregistration_retry_interval !== undefined ? { executorReregistrationRetryIntervalMs: f.executor_reregistration_retry_interval } : {}),
    recoveryTimeoutMs: f.recovery_timeout,
    recover: f.recover,
    destroyAllOnStop: f.destroy_executors_on_stop,
    fetcherCacheDir: f.fetcher_cache_dir,
    fetcherCacheSizeBytes: f.fetcher_cache_size,
    fetcherStallTimeoutMs: f.fetcher_stall_timeout,
    flags: text,
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    ...(f.resources !== undefined ? { resources: f.resources } : {}),
    ...(f.attributes !== undefined ? { attributes: f.attributes } : {}),
    ...(f.trace !== undefined ? { trace: f.trace } : {}),
    ...(f.credential !== undefined ? { credential: f.credential } : {}),
    ...(f.http_credentials !== undefined ? { httpCredentials: f.http_credentials } : {}),
    ...(f.acls !== undefined ? { acls: f.acls } : {}),
    authenticateHttpReadonly: f.authenticate_http_readonly,
    authenticateHttpReadwrite: f.authenticate_http_readwrite,
    authenticateExecutors: f.authenticate_executors,
    isolation: f.isolation,
    cgroupsHierarchy: f.cgroups_hierarchy,
    cgroupsRoot: f.cgroups_root,
    cgroupsEnableCfs: f.cgroups_enable_cfs,
    ...(f.launcher !== undefined ? { launcher: f.launcher } : {}),
    switchUser: f.switch_user,
    gcDelayMs: f.gc_delay,
    gcDiskHeadroom: f.gc_disk_headroom,
    diskWatchIntervalMs: f.disk_watch_interval,
    ...(f.enable_test_endpoints ? { testEndpoints: true } : {}),
  };
}
