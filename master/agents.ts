// Agents: registration, re-registration (reconciling a known agent or re-admitting one with its
// tasks), disconnection, unreachability and removal (Mesos's Master::registerSlave,
// reregisterSlave, markUnreachable, removeSlave).

import { invariant, parseAddress, pidAddress, type Pid } from '../runtime/index.js';
import {
  formatAgentId,
  Resources,
  taskStatus,
  type AgentInbox,
  type AgentInfo,
  type FrameworkInfo,
  type RegisterAgent,
  type ReregisterAgent,
  type Resource,
  type Task,
  type TaskReconciliation,
  type TaskStatus,
  type UnregisterAgent,
} from '../protocol/index.js';
import { AgentRecord, FrameworkRecord, TaskEntry } from './state.js';
import { type MasterContext, dropped, masterStatus, peerPid, sendMasterUpdate, recoverResources, taggedFor, toAllocator, nowSecs, toScheduler } from './context.js';
import { comparableExecutor } from './launching.js';
import { removeOffersOn } from './offers.js';
import { setTaskState, removeTask } from './tasks.js';
import { cancelRemoval, scheduleRemoval } from './removal-limiter.js';
import { agentTotal, reconcileCheckpointed } from './volumes.js';

export function registerAgent(ctx: MasterContext, m: RegisterAgent, sender: Pid | ''): void {
  if (sender === '') return dropped(ctx, 'RegisterAgent', 'it has no sender');
  const from = peerPid<AgentInbox>(sender);
  if (!agentAuthenticated(ctx, 'RegisterAgent', from)) return;
  const problem = agentProblem(m.agent, m.version, m.checkpointed_resources);
  if (problem !== undefined) {
    ctx.log.warn({ pid: from, problem }, 'refusing agent registration');
    return ctx.send(from, { name: 'Shutdown', message: problem });
  }
  if (ctx.pending.registering.has(from)) {
    // A retry while its admission is being stored: the admission answers it (Mesos: slaves.registering).
    ctx.log.info({ pid: from }, 'ignoring agent registration: its admission is being stored');
    return;
  }
  const existing = ctx.state.agentByPid(from);
  if (existing !== undefined) {
    if (existing.connected) {
      // A retry of a registration that already succeeded.
      return ctx.send(from, { name: 'AgentRegistered', agent_id: { value: existing.id }, connection: connection(ctx) });
    }
    // The same address registers afresh while the old agent is disconnected: it restarted
    // and lost its state. The old one is removed (Mesos: slave_removals/reason_registered).
    ctx.metrics.slaveRemovalsRegistered.inc();
    removeAgent(ctx, existing, 'a new agent registered at its address');
  }
  const id = formatAgentId(ctx.id, ctx.ids.agent++);
  const info: AgentInfo = { ...m.agent, id: { value: id } };
  const agent = new AgentRecord(id, info, from, m.version, m.agent_capabilities ?? [], agentTotal(ctx, id, m.agent.resources, m.checkpointed_resources), ctx.now());
  ctx.pending.registering.add(from);
  admitAgent(ctx, agent, () => {
    // Mesos's _registerSlave: the agent is in the registry on disk.
    ctx.pending.registering.delete(from);
    toAllocator(ctx, { name: 'AllocatorAddAgent', agent_id: id, total: agent.total, used: new Map(), info: { hostname: info.hostname, attributes: info.attributes } });
    ctx.metrics.slaveRegistrations.inc();
    ctx.log.info({ agent: id, pid: from, resources: agent.total.toString() }, 'agent registered');
    ctx.send(from, { name: 'AgentRegistered', agent_id: { value: id }, connection: connection(ctx) });
    startObserver(ctx, agent);
  });
}

