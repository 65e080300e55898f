// The Master actor: its whole protocol in one handler table, with thin handlers that delegate
// to the modules beside it (frameworks, offers, launching, tasks, agents, http), which act
// through one MasterContext. Each agent's health is checked by its own AgentObserver actor.

import { randomUUID } from 'node:crypto';
import { Actor, invariant, parseAddress, pidAddress, type Handlers, type Message, type Pid } from '../runtime/index.js';
import type { MasterInfo } from '../protocol/index.js';
import { AgentObserver } from './agent-observer.js';
import { AllocatorProcess, type AllocatorInbox } from './allocator-process.js';
import * as agents from './agents.js';
import { timerKeys, type MasterActorInbox, type MasterContext } from './context.js';
import * as frameworks from './frameworks.js';
import { guardedBuiltin, installRoutes } from './http.js';
import * as launching from './launching.js';
import { invalidCall } from './launching.js';
import { MasterMetrics } from './metrics.js';
import * as offers from './offers.js';
import { resolveOptions, type MasterOptions, type ResolvedMasterOptions } from './options.js';
import { Registry, type RegistryState } from './registry.js';
import { parseZooKeeperUrl } from '../detector/index.js';
import type { MasterRole } from './zk/ha.js';
import { Leadership } from './zk/leadership.js';
import { ZooKeeperRegistryStore } from './zk/registry-store.js';
import type { OperatorSubscribers } from './operator-events.js';
import { MasterState } from './state.js';
import { schedulerHeartbeat } from './scheduler-stream.js';
import * as tasks from './tasks.js';
import { recoverRoles } from './quota-weights.js';
import { RemovalLimiter, removalPermit } from './removal-limiter.js';
import { registryGc, startRegistryGc } from './registry-gc.js';
import { MESOS_VERSION } from './views.js';

export class Master extends Actor<MasterActorInbox> {
  readonly id = randomUUID();
  readonly state: MasterState;
  private readonly opts: ResolvedMasterOptions;
  private registry: Registry;
  /** Without --zk a master leads from the start; with it, it is a standby until elected. */
  private role: MasterRole = 'leading';
  private leadership: Leadership | undefined;
  private leaderAddress: string | undefined;
  private allocatorProcess!: AllocatorProcess;
  private metrics!: MasterMetrics;
  private ctx!: MasterContext;
  private unsubscribeInvalid: (() => void) | undefined;
  /** The operator API's SUBSCRIBE streams, ended when the master stops. */
  private subscribers: OperatorSubscribers | undefined;
  /** What runs once each registry operation is stored, by operation. */
  private readonly stored = new Map<number, () => void>();
  private storeSeq = 0;

