// The built-in command executor: runs one task's CommandInfo as a real child process in its own
// process group, with stdout/stderr appended to files in the sandbox, and reports STARTING,
// RUNNING, then FINISHED/FAILED/KILLED. Like Mesos's, it is just a program written on the executor driver.

import { RealClock, signalGroup, type Cancel, type Clock } from '../runtime/index.js';
import {
  hasCapability,
  taskStatus,
  type AgentInfo,
  type ExecutorID,
  type ExecutorInfo,
  type FrameworkInfo,
  type KillPolicy,
  type TaskID,
  type TaskInfo,
  type TaskState,
  type TaskStatusInit,
} from '../protocol/index.js';
import type { Executor, ExecutorDriver } from './executor.js';
import { Checker, checkProbe, emptyCheckStatus, HealthChecker, healthProbe, type HealthUpdate } from './checks.js';
import { SpawnLauncher, type ContainerJoin, type Exit, type Launcher } from './launcher.js';

export interface CommandExecutorOptions {
  /** The sandbox: the task's working directory and where `stdout`/`stderr` go. */
  directory: string;
  /** Starts the task's process; default SpawnLauncher (one fork of this Node process per task). */
  launcher?: Launcher;
  /** Upper bound on the kill grace period during shutdown (the agent's executor_shutdown_grace_period). */
  shutdownGracePeriodMs?: number;
  /** Timers for the SIGTERM→SIGKILL escalation; default the real clock. */
  clock?: Clock;
  /** The task's container, prepared by the agent: cgroups its process joins, and its user. */
  container?: ContainerJoin;
}

/** Mesos's command executor waits this long between SIGTERM and SIGKILL unless told otherwise. */
export const DEFAULT_KILL_GRACE_MS = 3000;

export class CommandExecutor implements Executor {
  private readonly clock: Clock;
  private framework: FrameworkInfo | undefined;
  private executorId: ExecutorID | undefined;
  private task: TaskInfo | undefined;
  private pgid: number | undefined;
  private exitedAlready = false;
  private killed = false;
  private terminal = false;
  private sent = 0;
  private acked = 0;
  private escalation: Cancel | undefined;
  private exitWaiters: (() => void)[] = [];
  private healthChecker: HealthChecker | undefined;
  private checker: Checker | undefined;
  /** Killed because consecutive_failures was reached: the terminal update says healthy=false. */
  private unhealthy = false;
  private taskEnv: Record<string, string> = {};

  constructor(private readonly options: CommandExecutorOptions) {
    this.clock = options.clock ?? new RealClock();
  }

  registered(_driver: ExecutorDriver, executorInfo: ExecutorInfo, frameworkInfo: FrameworkInfo, _agentInfo: AgentInfo): void {
    this.executorId = executorInfo.executor_id;
    this.framework = frameworkInfo;
  }

  reregistered(): void {}

  disconnected(): void {}

