// The executor host: one long-lived process per (framework, agent) that runs every command
// executor of that framework on that agent as an actor, because a Node process per task costs
// too much CPU. mesos-ts only: Mesos starts one mesos-executor process per command task.

import { Actor, type Handlers, type Pid } from '../runtime/index.js';
import type { AgentInbox, ExecutorHostInbox, FrameworkID, LaunchExecutor } from '../protocol/index.js';
import { CommandExecutor } from './command-executor.js';
import { MesosExecutorDriver } from './driver.js';
import { ShellLauncher, type Launcher } from './launcher.js';

type Internal =
  | { name: '_ExecutorDone'; executor_id: string } // a hosted executor's driver stopped
  | { name: '_AgentExited' }; // the link to the agent broke

export interface ExecutorHostOptions {
  frameworkId: FrameworkID;
  agentPid: Pid<AgentInbox>;
  checkpoint: boolean;
  recoveryTimeoutMs: number;
  shutdownGracePeriodMs: number;
  /** Starts the tasks' processes; default one shared /bin/sh (ShellLauncher), far cheaper than forking Node per task. */
  launcher?: Launcher;
  /** Whether the agent's process still runs (the host is its child): a lost link to it is then only a lost connection. */
  agentAlive?: () => boolean;
}

interface Hosted {
  driver: MesosExecutorDriver;
  executor: CommandExecutor;
}

export class ExecutorHost extends Actor<ExecutorHostInbox | Internal> {
  private readonly executors = new Map<string, Hosted>();
  private closing = false;
  private resolveDone!: () => void;
  /** Resolves once the host has nothing left to run and should exit. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  protected readonly handlers: Handlers<ExecutorHostInbox | Internal> = {
    LaunchExecutor: (m, from) => this.launchExecutor(m, from),
    ShutdownExecutorHost: (_m, from) => this.shutdownRequested(from),
    _ExecutorDone: (m) => this.executorDone(m.executor_id),
    _AgentExited: () => this.agentExited(),
  };

  private readonly launcher: Launcher;

  constructor(private readonly options: ExecutorHostOptions) {
    super();
    this.launcher = options.launcher ?? new ShellLauncher();
  }

  override finalize(): void {
    if (!this.options.launcher) this.launcher.close();
  }

  override initialize(): void {
    this.linkWith(this.options.agentPid, { name: '_AgentExited' });
    this.send(this.options.agentPid, { name: 'RegisterExecutorHost', framework_id: this.options.frameworkId });
  }

  /**
   * The agent is gone, or only the connection to it. Each hosted executor saw it too (they link
   * to the agent themselves) and either shuts down or, for a checkpointing framework or a live
   * agent, waits for the agent to reconnect it. The host takes no new executors (the agent
   * starts a new host for them) and exits once none is left.
   */
  private agentExited(): void {
    this.closing = true;
    this.finishIfIdle();
  }

  private launchExecutor(m: LaunchExecutor, from: Pid | ''): void {
    if (from !== this.options.agentPid) {
      this.log.warn({ from }, 'ignoring LaunchExecutor from a pid that is not the agent');
      return;
    }
    const id = m.executor_info.executor_id.value;
    if (this.closing || this.executors.has(id)) {
      this.log.warn({ executor: id, closing: this.closing }, 'ignoring LaunchExecutor');
      return;
    }
    const executor = new CommandExecutor({
      directory: m.directory,
      ...(m.container ? { container: m.container } : {}),
      shutdownGracePeriodMs: this.options.shutdownGracePeriodMs,
      launcher: this.launcher,
    });
    const driver = new MesosExecutorDriver(executor, {
      runtime: this.runtime,
      env: {},
      frameworkId: m.framework_id.value,
      executorId: id,
      agentId: m.agent_id.value,
      agentPid: from,
      directory: m.directory,
      checkpoint: this.options.checkpoint,
      recoveryTimeoutMs: this.options.recoveryTimeoutMs,
      shutdownGracePeriodMs: this.options.shutdownGracePeriodMs,
      ...(this.options.agentAlive ? { agentAlive: this.options.agentAlive } : {}),
    });
    this.executors.set(id, { driver, executor });
    // Not pipeToSelf: a driver lives as long as its task, and tests settling a runtime should
    // not wait for it.
    void driver
      .run()
      .then(() => driver.stop())
      .then(this.callback((): Internal => ({ name: '_ExecutorDone', executor_id: id })));
  }

  private shutdownRequested(from: Pid | ''): void {
    // Its agent, or this process's own signal handler (which sends as the host itself); a
    // stranger must not stop a framework's command tasks.
    if (from !== this.options.agentPid && from !== this.self) {
      this.log.warn({ from, cause: 'not_from_agent' }, 'dropping ShutdownExecutorHost: not from the agent');
      return;
    }
    this.closing = true;
    for (const { driver, executor } of this.executors.values()) {
      void Promise.resolve(executor.shutdown(driver)).then(() => driver.stop());
    }
    this.finishIfIdle();
  }

  private executorDone(id: string): void {
    this.executors.delete(id);
    this.finishIfIdle();
  }

  private finishIfIdle(): void {
    if (!this.closing || this.executors.size > 0) return;
    this.resolveDone();
    this.terminateSelf();
  }
}
