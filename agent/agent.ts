// The Agent actor (`slave(1)`): registers with the master and keeps registered (backoff, pings),
// runs tasks through executors — custom ones as containers, command ones as actors in the
// framework's executor host — relays status updates reliably, checkpoints what checkpointing
// frameworks need, and re-attaches to its executors after a restart.

import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Actor, parsePid, pidAddress, type Cancel, type Handlers, type Pid } from '../runtime/index.js';
import {
  bytesFromBase64,
  hasCapability,
  Resources,
  isTerminalState,
  newUuid,
  stateForFramework,
  taskStatus,
  uuidToString,
  type AgentInfo,
  type AgentRegistered,
  type AgentReregistered,
  type CommandInfo,
  type ExecutorInfo,
  type ExecutorToFramework,
  type FrameworkInfo,
  type FrameworkToExecutor,
  type KillTask,
  type PingAgent,
  type RegisterExecutor,
  type RegisterExecutorHost,
  type ReregisterExecutor,
  type ReregisterAgent,
  type Resource,
  type RunTask,
  type Shutdown,
  type ShutdownExecutor,
  type ShutdownFramework,
  type StatusUpdate,
  type StatusUpdateAcknowledgement,
  type Task,
  type TaskID,
  type TaskInfo,
  type TaskState,
  type TaskStatusReason,
  type TaskStatusUpdate,
  type UpdateFramework,
  safeResources,
} from '../protocol/index.js';
import * as ckpt from './checkpoint.js';
import { executorEnvironment, sandboxPath, type CommandSpec, type Container, type Containerizer, type Termination } from './containerizer/index.js';
import { browse, download, filesQuery, read, FileRoots } from './files.js';
import { filesResponse, jsonReplacer, jsonResponse, stateJson } from './http.js';
import type { AgentConfig } from './options.js';
import { StatusUpdateManager } from './status-update-manager.js';
import { ExecutorHost, ExecutorState, FrameworkState, MAX_COMPLETED_FRAMEWORKS, newTask, type ExecutorKind } from './state.js';

/** The version reported to the master, which admits agents of 1.0.0 and later, as Mesos does. */
export const AGENT_VERSION = '1.11.0';

/** Resources added to a command task's generated ExecutorInfo, as Mesos does (not charged; see README). */
const COMMAND_EXECUTOR_CPUS = 0.1;
const COMMAND_EXECUTOR_MEM = 32;

/** Key added to a checkpointed executor.info to mark an ExecutorInfo the agent generated. */
const GENERATED_MARK = 'mesos_ts_generated_for_command_task';

type AgentInbox =
  | AgentRegistered
  | AgentReregistered
  | PingAgent
  | Shutdown
  | RunTask
  | KillTask
  | StatusUpdate
  | StatusUpdateAcknowledgement
  | ShutdownFramework
  | ShutdownExecutor
  | UpdateFramework
  | FrameworkToExecutor
  | ExecutorToFramework
  | RegisterExecutor
  | ReregisterExecutor
  | RegisterExecutorHost;

interface ExecutorKey {
  frameworkId: string;
  executorId: string;
  containerId: string;
}

type Internal =
  | { name: '_RegistrationRetry'; generation: number; backoffMs: number }
  | { name: '_PingTimeout'; generation: number }
  | ({ name: '_ContainerLaunched'; container: Container } & ExecutorKey)
  | ({ name: '_ContainerLaunchFailed'; message: string } & ExecutorKey)
  | ({ name: '_ContainerTerminated'; termination: Termination } & ExecutorKey)
  | ({ name: '_SandboxReady' } & ExecutorKey)
  | ({ name: '_ExecutorRegistrationTimeout' } & ExecutorKey)
  | ({ name: '_ExecutorShutdownTimeout' } & ExecutorKey)
  | { name: '_ExecutorReregistrationTimeout' }
  | { name: '_HostLaunched'; frameworkId: string; containerId: string; container: Container }
  | { name: '_HostLaunchFailed'; frameworkId: string; containerId: string; message: string }
  | { name: '_HostTerminated'; frameworkId: string; containerId: string; termination: Termination }
  | { name: '_HostRegistrationTimeout'; frameworkId: string; containerId: string }
  | { name: '_HostShutdownTimeout'; frameworkId: string; containerId: string }
  | { name: '_StatusUpdateRetry'; frameworkId: string; taskId: string; uuid: string }
  | { name: '_UpdateCheckpointed'; update: TaskStatusUpdate; ackTo: Pid | undefined }
  | { name: '_CheckpointDone' }
  | { name: '_CheckpointFailed'; what: string; error: string }
  | { name: '_ShutdownTimeout' };

type In = AgentInbox | Internal;

export type AgentStateName = 'RECOVERING' | 'DISCONNECTED' | 'RUNNING' | 'TERMINATING';

export interface AgentDeps {
  config: AgentConfig;
  containerizer: Containerizer;
  /** What a previous incarnation checkpointed, when recovering with the same identity. */
  recovered?: ckpt.AgentCheckpoint | undefined;
  /** Called once when the agent actor terminates (master Shutdown, fatal error or stop). */
  onTerminated?: (reason: string) => void;
}

export class Agent extends Actor<In> {
  // The whole protocol of the agent, in one place.
  protected readonly handlers: Handlers<In> = {
    AgentRegistered: (m, from) => this.agentRegistered(m, from),
    AgentReregistered: (m, from) => this.agentReregistered(m, from),
    PingAgent: (m, from) => this.pingAgent(m, from),
    Shutdown: (m, from) => this.shutdown(m, from),
    RunTask: (m, from) => this.runTask(m, from),
    KillTask: (m, from) => this.killTask(m, from),
    StatusUpdate: (m, from) => this.statusUpdate(m, from),
    StatusUpdateAcknowledgement: (m, from) => this.statusUpdateAcknowledgement(m, from),
    ShutdownFramework: (m, from) => this.shutdownFramework(m, from),
    ShutdownExecutor: (m, from) => this.shutdownExecutor(m, from),
    UpdateFramework: (m, from) => this.updateFramework(m, from),
    FrameworkToExecutor: (m, from) => this.frameworkToExecutor(m, from),
    ExecutorToFramework: (m, from) => this.executorToFramework(m, from),
    RegisterExecutor: (m, from) => this.registerExecutor(m, from),
    ReregisterExecutor: (m, from) => this.reregisterExecutor(m, from),
    RegisterExecutorHost: (m, from) => this.registerExecutorHost(m, from),
    _RegistrationRetry: (m) => this.registrationRetry(m.generation, m.backoffMs),
    _PingTimeout: (m) => this.pingTimeout(m.generation),
    _ContainerLaunched: (m) => this.containerLaunched(keyOf(m), m.container),
    _ContainerLaunchFailed: (m) => this.containerLaunchFailed(keyOf(m), m.message),
    _ContainerTerminated: (m) => this.containerTerminated(keyOf(m), m.termination),
    _SandboxReady: (m) => this.sandboxReady(keyOf(m)),
    _ExecutorRegistrationTimeout: (m) => this.executorRegistrationTimeout(keyOf(m)),
    _ExecutorShutdownTimeout: (m) => this.executorShutdownTimeout(keyOf(m)),
    _ExecutorReregistrationTimeout: () => this.executorReregistrationTimeout(),
    _HostLaunched: (m) => this.hostLaunched(m.frameworkId, m.containerId, m.container),
    _HostLaunchFailed: (m) => this.hostLaunchFailed(m.frameworkId, m.containerId, m.message),
    _HostTerminated: (m) => this.hostTerminated(m.frameworkId, m.containerId, m.termination.status),
    _HostRegistrationTimeout: (m) => this.hostRegistrationTimeout(m.frameworkId, m.containerId),
    _HostShutdownTimeout: (m) => this.hostShutdownTimeout(m.frameworkId, m.containerId),
    _StatusUpdateRetry: (m) => this.updates.retry(m.frameworkId, m.taskId, m.uuid),
    _UpdateCheckpointed: (m) => this.updateCheckpointed(m.update, m.ackTo),
    _CheckpointDone: () => {},
    _CheckpointFailed: (m) => this.checkpointFailed(m.what, m.error),
    _ShutdownTimeout: () => this.finishShutdown('executors did not terminate within the grace period'),
  };

  private readonly config: AgentConfig;
  private readonly containerizer: Containerizer;
  private readonly recoveredState: ckpt.AgentCheckpoint | undefined;
  private readonly onTerminated: ((reason: string) => void) | undefined;
  private readonly masterPid: Pid;
  readonly files = new FileRoots();
  private readonly updates: StatusUpdateManager;