export function reregisterAgent(ctx: MasterContext, m: ReregisterAgent, sender: Pid | ''): void {
  if (sender === '') return dropped(ctx, 'ReregisterAgent', 'it has no sender');
  const from = peerPid<AgentInbox>(sender);
  const id = m.agent.id?.value;
  if (id === undefined || id === '') return dropped(ctx, 'ReregisterAgent', 'the agent has no id');
  if (!agentAuthenticated(ctx, 'ReregisterAgent', from)) return;
  const problem = agentProblem(m.agent, m.version, m.checkpointed_resources);
  if (problem !== undefined) {
    ctx.log.warn({ pid: from, agent: id, problem }, 'refusing agent re-registration');
    return ctx.send(from, { name: 'Shutdown', message: problem });
  }
  if (ctx.state.goneAgents.has(id)) {
    ctx.log.warn({ pid: from, agent: id }, 'refusing re-registration of an agent marked gone');
    return ctx.send(from, { name: 'Shutdown', message: 'Agent has been marked gone' });
  }
  if (ctx.pending.reregistering.has(id) || ctx.pending.leaving.has(id)) {
    // Its admission, or its removal, is being stored; the agent retries (Mesos ignores it likewise).
    ctx.log.info({ pid: from, agent: id }, 'ignoring agent re-registration: a registry operation on it is being stored');
    return;
  }
  const known = ctx.state.agents.get(id);
  // A connected agent is not displaced by another pid naming its id (it would take over its
  // tasks); a restarted agent is seen disconnected first, when its old connection ends.
  if (known !== undefined && known.connected && known.pid !== from) {
    return dropped(ctx, 'ReregisterAgent', `agent ${id} is connected at ${known.pid}, not ${from}`, 'not_from_agent');
  }
  cancelRemoval(ctx, id);
  if (known !== undefined) return reconcileKnownAgent(ctx, known, m, from);
  readmitAgent(ctx, m, from);
}

/** An agent the master still has (a blip, or a restart within the timeout): reconcile with it. */
export function reconcileKnownAgent(ctx: MasterContext, agent: AgentRecord, m: ReregisterAgent, from: Pid<AgentInbox>): void {
  const oldHost = parseAddress(pidAddress(agent.pid)).host;
  const newHost = parseAddress(pidAddress(from)).host;
  if (m.agent.hostname !== agent.info.hostname || oldHost !== newHost) {
    ctx.log.warn({ agent: agent.id, pid: from }, 'agent re-registered with a different hostname or IP; shutting it down');
    return ctx.send(from, { name: 'Shutdown', message: 'Agent attempted to re-register with a different hostname or IP' });
  }
  ctx.state.setAgentPid(agent, from);
  watch(ctx, agent);
  agent.reregisteredTime = ctx.now();
  agent.version = m.version;
  agent.capabilities = m.agent_capabilities ?? [];
  const wasActive = agent.connected && agent.active;
  agent.connected = true;
  agent.active = true;

  const reported = new Set(m.tasks.map((t) => `${t.framework_id.value}/${t.task_id.value}`));
  // Tasks the master has that the agent does not know: the agent answers each with
  // TASK_DROPPED/LOST (a reliable update), which settles launches lost in flight.
  const byFramework = new Map<string, TaskStatus[]>();
  for (const entry of agent.allTasks()) {
    if (reported.has(`${entry.frameworkId}/${entry.id}`)) continue;
    let list = byFramework.get(entry.frameworkId);
    if (list === undefined) byFramework.set(entry.frameworkId, (list = []));
    list.push(taskStatus({ task_id: entry.task.task_id, state: entry.task.state, source: 'SOURCE_MASTER', agent_id: { value: agent.id }, timestamp: nowSecs(ctx) }));
  }
  // With the FrameworkInfo, as Mesos: an agent that lost its checkpoints still learns partition-awareness.
  const reconciliations: TaskReconciliation[] = [...byFramework].map(([fwId, statuses]) => {
    const info = ctx.state.frameworks.get(fwId)?.info;
    return { framework_id: { value: fwId }, ...(info !== undefined ? { framework: info } : {}), statuses };
  });
  // Tasks the agent runs that the master forgot (e.g. removed when it disconnected) come back.
  let adopted = 0;
  for (const t of m.tasks) {
    if (agent.tasks.get(t.framework_id.value)?.has(t.task_id.value)) continue;
    if (adoptTask(ctx, agent, t, m.frameworks, true)) adopted++;
  }
  if (adopted > 0) {
    // The allocator must count them as used again: re-add the agent with what runs there.
    removeOffersOn(ctx, agent, false);
    toAllocator(ctx, { name: 'AllocatorRemoveAgent', agent_id: agent.id });
    toAllocator(ctx, { name: 'AllocatorAddAgent', agent_id: agent.id, total: agent.total, used: usedOn(ctx, agent), info: { hostname: agent.info.hostname, attributes: agent.info.attributes } });
  } else if (!wasActive) {
    toAllocator(ctx, { name: 'AllocatorActivateAgent', agent_id: agent.id });
  }
  // Executors the agent no longer has are removed.
  const reportedExecutors = new Set(m.executor_infos.map((e) => `${e.framework_id?.value ?? ''}/${e.executor_id.value}`));
  for (const [fwId, execs] of [...agent.executors]) {
    for (const execId of [...execs.keys()]) {
      if (reportedExecutors.has(`${fwId}/${execId}`)) continue;
      const e = ctx.state.removeExecutor(agent, fwId, execId);
      if (e !== undefined) recoverResources(ctx, fwId, agent.id, e.resources);
    }
  }

  ctx.metrics.slaveReregistrations.inc();
  ctx.log.info({ agent: agent.id, pid: from, reconciled: reconciliations.length }, 'agent re-registered');
  ctx.send(from, { name: 'AgentReregistered', agent_id: { value: agent.id }, reconciliations, connection: connection(ctx) });
  reconcileCheckpointed(ctx, agent, m.checkpointed_resources);
  afterReregistration(ctx, agent, m);
}

