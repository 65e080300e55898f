// Launching: ACCEPT and the v0 launchTasks, validated as Mesos's Master::accept does; dynamic
// reservations inside an accept; one task launched or rejected at a time.

import { type Pid } from '../runtime/index.js';
import type { AgentInbox } from '../protocol/index.js';
import {
  newTask,
  rejectionStatus,
  Resources,
  validateLaunch,
  validateLaunchOperation,
  validateOffers,
  validateTaskGroup,
  type Accept,
  type ExecutorInfo,
  type LaunchContext,
  type LaunchOutcome,
  type LaunchRejection,
  type LaunchTasks,
  type OfferOperation,
  type TaskInfo,
} from '../protocol/index.js';
import { AgentRecord, FrameworkRecord, TaskEntry } from './state.js';
import { type MasterActorInbox, type MasterContext, callingFramework, peerPid, sendMasterUpdate, recoverResources, nowSecs, allocateAll } from './context.js';
import { authorized } from '../protocol/index.js';
import { removeOffer } from './offers.js';
import { applyVolumeOperation, checkpointResources, reservationOfVolume, volumeSplitProblem } from './volumes.js';

type TaskIdsInUse = LaunchContext['task_ids_in_use'];

export function launchTasks(ctx: MasterContext, m: LaunchTasks, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'LaunchTasks', m.framework_id.value, from, true);
  if (fw === undefined) return;
  // The v0 launchTasks is an ACCEPT with one LAUNCH; no tasks means decline everything.
  acceptOffers(ctx, fw, m.offer_ids, [{ type: 'LAUNCH', launch: { task_infos: m.tasks } }], m.filters);
}

export function accept(ctx: MasterContext, m: Accept, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'Accept', m.framework_id.value, from, true);
  if (fw === undefined) return;
  acceptOffers(ctx, fw, m.offer_ids, m.operations, m.filters);
}

