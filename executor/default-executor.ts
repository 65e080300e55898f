// The default executor (Mesos's src/launcher/default_executor.cpp): runs task groups. Each task
// of a group is a process group of its own with its own sandbox (`tasks/<task id>` in the
// executor's, as Mesos's nested containers); the group starts together (TASK_STARTING, then
// TASK_RUNNING for each once all run), and when one task fails or is killed every other task of
// its group is killed. Health checks run per task as in the command executor. Once no task is
// left and every update is acknowledged, the executor stops.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RealClock, signalGroup, type Cancel, type Clock } from '../runtime/index.js';
import { hasCapability, taskStatus, type ExecutorID, type ExecutorInfo, type FrameworkInfo, type TaskGroupInfo, type TaskID, type TaskInfo, type TaskState, type TaskStatusInit } from '../protocol/index.js';
import { Checker, checkProbe, emptyCheckStatus, HealthChecker, healthProbe } from './checks.js';
import { DEFAULT_KILL_GRACE_MS } from './command-executor.js';
import type { Executor, ExecutorDriver } from './executor.js';
import { SpawnLauncher, type Exit, type Launcher } from './launcher.js';

export interface DefaultExecutorOptions {
  /** The executor's sandbox; each task works in `tasks/<task id>` below it. */
  directory: string;
  launcher?: Launcher;
  clock?: Clock;
  shutdownGracePeriodMs?: number;
}

interface GroupTask {
  info: TaskInfo;
  group: Group;
  sandbox: string;
  pgid?: number;
  killed: boolean;
  terminal: boolean;
  unhealthy: boolean;
  /** The task of the group whose failure or kill this one was killed for. */
  killedBecause?: string;
  escalation?: Cancel;
  stopChecks: (() => void)[];
  exited: Promise<void>;
  markExited: () => void;
}

interface Group {
  tasks: GroupTask[];
  /** Set once one task failed or was killed: every other task is being killed. */
  killing: boolean;
}

type Extra = Partial<Pick<TaskStatusInit, 'healthy' | 'check_status' | 'reason' | 'message'>>;

export class DefaultExecutor implements Executor {
  private readonly clock: Clock;
  private readonly launcher: Launcher;
  private readonly tasks = new Map<string, GroupTask>();
  private executorId: ExecutorID | undefined;
  private framework: FrameworkInfo | undefined;
  private sent = 0;
  private acked = 0;
  private shuttingDown = false;

  constructor(private readonly options: DefaultExecutorOptions) {
    this.clock = options.clock ?? new RealClock();
    this.launcher = options.launcher ?? new SpawnLauncher();
  }

  registered(_driver: ExecutorDriver, executorInfo: ExecutorInfo, frameworkInfo: FrameworkInfo): void {
    this.executorId = executorInfo.executor_id;
    this.framework = frameworkInfo;
  }

  reregistered(): void {}
  disconnected(): void {}
  frameworkMessage(): void {}
  error(): void {}

  launchTask(driver: ExecutorDriver, task: TaskInfo): void {
    // Mesos's default executor takes only LAUNCH_GROUP; a lone task is a group of one.
    this.launchTaskGroup(driver, { tasks: [task] });
  }

  launchTaskGroup(driver: ExecutorDriver, taskGroup: TaskGroupInfo): void {
    const group: Group = { tasks: [], killing: false };
    for (const info of taskGroup.tasks) {
      if (this.tasks.has(info.task_id.value)) continue;
      let markExited!: () => void;
      const exited = new Promise<void>((r) => (markExited = r));
      const t: GroupTask = { info, group, sandbox: join(this.options.directory, 'tasks', info.task_id.value), killed: false, terminal: false, unhealthy: false, stopChecks: [], exited, markExited };
      group.tasks.push(t);
      this.tasks.set(info.task_id.value, t);
    }
    if (this.shuttingDown) {
      for (const t of group.tasks) this.terminate(driver, t, 'TASK_KILLED', { message: 'The executor is shutting down' });
      return;
    }
    for (const t of group.tasks) this.update(driver, t.info.task_id, 'TASK_STARTING');
    void Promise.all(group.tasks.map((t) => this.start(driver, t))).then((started) => {
      if (!started.every(Boolean)) return;
      // The group runs once every task of it runs, as Mesos reports it.
      for (const t of group.tasks) {
        if (t.terminal || t.killed) continue;
        const extra: Extra = t.info.check !== undefined ? { check_status: emptyCheckStatus(t.info.check) } : {};
        this.update(driver, t.info.task_id, 'TASK_RUNNING', extra);
        this.startChecks(driver, t);
      }
    });
  }

  killTask(driver: ExecutorDriver, taskId: TaskID): void {
    const t = this.tasks.get(taskId.value);
    if (!t || t.terminal) return;
    // Killing one task of a group kills the whole group (Mesos's MESOS-7088).
    this.killGroup(driver, t.group, t);
  }

  shutdown(driver: ExecutorDriver): Promise<void> | void {
    this.shuttingDown = true;
    const live = [...this.tasks.values()].filter((t) => !t.terminal);
    if (live.length === 0) return;
    for (const t of live) this.kill(driver, t, Math.min(this.graceOf(t), this.options.shutdownGracePeriodMs ?? Infinity));
    return Promise.all(live.map((t) => t.exited)).then(() => undefined);
  }

  acknowledged(driver: ExecutorDriver): void {
    this.acked++;
    this.maybeStop(driver);
  }

