// The master's configuration: Mesos's master flags in camelCase with Mesos's defaults. The CLI
// maps `--allocation_interval` and friends onto this; everything here takes plain values.

import type { Clock, Logger, TlsOptions, Transport } from '../runtime/index.js';
import type { RolePolicy } from './allocator/index.js';
import { PERMISSIVE, type Acls } from '../protocol/index.js';
import type { MasterHaOptions } from './zk/ha.js';
import type { RemovalRate } from './removal-limiter.js';

export interface MasterOptions {
  /** Address to listen on (default 127.0.0.1). */
  ip?: string;
  /** Port (default 5050; 0 picks a free one). */
  port?: number;
  /** Advertised hostname (default: the ip). */
  hostname?: string;
  clock?: Clock;
  transport?: Transport;
  logger?: Logger;
  /** Trace file: one JSON line per message sent, received or dropped. */
  trace?: string;
  /** `--allocation_interval` (default 1 s). */
  allocationIntervalMs?: number;
  /** `--agent_ping_timeout` (default 15 s). */
  agentPingTimeoutMs?: number;
  /** `--max_agent_ping_timeouts` (default 5). */
  maxAgentPingTimeouts?: number;
  /** `--agent_reregister_timeout` (default 10 min). */
  agentReregisterTimeoutMs?: number;
  /** `--offer_timeout` (default none: offers never time out). */
  offerTimeoutMs?: number;
  /** `--max_completed_frameworks` (default 50). */
  maxCompletedFrameworks?: number;
  /** `--max_completed_tasks_per_framework` (default 1000). */
  maxCompletedTasksPerFramework?: number;
  /** `--max_unreachable_tasks_per_framework` (default 1000). */
  maxUnreachableTasksPerFramework?: number;
  /** `--roles`: the whitelist of roles frameworks may use (default any valid role). */
  roles?: readonly string[];
  /** `--weights` as role → weight. */
  weights?: Readonly<Record<string, number>>;
  /** `--min_allocatable_resources` (default 'cpus:0.01|mem:32'). */
  minAllocatableResources?: string;
  /** Beyond Mesos: how frameworks inside a role are ordered (default 'drf'). */
  rolePolicies?: Readonly<Record<string, RolePolicy>>;
  /** `--fair_sharing_excluded_resource_names` (e.g. ['gpus']). */
  fairSharingExcludedResourceNames?: readonly string[];
  /** `--work_dir`: keeps the registry of admitted agents in a file there. */
  workDir?: string;
  /** `--root_submissions` (default true). */
  rootSubmissions?: boolean;
  /** Serves `/__filters__` for fault injection from outside the process. */
  testEndpoints?: boolean;
  /** The flags as given, shown by `/flags` and `/state`. */
  flags?: Readonly<Record<string, string>>;
  /** Uniform random in [0, 1) for the allocator's shuffles (tests pass a seeded one). */
  random?: () => number;
  /** TLS for the listener and dials (LIBPROCESS_SSL_*). */
  tls?: TlsOptions;
  /** `--credentials`: principal → secret, for the handshake and HTTP Basic. */
  credentials?: ReadonlyMap<string, string>;
  /** `--authenticate_frameworks`: a framework must prove the principal it registers with. */
  authenticateFrameworks?: boolean;
  /** `--authenticate_agents`: an agent must prove a principal to register. */
  authenticateAgents?: boolean;
  /** `--authenticate_http_readonly`: GET endpoints need HTTP Basic against the credentials. */
  authenticateHttpReadonly?: boolean;
  /** `--authenticate_http_readwrite`: endpoints that change state need HTTP Basic. */
  authenticateHttpReadwrite?: boolean;
  /** `--acls` (default: permissive, no rules). */
  acls?: Acls;
  /** `--zk` and companions: contend for leadership, a standby until elected. */
  ha?: MasterHaOptions;
  /** `--recovery_agent_removal_limit` as a fraction (default 1): past it, a recovering master exits rather than mark agents unreachable. */
  recoveryAgentRemovalLimit?: number;
  /** `--agent_removal_rate_limit` (e.g. 1/10mins); default: no limit. */
  agentRemovalRateLimit?: RemovalRate;
  /** `--registry_gc_interval` (default 15 min). */
  registryGcIntervalMs?: number;
  /** `--registry_max_agent_age` (default 2 weeks). */
  registryMaxAgentAgeMs?: number;
  /** `--registry_max_agent_count` (default 100 * 1024). */
  registryMaxAgentCount?: number;
}