export function acceptOffers(ctx: MasterContext, fw: FrameworkRecord, offerIds: readonly { value: string }[], operations: readonly OfferOperation[], filters: { refuse_seconds?: number } | undefined): void {
  const invalid = validateOffers({
    offer_ids: offerIds,
    framework_id: { value: fw.id },
    partition_aware: fw.partitionAware,
    lookupOffer: (id) => {
      const r = ctx.state.offers.get(id);
      return r === undefined ? undefined : { framework_id: r.offer.framework_id, agent_id: r.offer.agent_id, allocation_info: { role: r.role } };
    },
    agentConnected: (id) => {
      const a = ctx.state.agents.get(id);
      return a !== undefined && a.connected && a.active;
    },
  });
  if (invalid !== undefined) {
    // Offers that are still valid are discarded; every task is told why.
    for (const { value: id } of offerIds) {
      const r = ctx.state.offers.get(id);
      if (r !== undefined && r.offer.framework_id.value === fw.id) removeOffer(ctx, r, false);
    }
    for (const op of operations) for (const task of operationTasks(op)) rejectTask(ctx, fw, task, invalid);
    return;
  }

  const records = offerIds.map(({ value }) => ctx.state.offers.get(value)!);
  const first = records[0]!;
  const agent = ctx.state.agents.get(first.offer.agent_id.value)!;
  const role = first.role;
  let remaining = Resources.EMPTY;
  for (const r of records) {
    remaining = remaining.add(r.resources);
    removeOffer(ctx, r, false, false);
  }

  // Read live: a task launched earlier in this call is in fw.tasks already.
  const inUse: TaskIdsInUse = { has: (id) => fw.tasks.has(id) || fw.unreachableTasks.has(id) };
  const executors = fw.executorInfosOn(agent.id);
  // Operations dropped earlier in the call, named in the rejection of a task that needed them (mesos-ts only).
  const droppedOps: string[] = [];
  const noted = (r: LaunchRejection): LaunchRejection => (droppedOps.length === 0 ? r : { ...r, message: `${r.message} (${droppedOps.join('; ')})` });
  for (const op of operations) {
    if (op.type === 'LAUNCH') {
      const problem = validateLaunchOperation(op);
      if (problem !== undefined) {
        for (const task of operationTasks(op)) rejectTask(ctx, fw, task, problem);
        continue;
      }
      const admitted = (op.launch?.task_infos ?? [])
        .filter((task) => {
          const refusal = admissionProblem(ctx, fw, task) ?? volumeSplitProblem(agent, [...(task.resources ?? []), ...(task.executor?.resources ?? [])]);
          if (refusal !== undefined) rejectTask(ctx, fw, task, refusal);
          return refusal === undefined;
        })
        .map((task) => (task.executor === undefined ? task : { ...task, executor: comparableExecutor(fw, task.executor, role) }));
      const result = validateLaunch(admitted, launchContext(fw, agent, role, remaining, inUse, executors));
      for (const outcome of result.outcomes) {
        if (!outcome.ok) {
          rejectTask(ctx, fw, outcome.task, noted(outcome.rejection));
          continue;
        }
        launchTask(ctx, fw, agent, role, outcome);
        if (outcome.launch_executor && outcome.task.executor !== undefined) executors.set(outcome.task.executor.executor_id.value, outcome.task.executor);
      }
      remaining = result.remaining;
    } else if (op.type === 'LAUNCH_GROUP') {
      remaining = launchGroup(ctx, fw, agent, role, op, remaining, inUse, executors);
    } else if (op.type === 'RESERVE' || op.type === 'UNRESERVE') {
      const applied = applyReservation(ctx, fw, agent, role, op, remaining);
      if (typeof applied === 'string') {
        ctx.log.warn({ framework: fw.id, agent: agent.id, operation: op.type }, `${op.type} dropped: ${applied}`);
        droppedOps.push(`${op.type} dropped: ${applied}`);
      } else {
        remaining = applied;
        checkpointResources(ctx, agent);
      }
    } else if (op.type === 'CREATE' || op.type === 'DESTROY') {
      const applied = applyVolumeOperation(ctx, fw, agent, role, op, remaining);
      if (typeof applied === 'string') {
        ctx.log.warn({ framework: fw.id, agent: agent.id, operation: op.type }, `${op.type} dropped: ${applied}`);
        droppedOps.push(`${op.type} dropped: ${applied}`);
      } else remaining = applied;
    } else {
      ctx.log.warn({ framework: fw.id, operation: op.type }, 'offer operation not supported; ignored');
    }
  }
  // What the launches left is declined with the call's filters (5 s when it sets none).
  if (!remaining.isEmpty()) recoverResources(ctx, fw.id, agent.id, remaining, filters ?? {});
}

/**
 * A dynamic RESERVE or UNRESERVE inside an ACCEPT (Mesos's Master::_accept): the offered
 * resources change reservation in place, stay offered to the framework for the rest of the
 * call, and the allocator and the agent's total follow. Returns what remains offered, or why
 * the operation is invalid (Mesos drops an invalid operation and carries on with the others).
 */
