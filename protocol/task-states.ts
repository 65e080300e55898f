// Task states, which of them are terminal, the reasons and sources a TaskStatus carries, and a
// builder for TaskStatus. Enum values are the strings of Mesos's v1 API (`TASK_RUNNING`,
// `SOURCE_AGENT`, `REASON_AGENT_REMOVED`), so they appear unchanged in messages, /state and traces.

import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';
import type { AgentID, CheckStatusInfo, ExecutorID, Labels, TaskID, TaskStatus, TimeInfo } from './types.js';

/** A TypeBox union of string literals, keeping the literal types for `Static`. */
export function literalUnion<const T extends readonly string[]>(values: T): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v))) as TUnion<TLiteral<T[number]>[]>;
}

export const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
] as const;

export const TaskStateSchema = literalUnion(TASK_STATES);
export type TaskState = Static<typeof TaskStateSchema>;

/**
 * States after which a task never runs again. TASK_LOST and TASK_GONE_BY_OPERATOR are terminal
 * even though such a task can come back when its agent re-registers: the master still treats
 * them as final and recovers their resources (as Mesos's isTerminalState does).
 */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export function isTerminalState(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/** States sent only to PARTITION_AWARE frameworks; the others get TASK_LOST instead. */
export const PARTITION_AWARE_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

/** The state a framework is told: TASK_LOST replaces the partition-aware states for frameworks without the capability. */
export function stateForFramework(state: TaskState, partitionAware: boolean): TaskState {
  return partitionAware || !PARTITION_AWARE_STATES.has(state) ? state : 'TASK_LOST';
}

export const TASK_STATUS_SOURCES = ['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'] as const;
export const TaskStatusSourceSchema = literalUnion(TASK_STATUS_SOURCES);
export type TaskStatusSource = Static<typeof TaskStatusSourceSchema>;

/**
 * Every reason of Mesos's v1 `TaskStatus.Reason`. The v1 API already says AGENT where the
 * internal v0 protobufs say SLAVE (`REASON_AGENT_REMOVED`, not `REASON_SLAVE_REMOVED`), so the
 * exact v1 strings are also the ones that keep to "agent, never slave".
 */
export const TASK_STATUS_REASONS = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_LIMITATION',
  'REASON_CONTAINER_LIMITATION_DISK',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_CONTAINER_PREEMPTED',
  'REASON_CONTAINER_UPDATE_FAILED',
  'REASON_MAX_COMPLETION_TIME_REACHED',
  'REASON_EXECUTOR_REGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_GC_ERROR',
  'REASON_INVALID_FRAMEWORKID',
  'REASON_INVALID_OFFERS',
  'REASON_IO_SWITCHBOARD_EXITED',
  'REASON_MASTER_DISCONNECTED',
  'REASON_RECONCILIATION',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_DRAINING',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_REMOVED_BY_OPERATOR',
  'REASON_AGENT_REREGISTERED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_GROUP_INVALID',
  'REASON_TASK_GROUP_UNAUTHORIZED',
  'REASON_TASK_INVALID',
  'REASON_TASK_UNAUTHORIZED',
  'REASON_TASK_UNKNOWN',
] as const;

export const TaskStatusReasonSchema = literalUnion(TASK_STATUS_REASONS);
export type TaskStatusReason = Static<typeof TaskStatusReasonSchema>;

/** What `taskStatus()` takes: optional fields may be given as `undefined` and are then left out. */
export interface TaskStatusInit {
  task_id: TaskID;
  state: TaskState;
  source: TaskStatusSource;
  /** Seconds since the epoch, from the caller's clock (`clock.now() / 1000`). */
  timestamp: number;
  reason?: TaskStatusReason | undefined;
  message?: string | undefined;
  agent_id?: AgentID | undefined;
  executor_id?: ExecutorID | undefined;
  /** 16 raw bytes; only for updates that are delivered reliably and acknowledged. */
  uuid?: Uint8Array | undefined;
  data?: Uint8Array | undefined;
  healthy?: boolean | undefined;
  check_status?: CheckStatusInfo | undefined;
  labels?: Labels | undefined;
  unreachable_time?: TimeInfo | undefined;
}

/**
 * Builds a TaskStatus, leaving out the optional fields that are undefined (the type forbids
 * explicit undefined under exactOptionalPropertyTypes, and the wire should not carry them).
 */
export function taskStatus(init: TaskStatusInit): TaskStatus {
  const status: TaskStatus = {
    task_id: init.task_id,
    state: init.state,
    source: init.source,
    timestamp: init.timestamp,
  };
  if (init.reason !== undefined) status.reason = init.reason;
  if (init.message !== undefined) status.message = init.message;
  if (init.agent_id !== undefined) status.agent_id = init.agent_id;
  if (init.executor_id !== undefined) status.executor_id = init.executor_id;
  if (init.uuid !== undefined) status.uuid = init.uuid;
  if (init.data !== undefined) status.data = init.data;
  if (init.healthy !== undefined) status.healthy = init.healthy;
  if (init.check_status !== undefined) status.check_status = init.check_status;
  if (init.labels !== undefined) status.labels = init.labels;
  if (init.unreachable_time !== undefined) status.unreachable_time = init.unreachable_time;
  return status;
}
