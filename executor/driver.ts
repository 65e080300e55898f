// MesosExecutorDriver: the object an executor program holds. It finds its agent from the
// MESOS_* environment the agent launched it with (or from explicit options, so one process can
// run many executors), and runs one ExecutorProcess actor in its own or a borrowed Runtime.

import { parseAddress, pidAddress, type Runtime, ValidationError, type Pid } from '../runtime/index.js';
import { tryParseDuration, type AgentInbox, type ExecutorInbox, type TaskStatus } from '../protocol/index.js';
import { DriverLifecycle, parseAgentPid, type DriverRuntimeOptions, type Status } from '../driver/index.js';
import type { Executor, ExecutorDriver } from './executor.js';
import { ExecutorProcess } from './executor-process.js';

export interface ExecutorDriverOptions extends DriverRuntimeOptions {
  /** Where MESOS_* variables are read from; default process.env. Explicit options win. */
  env?: Record<string, string | undefined>;
  frameworkId?: string;
  executorId?: string;
  agentId?: string;
  /** The agent actor's pid, `slave(1)@host:port` (Mesos's id for the agent actor). */
  agentPid?: string;
  directory?: string;
  checkpoint?: boolean;
  recoveryTimeoutMs?: number;
  shutdownGracePeriodMs?: number;
  /** Run the executor actor in this runtime (id `executor(N)`); the driver never stops it. */
  runtime?: Runtime;
  /** Whether the agent's process still runs, for a caller that can tell (see ExecutorProcessConfig). */
  agentAlive?: () => boolean;
}

/** What the driver resolved from options and environment. */
export interface ExecutorConfig {
  frameworkId: string;
  executorId: string;
  agentId: string;
  agentPid: Pid<AgentInbox>;
  directory: string;
  checkpoint: boolean;
  recoveryTimeoutMs: number;
  shutdownGracePeriodMs: number;
}

/** Mesos's defaults: recovery_timeout 15 min, executor_shutdown_grace_period 5 s. */
export const DEFAULT_RECOVERY_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/** Reads the configuration; throws a ValidationError naming what is missing or malformed. */
export function executorConfig(options: ExecutorDriverOptions): ExecutorConfig {
  const env = options.env ?? process.env;
  const need = (explicit: string | undefined, ...names: string[]): string => {
    if (explicit !== undefined) return explicit;
    for (const n of names) {
      const v = env[n];
      if (v !== undefined && v !== '') return v;
    }
    throw new ValidationError(`missing ${names.join(' (or ')}${names.length > 1 ? ')' : ''}: an executor must be launched by an agent`);
  };
  const duration = (explicit: number | undefined, name: string, fallback: number): number => {
    if (explicit !== undefined) return explicit;
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const ms = tryParseDuration(text);
    if (ms === undefined) throw new ValidationError(`${name}='${text}' is not a duration such as 5secs`);
    return ms;
  };
  const checkpointText = env['MESOS_CHECKPOINT'];
  return {
    frameworkId: need(options.frameworkId, 'MESOS_FRAMEWORK_ID'),
    executorId: need(options.executorId, 'MESOS_EXECUTOR_ID'),
    agentId: need(options.agentId, 'MESOS_AGENT_ID', 'MESOS_SLAVE_ID'),
    agentPid: parseAgentPid(need(options.agentPid, 'MESOS_AGENT_PID', 'MESOS_SLAVE_PID')),
    directory: need(options.directory, 'MESOS_DIRECTORY', 'MESOS_SANDBOX'),
    checkpoint: options.checkpoint ?? (checkpointText === '1' || checkpointText === 'true'),
    recoveryTimeoutMs: duration(options.recoveryTimeoutMs, 'MESOS_RECOVERY_TIMEOUT', DEFAULT_RECOVERY_TIMEOUT_MS),
    shutdownGracePeriodMs: duration(options.shutdownGracePeriodMs, 'MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', DEFAULT_SHUTDOWN_GRACE_MS),
  };
}

export class MesosExecutorDriver extends DriverLifecycle<ExecutorProcess> implements ExecutorDriver {
  private config_: ExecutorConfig | undefined;

  constructor(
    private readonly executor: Executor,
    private readonly options: ExecutorDriverOptions = {},
  ) {
    super();
  }

  /** The resolved configuration, once started. */
  get config(): ExecutorConfig | undefined {
    return this.config_;
  }

  get pid(): Pid<ExecutorInbox> | undefined {
    return this.process ? this.process.self : undefined;
  }