/** An unreachable, recovered or unknown agent comes back with its old id: admit it again with its tasks. */
export function readmitAgent(ctx: MasterContext, m: ReregisterAgent, from: Pid<AgentInbox>): void {
  const id = m.agent.id!.value;
  const stale = ctx.state.agentByPid(from);
  if (stale !== undefined) removeAgent(ctx, stale, 'another agent re-registered at its address');
  const wasUnreachable = ctx.state.unreachableAgents.delete(id);
  ctx.state.recoveredAgents.delete(id);
  const agent = new AgentRecord(id, { ...m.agent }, from, m.version, m.agent_capabilities ?? [], agentTotal(ctx, id, m.agent.resources, m.checkpointed_resources), ctx.now());
  agent.reregisteredTime = agent.registeredTime;
  ctx.pending.reregistering.add(id);
  admitAgent(ctx, agent, () => {
    // Mesos's _reregisterSlave: the agent is back in the registry on disk.
    ctx.pending.reregistering.delete(id);
    for (const e of m.executor_infos) {
      const fwId = e.framework_id?.value;
      if (fwId === undefined || ctx.state.isCompleted(fwId)) continue;
      const fw = ctx.state.frameworks.get(fwId) ?? recoverFramework(ctx, fwId, m.frameworks);
      if (fw === undefined) continue;
      // In the form launches compare against, so the framework's next task on it matches
      // (Mesos's MasterFailoverLongLivedExecutor).
      const info = comparableExecutor(fw, e, fw.roles[0] ?? '*');
      ctx.state.addExecutor(fw, agent, info, taggedFor(fw, info.resources ?? []));
    }
    for (const t of m.tasks) adoptTask(ctx, agent, t, m.frameworks, false);
    // Tasks the master had marked unreachable that the agent does not report (their RunTask was
    // lost) are forgotten, as Mesos's _reregisterSlave forgets the agent's unreachable tasks;
    // reconciliation answers TASK_GONE (TASK_LOST for frameworks that are not partition-aware).
    const forgotten = ctx.state.forgetUnreachableTasksOn(id);
    if (forgotten > 0) ctx.log.info({ agent: id, tasks: forgotten }, 'forgot unreachable tasks the re-registered agent does not report');
    toAllocator(ctx, { name: 'AllocatorAddAgent', agent_id: id, total: agent.total, used: usedOn(ctx, agent), info: { hostname: agent.info.hostname, attributes: agent.info.attributes } });
    ctx.metrics.slaveReregistrations.inc();
    ctx.log.info({ agent: id, pid: from, unreachable: wasUnreachable }, 'agent re-admitted');
    ctx.send(from, { name: 'AgentReregistered', agent_id: { value: id }, reconciliations: [], connection: connection(ctx) });
    afterReregistration(ctx, agent, m);
  });
}

