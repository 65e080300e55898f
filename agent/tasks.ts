// Tasks and their status updates (Mesos's Slave::run, killTask, statusUpdate, and the
// acknowledgement path): a RunTask finds or launches its executor; updates from executors, and
// those the agent generates itself, go reliably to the master through the status-update
// manager, checkpointed first for checkpointing frameworks; framework messages are relayed.

import type { Pid } from '../runtime/index.js';
import {
  isTerminalState,
  newUuid,
  safeResources,
  taskStatus,
  uuidToString,
  type ExecutorInbox,
  type ExecutorInfo,
  type ExecutorToFramework,
  type FrameworkToExecutor,
  type KillTask,
  type Resource,
  type RunTask,
  type RunTaskGroup,
  type StatusUpdate,
  type StatusUpdateAcknowledgement,
  type TaskID,
  type TaskInfo,
  type TaskState,
  type TaskStatusReason,
  type TaskStatusUpdate,
  type UpdateFramework,
} from '../protocol/index.js';
import type { AgentContext, ExecutorKey } from './context.js';
import { containerRefusal } from './containerizer/index.js';
import { isHttpConnectionId } from './executor-connection.js';
import { FrameworkState, newTask, type ExecutorKind, type ExecutorState } from './state.js';

/** Resources added to a command task's generated ExecutorInfo, as Mesos does (not charged; see README). */
const COMMAND_EXECUTOR_CPUS = 0.1;
const COMMAND_EXECUTOR_MEM = 32;

export class Tasks {
  constructor(private readonly ctx: AgentContext) {}

