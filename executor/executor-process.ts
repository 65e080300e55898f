// The actor inside an executor driver (Mesos's ExecutorProcess): registers with its agent, turns
// the agent's messages into Executor callbacks one at a time, keeps status updates until they
// are acknowledged, and re-registers with a restarted agent that recovered it.

import { Actor, ValidationError, type Handlers, type Pid } from '../runtime/index.js';
import {
  isTerminalState,
  newUuid,
  uuidToString,
  type AgentID,
  type AgentInbox,
  type ExecutorID,
  type ExecutorInbox,
  type ExecutorRegistered,
  type ExecutorReregistered,
  type FrameworkID,
  type FrameworkToExecutor,
  type KillTask,
  type ReconnectExecutor,
  type RunTask,
  type RunTaskGroup,
  type StatusUpdateAcknowledgement,
  type TaskInfo,
  type TaskStatus,
  type TaskStatusUpdate,
} from '../protocol/index.js';
import { CallbackQueue, type CallbackOutcome } from '../driver/index.js';
import type { Executor, ExecutorDriver } from './executor.js';

type Internal =
  | CallbackOutcome
  | { name: '_AgentExited' } // the link to the agent broke
  | { name: '_RecoveryTimeout' } // a disconnected agent did not recover this executor in time
  | { name: '_AgentCheck' }; // time to look whether the agent's process still runs

/** Armed while a checkpointing executor waits for its agent to come back; cancelled on (re)registration. */
const RECOVERY_TIMER = 'recovery';
/** While an executor that does not checkpoint waits out a lost link to a live agent. */
const AGENT_CHECK_TIMER = 'agent-check';
const AGENT_CHECK_MS = 1000;

export interface ExecutorProcessConfig {
  frameworkId: FrameworkID;
  executorId: ExecutorID;
  agentId: AgentID;
  agentPid: Pid<AgentInbox>;
  checkpoint: boolean;
  recoveryTimeoutMs: number;
  /**
   * Whether the agent's process still runs, where the executor can tell (the executor host is
   * the agent's child). A lost link to a live agent is a lost connection, not a dead agent: the
   * executor waits for ReconnectExecutor instead of shutting down.
   */
  agentAlive?: (() => boolean) | undefined;
  /** The process aborted itself (a throwing callback, a misuse). */
  onAbort: () => void;
  /** Shutdown finished (ShutdownExecutor, or the agent is gone for good): the driver stops. */
  onShutdown: () => void;
}

export class ExecutorProcess extends Actor<ExecutorInbox | Internal> {
  private agentPid: Pid<AgentInbox>;
  private agentId: AgentID;
  private connected = false;
  private aborted = false;
  private shuttingDown = false;
  /** Launched tasks with no acknowledged update yet, resent on re-registration (as Mesos). */
  private readonly tasks = new Map<string, TaskInfo>();
  private readonly updates = new Map<string, TaskStatusUpdate>();
  /**
   * Per task, what sends its updates when the executor calls the driver from outside a handler
   * (a child process's exit, a promise): caused by the last RunTask or KillTask of that task.
   */
  private readonly taskSenders = new Map<string, (update: TaskStatusUpdate) => void>();
  private readonly callbacks: CallbackQueue;

  protected readonly handlers: Handlers<ExecutorInbox | Internal> = {
    ExecutorRegistered: (m, from) => this.registered(m, from),
    ExecutorReregistered: (m, from) => this.reregistered(m, from),
    ReconnectExecutor: (m, from) => this.reconnect(m, from),
    RunTask: (m, from) => this.runTask(m, from),
    RunTaskGroup: (m, from) => this.runTaskGroup(m, from),
    KillTask: (m, from) => this.killTask(m, from),
    StatusUpdateAcknowledgement: (m, from) => this.acknowledgement(m, from),
    FrameworkToExecutor: (m, from) => this.frameworkMessage(m, from),
    ShutdownExecutor: (_m, from) => this.shutdownRequested(from),
    _CallbackDone: () => this.callbacks.settled(true),
    _CallbackFailed: (m) => this.callbacks.settled(false, m.error),
    _AgentExited: () => this.agentExited(),
    _RecoveryTimeout: () => this.recoveryTimeout(),
    _AgentCheck: () => this.agentCheck(),
  };

  constructor(
    private readonly driver: ExecutorDriver,
    private readonly executor: Executor,
    private readonly config: ExecutorProcessConfig,
  ) {
    super();
    this.agentPid = config.agentPid;
    this.agentId = config.agentId;
    this.callbacks = new CallbackQueue({
      reentry: () => this.callback((outcome: CallbackOutcome): Internal => outcome),
      failed: (name, error) => this.userError(name, error),
      closed: () => this.aborted,
    });
  }