  // The whole protocol of the master, in one place.
  protected readonly handlers: Handlers<MasterActorInbox> = {
    // Frameworks
    RegisterFramework: (m, from) => frameworks.registerFramework(this.ctx, m, from),
    ReregisterFramework: (m, from) => frameworks.reregisterFramework(this.ctx, m, from),
    UnregisterFramework: (m, from) => frameworks.unregisterFramework(this.ctx, m, from),
    DeactivateFramework: (m, from) => frameworks.deactivateFramework(this.ctx, m, from),
    // Offers
    Decline: (m, from) => offers.decline(this.ctx, m, from),
    ReviveOffers: (m, from) => offers.reviveOffers(this.ctx, m, from),
    SuppressOffers: (m, from) => offers.suppressOffers(this.ctx, m, from),
    ResourceRequest: (m, from) => offers.resourceRequest(this.ctx, m, from),
    // Launching
    LaunchTasks: (m, from) => launching.launchTasks(this.ctx, m, from),
    Accept: (m, from) => launching.accept(this.ctx, m, from),
    // Tasks
    KillTask: (m, from) => tasks.killTask(this.ctx, m, from),
    StatusUpdate: (m, from) => tasks.statusUpdate(this.ctx, m, from),
    StatusUpdateAcknowledgement: (m, from) => tasks.statusUpdateAcknowledgement(this.ctx, m, from),
    ReconcileTasks: (m, from) => tasks.reconcileTasks(this.ctx, m, from),
    FrameworkToExecutor: (m, from) => tasks.frameworkToExecutor(this.ctx, m, from),
    ExecutorToFramework: (m, from) => tasks.executorToFramework(this.ctx, m, from),
    ExitedExecutor: (m, from) => tasks.exitedExecutor(this.ctx, m, from),
    // Agents
    RegisterAgent: (m, from) => agents.registerAgent(this.ctx, m, from),
    ReregisterAgent: (m, from) => agents.reregisterAgent(this.ctx, m, from),
    UnregisterAgent: (m, from) => agents.unregisterAgent(this.ctx, m, from),
    PongAgent: (_m, from) => agents.pongAgent(this.ctx, from),
    // Allocator
    AllocatorOffers: (m, from) => offers.allocatorOffers(this.ctx, m, from),
    // Exits of the schedulers and agents the master links to
    _FrameworkExited: (m) => frameworks.frameworkExited(this.ctx, m.framework_id, m.pid),
    _AgentExited: (m) => agents.agentExited(this.ctx, m.agent_id, m.pid),
    // From the agents' observers
    _AgentUnhealthy: (m, from) => agents.agentUnhealthy(this.ctx, m.agent_id, m.missed, from),
    _AgentReregisterTimeout: (m, from) => agents.agentReregisterTimeout(this.ctx, m.agent_id, from),
    _AgentHealthy: (m, from) => agents.agentHealthy(this.ctx, m.agent_id, from),
    _RemovalPermit: () => removalPermit(this.ctx),
    _RegistryGc: () => registryGc(this.ctx),
    // Timers
    _FrameworkFailoverTimeout: (m) => frameworks.frameworkFailoverTimeout(this.ctx, m.framework_id),
    _OfferTimeout: (m) => offers.offerTimeout(this.ctx, m.offer_id),
    _SchedulerHeartbeat: (m, from) => from === this.self && schedulerHeartbeat(this.ctx, m.framework_id, m.connection),
    _RecoveredAgentsTimeout: () => agents.recoveredAgentsTimeout(this.ctx),
    _InvalidCall: (m, from) => (from === this.self ? launching.answerInvalidCall(this.ctx, m) : undefined),
    // The registry's answers
    _RegistryStored: (m, from) => from === this.self && this.registryStored(m.seq),
    _RegistryFailed: (m, from) => from === this.self && this.registryFailed(m.seq, m.error),
    // Leadership (with --zk)
    _Elected: (_m, from) => from === this.self && this.elected(),
    _LeaderDetected: (m, from) => from === this.self && (this.leaderAddress = m.address),
    _Deposed: (m, from) => from === this.self && this.deposed(m.reason),
    _RegistryRecovered: (m, from) => from === this.self && this.recovered(m.state),
    _RegistryFetchFailed: (m, from) => from === this.self && this.deposed(`cannot recover the registry: ${m.error}`),
  };

  constructor(options: MasterOptions = {}) {
    super();
    this.opts = resolveOptions(options);
    this.state = new MasterState(this.opts.maxCompletedFrameworks);
    this.state.weights = { ...this.opts.weights };
    this.registry = new Registry(this.opts.workDir);
  }

