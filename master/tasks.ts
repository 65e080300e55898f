// Tasks: kills, status updates and their acknowledgements, reconciliation, and the messages
// relayed between frameworks and executors (Mesos's Master::statusUpdate, reconcile, …).

import { type Pid } from '../runtime/index.js';
import {
  isTerminalState,
  stateForFramework,
  taskStatus,
  uuidEquals,
  type ExecutorToFramework,
  type ExitedExecutor,
  type FrameworkToExecutor,
  type KillTask,
  type ReconcileTasks,
  type StatusUpdate,
  type StatusUpdateAcknowledgement,
  type Task,
  type TaskState,
  type TaskStatus,
} from '../protocol/index.js';
import { FrameworkRecord, TaskEntry } from './state.js';
import { type MasterContext, callingFramework, dropped, sendMasterUpdate, recoverResources, nowSecs, toScheduler } from './context.js';

export function killTask(ctx: MasterContext, m: KillTask, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'KillTask', m.framework_id.value, from, true);
  if (fw === undefined) return;
  const entry = fw.tasks.get(m.task_id.value);
  if (entry === undefined) {
    // Mesos answers a kill of an unknown task with an explicit reconciliation of it.
    ctx.log.warn({ framework: fw.id, task: m.task_id.value }, 'kill of an unknown task; reconciling it');
    return reconcile(ctx, fw, [{ task_id: m.task_id, state: 'TASK_STAGING', ...(m.agent_id !== undefined ? { agent_id: m.agent_id } : {}) }]);
  }
  const agent = ctx.state.agents.get(entry.agentId);
  if (agent === undefined) return;
  ctx.state.addKilledTask(agent, fw.id, entry.id);
  if (agent.connected) {
    ctx.send(agent.pid, { name: 'KillTask', framework_id: { value: fw.id }, task_id: m.task_id, ...(m.kill_policy !== undefined ? { kill_policy: m.kill_policy } : {}) });
  } else {
    ctx.log.info({ framework: fw.id, task: entry.id, agent: agent.id }, 'agent disconnected; the kill is sent when it re-registers');
  }
}

export function statusUpdate(ctx: MasterContext, m: StatusUpdate, from: Pid | ''): void {
  const u = m.update;
  const agentId = u.agent_id?.value ?? u.status.agent_id?.value;
  const agent = agentId === undefined ? undefined : ctx.state.agents.get(agentId);
  if (agent === undefined || from !== agent.pid) {
    ctx.metrics.invalidStatusUpdates.inc();
    return dropped(ctx, 'StatusUpdate', `it is not from a registered agent (agent ${agentId ?? 'none'}, from ${from || 'nobody'})`, 'not_from_agent');
  }
  const fw = ctx.state.frameworks.get(u.framework_id.value);
  // Forwarded as is (pid = the agent), so the scheduler acknowledges it; a disconnected
  // framework gets it later, because the agent retries until acknowledged.
  if (fw !== undefined) toScheduler(fw, { name: 'StatusUpdate', update: u, pid: agent.pid });
  const entry = agent.tasks.get(u.framework_id.value)?.get(u.status.task_id.value);
  if (entry === undefined) {
    ctx.metrics.invalidStatusUpdates.inc();
    ctx.log.warn({ framework: u.framework_id.value, task: u.status.task_id.value, agent: agent.id }, 'status update for an unknown task');
    return;
  }
  ctx.log.info({ framework: u.framework_id.value, task: entry.id, agent: agent.id }, `Status update ${u.status.state} for task ${entry.id} of framework ${u.framework_id.value} from agent ${agent.id}`);
  updateTask(ctx, entry, u.status, u.latest_state);
  ctx.metrics.validStatusUpdates.inc();
}

/**
 * Records a status on a task: the status-update state always; the task's state (from the
 * agent's `latest_state` when given) only while it is not terminal. Resources go back the
 * first time it becomes terminal.
 */
