// Executor hosts: one process per framework that runs the framework's command executors as
// actors (where Mesos would start one mesos-executor process per command task). Starting a
// host, routing each command executor to it once it registers, and the host's exit, which ends
// every command executor it ran. A departure from Mesos; see executor/executor-host.ts.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { invariant, type Pid } from '../runtime/index.js';
import type { ExecutorHostInbox, RegisterExecutorHost, TaskStatusReason } from '../protocol/index.js';
import type { Container, ContainerJoin } from './containerizer/index.js';
import { timers, type AgentContext, type ExecutorKey } from './context.js';
import { ExecutorHostState, type ExecutorState } from './state.js';

/** An executor host's container, as /monitor/statistics and /containers list it. */
export interface HostContainer {
  frameworkId: string;
  containerId: string;
  pid: number;
}

export class ExecutorHosts {
  /** Each framework's current host; an earlier one's messages name a container no longer here. */
  private readonly hosts = new Map<string, ExecutorHostState>();
  /**
   * Hosts whose connection broke while their process ran, by container id: they take no new
   * executors, but the ones they run reconnect, and they end when their process does.
   */
  private readonly retired = new Map<string, ExecutorHostState>();

  constructor(private readonly ctx: AgentContext) {}

  get size(): number {
    return this.hosts.size + this.retired.size;
  }

  /**
   * True when the connection to the host of `containerId` was lost while its process runs. The
   * host's link is older than its executors', so a lost connection reports the host first: an
   * executor's exit while its host is not retired is that executor's own end.
   */
  lostWhileAlive(containerId: string | undefined): boolean {
    const host = containerId === undefined ? undefined : this.retired.get(containerId);
    return host !== undefined && host.state !== 'TERMINATED' && host.container !== undefined;
  }

  /** Every running host's container (current and retired), for the statistics endpoints. */
  containers(): HostContainer[] {
    const out: HostContainer[] = [];
    for (const h of [...this.hosts.values(), ...this.retired.values()]) {
      if (h.state !== 'TERMINATED' && h.container) out.push({ frameworkId: h.frameworkId, containerId: h.containerId, pid: h.container.pid });
    }
    return out;
  }

  frameworkIds(): string[] {
    return [...new Set([...this.hosts.keys(), ...[...this.retired.values()].map((h) => h.frameworkId)])];
  }

  /** A command executor's sandbox exists: run it on its framework's host, starting the host if need be. */
  sandboxReady(k: ExecutorKey): void {
    const { ctx } = this;
    const e = ctx.parts.executors.get(k);
    if (!e || e.state !== 'REGISTERING') return;
    let host = this.hosts.get(k.frameworkId);
    if (!host || host.state === 'TERMINATED') host = this.start(k.frameworkId);
    if (!host) return ctx.parts.executors.terminated(e, 'No executor host program is configured', undefined, 'REASON_CONTAINER_LAUNCH_FAILED');
    if (host.state === 'RUNNING') this.launchOn(host, e);
    else host.waiting.push(e);
  }

  private start(frameworkId: string): ExecutorHostState | undefined {
    const { ctx } = this;
    const f = ctx.frameworks.get(frameworkId);
    const command = ctx.config.executorHostCommand;
    if (!f || command === undefined) return undefined;
    const containerId = `host-${randomUUID()}`;
    const directory = join(ctx.config.workDir, 'slaves', ctx.agentId!, 'frameworks', frameworkId, 'executor-host', 'runs', containerId);
    const host = new ExecutorHostState(frameworkId, containerId, directory);
    this.hosts.set(frameworkId, host);
    ctx.files.attach(`/frameworks/${frameworkId}/executor-host/runs/latest`, directory);
    ctx.files.attach(directory, directory);
    ctx.startTimer(timers.hostRegistration(containerId), ctx.config.executorRegistrationTimeoutMs, { name: '_HostRegistrationTimeout', frameworkId, containerId });
    ctx.pipeToSelf(
      ctx.containerizer.launch({
        containerId,
        agentId: ctx.agentId!,
        frameworkId,
        executorId: 'executor-host',
        command,
        env: ctx.parts.executors.environment(f, 'executor-host', directory),
        directory,
        // A container of its own, without limits: its command tasks' containers hold the
        // resources (each with its command executor's share, as Mesos's mesos-executor).
      }),
      (container) => ({ name: '_HostLaunched', frameworkId, containerId, container }),
      (err) => ({ name: '_HostLaunchFailed', frameworkId, containerId, message: err instanceof Error ? err.message : String(err) }),
    );
    return host;
  }

