// What the Agent actor's parts share: its protocol (the inbox and the internal messages its
// timers and async work bring back), the agent's own state (identity, lifecycle, frameworks),
// and the actor's capabilities (send, timers, pipeToSelf), handed to each part as one context.

import type { Logger } from 'pino';
import type { Cancel, Message, Pid } from '../runtime/index.js';
import type {
  AgentInfo,
  AgentRegistered,
  AgentReregistered,
  ExecutorToFramework,
  FrameworkToExecutor,
  KillTask,
  PingAgent,
  RegisterExecutor,
  RegisterExecutorHost,
  ReregisterExecutor,
  RunTask,
  Shutdown,
  ShutdownExecutor,
  ShutdownFramework,
  StatusUpdate,
  StatusUpdateAcknowledgement,
  TaskState,
  TaskStatusUpdate,
  UpdateFramework,
} from '../protocol/index.js';
import type { Container, Containerizer, Termination } from './containerizer/index.js';
import type { FileRoots } from './files.js';
import type { AgentCounters } from './metrics.js';
import type { AgentConfig } from './options.js';
import type { FrameworkState } from './state.js';
import type { StatusUpdateManager } from './status-update-manager.js';
import type { Checkpointer } from './checkpointer.js';
import type { Executors } from './executors.js';
import type { ExecutorHosts } from './executor-hosts.js';
import type { Tasks } from './tasks.js';
import type { Registration } from './registration.js';
import type { Recovery } from './recovery.js';

export type AgentInbox =
  | AgentRegistered
  | AgentReregistered
  | PingAgent
  | Shutdown
  | RunTask
  | KillTask
  | StatusUpdate
  | StatusUpdateAcknowledgement
  | ShutdownFramework
  | ShutdownExecutor
  | UpdateFramework
  | FrameworkToExecutor
  | ExecutorToFramework
  | RegisterExecutor
  | ReregisterExecutor
  | RegisterExecutorHost;

/** Names one run (container) of one executor; a stale timer or launch result names an old run. */
export interface ExecutorKey {
  frameworkId: string;
  executorId: string;
  containerId: string;
}

export type Internal =
  | { name: '_RegistrationRetry'; generation: number; backoffMs: number }
  | { name: '_PingTimeout'; generation: number }
  | ({ name: '_ContainerLaunched'; container: Container } & ExecutorKey)
  | ({ name: '_ContainerLaunchFailed'; message: string } & ExecutorKey)
  | ({ name: '_ContainerTerminated'; termination: Termination } & ExecutorKey)
  | ({ name: '_SandboxReady' } & ExecutorKey)
  | ({ name: '_ExecutorRegistrationTimeout' } & ExecutorKey)
  | ({ name: '_ExecutorShutdownTimeout' } & ExecutorKey)
  | { name: '_ExecutorReregistrationTimeout' }
  | { name: '_HostLaunched'; frameworkId: string; containerId: string; container: Container }
  | { name: '_HostLaunchFailed'; frameworkId: string; containerId: string; message: string }
  | { name: '_HostTerminated'; frameworkId: string; containerId: string; termination: Termination }
  | { name: '_HostRegistrationTimeout'; frameworkId: string; containerId: string }
  | { name: '_HostShutdownTimeout'; frameworkId: string; containerId: string }
  | { name: '_StatusUpdateRetry'; frameworkId: string; taskId: string; uuid: string }
  | { name: '_UpdateCheckpointed'; update: TaskStatusUpdate; ackTo: Pid | undefined }
  | { name: '_CheckpointWritten'; what: string; error: string | undefined }
  | { name: '_ShutdownTimeout' };

export type AgentMessage = AgentInbox | Internal;

/** RECOVERING: rebuilding from checkpoints and waiting for executors to re-register, before registering. */
export type AgentStateName = 'RECOVERING' | 'DISCONNECTED' | 'RUNNING' | 'TERMINATING';

/** The parts of the agent, each owning one of Mesos's concerns; they call one another through here. */
export interface AgentParts {
  readonly checkpointer: Checkpointer;
  readonly executors: Executors;
  readonly hosts: ExecutorHosts;
  readonly tasks: Tasks;
  readonly registration: Registration;
  readonly recovery: Recovery;
}

export interface AgentContext {
  readonly config: AgentConfig;
  readonly containerizer: Containerizer;
  readonly files: FileRoots;
  readonly updates: StatusUpdateManager;
  readonly counters: AgentCounters;
  readonly masterPid: Pid;
  readonly frameworks: Map<string, FrameworkState>;
  readonly completedFrameworks: FrameworkState[];
  /** Registration backoff's source of randomness (Math.random unless injected). */
  readonly random: () => number;
  /** Set once the master assigned it, or from the checkpoint on recovery. */
  agentId: string | undefined;
  state: AgentStateName;
  readonly parts: AgentParts;

  readonly self: Pid;
  readonly log: Logger;
  now(): number;
  /** The id of the message being handled now, handed to executors so that traces follow into them. */
  cause(): string | null;
  send<M extends Message>(to: Pid, msg: M): void;
  link(pid: Pid): void;
  delay(ms: number, msg: Internal): Cancel;
  pipeToSelf<T>(promise: Promise<T>, ok: (value: T) => Internal, fail: (error: unknown) => Internal): void;
  /** Brings a container's end back into the actor as the message `done` builds. */
  watch(container: Container, done: (t: Termination) => Internal): void;

  agentInfo(): AgentInfo;
  /** A message dropped with a warning and counted (Mesos's handling of unexpected peer input). */
  dropped(name: string, from: Pid | '', why: string): void;
  /** True if `from` is the master; otherwise drops the message and returns false. */
  fromMaster(from: Pid | '', name: string): boolean;
  partitionState(state: TaskState, f: FrameworkState | undefined): TaskState;
  /** Ends the agent actor now, for a broken invariant (a master confusing identities). */
  fatal(message: string): void;
  /** Terminates once the last framework and executor host are gone, while shutting down. */
  maybeFinishShutdown(): void;
}

/** Only the ids of an internal message: spreading the message itself would carry its name along. */
export function keyOf(m: ExecutorKey): ExecutorKey {
  return { frameworkId: m.frameworkId, executorId: m.executorId, containerId: m.containerId };
}
