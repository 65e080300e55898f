// The Agent actor (`slave(1)`): its whole protocol in one handler table, each handler handing the
// message to the part that owns it — registration with the master (registration.ts), tasks and
// status updates (tasks.ts), executors (executors.ts) and the executor hosts that run command
// executors (executor-hosts.ts), what is checkpointed (checkpointer.ts), and recovery after a
// restart (recovery.ts). The agent's own lifecycle (shutdown, termination) stays here.

import type { Logger } from 'pino';
import { Actor, pidAddress, type Handlers, type HttpHandler, type Message, type Pid } from '../runtime/index.js';
import { basicPrincipal, forbidden, guarded } from '../protocol/index.js';
import { authorized } from '../protocol/index.js';
import { hasCapability, stateForFramework, type AgentInfo, type Shutdown } from '../protocol/index.js';
import type * as ckpt from './checkpoint.js';
import { Checkpointer } from './checkpointer.js';
import type { Container, Containerizer, Termination } from './containerizer/index.js';
import { keyOf, timers, type AgentContext, type AgentMessage, type AgentParts, type AgentStateName, type DropCause, type Internal, type SendTo } from './context.js';
import { executorEndpoint, executorHeartbeat } from './executor-api.js';
import { ExecutorHosts } from './executor-hosts.js';
import { Executors } from './executors.js';
import { FileRoots } from './files.js';
import { agentRoutes, type StateView } from './http.js';
import { AgentCounters, installAgentMetrics } from './metrics.js';
import type { AgentConfig } from './options.js';
import { masterPid as parseMasterPid, NO_MASTER } from './pids.js';
import { isZooKeeperUrl } from '../detector/index.js';
import { Recovery } from './recovery.js';
import { Containers } from './containers.js';
import { GarbageCollector } from './gc.js';
import { AGENT_VERSION, Registration } from './registration.js';
import { StatusUpdateManager } from './status-update-manager.js';
import { Tasks } from './tasks.js';
import { Volumes } from './volumes.js';
import type { Resource } from '../protocol/index.js';

export interface AgentDeps {
  config: AgentConfig;
  containerizer: Containerizer;
  /** What a previous incarnation checkpointed, when recovering with the same identity. */
  checkpointed?: ckpt.AgentCheckpoint | undefined;
  /** meta/resources/resources_info: the dynamic reservations and volumes checkpointed before. */
  checkpointedResources?: readonly Resource[];
  /** Called once when the agent actor terminates (master Shutdown, fatal error or stop). */
  onTerminated?: (reason: string) => void;
}

