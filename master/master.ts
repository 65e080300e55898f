// The Master actor: admits agents and keeps them healthy, registers frameworks and fails them
// over, turns the allocator's decisions into offers, validates and forwards launches, relays
// status updates and acknowledgements, reconciles, and serves the v0 HTTP endpoints.

import { randomUUID } from 'node:crypto';
import { Actor, badRequest, json, parseAddress, pidAddress, pidId, type Handlers, type HttpRequest, type HttpResponse, type Pid } from '../runtime/index.js';
import {
  checkRole,
  formatAgentId,
  formatFrameworkId,
  formatOfferId,
  isTerminalState,
  rejectionStatus,
  Resources,
  stateForFramework,
  taskStatus,
  uuidEquals,
  validateFrameworkInfo,
  validateLaunch,
  validateLaunchOperation,
  validateOffers,
  type Accept,
  type AgentInfo,
  type DeactivateFramework,
  type Decline,
  type ExecutorInfo,
  type ExecutorToFramework,
  type ExitedExecutor,
  type FrameworkError,
  type FrameworkInfo,
  type FrameworkRegistered,
  type FrameworkToExecutor,
  type KillTask,
  type LaunchOutcome,
  type LaunchRejection,
  type LaunchTasks,
  type MasterInfo,
  type Offer,
  type OfferOperation,
  type PongAgent,
  type ReconcileTasks,
  type RegisterAgent,
  type RegisterFramework,
  type ReregisterAgent,
  type ReregisterFramework,
  type Resource,
  type ResourceRequestMessage,
  type ReviveOffers,
  type StatusUpdate,
  type StatusUpdateAcknowledgement,
  type SuppressOffers,
  type Task,
  type TaskInfo,
  type TaskReconciliation,
  type TaskState,
  type TaskStatus,
  type TaskStatusReason,
  type UnregisterAgent,
  type UnregisterFramework,
} from '../protocol/index.js';
import type { AllocatorInbox, AllocatorOffers, AllocatorUpdateAllocation } from './allocator-process.js';
import { AllocatorProcess } from './allocator-process.js';
import { MasterMetrics } from './metrics.js';
import { resolveOptions, type MasterOptions, type ResolvedMasterOptions } from './options.js';
import { Registry } from './registry.js';
import { AgentRecord, FrameworkRecord, MasterState, TaskEntry, type OfferRecord } from './state.js';
import { agentJSON, frameworkJSON, MESOS_VERSION, rolesJSON, stateJSON, stateSummaryJSON, taskJSON, versionJSON, type MasterIdentity } from './views.js';

type MasterInbox =
  | RegisterFramework
  | ReregisterFramework
  | UnregisterFramework
  | DeactivateFramework
  | LaunchTasks
  | Accept
  | Decline
  | ReviveOffers
  | SuppressOffers
  | ResourceRequestMessage
  | KillTask
  | StatusUpdate
  | StatusUpdateAcknowledgement
  | ReconcileTasks
  | FrameworkToExecutor
  | ExecutorToFramework
  | RegisterAgent
  | ReregisterAgent
  | UnregisterAgent
  | PongAgent
  | ExitedExecutor
  | AllocatorOffers;

type Internal =
  | { name: '_AgentPingTimeout'; agent_id: string; epoch: number }
  | { name: '_AgentReregisterTimeout'; agent_id: string; epoch: number }
  | { name: '_FrameworkFailoverTimeout'; framework_id: string; generation: number }
  | { name: '_OfferTimeout'; offer_id: string }
  | { name: '_RecoveredAgentsTimeout' };

/** Agents older than this are refused, as Mesos refuses pre-1.0 agents. */
const MIN_AGENT_VERSION = [1, 0, 0] as const;

export class Master extends Actor<MasterInbox | Internal> {
  readonly id = randomUUID();
  readonly state: MasterState;
  private readonly opts: ResolvedMasterOptions;
  private readonly registry: Registry;
  private allocatorProcess!: AllocatorProcess;
  private metrics!: MasterMetrics;
  private info!: MasterInfo;
  private startedAt = 0;
  private nextFrameworkId = 0;
  private nextAgentId = 0;
  private nextOfferId = 0;
  private readonly agentByPid = new Map<Pid, string>();
  private readonly frameworkByPid = new Map<Pid, string>();

  // The whole protocol of the master, in one place.
  protected readonly handlers: Handlers<MasterInbox | Internal> = {
    // Frameworks
    RegisterFramework: (m, from) => this.registerFramework(m, from),
    ReregisterFramework: (m, from) => this.reregisterFramework(m, from),
    UnregisterFramework: (m, from) => this.unregisterFramework(m, from),
    DeactivateFramework: (m, from) => this.deactivateFramework(m, from),
    // Offers and tasks
    LaunchTasks: (m, from) => this.launchTasks(m, from),
    Accept: (m, from) => this.accept(m, from),
    Decline: (m, from) => this.decline(m, from),
    ReviveOffers: (m, from) => this.reviveOffers(m, from),
    SuppressOffers: (m, from) => this.suppressOffers(m, from),
    ResourceRequest: (m, from) => this.resourceRequest(m, from),
    KillTask: (m, from) => this.killTask(m, from),
    StatusUpdate: (m, from) => this.statusUpdate(m, from),
    StatusUpdateAcknowledgement: (m, from) => this.statusUpdateAcknowledgement(m, from),
    ReconcileTasks: (m, from) => this.reconcileTasks(m, from),
    FrameworkToExecutor: (m, from) => this.frameworkToExecutor(m, from),
    ExecutorToFramework: (m, from) => this.executorToFramework(m, from),
    // Agents
    RegisterAgent: (m, from) => this.registerAgent(m, from),
    ReregisterAgent: (m, from) => this.reregisterAgent(m, from),
    UnregisterAgent: (m, from) => this.unregisterAgent(m, from),
    PongAgent: (_m, from) => this.pongAgent(from),
    ExitedExecutor: (m, from) => this.exitedExecutor(m, from),
    // Allocator
    AllocatorOffers: (m, from) => this.allocatorOffers(m, from),
    // Timers
    _AgentPingTimeout: (m) => this.agentPingTimeout(m.agent_id, m.epoch),
    _AgentReregisterTimeout: (m) => this.agentReregisterTimeout(m.agent_id, m.epoch),
    _FrameworkFailoverTimeout: (m) => this.frameworkFailoverTimeout(m.framework_id, m.generation),
    _OfferTimeout: (m) => this.offerTimeout(m.offer_id),
    _RecoveredAgentsTimeout: () => this.recoveredAgentsTimeout(),
  };

  constructor(options: MasterOptions = {}) {
    super();
    this.opts = resolveOptions(options);
    this.state = new MasterState(this.opts.maxCompletedFrameworks);
    this.state.weights = { ...this.opts.weights };
    this.registry = new Registry(this.opts.workDir);
  }

  override initialize(): void {
    this.startedAt = this.now();
    const address = parseAddress(pidAddress(this.self));
    this.info = {
      id: this.id,
      ip: ipToUint32(address.host),
      port: address.port,
      pid: this.self,
      hostname: this.opts.hostname,
      version: MESOS_VERSION,
      address: { hostname: this.opts.hostname, ip: address.host, port: address.port },
    };
    this.metrics = new MasterMetrics(this.runtime, this.self, this.state, this.startedAt);
    this.allocatorProcess = this.runtime.spawn(
      new AllocatorProcess(
        {
          master: this.self,
          allocationIntervalMs: this.opts.allocationIntervalMs,
          minAllocatableResources: this.opts.minAllocatableResources,
          fairSharingExcludedResourceNames: this.opts.fairSharingExcludedResourceNames,
          rolePolicies: this.opts.rolePolicies,
          weights: this.opts.weights,
          random: this.opts.random,
        },
        this.runtime.clock,
      ),
      this.runtime.generateId('allocator'),
    );
    // Agents admitted before a restart get agent_reregister_timeout to come back (Mesos's
    // recovery); until then reconciliation of their tasks gets no answer.
    const recovered = this.registry.recover();
    for (const a of recovered.admitted) this.state.recoveredAgents.set(a.id, a);
    for (const u of recovered.unreachable) {
      this.state.unreachableAgents.set(u.id, { info: { hostname: u.hostname, resources: [], attributes: [], id: { value: u.id } }, timeMs: u.time_ms });
    }
    if (this.state.recoveredAgents.size > 0) this.delay(this.opts.agentReregisterTimeoutMs, { name: '_RecoveredAgentsTimeout' });
    this.installRoutes();
    this.log.info({ id: this.id, pid: this.self }, 'master started');
  }

  override finalize(): void {
    this.metrics.stop();
  }

  /** The allocator actor's pid (for tests and tools). */
  get allocatorPid(): Pid {
    return this.allocatorProcess.self;
  }

  override exited(pid: Pid): void {
    const agentId = this.agentByPid.get(pid);
    if (agentId !== undefined) {
      const agent = this.state.agents.get(agentId);
      if (agent !== undefined && agent.pid === pid) this.agentDisconnected(agent);
    }
    const frameworkId = this.frameworkByPid.get(pid);
    if (frameworkId !== undefined) {
      const fw = this.state.frameworks.get(frameworkId);
      if (fw !== undefined && fw.pid === pid && fw.connected) this.frameworkDisconnected(fw);
    }
  }

  // ============================================================================ frameworks

  private registerFramework(m: RegisterFramework, from: Pid | ''): void {
    if (from === '') return this.dropped('RegisterFramework', 'it has no sender');
    const info = m.framework;
    if (info.id !== undefined && info.id.value !== '') {
      return this.frameworkError(from, "Registering with 'id' set is not allowed; re-register to fail over a framework");
    }
    const error = validateFrameworkInfo(info, { allowed_roles: this.opts.roles, root_submissions: this.opts.rootSubmissions });
    if (error !== undefined) return this.frameworkError(from, error);

    // A retried registration from a pid that is already registered is acknowledged again.
    const existing = this.frameworkOfPid(from);
    if (existing !== undefined && existing.connected) {
      this.log.info({ framework: existing.id }, 'framework already registered; resending acknowledgement');
      return this.send(from, { name: 'FrameworkRegistered', framework_id: { value: existing.id }, master_info: this.info } satisfies FrameworkRegistered);
    }

    const id = formatFrameworkId(this.id, this.nextFrameworkId++);
    const fw = new FrameworkRecord(id, { ...info, id: { value: id } }, from, this.now(), this.opts.maxCompletedTasksPerFramework);
    fw.suppressedRoles = new Set((m.suppressed_roles ?? []).filter((r) => fw.roles.includes(r)));
    this.state.frameworks.set(id, fw);
    this.frameworkByPid.set(from, id);
    this.link(from);
    this.toAllocator({ name: 'AllocatorAddFramework', framework_id: id, info: fw.info, used: new Map(), active: true, suppressed_roles: [...fw.suppressedRoles] });
    this.log.info({ framework: id, name: info.name, pid: from }, 'framework registered');
    this.send(from, { name: 'FrameworkRegistered', framework_id: { value: id }, master_info: this.info } satisfies FrameworkRegistered);
  }