  launchTask(driver: ExecutorDriver, task: TaskInfo): void {
    if (this.task) {
      // One task per command executor, as in Mesos.
      this.update(driver, task.task_id, 'TASK_FAILED', 'Attempted to run multiple tasks using a "command" executor', false);
      return;
    }
    this.task = task;
    // As Mesos's command executor: the task is being started (before the fork).
    this.update(driver, task.task_id, 'TASK_STARTING', undefined, false);
    const command = task.command;
    const shell = command?.shell ?? true;
    if (!command || !command.value) {
      this.finish(driver, 'TASK_FAILED', 'The task has no command to run');
      return;
    }
    const dir = this.options.directory;
    const env: Record<string, string> = {
      MESOS_SANDBOX: dir,
      MESOS_DIRECTORY: dir,
      MESOS_TASK_ID: task.task_id.value,
      ...(this.executorId ? { MESOS_EXECUTOR_ID: this.executorId.value } : {}),
    };
    for (const v of command.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
    this.taskEnv = env;
    const argv = command.arguments && command.arguments.length > 0 ? command.arguments : [command.value];
    const launcher = this.options.launcher ?? (defaultLauncher ??= new SpawnLauncher());
    const container = this.options.container;
    launcher.launch({ directory: dir, shell, value: command.value, argv, env, ...(container ? { container } : {}) }).then(
      ({ pid, exited }) => {
        this.pgid = pid;
        void exited.then((e) => this.exited(driver, e));
        // A kill that came while the process was starting takes effect now.
        if (this.killed) this.kill(driver, 0);
        else if (!this.terminal) {
          // As Mesos's: a task with a check says so from its first TASK_RUNNING, with no result yet.
          const extra = task.check !== undefined ? { check_status: emptyCheckStatus(task.check) } : {};
          this.update(driver, task.task_id, 'TASK_RUNNING', undefined, false, extra, pid);
          this.startChecks(driver, task);
        }
      },
      (e: Error) => this.exited(driver, { code: null, signal: null }, `Failed to launch the command: ${e.message}`),
    );
  }

  killTask(driver: ExecutorDriver, taskId: TaskID, killPolicy?: KillPolicy): void {
    const task = this.task;
    if (!task || task.task_id.value !== taskId.value || this.terminal) return;
    if (this.killed) return; // a second kill does not restart the grace period
    this.killed = true;
    if (this.pgid === undefined) return; // still starting: killed as soon as it runs
    // The kill's own policy, else the task's, else 3 s (Mesos's command executor).
    const nanos = killPolicy?.grace_period?.nanoseconds ?? task.kill_policy?.grace_period?.nanoseconds;
    this.kill(driver, nanos !== undefined ? nanos / 1e6 : DEFAULT_KILL_GRACE_MS);
  }

  frameworkMessage(): void {}

  /** Kills the task (if any) and resolves once its process has exited. */
  shutdown(driver: ExecutorDriver): Promise<void> | void {
    if (!this.task || this.terminal || this.exitedAlready) return;
    if (this.pgid === undefined) {
      // Still starting: the launch kills it as soon as it has a process group.
      this.killed = true;
      return new Promise((resolve) => this.exitWaiters.push(resolve));
    }
    if (!this.killed) {
      this.killed = true;
      const nanos = this.task.kill_policy?.grace_period?.nanoseconds;
      const grace = nanos !== undefined ? nanos / 1e6 : DEFAULT_KILL_GRACE_MS;
      this.kill(driver, Math.min(grace, this.options.shutdownGracePeriodMs ?? grace));
    }
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  error(): void {}

  /** Counts acknowledgements: once the terminal update is acknowledged the executor is done. */
  acknowledged(driver: ExecutorDriver): void {
    this.acked++;
    if (this.terminal && this.acked >= this.sent) void driver.stop();
  }

  /** Starts the task's health check and check, which run until the task ends. */
  private startChecks(driver: ExecutorDriver, task: TaskInfo): void {
    const ctx = { directory: this.options.directory, env: this.taskEnv };
    const health = task.health_check !== undefined ? healthProbe(task.health_check) : undefined;
    if (task.health_check !== undefined && health !== undefined) {
      this.healthChecker = new HealthChecker(task.health_check, health, ctx, this.clock, (u) => this.healthUpdated(driver, u));
      this.healthChecker.start();
    }
    const check = task.check !== undefined ? checkProbe(task.check) : undefined;
    if (task.check !== undefined && check !== undefined) {
      this.checker = new Checker(task.check, check, ctx, this.clock, (status) => {
        if (this.killed || this.terminal || !this.task) return;
        this.update(driver, this.task.task_id, 'TASK_RUNNING', undefined, false, { check_status: status, reason: 'REASON_TASK_CHECK_STATUS_UPDATED' });
      });
      this.checker.start();
    }
  }

  /** Mesos's taskHealthUpdated: TASK_RUNNING with the new `healthy`, and a kill once it is hopeless. */
  private healthUpdated(driver: ExecutorDriver, u: HealthUpdate): void {
    if (this.killed || this.terminal || !this.task) return;
    this.update(driver, this.task.task_id, 'TASK_RUNNING', u.healthy ? undefined : u.message, false, { healthy: u.healthy, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' });
    if (!u.killTask) return;
    this.unhealthy = true;
    this.killTask(driver, this.task.task_id);
  }

  private stopChecks(): void {
    this.healthChecker?.stop();
    this.checker?.stop();
  }

  private kill(driver: ExecutorDriver, graceMs: number): void {
    if (this.task && this.framework && hasCapability(this.framework, 'TASK_KILLING_STATE')) {
      this.update(driver, this.task.task_id, 'TASK_KILLING', undefined, false);
    }
    signalGroup(this.pgid!, 'SIGTERM');
    this.escalation = this.clock.setTimer(graceMs, () => {
      this.escalation = undefined;
      signalGroup(this.pgid!, 'SIGKILL');
    });
  }

  private exited(driver: ExecutorDriver, { code, signal }: Exit, failure?: string): void {
    this.exitedAlready = true;
    this.stopChecks();
    this.escalation?.();
    this.escalation = undefined;
    // The task's process group is its container: whatever it left behind goes with it.
    if (this.pgid !== undefined) signalGroup(this.pgid, 'SIGKILL');
    const how = failure ?? (signal !== null ? `Command terminated with signal ${signal}` : `Command exited with status ${code ?? -1}`);
    const state: TaskState = this.killed ? 'TASK_KILLED' : failure === undefined && code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
    this.finish(driver, state, how, this.unhealthy ? { healthy: false } : {});
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
  }

  private finish(driver: ExecutorDriver, state: TaskState, message: string, extra: StatusExtra = {}): void {
    if (this.terminal || !this.task) return;
    this.update(driver, this.task.task_id, state, message, true, extra);
  }

  private update(driver: ExecutorDriver, taskId: TaskID, state: TaskState, message: string | undefined, terminal: boolean, extra: StatusExtra = {}, pid?: number): void {
    if (terminal) this.terminal = true;
    this.sent++;
    const status = taskStatus({
      task_id: taskId,
      state,
      source: 'SOURCE_EXECUTOR',
      message,
      executor_id: this.executorId,
      timestamp: this.clock.now() / 1000,
      ...extra,
    });
    // The task's process (and group): the agent accounts the container's usage by it.
    if (pid !== undefined) status.container_status = { executor_pid: pid };
    driver.sendStatusUpdate(status);
  }
}

type StatusExtra = Partial<Pick<TaskStatusInit, 'healthy' | 'check_status' | 'reason'>>;

let defaultLauncher: Launcher | undefined;

