// Frameworks: registration, re-registration and failover, deactivation, disconnection and
// removal (Mesos's Master::subscribe, failoverFramework, removeFramework).

import { type Pid } from '../runtime/index.js';
import {
  formatFrameworkId,
  frameworkRoles,
  isTerminalState,
  type FrameworkInfo,
  validateFrameworkInfo,
  type DeactivateFramework,
  type RegisterFramework,
  type ReregisterFramework,
  type SchedulerInbox,
  type UnregisterFramework,
} from '../protocol/index.js';
import { authorized } from '../protocol/index.js';
import { FrameworkRecord } from './state.js';
import { type MasterContext, callingFramework, frameworkError, dropped, masterStatus, peerPid, timerKeys, toAllocator } from './context.js';
import { removeOffersOf } from './offers.js';
import { setTaskState, removeTask } from './tasks.js';

export function registerFramework(ctx: MasterContext, m: RegisterFramework, sender: Pid | ''): void {
  if (sender === '') return dropped(ctx, 'RegisterFramework', 'it has no sender');
  const from = peerPid<SchedulerInbox>(sender);
  const info = m.framework;
  if (info.id !== undefined && info.id.value !== '') {
    return frameworkError(ctx, from, "Registering with 'id' set is not allowed; re-register to fail over a framework");
  }
  const error = validateFrameworkInfo(info, { allowed_roles: ctx.opts.roles, root_submissions: ctx.opts.rootSubmissions }) ?? admissionError(ctx, info, from);
  if (error !== undefined) return frameworkError(ctx, from, error);

  // A retried registration from a pid that is already registered is acknowledged again.
  const existing = ctx.state.connectedFrameworkAt(from);
  if (existing !== undefined) {
    ctx.log.info({ framework: existing.id }, 'framework already registered; resending acknowledgement');
    return ctx.send(from, { name: 'FrameworkRegistered', framework_id: { value: existing.id }, master_info: ctx.info });
  }

  const id = formatFrameworkId(ctx.id, ctx.ids.framework++);
  const fw = new FrameworkRecord(id, { ...info, id: { value: id } }, from, ctx.now(), ctx.opts.maxCompletedTasksPerFramework);
  fw.suppressedRoles = new Set((m.suppressed_roles ?? []).filter((r) => fw.roles.includes(r)));
  ctx.state.addFramework(fw);
  watch(ctx, fw, from);
  toAllocator(ctx, { name: 'AllocatorAddFramework', framework_id: id, info: fw.info, used: new Map(), active: true, suppressed_roles: [...fw.suppressedRoles] });
  ctx.log.info({ framework: id, name: info.name, pid: from }, 'framework registered');
  ctx.send(from, { name: 'FrameworkRegistered', framework_id: { value: id }, master_info: ctx.info });
}

