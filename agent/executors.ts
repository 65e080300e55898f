// Executors, from launch to removal (Mesos's Slave::launchExecutor, registerExecutor,
// executorTerminated, removeExecutor, shutdownExecutor): a custom executor runs in a container
// of its own; a command executor runs in its framework's executor host (executor-hosts.ts).
// Registration and shutdown timeouts, the unfinished tasks of an executor that ends, and the
// removal of finished executors and frameworks are here too.

import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { invariant, pidAddress, type Pid } from '../runtime/index.js';
import type { CommandInfo, ExecutorInbox, ExecutorInfo, RegisterExecutor, ShutdownExecutor, ShutdownFramework, TaskInfo, TaskState, TaskStatusReason } from '../protocol/index.js';
import { executorPrincipal } from '../executor/index.js';
import { executorEnvironment, sandboxPath, type CommandSpec, type Container, type Termination } from './containerizer/index.js';
import { timers, type AgentContext, type ExecutorKey } from './context.js';
import { actorConnection, type ExecutorConnection } from './executor-connection.js';
import { ExecutorState, FrameworkState, MAX_COMPLETED_FRAMEWORKS, newTask, type ExecutorKind } from './state.js';

/** Mesos's bound on an HTTP executor's backoff between subscription attempts (its executor library's default). */
const SUBSCRIPTION_BACKOFF_MAX = '2secs';

export class Executors {
  constructor(private readonly ctx: AgentContext) {}

  /** The executor of a run, if that run is still the executor's current one. */
  get(k: ExecutorKey): ExecutorState | undefined {
    const e = this.ctx.frameworks.get(k.frameworkId)?.executors.get(k.executorId);
    return e && e.containerId === k.containerId ? e : undefined;
  }

  key(e: ExecutorState): ExecutorKey {
    return { frameworkId: e.frameworkId, executorId: e.id, containerId: e.containerId };
  }

