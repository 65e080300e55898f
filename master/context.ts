// What the master's modules share: the context they act through (state, options, typed sends,
// keyed timers, links, the allocator) and the small helpers every handler uses.

import type { Logger } from 'pino';
import type { Accepts, HttpHandler, Message, Pid } from '../runtime/index.js';
import {
  Resources,
  taskStatus,
  type MasterInbox,
  type MasterInfo,
  type AgentInbox,
  type Resource,
  type SchedulerInbox,
  type Task,
  type TaskState,
  type TaskStatus,
  type TaskStatusReason,
} from '../protocol/index.js';
import type { ObserverInbox } from './agent-observer.js';
import type { AllocatorInbox, AllocatorOffers } from './allocator-process.js';
import type { MasterMetrics } from './metrics.js';
import type { ResolvedMasterOptions } from './options.js';
import type { Registry, RegistryOperation } from './registry.js';
import type { RemovalLimiter } from './removal-limiter.js';
import type { FrameworkConnection } from './framework-connection.js';
import type { FrameworkRecord, MasterState } from './state.js';
import type { LeadershipInternal, LeadershipView } from './zk/ha.js';

/** The master's own messages: its timers, the exits of what it links to, and what its agents' observers report. */
export type MasterInternal =
  /** Timer `failover:<framework id>`: the framework stayed disconnected for its failover_timeout. */
  | { name: '_FrameworkFailoverTimeout'; framework_id: string }
  /** Timer `offer:<offer id>`: the offer was outstanding for offer_timeout. */
  | { name: '_OfferTimeout'; offer_id: string }
  /** Timer `heartbeat:<framework id>`: the next HEARTBEAT on the framework's HTTP stream `connection`. */
  | { name: '_SchedulerHeartbeat'; framework_id: string; connection: string }
  /** Timer `recovered-agents`: agents from before a restart had agent_reregister_timeout to come back. */
  | { name: '_RecoveredAgentsTimeout' }
  /** Link: the scheduler at `pid` terminated or became unreachable. */
  | { name: '_FrameworkExited'; framework_id: string; pid: Pid }
  /** Link: the agent at `pid` terminated or became unreachable. */
  | { name: '_AgentExited'; agent_id: string; pid: Pid }
  /** From an agent's observer: it missed `missed` pongs in a row. */
  | { name: '_AgentUnhealthy'; agent_id: string; missed: number }
  /** From an agent's observer: the agent stayed disconnected for agent_reregister_timeout. */
  | { name: '_AgentReregisterTimeout'; agent_id: string }
  /** From an agent's observer: it answered again after it was reported unhealthy (with --agent_removal_rate_limit). */
  | { name: '_AgentHealthy'; agent_id: string }
  /** Timer `removal-permit`: the removal rate limiter's next permit is due. */
  | { name: '_RemovalPermit' }
  /** Timer `registry-gc`: every registry_gc_interval, old unreachable and gone agents leave the registry. */
  | { name: '_RegistryGc' }
  // A call the schema refused, reduced to what an answer needs (its body is not trusted)
  | { name: '_InvalidCall'; call: string; sender: Pid; framework_id: string | undefined; offer_ids: string[]; task_ids: string[]; problem: string }
  /** From the registry: the store that contains operation `seq` is durable; its continuation runs. */
  | { name: '_RegistryStored'; seq: number }
  /** From the registry: the store that contains operation `seq` failed (fatal for the master). */
  | { name: '_RegistryFailed'; seq: number; error: string };

/** Everything the Master actor handles: its peers' protocol, the allocator's offers, its own messages. */
export type MasterActorInbox = MasterInbox | AllocatorOffers | MasterInternal | LeadershipInternal;

/** Keys of the master's timers: one per framework failover, one per offer, one for recovery. */
export const timerKeys = {
  failover: (frameworkId: string): string => `failover:${frameworkId}`,
  offer: (offerId: string): string => `offer:${offerId}`,
  heartbeat: (frameworkId: string): string => `heartbeat:${frameworkId}`,
  recoveredAgents: 'recovered-agents',
} as const;

/**
 * The one place a sender's address (an envelope's `from`, untyped) becomes the typed pid of
 * the peer it registered as: a scheduler, an agent. Typing it is what lets every later send to
 * it be checked against that peer's inbox.
 */
export function peerPid<In extends Message>(from: Pid): Pid<In> {
  return from as Pid<In>;
}