export class Agent extends Actor<AgentMessage> {
  // The whole protocol of the agent, in one place.
  protected readonly handlers: Handlers<AgentMessage> = {
    AgentRegistered: (m, from) => this.parts.registration.registered(m, from),
    AgentReregistered: (m, from) => this.parts.registration.reregistered(m, from),
    PingAgent: (m, from) => this.parts.registration.ping(m, from),
    CheckpointResources: (m, from) => this.parts.volumes.checkpointResources(m, from),
    Shutdown: (m, from) => this.shutdown(m, from),
    RunTask: (m, from) => this.parts.tasks.runTask(m, from),
    RunTaskGroup: (m, from) => this.parts.tasks.runTaskGroup(m, from),
    KillTask: (m, from) => this.parts.tasks.killTask(m, from),
    StatusUpdate: (m, from) => this.parts.tasks.statusUpdate(m, from),
    StatusUpdateAcknowledgement: (m, from) => this.parts.tasks.statusUpdateAcknowledgement(m, from),
    ShutdownFramework: (m, from) => this.parts.executors.shutdownFramework(m, from),
    ShutdownExecutor: (m, from) => this.parts.executors.shutdownExecutor(m, from),
    UpdateFramework: (m, from) => this.parts.tasks.updateFramework(m, from),
    FrameworkToExecutor: (m, from) => this.parts.tasks.frameworkToExecutor(m, from),
    ExecutorToFramework: (m, from) => this.parts.tasks.executorToFramework(m, from),
    RegisterExecutor: (m, from) => this.parts.executors.register(m, from),
    ReregisterExecutor: (m, from) => this.parts.recovery.reregisterExecutor(m, from),
    RegisterExecutorHost: (m, from) => this.parts.hosts.register(m, from),
    _RegistrationRetry: (m) => this.parts.registration.retry(m.backoffMs),
    _PingTimeout: () => this.parts.registration.pingTimeout(),
    _MasterExited: () => this.parts.registration.masterExited(),
    _MasterDetected: (m, from) => from === this.self && this.parts.registration.detected(m.pid),
    _ContainerLaunched: (m) => this.parts.executors.containerLaunched(keyOf(m), m.container),
    _ContainerLaunchFailed: (m) => this.parts.executors.containerLaunchFailed(keyOf(m), m.message),
    _ContainerTerminated: (m) => this.parts.executors.containerTerminated(keyOf(m), m.termination),
    _SandboxReady: (m) => this.parts.hosts.sandboxReady(keyOf(m)),
    _TaskVolumesLinked: (m) => this.parts.tasks.volumesLinked(keyOf(m), m.taskId, m.error),
    _ExecutorRegistrationTimeout: (m) => this.parts.executors.registrationTimeout(keyOf(m)),
    _ExecutorShutdownTimeout: (m) => this.parts.executors.shutdownTimeout(keyOf(m)),
    _ExecutorExited: (m) => this.parts.executors.exited(keyOf(m), m.pid),
    _ExecutorReconnectRetry: (m) => this.parts.executors.reconnectRetry(keyOf(m)),
    _ExecutorHeartbeat: (m) => executorHeartbeat(this.ctx, keyOf(m), m.connection),
    _ExecutorReregistrationTimeout: () => this.parts.recovery.reregistrationTimeout(),
    _HostLaunched: (m) => this.parts.hosts.launched(m.frameworkId, m.containerId, m.container),
    _HostLaunchFailed: (m) => this.parts.hosts.launchFailed(m.frameworkId, m.containerId, m.message),
    _HostTerminated: (m) => this.parts.hosts.terminated(m.frameworkId, m.containerId, m.termination.status),
    _HostRegistrationTimeout: (m) => this.parts.hosts.registrationTimeout(m.frameworkId, m.containerId),
    _HostShutdownTimeout: (m) => this.parts.hosts.shutdownTimeout(m.frameworkId, m.containerId),
    _HostExited: (m) => this.parts.hosts.exited(m.frameworkId, m.containerId),
    _StatusUpdateRetry: (m) => this.ctx.updates.retry(m.frameworkId, m.taskId),
    _UpdateCheckpointed: (m) => this.parts.tasks.updateCheckpointed(m.update, m.ackTo),
    _CheckpointWritten: (m) => this.parts.checkpointer.written(m.what, m.error),
    _ShutdownTimeout: () => this.finishShutdown('executors did not terminate within the grace period'),
    _GracefulShutdown: (m) => this.gracefulShutdown(m.why),
    _LimitationChecked: (m) => this.parts.tasks.acceptFromExecutor(m.update, m.ackTo),
    _ContainersRecovered: (m) => this.parts.containers.recovered(m.destroyed, m.error),
    _GcSandboxes: () => this.parts.gc.collect(),
    _GcDiskUsage: (m) => this.parts.gc.diskUsage(m.usage),
  };

  readonly files = new FileRoots();
  private readonly ctx: AgentContext;
  private readonly parts: AgentParts;
  private readonly checkpointed: ckpt.AgentCheckpoint | undefined;
  private readonly onTerminated: ((reason: string) => void) | undefined;
  private startTime = 0;
  private terminationReason = 'stopped';
  /** A graceful stop (SIGUSR1) keeps the identity, as Mesos: a restart re-registers under the same id. */
  private keepIdentity = false;