export function applyReservation(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, role: string, op: OfferOperation, remaining: Resources): Resources | string {
  const reserving = op.type === 'RESERVE';
  const given = (reserving ? op.reserve?.resources : op.unreserve?.resources) ?? [];
  let resources: Resources;
  try {
    resources = Resources.fromJSON(given).unallocate();
  } catch (err) {
    return `invalid resources: ${(err as Error).message}`;
  }
  if (resources.isEmpty()) return 'no resources given';
  const volume = reservationOfVolume(resources, reserving ? 'RESERVE' : 'UNRESERVE');
  if (volume !== undefined) return volume;
  for (const e of resources.entries()) {
    const last = e.reservations[e.reservations.length - 1];
    if (last === undefined) return `${e.toString()} carries no reservation`;
    if (last.type !== 'DYNAMIC') return `${e.toString()} is not a dynamic reservation`;
    if (last.role !== role) return `the reservation role '${last.role}' is not the offer's role '${role}'`;
    if (reserving && last.principal !== undefined && last.principal !== fw.info.principal) {
      return `the reservation's principal '${last.principal}' is not the framework's principal '${fw.info.principal ?? ''}'`;
    }
  }
  const consumed = reserving ? resources.unreserve() : resources;
  const converted = reserving ? resources : resources.unreserve();
  const offered = remaining.unallocate();
  if (!offered.contains(consumed)) return `${consumed.toString()} is not in the offered ${offered.toString()}`;
  agent.total = agent.total.subtract(consumed).add(converted);
  ctx.send(ctx.allocator, {
    name: 'AllocatorUpdateAllocation',
    framework_id: fw.id,
    agent_id: agent.id,
    role,
    operations: [{ type: reserving ? 'RESERVE' : 'UNRESERVE', resources: resources.allocate(role) }],
  });
  ctx.log.info({ framework: fw.id, agent: agent.id, resources: resources.toString() }, op.type === 'RESERVE' ? 'reserved' : 'unreserved');
  return offered.subtract(consumed).add(converted).allocate(role);
}

export function launchTask(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, role: string, outcome: Extract<LaunchOutcome, { ok: true }>): void {
  const info = outcome.task;
  // Mesos injects the offers' allocation role into resources that lack it.
  const executor = info.executor === undefined ? undefined : { ...info.executor, resources: allocateAll(info.executor.resources ?? [], role) };
  const taskInfo: TaskInfo = { ...info, resources: allocateAll(info.resources ?? [], role), ...(executor !== undefined ? { executor } : {}) };
  const task = newTask({ ...taskInfo, agent_id: { value: agent.id } }, fw.id, 'TASK_STAGING', executor?.executor_id.value, fw.info.user);
  const entry = new TaskEntry(task, Resources.fromJSON(task.resources));
  ctx.state.addTask(entry);
  if (outcome.launch_executor && info.executor !== undefined && executor !== undefined) {
    // Kept as the framework sent it, so later tasks naming the same executor compare equal.
    ctx.state.addExecutor(fw, agent, info.executor, Resources.fromJSON(executor.resources ?? []));
  }
  ctx.log.info({ framework: fw.id, task: entry.id, agent: agent.id }, `Launching task ${entry.id} of framework ${fw.id} with resources ${entry.resources.toString()} on agent ${agent.id}`);
  ctx.send(agent.pid, { name: 'RunTask', framework: fw.info, task: taskInfo, pid: fw.pid ?? '', launch_executor: outcome.launch_executor });
}

/** What a launch is validated against: the framework's offers on one agent, its task ids and executors there. */
function launchContext(
  fw: FrameworkRecord,
  agent: AgentRecord,
  role: string,
  offered: Resources,
  inUse: TaskIdsInUse,
  executors: Map<string, ExecutorInfo>,
): LaunchContext {
  return { framework_id: { value: fw.id }, agent_id: { value: agent.id }, agent_capabilities: agent.capabilities, allocation_role: role, offered, task_ids_in_use: inUse, executors };
}

/**
 * A LAUNCH_GROUP (Mesos's Master::_accept for task groups): every task of the group is
 * admitted, validated and added, or all of them are rejected; the agent gets them in one
 * RunTaskGroup for the group's DEFAULT executor. Returns what is left of the offers.
 */
