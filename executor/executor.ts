// What an executor program implements (Executor) and what it calls (ExecutorDriver): Mesos's v0
// executor API (include/mesos/executor.hpp) with TypeScript types, "agent" wording, and callbacks
// that may be async, run one at a time (the drivers' shared callback queue).

import type { AgentInfo, ExecutorInfo, FrameworkInfo, KillPolicy, TaskGroupInfo, TaskID, TaskInfo, TaskStatus } from '../protocol/index.js';
import type { CallbackResult, Status } from '../driver/index.js';

export type { CallbackResult, Status };

/**
 * Each callback receives the driver first. A callback may return a Promise, which the driver
 * awaits before the next callback; one that throws or rejects aborts the driver and `error` is
 * called with what it threw.
 */
export interface Executor {
  /** The agent accepted the registration. */
  registered(driver: ExecutorDriver, executorInfo: ExecutorInfo, frameworkInfo: FrameworkInfo, agentInfo: AgentInfo): CallbackResult;
  /** A restarted agent recovered this executor and accepted its re-registration. */
  reregistered(driver: ExecutorDriver, agentInfo: AgentInfo): CallbackResult;
  /** The agent went away while the framework checkpoints: the driver waits for it to come back. */
  disconnected(driver: ExecutorDriver): CallbackResult;
  launchTask(driver: ExecutorDriver, task: TaskInfo): CallbackResult;
  /**
   * Optional: tasks that start together (the v1 API's LAUNCH_GROUP, sent to DEFAULT executors).
   * An executor without it has each task of a group failed by its driver.
   */
  launchTaskGroup?(driver: ExecutorDriver, taskGroup: TaskGroupInfo): CallbackResult;
  /**
   * The executor must send the terminal update (TASK_KILLED) itself. `killPolicy` is the kill
   * request's own policy, if it had one: Mesos's v0 API drops it, its v1 API passes it on.
   */
  killTask(driver: ExecutorDriver, taskId: TaskID, killPolicy?: KillPolicy): CallbackResult;
  frameworkMessage(driver: ExecutorDriver, data: Uint8Array): CallbackResult;
  /** Kill every task and return (or resolve) once they are gone; the driver then stops. */
  shutdown(driver: ExecutorDriver): CallbackResult;
  /** Unrecoverable: the driver is already aborted when this runs. */
  error(driver: ExecutorDriver, message: string): CallbackResult;
  /** Optional: the agent acknowledged an update (v1's ACKNOWLEDGED event; v0 has no such callback). */
  acknowledged?(driver: ExecutorDriver, taskId: TaskID, uuid: Uint8Array): CallbackResult;
}

export interface ExecutorDriver {
  start(): Promise<Status>;
  stop(): Promise<Status>;
  abort(): Promise<Status>;
  join(): Promise<Status>;
  run(): Promise<Status>;
  /**
   * Fills in uuid (16 random bytes), timestamp, source, executor and agent ids, sends the update
   * to the agent, and keeps it until the agent acknowledges it (resent on re-registration).
   */
  sendStatusUpdate(status: TaskStatus): Status;
  sendFrameworkMessage(data: Uint8Array): Status;
}
