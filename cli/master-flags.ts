// The master's flags (Mesos's names, defaults and meanings) and their mapping onto
// MasterOptions; shared by mesos-master and by mesos-local, which passes them through.

import { checkRole, Resources } from '../protocol/index.js';
import type { MasterOptions } from '../master/index.js';
import { ValidationError, type Logger } from '../runtime/index.js';
import { boolFlag, bytesFlag, choiceFlag, customFlag, durationFlag, intFlag, ipFlag, parseList, portFlag, stringFlag, type CommandSpec, type FlagValues } from './flags.js';
import { LOGGING_LEVELS } from './common.js';
import { readAcls, readCredentials } from './credentials.js';
import { parseZooKeeperUrl } from '../detector/index.js';
import { parseRemovalRate } from '../master/index.js';

type RolePolicies = NonNullable<MasterOptions['rolePolicies']>;
type RolePolicy = RolePolicies[string];
const ROLE_POLICIES: readonly RolePolicy[] = ['drf', 'fifo', 'priority'];

function roles(raw: string): string[] {
  const list = parseList(raw);
  for (const r of list) {
    const problem = checkRole(r);
    if (problem !== undefined) throw new ValidationError(`'${r}' is not a valid role: ${problem}`);
  }
  return list;
}

function weights(raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of parseList(raw)) {
    const [role, weight, extra] = item.split('=');
    const w = Number(weight);
    if (!role || weight === undefined || extra !== undefined || !Number.isFinite(w) || w <= 0) {
      throw new ValidationError(`'${item}' is not role=weight with a positive weight (e.g. dev=2,prod=3)`);
    }
    out[role.trim()] = w;
  }
  return out;
}

function rolePolicies(raw: string): RolePolicies {
  const out: Record<string, RolePolicy> = {};
  for (const item of parseList(raw)) {
    const [role, policy, extra] = item.split('=');
    if (!role || policy === undefined || extra !== undefined || !(ROLE_POLICIES as readonly string[]).includes(policy.trim())) {
      throw new ValidationError(`'${item}' is not role=policy with a policy of ${ROLE_POLICIES.join(', ')}`);
    }
    out[role.trim()] = policy.trim() as RolePolicy;
  }
  return out;
}

/** `cpus:0.01|mem:32`: alternatives separated by `|`, each a resources quantity. */
function minAllocatable(raw: string): string {
  for (const alt of raw.split('|')) {
    if (alt.trim() === '') throw new ValidationError(`'${raw}' has an empty alternative (e.g. cpus:0.01|mem:32)`);
    Resources.parse(alt.replace(/,/g, ';'));
  }
  return raw;
}