function launchGroup(
  ctx: MasterContext,
  fw: FrameworkRecord,
  agent: AgentRecord,
  role: string,
  op: OfferOperation,
  remaining: Resources,
  inUse: TaskIdsInUse,
  executors: Map<string, ExecutorInfo>,
): Resources {
  const tasks = operationTasks(op);
  for (const task of tasks) {
    const refusal = admissionProblem(ctx, fw, task) ?? volumeSplitProblem(agent, [...(task.resources ?? []), ...(op.launch_group?.executor.resources ?? [])]);
    if (refusal === undefined) continue;
    const reason = refusal.reason === 'REASON_TASK_UNAUTHORIZED' ? 'REASON_TASK_GROUP_UNAUTHORIZED' : 'REASON_TASK_GROUP_INVALID';
    for (const t of tasks) rejectTask(ctx, fw, t, { ...refusal, reason });
    return remaining;
  }
  // Compared with the executors the framework has in the master's one form (comparableExecutor).
  const group = op.launch_group;
  const comparable = group === undefined ? op : { ...op, launch_group: { ...group, executor: comparableExecutor(fw, group.executor, role) } };
  const check = validateTaskGroup(comparable, launchContext(fw, agent, role, remaining, inUse, executors));
  if (!check.ok) {
    for (const t of check.tasks) rejectTask(ctx, fw, t, check.rejection);
    return remaining;
  }
  const eid = check.executor.executor_id.value;
  const executor = check.executor;
  if (check.launch_executor) {
    ctx.state.addExecutor(fw, agent, executor, Resources.fromJSON(executor.resources ?? []));
    executors.set(eid, check.executor);
  }
  const taskInfos = check.tasks.map((t): TaskInfo => ({ ...t, agent_id: { value: agent.id }, resources: allocateAll(t.resources ?? [], role) }));
  for (const info of taskInfos) {
    const entry = new TaskEntry(newTask(info, fw.id, 'TASK_STAGING', eid, fw.info.user), Resources.fromJSON(info.resources ?? []));
    ctx.state.addTask(entry);
  }
  ctx.log.info({ framework: fw.id, agent: agent.id, executor: eid }, `Launching task group {${taskInfos.map((t) => t.task_id.value).join(', ')}} of framework ${fw.id} on agent ${agent.id}`);
  ctx.send(agent.pid, { name: 'RunTaskGroup', framework: fw.info, executor, task_group: { tasks: taskInfos }, pid: fw.pid ?? '', launch_executor: check.launch_executor });
  return check.remaining;
}

/**
 * An ExecutorInfo in the one form the master keeps and compares: with the framework's id and
 * every resource allocated to a role, as the agent reports it back. A task naming an executor
 * the framework already has must be equal to it in this form, whether the master learned the
 * executor from a launch or from an agent re-registering after a master restart.
 */
export function comparableExecutor(fw: FrameworkRecord, executor: ExecutorInfo, role: string): ExecutorInfo {
  return { ...executor, framework_id: executor.framework_id ?? { value: fw.id }, resources: allocateAll(executor.resources ?? [], role) };
}

export function rejectTask(ctx: MasterContext, fw: FrameworkRecord, task: Pick<TaskInfo, 'task_id' | 'agent_id'>, rejection: LaunchRejection): void {
  const status = rejectionStatus(rejection, task, nowSecs(ctx));
  ctx.metrics.terminal(status.state, 'SOURCE_MASTER', rejection.reason);
  ctx.log.info({ framework: fw.id, task: task.task_id.value, state: status.state, reason: rejection.reason }, rejection.message);
  sendMasterUpdate(ctx, fw, status);
}

/** Linux refuses one argv or environment string above 128 KiB (MAX_ARG_STRLEN), so no executor could start such a task. */
const MAX_ARG = 128 * 1024;
/** All of a command's strings together. */
const MAX_COMMAND = 1024 * 1024;

/** Why the master refuses a task before its resources are checked: the ACLs, or a command no agent can run. */
export function admissionProblem(ctx: MasterContext, fw: FrameworkRecord, task: TaskInfo): LaunchRejection | undefined {
  const command = task.command ?? task.executor?.command;
  const user = command?.user ?? fw.info.user;
  if (!authorized(ctx.opts.acls, 'run_tasks', fw.info.principal, user)) {
    return { state: 'TASK_ERROR', reason: 'REASON_TASK_UNAUTHORIZED', message: `Not authorized to launch as user '${user}'` };
  }
  if (command !== undefined) {
    const strings = [command.value ?? '', ...(command.arguments ?? []), ...(command.environment?.variables ?? []).map((v) => `${v.name}=${v.value ?? ''}`)];
    let total = 0;
    for (const s of strings) {
      if (s.length > MAX_ARG) return { state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: `Task's command has a string of ${s.length} characters; at most ${MAX_ARG} can be executed` };
      total += s.length;
    }
    if (total > MAX_COMMAND) return { state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: `Task's command is ${total} characters long; at most ${MAX_COMMAND}` };
  }
  return undefined;
}

