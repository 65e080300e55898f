// What the Agent actor's parts share: its protocol (the inbox from protocol/inboxes.ts and the
// private messages its timers, links and async work bring back), the agent's own state
// (identity, lifecycle, frameworks), and the actor's capabilities (typed send, keyed timers,
// linkWith, pipeToSelf), handed to each part as one context.

import type { Volumes } from './volumes.js';
import type { Logger } from 'pino';
import type { Message, Pid } from '../runtime/index.js';
import type { AgentInbox, AgentInfo, ExecutorInbox, MasterInbox, TaskState, TaskStatusUpdate } from '../protocol/index.js';
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
import type { Containers } from './containers.js';
import type { GarbageCollector } from './gc.js';

/**
 * Names one run (container) of one executor. A launch result, a container's end or an
 * executor's exit names the run it is about; one about an earlier run finds no executor.
 */
export interface ExecutorKey {
  frameworkId: string;
  executorId: string;
  containerId: string;
}

/**
 * The messages the agent sends itself: timer firings (each under a key of `timers`, so one
 * cancelled or restarted never arrives), exits of linked peers naming what died, and the
 * outcomes of async work. Private to the agent.
 */
export type Internal =
  | { name: '_RegistrationRetry'; backoffMs: number }
  | { name: '_PingTimeout' }
  | { name: '_MasterExited' }
  /** From the agent's master detector (`--master=zk://…`): who leads now (undefined: nobody). */
  | { name: '_MasterDetected'; pid: string | undefined }
  | ({ name: '_ContainerLaunched'; container: Container } & ExecutorKey)
  | ({ name: '_ContainerLaunchFailed'; message: string } & ExecutorKey)
  | ({ name: '_ContainerTerminated'; termination: Termination } & ExecutorKey)
  | ({ name: '_SandboxReady' } & ExecutorKey)
  /** A later task's persistent volumes are linked into its running executor's sandbox (error: they could not be). */
  | ({ name: '_TaskVolumesLinked'; taskId: string; error: string | undefined } & ExecutorKey)
  | ({ name: '_ExecutorRegistrationTimeout' } & ExecutorKey)
  | ({ name: '_ExecutorShutdownTimeout' } & ExecutorKey)
  | ({ name: '_ExecutorExited'; pid: Pid<ExecutorInbox> } & ExecutorKey)
  | ({ name: '_ExecutorReconnectRetry' } & ExecutorKey)
  /** The next HEARTBEAT on an HTTP executor's stream, if `connection` is still its connection. */
  | ({ name: '_ExecutorHeartbeat'; connection: string } & ExecutorKey)
  | { name: '_ExecutorReregistrationTimeout' }
  | { name: '_HostLaunched'; frameworkId: string; containerId: string; container: Container }
  | { name: '_HostLaunchFailed'; frameworkId: string; containerId: string; message: string }
  | { name: '_HostTerminated'; frameworkId: string; containerId: string; termination: Termination }
  | { name: '_HostRegistrationTimeout'; frameworkId: string; containerId: string }
  | { name: '_HostShutdownTimeout'; frameworkId: string; containerId: string }
  | { name: '_HostExited'; frameworkId: string; containerId: string }
  | { name: '_StatusUpdateRetry'; frameworkId: string; taskId: string }
  | { name: '_UpdateCheckpointed'; update: TaskStatusUpdate; ackTo: Pid<ExecutorInbox> | undefined }
  | { name: '_CheckpointWritten'; what: string; error: string | undefined }
  | { name: '_ShutdownTimeout' }
  | { name: '_GracefulShutdown'; why: string }
  | { name: '_LimitationChecked'; update: TaskStatusUpdate; ackTo: Pid<ExecutorInbox> | undefined }
  | { name: '_ContainersRecovered'; destroyed: string[]; error?: string }
  | { name: '_GcSandboxes' }
  | { name: '_GcDiskUsage'; usage: number | undefined };

export type AgentMessage = AgentInbox | Internal;

