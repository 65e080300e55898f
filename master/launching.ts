// Launching: ACCEPT and the v0 launchTasks, validated as Mesos's Master::accept does; dynamic
// reservations inside an accept; one task launched or rejected at a time.

import { type Pid } from '../runtime/index.js';
import {
  newTask,
  rejectionStatus,
  Resources,
  validateLaunch,
  validateLaunchOperation,
  validateOffers,
  type Accept,
  type LaunchOutcome,
  type LaunchRejection,
  type LaunchTasks,
  type OfferOperation,
  type TaskInfo,
} from '../protocol/index.js';
import { AgentRecord, FrameworkRecord, TaskEntry } from './state.js';
import { type MasterContext, callingFramework, sendMasterUpdate, recoverResources, nowSecs, allocateAll } from './context.js';
import { removeOffer } from './offers.js';

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

  const inUse = new Set<string>([...fw.tasks.keys(), ...fw.unreachableTasks.keys()]);
  const executors = fw.executorInfosOn(agent.id);
  for (const op of operations) {
    if (op.type === 'LAUNCH') {
      const problem = validateLaunchOperation(op);
      if (problem !== undefined) {
        for (const task of operationTasks(op)) rejectTask(ctx, fw, task, problem);
        continue;
      }
      const result = validateLaunch(op.launch?.task_infos ?? [], {
        framework_id: { value: fw.id },
        agent_id: { value: agent.id },
        agent_capabilities: agent.capabilities,
        allocation_role: role,
        offered: remaining,
        task_ids_in_use: inUse,
        executors,
      });
      for (const outcome of result.outcomes) {
        if (!outcome.ok) {
          rejectTask(ctx, fw, outcome.task, outcome.rejection);
          continue;
        }
        launchTask(ctx, fw, agent, role, outcome);
        inUse.add(outcome.task.task_id.value);
        if (outcome.launch_executor && outcome.task.executor !== undefined) executors.set(outcome.task.executor.executor_id.value, outcome.task.executor);
      }
      remaining = result.remaining;
    } else if (op.type === 'LAUNCH_GROUP') {
      // Departure: task groups (and the default executor) are not supported yet.
      for (const task of operationTasks(op)) {
        rejectTask(ctx, fw, task, { state: 'TASK_ERROR', reason: 'REASON_TASK_GROUP_INVALID', message: 'LAUNCH_GROUP is not supported by this master' });
      }
    } else if (op.type === 'RESERVE' || op.type === 'UNRESERVE') {
      const applied = applyReservation(ctx, fw, agent, role, op, remaining);
      if (typeof applied === 'string') ctx.log.warn({ framework: fw.id, agent: agent.id, operation: op.type }, `${op.type} dropped: ${applied}`);
      else remaining = applied;
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

export function rejectTask(ctx: MasterContext, fw: FrameworkRecord, task: Pick<TaskInfo, 'task_id' | 'agent_id'>, rejection: LaunchRejection): void {
  const status = rejectionStatus(rejection, task, nowSecs(ctx));
  ctx.metrics.terminal(status.state, 'SOURCE_MASTER', rejection.reason);
  ctx.log.info({ framework: fw.id, task: task.task_id.value, state: status.state, reason: rejection.reason }, rejection.message);
  sendMasterUpdate(ctx, fw, status);
}

function operationTasks(op: OfferOperation): TaskInfo[] {
  if (op.type === 'LAUNCH') return op.launch?.task_infos ?? [];
  if (op.type === 'LAUNCH_GROUP') return op.launch_group?.task_group.tasks ?? [];
  return [];
}