  /** M→A RunTask (Mesos's RunTaskMessage). */
  runTask(m: RunTask, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    const fid = m.framework.id?.value;
    if (fid === undefined) return ctx.dropped(m.name, from, 'framework has no id');
    if (ctx.state === 'TERMINATING') return ctx.dropped(m.name, from, 'agent is terminating');
    ctx.log.info({ framework: fid, task: m.task.task_id.value }, `Got assigned task '${m.task.task_id.value}' for framework ${fid}`);
    if (ctx.agentId === undefined) return ctx.dropped(m.name, from, 'agent is not registered');
    const task = m.task;
    let framework = ctx.frameworks.get(fid);
    if (framework?.state === 'TERMINATING') {
      // Mesos drops a task for a terminating framework without any update: nobody listens.
      return ctx.log.warn({ framework_id: fid, task_id: task.task_id.value }, 'dropping a task of a terminating framework');
    }
    const isNew = framework === undefined;
    if (!framework) {
      framework = new FrameworkState(m.framework, m.pid);
      ctx.frameworks.set(fid, framework);
    } else {
      framework.info = m.framework;
      if (m.pid !== '') framework.pid = m.pid;
    }
    const f = framework;
    if (isNew && f.checkpoint) ctx.parts.checkpointer.framework(f);

    const kind: ExecutorKind = task.executor ? 'custom' : 'command';
    const info = task.executor ? { ...task.executor, framework_id: { value: fid } } : commandExecutorInfo(task, fid);
    let executor = f.executors.get(info.executor_id.value);
    if (executor && (executor.state === 'TERMINATING' || executor.state === 'TERMINATED')) {
      return this.agentUpdate(fid, f, undefined, task.task_id, ctx.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', 'Executor terminating');
    }
    if (kind === 'custom' && m.launch_executor !== undefined && m.launch_executor !== (executor === undefined)) {
      const why = m.launch_executor ? 'Executor is already running' : 'Executor is not running';
      return this.agentUpdate(fid, f, undefined, task.task_id, ctx.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', why);
    }
    if (f.executorOfTask(task.task_id.value)) return ctx.dropped(m.name, from, `task ${task.task_id.value} is already known`);
    const refused = containerRefusal(task);
    if (refused !== undefined) return this.agentUpdate(fid, f, undefined, task.task_id, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', refused);
    if (!executor) {
      executor = ctx.parts.executors.launch(f, info, kind, task);
      if (!executor) return;
    }
    const e = executor;
    if (e.checkpoint) ctx.parts.checkpointer.task(e, task.task_id.value, newTask(task, fid, 'TASK_STAGING', kind === 'command' ? undefined : e.id));
    if (e.state === 'REGISTERING') e.queuedTasks.set(task.task_id.value, task);
    else if (hasVolume(task.resources)) this.linkVolumesThenSend(e, task);
    else ctx.parts.executors.sendTask(f, e, task);
    ctx.parts.containers.resize(e);
  }

  /**
   * A task for a running executor that brings persistent volumes: they are linked into the
   * executor's sandbox first (the posix isolator's update in Mesos), and the task waits among
   * the executor's queued ones meanwhile, where a kill still finds it.
   */
  private linkVolumesThenSend(e: ExecutorState, task: TaskInfo): void {
    const { ctx } = this;
    e.queuedTasks.set(task.task_id.value, task);
    // Every volume the container holds now: the links of volumes not among them are removed.
    const resources = [...(e.info.resources ?? []), ...[...e.launchedTasks.values()].filter((t) => !isTerminalState(t.state)).flatMap((t) => t.resources), ...[...e.queuedTasks.values()].flatMap((t) => t.resources ?? [])];
    const linked = (error: string | undefined) => ({ name: '_TaskVolumesLinked', ...ctx.parts.executors.key(e), taskId: task.task_id.value, error }) as const;
    ctx.pipeToSelf(
      ctx.parts.volumes.link(e.containerId, e.directory, resources),
      () => linked(undefined),
      (err) => linked(err instanceof Error ? err.message : String(err)),
    );
  }

  /** The volumes of a task held for them are linked (or not): it goes to its executor, or fails. */
  volumesLinked(k: ExecutorKey, taskId: string, error: string | undefined): void {
    const { ctx } = this;
    const e = ctx.parts.executors.get(k);
    const task = e?.queuedTasks.get(taskId);
    const f = ctx.frameworks.get(k.frameworkId);
    if (!e || !f || task === undefined) return; // killed meanwhile, or its executor is gone
    e.queuedTasks.delete(taskId);
    if (error !== undefined) return this.agentUpdate(f.id, f, e, task.task_id, 'TASK_FAILED', 'REASON_CONTAINER_UPDATE_FAILED', `Failed to link the task's persistent volumes: ${error}`);
    if (e.state === 'TERMINATING' || e.state === 'TERMINATED') return this.agentUpdate(f.id, f, e, task.task_id, ctx.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', 'Executor terminating');
    ctx.parts.executors.sendTask(f, e, task);
  }

  /**
   * M→A RunTaskGroup (Mesos's RunTaskGroupMessage): the group's tasks go together to its
   * DEFAULT executor, launched first (from the agent's default executor program) if need be.
   */
  runTaskGroup(m: RunTaskGroup, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    const fid = m.framework.id?.value;
    if (fid === undefined) return ctx.dropped(m.name, from, 'framework has no id');
    if (ctx.state === 'TERMINATING') return ctx.dropped(m.name, from, 'agent is terminating');
    if (ctx.agentId === undefined) return ctx.dropped(m.name, from, 'agent is not registered');
    const tasks = m.task_group.tasks;
    const first = tasks[0];
    if (first === undefined) return ctx.dropped(m.name, from, 'the task group is empty');
    ctx.log.info({ framework: fid, executor: m.executor.executor_id.value }, `Got assigned task group {${tasks.map((t) => t.task_id.value).join(', ')}} for framework ${fid}`);
    let f = ctx.frameworks.get(fid);
    if (f?.state === 'TERMINATING') return ctx.log.warn({ framework_id: fid }, 'dropping a task group of a terminating framework');
    if (!f) {
      f = new FrameworkState(m.framework, m.pid);
      ctx.frameworks.set(fid, f);
      if (f.checkpoint) ctx.parts.checkpointer.framework(f);
    } else {
      f.info = m.framework;
      if (m.pid !== '') f.pid = m.pid;
    }
    const framework = f;
    const info: ExecutorInfo = { ...m.executor, framework_id: { value: fid } };
    let executor = f.executors.get(info.executor_id.value);
    const dropAll = (why: string): void => {
      for (const t of tasks) this.agentUpdate(fid, framework, undefined, t.task_id, ctx.partitionState('TASK_DROPPED', framework), 'REASON_EXECUTOR_TERMINATED', why);
    };
    if (executor && (executor.state === 'TERMINATING' || executor.state === 'TERMINATED')) return dropAll('Executor terminating');
    if (m.launch_executor !== undefined && m.launch_executor !== (executor === undefined)) return dropAll(m.launch_executor ? 'Executor is already running' : 'Executor is not running');
    for (const t of tasks) if (f.executorOfTask(t.task_id.value)) return ctx.dropped(m.name, from, `task ${t.task_id.value} is already known`);
    if (!executor) {
      const command = ctx.config.defaultExecutorCommand;
      if (command === undefined) {
        for (const t of tasks) this.agentUpdate(fid, f, undefined, t.task_id, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', 'No default executor program is configured');
        return;
      }
      executor = ctx.parts.executors.launch(f, info, 'custom', first, command, tasks);
      if (!executor) return;
    } else if (tasks.some((t) => (t.command?.uris ?? []).length > 0)) {
      // URIs are fetched while an executor's container is launched; one already running has no such step.
      for (const t of tasks) this.agentUpdate(fid, f, undefined, t.task_id, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', 'The URIs of a task group are fetched only when its executor is launched; this executor is already running');
      return;
    }
    const e = executor;
    for (const t of tasks) if (e.checkpoint) ctx.parts.checkpointer.task(e, t.task_id.value, newTask(t, fid, 'TASK_STAGING', e.id));
    if (e.state === 'REGISTERING') {
      for (const t of tasks) e.queuedTasks.set(t.task_id.value, t);
      e.queuedGroups.push(tasks.map((t) => t.task_id.value));
    } else ctx.parts.executors.sendTaskGroup(f, e, tasks);
    ctx.parts.containers.resize(e);
  }

  /** M→A KillTask (Mesos's KillTaskMessage). */
  killTask(m: KillTask, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    const fid = m.framework_id.value;
    const taskId = m.task_id.value;
    const f = ctx.frameworks.get(fid);
    if (!f || f.state === 'TERMINATING') return ctx.log.warn({ framework_id: fid, task_id: taskId }, 'ignoring kill of a task of an unknown or terminating framework');
    const e = f.executorOfTask(taskId);
    if (!e) {
      return this.agentUpdate(fid, f, undefined, m.task_id, ctx.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', 'Cannot find the executor of the task');
    }
    if (e.state === 'TERMINATING' || e.state === 'TERMINATED') return ctx.log.warn({ task_id: taskId }, 'ignoring kill: the executor is terminating');
    if (e.queuedTasks.has(taskId)) {
      // Never reached the executor: the agent answers for it (Mesos §1.9).
      this.agentUpdate(fid, f, e, m.task_id, 'TASK_KILLED', 'REASON_TASK_KILLED_DURING_LAUNCH', 'Killed before delivery to the executor');
      // An executor that still registers would have nothing to run: end it now.
      if (e.state === 'REGISTERING' && e.queuedTasks.size === 0 && e.launchedTasks.size === 0) ctx.parts.executors.destroy(e, 'No tasks left to run');
      return;
    }
    const task = e.task(taskId);
    if (!task || isTerminalState(task.state)) return;
    if (!e.conn) return ctx.log.warn({ task_id: taskId }, 'cannot kill the task now: its executor is not connected');
    const kill: KillTask = { name: 'KillTask', framework_id: m.framework_id, task_id: m.task_id };
    if (m.kill_policy !== undefined) kill.kill_policy = m.kill_policy;
    e.conn.send(kill);
  }

  /** M→A UpdateFramework (Mesos's UpdateFrameworkMessage): new info and pid of a (re)subscribed framework. */
  updateFramework(m: UpdateFramework, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    const f = ctx.frameworks.get(m.framework_id.value);
    if (!f) return;
    // checkpoint is immutable for a framework (Mesos keeps the old value).
    f.info = { ...m.framework_info, checkpoint: f.checkpoint };
    f.pid = m.pid;
    if (f.checkpoint) ctx.parts.checkpointer.framework(f);
    // The framework (re)subscribed: deliver what waited for it now, not at the next retry.
    ctx.updates.flush(f.id);
  }

  /** S→A FrameworkToExecutor, relayed to the executor. */
  frameworkToExecutor(m: FrameworkToExecutor, from: Pid | ''): void {
    const { ctx } = this;
    const e = ctx.frameworks.get(m.framework_id.value)?.executors.get(m.executor_id.value);
    if (!e || e.state !== 'RUNNING' || !e.conn) {
      ctx.counters.invalidFrameworkMessages++;
      return ctx.dropped(m.name, from, 'executor is not running');
    }
    ctx.counters.validFrameworkMessages++;
    e.conn.send(m);
  }

  /** E→A ExecutorToFramework, relayed to the scheduler. */
  executorToFramework(m: ExecutorToFramework, from: Pid | ''): void {
    const { ctx } = this;
    const f = ctx.frameworks.get(m.framework_id.value);
    if (!f) {
      ctx.counters.invalidFrameworkMessages++;
      return ctx.dropped(m.name, from, 'unknown framework');
    }
    const e = f.executors.get(m.executor_id.value);
    if (e === undefined || e.conn === undefined || from !== e.conn.id) {
      ctx.counters.invalidFrameworkMessages++;
      return ctx.dropped(m.name, from, `not from executor ${m.executor_id.value}`, 'not_from_executor');
    }
    ctx.counters.validFrameworkMessages++;
    const out: ExecutorToFramework = { ...m, agent_id: { value: ctx.agentId ?? m.agent_id.value } };
    // HTTP frameworks have no pid: the master relays.
    if (f.scheduler) ctx.send(f.scheduler, out);
    else ctx.send(ctx.masterPid, out);
  }

  /** E→A StatusUpdate (Mesos's StatusUpdateMessage from an executor). */
  statusUpdate(m: StatusUpdate, from: Pid | ''): void {
    const { ctx } = this;
    const update = m.update;
    const status = update.status;
    const uuid = update.uuid ?? status.uuid;
    ctx.log.info({ framework: update.framework_id.value, task: status.task_id.value }, `Handling status update ${status.state} for task ${status.task_id.value} of framework ${update.framework_id.value}`);
    if (uuid === undefined || uuid.length === 0) {
      ctx.counters.invalidStatusUpdates++;
      return ctx.dropped(m.name, from, 'status update without a uuid');
    }
    if (ctx.agentId !== undefined && update.agent_id !== undefined && update.agent_id.value !== ctx.agentId) {
      ctx.counters.invalidStatusUpdates++;
      return ctx.dropped(m.name, from, `status update for agent ${update.agent_id.value}`);
    }
    const f = ctx.frameworks.get(update.framework_id.value);
    if (!f) {
      ctx.counters.invalidStatusUpdates++;
      // No executor of an unknown framework runs here, so no one may speak for its tasks.
      return ctx.dropped(m.name, from, 'status update of an unknown framework', 'not_from_executor');
    }
    const e = f.executorOfTask(status.task_id.value);
    // Only the executor running the task speaks for it: anyone else could forge its end.
    if (e === undefined || e.conn === undefined || from !== e.conn.id) {
      ctx.counters.invalidStatusUpdates++;
      return ctx.dropped(m.name, from, `not from the executor of task ${status.task_id.value} (${e?.conn?.id ?? 'none'})`, 'not_from_executor');
    }
    if (status.state === 'TASK_STAGING') {
      // Only agents and masters put tasks in STAGING; an executor that does is broken.
      ctx.counters.invalidStatusUpdates++;
      ctx.log.error({ executor: from, task_id: status.task_id.value }, 'executor sent TASK_STAGING; shutting it down');
      if (e) ctx.parts.executors.beginShutdown(e);
      return;
    }
    const normalized: TaskStatusUpdate = {
      ...update,
      uuid,
      agent_id: ctx.agentId !== undefined ? { value: ctx.agentId } : update.agent_id ?? { value: '' },
      status: {
        ...status,
        uuid,
        source: 'SOURCE_EXECUTOR',
        ...(ctx.agentId !== undefined ? { agent_id: { value: ctx.agentId } } : {}),
        ...(update.executor_id !== undefined && status.executor_id === undefined ? { executor_id: update.executor_id } : {}),
      },
    };
    // The sender, an executor, awaits the acknowledgement.
    const ackTo = from === '' ? undefined : from;
    if (ctx.parts.containers.hold(normalized, e, ackTo)) return;
    this.accept(normalized, f, e, ackTo);
  }

  /** An executor's update that was held for a check of its container (it may have been rewritten). */
  acceptFromExecutor(update: TaskStatusUpdate, ackTo: Pid<ExecutorInbox> | undefined): void {
    const f = this.ctx.frameworks.get(update.framework_id.value);
    this.accept(update, f, f?.executorOfTask(update.status.task_id.value), ackTo);
  }

  /** An update the agent itself generates: reliable, like the executor's, with source AGENT. */
  agentUpdate(
    frameworkId: string,
    f: FrameworkState | undefined,
    e: ExecutorState | undefined,
    taskId: TaskID,
    state: TaskState,
    reason: TaskStatusReason,
    message: string,
  ): void {
    const { ctx } = this;
    const uuid = newUuid();
    const timestamp = ctx.now() / 1000;
    const executorId = e && e.kind === 'custom' ? e.info.executor_id : undefined;
    const status = taskStatus({ task_id: taskId, state, source: 'SOURCE_AGENT', reason, message, timestamp, uuid, agent_id: ctx.agentId !== undefined ? { value: ctx.agentId } : undefined, executor_id: executorId });
    const update: TaskStatusUpdate = { framework_id: { value: frameworkId }, status, timestamp, uuid };
    if (executorId !== undefined) update.executor_id = executorId;
    if (ctx.agentId !== undefined) update.agent_id = { value: ctx.agentId };
    this.accept(update, f, e, undefined);
  }

  private accept(update: TaskStatusUpdate, f: FrameworkState | undefined, e: ExecutorState | undefined, ackTo: Pid<ExecutorInbox> | undefined): void {
    const { ctx } = this;
    const taskId = update.status.task_id.value;
    if (ctx.updates.isDuplicate(update)) {
      // Received before: the executor did not see our acknowledgement; acknowledge again.
      if (ackTo) this.acknowledgeExecutor(ackTo, update);
      return;
    }
    if (e && !e.updateTaskState(update.status)) {
      ctx.counters.invalidStatusUpdates++;
      ctx.log.warn({ task_id: taskId, state: update.status.state }, 'dropping a status update after the task\'s terminal one');
      if (ackTo) this.acknowledgeExecutor(ackTo, update);
      return;
    }
    if (isTerminalState(update.status.state)) {
      ctx.counters.terminalTask(update.status.state);
      // The task's resources leave its executor's container.
      if (e) ctx.parts.containers.resize(e);
    }
    ctx.counters.validStatusUpdates++;
    const checkpointed = e !== undefined && e.checkpoint && (f?.checkpoint ?? false);
    const stream = ctx.updates.receive(update, checkpointed);
    if (!checkpointed || !e) {
      ctx.updates.enqueue(stream, update);
      if (ackTo) this.acknowledgeExecutor(ackTo, update);
      return;
    }
    // Durable before anyone is told: the executor's acknowledgement promises delivery.
    ctx.parts.checkpointer.statusUpdate(e, update, ackTo);
  }

  /** The update is on disk: it may go to the master, and the executor may hear it is safe. */
  updateCheckpointed(update: TaskStatusUpdate, ackTo: Pid<ExecutorInbox> | undefined): void {
    const stream = this.ctx.updates.get(update.framework_id.value, update.status.task_id.value);
    if (stream) this.ctx.updates.enqueue(stream, update);
    if (ackTo) this.acknowledgeExecutor(ackTo, update);
  }

  /** To the connection `to` names: the executor's current one, or (v0) the pid that sent the update. */
  private acknowledgeExecutor(to: Pid<ExecutorInbox>, update: TaskStatusUpdate): void {
    const ack = {
      name: 'StatusUpdateAcknowledgement',
      agent_id: { value: this.ctx.agentId ?? '' },
      framework_id: update.framework_id,
      task_id: update.status.task_id,
      uuid: update.uuid ?? update.status.uuid ?? new Uint8Array(),
    } as const;
    const conn = this.ctx.frameworks.get(update.framework_id.value)?.executorOfTask(update.status.task_id.value)?.conn;
    if (conn !== undefined && conn.id === to) conn.send(ack);
    else if (!isHttpConnectionId(to)) this.ctx.send(to, ack);
  }

  /** M→A StatusUpdateAcknowledgement: the head of the task's stream was delivered. */
  statusUpdateAcknowledgement(m: StatusUpdateAcknowledgement, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    const fid = m.framework_id.value;
    const taskId = m.task_id.value;
    const uuid = uuidToString(m.uuid);
    const acked = ctx.updates.acknowledge(fid, taskId, uuid);
    if (!acked) return ctx.log.debug({ task_id: taskId, uuid }, 'ignoring an acknowledgement that does not match the pending update');
    const f = ctx.frameworks.get(fid);
    const e = f?.executorOfTask(taskId);
    if (e && e.checkpoint && f?.checkpoint) ctx.parts.checkpointer.acknowledgement(e, taskId, uuid);
    if (!isTerminalState(acked.status.state) || !f || !e) return;
    e.completeTask(taskId);
    if (e.state === 'TERMINATED' && e.incompleteTasks === 0) ctx.parts.executors.remove(f, e);
  }
}

/** Mesos's getExecutorInfo: a command task runs under an executor with the task's id. */
function commandExecutorInfo(task: TaskInfo, frameworkId: string): ExecutorInfo {
  const command = task.command?.value ?? '';
  const resources: Resource[] = [
    { name: 'cpus', type: 'SCALAR', scalar: { value: COMMAND_EXECUTOR_CPUS } },
    { name: 'mem', type: 'SCALAR', scalar: { value: COMMAND_EXECUTOR_MEM } },
  ];
  // Allocate the allowance to the task's role, like the task's own resources.
  const role = safeResources(task.resources).entries()[0]?.allocationRole;
  const info: ExecutorInfo = {
    executor_id: { value: task.task_id.value },
    framework_id: { value: frameworkId },
    name: `Command Executor (Task: ${task.task_id.value}) (Command: sh -c '${command.length > 15 ? command.slice(0, 12) + '...' : command}')`,
    source: task.task_id.value,
    command: { value: 'mesos-ts command executor', shell: false },
    resources: role === undefined ? resources : resources.map((r) => ({ ...r, allocation_info: { role } })),
  };
  if (task.container !== undefined) info.container = task.container;
  return info;
}

/** Whether a list of resources holds a persistent volume. */
function hasVolume(resources: readonly Resource[] | undefined): boolean {
  return (resources ?? []).some((r) => r.disk?.persistence !== undefined);
}