/** The keys of the agent's timers: one timer per key, restarting a key replaces its timer. */
export const timers = {
  registration: 'registration',
  ping: 'ping',
  shutdown: 'shutdown',
  executorReregistration: 'executor-reregistration',
  executorRegistration: (containerId: string) => `executor-registration ${containerId}`,
  executorShutdown: (containerId: string) => `executor-shutdown ${containerId}`,
  executorReconnect: (containerId: string) => `executor-reconnect ${containerId}`,
  executorHeartbeat: (containerId: string) => `executor-heartbeat ${containerId}`,
  hostRegistration: (containerId: string) => `host-registration ${containerId}`,
  hostShutdown: (containerId: string) => `host-shutdown ${containerId}`,
  statusUpdateRetry: (frameworkId: string, taskId: string) => `status-update-retry ${frameworkId}\u0000${taskId}`,
} as const;

/** Only what a pid whose inbox is known accepts: an untyped pid accepts nothing. */
export type SendTo<T extends Message> = Message extends T ? never : NoInfer<T>;

/** RECOVERING: rebuilding from checkpoints and waiting for executors to re-register, before registering. */
/** Named causes of a refusal by sender, counted as `slave/dropped_messages/<cause>`. */
export type DropCause = 'not_from_master' | 'not_from_executor' | 'not_from_agent' | 'unauthenticated';

export type AgentStateName = 'RECOVERING' | 'DISCONNECTED' | 'RUNNING' | 'TERMINATING';

/** The parts of the agent, each owning one of Mesos's concerns; they call one another through here. */
export interface AgentParts {
  readonly checkpointer: Checkpointer;
  readonly executors: Executors;
  readonly hosts: ExecutorHosts;
  readonly tasks: Tasks;
  readonly registration: Registration;
  readonly recovery: Recovery;
  readonly containers: Containers;
  readonly gc: GarbageCollector;
  readonly volumes: Volumes;
}

export interface AgentContext {
  readonly config: AgentConfig;
  readonly containerizer: Containerizer;
  readonly files: FileRoots;
  readonly updates: StatusUpdateManager;
  readonly counters: AgentCounters;
  /** The leading master; NO_MASTER while a detector knows none. */
  masterPid: Pid<MasterInbox>;
  readonly frameworks: Map<string, FrameworkState>;
  readonly completedFrameworks: FrameworkState[];
  /** Set once the master assigned it, or from the checkpoint on recovery. */
  agentId: string | undefined;
  state: AgentStateName;
  readonly parts: AgentParts;

  readonly self: Pid<AgentMessage>;
  readonly log: Logger;
  now(): number;
  /** The id of the message being handled now, handed to executors so that traces follow into them. */
  cause(): string | null;
  /** A uniform random number in [0, 1) from the runtime's injected source (registration backoff). */
  random(): number;
  /** Sends to a peer whose inbox is known: a message it does not accept fails to compile. */
  send<T extends Message>(to: Pid<T>, msg: SendTo<T>): void;
  /** The peer's exit (or lost connection) arrives once, as `msg`. */
  linkWith(pid: Pid, msg: Internal): void;
  /** No exit of pid arrives afterwards, even one already queued. */
  unlink(pid: Pid): void;
  /** Delivers msg after ms unless the timer `key` (one of `timers`) is restarted or cancelled first. */
  startTimer(key: string, ms: number, msg: Internal): void;
  cancelTimer(key: string): void;
  isTimerActive(key: string): boolean;
  pipeToSelf<T>(promise: Promise<T>, ok: (value: T) => Internal, fail: (error: unknown) => Internal): void;
  /** Brings a container's end back into the actor as the message `done` builds. */
  watch(container: Container, done: (t: Termination) => Internal): void;

  agentInfo(): AgentInfo;
  /** A message dropped with a warning and counted (Mesos's handling of unexpected peer input). */
  dropped(name: string, from: Pid | '', why: string, reason?: DropCause): void;
  /** True if `from` is the master; otherwise drops the message and returns false. */
  fromMaster(from: Pid | '', name: string): boolean;
  /** The principal `pid`'s connection proved at its handshake; undefined if none. */
  principalOf(pid: Pid | ''): string | undefined;
  partitionState(state: TaskState, f: FrameworkState | undefined): TaskState;
  /** Ends the agent actor now: a master that confuses agent identities leaves nothing safe to do (Mesos exits too). */
  fatal(message: string): void;
  /** Terminates once the last framework and executor host are gone, while shutting down. */
  maybeFinishShutdown(): void;
}

/** Only the ids of an internal message: spreading the message itself would carry its name along. */
export function keyOf(m: ExecutorKey): ExecutorKey {
  return { frameworkId: m.frameworkId, executorId: m.executorId, containerId: m.containerId };
}