  constructor(deps: AgentDeps) {
    super();
    this.checkpointed = deps.checkpointed;
    this.onTerminated = deps.onTerminated;
    const config = deps.config;
    const masterPid = isZooKeeperUrl(config.master) ? NO_MASTER : parseMasterPid(config.master);
    // The parts are built right after the context that they all receive.
    const agent = this;
    let parts!: AgentParts;
    const ctx: AgentContext = {
      config,
      containerizer: deps.containerizer,
      files: this.files,
      updates: new StatusUpdateManager(
        {
          forward: (update) => this.send(this.ctx.masterPid, { name: 'StatusUpdate', update, pid: this.self }),
          startRetry: (ms, frameworkId, taskId) => this.startTimer(timers.statusUpdateRetry(frameworkId, taskId), ms, { name: '_StatusUpdateRetry', frameworkId, taskId }),
          cancelRetry: (frameworkId, taskId) => this.cancelTimer(timers.statusUpdateRetry(frameworkId, taskId)),
        },
        { initialMs: config.statusUpdateRetryMs, maxMs: config.statusUpdateRetryMaxMs },
      ),
      counters: new AgentCounters(),
      masterPid,
      frameworks: new Map(),
      completedFrameworks: [],
      agentId: undefined,
      state: 'DISCONNECTED',
      get parts() {
        return parts;
      },
      get self(): Pid<AgentMessage> {
        return agent.self;
      },
      get log(): Logger {
        return agent.log;
      },
      now: () => this.now(),
      cause: () => this.runtime.cause,
      random: () => this.random(),
      send: <T extends Message>(to: Pid<T>, msg: SendTo<T>) => this.send<T>(to, msg),
      linkWith: (pid, msg) => this.linkWith(pid, msg),
      unlink: (pid) => this.unlink(pid),
      startTimer: (key, ms, msg) => this.startTimer(key, ms, msg),
      cancelTimer: (key) => this.cancelTimer(key),
      isTimerActive: (key) => this.isTimerActive(key),
      pipeToSelf: (promise, ok, fail) => this.pipeToSelf(promise, ok, fail),
      watch: (container, done) => this.watch(container, done),
      agentInfo: () => this.agentInfo(),
      dropped: (name, from, why, cause) => this.dropped(name, from, why, cause),
      fromMaster: (from, name) => this.fromMaster(from, name),
      principalOf: (pid) => this.runtime.principalOf(pid),
      partitionState: (state, f) => stateForFramework(state, f !== undefined && hasCapability(f.info, 'PARTITION_AWARE')),
      fatal: (message) => this.fatal(message),
      maybeFinishShutdown: () => this.maybeFinishShutdown(),
    };
    parts = {
      checkpointer: new Checkpointer(ctx),
      executors: new Executors(ctx),
      hosts: new ExecutorHosts(ctx),
      tasks: new Tasks(ctx),
      registration: new Registration(ctx),
      recovery: new Recovery(ctx),
      containers: new Containers(ctx),
      gc: new GarbageCollector(ctx),
      volumes: new Volumes(ctx, deps.checkpointedResources ?? []),
    };
    this.ctx = ctx;
    this.parts = parts;
  }

  /** The agent's lifecycle state, for tests and /state. */
  get status(): AgentStateName {
    return this.ctx.state;
  }

  get id(): string | undefined {
    return this.ctx.agentId;
  }