  private reregisterFramework(m: ReregisterFramework, from: Pid | ''): void {
    if (from === '') return this.dropped('ReregisterFramework', 'it has no sender');
    const info = m.framework;
    const id = info.id?.value;
    if (id === undefined || id === '') return this.frameworkError(from, "Re-registering without an 'id' is not allowed; register instead");
    const error = validateFrameworkInfo(info, { allowed_roles: this.opts.roles, root_submissions: this.opts.rootSubmissions });
    if (error !== undefined) return this.frameworkError(from, error);
    if (this.state.completedFrameworks.find((f) => f.id === id) !== undefined) return this.frameworkError(from, 'Framework has been removed');

    const fw = this.state.frameworks.get(id);
    if (fw === undefined) {
      // Unknown here (this master restarted and no agent reported it yet): re-create it from
      // the FrameworkInfo, as Mesos's recoverFramework does; the callback is `registered`.
      const created = new FrameworkRecord(id, info, from, this.now(), this.opts.maxCompletedTasksPerFramework);
      created.suppressedRoles = new Set((m.suppressed_roles ?? []).filter((r) => created.roles.includes(r)));
      this.state.frameworks.set(id, created);
      this.frameworkByPid.set(from, id);
      this.link(from);
      this.toAllocator({ name: 'AllocatorAddFramework', framework_id: id, info, used: new Map(), active: true, suppressed_roles: [...created.suppressedRoles] });
      this.log.info({ framework: id, pid: from }, 'unknown framework re-registered; added');
      this.send(from, { name: 'FrameworkRegistered', framework_id: { value: id }, master_info: this.info } satisfies FrameworkRegistered);
      return;
    }

    if (info.principal !== fw.info.principal && !fw.recovered) {
      return this.frameworkError(from, `Changing the framework's principal ('${fw.info.principal ?? ''}' to '${info.principal ?? ''}') is not allowed`);
    }
    const oldPid = fw.pid;
    // A partitioned old instance that comes back must not steal the framework (Mesos: only a
    // subscription with `force` fails over to a new pid).
    if (oldPid !== undefined && oldPid !== from && !m.failover && !fw.recovered) {
      return this.frameworkError(from, 'Framework failed over');
    }

    const failedOver = oldPid !== from;
    if (failedOver) {
      if (oldPid !== undefined) {
        this.send(oldPid, { name: 'FrameworkError', message: 'Framework failed over' } satisfies FrameworkError);
        if (this.frameworkByPid.get(oldPid) === id) this.frameworkByPid.delete(oldPid);
      }
      // Offers of the old instance are discarded, not rescinded: it is gone.
      this.removeOffersOf(fw, false);
    } else {
      this.removeOffersOf(fw, true);
    }

    // `user` and `checkpoint` keep their old values, as Mesos silently does.
    if (info.user !== fw.info.user || (info.checkpoint ?? false) !== fw.checkpoint) {
      this.log.warn({ framework: id }, "changes to 'user' and 'checkpoint' on re-registration are ignored");
    }
    const wasRecovered = fw.recovered;
    const { checkpoint: _ignored, ...rest } = info;
    fw.info = { ...rest, id: { value: id }, user: fw.info.user, ...(fw.info.checkpoint !== undefined ? { checkpoint: fw.info.checkpoint } : {}) };
    fw.pid = from;
    fw.recovered = false;
    fw.connected = true;
    fw.reregisteredTime = this.now();
    fw.generation++;
    fw.failoverTimer?.();
    fw.failoverTimer = undefined;
    fw.suppressedRoles = new Set((m.suppressed_roles ?? []).filter((r) => fw.roles.includes(r)));
    this.frameworkByPid.set(from, id);
    this.link(from);
    this.toAllocator({ name: 'AllocatorUpdateFramework', framework_id: id, info: fw.info, suppressed_roles: [...fw.suppressedRoles] });
    if (!fw.active || wasRecovered) {
      fw.active = true;
      this.toAllocator({ name: 'AllocatorActivateFramework', framework_id: id });
    }
    this.log.info({ framework: id, pid: from, failover: failedOver }, 'framework re-registered');
    const reply = failedOver || m.failover ? 'FrameworkRegistered' : 'FrameworkReregistered';
    this.send(from, { name: reply, framework_id: { value: id }, master_info: this.info });
    // Agents learn the new pid and flush the updates they hold for the framework.
    for (const agent of this.state.agents.values()) {
      if (agent.connected) this.send(agent.pid, { name: 'UpdateFramework', framework_id: { value: id }, pid: from, framework_info: fw.info });
    }
  }

  private unregisterFramework(m: UnregisterFramework, from: Pid | ''): void {
    const fw = this.callingFramework('UnregisterFramework', m.framework_id.value, from, false);
    if (fw === undefined) return;
    this.log.info({ framework: fw.id }, 'framework asked to be removed');
    this.removeFramework(fw);
  }

  private deactivateFramework(m: DeactivateFramework, from: Pid | ''): void {
    const fw = this.callingFramework('DeactivateFramework', m.framework_id.value, from, false);
    if (fw === undefined) return;
    this.deactivate(fw);
  }

  /** No offers for the framework until it re-registers; its outstanding offers are rescinded. */
  private deactivate(fw: FrameworkRecord): void {
    if (fw.active) {
      fw.active = false;
      this.toAllocator({ name: 'AllocatorDeactivateFramework', framework_id: fw.id });
    }
    this.removeOffersOf(fw, true);
  }

  private frameworkDisconnected(fw: FrameworkRecord): void {
    this.log.info({ framework: fw.id, pid: fw.pid }, 'framework disconnected');
    // Best effort, as Mesos: a v0 driver that is still alive aborts on it.
    if (fw.pid !== undefined) this.send(fw.pid, { name: 'FrameworkError', message: 'Framework disconnected' } satisfies FrameworkError);
    fw.connected = false;
    this.deactivate(fw);
    const timeoutMs = Math.max(0, (fw.info.failover_timeout ?? 0) * 1000);
    fw.failoverTimer = this.delay(timeoutMs, { name: '_FrameworkFailoverTimeout', framework_id: fw.id, generation: fw.generation });
  }

  private frameworkFailoverTimeout(frameworkId: string, generation: number): void {
    const fw = this.state.frameworks.get(frameworkId);
    // A re-subscription since the timer was armed makes it stale.
    if (fw === undefined || fw.generation !== generation || fw.connected) return;
    this.log.info({ framework: frameworkId }, 'framework failover timeout; removing it');
    this.removeFramework(fw);
  }

  /**
   * Removes a framework for good (teardown, failover timeout): agents shut it down, its tasks
   * become TASK_KILLED (REASON_FRAMEWORK_REMOVED) in the master only, and it is completed.
   */
  private removeFramework(fw: FrameworkRecord): void {
    for (const agent of this.state.agents.values()) {
      if (agent.connected) this.send(agent.pid, { name: 'ShutdownFramework', framework_id: { value: fw.id } });
    }
    this.removeOffersOf(fw, false, false);
    const now = this.now();
    for (const entry of [...fw.tasks.values()]) {
      entry.recovered = true; // the allocator's removeFramework takes everything back
      if (!entry.terminal) this.setTaskState(entry, this.masterStatus(entry.task, 'TASK_KILLED', 'REASON_FRAMEWORK_REMOVED', 'Framework removed'));
      this.removeTask(entry);
    }
    for (const task of [...fw.unreachableTasks.values()]) {
      if (!isTerminalState(task.state)) {
        task.state = 'TASK_KILLED';
        this.metrics.terminal('TASK_KILLED', 'SOURCE_MASTER', 'REASON_FRAMEWORK_REMOVED');
      }
      fw.completedTasks.push(task);
    }
    fw.unreachableTasks.clear();
    for (const agent of this.state.agents.values()) {
      agent.executors.delete(fw.id);
      agent.tasks.delete(fw.id);
      agent.killedTasks.delete(fw.id);
    }
    fw.executors.clear();
    fw.failoverTimer?.();
    fw.failoverTimer = undefined;
    fw.connected = false;
    fw.active = false;
    fw.unregisteredTime = now;
    this.state.frameworks.delete(fw.id);
    if (fw.pid !== undefined && this.frameworkByPid.get(fw.pid) === fw.id) this.frameworkByPid.delete(fw.pid);
    this.state.completedFrameworks.push(fw);
    this.toAllocator({ name: 'AllocatorRemoveFramework', framework_id: fw.id });
    this.log.info({ framework: fw.id }, 'framework removed');
  }

  // ============================================================================ offers

  private allocatorOffers(m: AllocatorOffers, from: Pid | ''): void {
    if (from !== this.allocatorProcess.self) return this.dropped('AllocatorOffers', `it is not from the allocator (${from})`);
    const byFramework = new Map<FrameworkRecord, OfferRecord[]>();
    for (const a of m.offers) {
      const fw = this.state.frameworks.get(a.framework_id);
      const agent = this.state.agents.get(a.agent_id);
      // The framework or agent changed while the allocator decided: give the resources back.
      if (fw === undefined || !fw.active || !fw.connected || fw.pid === undefined || agent === undefined || !agent.active || !agent.connected) {
        this.recoverResources(a.framework_id, a.agent_id, a.resources);
        continue;
      }
      const record = this.makeOffer(fw, agent, a.role, a.resources);
      let list = byFramework.get(fw);
      if (list === undefined) byFramework.set(fw, (list = []));
      list.push(record);
    }
    for (const [fw, records] of byFramework) {
      const pids = records.map((r) => this.state.agents.get(r.offer.agent_id.value)!.pid as string);
      this.send(fw.pid!, { name: 'ResourceOffers', offers: records.map((r) => r.offer), pids });
    }
  }

