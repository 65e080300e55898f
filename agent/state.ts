// What the agent knows of its frameworks, executors and tasks, as Mesos's agent keeps it: per
// executor the tasks queued (waiting for registration), launched, terminated (terminal update
// not yet acknowledged) and completed; completed executors and frameworks are kept, bounded,
// for /state. Plain data; the Agent actor's parts change it.

import type { Pid } from '../runtime/index.js';
import {
  Resources,
  safeResources,
  isTerminalState,
  newTask,
  type ExecutorHostInbox,
  type ExecutorInbox,
  type ExecutorInfo,
  type FrameworkInfo,
  type SchedulerInbox,
  type Task,
  type TaskInfo,
  type TaskStatus,
} from '../protocol/index.js';
import type { Container } from './containerizer/index.js';
import type { ExecutorConnection } from './executor-connection.js';
import { schedulerPid } from './pids.js';

/** Mesos's bounds on what the agent remembers of finished work. */
export const MAX_COMPLETED_FRAMEWORKS = 50;
export const MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK = 150;
export const MAX_COMPLETED_TASKS_PER_EXECUTOR = 200;

export type ExecutorStateName = 'REGISTERING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED';

/** custom: the framework's own program in its own container; command: an actor in the framework's executor host. */
export type ExecutorKind = 'custom' | 'command';

export class ExecutorState {
  state: ExecutorStateName = 'REGISTERING';
  /** Set once it registers (or re-registers after an agent restart); an HTTP executor's is gone while it is disconnected. */
  conn: ExecutorConnection | undefined;
  container: Container | undefined;
  /** For command executors: the host running them, and its OS pid (checkpointed as forked.pid). */
  hostContainerId: string | undefined;
  hostOsPid: number | undefined;
  readonly queuedTasks = new Map<string, TaskInfo>();
  /** Task groups waiting for the executor to register, by their tasks' ids: each goes out as one RunTaskGroup. */
  readonly queuedGroups: string[][] = [];
  readonly launchedTasks = new Map<string, Task>();
  readonly terminatedTasks = new Map<string, Task>();
  readonly completedTasks: Task[] = [];
  /**
   * Recovered from checkpoints after an agent restart, or its connection lost while its process
   * runs: until it re-registers (or its process ends, or the agent gives up on it).
   */
  awaitingReregistration = false;
  /** Where ReconnectExecutor goes while it is awaited, and until when (epoch ms) it is sent again. */
  reconnectTo: Pid<ExecutorInbox> | undefined;
  reconnectUntil = 0;
  /** Why the agent ended it, to give its unfinished tasks (Mesos's container termination reason). */
  terminationReason: 'REASON_EXECUTOR_REGISTRATION_TIMEOUT' | 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT' | undefined;
  /** How the executor ended (for ExitedExecutor and /state). */
  exitStatus: number | undefined;

  constructor(
    readonly frameworkId: string,
    readonly info: ExecutorInfo,
    readonly kind: ExecutorKind,
    readonly containerId: string,
    readonly directory: string,
    readonly checkpoint: boolean,
  ) {}

  get id(): string {
    return this.info.executor_id.value;
  }

  /** Tasks not yet completed: queued, launched, or terminal but unacknowledged. */
  get incompleteTasks(): number {
    return this.queuedTasks.size + this.launchedTasks.size + this.terminatedTasks.size;
  }

  /** The Task of a task id known to this executor (queued ones are not Tasks yet). */
  task(taskId: string): Task | undefined {
    return this.launchedTasks.get(taskId) ?? this.terminatedTasks.get(taskId);
  }

  hasTask(taskId: string): boolean {
    return this.queuedTasks.has(taskId) || this.launchedTasks.has(taskId) || this.terminatedTasks.has(taskId);
  }