/** MasterOptions with every default applied. */
export interface ResolvedMasterOptions {
  ip: string;
  port: number;
  hostname: string;
  allocationIntervalMs: number;
  agentPingTimeoutMs: number;
  maxAgentPingTimeouts: number;
  agentReregisterTimeoutMs: number;
  offerTimeoutMs: number | undefined;
  maxCompletedFrameworks: number;
  maxCompletedTasksPerFramework: number;
  maxUnreachableTasksPerFramework: number;
  roles: ReadonlySet<string> | undefined;
  weights: Readonly<Record<string, number>>;
  minAllocatableResources: string | undefined;
  rolePolicies: Readonly<Record<string, RolePolicy>> | undefined;
  fairSharingExcludedResourceNames: readonly string[] | undefined;
  workDir: string | undefined;
  rootSubmissions: boolean;
  flags: Readonly<Record<string, string>>;
  random: (() => number) | undefined;
  credentials: ReadonlyMap<string, string>;
  authenticateFrameworks: boolean;
  authenticateAgents: boolean;
  authenticateHttpReadonly: boolean;
  authenticateHttpReadwrite: boolean;
  acls: Acls;
  ha: MasterHaOptions | undefined;
  recoveryAgentRemovalLimit: number;
  agentRemovalRateLimit: RemovalRate | undefined;
  registryGcIntervalMs: number;
  registryMaxAgentAgeMs: number;
  registryMaxAgentCount: number;
}

export function resolveOptions(o: MasterOptions): ResolvedMasterOptions {
  const ip = o.ip ?? '127.0.0.1';
  return {
    ip,
    port: o.port ?? 5050,
    hostname: o.hostname ?? ip,
    allocationIntervalMs: o.allocationIntervalMs ?? 1000,
    agentPingTimeoutMs: o.agentPingTimeoutMs ?? 15_000,
    maxAgentPingTimeouts: o.maxAgentPingTimeouts ?? 5,
    agentReregisterTimeoutMs: o.agentReregisterTimeoutMs ?? 600_000,
    offerTimeoutMs: o.offerTimeoutMs,
    maxCompletedFrameworks: o.maxCompletedFrameworks ?? 50,
    maxCompletedTasksPerFramework: o.maxCompletedTasksPerFramework ?? 1000,
    maxUnreachableTasksPerFramework: o.maxUnreachableTasksPerFramework ?? 1000,
    roles: o.roles === undefined ? undefined : new Set(o.roles),
    weights: o.weights ?? {},
    minAllocatableResources: o.minAllocatableResources,
    rolePolicies: o.rolePolicies,
    fairSharingExcludedResourceNames: o.fairSharingExcludedResourceNames,
    workDir: o.workDir,
    rootSubmissions: o.rootSubmissions ?? true,
    flags: o.flags ?? defaultFlags(o),
    random: o.random,
    credentials: o.credentials ?? new Map(),
    authenticateFrameworks: o.authenticateFrameworks ?? false,
    authenticateAgents: o.authenticateAgents ?? false,
    authenticateHttpReadonly: o.authenticateHttpReadonly ?? false,
    authenticateHttpReadwrite: o.authenticateHttpReadwrite ?? false,
    acls: o.acls ?? PERMISSIVE,
    ha: o.ha,
    recoveryAgentRemovalLimit: o.recoveryAgentRemovalLimit ?? 1,
    agentRemovalRateLimit: o.agentRemovalRateLimit,
    registryGcIntervalMs: o.registryGcIntervalMs ?? 15 * 60_000,
    registryMaxAgentAgeMs: o.registryMaxAgentAgeMs ?? 14 * 24 * 3600_000,
    registryMaxAgentCount: o.registryMaxAgentCount ?? 100 * 1024,
  };
}

/** Without explicit flags, /flags shows the effective values under Mesos's flag names. */
function defaultFlags(o: MasterOptions): Record<string, string> {
  const secs = (ms: number): string => `${ms / 1000}secs`;
  const flags: Record<string, string> = {
    ip: o.ip ?? '127.0.0.1',
    port: String(o.port ?? 5050),
    hostname: o.hostname ?? o.ip ?? '127.0.0.1',
    allocation_interval: secs(o.allocationIntervalMs ?? 1000),
    agent_ping_timeout: secs(o.agentPingTimeoutMs ?? 15_000),
    max_agent_ping_timeouts: String(o.maxAgentPingTimeouts ?? 5),
    agent_reregister_timeout: secs(o.agentReregisterTimeoutMs ?? 600_000),
    max_completed_frameworks: String(o.maxCompletedFrameworks ?? 50),
    max_completed_tasks_per_framework: String(o.maxCompletedTasksPerFramework ?? 1000),
    min_allocatable_resources: o.minAllocatableResources ?? 'cpus:0.01|mem:32',
    registry: o.workDir === undefined ? 'in_memory' : 'file',
    root_submissions: String(o.rootSubmissions ?? true),
  };
  if (o.offerTimeoutMs !== undefined) flags['offer_timeout'] = secs(o.offerTimeoutMs);
  if (o.roles !== undefined) flags['roles'] = o.roles.join(',');
  if (o.weights !== undefined) flags['weights'] = Object.entries(o.weights).map(([r, w]) => `${r}=${w}`).join(',');
  if (o.workDir !== undefined) flags['work_dir'] = o.workDir;
  return flags;
}