  override initialize(): void {
    this.linkWith(this.agentPid, { name: '_AgentExited' });
    // Sent once, as Mesos: the agent's registration timeout covers a lost message.
    this.send(this.agentPid, {
      name: 'RegisterExecutor',
      framework_id: this.config.frameworkId,
      executor_id: this.config.executorId,
    });
  }

  private agentExited(): void {
    if (this.aborted || this.shuttingDown) return;
    // A checkpointing framework's executor outlives its agent: a restarted agent recovers it
    // and sends ReconnectExecutor. So does any executor whose agent is known to be alive (the
    // connection broke, the agent did not). Otherwise, or if never registered, shut down (Mesos does too).
    const agentAlive = this.config.agentAlive?.() === true;
    if (this.connected && (this.config.checkpoint || agentAlive)) {
      this.connected = false;
      this.log.info({ agent: this.agentPid, timeoutMs: this.config.recoveryTimeoutMs, agentAlive }, 'lost the agent; waiting for it to reconnect this executor');
      this.startTimer(RECOVERY_TIMER, this.config.recoveryTimeoutMs, { name: '_RecoveryTimeout' });
      if (!this.config.checkpoint) this.startTimer(AGENT_CHECK_TIMER, AGENT_CHECK_MS, { name: '_AgentCheck' });
      this.callbacks.push('disconnected', () => this.executor.disconnected(this.driver));
      return;
    }
    this.connected = false;
    this.log.info({ agent: this.agentPid }, 'agent exited; shutting down');
    this.shutdown();
  }

  /** Waiting without checkpointing: once the agent's process is gone, nothing will recover this executor. */
  private agentCheck(): void {
    if (this.connected || this.aborted || this.shuttingDown) return;
    if (this.config.agentAlive?.() === true) return this.startTimer(AGENT_CHECK_TIMER, AGENT_CHECK_MS, { name: '_AgentCheck' });
    this.log.info({ agent: this.agentPid }, 'agent exited; shutting down');
    this.shutdown();
  }

  private fromAgent(from: Pid | '', what: string): boolean {
    if (from === this.agentPid) return true;
    this.log.warn({ from, agent: this.agentPid }, `ignoring ${what} from a pid that is not the agent`);
    return false;
  }

  private registered(m: ExecutorRegistered, from: Pid | ''): void {
    if (this.aborted || !this.fromAgent(from, 'ExecutorRegistered')) return;
    this.connected = true;
    this.cancelTimer(RECOVERY_TIMER);
    this.agentId = m.agent_id;
    this.callbacks.push('registered', () => this.executor.registered(this.driver, m.executor_info, m.framework_info, m.agent_info));
  }

  private reregistered(m: ExecutorReregistered, from: Pid | ''): void {
    if (this.aborted || !this.fromAgent(from, 'ExecutorReregistered')) return;
    if (m.agent_id.value !== this.agentId.value) {
      this.log.warn({ expected: this.agentId.value, got: m.agent_id.value }, 'ignoring re-registration from another agent');
      return;
    }
    this.connected = true;
    this.cancelTimer(RECOVERY_TIMER);
    this.cancelTimer(AGENT_CHECK_TIMER);
    this.callbacks.push('reregistered', () => this.executor.reregistered(this.driver, m.agent_info));
  }

  /** A restarted agent recovered this executor: answer with everything not yet acknowledged. */
  private reconnect(m: ReconnectExecutor, from: Pid | ''): void {
    if (this.aborted || from === '') return;
    if (m.agent_id.value !== this.agentId.value) {
      this.log.warn({ expected: this.agentId.value, got: m.agent_id.value }, 'ignoring ReconnectExecutor from another agent');
      return;
    }
    // Only an agent sends ReconnectExecutor: from now on its sender is this executor's agent,
    // and only its exit counts (a late one of the old agent must not shut this executor down).
    if (from !== this.agentPid) this.unlink(this.agentPid);
    const agent: Pid<AgentInbox> = from;
    this.agentPid = agent;
    this.linkWith(agent, { name: '_AgentExited' });
    this.send(agent, {
      name: 'ReregisterExecutor',
      framework_id: this.config.frameworkId,
      executor_id: this.config.executorId,
      tasks: [...this.tasks.values()],
      updates: [...this.updates.values()],
    });
  }

  private runTask(m: RunTask, from: Pid | ''): void {
    if (this.aborted || this.shuttingDown || !this.fromAgent(from, 'RunTask')) return;
    this.tasks.set(m.task.task_id.value, m.task);
    this.taskSenders.set(m.task.task_id.value, this.causal((update: TaskStatusUpdate) => this.sendUpdate(update)));
    this.callbacks.push('launchTask', () => this.executor.launchTask(this.driver, m.task));
  }