/** What the master's modules act through: its state and the Master actor's powers. */
export interface MasterContext {
  readonly id: string;
  readonly self: Pid<MasterActorInbox>;
  readonly info: MasterInfo;
  /** When the master started (ms on its clock). */
  readonly startedAt: number;
  readonly state: MasterState;
  readonly opts: ResolvedMasterOptions;
  readonly registry: Registry;
  /** `--agent_removal_rate_limit`'s limiter; undefined without the flag. */
  readonly removals: RemovalLimiter | undefined;
  /** Whether this master leads (always, without --zk), and who does. */
  readonly leadership: LeadershipView;
  /**
   * Applies `op` to the registry and runs `then` (in a later message) once it is stored, as
   * Mesos's master continues in _registerSlave, _markUnreachable, _removeSlave.
   */
  store(op: RegistryOperation, then: () => void): void;
  /**
   * Agents with a registry operation in flight: pids registering, ids re-registering, ids being
   * marked unreachable or removed (Mesos's slaves.registering, reregistering, markingUnreachable
   * and removing). A registration or re-registration of one of them is ignored until it is
   * stored; the agent retries.
   */
  readonly pending: { registering: Set<string>; reregistering: Set<string>; leaving: Set<string> };
  readonly metrics: MasterMetrics;
  readonly log: Logger;
  /** The allocator actor. */
  readonly allocator: Pid<AllocatorInbox>;
  /** Counters behind the ids the master hands out. */
  readonly ids: { framework: number; agent: number; offer: number };
  /** Sends to a typed pid only what its inbox accepts. */
  send<T extends Message, M extends Message = T>(to: Pid<T>, msg: Accepts<T, M>): void;
  /** Links to `pid`; its exit arrives once as `msg` (naming what died). */
  linkWith(pid: Pid, msg: MasterInternal): void;
  /** Arms the timer `key` (replacing any armed under it); a replaced or cancelled timer's message is never handled. */
  startTimer(key: string, ms: number, msg: MasterInternal): void;
  cancelTimer(key: string): void;
  now(): number;
  /** Serves an HTTP endpoint as /master/<path> (and /<path>). */
  route(path: string, handler: HttpHandler): void;
  /** Starts the observer that checks an agent's health; its pid. */
  spawnObserver(agentId: string, agentPid: Pid<AgentInbox>, connected: boolean): Pid<ObserverInbox>;
  terminate(pid: Pid): void;
  /** The principal `pid`'s connection proved at its handshake; undefined if none. */
  principalOf(pid: Pid | ''): string | undefined;
}

/** Named causes of a refusal, counted as `master/dropped_messages/<cause>`. */
export type DropCause = 'not_from_framework' | 'not_from_agent' | 'unauthenticated' | 'unauthorized' | 'failover_principal';

/**
 * The framework a call comes from, or undefined (dropped and counted) when it is unknown or
 * the sender is not its current pid, as Mesos's master checks `framework->pid == from`.
 * With `mustBeConnected`, a disconnected framework gets "Framework disconnected".
 */
export function callingFramework(ctx: MasterContext, call: string, frameworkId: string, from: Pid | '', mustBeConnected: boolean): FrameworkRecord | undefined {
  const fw = ctx.state.frameworks.get(frameworkId);
  if (fw === undefined) {
    dropped(ctx, call, `framework ${frameworkId} is unknown`);
    return undefined;
  }
  if (from === '' || fw.conn?.id !== from) {
    dropped(ctx, call, `it is not from framework ${frameworkId}'s current connection (${fw.conn?.id ?? 'none'}), but from ${from || 'nobody'}`, 'not_from_framework');
    return undefined;
  }
  if (mustBeConnected && !fw.connected) {
    if (fw.conn !== undefined) frameworkError(ctx, fw.conn, 'Framework disconnected');
    return undefined;
  }
  return fw;
}

export function frameworkError(ctx: MasterContext, to: FrameworkConnection, message: string): void {
  ctx.log.warn({ to: to.id, message }, 'framework error');
  to.send({ name: 'FrameworkError', message });
}

/** Sends to the framework's scheduler, over whichever transport it is connected by. */
export function toScheduler(fw: FrameworkRecord, msg: SchedulerInbox): void {
  if (fw.connected) fw.conn?.send(msg);
}

export function dropped(ctx: MasterContext, message: string, why: string, cause?: DropCause): void {
  ctx.metrics.droppedMessages.inc();
  if (cause !== undefined) ctx.metrics.droppedFor(cause);
  ctx.log.warn({ message, why, ...(cause !== undefined ? { cause } : {}) }, `dropping ${message}`);
}

/** A status the master makes up for a task (source MASTER, no uuid: never acknowledged). */
export function masterStatus(ctx: MasterContext, task: Task, state: TaskState, reason: TaskStatusReason, message: string): TaskStatus {
  return taskStatus({ task_id: task.task_id, state, source: 'SOURCE_MASTER', reason, message, agent_id: task.agent_id, executor_id: task.executor_id, timestamp: nowSecs(ctx) });
}

/** Master-generated updates go only to connected frameworks and are lost otherwise, as in Mesos. */
export function sendMasterUpdate(ctx: MasterContext, fw: FrameworkRecord, status: TaskStatus): void {
  toScheduler(fw, {
    name: 'StatusUpdate',
    update: {
      framework_id: { value: fw.id },
      ...(status.agent_id !== undefined ? { agent_id: status.agent_id } : {}),
      ...(status.executor_id !== undefined ? { executor_id: status.executor_id } : {}),
      status,
      timestamp: status.timestamp ?? nowSecs(ctx),
    },
    pid: '',
  });
}

export function recoverResources(ctx: MasterContext, frameworkId: string, agentId: string, resources: Resources, filters?: { refuse_seconds?: number }): void {
  if (resources.isEmpty()) return;
  toAllocator(ctx, { name: 'AllocatorRecoverResources', framework_id: frameworkId, agent_id: agentId, resources, ...(filters !== undefined ? { filters } : {}) });
}

/** Resources as the allocator needs them: tagged with the framework's role where untagged. */
export function taggedFor(fw: FrameworkRecord, resources: readonly Resource[]): Resources {
  const role = fw.roles[0] ?? '*';
  try {
    return Resources.fromJSON(allocateAll(resources, role));
  } catch {
    return Resources.EMPTY;
  }
}

export function toAllocator(ctx: MasterContext, msg: AllocatorInbox): void {
  ctx.send(ctx.allocator, msg);
}

export function nowSecs(ctx: MasterContext): number {
  return ctx.now() / 1000;
}

export function allocateAll(resources: readonly Resource[], role: string): Resource[] {
  return resources.map((r) => (r.allocation_info?.role !== undefined ? r : { ...r, allocation_info: { role } }));
}
