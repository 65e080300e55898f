// The actor inside a scheduler driver (Mesos's SchedulerProcess): registers the framework with
// the master, turns the master's messages into Scheduler callbacks (one at a time), and sends
// what the driver's methods ask for. Its id is `scheduler-<uuid>`, new for every driver run.

import { Actor, type Handlers, type Pid } from '../runtime/index.js';
import {
  hasCapability,
  taskStatus,
  type AgentID,
  type AgentInbox,
  type ExecutorID,
  type ExecutorToFramework,
  type ExitedExecutor,
  type Filters,
  type FrameworkError,
  type FrameworkInfo,
  type FrameworkRegistered,
  type FrameworkToExecutor,
  type FrameworkReregistered,
  type LostAgent,
  type MasterInbox,
  type OfferID,
  type OfferOperation,
  type RescindResourceOffer,
  type ResourceOffers,
  type ResourceRequest,
  type SchedulerInbox,
  type StatusUpdate,
  type TaskID,
  type TaskInfo,
  type TaskStatus,
  frameworkRoles,
} from '../protocol/index.js';
import { CallbackQueue, tryParseAgentPid, type CallbackOutcome } from '../driver/index.js';
import type { Scheduler, SchedulerDriver } from './scheduler.js';

/** No master known: a detector sees no leader. Nothing is sent to it, nothing accepted from it. */
export const NO_MASTER = 'master@0.0.0.0:0' as Pid<MasterInbox>;

export type SchedulerProcessInbox = SchedulerInbox | Internal;

type Internal =
  | { name: '_RegistrationBackoff' } // the backoff wait ended: (re)send the registration
  | { name: '_MasterExited' } // the link to the master broke
  | { name: '_MasterDetected'; pid: string | undefined } // from the driver's detector (--master=zk://…)
  | CallbackOutcome;

/**
 * Where registration stands. registering → registered → (master lost) registering again at once;
 * a link that breaks while still registering waits in `disconnected` for the backoff before
 * dialing again, so a master that is down is not hammered. `stopped` after stop() or abort().
 */
type Registration = 'registering' | 'registered' | 'disconnected' | 'stopped';

/** The one timer of registration: the retry in `registering`, the redial in `disconnected`. */
const BACKOFF_TIMER = 'registration-backoff';

export interface SchedulerProcessOptions {
  implicitAcknowledgements: boolean;
  suppressedRoles: string[];
  /** Initial bound b of the backoff (Mesos's registration_backoff_factor, 2 s). */
  registrationBackoffFactorMs: number;
  /** Uniform in [0, 1) for the backoff wait; default the runtime's random source. */
  random?: () => number;
  /** Called when the process aborts on its own (FrameworkError, a throwing callback). */
  onAbort: () => void;
}

/** Mesos's REGISTRATION_RETRY_INTERVAL_MAX. */
const MAX_REGISTRATION_BACKOFF_MS = 60_000;

export class SchedulerProcess extends Actor<SchedulerInbox | Internal> {
  private framework: FrameworkInfo;
  /** Set once registered; until then the framework re-registers as a failover (Mesos's `failover`). */
  private failover: boolean;
  private connected = false;
  private aborted = false;
  private stopped = false;
  private linked = false;
  private registration: Registration = 'registering';
  /** The backoff bound b: each wait is uniform in [0, b]; b doubles per attempt up to capMs. */
  private backoffMs = 0;
  private capMs = MAX_REGISTRATION_BACKOFF_MS;
  /** offer id → agent id → agent pid, for sending framework messages straight to agents. */
  private readonly savedOffers = new Map<string, Map<string, Pid<AgentInbox>>>();
  private readonly savedAgentPids = new Map<string, Pid<AgentInbox>>();
  private readonly suppressed: Set<string>;
  private readonly callbacks: CallbackQueue;
  /** The detected leader changed since this framework last (re)registered: Mesos's driver then calls registered(). */
  private masterChanged = false;