export function updateTask(ctx: MasterContext, entry: TaskEntry, status: TaskStatus, latestState?: TaskState): void {
  const task = entry.task;
  task.status_update_state = status.state;
  if (status.uuid !== undefined) task.status_update_uuid = status.uuid;
  else delete task.status_update_uuid;
  const { data: _data, ...kept } = status; // Mesos drops `data` to bound the master's memory
  // As Mesos's Master::updateTask: a status of the same state replaces the last one, so a
  // TASK_RUNNING that brings `healthy` or `check_status` is what /state shows.
  const last = task.statuses[task.statuses.length - 1];
  if (last !== undefined && last.state === kept.state) task.statuses[task.statuses.length - 1] = kept;
  else task.statuses.push(kept);
  if (isTerminalState(task.state)) return;
  const next = latestState ?? status.state;
  if (next === task.state) return;
  task.state = next;
  ctx.state.observer?.taskUpdated(entry, status);
  if (isTerminalState(next)) {
    ctx.metrics.terminal(next, status.source, status.reason);
    recoverTask(ctx, entry);
  }
}

/** A master-made status for a task, recorded on it (used when the master decides the state). */
export function setTaskState(ctx: MasterContext, entry: TaskEntry, status: TaskStatus): void {
  const task = entry.task;
  const last = task.statuses[task.statuses.length - 1];
  if (last === undefined || last.state !== status.state) task.statuses.push(status);
  task.status_update_state = status.state;
  delete task.status_update_uuid;
  if (isTerminalState(task.state)) return;
  task.state = status.state;
  ctx.state.observer?.taskUpdated(entry, status);
  if (isTerminalState(status.state)) ctx.metrics.terminal(status.state, status.source, status.reason);
}

export function recoverTask(ctx: MasterContext, entry: TaskEntry): void {
  if (entry.recovered) return;
  entry.recovered = true;
  recoverResources(ctx, entry.frameworkId, entry.agentId, entry.resources);
}

/** The task leaves the active set for `completed_tasks` (acknowledged terminal update, or removal). */
export function removeTask(ctx: MasterContext, entry: TaskEntry): void {
  recoverTask(ctx, entry);
  ctx.state.removeTask(entry);
}

export function statusUpdateAcknowledgement(ctx: MasterContext, m: StatusUpdateAcknowledgement, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'StatusUpdateAcknowledgement', m.framework_id.value, from, true);
  if (fw === undefined) {
    ctx.metrics.invalidAcks.inc();
    return;
  }
  const agent = ctx.state.agents.get(m.agent_id.value);
  if (agent === undefined || !agent.connected) {
    ctx.metrics.invalidAcks.inc();
    return dropped(ctx, 'StatusUpdateAcknowledgement', `agent ${m.agent_id.value} is not registered and connected`);
  }
  const entry = fw.tasks.get(m.task_id.value);
  if (entry !== undefined && entry.agentId === agent.id) {
    const s = entry.task.status_update_state;
    // Acknowledging the terminal update completes the task in the master.
    if (s !== undefined && isTerminalState(s) && uuidEquals(entry.task.status_update_uuid, m.uuid)) removeTask(ctx, entry);
  }
  ctx.metrics.validAcks.inc();
  ctx.send(agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: m.agent_id, framework_id: m.framework_id, task_id: m.task_id, uuid: m.uuid });
}

export function reconcileTasks(ctx: MasterContext, m: ReconcileTasks, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'ReconcileTasks', m.framework_id.value, from, true);
  if (fw === undefined) return;
  reconcile(ctx, fw, m.statuses);
}