  /** Creates the executor of a framework's first task for it and starts its launch. */
  launch(f: FrameworkState, info: ExecutorInfo, kind: ExecutorKind, firstTask: TaskInfo, launchCommand?: CommandInfo, group?: readonly TaskInfo[]): ExecutorState | undefined {
    const { ctx } = this;
    const fid = f.id;
    const agentId = ctx.agentId!;
    const containerId = randomUUID();
    let directory: string;
    try {
      directory = sandboxPath(ctx.config.workDir, { agentId, frameworkId: fid, executorId: info.executor_id.value, containerId });
    } catch (err) {
      ctx.counters.containerLaunchErrors++;
      ctx.parts.tasks.agentUpdate(fid, f, undefined, firstTask.task_id, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', `Cannot create the sandbox: ${(err as Error).message}`);
      return undefined;
    }
    const e = new ExecutorState(fid, info, kind, containerId, directory, f.checkpoint);
    f.executors.set(e.id, e);
    this.attachSandbox(e);
    if (e.checkpoint) ctx.parts.checkpointer.executor(e);
    const key = this.key(e);
    ctx.startTimer(timers.executorRegistration(containerId), ctx.config.executorRegistrationTimeoutMs, { name: '_ExecutorRegistrationTimeout', ...key });
    // The fetcher fills the sandbox before anything starts in it (Mesos's fetch → isolate → launch).
    // Persistent volumes among the task's and executor's resources are linked in first (volumes.ts).
    const volumeResources = [...(info.resources ?? []), ...(group ?? [firstTask]).flatMap((t) => t.resources ?? [])];
    const fetched = (uris: CommandInfo['uris']): Promise<void> =>
      mkdir(directory, { recursive: true }).then(
        () => ctx.parts.volumes.link(containerId, directory, volumeResources).then(() => ctx.config.fetcher.fetch(uris ?? [], directory, agentId)),
        (err: unknown) => {
          throw new Error(`cannot create the sandbox: ${String(err)}`);
        },
      );
    const failure = (err: unknown) => ({ name: '_ContainerLaunchFailed', ...key, message: err instanceof Error ? err.message : String(err) }) as const;
    if (kind === 'command') {
      // The host runs the command executor in this directory: it must exist first.
      // Fetched before the container is prepared, so the sandbox handed to the task's user holds the URIs too.
      const prepared = fetched(firstTask.command?.uris).then(() =>
        ctx.parts.containers.prepareCommand(f, e, firstTask).catch((err: unknown) => {
          throw new Error(`cannot prepare the container: ${err instanceof Error ? err.message : String(err)}`);
        }),
      );
      ctx.pipeToSelf(prepared, () => ({ name: '_SandboxReady', ...key }), failure);
      return e;
    }
    // A DEFAULT executor's program is the agent's, not part of its ExecutorInfo.
    const command = launchCommand ?? info.command;
    if (!command?.value) {
      // Reported as a launch that failed, after this handler, like any other launch outcome.
      const failed = { name: '_ContainerLaunchFailed', ...key, message: 'the executor has no command' } as const;
      ctx.pipeToSelf(Promise.resolve(), () => failed, () => failed);
      return e;
    }
    ctx.pipeToSelf(
      fetched(command.uris)
        // The tasks of a group each get their URIs in their own sandbox, tasks/<task id>, as Mesos's nested containers.
        .then(() => Promise.all((group ?? []).map((t) => ctx.config.fetcher.fetch(t.command?.uris ?? [], join(directory, 'tasks', t.task_id.value), agentId))))
        .then(() => ctx.parts.containers.launchCustom(f, e, {
        containerId,
        agentId,
        frameworkId: fid,
        executorId: e.id,
        command: commandSpec(command),
        env: { ...commandEnvironment(command), ...this.environment(f, e.id, directory) },
        directory,
      })),
      (container) => ({ name: '_ContainerLaunched', ...key, container }),
      failure,
    );
    return e;
  }

  /** The MESOS_* environment of an executor (or executor host) of framework f. */
  environment(f: FrameworkState, executorId: string, directory: string): Record<string, string> {
    const { ctx } = this;
    // mesos-ts only: the message that launched it, which its first messages count as their cause.
    const cause = ctx.cause();
    return {
      ...(cause !== null ? { MESOS_TRACE_CAUSE: cause } : {}),
      ...ctx.config.executorTokens?.issue(f.id, executorId),
      ...(ctx.config.testEndpoints ? { MESOS_ENABLE_TEST_ENDPOINTS: 'true' } : {}),
      ...this.baseEnvironment(f, executorId, directory),
      // For executors that speak the v1 HTTP API (executor-api.ts), as Mesos sets them.
      MESOS_AGENT_ENDPOINT: pidAddress(ctx.self),
      MESOS_HTTP_COMMAND_EXECUTOR: '0',
      MESOS_SUBSCRIPTION_BACKOFF_MAX: SUBSCRIPTION_BACKOFF_MAX,
    };
  }

  private baseEnvironment(f: FrameworkState, executorId: string, directory: string): Record<string, string> {
    const { ctx } = this;
    return executorEnvironment({
      frameworkId: f.id,
      executorId,
      agentId: ctx.agentId ?? '',
      agentPid: ctx.self,
      sandbox: directory,
      checkpoint: f.checkpoint,
      shutdownGracePeriodMs: ctx.config.executorShutdownGracePeriodMs,
      recoveryTimeoutMs: ctx.config.recoveryTimeoutMs,
    });
  }

  attachSandbox(e: ExecutorState): void {
    // Mesos attaches the real directory and a stable virtual path to the latest run.
    this.ctx.files.attach(e.directory, e.directory);
    this.ctx.files.attach(`/frameworks/${e.frameworkId}/executors/${e.id}/runs/latest`, e.directory);
  }

  /** A container started (or was re-attached after a restart). */
  containerLaunched(k: ExecutorKey, container: Container): void {
    const e = this.get(k);
    if (!e || e.state === 'TERMINATED') {
      // Timed out or shut down while launching: the container must not outlive its executor.
      void container.kill(0);
      return;
    }
    e.container = container;
    if (e.checkpoint) this.ctx.parts.checkpointer.executorProcess(e, container.pid);
    this.ctx.watch(container, (termination) => ({ name: '_ContainerTerminated', ...k, termination }));
    if (e.state === 'TERMINATING' && !e.conn) void container.kill(0);
  }

  containerLaunchFailed(k: ExecutorKey, message: string): void {
    const e = this.get(k);
    if (!e || e.state === 'TERMINATED') return;
    this.ctx.counters.containerLaunchErrors++;
    this.ctx.log.warn({ framework_id: k.frameworkId, executor_id: k.executorId, problem: message }, 'container launch failed');
    this.terminated(e, `Failed to launch container: ${message}`, undefined, 'REASON_CONTAINER_LAUNCH_FAILED');
  }

  containerTerminated(k: ExecutorKey, t: Termination): void {
    const e = this.get(k);
    if (!e) return;
    if (t.limitation) return this.terminated(e, t.limitation.message, waitStatus(t), t.limitation.reason);
    // Recovered after a restart but gone before it re-registered: Mesos's tasks are then
    // TASK_LOST (GONE when partition-aware) with REASON_EXECUTOR_REREGISTRATION_TIMEOUT.
    const unrecovered = this.ctx.state === 'RECOVERING' && e.awaitingReregistration && e.state === 'REGISTERING';
    this.terminated(e, `Executor ${t.status}`, waitStatus(t), unrecovered ? 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT' : undefined);
  }

  /** E→A RegisterExecutor (Mesos's RegisterExecutorMessage). */
  register(m: RegisterExecutor, from: Pid | ''): void {
    const { ctx } = this;
    if (from === '') return ctx.dropped(m.name, from, 'no sender');
    const executor: Pid<ExecutorInbox> = from;
    const f = ctx.frameworks.get(m.framework_id.value);
    const e = f?.executors.get(m.executor_id.value);
    // Mesos shuts down an executor it does not expect: unknown, already registered, being
    // shut down, or with nothing left to run.
    if (!f || f.state === 'TERMINATING' || !e || e.state !== 'REGISTERING' || e.awaitingReregistration || (e.queuedTasks.size === 0 && e.launchedTasks.size === 0)) {
      ctx.log.warn({ framework_id: m.framework_id.value, executor_id: m.executor_id.value, from }, 'shutting down an unexpected executor');
      ctx.send(executor, { name: 'ShutdownExecutor' });
      return;
    }
    // Command executors speak through their host's runtime, so they prove the host's token.
    if (!this.authenticated(f.id, e.kind === 'custom' ? e.id : 'executor-host', from)) {
      return ctx.dropped(m.name, from, `executor ${e.id} did not authenticate with its token`, 'unauthenticated');
    }
    ctx.cancelTimer(timers.executorRegistration(e.containerId));
    this.attach(e, actorConnection(ctx, executor));
    e.conn!.send({
      name: 'ExecutorRegistered',
      executor_info: e.info,
      framework_id: { value: f.id },
      framework_info: f.info,
      agent_id: { value: ctx.agentId! },
      agent_info: ctx.agentInfo(),
    });
    this.flushQueued(f, e);
  }

  /** The tasks (and groups) that waited for the executor to (re-)connect go out now. */
  flushQueued(f: FrameworkState, e: ExecutorState): void {
    const queued = new Map(e.queuedTasks);
    e.queuedTasks.clear();
    for (const ids of e.queuedGroups.splice(0)) {
      // Tasks killed while queued are gone from the group.
      const group = ids.flatMap((id) => {
        const t = queued.get(id);
        queued.delete(id);
        return t ? [t] : [];
      });
      if (group.length > 0) this.sendTaskGroup(f, e, group);
    }
    for (const task of queued.values()) this.sendTask(f, e, task);
  }

  /** Whether `from` proved the token issued for this executor (always, when executors need not authenticate). */
  authenticated(frameworkId: string, executorId: string, from: Pid): boolean {
    const tokens = this.ctx.config.executorTokens;
    if (tokens === undefined) return true;
    return this.ctx.principalOf(from) === executorPrincipal(frameworkId, executorId);
  }

  /**
   * The executor (re-)registered (or subscribed) on `conn`: it is running, its connection watched,
   * and an actor executor's pid checkpointed (an HTTP executor subscribes again by itself).
   */
  attach(e: ExecutorState, conn: ExecutorConnection): void {
    this.ctx.cancelTimer(timers.executorReconnect(e.containerId));
    e.reconnectTo = undefined;
    if (e.conn !== undefined && e.conn.id !== conn.id) e.conn.close();
    e.state = 'RUNNING';
    e.conn = conn;
    conn.watch(this.key(e));
    if (e.checkpoint && conn.transport === 'actor') this.ctx.parts.checkpointer.executorPid(e, conn.id);
  }

  sendTask(f: FrameworkState, e: ExecutorState, task: TaskInfo): void {
    // An HTTP executor whose connection broke gets it when it subscribes again.
    if (e.conn === undefined) return void e.queuedTasks.set(task.task_id.value, task);
    e.launchedTasks.set(task.task_id.value, newTask(task, f.id, 'TASK_STAGING', e.kind === 'command' ? undefined : e.id));
    e.conn.send({ name: 'RunTask', framework: f.info, task, pid: f.pid });
  }

  sendTaskGroup(f: FrameworkState, e: ExecutorState, tasks: TaskInfo[]): void {
    if (e.conn === undefined) {
      for (const task of tasks) e.queuedTasks.set(task.task_id.value, task);
      e.queuedGroups.push(tasks.map((t) => t.task_id.value));
      return;
    }
    for (const task of tasks) e.launchedTasks.set(task.task_id.value, newTask(task, f.id, 'TASK_STAGING', e.id));
    e.conn.send({ name: 'RunTaskGroup', framework: f.info, executor: e.info, task_group: { tasks }, pid: f.pid });
  }

  registrationTimeout(k: ExecutorKey): void {
    const e = this.get(k);
    if (!e || e.state !== 'REGISTERING' || e.awaitingReregistration) return;
    this.ctx.log.warn({ framework_id: k.frameworkId, executor_id: k.executorId }, 'executor did not register in time; destroying it');
    e.terminationReason = 'REASON_EXECUTOR_REGISTRATION_TIMEOUT';
    this.destroy(e, 'Executor did not register within the registration timeout');
  }

  /** Ends an executor now: its container is killed (and reported when gone), or it is marked terminated. */
  destroy(e: ExecutorState, why: string): void {
    e.state = 'TERMINATING';
    if (e.kind === 'custom' && e.container) void e.container.kill(0);
    // A command executor has no process of its own, and a custom one still launching has
    // none yet (containerLaunched kills what arrives later): it ends now.
    else this.terminated(e, why, undefined);
  }

  /**
   * A registered executor's pid exited, or its connection was lost. While its process runs, a
   * lost connection is not a death (a starved event loop misses heartbeats, and the runtime
   * closes a connection to a process that is alive): it is asked to reconnect, as a restarted
   * agent asks. A custom executor is a process the agent watches: it ends when that process
   * does. A command executor is an actor in its host: it may reconnect only if the host's own
   * connection broke while the host's process runs; otherwise this exit is its termination.
   * (Mesos's agent ignores an executor's exited event and waits for its container.)
   */
  exited(k: ExecutorKey, pid: Pid<ExecutorInbox>): void {
    const e = this.get(k);
    if (!e || e.conn?.id !== pid || e.state === 'TERMINATED') return;
    // An HTTP executor's stream broke: the process may well run on, and subscribes again (Mesos
    // keeps the executor; its process ending is what terminates it).
    if (e.conn.transport === 'http') {
      this.ctx.log.warn({ framework_id: e.frameworkId, executor_id: e.id }, 'the HTTP executor\'s connection closed; waiting for it to subscribe again');
      e.conn = undefined;
      if (e.state === 'TERMINATING' && e.kind === 'custom' && e.container) void e.container.kill(0);
      return;
    }
    if (e.state === 'RUNNING' && (e.kind === 'custom' ? e.container !== undefined : this.hostAlive(e))) this.reconnect(e, pid);
    else if (e.kind === 'custom' && e.container) void e.container.kill(0);
    else this.terminated(e, 'the executor terminated', undefined);
  }

  private hostAlive(e: ExecutorState): boolean {
    return this.ctx.parts.hosts.lostWhileAlive(e.hostContainerId);
  }

  private reconnect(e: ExecutorState, pid: Pid<ExecutorInbox>): void {
    this.ctx.log.warn({ framework_id: e.frameworkId, executor_id: e.id, pid }, 'lost the connection to an executor whose process runs; asking it to reconnect');
    e.state = 'REGISTERING';
    this.awaitReregistration(e, pid);
  }

  /**
   * Sends ReconnectExecutor to `pid` and awaits the executor's ReregisterExecutor. After an
   * agent restart the re-registration timeout ends the wait. Otherwise the agent asks again:
   * a command executor while its host runs, a custom one until recovery_timeout has passed
   * (the executor itself gives up then), and then destroys it.
   */
  awaitReregistration(e: ExecutorState, pid: Pid<ExecutorInbox>): void {
    e.awaitingReregistration = true;
    e.reconnectTo = pid;
    e.reconnectUntil = this.ctx.now() + this.ctx.config.recoveryTimeoutMs;
    this.reconnectRetry(this.key(e));
  }

  /** ReconnectExecutor (again), every executor_reregistration_retry_interval when set. */
  reconnectRetry(k: ExecutorKey): void {
    const { ctx } = this;
    const e = this.get(k);
    if (!e || !e.awaitingReregistration || e.state !== 'REGISTERING' || !e.reconnectTo || ctx.agentId === undefined) return;
    const recovering = ctx.state === 'RECOVERING';
    if (!recovering) {
      // A command executor's tasks are its host's children: they end with the host, not here.
      if (e.kind === 'command' && !this.hostAlive(e)) return;
      if (e.kind === 'custom' && ctx.now() >= e.reconnectUntil) {
        ctx.log.warn({ framework_id: e.frameworkId, executor_id: e.id }, 'executor did not reconnect within the recovery timeout; destroying it');
        e.awaitingReregistration = false;
        e.terminationReason = 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT';
        return this.destroy(e, 'Executor did not reconnect within the recovery timeout');
      }
    }
    ctx.send(e.reconnectTo, { name: 'ReconnectExecutor', agent_id: { value: ctx.agentId } });
    const interval = ctx.config.executorReregistrationRetryIntervalMs ?? (recovering ? undefined : ctx.config.executorReregistrationTimeoutMs);
    if (interval !== undefined) ctx.startTimer(timers.executorReconnect(e.containerId), interval, { name: '_ExecutorReconnectRetry', ...k });
  }

  /** The executor is gone: its unfinished tasks fail (or are GONE), and it is removed once they are acknowledged. */
  terminated(e: ExecutorState, why: string, status: number | undefined, reasonOverride?: TaskStatusReason): void {
    const { ctx } = this;
    if (e.state === 'TERMINATED') return;
    e.state = 'TERMINATED';
    e.exitStatus = status;
    ctx.cancelTimer(timers.executorRegistration(e.containerId));
    ctx.cancelTimer(timers.executorShutdown(e.containerId));
    ctx.cancelTimer(timers.executorReconnect(e.containerId));
    e.conn?.close();
    ctx.counters.executorsTerminated++;
    ctx.parts.containers.terminated(e);
    const f = ctx.frameworks.get(e.frameworkId);
    if (!f) return;
    if (f.state === 'RUNNING' && ctx.state !== 'TERMINATING') {
      const reason = reasonOverride ?? e.terminationReason ?? 'REASON_EXECUTOR_TERMINATED';
      const state: TaskState = reason === 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT' ? ctx.partitionState('TASK_GONE', f) : 'TASK_FAILED';
      const unfinished = [...e.queuedTasks.values()].map((t) => t.task_id).concat([...e.launchedTasks.values()].map((t) => t.task_id));
      for (const taskId of unfinished) ctx.parts.tasks.agentUpdate(f.id, f, e, taskId, state, reason, why);
      // The master keeps custom executors only; command executors are the agent's business.
      if (e.kind === 'custom' && ctx.agentId !== undefined) {
        ctx.send(ctx.masterPid, { name: 'ExitedExecutor', agent_id: { value: ctx.agentId }, framework_id: { value: f.id }, executor_id: e.info.executor_id, status: status ?? -1 });
      }
    }
    if (e.checkpoint) ctx.parts.checkpointer.runCompleted(e);
    if (f.state === 'TERMINATING' || ctx.state === 'TERMINATING' || e.incompleteTasks === 0) this.remove(f, e);
  }

  /**
   * Archives a terminated executor. One whose every update was acknowledged has nothing left
   * to recover: its checkpoints go, as Mesos garbage-collects an executor's meta directory.
   */
  remove(f: FrameworkState, e: ExecutorState): void {
    if (f.executors.get(e.id) !== e) return;
    if (e.checkpoint && e.incompleteTasks === 0) this.ctx.parts.checkpointer.removeExecutor(e);
    // Tasks of a framework being shut down are forgotten, as Mesos's agent does.
    e.queuedTasks.clear();
    for (const t of [...e.launchedTasks.values(), ...e.terminatedTasks.values()]) e.completedTasks.push(t);
    e.launchedTasks.clear();
    e.terminatedTasks.clear();
    f.archiveExecutor(e);
    this.ctx.parts.gc.schedule(e.directory);
    if (f.executors.size === 0) this.removeFramework(f);
  }

  removeFramework(f: FrameworkState): void {
    const { ctx } = this;
    invariant(ctx.frameworks.get(f.id) === f && f.executors.size === 0, () => `removing framework ${f.id}, which is not the agent's or still has executors`);
    ctx.frameworks.delete(f.id);
    ctx.updates.cleanup(f.id);
    ctx.completedFrameworks.push(f);
    if (ctx.completedFrameworks.length > MAX_COMPLETED_FRAMEWORKS) ctx.completedFrameworks.shift();
    if (f.checkpoint && f.state === 'TERMINATING') ctx.parts.checkpointer.removeFramework(f);
    if (ctx.state === 'TERMINATING') ctx.maybeFinishShutdown();
  }

  /** M→A ShutdownFramework (Mesos's ShutdownFrameworkMessage). */
  shutdownFramework(m: ShutdownFramework, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    const f = ctx.frameworks.get(m.framework_id.value);
    ctx.log.info({ framework_id: m.framework_id.value }, 'shutting down framework');
    if (f) this.shutdownFrameworkNow(f);
    ctx.parts.hosts.shutdown(m.framework_id.value);
  }

  shutdownFrameworkNow(f: FrameworkState): void {
    f.state = 'TERMINATING';
    for (const e of [...f.executors.values()]) this.beginShutdown(e);
    if (f.executors.size === 0 && this.ctx.frameworks.get(f.id) === f) this.removeFramework(f);
  }

  /** ShutdownExecutor to the executor, then its container is destroyed after the grace period. */
  beginShutdown(e: ExecutorState): void {
    if (e.state === 'TERMINATING' || e.state === 'TERMINATED') return;
    if (!e.conn) return this.destroy(e, 'Shut down before it registered');
    e.state = 'TERMINATING';
    e.conn.send({ name: 'ShutdownExecutor' });
    const nanos = e.info.shutdown_grace_period?.nanoseconds;
    const grace = nanos !== undefined ? nanos / 1e6 : this.ctx.config.executorShutdownGracePeriodMs;
    this.ctx.startTimer(timers.executorShutdown(e.containerId), grace, { name: '_ExecutorShutdownTimeout', ...this.key(e) });
  }

  shutdownTimeout(k: ExecutorKey): void {
    const e = this.get(k);
    if (!e || e.state === 'TERMINATED') return;
    this.ctx.log.warn({ framework_id: k.frameworkId, executor_id: k.executorId }, 'executor did not shut down in time; destroying it');
    if (e.kind === 'custom' && e.container) void e.container.kill(0);
    else this.terminated(e, 'Executor did not shut down in time', undefined);
  }

  /** M→A ShutdownExecutor with ids (the v1 SHUTDOWN call). */
  shutdownExecutor(m: ShutdownExecutor, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    if (!m.framework_id || !m.executor_id) return ctx.dropped(m.name, from, 'needs framework_id and executor_id');
    const f = ctx.frameworks.get(m.framework_id.value);
    const e = f?.executors.get(m.executor_id.value);
    if (!f || !e) return ctx.dropped(m.name, from, 'unknown executor');
    this.beginShutdown(e);
  }
}

/** CommandInfo → what the containerizer runs (shell by default, as Mesos). */
function commandSpec(c: CommandInfo): CommandSpec {
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