  private makeOffer(fw: FrameworkRecord, agent: AgentRecord, role: string, resources: Resources): OfferRecord {
    const id = formatOfferId(this.id, this.nextOfferId++);
    const address = parseAddress(pidAddress(agent.pid));
    // Frameworks without MULTI_ROLE get the offer without allocation_info (Mesos strips it);
    // the master knows the role and injects it back when they accept.
    const offer: Offer = {
      id: { value: id },
      framework_id: { value: fw.id },
      agent_id: { value: agent.id },
      hostname: agent.info.hostname,
      url: { scheme: 'http', address: { hostname: agent.info.hostname, ip: address.host, port: address.port }, path: `/${pidId(agent.pid)}` },
      resources: (fw.multiRole ? resources : resources.unallocate()).toJSON(),
      attributes: agent.info.attributes,
      executor_ids: [...(fw.executors.get(agent.id)?.values() ?? [])].map((e) => e.executor_id),
      ...(fw.multiRole ? { allocation_info: { role } } : {}),
      ...(agent.info.domain !== undefined ? { domain: agent.info.domain } : {}),
    };
    const record: OfferRecord = { offer, resources, role, timer: undefined };
    if (this.opts.offerTimeoutMs !== undefined) record.timer = this.delay(this.opts.offerTimeoutMs, { name: '_OfferTimeout', offer_id: id });
    this.state.offers.set(id, record);
    fw.offers.add(id);
    agent.offers.add(id);
    return record;
  }

  /** Forgets an offer; with `rescind` the framework is told; with `recover` the allocator gets the resources back (no filter). */
  private removeOffer(record: OfferRecord, rescind: boolean, recover = true): void {
    const id = record.offer.id.value;
    if (!this.state.offers.delete(id)) return;
    record.timer?.();
    const fw = this.state.frameworks.get(record.offer.framework_id.value);
    fw?.offers.delete(id);
    this.state.agents.get(record.offer.agent_id.value)?.offers.delete(id);
    if (rescind && fw?.pid !== undefined) this.send(fw.pid, { name: 'RescindResourceOffer', offer_id: { value: id } });
    if (recover) this.recoverResources(record.offer.framework_id.value, record.offer.agent_id.value, record.resources);
  }

  private removeOffersOf(fw: FrameworkRecord, rescind: boolean, recover = true): void {
    for (const id of [...fw.offers]) {
      const record = this.state.offers.get(id);
      if (record !== undefined) this.removeOffer(record, rescind, recover);
    }
    fw.offers.clear();
  }

  private offerTimeout(offerId: string): void {
    const record = this.state.offers.get(offerId);
    if (record === undefined) return;
    this.log.info({ offer: offerId }, 'offer timed out; rescinding it');
    record.timer = undefined;
    this.removeOffer(record, true);
  }

  private decline(m: Decline, from: Pid | ''): void {
    const fw = this.callingFramework('Decline', m.framework_id.value, from, true);
    if (fw === undefined) return;
    for (const { value: id } of m.offer_ids) {
      const record = this.state.offers.get(id);
      if (record === undefined || record.offer.framework_id.value !== fw.id) {
        this.log.warn({ framework: fw.id, offer: id }, 'ignoring decline of an offer that is no longer valid');
        continue;
      }
      this.removeOffer(record, false, false);
      this.recoverResources(fw.id, record.offer.agent_id.value, record.resources, m.filters ?? {});
    }
  }

  private reviveOffers(m: ReviveOffers, from: Pid | ''): void {
    const fw = this.callingFramework('ReviveOffers', m.framework_id.value, from, true);
    if (fw === undefined) return;
    const roles = this.checkCallRoles(fw, 'ReviveOffers', m.roles ?? []);
    if (roles === undefined) return;
    for (const r of roles.length === 0 ? fw.roles : roles) fw.suppressedRoles.delete(r);
    this.toAllocator({ name: 'AllocatorReviveOffers', framework_id: fw.id, roles });
  }

  private suppressOffers(m: SuppressOffers, from: Pid | ''): void {
    const fw = this.callingFramework('SuppressOffers', m.framework_id.value, from, true);
    if (fw === undefined) return;
    const roles = this.checkCallRoles(fw, 'SuppressOffers', m.roles ?? []);
    if (roles === undefined) return;
    for (const r of roles.length === 0 ? fw.roles : roles) fw.suppressedRoles.add(r);
    this.toAllocator({ name: 'AllocatorSuppressOffers', framework_id: fw.id, roles });
  }

  /** Mesos drops the whole REVIVE/SUPPRESS when any role is invalid or not the framework's. */
  private checkCallRoles(fw: FrameworkRecord, call: string, roles: readonly string[]): string[] | undefined {
    for (const r of roles) {
      if (checkRole(r) !== undefined || !fw.roles.includes(r)) {
        this.dropped(call, `role '${r}' is not one of framework ${fw.id}'s roles`);
        return undefined;
      }
    }
    return [...roles];
  }

  private resourceRequest(m: ResourceRequestMessage, from: Pid | ''): void {
    // Mesos's allocator ignores requests; so does this one.
    this.callingFramework('ResourceRequest', m.framework_id.value, from, true);
  }

  // ============================================================================ launching

  private launchTasks(m: LaunchTasks, from: Pid | ''): void {
    const fw = this.callingFramework('LaunchTasks', m.framework_id.value, from, true);
    if (fw === undefined) return;
    // The v0 launchTasks is an ACCEPT with one LAUNCH; no tasks means decline everything.
    this.acceptOffers(fw, m.offer_ids, [{ type: 'LAUNCH', launch: { task_infos: m.tasks } }], m.filters);
  }

  private accept(m: Accept, from: Pid | ''): void {
    const fw = this.callingFramework('Accept', m.framework_id.value, from, true);
    if (fw === undefined) return;
    this.acceptOffers(fw, m.offer_ids, m.operations, m.filters);
  }

