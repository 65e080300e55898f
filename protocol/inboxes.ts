// What each Mesos actor accepts from its peers, as unions of protocol messages: the types a
// typed Pid (`Pid<MasterInbox>`) is checked against. An actor's own inbox may add its internal
// messages (timers, `_`-prefixed) and in-process ones (the allocator's offers to the master).

import type {
  Accept,
  AgentRegistered,
  AgentReregistered,
  Decline,
  DeactivateFramework,
  ExecutorRegistered,
  ExecutorReregistered,
  ExecutorToFramework,
  ExitedExecutor,
  FrameworkError,
  FrameworkRegistered,
  FrameworkReregistered,
  FrameworkToExecutor,
  KillTask,
  LaunchExecutor,
  LaunchTasks,
  LostAgent,
  PingAgent,
  PongAgent,
  ReconcileTasks,
  ReconnectExecutor,
  RegisterAgent,
  RegisterExecutor,
  RegisterExecutorHost,
  RegisterFramework,
  RescindResourceOffer,
  ResourceOffers,
  ResourceRequestMessage,
  ReregisterAgent,
  ReregisterExecutor,
  ReregisterFramework,
  ReviveOffers,
  RunTask,
  RunTaskGroup,
  Shutdown,
  ShutdownExecutor,
  ShutdownExecutorHost,
  ShutdownFramework,
  StatusUpdate,
  StatusUpdateAcknowledgement,
  SuppressOffers,
  UnregisterAgent,
  CheckpointResources,
  UnregisterFramework,
  UpdateFramework,
} from './messages.js';

/** The master: from schedulers, agents and executors (relayed framework messages). */
export type MasterInbox =
  | RegisterFramework
  | ReregisterFramework
  | UnregisterFramework
  | DeactivateFramework
  | LaunchTasks
  | Accept
  | Decline
  | ReviveOffers
  | SuppressOffers
  | ResourceRequestMessage
  | KillTask
  | StatusUpdate
  | StatusUpdateAcknowledgement
  | ReconcileTasks
  | FrameworkToExecutor
  | ExecutorToFramework
  | RegisterAgent
  | ReregisterAgent
  | UnregisterAgent
  | PongAgent
  | ExitedExecutor;

/** An agent: from the master, its executors and executor hosts. */
export type AgentInbox =
  | AgentRegistered
  | AgentReregistered
  | PingAgent
  | CheckpointResources
  | Shutdown
  | RunTask
  | RunTaskGroup
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

/** A scheduler driver: from the master (and executors' messages, through it or directly). */
export type SchedulerInbox =
  | FrameworkRegistered
  | FrameworkReregistered
  | FrameworkError
  | ResourceOffers
  | RescindResourceOffer
  | StatusUpdate
  | LostAgent
  | ExitedExecutor
  | ExecutorToFramework;

/** An executor driver: from its agent. */
export type ExecutorInbox =
  | ExecutorRegistered
  | ExecutorReregistered
  | ReconnectExecutor
  | RunTask
  | RunTaskGroup
  | KillTask
  | StatusUpdateAcknowledgement
  | FrameworkToExecutor
  | ShutdownExecutor;

/** An executor host (many TypeScript executors in one process): from its agent. */
export type ExecutorHostInbox = LaunchExecutor | ShutdownExecutorHost;