export const MASTER_FLAGS = {
  ip: ipFlag('IP address to listen on.', { default: '127.0.0.1' }),
  port: portFlag('Port to listen on; 0 picks a free one.', { default: '5050' }),
  hostname: stringFlag('Hostname the master advertises to agents, frameworks and the web UI (default: the --ip).'),
  work_dir: stringFlag('Where the master keeps its registry of admitted agents. Without it, the registry lives in memory and is lost when the master stops.'),
  allocation_interval: durationFlag('How often the allocator makes offers (it also runs on events).', { default: '1secs' }),
  agent_ping_timeout: durationFlag('How long the master waits for an agent to answer a ping before counting the ping as missed.', { default: '15secs' }),
  max_agent_ping_timeouts: intFlag('How many missed pings in a row make an agent unreachable.', { min: 1 }, { default: '5' }),
  agent_reregister_timeout: durationFlag('How long a disconnected agent has to re-register before it is marked unreachable (at least 10mins in Mesos).', { default: '10mins' }),
  offer_timeout: durationFlag('How long an offer may stay outstanding before it is rescinded (default: forever).'),
  max_completed_frameworks: intFlag('How many completed frameworks the master remembers.', { min: 0 }, { default: '50' }),
  max_completed_tasks_per_framework: intFlag('How many completed tasks per framework the master remembers.', { min: 0 }, { default: '1000' }),
  max_unreachable_tasks_per_framework: intFlag('How many unreachable tasks per framework the master remembers.', { min: 0 }, { default: '1000' }),
  roles: customFlag('Comma-separated whitelist of roles frameworks may use (default: any valid role).', roles),
  weights: customFlag('Comma-separated role=weight pairs for fair sharing, e.g. dev=2,prod=3.', weights),
  role_policies: customFlag('Beyond Mesos: how frameworks inside a role share it, as role=policy pairs (drf, fifo or priority), e.g. batch=fifo.', rolePolicies),
  min_allocatable_resources: customFlag("Smallest offer worth making: alternatives separated by '|', each a resources quantity.", minAllocatable, { default: 'cpus:0.01|mem:32' }),
  fair_sharing_excluded_resource_names: customFlag('Comma-separated resource names left out of fair sharing, e.g. gpus.', parseList),
  root_submissions: boolFlag('Whether frameworks may run tasks as root.', { default: 'true' }),
  logging_level: choiceFlag('Lowest level of log lines written to stderr.', LOGGING_LEVELS, { default: 'INFO' }),
  quiet: boolFlag('Only log errors.', { default: 'false' }),
  log_dir: stringFlag('Also write the log to a file in this directory (mesos-master.<host>.<user>.log.INFO.<date>-<time>.<pid>, linked from mesos-master.INFO; a new file every --max_log_size).'),
  max_log_size: bytesFlag("With --log_dir: start a new log file once the current one reaches this size (glog's --max_log_size, here a size such as 10MB).", { default: '100MB' }),
  log_format: choiceFlag('Log lines as glog-like text or as JSON.', ['text', 'json'] as const, { default: 'text' }),
  trace: stringFlag('Append one JSON line per message sent, received or dropped to this file (render it with mesos-trace).'),
  authenticate_frameworks: boolFlag('Only frameworks whose connection proved a principal from --credentials (and which register with that principal) may register.', { default: 'false' }),
  authenticate_agents: boolFlag('Only agents whose connection proved a principal from --credentials may register.', { default: 'false' }),
  credentials: customFlag('File of the principals and secrets frameworks, agents and HTTP clients authenticate with: {"credentials": [{"principal": "…", "secret": "…"}]}.', readCredentials),
  authenticate_http_readonly: boolFlag('GET endpoints (other than /health) need HTTP Basic authentication against --credentials.', { default: 'false' }),
  authenticate_http_readwrite: boolFlag('Endpoints that change state (/teardown, /tasks/kill, /quota, /weights) need HTTP Basic authentication against --credentials.', { default: 'false' }),
  acls: customFlag("Mesos's ACLs as JSON, or a file holding them: register_frameworks, run_tasks, teardown_frameworks, update_quotas, update_weights, get_endpoints, and 'permissive' (default true).", readAcls),
  enable_test_endpoints: boolFlag('For tests: serve /__filters__, through which a test drops or holds messages of this process from outside.', { default: 'false' }),
  zk: customFlag('ZooKeeper URL for leader election among masters: zk://[user:pass@]host:port[,host:port]/path, or file:///path holding it. Without it this master leads alone.', zkUrl),
  zk_session_timeout: durationFlag('ZooKeeper session timeout; a master that cannot reach ZooKeeper this long treats its session as expired.', { default: '10secs' }),
  quorum: intFlag("Accepted for Mesos's command lines: the size of a replicated-log quorum. Here the registry lives in ZooKeeper, whose own quorum makes it durable, so the value is checked but not used.", { min: 1 }),
  registry: choiceFlag('Where the registry of agents lives: replicated_log (durable: in ZooKeeper with --zk, else in --work_dir), zk (the same, named plainly; needs --zk) or in_memory.', ['replicated_log', 'zk', 'in_memory'] as const, { default: 'replicated_log' }),
  recovery_agent_removal_limit: customFlag('After a failover, if more than this share of the registry\'s agents fail to re-register in --agent_reregister_timeout, the master exits instead of marking them unreachable (e.g. 100%, 50%).', percent, { default: '100%' }),
  agent_removal_rate_limit: customFlag('The most agents marked unreachable per interval, as <number of agents>/<duration> (e.g. 1/10mins); agents that come back while they wait are not marked. Default: no limit.', parseRemovalRate),
  registry_gc_interval: durationFlag('How often the registry forgets unreachable and gone agents past --registry_max_agent_age or --registry_max_agent_count.', { default: '15mins' }),
  registry_max_agent_age: durationFlag('How long the registry keeps an unreachable or gone agent.', { default: '2weeks' }),
  registry_max_agent_count: intFlag('How many unreachable agents, and how many gone agents, the registry keeps at most (the oldest go first).', { min: 1 }, { default: '102400' }),
  registry_fetch_timeout: durationFlag('How long a new leader may take to read the registry before it exits.', { default: '1mins' }),
  registry_store_timeout: durationFlag('How long one registry write may take before the master exits.', { default: '20secs' }),
};