  private acceptOffers(fw: FrameworkRecord, offerIds: readonly { value: string }[], operations: readonly OfferOperation[], filters: { refuse_seconds?: number } | undefined): void {
    const invalid = validateOffers({
      offer_ids: offerIds,
      framework_id: { value: fw.id },
      partition_aware: fw.partitionAware,
      lookupOffer: (id) => {
        const r = this.state.offers.get(id);
        return r === undefined ? undefined : { framework_id: r.offer.framework_id, agent_id: r.offer.agent_id, allocation_info: { role: r.role } };
      },
      agentConnected: (id) => {
        const a = this.state.agents.get(id);
        return a !== undefined && a.connected && a.active;
      },
    });
    if (invalid !== undefined) {
      // Offers that are still valid are discarded; every task is told why.
      for (const { value: id } of offerIds) {
        const r = this.state.offers.get(id);
        if (r !== undefined && r.offer.framework_id.value === fw.id) this.removeOffer(r, false);
      }
      for (const op of operations) for (const task of operationTasks(op)) this.rejectTask(fw, task, invalid);
      return;
    }

    const records = offerIds.map(({ value }) => this.state.offers.get(value)!);
    const first = records[0]!;
    const agent = this.state.agents.get(first.offer.agent_id.value)!;
    const role = first.role;
    let remaining = Resources.EMPTY;
    for (const r of records) {
      remaining = remaining.add(r.resources);
      this.removeOffer(r, false, false);
    }

    const inUse = new Set<string>([...fw.tasks.keys(), ...fw.unreachableTasks.keys()]);
    const executors = new Map<string, ExecutorInfo>(fw.executors.get(agent.id) ?? []);
    for (const op of operations) {
      if (op.type === 'LAUNCH') {
        const problem = validateLaunchOperation(op);
        if (problem !== undefined) {
          for (const task of operationTasks(op)) this.rejectTask(fw, task, problem);
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
            this.rejectTask(fw, outcome.task, outcome.rejection);
            continue;
          }
          this.launchTask(fw, agent, role, outcome);
          inUse.add(outcome.task.task_id.value);
          if (outcome.launch_executor && outcome.task.executor !== undefined) executors.set(outcome.task.executor.executor_id.value, outcome.task.executor);
        }
        remaining = result.remaining;
      } else if (op.type === 'LAUNCH_GROUP') {
        // Departure: task groups (and the default executor) are not supported yet.
        for (const task of operationTasks(op)) {
          this.rejectTask(fw, task, { state: 'TASK_ERROR', reason: 'REASON_TASK_GROUP_INVALID', message: 'LAUNCH_GROUP is not supported by this master' });
        }
      } else if (op.type === 'RESERVE' || op.type === 'UNRESERVE') {
        const applied = this.applyReservation(fw, agent, role, op, remaining);
        if (typeof applied === 'string') this.log.warn({ framework: fw.id, agent: agent.id, operation: op.type }, `${op.type} dropped: ${applied}`);
        else remaining = applied;
      } else {
        this.log.warn({ framework: fw.id, operation: op.type }, 'offer operation not supported; ignored');
      }
    }
    // What the launches left is declined with the call's filters (5 s when it sets none).
    if (!remaining.isEmpty()) this.recoverResources(fw.id, agent.id, remaining, filters ?? {});
  }

  /**
   * A dynamic RESERVE or UNRESERVE inside an ACCEPT (Mesos's Master::_accept): the offered
   * resources change reservation in place, stay offered to the framework for the rest of the
   * call, and the allocator and the agent's total follow. Returns what remains offered, or why
   * the operation is invalid (Mesos drops an invalid operation and carries on with the others).
   */
  private applyReservation(fw: FrameworkRecord, agent: AgentRecord, role: string, op: OfferOperation, remaining: Resources): Resources | string {
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
    this.send(this.allocatorPid, {
      name: 'AllocatorUpdateAllocation',
      framework_id: fw.id,
      agent_id: agent.id,
      role,
      operations: [{ type: reserving ? 'RESERVE' : 'UNRESERVE', resources: resources.allocate(role) }],
    } satisfies AllocatorUpdateAllocation);
    this.log.info({ framework: fw.id, agent: agent.id, resources: resources.toString() }, op.type === 'RESERVE' ? 'reserved' : 'unreserved');
    return offered.subtract(consumed).add(converted).allocate(role);
  }

  private launchTask(fw: FrameworkRecord, agent: AgentRecord, role: string, outcome: Extract<LaunchOutcome, { ok: true }>): void {
    const info = outcome.task;
    // Mesos injects the offers' allocation role into resources that lack it.
    const executor = info.executor === undefined ? undefined : { ...info.executor, resources: allocateAll(info.executor.resources ?? [], role) };
    const taskInfo: TaskInfo = { ...info, resources: allocateAll(info.resources ?? [], role), ...(executor !== undefined ? { executor } : {}) };
    const task: Task = {
      name: info.name,
      task_id: info.task_id,
      framework_id: { value: fw.id },
      agent_id: { value: agent.id },
      state: 'TASK_STAGING',
      resources: taskInfo.resources ?? [],
      statuses: [],
      user: fw.info.user,
      ...(executor !== undefined ? { executor_id: executor.executor_id } : {}),
      ...(info.labels !== undefined ? { labels: info.labels } : {}),
      ...(info.container !== undefined ? { container: info.container } : {}),
      ...(info.health_check !== undefined ? { health_check: info.health_check } : {}),
      ...(info.kill_policy !== undefined ? { kill_policy: info.kill_policy } : {}),
      ...(info.limits !== undefined ? { limits: info.limits } : {}),
    };
    const entry = new TaskEntry(task, Resources.fromJSON(task.resources));
    fw.tasks.set(entry.id, entry);
    agent.tasksOf(fw.id).set(entry.id, entry);
    if (outcome.launch_executor && info.executor !== undefined && executor !== undefined) {
      // Kept as the framework sent it, so later tasks naming the same executor compare equal.
      fw.executorsOn(agent.id).set(info.executor.executor_id.value, info.executor);
      let m = agent.executors.get(fw.id);
      if (m === undefined) agent.executors.set(fw.id, (m = new Map()));
      m.set(info.executor.executor_id.value, { info: info.executor, resources: Resources.fromJSON(executor.resources ?? []) });
    }
    this.log.info({ framework: fw.id, task: entry.id, agent: agent.id }, `Launching task ${entry.id} of framework ${fw.id} with resources ${entry.resources.toString()} on agent ${agent.id}`);
    this.send(agent.pid, { name: 'RunTask', framework: fw.info, task: taskInfo, pid: fw.pid ?? '', launch_executor: outcome.launch_executor });
  }

  private rejectTask(fw: FrameworkRecord, task: Pick<TaskInfo, 'task_id' | 'agent_id'>, rejection: LaunchRejection): void {
    const status = rejectionStatus(rejection, task, this.nowSecs());
    this.metrics.terminal(status.state, 'SOURCE_MASTER', rejection.reason);
    this.log.info({ framework: fw.id, task: task.task_id.value, state: status.state, reason: rejection.reason }, rejection.message);
    this.sendMasterUpdate(fw, status);
  }

  // ============================================================================ tasks

  private killTask(m: KillTask, from: Pid | ''): void {
    const fw = this.callingFramework('KillTask', m.framework_id.value, from, true);
    if (fw === undefined) return;
    const entry = fw.tasks.get(m.task_id.value);
    if (entry === undefined) {
      // Mesos answers a kill of an unknown task with an explicit reconciliation of it.
      this.log.warn({ framework: fw.id, task: m.task_id.value }, 'kill of an unknown task; reconciling it');
      return this.reconcile(fw, [{ task_id: m.task_id, state: 'TASK_STAGING', ...(m.agent_id !== undefined ? { agent_id: m.agent_id } : {}) }]);
    }
    const agent = this.state.agents.get(entry.agentId);
    if (agent === undefined) return;
    let killed = agent.killedTasks.get(fw.id);
    if (killed === undefined) agent.killedTasks.set(fw.id, (killed = new Set()));
    killed.add(entry.id);
    if (agent.connected) {
      this.send(agent.pid, { name: 'KillTask', framework_id: { value: fw.id }, task_id: m.task_id, ...(m.kill_policy !== undefined ? { kill_policy: m.kill_policy } : {}) } satisfies KillTask);
    } else {
      this.log.info({ framework: fw.id, task: entry.id, agent: agent.id }, 'agent disconnected; the kill is sent when it re-registers');
    }
  }

  private statusUpdate(m: StatusUpdate, from: Pid | ''): void {
    const u = m.update;
    const agentId = u.agent_id?.value ?? u.status.agent_id?.value;
    const agent = agentId === undefined ? undefined : this.state.agents.get(agentId);
    if (agent === undefined || from !== agent.pid) {
      this.metrics.invalidStatusUpdates.inc();
      return this.dropped('StatusUpdate', `it is not from a registered agent (agent ${agentId ?? 'none'}, from ${from || 'nobody'})`);
    }
    const fw = this.state.frameworks.get(u.framework_id.value);
    // Forwarded as is (pid = the agent), so the scheduler acknowledges it; a disconnected
    // framework gets it later, because the agent retries until acknowledged.
    if (fw !== undefined && fw.connected && fw.pid !== undefined) this.send(fw.pid, { name: 'StatusUpdate', update: u, pid: agent.pid });
    const entry = agent.tasks.get(u.framework_id.value)?.get(u.status.task_id.value);
    if (entry === undefined) {
      this.metrics.invalidStatusUpdates.inc();
      this.log.warn({ framework: u.framework_id.value, task: u.status.task_id.value, agent: agent.id }, 'status update for an unknown task');
      return;
    }
    this.log.info({ framework: fw?.id, task: entry.id, agent: agent.id }, `Status update ${u.status.state} for task ${entry.id} of framework ${u.framework_id.value} from agent ${agent.id}`);
    this.updateTask(entry, u.status, u.latest_state);
    this.metrics.validStatusUpdates.inc();
  }

  /**
   * Records a status on a task: the status-update state always; the task's state (from the
   * agent's `latest_state` when given) only while it is not terminal. Resources go back the
   * first time it becomes terminal.
   */
  private updateTask(entry: TaskEntry, status: TaskStatus, latestState?: TaskState): void {
    const task = entry.task;
    task.status_update_state = status.state;
    if (status.uuid !== undefined) task.status_update_uuid = status.uuid;
    else delete task.status_update_uuid;
    const { data: _data, ...kept } = status; // Mesos drops `data` to bound the master's memory
    const last = task.statuses[task.statuses.length - 1];
    if (last === undefined || last.state !== kept.state) task.statuses.push(kept);
    if (isTerminalState(task.state)) return;
    const next = latestState ?? status.state;
    if (next === task.state) return;
    task.state = next;
    if (isTerminalState(next)) {
      this.metrics.terminal(next, status.source, status.reason);
      this.recoverTask(entry);
    }
  }

  /** A master-made status for a task, recorded on it (used when the master decides the state). */
  private setTaskState(entry: TaskEntry, status: TaskStatus): void {
    const task = entry.task;
    const last = task.statuses[task.statuses.length - 1];
    if (last === undefined || last.state !== status.state) task.statuses.push(status);
    task.status_update_state = status.state;
    delete task.status_update_uuid;
    if (isTerminalState(task.state)) return;
    task.state = status.state;
    if (isTerminalState(status.state)) this.metrics.terminal(status.state, status.source, status.reason);
  }

  private recoverTask(entry: TaskEntry): void {
    if (entry.recovered) return;
    entry.recovered = true;
    this.recoverResources(entry.frameworkId, entry.agentId, entry.resources);
  }

  /** The task leaves the active set for `completed_tasks` (acknowledged terminal update, or removal). */
  private removeTask(entry: TaskEntry): void {
    this.recoverTask(entry);
    const fw = this.state.frameworks.get(entry.frameworkId);
    fw?.tasks.delete(entry.id);
    const agent = this.state.agents.get(entry.agentId);
    agent?.tasks.get(entry.frameworkId)?.delete(entry.id);
    agent?.killedTasks.get(entry.frameworkId)?.delete(entry.id);
    fw?.completedTasks.push(entry.task);
  }

  private statusUpdateAcknowledgement(m: StatusUpdateAcknowledgement, from: Pid | ''): void {
    const fw = this.callingFramework('StatusUpdateAcknowledgement', m.framework_id.value, from, true);
    if (fw === undefined) {
      this.metrics.invalidAcks.inc();
      return;
    }
    const agent = this.state.agents.get(m.agent_id.value);
    if (agent === undefined || !agent.connected) {
      this.metrics.invalidAcks.inc();
      return this.dropped('StatusUpdateAcknowledgement', `agent ${m.agent_id.value} is not registered and connected`);
    }
    const entry = fw.tasks.get(m.task_id.value);
    if (entry !== undefined && entry.agentId === agent.id) {
      const s = entry.task.status_update_state;
      // Acknowledging the terminal update completes the task in the master.
      if (s !== undefined && isTerminalState(s) && uuidEquals(entry.task.status_update_uuid, m.uuid)) this.removeTask(entry);
    }
    this.metrics.validAcks.inc();
    this.send(agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: m.agent_id, framework_id: m.framework_id, task_id: m.task_id, uuid: m.uuid } satisfies StatusUpdateAcknowledgement);
  }

  private reconcileTasks(m: ReconcileTasks, from: Pid | ''): void {
    const fw = this.callingFramework('ReconcileTasks', m.framework_id.value, from, true);
    if (fw === undefined) return;
    this.reconcile(fw, m.statuses);
  }

  /** Answers from memory (Mesos's Master::reconcile, fault-tolerance.md §6); never asks agents. */
  private reconcile(fw: FrameworkRecord, statuses: readonly TaskStatus[]): void {
    const now = this.nowSecs();
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
      this.sendMasterUpdate(fw, status);
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
      if (agentId !== undefined && this.state.recoveredAgents.has(agentId)) continue; // not re-registered yet: ask again later
      if (agentId === undefined && this.state.recoveredAgents.size > 0) continue;
      if (agentId !== undefined && this.state.agents.has(agentId)) {
        state = 'TASK_GONE';
        message = 'Reconciliation: task is unknown to the agent';
      } else if (agentId !== undefined && this.state.unreachableAgents.has(agentId)) {
        state = 'TASK_UNREACHABLE';
        unreachableTime = { nanoseconds: this.state.unreachableAgents.get(agentId)!.timeMs * 1e6 };
        message = 'Reconciliation: task is on an unreachable agent';
      } else {
        state = 'TASK_UNKNOWN';
        message = 'Reconciliation: task is unknown';
      }
      this.sendMasterUpdate(
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

  private frameworkToExecutor(m: FrameworkToExecutor, from: Pid | ''): void {
    const fw = this.callingFramework('FrameworkToExecutor', m.framework_id.value, from, true);
    if (fw === undefined) return;
    const agent = this.state.agents.get(m.agent_id.value);
    if (agent === undefined || !agent.connected) return this.dropped('FrameworkToExecutor', `agent ${m.agent_id.value} is not registered and connected`);
    this.send(agent.pid, m);
  }

  private executorToFramework(m: ExecutorToFramework, from: Pid | ''): void {
    const agent = this.state.agents.get(m.agent_id.value);
    if (agent === undefined || agent.pid !== from) return this.dropped('ExecutorToFramework', `it is not from registered agent ${m.agent_id.value}`);
    const fw = this.state.frameworks.get(m.framework_id.value);
    if (fw === undefined || !fw.connected || fw.pid === undefined) return this.dropped('ExecutorToFramework', `framework ${m.framework_id.value} is not connected`);
    this.send(fw.pid, m);
  }

  private exitedExecutor(m: ExitedExecutor, from: Pid | ''): void {
    const agent = this.state.agents.get(m.agent_id.value);
    if (agent === undefined || agent.pid !== from) return this.dropped('ExitedExecutor', `it is not from registered agent ${m.agent_id.value}`);
    const fwId = m.framework_id.value;
    const execId = m.executor_id.value;
    const e = agent.executors.get(fwId)?.get(execId);
    if (e !== undefined) {
      agent.executors.get(fwId)!.delete(execId);
      this.state.frameworks.get(fwId)?.executors.get(agent.id)?.delete(execId);
      this.recoverResources(fwId, agent.id, e.resources);
    }
    const fw = this.state.frameworks.get(fwId);
    if (fw !== undefined && fw.connected && fw.pid !== undefined) this.send(fw.pid, m);
  }

  // ============================================================================ agents

  private registerAgent(m: RegisterAgent, from: Pid | ''): void {
    if (from === '') return this.dropped('RegisterAgent', 'it has no sender');
    const problem = this.agentProblem(m.agent, m.version, m.checkpointed_resources);
    if (problem !== undefined) {
      this.log.warn({ pid: from, problem }, 'refusing agent registration');
      return this.send(from, { name: 'Shutdown', message: problem });
    }
    const existingId = this.agentByPid.get(from);
    const existing = existingId === undefined ? undefined : this.state.agents.get(existingId);
    if (existing !== undefined) {
      if (existing.connected) {
        // A retry of a registration that already succeeded.
        return this.send(from, { name: 'AgentRegistered', agent_id: { value: existing.id }, connection: this.connection() });
      }
      // The same address registers afresh while the old agent is disconnected: it restarted
      // and lost its state. The old one is removed (Mesos: slave_removals/reason_registered).
      this.metrics.slaveRemovalsRegistered.inc();
      this.removeAgent(existing, 'a new agent registered at its address');
    }
    const id = formatAgentId(this.id, this.nextAgentId++);
    const info: AgentInfo = { ...m.agent, id: { value: id } };
    const agent = new AgentRecord(id, info, from, m.version, m.agent_capabilities ?? [], Resources.fromJSON(m.agent.resources), this.now());
    this.admitAgent(agent);
    this.toAllocator({ name: 'AllocatorAddAgent', agent_id: id, total: agent.total, used: new Map(), info: { hostname: info.hostname, attributes: info.attributes } });
    this.metrics.slaveRegistrations.inc();
    this.log.info({ agent: id, pid: from, resources: agent.total.toString() }, 'agent registered');
    this.send(from, { name: 'AgentRegistered', agent_id: { value: id }, connection: this.connection() });
    this.startObserver(agent);
  }

  private reregisterAgent(m: ReregisterAgent, from: Pid | ''): void {
    if (from === '') return this.dropped('ReregisterAgent', 'it has no sender');
    const id = m.agent.id?.value;
    if (id === undefined || id === '') return this.dropped('ReregisterAgent', 'the agent has no id');
    const problem = this.agentProblem(m.agent, m.version, m.checkpointed_resources);
    if (problem !== undefined) {
      this.log.warn({ pid: from, agent: id, problem }, 'refusing agent re-registration');
      return this.send(from, { name: 'Shutdown', message: problem });
    }
    const known = this.state.agents.get(id);
    if (known !== undefined) return this.reconcileKnownAgent(known, m, from);
    this.readmitAgent(m, from);
  }

  /** An agent the master still has (a blip, or a restart within the timeout): reconcile with it. */
  private reconcileKnownAgent(agent: AgentRecord, m: ReregisterAgent, from: Pid): void {
    const oldHost = parseAddress(pidAddress(agent.pid)).host;
    const newHost = parseAddress(pidAddress(from)).host;
    if (m.agent.hostname !== agent.info.hostname || oldHost !== newHost) {
      this.log.warn({ agent: agent.id, pid: from }, 'agent re-registered with a different hostname or IP; shutting it down');
      return this.send(from, { name: 'Shutdown', message: 'Agent attempted to re-register with a different hostname or IP' });
    }
    if (agent.pid !== from) {
      this.agentByPid.delete(agent.pid);
      agent.pid = from;
    }
    this.agentByPid.set(from, agent.id);
    this.link(from);
    agent.reregisteredTime = this.now();
    agent.version = m.version;
    agent.capabilities = m.agent_capabilities ?? [];
    agent.reregisterTimer?.();
    agent.reregisterTimer = undefined;
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
      list.push(taskStatus({ task_id: entry.task.task_id, state: entry.task.state, source: 'SOURCE_MASTER', agent_id: { value: agent.id }, timestamp: this.nowSecs() }));
    }
    const reconciliations: TaskReconciliation[] = [...byFramework].map(([fwId, statuses]) => ({ framework_id: { value: fwId }, statuses }));
    // Tasks the agent runs that the master forgot (e.g. removed when it disconnected) come back.
    let adopted = 0;
    for (const t of m.tasks) {
      if (agent.tasks.get(t.framework_id.value)?.has(t.task_id.value)) continue;
      if (this.adoptTask(agent, t, m.frameworks, true)) adopted++;
    }
    if (adopted > 0) {
      // The allocator must count them as used again: re-add the agent with what runs there.
      for (const id of [...agent.offers]) {
        const r = this.state.offers.get(id);
        if (r !== undefined) this.removeOffer(r, true, false);
      }
      this.toAllocator({ name: 'AllocatorRemoveAgent', agent_id: agent.id });
      this.toAllocator({ name: 'AllocatorAddAgent', agent_id: agent.id, total: agent.total, used: this.usedOn(agent), info: { hostname: agent.info.hostname, attributes: agent.info.attributes } });
    } else if (!wasActive) {
      this.toAllocator({ name: 'AllocatorActivateAgent', agent_id: agent.id });
    }
    // Executors the agent no longer has are removed.
    const reportedExecutors = new Set(m.executor_infos.map((e) => `${e.framework_id?.value ?? ''}/${e.executor_id.value}`));
    for (const [fwId, execs] of agent.executors) {
      for (const [execId, e] of [...execs]) {
        if (reportedExecutors.has(`${fwId}/${execId}`)) continue;
        execs.delete(execId);
        this.state.frameworks.get(fwId)?.executors.get(agent.id)?.delete(execId);
        this.recoverResources(fwId, agent.id, e.resources);
      }
    }

    this.metrics.slaveReregistrations.inc();
    this.log.info({ agent: agent.id, pid: from, reconciled: reconciliations.length }, 'agent re-registered');
    this.send(from, { name: 'AgentReregistered', agent_id: { value: agent.id }, reconciliations, connection: this.connection() });
    this.afterReregistration(agent, m);
  }

  /** An unreachable, recovered or unknown agent comes back with its old id: admit it again with its tasks. */
  private readmitAgent(m: ReregisterAgent, from: Pid): void {
    const id = m.agent.id!.value;
    const existingId = this.agentByPid.get(from);
    const stale = existingId === undefined ? undefined : this.state.agents.get(existingId);
    if (stale !== undefined) this.removeAgent(stale, 'another agent re-registered at its address');
    const wasUnreachable = this.state.unreachableAgents.delete(id);
    this.state.recoveredAgents.delete(id);
    const agent = new AgentRecord(id, { ...m.agent }, from, m.version, m.agent_capabilities ?? [], Resources.fromJSON(m.agent.resources), this.now());
    agent.reregisteredTime = agent.registeredTime;
    this.admitAgent(agent);
    for (const e of m.executor_infos) {
      const fwId = e.framework_id?.value;
      if (fwId === undefined || this.isCompleted(fwId)) continue;
      const fw = this.state.frameworks.get(fwId) ?? this.recoverFramework(fwId, m.frameworks);
      if (fw === undefined) continue;
      fw.executorsOn(id).set(e.executor_id.value, e);
      let execs = agent.executors.get(fwId);
      if (execs === undefined) agent.executors.set(fwId, (execs = new Map()));
      execs.set(e.executor_id.value, { info: e, resources: this.taggedFor(fw, e.resources ?? []) });
    }
    for (const t of m.tasks) this.adoptTask(agent, t, m.frameworks, false);
    this.toAllocator({ name: 'AllocatorAddAgent', agent_id: id, total: agent.total, used: this.usedOn(agent), info: { hostname: agent.info.hostname, attributes: agent.info.attributes } });
    this.metrics.slaveReregistrations.inc();
    this.log.info({ agent: id, pid: from, unreachable: wasUnreachable }, 'agent re-admitted');
    this.send(from, { name: 'AgentReregistered', agent_id: { value: id }, reconciliations: [], connection: this.connection() });
    this.afterReregistration(agent, m);
  }

  /**
   * Takes a task an agent reports into the master's books. Frameworks are told its state with
   * REASON_AGENT_REREGISTERED (it may have been reported lost or unreachable meanwhile).
   */
  private adoptTask(agent: AgentRecord, t: Task, frameworks: readonly FrameworkInfo[], notify: boolean): boolean {
    const fwId = t.framework_id.value;
    if (this.isCompleted(fwId)) return false;
    const fw = this.state.frameworks.get(fwId) ?? this.recoverFramework(fwId, frameworks);
    if (fw === undefined) return false;
    const task: Task = { ...t, agent_id: { value: agent.id }, resources: [...this.taggedFor(fw, t.resources).toJSON()] };
    const entry = new TaskEntry(task, Resources.fromJSON(task.resources));
    if (entry.terminal) entry.recovered = true;
    fw.tasks.set(entry.id, entry);
    fw.unreachableTasks.delete(entry.id);
    fw.completedTasks.remove((c) => c.task_id.value === entry.id);
    agent.tasksOf(fwId).set(entry.id, entry);
    if (notify || fw.connected) {
      const last = task.statuses[task.statuses.length - 1];
      this.sendMasterUpdate(
        fw,
        taskStatus({
          task_id: task.task_id,
          state: task.state,
          source: 'SOURCE_MASTER',
          reason: 'REASON_AGENT_REREGISTERED',
          message: 'Agent re-registered',
          agent_id: { value: agent.id },
          executor_id: task.executor_id,
          timestamp: this.nowSecs(),
          healthy: last?.healthy,
        }),
      );
    }
    return true;
  }

  /** What each framework uses on an agent, for the allocator. */
  private usedOn(agent: AgentRecord): Map<string, Resources> {
    const used = new Map<string, Resources>();
    for (const fwId of new Set([...agent.tasks.keys(), ...agent.executors.keys()])) {
      const r = agent.usedBy(fwId);
      if (!r.isEmpty()) used.set(fwId, r);
    }
    return used;
  }

  /** A framework known only from an agent's report (after a master restart): kept inactive until it subscribes. */
  private recoverFramework(fwId: string, frameworks: readonly FrameworkInfo[]): FrameworkRecord | undefined {
    const info = frameworks.find((f) => f.id?.value === fwId);
    if (info === undefined) return undefined;
    const fw = new FrameworkRecord(fwId, info, undefined, this.now(), this.opts.maxCompletedTasksPerFramework);
    fw.recovered = true;
    fw.connected = false;
    fw.active = false;
    this.state.frameworks.set(fwId, fw);
    this.toAllocator({ name: 'AllocatorAddFramework', framework_id: fwId, info, used: new Map(), active: false, suppressed_roles: [] });
    return fw;
  }

  private afterReregistration(agent: AgentRecord, m: ReregisterAgent): void {
    // Kills the agent may have missed while away.
    for (const [fwId, taskIds] of agent.killedTasks) {
      for (const taskId of taskIds) {
        const entry = agent.tasks.get(fwId)?.get(taskId);
        if (entry !== undefined && !entry.terminal) this.send(agent.pid, { name: 'KillTask', framework_id: { value: fwId }, task_id: entry.task.task_id });
      }
    }
    // Frameworks removed while the agent was away are shut down there.
    const reportedFrameworks = new Set([...m.frameworks.flatMap((f) => (f.id !== undefined ? [f.id.value] : [])), ...m.tasks.map((t) => t.framework_id.value)]);
    for (const fwId of reportedFrameworks) {
      if (this.isCompleted(fwId)) this.send(agent.pid, { name: 'ShutdownFramework', framework_id: { value: fwId } });
    }
    // The agent learns each framework's current pid and resends the updates it holds.
    for (const fwId of reportedFrameworks) {
      const fw = this.state.frameworks.get(fwId);
      if (fw !== undefined && fw.pid !== undefined) this.send(agent.pid, { name: 'UpdateFramework', framework_id: { value: fwId }, pid: fw.pid, framework_info: fw.info });
    }
    this.startObserver(agent);
  }

  private admitAgent(agent: AgentRecord): void {
    this.state.agents.set(agent.id, agent);
    this.agentByPid.set(agent.pid, agent.id);
    this.link(agent.pid);
    this.registry.admit({ id: agent.id, hostname: agent.info.hostname, ...(agent.info.port !== undefined ? { port: agent.info.port } : {}) });
  }

  private unregisterAgent(m: UnregisterAgent, from: Pid | ''): void {
    const agent = this.state.agents.get(m.agent_id.value);
    if (agent === undefined || agent.pid !== from) return this.dropped('UnregisterAgent', `it is not from registered agent ${m.agent_id.value}`);
    this.metrics.slaveRemovalsUnregistered.inc();
    this.removeAgent(agent, 'the agent unregistered');
  }

  /** The agent's connection broke (Mesos: `exited`): disconnect it, and wait for it to come back. */
  private agentDisconnected(agent: AgentRecord): void {
    if (!agent.connected) return;
    this.log.info({ agent: agent.id, pid: agent.pid }, 'agent disconnected');
    agent.connected = false;
    if (agent.active) {
      agent.active = false;
      this.toAllocator({ name: 'AllocatorDeactivateAgent', agent_id: agent.id });
    }
    for (const id of [...agent.offers]) {
      const r = this.state.offers.get(id);
      if (r !== undefined) this.removeOffer(r, true);
    }
    // Tasks of frameworks that do not checkpoint cannot survive an agent restart, which a
    // broken connection most likely is: TASK_LOST at once (even for PARTITION_AWARE, as Mesos).
    for (const [fwId, tasks] of [...agent.tasks]) {
      const fw = this.state.frameworks.get(fwId);
      if (fw === undefined || fw.checkpoint) continue;
      for (const entry of [...tasks.values()]) {
        if (!entry.terminal) {
          const status = this.masterStatus(entry.task, 'TASK_LOST', 'REASON_AGENT_DISCONNECTED', 'Agent disconnected');
          this.setTaskState(entry, status);
          this.sendMasterUpdate(fw, status);
        }
        this.removeTask(entry);
      }
      for (const [execId, e] of agent.executors.get(fwId) ?? []) {
        fw.executors.get(agent.id)?.delete(execId);
        this.recoverResources(fwId, agent.id, e.resources);
      }
      agent.executors.delete(fwId);
    }
    const epoch = agent.observerEpoch;
    agent.reregisterTimer = this.delay(this.opts.agentReregisterTimeoutMs, { name: '_AgentReregisterTimeout', agent_id: agent.id, epoch });
  }

  private agentReregisterTimeout(agentId: string, epoch: number): void {
    const agent = this.state.agents.get(agentId);
    if (agent === undefined || agent.connected || agent.observerEpoch !== epoch) return;
    this.log.warn({ agent: agentId }, 'agent did not re-register in time');
    this.markUnreachable(agent, 'agent did not re-register within agent_reregister_timeout');
  }

  private recoveredAgentsTimeout(): void {
    for (const [id, a] of [...this.state.recoveredAgents]) {
      this.state.recoveredAgents.delete(id);
      const time = this.now();
      this.state.unreachableAgents.set(id, { info: { hostname: a.hostname, resources: [], attributes: [], id: { value: id } }, timeMs: time });
      this.registry.markUnreachable(id, a.hostname, time);
      this.metrics.slaveUnreachableScheduled.inc();
      this.metrics.slaveUnreachableCompleted.inc();
      for (const fw of this.state.frameworks.values()) if (fw.connected && fw.pid !== undefined) this.send(fw.pid, { name: 'LostAgent', agent_id: { value: id } });
    }
  }

  // Health checks (Mesos's SlaveObserver): ping at once, then every agent_ping_timeout check
  // that a pong came since the last ping; max_agent_ping_timeouts misses in a row make the agent
  // unreachable. Any pong resets the count. Pings go on while the agent is disconnected, with
  // connected=false, which makes a half-connected agent re-register.

  private startObserver(agent: AgentRecord): void {
    agent.pingTimer?.();
    agent.observerEpoch++;
    agent.missedPongs = 0;
    this.ping(agent);
  }

  private ping(agent: AgentRecord): void {
    agent.pongReceived = false;
    this.send(agent.pid, { name: 'PingAgent', connected: agent.connected });
    agent.pingTimer = this.delay(this.opts.agentPingTimeoutMs, { name: '_AgentPingTimeout', agent_id: agent.id, epoch: agent.observerEpoch });
  }

  private pongAgent(from: Pid | ''): void {
    const id = from === '' ? undefined : this.agentByPid.get(from);
    const agent = id === undefined ? undefined : this.state.agents.get(id);
    if (agent === undefined || agent.pid !== from) return; // late pong from a removed agent
    agent.pongReceived = true;
    agent.missedPongs = 0;
  }

  private agentPingTimeout(agentId: string, epoch: number): void {
    const agent = this.state.agents.get(agentId);
    if (agent === undefined || agent.observerEpoch !== epoch) return;
    agent.pingTimer = undefined;
    if (!agent.pongReceived) {
      agent.missedPongs++;
      if (agent.missedPongs >= this.opts.maxAgentPingTimeouts) {
        this.log.warn({ agent: agentId, missed: agent.missedPongs }, 'agent missed too many pongs');
        this.metrics.slaveUnreachableScheduled.inc();
        return this.markUnreachable(agent, `agent missed ${agent.missedPongs} consecutive pongs`);
      }
    }
    this.ping(agent);
  }

  /**
   * Mesos's markUnreachable: the agent leaves, its tasks become TASK_UNREACHABLE (TASK_LOST for
   * frameworks that are not PARTITION_AWARE) with REASON_AGENT_REMOVED, its offers are
   * rescinded, and every framework hears LostAgent. It may come back by re-registering.
   */
  private markUnreachable(agent: AgentRecord, why: string): void {
    const time = this.now();
    this.detachAgent(agent);
    this.state.unreachableAgents.set(agent.id, { info: agent.info, timeMs: time });
    this.registry.markUnreachable(agent.id, agent.info.hostname, time);
    const unreachableTime = { nanoseconds: time * 1e6 };
    for (const [fwId, tasks] of agent.tasks) {
      const fw = this.state.frameworks.get(fwId);
      for (const entry of tasks.values()) {
        if (fw === undefined) continue;
        if (!entry.terminal) {
          const state = fw.partitionAware ? 'TASK_UNREACHABLE' : 'TASK_LOST';
          const status = { ...this.masterStatus(entry.task, state, 'REASON_AGENT_REMOVED', `Agent ${agent.id} is unreachable: ${why}`), unreachable_time: unreachableTime };
          this.setTaskState(entry, status);
          this.sendMasterUpdate(fw, status);
        }
        fw.tasks.delete(entry.id);
        fw.unreachableTasks.set(entry.id, entry.task);
        if (fw.unreachableTasks.size > this.opts.maxUnreachableTasksPerFramework) {
          const oldest = fw.unreachableTasks.keys().next().value;
          if (oldest !== undefined) fw.unreachableTasks.delete(oldest);
        }
      }
    }
    this.metrics.slaveUnreachableCompleted.inc();
    this.metrics.slaveRemovals.inc();
    this.metrics.slaveRemovalsUnhealthy.inc();
    this.lostAgent(agent);
    this.log.warn({ agent: agent.id, why }, 'agent marked unreachable');
  }

  /** Removes an agent for good (it unregistered, or was replaced): tasks TASK_LOST for everyone. */
  private removeAgent(agent: AgentRecord, why: string): void {
    this.detachAgent(agent);
    this.registry.remove(agent.id);
    for (const [fwId, tasks] of agent.tasks) {
      const fw = this.state.frameworks.get(fwId);
      for (const entry of [...tasks.values()]) {
        if (fw === undefined) continue;
        entry.recovered = true; // the allocator's removeAgent took everything back
        if (!entry.terminal) {
          const status = this.masterStatus(entry.task, 'TASK_LOST', 'REASON_AGENT_REMOVED', `Agent ${agent.id} removed: ${why}`);
          this.setTaskState(entry, status);
          this.sendMasterUpdate(fw, status);
        }
        fw.tasks.delete(entry.id);
        fw.completedTasks.push(entry.task);
      }
    }
    this.metrics.slaveRemovals.inc();
    this.lostAgent(agent);
    this.log.info({ agent: agent.id, why }, 'agent removed');
  }

  /** What leaving means for every way an agent leaves: offers, executors, timers, allocator. */
  private detachAgent(agent: AgentRecord): void {
    for (const id of [...agent.offers]) {
      const r = this.state.offers.get(id);
      if (r !== undefined) this.removeOffer(r, true, false);
    }
    for (const fwId of agent.executors.keys()) this.state.frameworks.get(fwId)?.executors.delete(agent.id);
    agent.executors.clear();
    agent.pingTimer?.();
    agent.reregisterTimer?.();
    agent.observerEpoch++;
    this.state.agents.delete(agent.id);
    if (this.agentByPid.get(agent.pid) === agent.id) this.agentByPid.delete(agent.pid);
    this.toAllocator({ name: 'AllocatorRemoveAgent', agent_id: agent.id });
  }

  private lostAgent(agent: AgentRecord): void {
    for (const fw of this.state.frameworks.values()) {
      if (fw.connected && fw.pid !== undefined) this.send(fw.pid, { name: 'LostAgent', agent_id: { value: agent.id } });
    }
  }

  /** What an agent must be to be admitted; the Shutdown message if not. */
  private agentProblem(info: AgentInfo, version: string, checkpointed: readonly Resource[] | undefined): string | undefined {
    if (!versionAtLeast(version, MIN_AGENT_VERSION)) return `Agent version ${version} is too old; at least ${MIN_AGENT_VERSION.join('.')} is required`;
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

  private connection(): { total_ping_timeout_seconds: number } {
    return { total_ping_timeout_seconds: (this.opts.agentPingTimeoutMs * this.opts.maxAgentPingTimeouts) / 1000 };
  }

  // ============================================================================ helpers

  /**
   * The framework a call comes from, or undefined (dropped and counted) when it is unknown or
   * the sender is not its current pid, as Mesos's master checks `framework->pid == from`.
   * With `mustBeConnected`, a disconnected framework gets "Framework disconnected".
   */
  private callingFramework(call: string, frameworkId: string, from: Pid | '', mustBeConnected: boolean): FrameworkRecord | undefined {
    const fw = this.state.frameworks.get(frameworkId);
    if (fw === undefined) {
      this.dropped(call, `framework ${frameworkId} is unknown`);
      return undefined;
    }
    if (from === '' || fw.pid !== from) {
      this.dropped(call, `it is not from framework ${frameworkId}'s current pid (${fw.pid ?? 'none'}), but from ${from || 'nobody'}`);
      return undefined;
    }
    if (mustBeConnected && !fw.connected) {
      this.frameworkError(from, 'Framework disconnected');
      return undefined;
    }
    return fw;
  }

  private frameworkOfPid(pid: Pid): FrameworkRecord | undefined {
    const id = this.frameworkByPid.get(pid);
    return id === undefined ? undefined : this.state.frameworks.get(id);
  }

  private isCompleted(frameworkId: string): boolean {
    return this.state.completedFrameworks.find((f) => f.id === frameworkId) !== undefined;
  }

  private frameworkError(to: Pid, message: string): void {
    this.log.warn({ to, message }, 'framework error');
    this.send(to, { name: 'FrameworkError', message } satisfies FrameworkError);
  }

  private dropped(message: string, why: string): void {
    this.metrics.droppedMessages.inc();
    this.log.warn({ message, why }, `dropping ${message}`);
  }

  /** A status the master makes up for a task (source MASTER, no uuid: never acknowledged). */
  private masterStatus(task: Task, state: TaskState, reason: TaskStatusReason, message: string): TaskStatus {
    return taskStatus({ task_id: task.task_id, state, source: 'SOURCE_MASTER', reason, message, agent_id: task.agent_id, executor_id: task.executor_id, timestamp: this.nowSecs() });
  }

  /** Master-generated updates go only to connected frameworks and are lost otherwise, as in Mesos. */
  private sendMasterUpdate(fw: FrameworkRecord, status: TaskStatus): void {
    if (!fw.connected || fw.pid === undefined) return;
    this.send(fw.pid, {
      name: 'StatusUpdate',
      update: {
        framework_id: { value: fw.id },
        ...(status.agent_id !== undefined ? { agent_id: status.agent_id } : {}),
        ...(status.executor_id !== undefined ? { executor_id: status.executor_id } : {}),
        status,
        timestamp: status.timestamp ?? this.nowSecs(),
      },
      pid: '',
    } satisfies StatusUpdate);
  }

  private recoverResources(frameworkId: string, agentId: string, resources: Resources, filters?: { refuse_seconds?: number }): void {
    if (resources.isEmpty()) return;
    this.toAllocator({ name: 'AllocatorRecoverResources', framework_id: frameworkId, agent_id: agentId, resources, ...(filters !== undefined ? { filters } : {}) });
  }

  /** Resources as the allocator needs them: tagged with the framework's role where untagged. */
  private taggedFor(fw: FrameworkRecord, resources: readonly Resource[]): Resources {
    const role = fw.roles[0] ?? '*';
    try {
      return Resources.fromJSON(allocateAll(resources, role));
    } catch {
      return Resources.EMPTY;
    }
  }

  private toAllocator(msg: AllocatorInbox): void {
    this.send(this.allocatorProcess.self, msg);
  }

  private nowSecs(): number {
    return this.now() / 1000;
  }

  // ============================================================================ HTTP

  private identity(): MasterIdentity {
    return { id: this.id, pid: this.self, hostname: this.opts.hostname, port: this.info.port, startTimeMs: this.startedAt, flags: this.opts.flags };
  }

  private installRoutes(): void {
    // Served as /master/<path> and, through the runtime's delegate, as /<path>.
    const get = (path: string, handler: (req: HttpRequest) => HttpResponse): void =>
      this.route(path, (req) => (req.method === 'GET' || req.method === 'HEAD' ? jsonp(req, handler(req)) : methodNotAllowed(req, 'GET')));
    get('/state', () => json(stateJSON(this.state, this.identity())));
    get('/state.json', () => json(stateJSON(this.state, this.identity())));
    get('/state-summary', () => json(stateSummaryJSON(this.state, this.identity())));
    get('/frameworks', (req) => this.frameworksEndpoint(req));
    get('/slaves', (req) => this.agentsEndpoint(req));
    get('/tasks', (req) => this.tasksEndpoint(req));
    get('/roles', () => json(rolesJSON(this.state, this.opts.roles)));
    get('/flags', () => json({ flags: this.opts.flags }));
    get('/version', () => json(versionJSON()));
    this.route('/health', () => ({ status: 200, body: '' }));
    this.route('/teardown', (req) => this.teardownEndpoint(req));
    this.route('/quota', (req) => this.quotaEndpoint(req, undefined));
    this.route('/weights', (req) => this.weightsEndpoint(req));
    for (const role of this.state.quotas.keys()) this.quotaRoleRoute(role);
  }

  private frameworksEndpoint(req: HttpRequest): HttpResponse {
    const only = req.query.get('framework_id');
    const keep = (f: { id: string }): boolean => only === null || f.id === only;
    return json({
      frameworks: [...this.state.frameworks.values()].filter(keep).map((f) => frameworkJSON(this.state, f)),
      completed_frameworks: this.state.completedFrameworks.toArray().filter(keep).map((f) => frameworkJSON(this.state, f)),
      unregistered_frameworks: [],
    });
  }

  private agentsEndpoint(req: HttpRequest): HttpResponse {
    const only = req.query.get('slave_id');
    return json({
      slaves: [...this.state.agents.values()].filter((a) => only === null || a.id === only).map((a) => agentJSON(this.state, a)),
      recovered_slaves: [],
    });
  }

  private tasksEndpoint(req: HttpRequest): HttpResponse {
    const q = req.query;
    const limit = q.get('limit') === null ? 100 : Number(q.get('limit'));
    const offset = q.get('offset') === null ? 0 : Number(q.get('offset'));
    const order = q.get('order') ?? 'des';
    if (!Number.isInteger(limit) || limit < 0) return badRequest(`'limit' must be a non-negative integer, got '${q.get('limit')}'`);
    if (!Number.isInteger(offset) || offset < 0) return badRequest(`'offset' must be a non-negative integer, got '${q.get('offset')}'`);
    if (order !== 'asc' && order !== 'des') return badRequest(`'order' must be 'asc' or 'des', got '${order}'`);
    const fwId = q.get('framework_id');
    const taskId = q.get('task_id');
    const tasks: Task[] = [];
    const frameworks = [...this.state.frameworks.values(), ...this.state.completedFrameworks.toArray()];
    for (const fw of frameworks) {
      if (fwId !== null && fw.id !== fwId) continue;
      for (const t of fw.tasks.values()) tasks.push(t.task);
      tasks.push(...fw.unreachableTasks.values(), ...fw.completedTasks.toArray());
    }
    const filtered = tasks.filter((t) => taskId === null || t.task_id.value === taskId);
    const time = (t: Task): number => t.statuses[0]?.timestamp ?? 0;
    filtered.sort((a, b) => (order === 'asc' ? time(a) - time(b) : time(b) - time(a)));
    return json({ tasks: filtered.slice(offset, offset + limit).map(taskJSON) });
  }

  private teardownEndpoint(req: HttpRequest): HttpResponse {
    if (req.method !== 'POST') return methodNotAllowed(req, 'POST');
    const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
    const id = form.get('frameworkId');
    if (id === null || id === '') return badRequest("Missing 'frameworkId' in the request body");
    const fw = this.state.frameworks.get(id);
    if (fw === undefined) return badRequest(`No framework found with ID '${id}'`);
    this.removeFramework(fw);
    return { status: 200, body: '' };
  }

  // Quota (Mesos v0 /quota): guarantees set by an operator, limits equal to them (as the
  // legacy call does). Only top-level roles; one POST per role until it is removed.

  private quotaRoleRoute(role: string): void {
    this.route(`/quota/${role}`, (req) => this.quotaEndpoint(req, role));
  }

  private quotaEndpoint(req: HttpRequest, pathRole: string | undefined): HttpResponse {
    if (req.method === 'GET' && pathRole === undefined) {
      return json({ infos: [...this.state.quotas.values()].map((q) => ({ role: q.role, guarantee: q.guarantee.toJSON(), limit: q.limit.toJSON() })) });
    }
    if (req.method === 'POST' && pathRole === undefined) return this.setQuota(req);
    if (req.method === 'DELETE') {
      const role = pathRole ?? req.query.get('role') ?? '';
      if (role === '') return badRequest("DELETE /quota needs a role: DELETE /quota/<role>");
      if (!this.state.quotas.has(role)) return badRequest(`There is no quota for role '${role}'`);
      this.state.quotas.delete(role);
      this.toAllocator({ name: 'AllocatorUpdateQuota', role });
      this.log.info({ role }, 'quota removed');
      return { status: 200, body: '' };
    }
    return methodNotAllowed(req, pathRole === undefined ? 'GET, POST, DELETE' : 'DELETE');
  }

  private setQuota(req: HttpRequest): HttpResponse {
    const body = parseJsonBody(req);
    if (body instanceof Error) return badRequest(`Failed to parse the quota request: ${body.message}`);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest("Quota request must be a JSON object with 'role' and 'guarantee'");
    const { role, guarantee, limit, force } = body as { role?: unknown; guarantee?: unknown; limit?: unknown; force?: unknown };
    if (typeof role !== 'string') return badRequest("Quota request needs a 'role' string");
    const roleProblem = checkRole(role);
    if (roleProblem !== undefined) return badRequest(`Role '${role}' is invalid: ${roleProblem}`);
    if (role === '*') return badRequest("Quota cannot be set for the default role '*'");
    if (role.includes('/')) return badRequest(`Quota can only be set for top-level roles, not '${role}'`);
    if (this.opts.roles !== undefined && !this.opts.roles.has(role)) return badRequest(`Role '${role}' is not one of the roles this master allows (--roles)`);
    if (this.state.quotas.has(role)) return badRequest(`Quota for role '${role}' is already set; remove it first`);
    const resources = quotaResources('guarantee', guarantee);
    if (typeof resources === 'string') return badRequest(resources);
    // Beyond Mesos's v0 call (which sets the limit equal to the guarantee): an optional 'limit',
    // as v1 UPDATE_QUOTA has; names it leaves out are unlimited.
    const limits = limit === undefined ? resources : quotaResources('limit', limit);
    if (typeof limits === 'string') return badRequest(limits);
    for (const name of resources.names()) {
      if (limits.names().includes(name) && resources.scalar(name) > limits.scalar(name)) {
        return badRequest(`Quota guarantee '${name}' (${resources.scalar(name)}) is above its limit (${limits.scalar(name)})`);
      }
    }
    // Mesos's capacity heuristic: the cluster must be able to satisfy it, unless forced.
    if (force !== true) {
      let total = Resources.EMPTY;
      for (const a of this.state.agents.values()) total = total.add(a.total.unreserved());
      for (const name of resources.names()) {
        if (resources.scalar(name) > total.scalar(name)) {
          return badRequest(`Not enough resources in the cluster for quota of role '${role}': ${name} ${resources.scalar(name)} requested, ${total.scalar(name)} in total (use "force": true to set it anyway)`);
        }
      }
    }
    this.state.quotas.set(role, { role, guarantee: resources, limit: limits });
    this.toAllocator({ name: 'AllocatorUpdateQuota', role, quota: { guarantees: resources.quantities(), limits: limits.quantities() } });
    this.quotaRoleRoute(role);
    // Mesos rescinds offers so the new guarantee can be met at the next allocation; this
    // master simply rescinds all of them (simpler, and quota changes are rare).
    this.rescindAllOffers();
    this.log.info({ role, guarantee: resources.toString() }, 'quota set');
    return { status: 200, body: '' };
  }

  private weightsEndpoint(req: HttpRequest): HttpResponse {
    if (req.method === 'GET') return jsonp(req, json(Object.entries(this.state.weights).map(([role, weight]) => ({ role, weight }))));
    if (req.method !== 'PUT' && req.method !== 'POST') return methodNotAllowed(req, 'GET, PUT');
    const body = parseJsonBody(req);
    if (body instanceof Error) return badRequest(`Failed to parse the weights request: ${body.message}`);
    if (!Array.isArray(body)) return badRequest('Weights request must be a JSON array of {"role": …, "weight": …}');
    const updates: Record<string, number> = {};
    for (const w of body as { role?: unknown; weight?: unknown }[]) {
      if (typeof w !== 'object' || w === null || typeof w.role !== 'string') return badRequest("Each weight needs a 'role' string");
      const problem = checkRole(w.role);
      if (problem !== undefined) return badRequest(`Role '${w.role}' is invalid: ${problem}`);
      if (this.opts.roles !== undefined && w.role !== '*' && !this.opts.roles.has(w.role)) return badRequest(`Role '${w.role}' is not one of the roles this master allows (--roles)`);
      if (typeof w.weight !== 'number' || !(w.weight > 0) || !Number.isFinite(w.weight)) return badRequest(`Weight for role '${w.role}' must be a positive number`);
      updates[w.role] = w.weight;
    }
    Object.assign(this.state.weights, updates);
    this.toAllocator({ name: 'AllocatorUpdateWeights', weights: updates });
    // Mesos rescinds every outstanding offer when a role with frameworks changes weight, so
    // the next allocation divides the cluster by the new weights.
    const touched = [...this.state.frameworks.values()].some((f) => f.roles.some((r) => r in updates));
    if (touched) this.rescindAllOffers();
    this.log.info({ weights: updates }, 'weights updated');
    return { status: 200, body: '' };
  }

  private rescindAllOffers(): void {
    for (const r of [...this.state.offers.values()]) this.removeOffer(r, true);
  }
}

// ---------------------------------------------------------------------------------------------

function operationTasks(op: OfferOperation): TaskInfo[] {
  if (op.type === 'LAUNCH') return op.launch?.task_infos ?? [];
  if (op.type === 'LAUNCH_GROUP') return op.launch_group?.task_group.tasks ?? [];
  return [];
}

function allocateAll(resources: readonly Resource[], role: string): Resource[] {
  return resources.map((r) => (r.allocation_info?.role !== undefined ? r : { ...r, allocation_info: { role } }));
}

function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split(/[.-]/).slice(0, 3).map((p) => Number(p));
  for (let i = 0; i < min.length; i++) {
    const v = parts[i] ?? 0;
    if (!Number.isFinite(v)) return false;
    if (v !== min[i]) return v > min[i]!;
  }
  return true;
}

