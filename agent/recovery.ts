// Agent recovery: a restarted agent with the same identity rebuilds its frameworks, executors,
// tasks and status-update streams from the checkpoints (Mesos's Slave::recover and
// recoverFramework), re-attaches to the executors' processes, asks each executor to reconnect,
// and registers only once they have re-registered or the re-registration timeout has passed.

import type { Pid } from '../runtime/index.js';
import { isTerminalState, type ExecutorInbox, type ExecutorInfo, type FrameworkInfo, type ReregisterExecutor, type Task, type TaskInfo, type TaskStatusUpdate } from '../protocol/index.js';
import type * as ckpt from './checkpoint.js';
import { fromJson, GENERATED_MARK } from './checkpointer.js';
import { sandboxPath } from './containerizer/index.js';
import { readProcStat } from './containerizer/proc.js';
import { timers, type AgentContext } from './context.js';
import { actorConnection } from './executor-connection.js';
import { EXECUTOR_HOST_ID } from './executor-tokens.js';
import { executorPid } from './pids.js';
import { ExecutorState, FrameworkState } from './state.js';

/**
 * Sets aside every checkpointed pid that no longer names the process the previous agent
 * started: one whose start time differs from the checkpointed one belongs to a later process
 * that got the same pid. (After a reboot, reading the checkpoints already set them all aside.)
 * A recovered executor is only ever re-attached to, killed, or waited for through its own pid.
 */
export async function vetRecoveredProcesses(state: ckpt.AgentCheckpoint): Promise<void> {
  const runs = state.frameworks.flatMap((f) => f.executors.flatMap((e) => e.runs));
  await Promise.all(
    runs.map(async (run) => {
      if (run.pid === undefined || run.pidStartTicks === undefined) return;
      const stat = await readProcStat(run.pid);
      // Gone (or no /proc): re-attaching finds it exited, which is the truth either way.
      if (stat === undefined || stat.startTicks === run.pidStartTicks) return;
      delete run.pid;
      delete run.pidStartTicks;
      delete run.libprocessPid;
      run.stale = 'pid reused';
    }),
  );
}

export class Recovery {
  constructor(private readonly ctx: AgentContext) {}