  /**
   * Records a status on the task; a terminal one moves it to terminatedTasks. Returns false if
   * the task already had a terminal update (Mesos drops everything after the first).
   */
  updateTaskState(status: TaskStatus): boolean {
    const id = status.task_id.value;
    if (this.terminatedTasks.has(id) || this.completedTasks.some((t) => t.task_id.value === id)) return false;
    let task = this.launchedTasks.get(id);
    if (!task) {
      const queued = this.queuedTasks.get(id);
      if (!queued) return true;
      this.queuedTasks.delete(id);
      task = newTask(queued, this.frameworkId, 'TASK_STAGING', this.kind === 'command' ? undefined : this.id);
    }
    task.state = status.state;
    task.statuses.push(slimStatus(status));
    if (isTerminalState(status.state)) {
      this.launchedTasks.delete(id);
      this.terminatedTasks.set(id, task);
    } else this.launchedTasks.set(id, task);
    return true;
  }

  /** The terminal update of a task was acknowledged: it is done. */
  completeTask(taskId: string): void {
    const task = this.terminatedTasks.get(taskId);
    if (!task) return;
    this.terminatedTasks.delete(taskId);
    this.completedTasks.push(task);
    if (this.completedTasks.length > MAX_COMPLETED_TASKS_PER_EXECUTOR) this.completedTasks.shift();
  }

  /** What this executor and its tasks hold, for /state and the used-resources metrics. */
  resources(): Resources {
    let r = safeResources(this.info.resources);
    for (const t of this.queuedTasks.values()) r = r.add(safeResources(t.resources));
    for (const t of this.launchedTasks.values()) r = r.add(safeResources(t.resources));
    return r;
  }
}

export type FrameworkStateName = 'RUNNING' | 'TERMINATING';

export class FrameworkState {
  state: FrameworkStateName = 'RUNNING';
  readonly executors = new Map<string, ExecutorState>();
  readonly completedExecutors: ExecutorState[] = [];
  private pidText = '';
  private schedulerAt: Pid<SchedulerInbox> | undefined;

  constructor(
    public info: FrameworkInfo,
    pid: string,
  ) {
    this.pid = pid;
  }

  /** The scheduler's pid as RunTask, UpdateFramework and the checkpoint carry it; '' for HTTP frameworks. */
  get pid(): string {
    return this.pidText;
  }

  set pid(text: string) {
    this.pidText = text;
    this.schedulerAt = schedulerPid(text);
  }

  /** Where messages for the scheduler go; undefined for HTTP frameworks, reached through the master. */
  get scheduler(): Pid<SchedulerInbox> | undefined {
    return this.schedulerAt;
  }

  get id(): string {
    return this.info.id?.value ?? '';
  }

  get checkpoint(): boolean {
    return this.info.checkpoint ?? false;
  }

  /** The executor that has (or had queued) this task. */
  executorOfTask(taskId: string): ExecutorState | undefined {
    // A command task's executor has the task's id: no scan for the common case.
    const own = this.executors.get(taskId);
    if (own?.hasTask(taskId)) return own;
    for (const e of this.executors.values()) if (e.hasTask(taskId)) return e;
    return undefined;
  }

  archiveExecutor(e: ExecutorState): void {
    this.executors.delete(e.id);
    this.completedExecutors.push(e);
    if (this.completedExecutors.length > MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK) this.completedExecutors.shift();
  }
}

/** The agent's record of one framework's executor host: the process running its command executors. */
export class ExecutorHostState {
  state: 'LAUNCHING' | 'RUNNING' | 'TERMINATED' = 'LAUNCHING';
  /** Set once it registers. */
  pid: Pid<ExecutorHostInbox> | undefined;
  container: Container | undefined;
  /** Command executors waiting for the host to register before LaunchExecutor goes out. */
  readonly waiting: ExecutorState[] = [];

  constructor(
    readonly frameworkId: string,
    readonly containerId: string,
    readonly directory: string,
  ) {}
}

export { newTask };

/** Statuses kept on a Task drop the payload (data), as Mesos's agent does to bound memory. */
function slimStatus(status: TaskStatus): TaskStatus {
  if (status.data === undefined) return status;
  const { data: _data, ...rest } = status;
  return rest;
}