  protected readonly handlers: Handlers<SchedulerInbox | Internal> = {
    FrameworkRegistered: (m, from) => this.registered(m, from),
    FrameworkReregistered: (m, from) => this.reregistered(m, from),
    FrameworkError: (m, from) => this.frameworkError(m, from),
    ResourceOffers: (m, from) => this.resourceOffers(m, from),
    RescindResourceOffer: (m, from) => this.rescindOffer(m, from),
    StatusUpdate: (m, from) => this.statusUpdate(m, from),
    LostAgent: (m, from) => this.lostAgent(m, from),
    ExitedExecutor: (m, from) => this.exitedExecutor(m, from),
    ExecutorToFramework: (m) => this.executorMessage(m),
    _RegistrationBackoff: () => this.backoffElapsed(),
    _MasterExited: () => this.masterExited(),
    _MasterDetected: (m, from) => from === this.self && this.detected(m.pid),
    _CallbackDone: () => this.callbacks.settled(true),
    _CallbackFailed: (m) => this.callbacks.settled(false, m.error),
  };

  constructor(
    private readonly driver: SchedulerDriver,
    private readonly scheduler: Scheduler,
    framework: FrameworkInfo,
    private master: Pid<MasterInbox>,
    private readonly options: SchedulerProcessOptions,
  ) {
    super();
    this.framework = framework;
    // A FrameworkInfo that already has an id is a scheduler failing over (Mesos's `failover`).
    this.failover = framework.id !== undefined;
    this.suppressed = new Set(options.suppressedRoles);
    this.callbacks = new CallbackQueue({
      reentry: () => this.callback((outcome: CallbackOutcome): Internal => outcome),
      failed: (name, error) => this.userError(name, error),
      closed: () => this.aborted || this.stopped,
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  override initialize(): void {
    const failoverMs = (this.framework.failover_timeout ?? 0) * 1000;
    // Mesos bounds the backoff by failover_timeout/10 when one is set; a zero timeout would
    // make that a busy loop, so only a positive one counts here.
    this.capMs = failoverMs > 0 ? Math.min(MAX_REGISTRATION_BACKOFF_MS, failoverMs / 10) : MAX_REGISTRATION_BACKOFF_MS;
    this.backoffMs = this.initialBackoff();
    this.registering();
  }

  // ------------------------------------------------------------------ registration
  // As Mesos's driver: the first attempt is immediate, each retry waits a random time in
  // [0, b], b doubling up to the cap; being registered resets b. The state says which wait the
  // one keyed timer stands for, so a wait that no longer applies never reaches a handler.

  /** Enters `registering`: sends the registration now and arms the retry. */
  private registering(): void {
    if (this.master === NO_MASTER) {
      // No leader known: registration resumes once the detector finds one.
      this.registration = 'disconnected';
      this.cancelTimer(BACKOFF_TIMER);
      return;
    }
    this.registration = 'registering';
    this.register();
    this.armBackoff();
  }

  private backoffElapsed(): void {
    if (this.registration !== 'registering' && this.registration !== 'disconnected') return;
    this.backoffMs = Math.min(this.backoffMs * 2, this.capMs);
    this.registering();
  }

  /** FrameworkRegistered or FrameworkReregistered was accepted. */
  private registrationDone(): void {
    if (this.registration === 'stopped') return;
    this.registration = 'registered';
    this.cancelTimer(BACKOFF_TIMER);
    this.backoffMs = this.initialBackoff();
  }

  private masterExited(): void {
    this.linked = false;
    this.savedOffers.clear();
    if (this.aborted) return;
    if (this.connected) {
      this.connected = false;
      this.log.info({ master: this.master }, 'master link lost; will re-register');
      this.callbacks.push('disconnected', () => this.scheduler.disconnected(this.driver));
    }
    if (this.registration === 'registered') this.registering();
    else if (this.registration === 'registering') {
      // The dial failed (or the master went while we waited for its answer): wait the backoff.
      this.registration = 'disconnected';
      this.armBackoff();
    }
  }

  /**
   * A new leader (or none) was detected. As Mesos's driver: disconnected() if it was connected,
   * messages from anyone but the new leader dropped, and registration again with the framework id.
   */
  private detected(pid: string | undefined): void {
    const next = pid === undefined ? NO_MASTER : (pid as Pid<MasterInbox>);
    if (next === this.master || this.aborted || this.registration === 'stopped') return;
    this.log.info({ master: pid ?? 'none' }, 'new master detected');
    if (this.linked) this.unlink(this.master);
    this.linked = false;
    this.master = next;
    this.masterChanged = true;
    this.savedOffers.clear();
    if (this.connected) {
      this.connected = false;
      this.callbacks.push('disconnected', () => this.scheduler.disconnected(this.driver));
    }
    this.backoffMs = this.initialBackoff();
    this.registering();
  }

  private stopRegistration(): void {
    this.registration = 'stopped';
    this.cancelTimer(BACKOFF_TIMER);
  }

  private armBackoff(): void {
    const random = this.options.random ?? (() => this.random());
    this.startTimer(BACKOFF_TIMER, random() * this.backoffMs, { name: '_RegistrationBackoff' });
  }

  private initialBackoff(): number {
    return Math.min(this.options.registrationBackoffFactorMs, this.capMs);
  }

  private register(): void {
    if (this.aborted || this.connected) return;
    if (!this.linked) {
      this.linked = true;
      this.linkWith(this.master, { name: '_MasterExited' });
    }
    const suppressed_roles = [...this.suppressed];
    if (this.framework.id === undefined) {
      this.send(this.master, { name: 'RegisterFramework', framework: this.framework, suppressed_roles });
    } else {
      this.send(this.master, { name: 'ReregisterFramework', framework: this.framework, failover: this.failover, suppressed_roles });
    }
  }

  private fromMaster(from: Pid | '', what: string): boolean {
    if (from === this.master) return true;
    this.log.warn({ from, master: this.master }, `ignoring ${what} from a pid that is not the master`);
    return false;
  }

  private registered(m: FrameworkRegistered, from: Pid | ''): void {
    if (this.aborted || !this.fromMaster(from, 'FrameworkRegistered')) return;
    if (this.connected) return; // a retry crossed the answer; Mesos ignores the duplicate too
    this.framework = { ...this.framework, id: m.framework_id };
    this.masterChanged = false;
    this.connected = true;
    this.failover = false;
    this.registrationDone();
    this.callbacks.push('registered', () => this.scheduler.registered(this.driver, m.framework_id, m.master_info));
  }

  private reregistered(m: FrameworkReregistered, from: Pid | ''): void {
    if (this.aborted || !this.fromMaster(from, 'FrameworkReregistered')) return;
    if (this.connected) return;
    if (this.framework.id !== undefined && this.framework.id.value !== m.framework_id.value) {
      this.log.warn({ expected: this.framework.id.value, got: m.framework_id.value }, 'ignoring FrameworkReregistered for another framework');
      return;
    }
    this.connected = true;
    this.failover = false;
    this.registrationDone();
    if (this.masterChanged) {
      // A different master than before (MESOS-786): the framework hears registered().
      this.masterChanged = false;
      const id = m.framework_id;
      this.callbacks.push('registered', () => this.scheduler.registered(this.driver, id, m.master_info));
      return;
    }
    this.callbacks.push('reregistered', () => this.scheduler.reregistered(this.driver, m.master_info));
  }

  private frameworkError(m: FrameworkError, from: Pid | ''): void {
    if (this.aborted || !this.fromMaster(from, 'FrameworkError')) return;
    // As Mesos: abort first, so error() finds the driver already aborted.
    this.options.onAbort();
    this.abort();
    this.callbacks.push('error', () => this.scheduler.error(this.driver, m.message), { evenIfClosed: true });
  }

  // ------------------------------------------------------------------ events from the master

  private resourceOffers(m: ResourceOffers, from: Pid | ''): void {
    if (this.aborted || !this.connected || !this.fromMaster(from, 'ResourceOffers')) return;
    m.offers.forEach((offer, i) => {
      const agentPid = tryParseAgentPid(m.pids[i] ?? '');
      if (agentPid) this.savedOffers.set(offer.id.value, new Map([[offer.agent_id.value, agentPid]]));
    });
    this.callbacks.push('resourceOffers', () => this.scheduler.resourceOffers(this.driver, m.offers));
  }

  private rescindOffer(m: RescindResourceOffer, from: Pid | ''): void {
    if (this.aborted || !this.connected || !this.fromMaster(from, 'RescindResourceOffer')) return;
    this.savedOffers.delete(m.offer_id.value);
    this.callbacks.push('offerRescinded', () => this.scheduler.offerRescinded(this.driver, m.offer_id));
  }

  private statusUpdate(m: StatusUpdate, from: Pid | ''): void {
    if (this.aborted || !this.connected || !this.fromMaster(from, 'StatusUpdate')) return;
    const update = m.update;
    const status: TaskStatus = { ...update.status };
    if (status.agent_id === undefined && update.agent_id !== undefined) status.agent_id = update.agent_id;
    // Only updates an agent delivers reliably (a uuid and the agent's pid) are acknowledged;
    // master-generated ones lose their uuid so an explicit acknowledgement cannot send them.
    const ackable = update.uuid !== undefined && (m.pid ?? '') !== '';
    if (ackable) status.uuid = update.uuid!;
    else delete status.uuid;
    const ack = ackable && this.options.implicitAcknowledgements ? () => this.acknowledge(status) : undefined;
    this.callbacks.push('statusUpdate', () => this.scheduler.statusUpdate(this.driver, status), ack ? { after: ack } : {});
  }

  private lostAgent(m: LostAgent, from: Pid | ''): void {
    if (this.aborted || !this.connected || !this.fromMaster(from, 'LostAgent')) return;
    this.savedAgentPids.delete(m.agent_id.value);
    this.callbacks.push('agentLost', () => this.scheduler.agentLost(this.driver, m.agent_id));
  }

  private exitedExecutor(m: ExitedExecutor, from: Pid | ''): void {
    if (this.aborted || !this.connected || !this.fromMaster(from, 'ExitedExecutor')) return;
    this.callbacks.push('executorLost', () => this.scheduler.executorLost(this.driver, m.executor_id, m.agent_id, m.status));
  }

  /** From the master or straight from an agent; best effort either way. */
  private executorMessage(m: ExecutorToFramework): void {
    if (this.aborted || !this.connected) return;
    this.callbacks.push('frameworkMessage', () => this.scheduler.frameworkMessage(this.driver, m.executor_id, m.agent_id, m.data));
  }

  // ------------------------------------------------------------------ calls from the driver
  // The driver calls these directly, on whatever turn the user called it: JavaScript has one
  // thread, so the state here is never touched concurrently, and a launch made inside a
  // callback is on its way before the callback returns (Mesos dispatches to its process).

  launchTasks(offerIds: OfferID[], tasks: TaskInfo[], filters: Filters | undefined): void {
    if (!this.connected) return this.lostWhileDisconnected(tasks);
    const frameworkId = this.framework.id!;
    const withIds = tasks.map((t) => (t.executor && !t.executor.framework_id ? { ...t, executor: { ...t.executor, framework_id: frameworkId } } : t));
    this.useOffers(offerIds, withIds);
    this.send(this.master, {
      name: 'LaunchTasks',
      framework_id: frameworkId,
      tasks: withIds,
      offer_ids: offerIds,
      ...(filters ? { filters } : {}),
    });
  }

  acceptOffers(offerIds: OfferID[], operations: OfferOperation[], filters: Filters | undefined): void {
    const launched = operations.flatMap((op) => [...(op.launch?.task_infos ?? []), ...(op.launch_group?.task_group.tasks ?? [])]);
    if (!this.connected) return this.lostWhileDisconnected(launched);
    this.useOffers(offerIds, launched);
    this.send(this.master, {
      name: 'Accept',
      framework_id: this.framework.id!,
      offer_ids: offerIds,
      operations,
      ...(filters ? { filters } : {}),
    });
  }

  declineOffer(offerId: OfferID, filters: Filters | undefined): void {
    if (!this.connected) return;
    this.savedOffers.delete(offerId.value);
    this.send(this.master, { name: 'Decline', framework_id: this.framework.id!, offer_ids: [offerId], ...(filters ? { filters } : {}) });
  }

  killTask(taskId: TaskID): void {
    if (!this.connected) return;
    this.send(this.master, { name: 'KillTask', framework_id: this.framework.id!, task_id: taskId });
  }

  reviveOffers(roles: string[] | undefined): void {
    const affected = roles && roles.length > 0 ? roles : frameworkRoles(this.framework);
    for (const r of affected) this.suppressed.delete(r);
    if (!this.connected) return;
    this.send(this.master, { name: 'ReviveOffers', framework_id: this.framework.id!, ...(roles ? { roles } : {}) });
  }

  suppressOffers(roles: string[] | undefined): void {
    // Remembered while disconnected too: the next registration carries the suppressed set.
    const affected = roles && roles.length > 0 ? roles : frameworkRoles(this.framework);
    for (const r of affected) this.suppressed.add(r);
    if (!this.connected) return;
    this.send(this.master, { name: 'SuppressOffers', framework_id: this.framework.id!, ...(roles ? { roles } : {}) });
  }

  acknowledge(status: TaskStatus): void {
    const agentId = status.agent_id;
    if (!this.connected || this.aborted || status.uuid === undefined || agentId === undefined) return;
    this.send(this.master, {
      name: 'StatusUpdateAcknowledgement',
      agent_id: agentId,
      framework_id: this.framework.id!,
      task_id: status.task_id,
      uuid: status.uuid,
    });
  }

  frameworkMessage(executorId: ExecutorID, agentId: AgentID, data: Uint8Array): void {
    if (!this.connected) return;
    const msg: FrameworkToExecutor = { name: 'FrameworkToExecutor', agent_id: agentId, framework_id: this.framework.id!, executor_id: executorId, data };
    // Straight to the agent when a launch told us its pid, else through the master (Mesos does the same).
    const agent = this.savedAgentPids.get(agentId.value);
    if (agent) this.send(agent, msg);
    else this.send(this.master, msg);
  }

  reconcileTasks(statuses: TaskStatus[]): void {
    if (!this.connected) return;
    // Only task_id and agent_id are read by the master; state is a required field, kept as given.
    const slim = statuses.map((s) => ({ task_id: s.task_id, state: s.state, ...(s.agent_id ? { agent_id: s.agent_id } : {}) }));
    this.send(this.master, { name: 'ReconcileTasks', framework_id: this.framework.id!, statuses: slim });
  }

  requestResources(requests: ResourceRequest[]): void {
    if (!this.connected) return;
    this.send(this.master, { name: 'ResourceRequest', framework_id: this.framework.id!, requests });
  }

  /** No callback starts after this (driver.stop() called, teardown to follow). */
  halt(): void {
    this.stopped = true;
  }

  /** driver.stop(): tear the framework down unless failing over (then the master waits failover_timeout). */
  stop(failover: boolean): void {
    this.stopped = true;
    if (this.connected && !failover && this.framework.id) {
      this.send(this.master, { name: 'UnregisterFramework', framework_id: this.framework.id });
    }
    this.connected = false;
    this.stopRegistration();
  }

  /** driver.abort(): no more callbacks; the master deactivates the framework but keeps it. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.stopRegistration();
    if (this.connected && this.framework.id) {
      this.send(this.master, { name: 'DeactivateFramework', framework_id: this.framework.id });
    }
  }

  /** A misuse of the driver found outside any callback: aborts and reports it like a throwing callback. */
  failWith(what: string, error: unknown): void {
    this.userError(what, error);
  }

  // ------------------------------------------------------------------ helpers

  private useOffers(offerIds: OfferID[], tasks: TaskInfo[]): void {
    for (const id of offerIds) {
      const agents = this.savedOffers.get(id.value);
      if (!agents) continue;
      for (const t of tasks) {
        const agentPid = agents.get(t.agent_id.value);
        if (agentPid) this.savedAgentPids.set(t.agent_id.value, agentPid);
      }
      this.savedOffers.delete(id.value);
    }
  }

  /** Launching while disconnected: the driver answers for the master (Mesos's v0 driver does). */
  private lostWhileDisconnected(tasks: TaskInfo[]): void {
    const state = hasCapability(this.framework, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST';
    for (const task of tasks) {
      const status = taskStatus({
        task_id: task.task_id,
        state,
        source: 'SOURCE_MASTER',
        reason: 'REASON_MASTER_DISCONNECTED',
        message: 'Master disconnected',
        agent_id: task.agent_id,
        timestamp: this.now() / 1000,
      });
      this.callbacks.push('statusUpdate', () => this.scheduler.statusUpdate(this.driver, status));
    }
  }

  private userError(callback: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const message = callback === 'acknowledgeStatusUpdate' ? `${callback}: ${reason}` : `Scheduler callback ${callback} threw: ${reason}`;
    if (callback === 'error') {
      // Nothing left to tell: the driver is already aborted.
      this.log.error({ err: error }, message);
      return;
    }
    this.log.error({ err: error }, message);
    this.options.onAbort();
    this.abort();
    this.callbacks.push('error', () => this.scheduler.error(this.driver, message), { evenIfClosed: true });
  }
}