  launched(frameworkId: string, containerId: string, container: Container): void {
    const host = this.current(frameworkId, containerId);
    if (!host || host.state === 'TERMINATED') {
      void container.kill(0);
      return;
    }
    host.container = container;
    this.ctx.watch(container, (termination) => ({ name: '_HostTerminated', frameworkId, containerId, termination }));
  }

  launchFailed(frameworkId: string, containerId: string, message: string): void {
    const host = this.current(frameworkId, containerId);
    if (!host) return;
    this.ctx.counters.containerLaunchErrors++;
    this.gone(host, `Failed to launch the executor host: ${message}`, 'REASON_CONTAINER_LAUNCH_FAILED');
  }

  /** H→A RegisterExecutorHost: the host is up; the command executors waiting for it go out. */
  register(m: RegisterExecutorHost, from: Pid | ''): void {
    const { ctx } = this;
    if (from === '') return ctx.dropped(m.name, from, 'no sender');
    const host = this.hosts.get(m.framework_id.value);
    if (!host || host.state !== 'LAUNCHING') {
      // A host from before an agent restart: its executors reconnect one by one; it is not
      // used for new tasks, so it is left alone rather than shut down.
      return ctx.dropped(m.name, from, 'no executor host is being launched for this framework');
    }
    if (!ctx.parts.executors.authenticated(host.frameworkId, 'executor-host', from)) {
      return ctx.dropped(m.name, from, 'the executor host did not authenticate with its token', 'unauthenticated');
    }
    const pid: Pid<ExecutorHostInbox> = from;
    host.state = 'RUNNING';
    host.pid = pid;
    ctx.cancelTimer(timers.hostRegistration(host.containerId));
    ctx.linkWith(pid, { name: '_HostExited', frameworkId: host.frameworkId, containerId: host.containerId });
    const waiting = host.waiting.splice(0);
    for (const e of waiting) if (e.state === 'REGISTERING') this.launchOn(host, e);
  }

  private launchOn(host: ExecutorHostState, e: ExecutorState): void {
    const { ctx } = this;
    e.hostContainerId = host.containerId;
    e.hostOsPid = host.container?.pid;
    invariant(host.pid !== undefined, () => `executor host of framework ${host.frameworkId} is running without a pid`);
    ctx.send(host.pid, {
      name: 'LaunchExecutor',
      framework_id: { value: host.frameworkId },
      agent_id: { value: ctx.agentId! },
      executor_info: e.info,
      directory: e.directory,
      ...withContainer(ctx.parts.containers.joinOf(e.containerId)),
    });
    // The host's OS pid stands for the command executor's process: after an agent restart,
    // the executor is alive as long as its host is.
    if (e.checkpoint && e.hostOsPid !== undefined) ctx.parts.checkpointer.executorProcess(e, e.hostOsPid);
  }

  registrationTimeout(frameworkId: string, containerId: string): void {
    const host = this.current(frameworkId, containerId);
    if (!host || host.state !== 'LAUNCHING') return;
    this.ctx.log.warn({ framework_id: frameworkId }, 'executor host did not register in time; destroying it');
    if (host.container) void host.container.kill(0);
    this.gone(host, 'The executor host did not register in time', 'REASON_EXECUTOR_REGISTRATION_TIMEOUT');
  }

  /** The host's container ended. */
  terminated(frameworkId: string, containerId: string, status: string): void {
    const host = this.current(frameworkId, containerId) ?? this.retired.get(containerId);
    if (!host) return;
    this.gone(host, `The executor host terminated: ${status}`, undefined);
  }