  override initialize(): void {
    const startedAt = this.now();
    const address = parseAddress(pidAddress(this.self));
    const info: MasterInfo = {
      id: this.id,
      ip: ipToUint32(address.host),
      port: address.port,
      pid: this.self,
      hostname: this.opts.hostname,
      version: MESOS_VERSION,
      address: { hostname: this.opts.hostname, ip: address.host, port: address.port },
    };
    this.metrics = new MasterMetrics(this.runtime, this.self, this.state, startedAt, () => this.role === 'leading');
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
    const ha = this.opts.ha;
    if (ha !== undefined) {
      // A standby until its json.info_ node is the lowest; then it recovers the registry.
      this.role = 'standby';
      const url = parseZooKeeperUrl(ha.zk);
      const leadership = new Leadership(
        url,
        info,
        {
          elected: this.callback(() => ({ name: '_Elected' })),
          leader: this.callback((m) => ({ name: '_LeaderDetected', address: m?.address })),
          deposed: this.callback((reason: string) => ({ name: '_Deposed', reason })),
        },
        { sessionTimeoutMs: ha.sessionTimeoutMs, log: this.log },
      );
      this.leadership = leadership;
      if (ha.registry !== 'in_memory') {
        const store = new ZooKeeperRegistryStore(url.path, () => leadership.group.connected(), info, { fetchTimeoutMs: ha.registryFetchTimeoutMs, storeTimeoutMs: ha.registryStoreTimeoutMs, log: this.log });
        this.registry = new Registry(store);
      }
    }
    this.ctx = this.context(info, startedAt);
    if (this.leadership === undefined) this.recovered(this.registry.recover());
    else this.leadership.start();
    this.runtime.metrics.gaugeGroup('registrar', () => ({
      'registrar/queued_operations': this.registry.stats.queued,
      'registrar/registry_size_bytes': this.registry.stats.sizeBytes,
      'registrar/state_fetch_ms': this.registry.stats.lastFetchMs,
      'registrar/state_store_ms': this.registry.stats.lastStoreMs,
      'registrar/state_store_ms/p50': percentile(this.registry.storeMs, 0.5),
      'registrar/state_store_ms/p99': percentile(this.registry.storeMs, 0.99),
      'registrar/state_store_ms/count': this.registry.storeMs.length,
    }));
    this.subscribers = installRoutes(this.ctx, { clock: this.runtime.clock, metrics: () => this.runtime.metrics.snapshot(), counter: (name) => this.runtime.metrics.counter(name) });
    this.runtime.guardBuiltins((handler) => guardedBuiltin(this.ctx, handler));
    // A launch or registration the schema refused still gets an answer (TASK_ERROR, Shutdown),
    // handled in a turn of its own; only what identifies the call is read from its body.
    this.unsubscribeInvalid = this.runtime.onInvalid((env, problem) => {
      if (env.from === '' || !env.to.startsWith('master@')) return;
      const call = invalidCall(env.name, env.from, env.body, problem);
      if (call !== undefined) this.runtime.send(this.self, this.self, call);
    });
    this.log.info({ id: this.id, pid: this.self }, 'master started');
  }

  override finalize(): void {
    this.unsubscribeInvalid?.();
    this.leadership?.close();
    this.runtime.metrics.remove('registrar');
    this.subscribers?.close();
    this.metrics.stop();
  }

  /**
   * Until it leads and has recovered the registry, a master drops every protocol message
   * (Mesos's master/dropped_messages); its own messages (timers, leadership) still arrive.
   */
  override handle(msg: Message, from: Pid | ''): boolean {
    if (this.role !== 'leading' && !msg.name.startsWith('_') && msg.name !== 'AllocatorOffers') {
      this.metrics.droppedMessages.inc();
      return true;
    }
    return super.handle(msg, from);
  }