/**
 * Takes a task an agent reports into the master's books. Frameworks are told its state with
 * REASON_AGENT_REREGISTERED (it may have been reported lost or unreachable meanwhile).
 */
export function adoptTask(ctx: MasterContext, agent: AgentRecord, t: Task, frameworks: readonly FrameworkInfo[], notify: boolean): boolean {
  const fwId = t.framework_id.value;
  if (ctx.state.isCompleted(fwId)) return false;
  const fw = ctx.state.frameworks.get(fwId) ?? recoverFramework(ctx, fwId, frameworks);
  if (fw === undefined) return false;
  const task: Task = { ...t, agent_id: { value: agent.id }, resources: [...taggedFor(fw, t.resources).toJSON()] };
  const entry = new TaskEntry(task, Resources.fromJSON(task.resources));
  if (entry.terminal) entry.recovered = true;
  ctx.state.addTask(entry);
  fw.completedTasks.remove((c) => c.task_id.value === entry.id);
  if (notify || fw.connected) {
    const last = task.statuses[task.statuses.length - 1];
    sendMasterUpdate(
      ctx,
      fw,
      taskStatus({
        task_id: task.task_id,
        state: task.state,
        source: 'SOURCE_MASTER',
        reason: 'REASON_AGENT_REREGISTERED',
        message: 'Agent re-registered',
        agent_id: { value: agent.id },
        executor_id: task.executor_id,
        timestamp: nowSecs(ctx),
        healthy: last?.healthy,
      }),
    );
  }
  return true;
}

/** What each framework uses on an agent, for the allocator. */
export function usedOn(ctx: MasterContext, agent: AgentRecord): Map<string, Resources> {
  const used = new Map<string, Resources>();
  for (const fwId of new Set([...agent.tasks.keys(), ...agent.executors.keys()])) {
    const r = agent.usedBy(fwId);
    if (!r.isEmpty()) used.set(fwId, r);
  }
  return used;
}

/** A framework known only from an agent's report (after a master restart): kept inactive until it subscribes. */
export function recoverFramework(ctx: MasterContext, fwId: string, frameworks: readonly FrameworkInfo[]): FrameworkRecord | undefined {
  const info = frameworks.find((f) => f.id?.value === fwId);
  if (info === undefined) return undefined;
  const fw = new FrameworkRecord(fwId, info, undefined, ctx.now(), ctx.opts.maxCompletedTasksPerFramework);
  fw.recovered = true;
  fw.connected = false;
  fw.active = false;
  // Mesos shows 0 until the framework subscribes again: the first registration time is lost.
  fw.registeredTime = 0;
  ctx.state.addFramework(fw);
  toAllocator(ctx, { name: 'AllocatorAddFramework', framework_id: fwId, info, used: new Map(), active: false, suppressed_roles: [] });
  return fw;
}

export function afterReregistration(ctx: MasterContext, agent: AgentRecord, m: ReregisterAgent): void {
  // Kills the agent may have missed while away.
  for (const [fwId, taskIds] of agent.killedTasks) {
    for (const taskId of taskIds) {
      const entry = agent.tasks.get(fwId)?.get(taskId);
      if (entry !== undefined && !entry.terminal) ctx.send(agent.pid, { name: 'KillTask', framework_id: { value: fwId }, task_id: entry.task.task_id });
    }
  }
  // Frameworks removed while the agent was away are shut down there.
  const reportedFrameworks = new Set([...m.frameworks.flatMap((f) => (f.id !== undefined ? [f.id.value] : [])), ...m.tasks.map((t) => t.framework_id.value)]);
  for (const fwId of reportedFrameworks) {
    if (ctx.state.isCompleted(fwId)) ctx.send(agent.pid, { name: 'ShutdownFramework', framework_id: { value: fwId } });
  }
  // The agent learns each framework's current pid and resends the updates it holds.
  for (const fwId of reportedFrameworks) {
    const fw = ctx.state.frameworks.get(fwId);
    if (fw !== undefined && fw.conn !== undefined) ctx.send(agent.pid, { name: 'UpdateFramework', framework_id: { value: fwId }, pid: fw.pid ?? '', framework_info: fw.info });
  }
  startObserver(ctx, agent);
}