  private stateName: AgentStateName = 'DISCONNECTED';
  private agentId: string | undefined;
  private readonly frameworks = new Map<string, FrameworkState>();
  private readonly completedFrameworks: FrameworkState[] = [];
  private readonly hosts = new Map<string, ExecutorHost>();
  /** Registered executor pids → their executor, for exited() and sender checks. */
  private readonly executorPids = new Map<Pid, { frameworkId: string; executorId: string }>();
  private readonly hostPids = new Map<Pid, string>();
  private masterLinked = false;
  private registrationGeneration = 0;
  private cancelRegistration: Cancel | undefined;
  private pingGeneration = 0;
  private cancelPing: Cancel | undefined;
  private checkpointChain: Promise<unknown> = Promise.resolve();
  private startTime = 0;
  private terminationReason = 'stopped';

  private readonly c = {
    validStatusUpdates: 0,
    invalidStatusUpdates: 0,
    validFrameworkMessages: 0,
    invalidFrameworkMessages: 0,
    executorsTerminated: 0,
    containerLaunchErrors: 0,
    recoveryErrors: 0,
    droppedMessages: 0,
    terminalTasks: new Map<TaskState, number>(),
  };

  constructor(deps: AgentDeps) {
    super();
    this.config = deps.config;
    this.containerizer = deps.containerizer;
    this.recoveredState = deps.recovered;
    this.onTerminated = deps.onTerminated;
    this.masterPid = parsePid(deps.config.master);
    this.updates = new StatusUpdateManager(
      {
        forward: (update) => this.send(this.masterPid, { name: 'StatusUpdate', update, pid: this.self } satisfies StatusUpdate),
        schedule: (ms, frameworkId, taskId, uuid) => this.delay(ms, { name: '_StatusUpdateRetry', frameworkId, taskId, uuid }),
      },
      { initialMs: deps.config.statusUpdateRetryMs, maxMs: deps.config.statusUpdateRetryMaxMs },
    );
  }

  /** The agent's lifecycle state, for tests and /state. */
  get status(): AgentStateName {
    return this.stateName;
  }

  get id(): string | undefined {
    return this.agentId;
  }

  override initialize(): void {
    this.startTime = this.now();
    this.installRoutes();
    this.installMetrics();
    if (this.recoveredState?.agentId !== undefined) this.recover(this.recoveredState);
    else this.startRegistration();
  }

  override finalize(): void {
    this.cancelRegistration?.();
    this.cancelPing?.();
    this.updates.pause();
    this.onTerminated?.(this.terminationReason);
  }

  override exited(pid: Pid): void {
    if (pid === this.masterPid) return this.masterExited();
    const hostFramework = this.hostPids.get(pid);
    if (hostFramework !== undefined) {
      this.hostPids.delete(pid);
      const host = this.hosts.get(hostFramework);
      if (host && host.pid === pid) {
        this.log.warn({ framework_id: hostFramework, host: pid }, 'executor host disconnected; treating it as terminated');
        if (host.container) void host.container.kill(0);
        else this.hostTerminated(hostFramework, host.containerId, 'the executor host disconnected');
      }
      return;
    }
    const ref = this.executorPids.get(pid);
    if (!ref) return;
    this.executorPids.delete(pid);
    const executor = this.frameworks.get(ref.frameworkId)?.executors.get(ref.executorId);
    if (!executor || executor.pid !== pid || executor.state === 'TERMINATED') return;
    // A command executor is an actor in the host: its termination is this exit. A custom
    // executor is a process: make sure it is gone, and report it when its container ends.
    if (executor.kind === 'custom' && executor.container) void executor.container.kill(0);
    else this.executorTerminated(executor, 'the executor terminated', undefined);
  }

  // ------------------------------------------------------------------ registration and health

  private startRegistration(): void {
    if (this.stateName === 'TERMINATING') return;
    const generation = ++this.registrationGeneration;
    this.cancelRegistration?.();
    const b = this.config.registrationBackoffMs;
    // Mesos waits a random time in [0, b] before the first attempt, so that agents restarted
    // together do not all hit a new master at once.
    this.cancelRegistration = this.delay(Math.random() * b, { name: '_RegistrationRetry', generation, backoffMs: b });
  }

  private registrationRetry(generation: number, backoffMs: number): void {
    if (generation !== this.registrationGeneration || this.stateName === 'RUNNING' || this.stateName === 'TERMINATING') return;
    if (!this.masterLinked) {
      this.masterLinked = true;
      this.link(this.masterPid);
    }
    if (this.agentId === undefined) {
      this.send(this.masterPid, {
        name: 'RegisterAgent',
        agent: this.agentInfo(),
        version: AGENT_VERSION,
        agent_capabilities: AGENT_CAPABILITIES,
      });
    } else {
      this.send(this.masterPid, this.reregisterMessage());
    }
    const next = Math.min(Math.max(backoffMs * 2, 1), this.config.registrationBackoffMaxMs);
    this.cancelRegistration = this.delay(Math.random() * next, { name: '_RegistrationRetry', generation, backoffMs: next });
  }

  private agentRegistered(m: AgentRegistered, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    if (this.stateName === 'TERMINATING' || this.stateName === 'RECOVERING') return this.dropped(m.name, from, `agent is ${this.stateName.toLowerCase()}`);
    if (this.agentId !== undefined && this.agentId !== m.agent_id.value) {
      return this.fatal(`registered with id ${m.agent_id.value}, but this agent is ${this.agentId}`);
    }
    if (this.stateName === 'RUNNING') return; // a duplicate acknowledgement of a retried registration
    this.agentId = m.agent_id.value;
    this.log.info({ agent_id: this.agentId, master: this.masterPid }, 'registered with the master');
    // slave.info is always written (Mesos does too): a restart then keeps its identity.
    const info = this.agentInfo();
    this.persist('agent info', () => ckpt.checkpointAgentInfo(this.config.workDir, this.agentId!, toJson(info), this.fsync()));
    this.connected(m.connection?.total_ping_timeout_seconds);
  }

  private agentReregistered(m: AgentReregistered, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    if (this.stateName === 'TERMINATING' || this.stateName === 'RECOVERING') return this.dropped(m.name, from, `agent is ${this.stateName.toLowerCase()}`);
    if (this.agentId !== m.agent_id.value) return this.fatal(`re-registered with id ${m.agent_id.value}, but this agent is ${this.agentId ?? 'new'}`);
    if (this.stateName === 'RUNNING') return;
    this.log.info({ agent_id: this.agentId }, 're-registered with the master');
    this.connected(m.connection?.total_ping_timeout_seconds);
    // Tasks the master knows and we do not: reliable DROPPED (LOST for frameworks that are not
    // partition-aware), so the scheduler learns their fate (Mesos's reconciliation on re-registration).
    for (const r of m.reconciliations ?? []) {
      const framework = this.frameworks.get(r.framework_id.value);
      for (const status of r.statuses) {
        const taskId = status.task_id.value;
        if (framework?.executorOfTask(taskId) || this.updates.get(r.framework_id.value, taskId)) continue;
        this.agentUpdate(r.framework_id.value, framework, undefined, status.task_id, this.partitionState('TASK_DROPPED', framework), 'REASON_RECONCILIATION', 'Reconciliation: task unknown to the agent');
      }
    }
  }

  private connected(totalPingTimeoutSeconds: number | undefined): void {
    this.stateName = 'RUNNING';
    this.cancelRegistration?.();
    this.cancelRegistration = undefined;
    if (totalPingTimeoutSeconds !== undefined && totalPingTimeoutSeconds > 0) this.pingTimeoutMs = totalPingTimeoutSeconds * 1000;
    this.armPingTimer();
    this.updates.resume();
  }

  private pingTimeoutMs = 0;

  private armPingTimer(): void {
    this.cancelPing?.();
    const generation = ++this.pingGeneration;
    this.cancelPing = this.delay(this.pingTimeoutMs || this.config.pingTimeoutMs, { name: '_PingTimeout', generation });
  }

  private pingAgent(m: PingAgent, from: Pid | ''): void {
    // Pings come from the master's per-agent observer, an actor beside the master.
    if (from === '' || pidAddress(from) !== pidAddress(this.masterPid)) return this.dropped(m.name, from, 'not from the master');
    this.send(from, { name: 'PongAgent' });
    if (this.stateName !== 'RUNNING') return;
    this.armPingTimer();
    // The master thinks we are disconnected while we think we are registered: a one-way
    // partition healed. Re-register so it learns our tasks again (Mesos does the same).
    if (!m.connected) this.disconnected('the master reports this agent as disconnected');
  }