  private elected(): void {
    if (this.role !== 'standby') return;
    this.role = 'recovering';
    this.log.info({ id: this.id }, 'elected as the leading master; recovering the registry');
    if (!this.registry.remote) return this.recovered(this.registry.recover());
    this.pipeToSelf(
      this.registry.fetch(),
      (state) => ({ name: '_RegistryRecovered', state }),
      (error) => ({ name: '_RegistryFetchFailed', error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /**
   * Agents admitted before a restart or failover get agent_reregister_timeout to come back
   * (Mesos's recovery); until then reconciliation of their tasks gets no answer.
   */
  private recovered(state: RegistryState): void {
    for (const a of state.admitted) this.state.recoveredAgents.set(a.id, a);
    for (const u of state.unreachable) {
      this.state.unreachableAgents.set(u.id, { info: { hostname: u.hostname, resources: [], attributes: [], id: { value: u.id } }, timeMs: u.time_ms });
    }
    for (const g of state.gone) this.state.goneAgents.set(g.id, g.time_ms);
    recoverRoles(this.ctx, state);
    if (this.state.recoveredAgents.size > 0) this.startTimer(timerKeys.recoveredAgents, this.opts.agentReregisterTimeoutMs, { name: '_RecoveredAgentsTimeout' });
    startRegistryGc(this.ctx);
    this.role = 'leading';
    if (this.opts.ha !== undefined) this.log.info({ recovered_agents: state.admitted.length, unreachable: state.unreachable.length }, 'leading master recovered the registry');
  }

  /** Mesos's master exits when it loses leadership: another master serves from the registry. */
  private deposed(reason: string): void {
    this.log.error({ reason }, 'lost leadership; exiting');
    const onDeposed = this.opts.ha?.onDeposed;
    if (onDeposed !== undefined) return onDeposed(reason);
    // A turn later, so that the log line is written.
    setImmediate(() => process.exit(1));
  }

  private registryStored(seq: number): void {
    const then = this.stored.get(seq);
    this.stored.delete(seq);
    then?.();
  }

  /**
   * A registry that cannot be written is fatal, as in Mesos (LOG(FATAL) when an operation
   * fails): the master already acted on the operation in memory and cannot answer for it, so it
   * exits and another master recovers from what is on disk. It exits through invariant(), the
   * process's one fatal path (status 70), which tests can turn into a throw.
   */
  private registryFailed(seq: number, error: string): void {
    this.stored.delete(seq);
    this.log.error({ error }, 'failed to store the registry');
    invariant(false, `failed to store the registry: ${error}`);
  }

  /** The allocator actor's pid (for tests and tools). */
  get allocatorPid(): Pid<AllocatorInbox> {
    return this.allocatorProcess.self;
  }

  /** What the modules act through: the state, and this actor's powers. */
  private context(info: MasterInfo, startedAt: number): MasterContext {
    const opts = this.opts;
    return {
      id: this.id,
      self: this.self,
      info,
      startedAt,
      state: this.state,
      opts,
      registry: this.registry,
      removals: opts.agentRemovalRateLimit === undefined ? undefined : new RemovalLimiter(opts.agentRemovalRateLimit),
      leadership: { role: () => this.role, leader: () => this.leaderAddress },
      store: (op, then) => {
        const seq = ++this.storeSeq;
        this.stored.set(seq, then);
        this.pipeToSelf(
          this.registry.apply(op),
          () => ({ name: '_RegistryStored', seq }),
          (error) => ({ name: '_RegistryFailed', seq, error: error instanceof Error ? error.message : String(error) }),
        );
      },
      pending: { registering: new Set(), reregistering: new Set(), leaving: new Set() },
      metrics: this.metrics,
      log: this.log,
      allocator: this.allocatorProcess.self,
      ids: { framework: 0, agent: 0, offer: 0 },
      send: (to, msg) => this.send(to, msg),
      linkWith: (pid, msg) => this.linkWith(pid, msg),
      startTimer: (key, ms, msg) => this.startTimer(key, ms, msg),
      cancelTimer: (key) => this.cancelTimer(key),
      now: () => this.now(),
      route: (path, handler) => this.route(path, handler),
      spawnObserver: (agentId, agentPid, connected) =>
        this.runtime.spawn(
          new AgentObserver({
            master: this.self,
            agentId,
            agentPid,
            connected,
            pingTimeoutMs: opts.agentPingTimeoutMs,
            maxPingTimeouts: opts.maxAgentPingTimeouts,
            reregisterTimeoutMs: opts.agentReregisterTimeoutMs,
            rateLimited: opts.agentRemovalRateLimit !== undefined,
          }),
          this.runtime.generateId('agent-observer'),
        ).self,
      terminate: (pid) => this.runtime.terminate(pid),
      principalOf: (pid) => this.runtime.principalOf(pid),
    };
  }
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** IPv4 as Mesos's MasterInfo.ip: the address bytes read as a little-endian uint32 (network order in memory). */
function ipToUint32(host: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (m === null) return 0;
  return ((Number(m[1]) | (Number(m[2]) << 8) | (Number(m[3]) << 16) | (Number(m[4]) << 24)) >>> 0);
}