/**
 * A fresh health checker for the agent (Mesos's SlaveObserver, an actor beside the master):
 * on every (re)admission the old one stops and a new one pings at once.
 */
function startObserver(ctx: MasterContext, agent: AgentRecord): void {
  if (agent.observer !== undefined) ctx.terminate(agent.observer);
  agent.observer = ctx.spawnObserver(agent.id, agent.pid, agent.connected);
}

/**
 * Stores the agent's admission; once it is on disk, the agent joins the master's state and
 * `then` runs (what answers the agent). Until then the master knows it only as pending, so
 * nothing (the allocator, a link's exit, a retried registration) acts on an agent whose
 * admission could still be lost.
 */
export function admitAgent(ctx: MasterContext, agent: AgentRecord, then: () => void): void {
  ctx.store({ type: 'admit', agent: { id: agent.id, hostname: agent.info.hostname, ...(agent.info.port !== undefined ? { port: agent.info.port } : {}) } }, () => {
    ctx.state.addAgent(agent);
    watch(ctx, agent);
    then();
  });
}

export function unregisterAgent(ctx: MasterContext, m: UnregisterAgent, from: Pid | ''): void {
  const agent = ctx.state.agents.get(m.agent_id.value);
  if (agent === undefined || agent.pid !== from) return dropped(ctx, 'UnregisterAgent', `it is not from registered agent ${m.agent_id.value}`);
  ctx.metrics.slaveRemovalsUnregistered.inc();
  removeAgent(ctx, agent, 'the agent unregistered');
}

/** The agent's connection broke (Mesos: `exited`): disconnect it, and wait for it to come back. */
export function agentDisconnected(ctx: MasterContext, agent: AgentRecord): void {
  if (!agent.connected) return;
  ctx.log.info({ agent: agent.id, pid: agent.pid }, 'agent disconnected');
  agent.connected = false;
  if (agent.active) {
    agent.active = false;
    toAllocator(ctx, { name: 'AllocatorDeactivateAgent', agent_id: agent.id });
  }
  removeOffersOn(ctx, agent, true);
  // Tasks of frameworks that do not checkpoint cannot survive an agent restart, which a
  // broken connection most likely is: TASK_LOST at once (even for PARTITION_AWARE, as Mesos).
  for (const [fwId, tasks] of [...agent.tasks]) {
    const fw = ctx.state.frameworks.get(fwId);
    if (fw === undefined || fw.checkpoint) continue;
    for (const entry of [...tasks.values()]) {
      if (!entry.terminal) {
        const status = masterStatus(ctx, entry.task, 'TASK_LOST', 'REASON_AGENT_DISCONNECTED', 'Agent disconnected');
        setTaskState(ctx, entry, status);
        sendMasterUpdate(ctx, fw, status);
      }
      removeTask(ctx, entry);
    }
    for (const execId of [...(agent.executors.get(fwId)?.keys() ?? [])]) {
      const e = ctx.state.removeExecutor(agent, fwId, execId);
      if (e !== undefined) recoverResources(ctx, fwId, agent.id, e.resources);
    }
  }
  // The observer keeps pinging (with connected=false) and gives the agent
  // agent_reregister_timeout to come back.
  if (agent.observer !== undefined) ctx.send(agent.observer, { name: '_AgentDisconnected' });
}

/** The link to an agent broke: if it is still the agent's pid, the agent disconnects. */
export function agentExited(ctx: MasterContext, agentId: string, pid: Pid): void {
  const agent = ctx.state.agents.get(agentId);
  // An agent that re-registered from another pid, or left, no longer depends on this one.
  if (agent === undefined || agent.pid !== pid) return;
  agentDisconnected(ctx, agent);
}