  override initialize(): void {
    this.startTime = this.now();
    for (const [path, handler] of agentRoutes({
      stateView: () => this.stateView(),
      flags: this.ctx.config.flags,
      files: this.files,
      frameworks: this.ctx.frameworks,
      containerizer: this.ctx.containerizer,
      hostContainers: () => this.ctx.parts.hosts.containers(),
      metrics: () => this.runtime.metrics.snapshot(),
      acls: this.ctx.config.acls,
      principalOf: (req) => basicPrincipal(req, this.ctx.config.http.credentials),
    })) {
      this.route(path, this.guard(path, handler));
    }
    // Executors authenticate with their own token (executor-api.ts), not as HTTP operators.
    this.route('/api/v1/executor', executorEndpoint(this.ctx));
    this.runtime.guardBuiltins((handler) => this.guard('', handler));
    installAgentMetrics(this.runtime.metrics, () => ({
      counters: this.ctx.counters,
      frameworks: this.ctx.frameworks,
      total: this.parts.volumes.total,
      state: this.ctx.state,
      uptimeSecs: () => (this.now() - this.startTime) / 1000,
    }));
    const fetcher = this.ctx.config.fetcher;
    this.runtime.metrics.gaugeGroup('containerizer/fetcher', () => ({
      'containerizer/fetcher/cache_size_total_bytes': fetcher.cacheSizeBytes,
      'containerizer/fetcher/cache_size_used_bytes': fetcher.cacheUsedBytes,
      'containerizer/fetcher/task_fetches_succeeded': fetcher.succeeded,
      'containerizer/fetcher/task_fetches_failed': fetcher.failed,
    }));
    this.parts.gc.start();
    if (this.checkpointed?.agentId !== undefined) this.parts.recovery.recover(this.checkpointed);
    else this.parts.registration.start();
  }

  override finalize(): void {
    this.parts.registration.stop();
    this.ctx.updates.pause();
    this.onTerminated?.(this.terminationReason);
  }

  agentInfo(): AgentInfo {
    const config = this.ctx.config;
    const info: AgentInfo = {
      hostname: config.hostname,
      port: Number(pidAddress(this.self).split(':').pop()),
      resources: config.resources.toJSON(),
      attributes: config.attributes,
      checkpoint: true,
    };
    if (this.ctx.agentId !== undefined) info.id = { value: this.ctx.agentId };
    return info;
  }

  // ------------------------------------------------------------------ the agent's lifecycle

  /** M→A Shutdown (Mesos's ShutdownMessage): the master wants this agent gone. */
  private shutdown(m: Shutdown, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    this.log.warn({ message: m.message }, 'shutting down as the master asked');
    this.terminationReason = `shut down by the master${m.message ? `: ${m.message}` : ''}`;
    this.beginShutdown();
  }

  /**
   * Mesos's SIGUSR1: tell the master this agent is going (UnregisterAgent: it removes the agent
   * and its tasks at once, instead of after the ping timeouts), kill every executor, terminate.
   * Callable from outside the actor (a signal handler); the work happens in the actor.
   */
  shutdownGracefully(why: string): void {
    this.callback((): Internal => ({ name: '_GracefulShutdown', why }))();
  }

  private gracefulShutdown(why: string): void {
    const { ctx } = this;
    if (ctx.state === 'TERMINATING') return;
    if (ctx.agentId !== undefined) {
      this.log.info({ why }, `${why}; unregistering and shutting down`);
      this.send(ctx.masterPid, { name: 'UnregisterAgent', agent_id: { value: ctx.agentId } });
    } else this.log.info({ why }, `${why}; shutting down`);
    this.terminationReason = `shut down: ${why}`;
    this.keepIdentity = true;
    this.beginShutdown();
  }

  /** Shuts every framework down, then terminates. Also forgets the identity, as Mesos does. */
  private beginShutdown(): void {
    const { ctx, parts } = this;
    if (ctx.state === 'TERMINATING') return;
    ctx.state = 'TERMINATING';
    parts.registration.stop();
    for (const f of [...ctx.frameworks.values()]) parts.executors.shutdownFrameworkNow(f);
    for (const fid of parts.hosts.frameworkIds()) parts.hosts.shutdown(fid);
    if (ctx.frameworks.size === 0 && parts.hosts.size === 0) return this.finishShutdown('no executors');
    this.startTimer(timers.shutdown, ctx.config.executorShutdownGracePeriodMs + 1000, { name: '_ShutdownTimeout' });
  }