  async start(): Promise<Status> {
    if (this.status !== 'DRIVER_NOT_STARTED') return this.status;
    this.status = 'DRIVER_RUNNING';
    let config: ExecutorConfig;
    try {
      config = executorConfig(this.options);
      this.runtime = this.options.runtime ?? (await this.startOwnRuntime(config));
    } catch (err) {
      // Mesos's driver exits the process here; a library must not, so it aborts and says why.
      return this.failedToStart(err, (message) => this.executor.error(this, message));
    }
    this.config_ = config;
    if (this.status !== 'DRIVER_RUNNING') {
      if (this.ownsRuntime) await this.runtime.stop();
      return this.status;
    }
    const process = new ExecutorProcess(this, this.executor, {
      frameworkId: { value: config.frameworkId },
      executorId: { value: config.executorId },
      agentId: { value: config.agentId },
      agentPid: config.agentPid,
      checkpoint: config.checkpoint,
      recoveryTimeoutMs: config.recoveryTimeoutMs,
      agentAlive: this.options.agentAlive,
      onAbort: () => this.aborted(),
      onShutdown: () => void this.stop(),
    });
    this.process = process;
    // An executor the agent launched registers as a continuation of the agent's launching message.
    const cause = this.options.runtime ? null : (this.options.env ?? globalThis.process.env)['MESOS_TRACE_CAUSE'] || null;
    const runtime = this.runtime;
    runtime.withCause(cause, () => runtime.spawn(process, runtime.generateId('executor')));
    return this.status;
  }

  /** Terminates the executor actor: the agent, linked to it, sees the executor gone. */
  async stop(): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING' && this.status !== 'DRIVER_ABORTED') return this.status;
    const wasAborted = this.status === 'DRIVER_ABORTED';
    this.status = 'DRIVER_STOPPED';
    if (this.process) this.runtime?.terminate(this.process.self);
    return this.stopped(wasAborted);
  }

  sendStatusUpdate(status: TaskStatus): Status {
    if (this.status !== 'DRIVER_RUNNING' || !this.process) return this.status;
    this.process.sendStatusUpdate(status);
    return this.status;
  }

  sendFrameworkMessage(data: Uint8Array): Status {
    if (this.status !== 'DRIVER_RUNNING' || !this.process) return this.status;
    this.process.sendFrameworkMessage(data);
    return this.status;
  }

  private async startOwnRuntime(config: ExecutorConfig): Promise<Runtime> {
    const o = this.options;
    // Listen where the agent can reach us: LIBPROCESS_IP as in Mesos, else the agent's own host.
    const env = o.env ?? process.env;
    const ip = o.ip ?? env['LIBPROCESS_IP'] ?? parseAddress(pidAddress(config.agentPid)).host;
    // The agent gave this executor a secret of its own (Mesos's executor authentication token).
    const credential = executorCredential(env, config.frameworkId, config.executorId);
    // An agent that traces hands MESOS_TRACE to its executors: trace this one too.
    const trace = env['MESOS_TRACE'];
    // An agent with --enable_test_endpoints passes it on, so tests reach its executors too.
    const testEndpoints = o.testEndpoints ?? testEndpointsFromEnv(env);
    return this.ownRuntime({ ...o, ip, ...(trace ? { trace } : {}), ...(credential !== undefined ? { credential } : {}), ...(testEndpoints ? { testEndpoints } : {}) });
  }
}

/**
 * The principal an executor authenticates as with the agent that launched it, and the token
 * the agent handed it in MESOS_EXECUTOR_AUTHENTICATION_TOKEN (absent: it proves nothing).
 */
export function executorPrincipal(frameworkId: string, executorId: string): string {
  return `executor:${frameworkId}:${executorId}`;
}

export function executorCredential(env: Readonly<Record<string, string | undefined>>, frameworkId: string, executorId: string): { principal: string; secret: string } | undefined {
  const secret = env['MESOS_EXECUTOR_AUTHENTICATION_TOKEN'];
  return secret === undefined || secret === '' ? undefined : { principal: executorPrincipal(frameworkId, executorId), secret };
}

/** MESOS_ENABLE_TEST_ENDPOINTS, which an agent with --enable_test_endpoints sets for its executors. */
export function testEndpointsFromEnv(env: NodeJS.ProcessEnv): boolean {
  const v = env['MESOS_ENABLE_TEST_ENDPOINTS']?.trim().toLowerCase();
  return v === 'true' || v === '1';
}