  private async start(driver: ExecutorDriver, t: GroupTask): Promise<boolean> {
    const command = t.info.command;
    try {
      if (!command?.value) throw new Error('the task has no command to run');
      mkdirSync(t.sandbox, { recursive: true });
      const env: Record<string, string> = {
        MESOS_SANDBOX: t.sandbox,
        MESOS_DIRECTORY: t.sandbox,
        MESOS_TASK_ID: t.info.task_id.value,
        ...(this.executorId ? { MESOS_EXECUTOR_ID: this.executorId.value } : {}),
      };
      for (const v of command.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
      const shell = command.shell ?? true;
      const argv = command.arguments && command.arguments.length > 0 ? command.arguments : [command.value];
      const { pid, exited } = await this.launcher.launch({ directory: t.sandbox, shell, value: command.value, argv, env });
      t.pgid = pid;
      void exited.then((e) => this.exited(driver, t, e));
      if (t.killed) this.kill(driver, t, 0);
      return true;
    } catch (e) {
      t.markExited();
      this.terminate(driver, t, 'TASK_FAILED', { message: `Failed to launch the task: ${(e as Error).message}` });
      this.killGroup(driver, t.group, t);
      return false;
    }
  }

  private startChecks(driver: ExecutorDriver, t: GroupTask): void {
    const ctx = { directory: t.sandbox, env: { MESOS_SANDBOX: t.sandbox, MESOS_TASK_ID: t.info.task_id.value } };
    const h = t.info.health_check;
    const hp = h !== undefined ? healthProbe(h) : undefined;
    if (h !== undefined && hp !== undefined) {
      const checker = new HealthChecker(h, hp, ctx, this.clock, (u) => {
        if (t.terminal || t.killed) return;
        this.update(driver, t.info.task_id, 'TASK_RUNNING', { healthy: u.healthy, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', ...(u.healthy ? {} : { message: u.message }) });
        if (u.killTask) {
          t.unhealthy = true;
          this.killGroup(driver, t.group, t);
        }
      });
      checker.start();
      t.stopChecks.push(() => checker.stop());
    }
    const c = t.info.check;
    const cp = c !== undefined ? checkProbe(c) : undefined;
    if (c !== undefined && cp !== undefined) {
      const checker = new Checker(c, cp, ctx, this.clock, (status) => {
        if (!t.terminal && !t.killed) this.update(driver, t.info.task_id, 'TASK_RUNNING', { check_status: status, reason: 'REASON_TASK_CHECK_STATUS_UPDATED' });
      });
      checker.start();
      t.stopChecks.push(() => checker.stop());
    }
  }

  private killGroup(driver: ExecutorDriver, group: Group, cause: GroupTask): void {
    group.killing = true;
    for (const t of group.tasks) if (!t.terminal && !t.killed) this.kill(driver, t, this.graceOf(t), t === cause ? undefined : cause);
  }

  private graceOf(t: GroupTask): number {
    const nanos = t.info.kill_policy?.grace_period?.nanoseconds;
    return nanos !== undefined ? nanos / 1e6 : DEFAULT_KILL_GRACE_MS;
  }

  private kill(driver: ExecutorDriver, t: GroupTask, graceMs: number, because?: GroupTask): void {
    if (t.terminal) return;
    t.killed = true;
    if (because !== undefined) t.killedBecause = because.info.task_id.value;
    if (t.pgid === undefined) return; // still starting: start() kills it once it runs
    if (this.framework && hasCapability(this.framework, 'TASK_KILLING_STATE')) this.update(driver, t.info.task_id, 'TASK_KILLING');
    const pgid = t.pgid;
    signalGroup(pgid, 'SIGTERM');
    t.escalation?.();
    t.escalation = this.clock.setTimer(graceMs, () => signalGroup(pgid, 'SIGKILL'));
  }

  private exited(driver: ExecutorDriver, t: GroupTask, { code, signal }: Exit): void {
    t.escalation?.();
    for (const stop of t.stopChecks) stop();
    if (t.pgid !== undefined) signalGroup(t.pgid, 'SIGKILL');
    t.markExited();
    const how = signal !== null ? `Command terminated with signal ${signal}` : `Command exited with status ${code ?? -1}`;
    const state: TaskState = t.killed ? 'TASK_KILLED' : code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
    const message = t.killedBecause !== undefined ? `${how}; killed because task '${t.killedBecause}' of its group failed or was killed` : how;
    this.terminate(driver, t, state, { message, ...(t.unhealthy ? { healthy: false } : {}) });
    // One task that did not finish takes its group with it.
    if (state !== 'TASK_FINISHED' && !t.group.killing) this.killGroup(driver, t.group, t);
  }

  private terminate(driver: ExecutorDriver, t: GroupTask, state: TaskState, extra: Extra): void {
    if (t.terminal) return;
    t.terminal = true;
    this.update(driver, t.info.task_id, state, extra);
  }

  private maybeStop(driver: ExecutorDriver): void {
    if (this.acked < this.sent) return;
    if ([...this.tasks.values()].some((t) => !t.terminal)) return;
    void driver.stop();
  }

  private update(driver: ExecutorDriver, taskId: TaskID, state: TaskState, extra: Extra = {}): void {
    this.sent++;
    driver.sendStatusUpdate(taskStatus({ task_id: taskId, state, source: 'SOURCE_EXECUTOR', executor_id: this.executorId, timestamp: this.clock.now() / 1000, ...extra }));
  }
}