export function reregisterFramework(ctx: MasterContext, m: ReregisterFramework, sender: Pid | ''): void {
  if (sender === '') return dropped(ctx, 'ReregisterFramework', 'it has no sender');
  const from = peerPid<SchedulerInbox>(sender);
  const info = m.framework;
  const id = info.id?.value;
  if (id === undefined || id === '') return frameworkError(ctx, from, "Re-registering without an 'id' is not allowed; register instead");
  const error = validateFrameworkInfo(info, { allowed_roles: ctx.opts.roles, root_submissions: ctx.opts.rootSubmissions }) ?? admissionError(ctx, info, from);
  if (error !== undefined) return frameworkError(ctx, from, error);
  if (ctx.state.completedFrameworks.find((f) => f.id === id) !== undefined) return frameworkError(ctx, from, 'Framework has been removed');

  const fw = ctx.state.frameworks.get(id);
  if (fw === undefined) {
    // Unknown here (this master restarted and no agent reported it yet): re-create it from
    // the FrameworkInfo, as Mesos's recoverFramework does; the callback is `registered`.
    const created = new FrameworkRecord(id, info, from, ctx.now(), ctx.opts.maxCompletedTasksPerFramework);
    created.suppressedRoles = new Set((m.suppressed_roles ?? []).filter((r) => created.roles.includes(r)));
    ctx.state.addFramework(created);
    watch(ctx, created, from);
    toAllocator(ctx, { name: 'AllocatorAddFramework', framework_id: id, info, used: new Map(), active: true, suppressed_roles: [...created.suppressedRoles] });
    ctx.log.info({ framework: id, pid: from }, 'unknown framework re-registered; added');
    ctx.send(from, { name: 'FrameworkRegistered', framework_id: { value: id }, master_info: ctx.info });
    return;
  }

  // Also for a framework recovered from an agent's report: its principal came with it. The
  // old principal is logged, not told to a scheduler that may not own it (Mesos's validateUpdate).
  if (info.principal !== fw.info.principal) {
    ctx.log.warn({ framework: id, principal: fw.info.principal ?? null, attempted: info.principal ?? null }, 'framework tried to re-register with another principal');
    return frameworkError(ctx, from, "Changing framework's principal is not allowed.");
  }
  const oldPid = fw.pid;
  // A partitioned old instance that comes back must not steal the framework (Mesos: only a
  // subscription with `force` fails over to a new pid).
  if (oldPid !== undefined && oldPid !== from && !m.failover && !fw.recovered) {
    return frameworkError(ctx, from, 'Framework failed over');
  }
  // Taking a connected framework over from another pid needs proof: the new connection must
  // have authenticated as the framework's principal (Mesos: a failover keeps the principal).
  if (oldPid !== undefined && oldPid !== from && fw.connected && !fw.recovered) {
    const principal = ctx.principalOf(from);
    if (principal === undefined || principal !== fw.info.principal) {
      return dropped(ctx, 'ReregisterFramework', `failover of connected framework ${id} from ${from}, authenticated as '${principal ?? 'nobody'}', not as its principal '${fw.info.principal ?? ''}'`, 'failover_principal');
    }
  }

  const failedOver = oldPid !== from;
  if (failedOver) {
    if (oldPid !== undefined) {
      ctx.send(oldPid, { name: 'FrameworkError', message: 'Framework failed over' });
    }
    // Offers of the old instance are discarded, not rescinded: it is gone.
    removeOffersOf(ctx, fw, false);
  } else {
    removeOffersOf(ctx, fw, true);
  }

  // `user` and `checkpoint` keep their old values, as Mesos silently does.
  if (info.user !== fw.info.user || (info.checkpoint ?? false) !== fw.checkpoint) {
    ctx.log.warn({ framework: id }, "changes to 'user' and 'checkpoint' on re-registration are ignored");
  }
  const wasRecovered = fw.recovered;
  const { checkpoint: _ignored, ...rest } = info;
  fw.info = { ...rest, id: { value: id }, user: fw.info.user, ...(fw.info.checkpoint !== undefined ? { checkpoint: fw.info.checkpoint } : {}) };
  fw.pid = from;
  fw.recovered = false;
  fw.connected = true;
  fw.reregisteredTime = ctx.now();
  // A recovered framework's first registration was lost with the old master: it registers now.
  if (wasRecovered) fw.registeredTime = fw.reregisteredTime;
  ctx.cancelTimer(timerKeys.failover(id));
  fw.suppressedRoles = new Set((m.suppressed_roles ?? []).filter((r) => fw.roles.includes(r)));
  watch(ctx, fw, from);
  toAllocator(ctx, { name: 'AllocatorUpdateFramework', framework_id: id, info: fw.info, suppressed_roles: [...fw.suppressedRoles] });
  if (!fw.active || wasRecovered) {
    fw.active = true;
    toAllocator(ctx, { name: 'AllocatorActivateFramework', framework_id: id });
  }
  ctx.log.info({ framework: id, pid: from, failover: failedOver }, 'framework re-registered');
  const reply = failedOver || m.failover ? 'FrameworkRegistered' : 'FrameworkReregistered';
  ctx.send(from, { name: reply, framework_id: { value: id }, master_info: ctx.info });
  // Agents learn the new pid and flush the updates they hold for the framework.
  for (const agent of ctx.state.agents.values()) {
    if (agent.connected) ctx.send(agent.pid, { name: 'UpdateFramework', framework_id: { value: id }, pid: from, framework_info: fw.info });
  }
}

/**
 * Why a framework may not (re-)register, as Mesos's master decides: with
 * `--authenticate_frameworks` its connection must have proven the principal it names; an
 * authenticated connection may not name another one; and `register_frameworks` must allow the
 * principal each of its roles.
 */
function admissionError(ctx: MasterContext, info: FrameworkInfo, from: Pid): string | undefined {
  const principal = ctx.principalOf(from);
  if (ctx.opts.authenticateFrameworks && principal === undefined) {
    ctx.metrics.droppedFor('unauthenticated');
    return 'Framework is not authenticated (--authenticate_frameworks): its connection proved no principal';
  }
  if (principal !== undefined && info.principal !== principal) {
    ctx.metrics.droppedFor('unauthenticated');
    return `Framework principal '${info.principal ?? ''}' does not match authenticated principal '${principal}'`;
  }
  for (const role of frameworkRoles(info)) {
    if (!authorized(ctx.opts.acls, 'register_frameworks', info.principal, role)) {
      ctx.metrics.droppedFor('unauthorized');
      return `Not authorized to use role '${role}'`;
    }
  }
  return undefined;
}

export function unregisterFramework(ctx: MasterContext, m: UnregisterFramework, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'UnregisterFramework', m.framework_id.value, from, false);
  if (fw === undefined) return;
  ctx.log.info({ framework: fw.id }, 'framework asked to be removed');
  removeFramework(ctx, fw);
}