/** Answers from memory (Mesos's Master::reconcile, fault-tolerance.md §6); never asks agents. */
export function reconcile(ctx: MasterContext, fw: FrameworkRecord, statuses: readonly TaskStatus[]): void {
  const now = nowSecs(ctx);
  const answer = (task: Task): void => {
    const last = task.statuses[task.statuses.length - 1];
    const status = taskStatus({
      task_id: task.task_id,
      state: task.status_update_state ?? task.state,
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      message: 'Reconciliation: latest task status',
      agent_id: task.agent_id,
      executor_id: task.executor_id,
      timestamp: now,
      healthy: last?.healthy,
      labels: last?.labels,
    });
    if (last?.container_status !== undefined) status.container_status = last.container_status;
    sendMasterUpdate(ctx, fw, status);
  };
  if (statuses.length === 0) {
    for (const entry of fw.tasks.values()) answer(entry.task);
    return;
  }
  for (const s of statuses) {
    const entry = fw.tasks.get(s.task_id.value);
    if (entry !== undefined) {
      answer(entry.task);
      continue;
    }
    const unreachableTask = fw.unreachableTasks.get(s.task_id.value);
    const agentId = s.agent_id?.value ?? unreachableTask?.agent_id.value;
    let state: TaskState;
    let unreachableTime: { nanoseconds: number } | undefined;
    let message: string;
    if (agentId !== undefined && (ctx.state.recoveredAgents.has(agentId) || ctx.pending.leaving.has(agentId))) continue; // in transition: ask again later
    if (agentId === undefined && ctx.state.recoveredAgents.size > 0) continue;
    if (agentId !== undefined && ctx.state.agents.has(agentId)) {
      state = 'TASK_GONE';
      message = 'Reconciliation: task is unknown to the agent';
    } else if (agentId !== undefined && ctx.state.unreachableAgents.has(agentId)) {
      state = 'TASK_UNREACHABLE';
      unreachableTime = { nanoseconds: ctx.state.unreachableAgents.get(agentId)!.timeMs * 1e6 };
      message = 'Reconciliation: task is on an unreachable agent';
    } else {
      state = 'TASK_UNKNOWN';
      message = 'Reconciliation: task is unknown';
    }
    sendMasterUpdate(
      ctx,
      fw,
      taskStatus({
        task_id: s.task_id,
        state: stateForFramework(state, fw.partitionAware),
        source: 'SOURCE_MASTER',
        reason: 'REASON_RECONCILIATION',
        message,
        agent_id: agentId === undefined ? undefined : { value: agentId },
        timestamp: now,
        unreachable_time: unreachableTime,
      }),
    );
  }
}

export function frameworkToExecutor(ctx: MasterContext, m: FrameworkToExecutor, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'FrameworkToExecutor', m.framework_id.value, from, true);
  if (fw === undefined) return;
  const agent = ctx.state.agents.get(m.agent_id.value);
  if (agent === undefined || !agent.connected) return dropped(ctx, 'FrameworkToExecutor', `agent ${m.agent_id.value} is not registered and connected`);
  ctx.send(agent.pid, m);
}

export function executorToFramework(ctx: MasterContext, m: ExecutorToFramework, from: Pid | ''): void {
  const agent = ctx.state.agents.get(m.agent_id.value);
  if (agent === undefined || agent.pid !== from) return dropped(ctx, 'ExecutorToFramework', `it is not from registered agent ${m.agent_id.value}`, 'not_from_agent');
  const fw = ctx.state.frameworks.get(m.framework_id.value);
  if (fw === undefined || !fw.connected || fw.conn === undefined) return dropped(ctx, 'ExecutorToFramework', `framework ${m.framework_id.value} is not connected`);
  toScheduler(fw, m);
}

export function exitedExecutor(ctx: MasterContext, m: ExitedExecutor, from: Pid | ''): void {
  const agent = ctx.state.agents.get(m.agent_id.value);
  if (agent === undefined || agent.pid !== from) return dropped(ctx, 'ExitedExecutor', `it is not from registered agent ${m.agent_id.value}`, 'not_from_agent');
  const fwId = m.framework_id.value;
  const execId = m.executor_id.value;
  const e = ctx.state.removeExecutor(agent, fwId, execId);
  if (e !== undefined) recoverResources(ctx, fwId, agent.id, e.resources);
  const fw = ctx.state.frameworks.get(fwId);
  if (fw !== undefined) toScheduler(fw, m);
}