  /** Rebuilds frameworks, executors, tasks and update streams from what a previous incarnation checkpointed. */
  recover(state: ckpt.AgentCheckpoint): void {
    const { ctx } = this;
    ctx.state = 'RECOVERING';
    ctx.agentId = state.agentId;
    for (const p of state.problems) {
      ctx.counters.recoveryErrors++;
      ctx.log.warn({ path: p.path, kind: p.kind, detail: p.detail }, 'checkpoint problem during recovery');
    }
    const neverLaunched: ExecutorState[] = [];
    const gone: [ExecutorState, string][] = [];
    const reconnect: [ExecutorState, Pid<ExecutorInbox>][] = [];
    for (const fc of state.frameworks) {
      if (!fc.info) continue;
      const f = new FrameworkState(fromJson<FrameworkInfo>(fc.info), fc.pid ?? '');
      for (const ec of fc.executors) this.recoverExecutor(f, ec, neverLaunched, gone, reconnect);
      if (f.executors.size > 0) ctx.frameworks.set(f.id, f);
    }
    // Never launched (the agent died between checkpointing the run and starting it).
    for (const e of neverLaunched) ctx.parts.executors.terminated(e, 'The executor was never launched', undefined);
    // Known gone without touching any process: their tasks are GONE (LOST unless partition-aware).
    for (const [e, why] of gone) ctx.parts.executors.terminated(e, why, undefined, 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT');
    // Asked to re-register once the frameworks are in place (again every retry interval, if set).
    for (const [e, pid] of reconnect) if (e.state === 'REGISTERING') ctx.parts.executors.awaitReregistration(e, pid);
    ctx.parts.containers.recover();
    ctx.log.info({ agent_id: ctx.agentId, frameworks: ctx.frameworks.size }, 'recovered; waiting for executors to re-register');
    ctx.startTimer(timers.executorReregistration, ctx.config.executorReregistrationTimeoutMs, { name: '_ExecutorReregistrationTimeout' });
  }

  /** The executor's latest run, if it had not ended: its tasks, its process re-attached, and a ReconnectExecutor. */
  private recoverExecutor(f: FrameworkState, ec: ckpt.ExecutorCheckpoint, neverLaunched: ExecutorState[], gone: [ExecutorState, string][], reconnect: [ExecutorState, Pid<ExecutorInbox>][]): void {
    const { ctx } = this;
    const run = ec.runs.find((r) => r.containerId === ec.latestRunId);
    if (!ec.info || !run || run.completed) return;
    const generated = ec.info[GENERATED_MARK] === true;
    const { [GENERATED_MARK]: _mark, ...infoJson } = ec.info;
    const info = fromJson<ExecutorInfo>(infoJson);
    let directory: string;
    try {
      directory = sandboxPath(ctx.config.workDir, { agentId: ctx.agentId!, frameworkId: f.id, executorId: info.executor_id.value, containerId: run.containerId });
    } catch {
      return;
    }
    const e = new ExecutorState(f.id, info, generated ? 'command' : 'custom', run.containerId, directory, true);
    // Awaited whether or not it can be told (ReconnectExecutor below): the timeout ends the wait.
    e.awaitingReregistration = true;
    f.executors.set(e.id, e);
    ctx.parts.executors.attachSandbox(e);
    for (const tc of run.tasks) this.recoverTask(f, e, tc);
    const key = ctx.parts.executors.key(e);
    if (run.stale !== undefined) {
      // Its pids name other processes now: never signal them, never wait for them.
      const why = run.stale === 'rebooted' ? 'The agent host rebooted: the executor did not survive' : 'The executor is gone: its pid now belongs to another process';
      ctx.log.warn({ framework_id: f.id, executor_id: e.id, why: run.stale }, 'recovered executor is gone');
      gone.push([e, why]);
      return;
    }
    // Its token, so that only the process this agent started can re-register as it.
    if (run.token !== undefined) ctx.config.executorTokens?.restore(f.id, e.kind === 'command' ? EXECUTOR_HOST_ID : e.id, run.token);
    if (run.pid !== undefined) {
      if (e.kind === 'command') e.hostOsPid = run.pid;
      ctx.pipeToSelf(
        ctx.containerizer.reattach({ containerId: e.containerId, pid: run.pid, sandbox: directory }),
        (container) => ({ name: '_ContainerLaunched', ...key, container }),
        (err) => ({ name: '_ContainerLaunchFailed', ...key, message: `cannot re-attach: ${String(err)}` }),
      );
    } else neverLaunched.push(e);
    if (run.libprocessPid !== undefined) {
      try {
        reconnect.push([e, executorPid(run.libprocessPid)]);
      } catch {
        // A malformed checkpointed pid: the executor cannot be told; the re-registration timeout ends it.
        ctx.counters.recoveryErrors++;
      }
    }
  }

  /** A task and its update stream, replayed from task.info and task.updates. */
  private recoverTask(f: FrameworkState, e: ExecutorState, tc: ckpt.TaskCheckpoint): void {
    if (!tc.info) return;
    const task = fromJson<Task>(tc.info);
    const records = tc.records.map((r) => (r.type === 'UPDATE' ? { type: 'UPDATE' as const, update: fromJson<TaskStatusUpdate>(r.update) } : r));
    const stream = this.ctx.updates.replay(f.id, tc.id, records);
    for (const r of records) {
      if (r.type !== 'UPDATE') continue;
      task.state = r.update.status.state;
      task.statuses.push(r.update.status);
    }
    if (!isTerminalState(task.state)) e.launchedTasks.set(tc.id, task);
    else if (stream) e.terminatedTasks.set(tc.id, task);
    else e.completedTasks.push(task);
  }

  /** E→A ReregisterExecutor (Mesos's ReregisterExecutorMessage), after ReconnectExecutor. */
  reregisterExecutor(m: ReregisterExecutor, from: Pid | ''): void {
    const { ctx } = this;
    if (from === '') return ctx.dropped(m.name, from, 'no sender');
    const executor: Pid<ExecutorInbox> = from;
    const f = ctx.frameworks.get(m.framework_id.value);
    const e = f?.executors.get(m.executor_id.value);
    // An answer to a ReconnectExecutor resent while the executor could not hear it: already back.
    if (f && e && e.state === 'RUNNING' && e.conn?.id === executor && !e.awaitingReregistration) {
      ctx.send(executor, { name: 'ExecutorReregistered', agent_id: { value: ctx.agentId! }, agent_info: ctx.agentInfo() });
      return;
    }
    if (!f || !e || !e.awaitingReregistration || e.state !== 'REGISTERING' || f.state === 'TERMINATING') {
      ctx.send(executor, { name: 'ShutdownExecutor' });
      return;
    }
    // Command executors speak through their host's runtime, so they prove the host's token.
    if (!ctx.parts.executors.authenticated(f.id, e.kind === 'custom' ? e.id : EXECUTOR_HOST_ID, from)) {
      return ctx.dropped(m.name, from, `executor ${e.id} did not re-register with its token`, 'unauthenticated');
    }
    e.awaitingReregistration = false;
    ctx.parts.executors.attach(e, actorConnection(ctx, executor));
    ctx.send(executor, { name: 'ExecutorReregistered', agent_id: { value: ctx.agentId! }, agent_info: ctx.agentInfo() });
    this.resumed(f, e, m.tasks, m.updates);
  }

  /**
   * What a re-registered (or re-subscribed) executor says it has not seen acknowledged: its
   * updates are handled again (duplicates are recognised by uuid), and a task still STAGING that
   * it does not list never reached it (Mesos §3.2).
   */
  resumed(f: FrameworkState, e: ExecutorState, tasks: readonly TaskInfo[], updates: readonly TaskStatusUpdate[]): void {
    const { ctx } = this;
    const from = e.conn!.id;
    for (const update of updates) ctx.parts.tasks.statusUpdate({ name: 'StatusUpdate', update, pid: from }, from);
    const unacked = new Set(tasks.map((t) => t.task_id.value));
    for (const task of [...e.launchedTasks.values()]) {
      if (task.state === 'TASK_STAGING' && !unacked.has(task.task_id.value) && !ctx.updates.get(f.id, task.task_id.value)) {
        ctx.parts.tasks.agentUpdate(f.id, f, e, task.task_id, ctx.partitionState('TASK_DROPPED', f), 'REASON_AGENT_RESTARTED', 'Task launched during agent restart');
      }
    }
  }

  /** Executors that did not re-register are destroyed; then the agent registers with what survived. */
  reregistrationTimeout(): void {
    const { ctx } = this;
    for (const f of [...ctx.frameworks.values()]) {
      for (const e of [...f.executors.values()]) {
        if (!e.awaitingReregistration || e.state !== 'REGISTERING') continue;
        e.terminationReason = 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT';
        ctx.log.warn({ framework_id: f.id, executor_id: e.id }, 'executor did not re-register after the restart; destroying it');
        e.awaitingReregistration = false;
        e.state = 'TERMINATING';
        if (e.kind === 'custom' && e.container) void e.container.kill(0);
        else ctx.parts.executors.terminated(e, 'Executor did not re-register after the agent restarted', undefined);
      }
    }
    if (ctx.state !== 'RECOVERING') return;
    // Mesos registers only now, with whatever survived (MESOS-7539).
    ctx.state = 'DISCONNECTED';
    ctx.parts.registration.start();
  }
}