  private pingTimeout(generation: number): void {
    if (generation !== this.pingGeneration || this.stateName !== 'RUNNING') return;
    this.disconnected(`no ping from the master within ${this.pingTimeoutMs || this.config.pingTimeoutMs} ms`);
  }

  private masterExited(): void {
    this.masterLinked = false;
    // Mesos only logs here and waits for its detector or the ping timeout; the runtime's
    // heartbeats make a lost connection a reliable signal, so re-register at once.
    if (this.stateName === 'RUNNING') this.disconnected('lost the connection to the master');
  }

  private disconnected(why: string): void {
    this.log.warn({ reason: why }, 'disconnected from the master; re-registering');
    this.stateName = 'DISCONNECTED';
    this.cancelPing?.();
    this.updates.pause();
    this.startRegistration();
  }

  private shutdown(m: Shutdown, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    this.log.warn({ message: m.message }, 'shutting down as the master asked');
    this.terminationReason = `shut down by the master${m.message ? `: ${m.message}` : ''}`;
    this.beginShutdown();
  }

  /** Shuts every framework down, then terminates. Also forgets the identity, as Mesos does. */
  private beginShutdown(): void {
    if (this.stateName === 'TERMINATING') return;
    this.stateName = 'TERMINATING';
    this.cancelRegistration?.();
    this.cancelPing?.();
    for (const f of [...this.frameworks.values()]) this.shutdownFrameworkNow(f);
    for (const fid of [...this.hosts.keys()]) this.shutdownHost(fid);
    if (this.frameworks.size === 0 && this.hosts.size === 0) return this.finishShutdown('no executors');
    this.delay(this.config.executorShutdownGracePeriodMs + 1000, { name: '_ShutdownTimeout' });
  }

  private finishShutdown(why: string): void {
    this.log.info({ why }, 'agent terminating');
    // A restart after a master-requested shutdown must not come back as this agent.
    this.persist('forget identity', () => ckpt.forgetAgent(this.config.workDir));
    void this.containerizer.destroyAll(0);
    this.terminateSelf();
  }

  private fatal(message: string): void {
    this.log.error({ problem: message }, 'fatal');
    this.terminationReason = `fatal: ${message}`;
    this.terminateSelf();
  }

  // ------------------------------------------------------------------ tasks