/** Links to the agent's current pid: its exit arrives as _AgentExited naming the agent. */
function watch(ctx: MasterContext, agent: AgentRecord): void {
  ctx.linkWith(agent.pid, { name: '_AgentExited', agent_id: agent.id, pid: agent.pid });
}

/** The agent's observer reports that it did not re-register within agent_reregister_timeout. */
export function agentReregisterTimeout(ctx: MasterContext, agentId: string, from: Pid | ''): void {
  const agent = ctx.state.agents.get(agentId);
  // A report from an observer that was replaced since (the agent came back) is stale.
  if (agent === undefined || agent.observer !== from || agent.connected) return;
  ctx.log.warn({ agent: agentId }, 'agent did not re-register in time');
  ctx.metrics.slaveUnreachableScheduled.inc();
  scheduleRemoval(
    ctx,
    agentId,
    () => ctx.state.agents.get(agentId) === agent && agent.observer === from && !agent.connected,
    () => markUnreachable(ctx, agent, 'agent did not re-register within agent_reregister_timeout'),
  );
}

export function recoveredAgentsTimeout(ctx: MasterContext): void {
  // Mesos's recovery_agent_removal_limit: so many missing agents means something is wrong
  // with this master (or its network), not with them; exit rather than mark them all.
  const missing = ctx.state.recoveredAgents.size;
  const known = ctx.registry.admitted.size;
  if (known > 0 && missing / known > ctx.opts.recoveryAgentRemovalLimit) {
    invariant(false, `post-recovery agent removal limit exceeded: ${missing} of ${known} agents did not re-register (limit ${ctx.opts.recoveryAgentRemovalLimit * 100}%)`);
  }
  for (const [id, a] of [...ctx.state.recoveredAgents]) {
    ctx.metrics.slaveUnreachableScheduled.inc();
    // Until its permit, the agent stays recovered: it may still re-register.
    scheduleRemoval(ctx, id, () => ctx.state.recoveredAgents.get(id) === a, () => markRecoveredUnreachable(ctx, a));
  }
}

/** Mesos's _markUnreachableAfterFailover: a recovered agent that never came back. */
function markRecoveredUnreachable(ctx: MasterContext, a: { id: string; hostname: string }): void {
  const id = a.id;
  ctx.state.recoveredAgents.delete(id);
  const time = ctx.now();
  ctx.pending.leaving.add(id);
  ctx.store({ type: 'markUnreachable', id, hostname: a.hostname, time_ms: time }, () => {
    ctx.pending.leaving.delete(id);
    ctx.state.unreachableAgents.set(id, { info: { hostname: a.hostname, resources: [], attributes: [], id: { value: id } }, timeMs: time });
    // As Mesos's _markUnreachable during failover: a removal, for health, during recovery.
    ctx.metrics.slaveUnreachableCompleted.inc();
    ctx.metrics.slaveRemovals.inc();
    ctx.metrics.slaveRemovalsUnhealthy.inc();
    ctx.metrics.recoverySlaveRemovals.inc();
    for (const fw of ctx.state.frameworks.values()) toScheduler(fw, { name: 'LostAgent', agent_id: { value: id } });
  });
}

/** The agent's observer reports max_agent_ping_timeouts missed pongs in a row. */
export function agentUnhealthy(ctx: MasterContext, agentId: string, missed: number, from: Pid | ''): void {
  const agent = ctx.state.agents.get(agentId);
  if (agent === undefined || agent.observer !== from) return;
  ctx.log.warn({ agent: agentId, missed }, 'agent missed too many pongs');
  ctx.metrics.slaveUnreachableScheduled.inc();
  scheduleRemoval(ctx, agentId, () => ctx.state.agents.get(agentId) === agent && agent.observer === from, () => markUnreachable(ctx, agent, `agent missed ${missed} consecutive pongs`));
}

/** The agent's observer heard a pong after reporting it unhealthy: if it waits for a removal permit, it is not removed. */
export function agentHealthy(ctx: MasterContext, agentId: string, from: Pid | ''): void {
  const agent = ctx.state.agents.get(agentId);
  if (agent === undefined || agent.observer !== from) return;
  cancelRemoval(ctx, agentId);
}