  private maybeFinishShutdown(): void {
    if (this.ctx.frameworks.size === 0 && this.parts.hosts.size === 0) this.finishShutdown('every executor has terminated');
  }

  private finishShutdown(why: string): void {
    this.log.info({ why }, 'agent terminating');
    if (!this.keepIdentity) this.parts.checkpointer.forgetIdentity();
    void this.ctx.containerizer.destroyAll(0);
    this.terminateSelf();
  }

  private fatal(message: string): void {
    this.log.error({ problem: message }, 'fatal');
    this.terminationReason = `fatal: ${message}`;
    this.terminateSelf();
  }

  // ------------------------------------------------------------------ shared helpers

  /**
   * Every route goes through here: HTTP authentication (`--authenticate_http_readonly` and
   * `_readwrite`; /health is always open), then `access_sandboxes` for /files (the object is
   * the user of the framework whose sandbox the path names) and `get_endpoints` for /flags and
   * /monitor/statistics, as Mesos's agent guards them.
   */
  private guard(path: string, handler: HttpHandler): HttpHandler {
    const { http, acls } = this.ctx.config;
    return guarded(http, (req, principal) => {
      if (path.startsWith('/files/')) {
        const id = /\/frameworks\/([^/]+)\//.exec(req.query.get('path') ?? '')?.[1];
        const user = id === undefined ? undefined : this.ctx.frameworks.get(id)?.info.user;
        if (!authorized(acls, 'access_sandboxes', principal, user)) return forbidden(`principal '${principal ?? ''}' may not access this sandbox`);
      } else if ((path === '/flags' || path.startsWith('/monitor/statistics') || path === '/containers') && !authorized(acls, 'get_endpoints', principal, path)) {
        return forbidden(`principal '${principal ?? ''}' may not GET ${path}`);
      }
      return handler(req);
    });
  }

  private fromMaster(from: Pid | '', name: string): boolean {
    if (from === this.ctx.masterPid) return true;
    this.dropped(name, from, `not from the master (${this.ctx.masterPid})`, 'not_from_master');
    return false;
  }

  private dropped(name: string, from: Pid | '', why: string, cause?: DropCause): void {
    const c = this.ctx.counters;
    c.droppedMessages++;
    if (cause !== undefined) c.droppedBy.set(cause, (c.droppedBy.get(cause) ?? 0) + 1);
    this.log.warn({ message: name, from, why, ...(cause !== undefined ? { cause } : {}) }, 'dropping message');
  }

  /**
   * Brings a container's end back into the actor. Not pipeToSelf: a container may live for
   * days, and pipeToSelf counts as work in progress, so settle() would never see quiet.
   */
  private watch(container: Container, done: (t: Termination) => Internal): void {
    const deliver = this.callback(done);
    container.wait().then(deliver, (err: unknown) => deliver({ exitCode: null, signal: null, status: `unknown (${String(err)})` }));
  }

  private stateView(): StateView {
    const { ctx } = this;
    return {
      version: AGENT_VERSION,
      startTime: this.startTime,
      agentId: ctx.agentId,
      pid: this.self,
      hostname: ctx.config.hostname,
      port: this.agentInfo().port ?? 0,
      resources: this.parts.volumes.total,
      attributes: ctx.config.attributes,
      masterHostname: ctx.state === 'RUNNING' ? pidAddress(ctx.masterPid).split(':')[0] : undefined,
      frameworks: ctx.frameworks.values(),
      completedFrameworks: ctx.completedFrameworks,
      flags: ctx.config.flags,
    };
  }
}

export { AGENT_VERSION } from './registration.js';
export type { AgentStateName } from './context.js';