  /**
   * The registered host's pid exited or its connection was lost. A lost connection is not a
   * death: under load a starved event loop misses heartbeats, and the runtime then closes a
   * connection to a process that is alive and well. The host's process is the agent's own
   * child, watched directly: only its end ends the host. Until then it takes no new executors
   * (the framework's next command task starts a new host), and the ones it runs are asked to
   * reconnect (Executors.exited).
   */
  exited(frameworkId: string, containerId: string): void {
    const host = this.current(frameworkId, containerId);
    if (!host) return;
    if (host.pid) this.ctx.unlink(host.pid);
    if (!host.container) return this.gone(host, 'The executor host terminated: the executor host disconnected', undefined);
    this.ctx.log.warn({ framework_id: frameworkId, host: host.pid, os_pid: host.container.pid }, 'lost the connection to the executor host; its process runs, so its executors are asked to reconnect');
    this.ctx.cancelTimer(timers.hostShutdown(host.containerId));
    this.hosts.delete(frameworkId);
    this.retired.set(host.containerId, host);
  }

  /** The host is gone: so is every command executor it ran or was about to run. */
  private gone(host: ExecutorHostState, why: string, reason: TaskStatusReason | undefined): void {
    const { ctx } = this;
    invariant(this.hosts.get(host.frameworkId) === host || this.retired.get(host.containerId) === host, () => `executor host ${host.containerId} is neither framework ${host.frameworkId}'s current one nor a retired one`);
    host.state = 'TERMINATED';
    ctx.cancelTimer(timers.hostRegistration(host.containerId));
    ctx.cancelTimer(timers.hostShutdown(host.containerId));
    if (this.hosts.get(host.frameworkId) === host) this.hosts.delete(host.frameworkId);
    this.retired.delete(host.containerId);
    if (host.pid) ctx.unlink(host.pid);
    ctx.parts.gc.schedule(host.directory);
    const f = ctx.frameworks.get(host.frameworkId);
    const affected = new Set(host.waiting.splice(0));
    for (const e of f?.executors.values() ?? []) if (e.kind === 'command' && e.hostContainerId === host.containerId) affected.add(e);
    for (const e of affected) ctx.parts.executors.terminated(e, why, undefined, reason);
    if (ctx.state === 'TERMINATING') ctx.maybeFinishShutdown();
  }

  /** ShutdownExecutorHost, then the host's container is killed after the grace period. */
  shutdown(frameworkId: string): void {
    const { ctx } = this;
    // A retired host cannot be told: SIGTERM makes it shut its tasks down, SIGKILL after the grace period.
    for (const h of this.retired.values()) if (h.frameworkId === frameworkId) void h.container?.kill(ctx.config.executorShutdownGracePeriodMs);
    const host = this.hosts.get(frameworkId);
    if (!host || host.state === 'TERMINATED') return;
    if (host.pid) {
      ctx.send(host.pid, { name: 'ShutdownExecutorHost', framework_id: { value: frameworkId } });
      // Asked again (the framework, then the whole agent, shutting down): the first grace period holds.
      const key = timers.hostShutdown(host.containerId);
      if (!ctx.isTimerActive(key)) ctx.startTimer(key, ctx.config.executorShutdownGracePeriodMs, { name: '_HostShutdownTimeout', frameworkId, containerId: host.containerId });
    } else if (host.container) void host.container.kill(0);
    else this.gone(host, 'The framework is shutting down', undefined);
  }

  shutdownTimeout(frameworkId: string, containerId: string): void {
    const host = this.current(frameworkId, containerId);
    if (!host) return;
    if (host.container) void host.container.kill(0);
    else this.gone(host, 'The executor host did not shut down in time', undefined);
  }

  /** The framework's host, if it is still the one running in `containerId`. */
  private current(frameworkId: string, containerId: string): ExecutorHostState | undefined {
    const host = this.hosts.get(frameworkId);
    return host?.containerId === containerId ? host : undefined;
  }
}

/** LaunchExecutor.container: the cgroups (and user) the command task's process joins first. */
function withContainer(join: ContainerJoin | undefined): { container?: ContainerJoin } {
  return join && (join.cgroups.length > 0 || join.user) ? { container: join } : {};
}