/** A pong that reached the master instead of the observer (the agent answered the wrong pid): handed on. */
export function pongAgent(ctx: MasterContext, from: Pid | ''): void {
  const agent = from === '' ? undefined : ctx.state.agentByPid(from);
  if (agent === undefined || agent.pid !== from || agent.observer === undefined) return; // late pong from a removed agent
  ctx.send(agent.observer, { name: 'PongAgent' });
}

/**
 * Mesos's markUnreachable: the agent leaves, its tasks become TASK_UNREACHABLE (TASK_LOST for
 * frameworks that are not PARTITION_AWARE) with REASON_AGENT_REMOVED, its offers are
 * rescinded, and every framework hears LostAgent. It may come back by re-registering.
 */
export function markUnreachable(ctx: MasterContext, agent: AgentRecord, why: string): void {
  const time = ctx.now();
  detachAgent(ctx, agent);
  const unreachableTime = { nanoseconds: time * 1e6 };
  const updates: [FrameworkRecord, TaskStatus][] = [];
  for (const [fwId, tasks] of agent.tasks) {
    const fw = ctx.state.frameworks.get(fwId);
    for (const entry of [...tasks.values()]) {
      if (fw === undefined) continue;
      if (!entry.terminal) {
        const state = fw.partitionAware ? 'TASK_UNREACHABLE' : 'TASK_LOST';
        const status = { ...masterStatus(ctx, entry.task, state, 'REASON_AGENT_REMOVED', `Agent ${agent.id} is unreachable: ${why}`), unreachable_time: unreachableTime };
        setTaskState(ctx, entry, status);
        updates.push([fw, status]);
      }
      ctx.state.moveTaskToUnreachable(entry, ctx.opts.maxUnreachableTasksPerFramework);
    }
  }
  // Frameworks hear of it once it is on disk (Mesos's _markUnreachable): the agent must not
  // come back as admitted from a registry that never recorded it unreachable.
  ctx.pending.leaving.add(agent.id);
  ctx.store({ type: 'markUnreachable', id: agent.id, hostname: agent.info.hostname, time_ms: time }, () => {
    ctx.pending.leaving.delete(agent.id);
    // As Mesos's _markUnreachable: /state lists the agent as unreachable once the registry does.
    ctx.state.unreachableAgents.set(agent.id, { info: agent.info, timeMs: time });
    sendUpdates(ctx, updates);
    ctx.metrics.slaveUnreachableCompleted.inc();
    ctx.metrics.slaveRemovals.inc();
    ctx.metrics.slaveRemovalsUnhealthy.inc();
    lostAgent(ctx, agent);
    ctx.log.warn({ agent: agent.id, why }, 'agent marked unreachable');
  });
}

/** Removes an agent for good (it unregistered, or was replaced): tasks TASK_LOST for everyone. */
export function removeAgent(ctx: MasterContext, agent: AgentRecord, why: string): void {
  detachAgent(ctx, agent);
  const updates: [FrameworkRecord, TaskStatus][] = [];
  for (const [fwId, tasks] of agent.tasks) {
    const fw = ctx.state.frameworks.get(fwId);
    for (const entry of [...tasks.values()]) {
      if (fw === undefined) continue;
      entry.recovered = true; // the allocator's removeAgent took everything back
      if (!entry.terminal) {
        const status = masterStatus(ctx, entry.task, 'TASK_LOST', 'REASON_AGENT_REMOVED', `Agent ${agent.id} removed: ${why}`);
        setTaskState(ctx, entry, status);
        updates.push([fw, status]);
      }
      ctx.state.removeTask(entry);
    }
  }
  // Frameworks hear of it once it is on disk (Mesos's _removeSlave).
  ctx.pending.leaving.add(agent.id);
  ctx.store({ type: 'remove', id: agent.id }, () => {
    ctx.pending.leaving.delete(agent.id);
    sendUpdates(ctx, updates);
    ctx.metrics.slaveRemovals.inc();
    lostAgent(ctx, agent);
    ctx.log.info({ agent: agent.id, why }, 'agent removed');
  });
}