/** IPv4 as Mesos's MasterInfo.ip: the address bytes read as a little-endian uint32 (network order in memory). */
function ipToUint32(host: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (m === null) return 0;
  return ((Number(m[1]) | (Number(m[2]) << 8) | (Number(m[3]) << 16) | (Number(m[4]) << 24)) >>> 0);
}

function parseJsonBody(req: HttpRequest): unknown {
  try {
    return JSON.parse(Buffer.from(req.body).toString('utf8'));
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** A quota's `guarantee` or `limit`: unreserved scalar resources, each name once; or what is wrong. */
function quotaResources(field: string, value: unknown): Resources | string {
  if (!Array.isArray(value)) return `Quota request needs '${field}': an array of scalar resources`;
  const seen = new Set<string>();
  for (const r of value as { name?: unknown; type?: unknown; reservations?: unknown; role?: unknown }[]) {
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string') return `Each ${field} must be a resource object with a name`;
    if (r.type !== 'SCALAR') return `Quota ${field} '${r.name}' must be a SCALAR resource`;
    if (r.reservations !== undefined || (r.role !== undefined && r.role !== '*')) return `Quota ${field} '${r.name}' must not be reserved`;
    if (seen.has(r.name)) return `Quota ${field} '${r.name}' is listed more than once`;
    seen.add(r.name);
  }
  try {
    return Resources.fromJSON(value as Resource[]);
  } catch (e) {
    return `Quota ${field} is invalid: ${(e as Error).message}`;
  }
}

function methodNotAllowed(req: HttpRequest, allowed: string): HttpResponse {
  return { status: 405, headers: { allow: allowed, 'content-type': 'text/plain; charset=utf-8' }, body: `Expecting ${allowed} for ${req.path}, got ${req.method}` };
}

/** `?jsonp=fn` wraps a JSON answer as `fn(<json>)`, which Mesos's web UI relies on. */
function jsonp(req: HttpRequest, res: HttpResponse): HttpResponse {
  const fn = req.query.get('jsonp');
  if (fn === null || res.status !== 200 || !/^[A-Za-z_$][\w$.]*$/.test(fn)) return res;
  return { status: 200, headers: { 'content-type': 'text/javascript' }, body: `${fn}(${JSON.stringify(res.body)});` };
}