export function deactivateFramework(ctx: MasterContext, m: DeactivateFramework, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'DeactivateFramework', m.framework_id.value, from, false);
  if (fw === undefined) return;
  deactivate(ctx, fw);
}

/** No offers for the framework until it re-registers; its outstanding offers are rescinded. */
export function deactivate(ctx: MasterContext, fw: FrameworkRecord): void {
  if (fw.active) {
    fw.active = false;
    toAllocator(ctx, { name: 'AllocatorDeactivateFramework', framework_id: fw.id });
  }
  removeOffersOf(ctx, fw, true);
}

export function frameworkDisconnected(ctx: MasterContext, fw: FrameworkRecord): void {
  ctx.log.info({ framework: fw.id, pid: fw.pid }, 'framework disconnected');
  // Best effort, as Mesos: a v0 driver that is still alive aborts on it.
  if (fw.pid !== undefined) ctx.send(fw.pid, { name: 'FrameworkError', message: 'Framework disconnected' });
  fw.connected = false;
  deactivate(ctx, fw);
  const timeoutMs = Math.max(0, (fw.info.failover_timeout ?? 0) * 1000);
  ctx.startTimer(timerKeys.failover(fw.id), timeoutMs, { name: '_FrameworkFailoverTimeout', framework_id: fw.id });
}

/** The link to a scheduler broke: if it is still the framework's connected pid, the framework disconnects. */
export function frameworkExited(ctx: MasterContext, frameworkId: string, pid: Pid): void {
  const fw = ctx.state.frameworks.get(frameworkId);
  // A framework that failed over to another pid, or was removed, no longer depends on this one.
  if (fw === undefined || fw.pid !== pid || !fw.connected) return;
  frameworkDisconnected(ctx, fw);
}

/** Fired only if no re-subscription or removal cancelled the timer since the disconnect. */
export function frameworkFailoverTimeout(ctx: MasterContext, frameworkId: string): void {
  const fw = ctx.state.frameworks.get(frameworkId);
  if (fw === undefined || fw.connected) return;
  ctx.log.info({ framework: frameworkId }, 'framework failover timeout; removing it');
  removeFramework(ctx, fw);
}

/**
 * An operator tears the framework down (`POST /teardown`): its scheduler is told, so a v0
 * driver aborts (and `mesos-execute` exits with the error) instead of waiting for offers that
 * never come, as Mesos's scheduler learns from its closed subscription.
 */
export function teardownFramework(ctx: MasterContext, fw: FrameworkRecord): void {
  ctx.log.info({ framework: fw.id }, 'framework torn down');
  if (fw.connected && fw.pid !== undefined) frameworkError(ctx, fw.pid, 'Framework has been removed');
  removeFramework(ctx, fw);
}

/**
 * Removes a framework for good (teardown, failover timeout): agents shut it down, its tasks
 * become TASK_KILLED (REASON_FRAMEWORK_REMOVED) in the master only, and it is completed.
 */
export function removeFramework(ctx: MasterContext, fw: FrameworkRecord): void {
  for (const agent of ctx.state.agents.values()) {
    if (agent.connected) ctx.send(agent.pid, { name: 'ShutdownFramework', framework_id: { value: fw.id } });
  }
  removeOffersOf(ctx, fw, false, false);
  const now = ctx.now();
  for (const entry of [...fw.tasks.values()]) {
    entry.recovered = true; // the allocator's removeFramework takes everything back
    if (!entry.terminal) setTaskState(ctx, entry, masterStatus(ctx, entry.task, 'TASK_KILLED', 'REASON_FRAMEWORK_REMOVED', 'Framework removed'));
    removeTask(ctx, entry);
  }
  for (const task of ctx.state.forgetUnreachableTasks(fw)) {
    if (!isTerminalState(task.state)) {
      task.state = 'TASK_KILLED';
      ctx.metrics.terminal('TASK_KILLED', 'SOURCE_MASTER', 'REASON_FRAMEWORK_REMOVED');
    }
    fw.completedTasks.push(task);
  }
  ctx.cancelTimer(timerKeys.failover(fw.id));
  fw.connected = false;
  fw.active = false;
  fw.unregisteredTime = now;
  ctx.state.completeFramework(fw);
  toAllocator(ctx, { name: 'AllocatorRemoveFramework', framework_id: fw.id });
  ctx.log.info({ framework: fw.id }, 'framework removed');
}

/** Links to the framework's scheduler: its exit arrives as _FrameworkExited naming the framework. */
function watch(ctx: MasterContext, fw: FrameworkRecord, pid: Pid<SchedulerInbox>): void {
  ctx.linkWith(pid, { name: '_FrameworkExited', framework_id: fw.id, pid });
}