/** Status updates decided before a registry store, sent after it to the frameworks still there. */
function sendUpdates(ctx: MasterContext, updates: readonly [FrameworkRecord, TaskStatus][]): void {
  for (const [fw, status] of updates) if (ctx.state.frameworks.get(fw.id) === fw) sendMasterUpdate(ctx, fw, status);
}

/** What leaving means for every way an agent leaves: offers, executors, the observer, allocator. */
export function detachAgent(ctx: MasterContext, agent: AgentRecord): void {
  removeOffersOn(ctx, agent, false);
  if (agent.observer !== undefined) ctx.terminate(agent.observer);
  agent.observer = undefined;
  ctx.state.removeAgent(agent);
  toAllocator(ctx, { name: 'AllocatorRemoveAgent', agent_id: agent.id });
}

export function lostAgent(ctx: MasterContext, agent: AgentRecord): void {
  for (const fw of ctx.state.frameworks.values()) {
    toScheduler(fw, { name: 'LostAgent', agent_id: { value: agent.id } });
  }
}

/** What an agent must be to be admitted; the Shutdown message if not. */
/** With `--authenticate_agents`, an agent whose connection proved no principal is refused (Mesos ignores it too). */
function agentAuthenticated(ctx: MasterContext, call: string, from: Pid): boolean {
  if (!ctx.opts.authenticateAgents || ctx.principalOf(from) !== undefined) return true;
  dropped(ctx, call, `agent at ${from} is not authenticated (--authenticate_agents)`, 'unauthenticated');
  return false;
}

/** Most resource entries an agent may declare: a real machine has a handful. */
const MAX_AGENT_RESOURCES = 1000;
/** Largest total of one scalar resource: cpus count cores, mem and disk MB (a million cores, an exabyte). */
const MAX_AGENT_SCALAR: Readonly<Record<string, number>> = { cpus: 1e6, gpus: 1e5 };
const MAX_OTHER_SCALAR = 1e12;

export function agentProblem(info: AgentInfo, version: string, checkpointed: readonly Resource[] | undefined): string | undefined {
  if (!versionAtLeast(version, MIN_AGENT_VERSION)) return `Agent version ${version} is too old; at least ${MIN_AGENT_VERSION.join('.')} is required`;
  if (info.resources.length > MAX_AGENT_RESOURCES) return `Agent declares ${info.resources.length} resources; at most ${MAX_AGENT_RESOURCES}`;
  const totals = new Map<string, number>();
  for (const r of info.resources) {
    const v = r.scalar?.value;
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < 0) return `Agent resource ${r.name} is not a finite non-negative number`;
    totals.set(r.name, (totals.get(r.name) ?? 0) + v);
  }
  for (const [name, total] of totals) {
    const max = Object.hasOwn(MAX_AGENT_SCALAR, name) ? MAX_AGENT_SCALAR[name]! : MAX_OTHER_SCALAR;
    if (total > max) return `Agent resource ${name}:${total} is above the bound of ${max}`;
  }
  try {
    Resources.fromJSON(info.resources);
  } catch (e) {
    return `Agent resources are invalid: ${(e as Error).message}`;
  }
  if (checkpointed !== undefined && checkpointed.length > 0) {
    if (info.checkpoint !== true) return 'Agent has checkpointed resources but does not checkpoint';
    try {
      Resources.fromJSON(checkpointed);
    } catch (e) {
      return `Agent checkpointed resources are invalid: ${(e as Error).message}`;
    }
  }
  return undefined;
}

export function connection(ctx: MasterContext): { total_ping_timeout_seconds: number } {
  return { total_ping_timeout_seconds: (ctx.opts.agentPingTimeoutMs * ctx.opts.maxAgentPingTimeouts) / 1000 };
}

/** Agents older than this are refused, as Mesos refuses pre-1.0 agents. */
const MIN_AGENT_VERSION = [1, 0, 0] as const;

function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split(/[.-]/).slice(0, 3).map((p) => Number(p));
  for (let i = 0; i < min.length; i++) {
    const v = parts[i] ?? 0;
    if (!Number.isFinite(v)) return false;
    if (v !== min[i]) return v > min[i]!;
  }
  return true;
}