  private runTaskGroup(m: RunTaskGroup, from: Pid | ''): void {
    if (this.aborted || this.shuttingDown || !this.fromAgent(from, 'RunTaskGroup')) return;
    const tasks = m.task_group.tasks;
    for (const task of tasks) {
      this.tasks.set(task.task_id.value, task);
      this.taskSenders.set(task.task_id.value, this.causal((update: TaskStatusUpdate) => this.sendUpdate(update)));
    }
    const launchGroup = this.executor.launchTaskGroup;
    if (launchGroup) {
      this.callbacks.push('launchTaskGroup', () => launchGroup.call(this.executor, this.driver, m.task_group));
      return;
    }
    for (const task of tasks) {
      this.sendStatusUpdate({ task_id: task.task_id, state: 'TASK_FAILED', message: 'This executor does not run task groups (no launchTaskGroup)', timestamp: this.now() / 1000 });
    }
  }

  private killTask(m: KillTask, from: Pid | ''): void {
    if (this.aborted || !this.fromAgent(from, 'KillTask')) return;
    const policy = m.kill_policy;
    if (this.taskSenders.has(m.task_id.value)) this.taskSenders.set(m.task_id.value, this.causal((update: TaskStatusUpdate) => this.sendUpdate(update)));
    this.callbacks.push('killTask', () => (policy ? this.executor.killTask(this.driver, m.task_id, policy) : this.executor.killTask(this.driver, m.task_id)));
  }

  private acknowledgement(m: StatusUpdateAcknowledgement, from: Pid | ''): void {
    if (this.aborted || !this.fromAgent(from, 'StatusUpdateAcknowledgement')) return;
    const key = uuidToString(m.uuid);
    const update = this.updates.get(key);
    if (!update) {
      this.log.warn({ task: m.task_id.value, uuid: key }, 'acknowledgement for an unknown update');
      return;
    }
    this.updates.delete(key);
    this.tasks.delete(m.task_id.value);
    if (isTerminalState(update.status.state)) this.taskSenders.delete(m.task_id.value);
    const acknowledged = this.executor.acknowledged;
    if (acknowledged) this.callbacks.push('acknowledged', () => acknowledged.call(this.executor, this.driver, m.task_id, m.uuid));
  }

  private frameworkMessage(m: FrameworkToExecutor, from: Pid | ''): void {
    if (this.aborted || !this.fromAgent(from, 'FrameworkToExecutor')) return;
    this.callbacks.push('frameworkMessage', () => this.executor.frameworkMessage(this.driver, m.data));
  }

  private shutdownRequested(from: Pid | ''): void {
    if (this.aborted || !this.fromAgent(from, 'ShutdownExecutor')) return;
    this.shutdown();
  }

  private recoveryTimeout(): void {
    if (this.connected || this.aborted) return;
    this.log.info({ timeoutMs: this.config.recoveryTimeoutMs }, 'agent did not come back in time; shutting down');
    this.shutdown();
  }

  /** shutdown() once; when it returns (or resolves) the driver stops. */
  private shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.callbacks.push('shutdown', () => this.executor.shutdown(this.driver), { after: () => this.config.onShutdown() });
  }

  // ------------------------------------------------------------------ calls from the driver

  sendStatusUpdate(status: TaskStatus): void {
    if (status.state === 'TASK_STAGING') {
      // Executors must not send STAGING; Mesos's driver aborts on it, and so does this one.
      this.userError('sendStatusUpdate', new ValidationError('an executor must not send TASK_STAGING'));
      return;
    }
    const uuid = newUuid();
    const timestamp = this.now() / 1000;
    const full: TaskStatus = {
      ...status,
      uuid,
      timestamp: status.timestamp ?? timestamp,
      source: 'SOURCE_EXECUTOR',
      executor_id: this.config.executorId,
      agent_id: this.agentId,
    };
    const update: TaskStatusUpdate = {
      framework_id: this.config.frameworkId,
      executor_id: this.config.executorId,
      agent_id: this.agentId,
      status: full,
      timestamp,
      uuid,
    };
    // Kept until acknowledged; never retried by the driver (the agent's stream is reliable).
    this.updates.set(uuidToString(uuid), update);
    const send = this.taskSenders.get(status.task_id.value);
    if (send) send(update);
    else this.sendUpdate(update);
  }

  private sendUpdate(update: TaskStatusUpdate): void {
    this.send(this.agentPid, { name: 'StatusUpdate', update, pid: this.self });
  }

  sendFrameworkMessage(data: Uint8Array): void {
    this.send(this.agentPid, {
      name: 'ExecutorToFramework',
      agent_id: this.agentId,
      framework_id: this.config.frameworkId,
      executor_id: this.config.executorId,
      data,
    });
  }

  abort(): void {
    this.aborted = true;
  }

  private userError(callback: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const message = callback === 'sendStatusUpdate' ? `sendStatusUpdate: ${reason}` : `Executor callback ${callback} threw: ${reason}`;
    this.log.error({ err: error }, message);
    if (callback === 'error') return;
    this.config.onAbort();
    this.abort();
    this.callbacks.push('error', () => this.executor.error(this.driver, message), { evenIfClosed: true });
  }
}