  private runTask(m: RunTask, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    const fid = m.framework.id?.value;
    if (fid === undefined) return this.dropped(m.name, from, 'framework has no id');
    if (this.stateName === 'TERMINATING') return this.dropped(m.name, from, 'agent is terminating');
    this.log.info({ framework: fid, task: m.task.task_id.value }, `Got assigned task '${m.task.task_id.value}' for framework ${fid}`);
    if (this.agentId === undefined) return this.dropped(m.name, from, 'agent is not registered');
    const task = m.task;
    let framework = this.frameworks.get(fid);
    if (framework?.state === 'TERMINATING') {
      // Mesos drops a task for a terminating framework without any update: nobody listens.
      return this.log.warn({ framework_id: fid, task_id: task.task_id.value }, 'dropping a task of a terminating framework');
    }
    const isNew = framework === undefined;
    if (!framework) {
      framework = new FrameworkState(m.framework, m.pid);
      this.frameworks.set(fid, framework);
    } else {
      framework.info = m.framework;
      if (m.pid !== '') framework.pid = m.pid;
    }
    const f = framework;
    if (isNew && f.checkpoint) {
      this.persist('framework', () => ckpt.checkpointFramework(this.config.workDir, { agentId: this.agentId!, frameworkId: fid }, toJson(f.info), f.pid, this.fsync()));
    }

    const kind: ExecutorKind = task.executor ? 'custom' : 'command';
    const info = task.executor ? { ...task.executor, framework_id: { value: fid } } : this.commandExecutorInfo(task, fid);
    let executor = f.executors.get(info.executor_id.value);
    if (executor && (executor.state === 'TERMINATING' || executor.state === 'TERMINATED')) {
      return this.agentUpdate(fid, f, undefined, task.task_id, this.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', 'Executor terminating');
    }
    if (kind === 'custom' && m.launch_executor !== undefined && m.launch_executor !== (executor === undefined)) {
      const why = m.launch_executor ? 'Executor is already running' : 'Executor is not running';
      return this.agentUpdate(fid, f, undefined, task.task_id, this.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', why);
    }
    if (f.executorOfTask(task.task_id.value)) return this.dropped(m.name, from, `task ${task.task_id.value} is already known`);
    if (!executor) {
      executor = this.launchExecutor(f, info, kind, task);
      if (!executor) return;
    }
    const e = executor;
    if (e.checkpoint) {
      const staging = newTask(task, fid, 'TASK_STAGING', kind === 'command' ? undefined : e.id);
      this.persist('task', () => ckpt.checkpointTask(this.config.workDir, this.taskRef(e, task.task_id.value), toJson(staging), this.fsync()));
    }
    if (e.state === 'REGISTERING') e.queuedTasks.set(task.task_id.value, task);
    else this.sendTask(f, e, task);
  }

  /** Mesos's getExecutorInfo: a command task runs under an executor with the task's id. */
  private commandExecutorInfo(task: TaskInfo, frameworkId: string): ExecutorInfo {
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

  private launchExecutor(f: FrameworkState, info: ExecutorInfo, kind: ExecutorKind, firstTask: TaskInfo): ExecutorState | undefined {
    const fid = f.id;
    const agentId = this.agentId!;
    const containerId = randomUUID();
    let directory: string;
    try {
      directory = sandboxPath(this.config.workDir, { agentId, frameworkId: fid, executorId: info.executor_id.value, containerId });
    } catch (err) {
      this.c.containerLaunchErrors++;
      this.agentUpdate(fid, f, undefined, firstTask.task_id, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', `Cannot create the sandbox: ${(err as Error).message}`);
      return undefined;
    }
    const e = new ExecutorState(fid, info, kind, containerId, directory, f.checkpoint);
    f.executors.set(e.id, e);
    this.attachSandbox(e);
    if (e.checkpoint) {
      const record = kind === 'command' ? { ...toJson(info), [GENERATED_MARK]: true } : toJson(info);
      this.persist('executor', async () => {
        await ckpt.checkpointExecutor(this.config.workDir, this.executorRef(e), record, this.fsync());
        await ckpt.checkpointExecutorRun(this.config.workDir, this.runRef(e), {}, this.fsync());
      });
    }
    const key = this.key(e);
    e.cancelRegistrationTimer = this.delay(this.config.executorRegistrationTimeoutMs, { name: '_ExecutorRegistrationTimeout', ...key });
    if (kind === 'command') {
      // The host runs the command executor in this directory: it must exist first.
      this.pipeToSelf(
        mkdir(directory, { recursive: true }),
        () => ({ name: '_SandboxReady', ...key }),
        (err) => ({ name: '_ContainerLaunchFailed', ...key, message: `cannot create the sandbox: ${String(err)}` }),
      );
      return e;
    }
    const command = info.command;
    if (!command?.value) {
      this.pipeToSelf(Promise.reject(new Error('the executor has no command')), () => ({ name: '_CheckpointDone' }), () => ({ name: '_ContainerLaunchFailed', ...key, message: 'the executor has no command' }));
      return e;
    }
    this.pipeToSelf(
      this.containerizer.launch({
        containerId,
        agentId,
        frameworkId: fid,
        executorId: e.id,
        command: commandSpec(command),
        env: { ...commandEnvironment(command), ...this.executorEnv(f, e.id, directory) },
        directory,
      }),
      (container) => ({ name: '_ContainerLaunched', ...key, container }),
      (err) => ({ name: '_ContainerLaunchFailed', ...key, message: err instanceof Error ? err.message : String(err) }),
    );
    return e;
  }

  private executorEnv(f: FrameworkState, executorId: string, directory: string): Record<string, string> {
    return executorEnvironment({
      frameworkId: f.id,
      executorId,
      agentId: this.agentId ?? '',
      agentPid: this.self,
      sandbox: directory,
      checkpoint: f.checkpoint,
      shutdownGracePeriodMs: this.config.executorShutdownGracePeriodMs,
      recoveryTimeoutMs: this.config.recoveryTimeoutMs,
    });
  }

  private containerLaunched(k: ExecutorKey, container: Container): void {
    const e = this.executor(k);
    if (!e || e.state === 'TERMINATED') {
      // Timed out or shut down while launching: the container must not outlive its executor.
      void container.kill(0);
      return;
    }
    e.container = container;
    if (e.checkpoint) this.persist('executor run', () => ckpt.checkpointExecutorRun(this.config.workDir, this.runRef(e), { pid: container.pid }, this.fsync()));
    this.watch(container, (termination) => ({ name: '_ContainerTerminated', ...k, termination }));
    if (e.state === 'TERMINATING' && !e.pid) void container.kill(0);
  }

  private containerLaunchFailed(k: ExecutorKey, message: string): void {
    const e = this.executor(k);
    if (!e || e.state === 'TERMINATED') return;
    this.c.containerLaunchErrors++;
    this.log.warn({ framework_id: k.frameworkId, executor_id: k.executorId, problem: message }, 'container launch failed');
    this.executorTerminated(e, `Failed to launch container: ${message}`, undefined, 'REASON_CONTAINER_LAUNCH_FAILED');
  }

  private containerTerminated(k: ExecutorKey, t: Termination): void {
    const e = this.executor(k);
    if (!e) return;
    this.executorTerminated(e, `Executor ${t.status}`, waitStatus(t));
  }

  private registerExecutor(m: RegisterExecutor, from: Pid | ''): void {
    if (from === '') return this.dropped(m.name, from, 'no sender');
    const f = this.frameworks.get(m.framework_id.value);
    const e = f?.executors.get(m.executor_id.value);
    // Mesos shuts down an executor it does not expect: unknown, already registered, being
    // shut down, or with nothing left to run.
    if (!f || f.state === 'TERMINATING' || !e || e.state !== 'REGISTERING' || e.recovered || (e.queuedTasks.size === 0 && e.launchedTasks.size === 0)) {
      this.log.warn({ framework_id: m.framework_id.value, executor_id: m.executor_id.value, from }, 'shutting down an unexpected executor');
      this.send(from, { name: 'ShutdownExecutor' } satisfies ShutdownExecutor);
      return;
    }
    e.cancelRegistrationTimer?.();
    e.cancelRegistrationTimer = undefined;
    e.state = 'RUNNING';
    e.pid = from;
    this.executorPids.set(from, { frameworkId: f.id, executorId: e.id });
    this.link(from);
    if (e.checkpoint) this.persist('executor pid', () => ckpt.checkpointExecutorRun(this.config.workDir, this.runRef(e), { libprocessPid: from }, this.fsync()));
    this.send(from, {
      name: 'ExecutorRegistered',
      executor_info: e.info,
      framework_id: { value: f.id },
      framework_info: f.info,
      agent_id: { value: this.agentId! },
      agent_info: this.agentInfo(),
    });
    const queued = [...e.queuedTasks.values()];
    e.queuedTasks.clear();
    for (const task of queued) this.sendTask(f, e, task);
  }

  private sendTask(f: FrameworkState, e: ExecutorState, task: TaskInfo): void {
    e.launchedTasks.set(task.task_id.value, newTask(task, f.id, 'TASK_STAGING', e.kind === 'command' ? undefined : e.id));
    this.send(e.pid!, { name: 'RunTask', framework: f.info, task, pid: f.pid } satisfies RunTask);
  }

  private executorRegistrationTimeout(k: ExecutorKey): void {
    const e = this.executor(k);
    if (!e || e.state !== 'REGISTERING' || e.recovered) return;
    this.log.warn({ framework_id: k.frameworkId, executor_id: k.executorId }, 'executor did not register in time; destroying it');
    e.terminationReason = 'REASON_EXECUTOR_REGISTRATION_TIMEOUT';
    this.destroyExecutor(e, 'Executor did not register within the registration timeout');
  }

  /** Ends an executor now: its container is killed (and reported when gone), or it is marked terminated. */
  private destroyExecutor(e: ExecutorState, why: string): void {
    e.state = 'TERMINATING';
    if (e.kind === 'custom' && e.container) void e.container.kill(0);
    // A command executor has no process of its own, and a custom one still launching has
    // none yet (containerLaunched kills what arrives later): it ends now.
    else this.executorTerminated(e, why, undefined);
  }

  private killTask(m: KillTask, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    const fid = m.framework_id.value;
    const taskId = m.task_id.value;
    const f = this.frameworks.get(fid);
    if (!f || f.state === 'TERMINATING') return this.log.warn({ framework_id: fid, task_id: taskId }, 'ignoring kill of a task of an unknown or terminating framework');
    const e = f.executorOfTask(taskId);
    if (!e) {
      return this.agentUpdate(fid, f, undefined, m.task_id, this.partitionState('TASK_DROPPED', f), 'REASON_EXECUTOR_TERMINATED', 'Cannot find the executor of the task');
    }
    if (e.state === 'TERMINATING' || e.state === 'TERMINATED') return this.log.warn({ task_id: taskId }, 'ignoring kill: the executor is terminating');
    if (e.queuedTasks.has(taskId)) {
      // Never reached the executor: the agent answers for it (Mesos §1.9).
      this.agentUpdate(fid, f, e, m.task_id, 'TASK_KILLED', 'REASON_TASK_KILLED_DURING_LAUNCH', 'Killed before delivery to the executor');
      // An executor that still registers would have nothing to run: end it now.
      if (e.state === 'REGISTERING' && e.queuedTasks.size === 0 && e.launchedTasks.size === 0) this.destroyExecutor(e, 'No tasks left to run');
      return;
    }
    const task = e.task(taskId);
    if (!task || isTerminalState(task.state)) return;
    if (!e.pid) return;
    const kill: KillTask = { name: 'KillTask', framework_id: m.framework_id, task_id: m.task_id };
    if (m.kill_policy !== undefined) kill.kill_policy = m.kill_policy;
    this.send(e.pid, kill);
  }

  // ------------------------------------------------------------------ command executors and hosts

  private sandboxReady(k: ExecutorKey): void {
    const e = this.executor(k);
    if (!e || e.state !== 'REGISTERING') return;
    let host = this.hosts.get(k.frameworkId);
    if (!host || host.state === 'TERMINATED') host = this.launchHost(k.frameworkId);
    if (!host) return this.executorTerminated(e, 'No executor host program is configured', undefined, 'REASON_CONTAINER_LAUNCH_FAILED');
    if (host.state === 'RUNNING') this.launchOnHost(host, e);
    else host.waiting.push(e);
  }

  private launchHost(frameworkId: string): ExecutorHost | undefined {
    const f = this.frameworks.get(frameworkId);
    const command = this.config.executorHostCommand;
    if (!f || command === undefined) return undefined;
    const containerId = `host-${randomUUID()}`;
    const directory = join(this.config.workDir, 'slaves', this.agentId!, 'frameworks', frameworkId, 'executor-host', 'runs', containerId);
    const host = new ExecutorHost(frameworkId, containerId, directory);
    this.hosts.set(frameworkId, host);
    this.files.attach(`/frameworks/${frameworkId}/executor-host/runs/latest`, directory);
    this.files.attach(directory, directory);
    host.cancelRegistrationTimer = this.delay(this.config.executorRegistrationTimeoutMs, { name: '_HostRegistrationTimeout', frameworkId, containerId });
    this.pipeToSelf(
      this.containerizer.launch({
        containerId,
        agentId: this.agentId!,
        frameworkId,
        executorId: 'executor-host',
        command,
        env: this.executorEnv(f, 'executor-host', directory),
        directory,
      }),
      (container) => ({ name: '_HostLaunched', frameworkId, containerId, container }),
      (err) => ({ name: '_HostLaunchFailed', frameworkId, containerId, message: err instanceof Error ? err.message : String(err) }),
    );
    return host;
  }

  private hostLaunched(frameworkId: string, containerId: string, container: Container): void {
    const host = this.hosts.get(frameworkId);
    if (!host || host.containerId !== containerId || host.state === 'TERMINATED') {
      void container.kill(0);
      return;
    }
    host.container = container;
    this.watch(container, (termination) => ({ name: '_HostTerminated', frameworkId, containerId, termination }));
  }

  private hostLaunchFailed(frameworkId: string, containerId: string, message: string): void {
    const host = this.hosts.get(frameworkId);
    if (!host || host.containerId !== containerId) return;
    this.c.containerLaunchErrors++;
    this.hostGone(host, `Failed to launch the executor host: ${message}`, 'REASON_CONTAINER_LAUNCH_FAILED');
  }

  private registerExecutorHost(m: RegisterExecutorHost, from: Pid | ''): void {
    if (from === '') return this.dropped(m.name, from, 'no sender');
    const host = this.hosts.get(m.framework_id.value);
    if (!host || host.state !== 'LAUNCHING') {
      // A host from before an agent restart: its executors reconnect one by one; it is not
      // used for new tasks, so it is left alone rather than shut down.
      return this.dropped(m.name, from, 'no executor host is being launched for this framework');
    }
    host.state = 'RUNNING';
    host.pid = from;
    host.cancelRegistrationTimer?.();
    host.cancelRegistrationTimer = undefined;
    this.hostPids.set(from, host.frameworkId);
    this.link(from);
    const waiting = host.waiting.splice(0);
    for (const e of waiting) if (e.state === 'REGISTERING') this.launchOnHost(host, e);
  }

  private launchOnHost(host: ExecutorHost, e: ExecutorState): void {
    e.hostContainerId = host.containerId;
    e.hostOsPid = host.container?.pid;
    this.send(host.pid!, {
      name: 'LaunchExecutor',
      framework_id: { value: host.frameworkId },
      agent_id: { value: this.agentId! },
      executor_info: e.info,
      directory: e.directory,
    });
    const osPid = e.hostOsPid;
    // The host's OS pid stands for the command executor's process: after an agent restart,
    // the executor is alive as long as its host is.
    if (e.checkpoint && osPid !== undefined) this.persist('executor run', () => ckpt.checkpointExecutorRun(this.config.workDir, this.runRef(e), { pid: osPid }, this.fsync()));
  }

  private hostRegistrationTimeout(frameworkId: string, containerId: string): void {
    const host = this.hosts.get(frameworkId);
    if (!host || host.containerId !== containerId || host.state !== 'LAUNCHING') return;
    this.log.warn({ framework_id: frameworkId }, 'executor host did not register in time; destroying it');
    if (host.container) void host.container.kill(0);
    this.hostGone(host, 'The executor host did not register in time', 'REASON_EXECUTOR_REGISTRATION_TIMEOUT');
  }

  private hostTerminated(frameworkId: string, containerId: string, status: string): void {
    const host = this.hosts.get(frameworkId);
    if (!host || host.containerId !== containerId) return;
    this.hostGone(host, `The executor host terminated: ${status}`, undefined);
  }

  /** The host is gone: so is every command executor it ran or was about to run. */
  private hostGone(host: ExecutorHost, why: string, reason: TaskStatusReason | undefined): void {
    host.state = 'TERMINATED';
    host.cancelRegistrationTimer?.();
    host.cancelShutdownTimer?.();
    if (this.hosts.get(host.frameworkId) === host) this.hosts.delete(host.frameworkId);
    if (host.pid) this.hostPids.delete(host.pid);
    const f = this.frameworks.get(host.frameworkId);
    const affected = new Set(host.waiting.splice(0));
    for (const e of f?.executors.values() ?? []) if (e.kind === 'command' && e.hostContainerId === host.containerId) affected.add(e);
    for (const e of affected) this.executorTerminated(e, why, undefined, reason);
    if (this.stateName === 'TERMINATING') this.maybeFinishShutdown();
  }

  private shutdownHost(frameworkId: string): void {
    const host = this.hosts.get(frameworkId);
    if (!host || host.state === 'TERMINATED') return;
    if (host.pid) {
      this.send(host.pid, { name: 'ShutdownExecutorHost', framework_id: { value: frameworkId } });
      host.cancelShutdownTimer = this.delay(this.config.executorShutdownGracePeriodMs, { name: '_HostShutdownTimeout', frameworkId, containerId: host.containerId });
    } else if (host.container) void host.container.kill(0);
    else this.hostGone(host, 'The framework is shutting down', undefined);
  }

  private hostShutdownTimeout(frameworkId: string, containerId: string): void {
    const host = this.hosts.get(frameworkId);
    if (!host || host.containerId !== containerId) return;
    if (host.container) void host.container.kill(0);
    else this.hostGone(host, 'The executor host did not shut down in time', undefined);
  }

  // ------------------------------------------------------------------ executor termination

  private executorTerminated(e: ExecutorState, why: string, status: number | undefined, reasonOverride?: TaskStatusReason): void {
    if (e.state === 'TERMINATED') return;
    e.state = 'TERMINATED';
    e.exitStatus = status;
    e.cancelRegistrationTimer?.();
    e.cancelShutdownTimer?.();
    if (e.pid) this.executorPids.delete(e.pid);
    this.c.executorsTerminated++;
    const f = this.frameworks.get(e.frameworkId);
    if (!f) return;
    if (f.state === 'RUNNING' && this.stateName !== 'TERMINATING') {
      const reason = reasonOverride ?? e.terminationReason ?? 'REASON_EXECUTOR_TERMINATED';
      const state: TaskState = reason === 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT' ? this.partitionState('TASK_GONE', f) : 'TASK_FAILED';
      const unfinished = [...e.queuedTasks.values()].map((t) => t.task_id).concat([...e.launchedTasks.values()].map((t) => t.task_id));
      for (const taskId of unfinished) this.agentUpdate(f.id, f, e, taskId, state, reason, why);
      // The master keeps custom executors only; command executors are the agent's business.
      if (e.kind === 'custom' && this.agentId !== undefined) {
        this.send(this.masterPid, { name: 'ExitedExecutor', agent_id: { value: this.agentId }, framework_id: { value: f.id }, executor_id: e.info.executor_id, status: status ?? -1 });
      }
    }
    if (e.checkpoint) this.persist('executor sentinel', () => ckpt.markExecutorRunCompleted(this.config.workDir, this.runRef(e), this.fsync()));
    if (f.state === 'TERMINATING' || this.stateName === 'TERMINATING' || e.incompleteTasks === 0) this.removeExecutor(f, e);
  }

  private removeExecutor(f: FrameworkState, e: ExecutorState): void {
    if (f.executors.get(e.id) !== e) return;
    // Tasks of a framework being shut down are forgotten, as Mesos's agent does.
    for (const t of e.queuedTasks.keys()) e.queuedTasks.delete(t);
    for (const t of [...e.launchedTasks.values(), ...e.terminatedTasks.values()]) {
      e.completedTasks.push(t);
    }
    e.launchedTasks.clear();
    e.terminatedTasks.clear();
    f.archiveExecutor(e);
    if (f.executors.size === 0) this.removeFramework(f);
  }

  private removeFramework(f: FrameworkState): void {
    this.frameworks.delete(f.id);
    this.updates.cleanup(f.id);
    this.completedFrameworks.push(f);
    if (this.completedFrameworks.length > MAX_COMPLETED_FRAMEWORKS) this.completedFrameworks.shift();
    if (f.checkpoint && f.state === 'TERMINATING') this.persist('remove framework', () => ckpt.removeFramework(this.config.workDir, { agentId: this.agentId!, frameworkId: f.id }));
    if (this.stateName === 'TERMINATING') this.maybeFinishShutdown();
  }

  private maybeFinishShutdown(): void {
    if (this.frameworks.size === 0 && this.hosts.size === 0) this.finishShutdown('every executor has terminated');
  }

  // ------------------------------------------------------------------ framework lifecycle

  private shutdownFramework(m: ShutdownFramework, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    const f = this.frameworks.get(m.framework_id.value);
    this.log.info({ framework_id: m.framework_id.value }, 'shutting down framework');
    if (f) this.shutdownFrameworkNow(f);
    this.shutdownHost(m.framework_id.value);
  }

  private shutdownFrameworkNow(f: FrameworkState): void {
    f.state = 'TERMINATING';
    for (const e of [...f.executors.values()]) this.beginExecutorShutdown(e);
    if (f.executors.size === 0 && this.frameworks.get(f.id) === f) this.removeFramework(f);
  }

  /** ShutdownExecutor to the executor, then its container is destroyed after the grace period. */
  private beginExecutorShutdown(e: ExecutorState): void {
    if (e.state === 'TERMINATING' || e.state === 'TERMINATED') return;
    if (!e.pid) return this.destroyExecutor(e, 'Shut down before it registered');
    e.state = 'TERMINATING';
    this.send(e.pid, { name: 'ShutdownExecutor' } satisfies ShutdownExecutor);
    const nanos = e.info.shutdown_grace_period?.nanoseconds;
    const grace = nanos !== undefined ? nanos / 1e6 : this.config.executorShutdownGracePeriodMs;
    e.cancelShutdownTimer = this.delay(grace, { name: '_ExecutorShutdownTimeout', ...this.key(e) });
  }

  private executorShutdownTimeout(k: ExecutorKey): void {
    const e = this.executor(k);
    if (!e || e.state === 'TERMINATED') return;
    this.log.warn({ framework_id: k.frameworkId, executor_id: k.executorId }, 'executor did not shut down in time; destroying it');
    if (e.kind === 'custom' && e.container) void e.container.kill(0);
    else this.executorTerminated(e, 'Executor did not shut down in time', undefined);
  }

  /** M→A ShutdownExecutor with ids (the v1 SHUTDOWN call). */
  private shutdownExecutor(m: ShutdownExecutor, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    if (!m.framework_id || !m.executor_id) return this.dropped(m.name, from, 'needs framework_id and executor_id');
    const f = this.frameworks.get(m.framework_id.value);
    const e = f?.executors.get(m.executor_id.value);
    if (!f || !e) return this.dropped(m.name, from, 'unknown executor');
    this.beginExecutorShutdown(e);
  }

  private updateFramework(m: UpdateFramework, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    const f = this.frameworks.get(m.framework_id.value);
    if (!f) return;
    // checkpoint is immutable for a framework (Mesos keeps the old value).
    f.info = { ...m.framework_info, checkpoint: f.checkpoint };
    f.pid = m.pid;
    if (f.checkpoint) {
      const info = f.info;
      this.persist('framework', () => ckpt.checkpointFramework(this.config.workDir, { agentId: this.agentId!, frameworkId: f.id }, toJson(info), m.pid, this.fsync()));
    }
    // The framework (re)subscribed: deliver what waited for it now, not at the next retry.
    this.updates.flush(f.id);
  }

  private frameworkToExecutor(m: FrameworkToExecutor, from: Pid | ''): void {
    const e = this.frameworks.get(m.framework_id.value)?.executors.get(m.executor_id.value);
    if (!e || e.state !== 'RUNNING' || !e.pid) {
      this.c.invalidFrameworkMessages++;
      return this.dropped(m.name, from, 'executor is not running');
    }
    this.c.validFrameworkMessages++;
    this.send(e.pid, m);
  }

  private executorToFramework(m: ExecutorToFramework, from: Pid | ''): void {
    const f = this.frameworks.get(m.framework_id.value);
    if (!f) {
      this.c.invalidFrameworkMessages++;
      return this.dropped(m.name, from, 'unknown framework');
    }
    this.c.validFrameworkMessages++;
    const out: ExecutorToFramework = { ...m, agent_id: { value: this.agentId ?? m.agent_id.value } };
    // HTTP frameworks have no pid: the master relays.
    this.send(f.pid !== '' ? (f.pid as Pid) : this.masterPid, out);
  }

  // ------------------------------------------------------------------ status updates

  private statusUpdate(m: StatusUpdate, from: Pid | ''): void {
    const update = m.update;
    const status = update.status;
    const uuid = update.uuid ?? status.uuid;
    this.log.info({ framework: update.framework_id.value, task: status.task_id.value }, `Handling status update ${status.state} for task ${status.task_id.value} of framework ${update.framework_id.value}`);
    if (uuid === undefined || uuid.length === 0) {
      this.c.invalidStatusUpdates++;
      return this.dropped(m.name, from, 'status update without a uuid');
    }
    if (this.agentId !== undefined && update.agent_id !== undefined && update.agent_id.value !== this.agentId) {
      this.c.invalidStatusUpdates++;
      return this.dropped(m.name, from, `status update for agent ${update.agent_id.value}`);
    }
    const f = this.frameworks.get(update.framework_id.value);
    if (!f) {
      this.c.invalidStatusUpdates++;
      return this.dropped(m.name, from, 'status update of an unknown framework');
    }
    const e = f.executorOfTask(status.task_id.value);
    if (status.state === 'TASK_STAGING') {
      // Only agents and masters put tasks in STAGING; an executor that does is broken.
      this.c.invalidStatusUpdates++;
      this.log.error({ executor: from, task_id: status.task_id.value }, 'executor sent TASK_STAGING; shutting it down');
      if (e) this.beginExecutorShutdown(e);
      return;
    }
    const normalized: TaskStatusUpdate = {
      ...update,
      uuid,
      agent_id: this.agentId !== undefined ? { value: this.agentId } : update.agent_id ?? { value: '' },
      status: {
        ...status,
        uuid,
        source: 'SOURCE_EXECUTOR',
        ...(this.agentId !== undefined ? { agent_id: { value: this.agentId } } : {}),
        ...(update.executor_id !== undefined && status.executor_id === undefined ? { executor_id: update.executor_id } : {}),
      },
    };
    this.acceptUpdate(normalized, f, e, from === '' ? undefined : from);
  }

  /** An update the agent itself generates: reliable, like the executor's, with source AGENT. */
  private agentUpdate(
    frameworkId: string,
    f: FrameworkState | undefined,
    e: ExecutorState | undefined,
    taskId: TaskID,
    state: TaskState,
    reason: TaskStatusReason,
    message: string,
  ): void {
    const uuid = newUuid();
    const timestamp = this.now() / 1000;
    const executorId = e && e.kind === 'custom' ? e.info.executor_id : undefined;
    const status = taskStatus({ task_id: taskId, state, source: 'SOURCE_AGENT', reason, message, timestamp, uuid, agent_id: this.agentId !== undefined ? { value: this.agentId } : undefined, executor_id: executorId });
    const update: TaskStatusUpdate = { framework_id: { value: frameworkId }, status, timestamp, uuid };
    if (executorId !== undefined) update.executor_id = executorId;
    if (this.agentId !== undefined) update.agent_id = { value: this.agentId };
    this.acceptUpdate(update, f, e, undefined);
  }

  private acceptUpdate(update: TaskStatusUpdate, f: FrameworkState | undefined, e: ExecutorState | undefined, ackTo: Pid | undefined): void {
    const taskId = update.status.task_id.value;
    if (this.updates.isDuplicate(update)) {
      // Received before: the executor did not see our acknowledgement; acknowledge again.
      if (ackTo) this.acknowledgeExecutor(ackTo, update);
      return;
    }
    if (e && !e.updateTaskState(update.status)) {
      this.c.invalidStatusUpdates++;
      this.log.warn({ task_id: taskId, state: update.status.state }, 'dropping a status update after the task\'s terminal one');
      if (ackTo) this.acknowledgeExecutor(ackTo, update);
      return;
    }
    if (isTerminalState(update.status.state)) this.c.terminalTasks.set(update.status.state, (this.c.terminalTasks.get(update.status.state) ?? 0) + 1);
    this.c.validStatusUpdates++;
    const checkpointed = e !== undefined && e.checkpoint && (f?.checkpoint ?? false);
    const stream = this.updates.receive(update, checkpointed);
    if (!checkpointed || !e) {
      this.updates.enqueue(stream, update);
      if (ackTo) this.acknowledgeExecutor(ackTo, update);
      return;
    }
    // Durable before anyone is told: the executor's acknowledgement promises delivery.
    const ref = this.taskRef(e, taskId);
    const record = toJson(update);
    const write = this.checkpointChain.then(() => ckpt.appendStatusUpdate(this.config.workDir, ref, record, this.fsync()));
    this.checkpointChain = write.catch(() => {});
    this.pipeToSelf(write, () => ({ name: '_UpdateCheckpointed', update, ackTo }), (err) => ({ name: '_CheckpointFailed', what: 'status update', error: String(err) }));
  }

  private updateCheckpointed(update: TaskStatusUpdate, ackTo: Pid | undefined): void {
    const stream = this.updates.get(update.framework_id.value, update.status.task_id.value);
    if (stream) this.updates.enqueue(stream, update);
    if (ackTo) this.acknowledgeExecutor(ackTo, update);
  }

  private acknowledgeExecutor(to: Pid, update: TaskStatusUpdate): void {
    this.send(to, {
      name: 'StatusUpdateAcknowledgement',
      agent_id: { value: this.agentId ?? '' },
      framework_id: update.framework_id,
      task_id: update.status.task_id,
      uuid: update.uuid ?? update.status.uuid ?? new Uint8Array(),
    } satisfies StatusUpdateAcknowledgement);
  }

  private statusUpdateAcknowledgement(m: StatusUpdateAcknowledgement, from: Pid | ''): void {
    if (!this.fromMaster(from, m.name)) return;
    const fid = m.framework_id.value;
    const taskId = m.task_id.value;
    const uuid = uuidToString(m.uuid);
    const acked = this.updates.acknowledge(fid, taskId, uuid);
    if (!acked) return this.log.debug({ task_id: taskId, uuid }, 'ignoring an acknowledgement that does not match the pending update');
    const f = this.frameworks.get(fid);
    const e = f?.executorOfTask(taskId);
    if (e && e.checkpoint && f?.checkpoint) {
      const ref = this.taskRef(e, taskId);
      this.persist('status acknowledgement', () => ckpt.appendStatusAcknowledgement(this.config.workDir, ref, uuid, this.fsync()));
    }
    if (!isTerminalState(acked.status.state) || !f || !e) return;
    e.completeTask(taskId);
    if (e.state === 'TERMINATED' && e.incompleteTasks === 0) this.removeExecutor(f, e);
  }

  // ------------------------------------------------------------------ recovery

  /** Rebuilds frameworks, executors, tasks and update streams from the checkpoints. */
  private recover(state: ckpt.AgentCheckpoint): void {
    this.stateName = 'RECOVERING';
    this.agentId = state.agentId;
    for (const p of state.problems) {
      this.c.recoveryErrors++;
      this.log.warn({ path: p.path, kind: p.kind, detail: p.detail }, 'checkpoint problem during recovery');
    }
    const noLaunch: ExecutorState[] = [];
    for (const fc of state.frameworks) {
      if (!fc.info) continue;
      const f = new FrameworkState(fromJson<FrameworkInfo>(fc.info), fc.pid ?? '');
      for (const ec of fc.executors) {
        const run = ec.runs.find((r) => r.containerId === ec.latestRunId);
        if (!ec.info || !run || run.completed) continue;
        const generated = ec.info[GENERATED_MARK] === true;
        const { [GENERATED_MARK]: _mark, ...infoJson } = ec.info;
        const info = fromJson<ExecutorInfo>(infoJson);
        let directory: string;
        try {
          directory = sandboxPath(this.config.workDir, { agentId: this.agentId!, frameworkId: f.id, executorId: info.executor_id.value, containerId: run.containerId });
        } catch {
          continue;
        }
        const e = new ExecutorState(f.id, info, generated ? 'command' : 'custom', run.containerId, directory, true);
        e.recovered = true;
        f.executors.set(e.id, e);
        this.attachSandbox(e);
        for (const tc of run.tasks) this.recoverTask(f, e, tc);
        const key = this.key(e);
        if (run.pid !== undefined) {
          if (e.kind === 'command') e.hostOsPid = run.pid;
          this.pipeToSelf(
            this.containerizer.recover({ containerId: e.containerId, pid: run.pid, sandbox: directory }),
            (container) => ({ name: '_ContainerLaunched', ...key, container }),
            (err) => ({ name: '_ContainerLaunchFailed', ...key, message: `cannot re-attach: ${String(err)}` }),
          );
        } else noLaunch.push(e);
        if (run.libprocessPid !== undefined) {
          try {
            this.send(parsePid(run.libprocessPid), { name: 'ReconnectExecutor', agent_id: { value: this.agentId! } });
          } catch {
            this.c.recoveryErrors++;
          }
        }
      }
      if (f.executors.size > 0) this.frameworks.set(f.id, f);
    }
    // Never launched (the agent died between checkpointing the run and starting it).
    for (const e of noLaunch) this.executorTerminated(e, 'The executor was never launched', undefined);
    this.log.info({ agent_id: this.agentId, frameworks: this.frameworks.size }, 'recovered; waiting for executors to re-register');
    this.delay(this.config.executorReregistrationTimeoutMs, { name: '_ExecutorReregistrationTimeout' });
  }

  private recoverTask(f: FrameworkState, e: ExecutorState, tc: ckpt.TaskCheckpoint): void {
    if (!tc.info) return;
    const task = fromJson<Task>(tc.info);
    const records = tc.records.map((r) => (r.type === 'UPDATE' ? { type: 'UPDATE' as const, update: fromJson<TaskStatusUpdate>(r.update) } : r));
    const stream = this.updates.replay(f.id, tc.id, records);
    for (const r of records) {
      if (r.type !== 'UPDATE') continue;
      task.state = r.update.status.state;
      task.statuses.push(r.update.status);
    }
    if (!isTerminalState(task.state)) e.launchedTasks.set(tc.id, task);
    else if (stream) e.terminatedTasks.set(tc.id, task);
    else e.completedTasks.push(task);
  }

  private reregisterExecutor(m: ReregisterExecutor, from: Pid | ''): void {
    if (from === '') return this.dropped(m.name, from, 'no sender');
    const f = this.frameworks.get(m.framework_id.value);
    const e = f?.executors.get(m.executor_id.value);
    if (!f || !e || !e.recovered || e.state !== 'REGISTERING' || f.state === 'TERMINATING') {
      this.send(from, { name: 'ShutdownExecutor' } satisfies ShutdownExecutor);
      return;
    }
    e.recovered = false;
    e.state = 'RUNNING';
    e.pid = from;
    this.executorPids.set(from, { frameworkId: f.id, executorId: e.id });
    this.link(from);
    this.persist('executor pid', () => ckpt.checkpointExecutorRun(this.config.workDir, this.runRef(e), { libprocessPid: from }, this.fsync()));
    this.send(from, { name: 'ExecutorReregistered', agent_id: { value: this.agentId! }, agent_info: this.agentInfo() });
    // Updates the executor never saw acknowledged: duplicates are recognised by uuid.
    for (const update of m.updates) this.statusUpdate({ name: 'StatusUpdate', update, pid: from }, from);
    // A task still STAGING that the executor does not list never reached it (Mesos §3.2).
    const unacked = new Set(m.tasks.map((t) => t.task_id.value));
    for (const task of [...e.launchedTasks.values()]) {
      if (task.state === 'TASK_STAGING' && !unacked.has(task.task_id.value) && !this.updates.get(f.id, task.task_id.value)) {
        this.agentUpdate(f.id, f, e, task.task_id, this.partitionState('TASK_DROPPED', f), 'REASON_AGENT_RESTARTED', 'The task never reached the executor before the agent restarted');
      }
    }
  }

  private executorReregistrationTimeout(): void {
    for (const f of [...this.frameworks.values()]) {
      for (const e of [...f.executors.values()]) {
        if (!e.recovered || e.state !== 'REGISTERING') continue;
        e.terminationReason = 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT';
        this.log.warn({ framework_id: f.id, executor_id: e.id }, 'executor did not re-register after the restart; destroying it');
        e.recovered = false;
        e.state = 'TERMINATING';
        if (e.kind === 'custom' && e.container) void e.container.kill(0);
        else this.executorTerminated(e, 'Executor did not re-register after the agent restarted', undefined);
      }
    }
    if (this.stateName !== 'RECOVERING') return;
    // Mesos registers only now, with whatever survived (MESOS-7539).
    this.stateName = 'DISCONNECTED';
    this.startRegistration();
  }

  // ------------------------------------------------------------------ helpers

  private reregisterMessage(): ReregisterAgent {
    const tasks: Task[] = [];
    const executorInfos: ExecutorInfo[] = [];
    const frameworks: FrameworkInfo[] = [];
    for (const f of this.frameworks.values()) {
      frameworks.push(f.info);
      for (const e of f.executors.values()) {
        if (e.kind === 'custom') executorInfos.push(e.info);
        for (const t of e.queuedTasks.values()) tasks.push(newTask(t, f.id, 'TASK_STAGING', e.kind === 'command' ? undefined : e.id));
        for (const t of [...e.launchedTasks.values(), ...e.terminatedTasks.values()]) {
          const head = this.updates.get(f.id, t.task_id.value)?.head;
          const copy: Task = { ...t };
          if (head) {
            copy.status_update_state = head.status.state;
            if (head.uuid !== undefined) copy.status_update_uuid = head.uuid;
          }
          tasks.push(copy);
        }
      }
    }
    return {
      name: 'ReregisterAgent',
      agent: this.agentInfo(),
      version: AGENT_VERSION,
      agent_capabilities: AGENT_CAPABILITIES,
      executor_infos: executorInfos,
      tasks,
      frameworks,
      completed_frameworks: [],
    };
  }

  agentInfo(): AgentInfo {
    const info: AgentInfo = {
      hostname: this.config.hostname,
      port: Number(pidAddress(this.self).split(':').pop()),
      resources: this.config.resources.toJSON(),
      attributes: this.config.attributes,
      checkpoint: true,
    };
    if (this.agentId !== undefined) info.id = { value: this.agentId };
    return info;
  }

  private partitionState(state: TaskState, f: FrameworkState | undefined): TaskState {
    return stateForFramework(state, f !== undefined && hasCapability(f.info, 'PARTITION_AWARE'));
  }

  private fromMaster(from: Pid | '', name: string): boolean {
    if (from === this.masterPid) return true;
    this.dropped(name, from, `not from the master (${this.masterPid})`);
    return false;
  }

  private dropped(name: string, from: Pid | '', why: string): void {
    this.c.droppedMessages++;
    this.log.warn({ message: name, from, why }, 'dropping message');
  }

  private executor(k: ExecutorKey): ExecutorState | undefined {
    const e = this.frameworks.get(k.frameworkId)?.executors.get(k.executorId);
    return e && e.containerId === k.containerId ? e : undefined;
  }

  private key(e: ExecutorState): ExecutorKey {
    return { frameworkId: e.frameworkId, executorId: e.id, containerId: e.containerId };
  }

  private executorRef(e: ExecutorState): ckpt.ExecutorRef {
    return { agentId: this.agentId!, frameworkId: e.frameworkId, executorId: e.id };
  }

  private runRef(e: ExecutorState): ckpt.RunRef {
    return { ...this.executorRef(e), containerId: e.containerId };
  }

  private taskRef(e: ExecutorState, taskId: string): ckpt.TaskRef {
    return { ...this.runRef(e), taskId };
  }

  private attachSandbox(e: ExecutorState): void {
    // Mesos attaches the real directory and a stable virtual path to the latest run.
    this.files.attach(e.directory, e.directory);
    this.files.attach(`/frameworks/${e.frameworkId}/executors/${e.id}/runs/latest`, e.directory);
  }

  private fsync(): ckpt.CheckpointOptions {
    return { fsync: this.config.checkpointFsync };
  }

  /**
   * Brings a container's end back into the actor. Not pipeToSelf: a container may live for
   * days, and pipeToSelf counts as work in progress, so settle() would never see quiet.
   */
  private watch(container: Container, done: (t: Termination) => In): void {
    const self = this.self;
    const runtime = this.runtime;
    const deliver = (t: Termination): void => {
      if (runtime.isAlive(self)) runtime.send(self, self, done(t));
    };
    container.wait().then(deliver, (err: unknown) => deliver({ exitCode: null, signal: null, status: `unknown (${String(err)})` }));
  }

  /** Checkpoint writes go one after another, in the order the agent decided them. */
  private persist(what: string, write: () => Promise<void>): void {
    const p = this.checkpointChain.then(write);
    this.checkpointChain = p.catch(() => {});
    this.pipeToSelf(p, () => ({ name: '_CheckpointDone' }), (err) => ({ name: '_CheckpointFailed', what, error: String(err) }));
  }

  private checkpointFailed(what: string, error: string): void {
    // Mesos treats a failed checkpoint as fatal; an agent that cannot write its work_dir
    // cannot promise recovery, but running tasks are still better served by staying up.
    this.log.error({ what, error }, 'checkpoint write failed');
  }

  // ------------------------------------------------------------------ HTTP and metrics

  private installRoutes(): void {
    this.route('/state', (req) => jsonResponse(req, this.stateView()));
    this.route('/state.json', (req) => jsonResponse(req, this.stateView()));
    this.route('/flags', (req) => jsonResponse(req, { flags: this.config.flags }));
    this.route('/health', () => ({ status: 200, body: '' }));
    this.route('/files/browse', async (req) => filesResponse(req, await browse(this.files, filesQuery(req.query))));
    this.route('/files/read', async (req) => filesResponse(req, await read(this.files, filesQuery(req.query))));
    this.route('/files/read.json', async (req) => filesResponse(req, await read(this.files, filesQuery(req.query))));
    this.route('/files/download', async (req) => filesResponse(req, await download(this.files, filesQuery(req.query))));
    this.route('/monitor/statistics', async (req) => jsonResponse(req, await this.statistics()));
  }

  private stateView(): Record<string, unknown> {
    return stateJson({
      version: AGENT_VERSION,
      startTime: this.startTime,
      agentId: this.agentId,
      pid: this.self,
      hostname: this.config.hostname,
      port: this.agentInfo().port ?? 0,
      resources: this.config.resources,
      attributes: this.config.attributes,
      masterHostname: this.stateName === 'RUNNING' ? pidAddress(this.masterPid).split(':')[0] : undefined,
      frameworks: this.frameworks.values(),
      completedFrameworks: this.completedFrameworks,
      flags: this.config.flags,
    });
  }

  private async statistics(): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const f of this.frameworks.values()) {
      for (const e of f.executors.values()) {
        if (!e.container) continue;
        const usage = await this.containerizer.usage(e.containerId).catch(() => undefined);
        if (usage) out.push({ framework_id: f.id, executor_id: e.id, executor_name: e.info.name ?? '', source: e.info.source ?? '', statistics: usage });
      }
    }
    return out;
  }

  private installMetrics(): void {
    const m = this.runtime.metrics;
    const executors = (): ExecutorState[] => [...this.frameworks.values()].flatMap((f) => [...f.executors.values()]);
    const tasksIn = (state: TaskState): number => {
      let n = 0;
      for (const e of executors()) {
        if (state === 'TASK_STAGING') n += e.queuedTasks.size;
        for (const t of e.launchedTasks.values()) if (t.state === state) n++;
      }
      return n;
    };
    const used = (): Resources => executors().reduce((r, e) => (e.state === 'TERMINATED' ? r : r.add(e.resources())), Resources.EMPTY);
    m.gaugeGroup('slave', () => {
      const total = this.config.resources;
      const u = used();
      const out: Record<string, number> = {
        'slave/registered': this.stateName === 'RUNNING' ? 1 : 0,
        'slave/uptime_secs': (this.now() - this.startTime) / 1000,
        'slave/frameworks_active': this.frameworks.size,
        'slave/tasks_staging': tasksIn('TASK_STAGING'),
        'slave/tasks_starting': tasksIn('TASK_STARTING'),
        'slave/tasks_running': tasksIn('TASK_RUNNING'),
        'slave/tasks_killing': tasksIn('TASK_KILLING'),
        'slave/executors_registering': executors().filter((e) => e.state === 'REGISTERING').length,
        'slave/executors_running': executors().filter((e) => e.state === 'RUNNING').length,
        'slave/executors_terminating': executors().filter((e) => e.state === 'TERMINATING').length,
        'slave/executors_terminated': this.c.executorsTerminated,
        'slave/valid_status_updates': this.c.validStatusUpdates,
        'slave/invalid_status_updates': this.c.invalidStatusUpdates,
        'slave/valid_framework_messages': this.c.validFrameworkMessages,
        'slave/invalid_framework_messages': this.c.invalidFrameworkMessages,
        'slave/container_launch_errors': this.c.containerLaunchErrors,
        'slave/recovery_errors': this.c.recoveryErrors,
        'slave/dropped_messages': this.c.droppedMessages,
      };
      for (const s of ['FINISHED', 'FAILED', 'KILLED', 'LOST', 'ERROR', 'DROPPED', 'GONE', 'GONE_BY_OPERATOR'] as const) {
        out[`slave/tasks_${s.toLowerCase()}`] = this.c.terminalTasks.get(`TASK_${s}`) ?? 0;
      }
      for (const r of ['cpus', 'mem', 'disk', 'gpus']) {
        const t = total.scalar(r);
        const x = u.scalar(r);
        out[`slave/${r}_total`] = t;
        out[`slave/${r}_used`] = x;
        out[`slave/${r}_percent`] = t > 0 ? x / t : 0;
      }
      return out;
    });
  }
}

/** Only the ids of an internal message: spreading the message itself would carry its name along. */
function keyOf(m: ExecutorKey): ExecutorKey {
  return { frameworkId: m.frameworkId, executorId: m.executorId, containerId: m.containerId };
}

const AGENT_CAPABILITIES = [{ type: 'MULTI_ROLE' as const }, { type: 'HIERARCHICAL_ROLE' as const }, { type: 'RESERVATION_REFINEMENT' as const }];

/** CommandInfo → what the containerizer runs (shell by default, as Mesos). */
export function commandSpec(c: CommandInfo): CommandSpec {
  const spec: CommandSpec = { shell: c.shell ?? true, value: c.value ?? '' };
  if (c.arguments !== undefined) spec.arguments = c.arguments;
  return spec;
}

function commandEnvironment(c: CommandInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of c.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
  return env;
}

/** A wait status as Mesos reports it in ExitedExecutor: code << 8, or the signal number. */
function waitStatus(t: Termination): number | undefined {
  if (t.exitCode !== null) return t.exitCode << 8;
  if (t.signal !== null) return osConstants.signals[t.signal] ?? undefined;
  return undefined;
}

const BYTES_FIELDS = new Set(['uuid', 'data', 'status_update_uuid']);

/** A protocol object as checkpoint JSON: bytes fields as base64, as Mesos's JSON has them. */
export function toJson(v: unknown): ckpt.Json {
  return JSON.parse(JSON.stringify(v, jsonReplacer)) as ckpt.Json;
}

/** The inverse of toJson for the protocol's shapes (every bytes field is named uuid or data). */
export function fromJson<T>(v: ckpt.Json): T {
  return JSON.parse(JSON.stringify(v), (k, x: unknown) => (BYTES_FIELDS.has(k) && typeof x === 'string' ? bytesFromBase64(x) : x)) as T;
}