function zkUrl(raw: string): string {
  parseZooKeeperUrl(raw);
  return raw.trim();
}

/** `50%` or `0.5` → 0.5. */
function percent(raw: string): number {
  const t = raw.trim();
  const v = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new ValidationError(`'${raw}' is not a percentage between 0% and 100%`);
  return v;
}

export const MASTER_SPEC = {
  name: 'mesos-master',
  description:
    'Runs a mesos-ts master: it admits agents, pools their resources, offers them to frameworks by Dominant Resource Fairness and tracks their tasks. Its state is at http://<ip>:<port>/state and its metrics at /metrics/snapshot.',
  flags: MASTER_FLAGS,
  env: true,
  examples: ['mesos-master --ip=127.0.0.1 --port=5050', 'MESOS_PORT=5060 mesos-master --trace=/tmp/master.trace.jsonl'],
} satisfies CommandSpec<typeof MASTER_FLAGS>;

export type MasterFlagValues = FlagValues<typeof MASTER_FLAGS>;

/** MasterOptions from parsed flags; `text` is what /flags shows. */
export function masterOptions(f: MasterFlagValues, text: Record<string, string>, logger: Logger): MasterOptions {
  const needsCredentials = f.authenticate_frameworks || f.authenticate_agents || f.authenticate_http_readonly || f.authenticate_http_readwrite;
  if (needsCredentials && f.credentials === undefined) throw new ValidationError('--authenticate_* needs --credentials=FILE to authenticate against');
  return {
    ip: f.ip,
    port: f.port,
    logger,
    allocationIntervalMs: f.allocation_interval,
    agentPingTimeoutMs: f.agent_ping_timeout,
    maxAgentPingTimeouts: f.max_agent_ping_timeouts,
    agentReregisterTimeoutMs: f.agent_reregister_timeout,
    maxCompletedFrameworks: f.max_completed_frameworks,
    maxCompletedTasksPerFramework: f.max_completed_tasks_per_framework,
    maxUnreachableTasksPerFramework: f.max_unreachable_tasks_per_framework,
    minAllocatableResources: f.min_allocatable_resources,
    rootSubmissions: f.root_submissions,
    flags: text,
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    ...(f.work_dir !== undefined ? { workDir: f.work_dir } : {}),
    ...(f.offer_timeout !== undefined ? { offerTimeoutMs: f.offer_timeout } : {}),
    ...(f.roles !== undefined ? { roles: f.roles } : {}),
    ...(f.weights !== undefined ? { weights: f.weights } : {}),
    ...(f.role_policies !== undefined ? { rolePolicies: f.role_policies } : {}),
    ...(f.fair_sharing_excluded_resource_names !== undefined ? { fairSharingExcludedResourceNames: f.fair_sharing_excluded_resource_names } : {}),
    ...(f.trace !== undefined ? { trace: f.trace } : {}),
    ...(f.enable_test_endpoints ? { testEndpoints: true } : {}),
    ...(f.credentials !== undefined ? { credentials: f.credentials } : {}),
    ...(f.acls !== undefined ? { acls: f.acls } : {}),
    authenticateFrameworks: f.authenticate_frameworks,
    authenticateAgents: f.authenticate_agents,
    authenticateHttpReadonly: f.authenticate_http_readonly,
    authenticateHttpReadwrite: f.authenticate_http_readwrite,
    recoveryAgentRemovalLimit: f.recovery_agent_removal_limit,
    ...(f.agent_removal_rate_limit !== undefined ? { agentRemovalRateLimit: f.agent_removal_rate_limit } : {}),
    registryGcIntervalMs: f.registry_gc_interval,
    registryMaxAgentAgeMs: f.registry_max_agent_age,
    registryMaxAgentCount: f.registry_max_agent_count,
    ...haOptions(f),
  };
}

function haOptions(f: MasterFlagValues): Pick<MasterOptions, 'ha'> {
  if (f.zk === undefined) {
    if (f.registry === 'zk') throw new ValidationError('--registry=zk needs --zk=zk://host:port/path');
    return {};
  }
  return {
    ha: {
      zk: f.zk,
      sessionTimeoutMs: f.zk_session_timeout,
      registry: f.registry,
      registryFetchTimeoutMs: f.registry_fetch_timeout,
      registryStoreTimeoutMs: f.registry_store_timeout,
    },
  };
}