function operationTasks(op: OfferOperation): TaskInfo[] {
  if (op.type === 'LAUNCH') return op.launch?.task_infos ?? [];
  if (op.type === 'LAUNCH_GROUP') return op.launch_group?.task_group.tasks ?? [];
  return [];
}

// ---------------------------------------------------------------- calls the schema refused

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 1024 ? v : undefined);
const idOf = (v: unknown): string | undefined => (typeof v === 'object' && v !== null ? str((v as { value?: unknown }).value) : undefined);
const ids = (v: unknown, pick: (x: unknown) => unknown = (x) => x): string[] =>
  Array.isArray(v) ? v.slice(0, 1000).map((x) => idOf(pick(x))).filter((x): x is string => x !== undefined) : [];

/**
 * What an answer to a refused LaunchTasks, Accept or RegisterAgent needs, read defensively from
 * a body that failed its schema (a NaN in a resource, a bound exceeded): the rest is ignored.
 */
export function invalidCall(name: string, sender: Pid, body: unknown, problem: string): Extract<MasterActorInbox, { name: '_InvalidCall' }> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const base = { name: '_InvalidCall' as const, call: name, sender, problem: problem.slice(0, 500) };
  if (name === 'LaunchTasks') return { ...base, framework_id: idOf(b['framework_id']), offer_ids: ids(b['offer_ids']), task_ids: ids(b['tasks'], (t) => (t as { task_id?: unknown } | null)?.task_id) };
  if (name === 'Accept') {
    const ops = Array.isArray(b['operations']) ? b['operations'].slice(0, 100) : [];
    const tasks = ops.flatMap((op: unknown) => {
      const o = op as { launch?: { task_infos?: unknown }; launch_group?: { task_group?: { tasks?: unknown } } } | null;
      const launch = o?.launch?.task_infos ?? o?.launch_group?.task_group?.tasks;
      return Array.isArray(launch) ? launch.slice(0, 1000) : [];
    });
    return { ...base, framework_id: idOf(b['framework_id']), offer_ids: ids(b['offer_ids']), task_ids: ids(tasks, (t) => (t as { task_id?: unknown } | null)?.task_id) };
  }
  if (name === 'RegisterAgent' || name === 'ReregisterAgent') return { ...base, framework_id: undefined, offer_ids: [], task_ids: [] };
  return undefined;
}

/** Answers a refused call: every task gets TASK_ERROR with the reason and its offers are recovered; an agent is told why it is refused. */
export function answerInvalidCall(ctx: MasterContext, m: Extract<MasterActorInbox, { name: '_InvalidCall' }>): void {
  if (m.call === 'RegisterAgent' || m.call === 'ReregisterAgent') {
    ctx.log.warn({ pid: m.sender, problem: m.problem }, 'refusing agent registration');
    return ctx.send(peerPid<AgentInbox>(m.sender), { name: 'Shutdown', message: `Invalid registration: ${m.problem}` });
  }
  if (m.framework_id === undefined) return;
  const fw = callingFramework(ctx, m.call, m.framework_id, m.sender, true);
  if (fw === undefined) return;
  let agentId = '';
  for (const id of m.offer_ids) {
    const r = ctx.state.offers.get(id);
    if (r === undefined || r.offer.framework_id.value !== fw.id) continue;
    agentId = r.offer.agent_id.value;
    removeOffer(ctx, r, false);
  }
  for (const id of m.task_ids) rejectTask(ctx, fw, { task_id: { value: id }, agent_id: { value: agentId } }, { state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: `Task is invalid: ${m.problem}` });
}
