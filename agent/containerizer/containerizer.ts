// The containerizer: launches executors as real child processes, each the leader of its own
// process group in its own sandbox, with stdout/stderr written straight to files there; kills
// whole groups with a SIGTERM→SIGKILL escalation; re-attaches to executors after an agent
// restart; and tracks every container so shutdown can destroy them all. Every container goes
// through the isolators (isolation.ts): its cgroups are made before its first process runs,
// which joins them (and switches to the task's user) before it executes anything. Containers
// whose process another program starts (command tasks, started by an executor host) are
// prepared here too and handed over as a ContainerJoin.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { killRemainingGroup, processAlive, signalGroup } from './process-group.js';
import type { ContainerLimits, ResourceStatistics } from './posix-isolator.js';
import { Isolation, type Limitation } from './isolation.js';
import type { UserIds } from './users.js';
import type { VolumeLink } from './filesystem-posix.js';
import { sandboxPath } from './sandbox.js';

/** Mesos's CommandInfo shape: a shell string, or an executable plus its full argv. */
export interface CommandSpec {
  /** Default true: `value` is run as `/bin/sh -c value`. */
  shell?: boolean;
  value: string;
  /** With shell=false, the whole argv including argv[0]; defaults to `[value]`. */
  arguments?: string[];
}

/** What to start a container with (Mesos's ContainerConfig, reduced to what runs here). */
export interface ContainerLaunchSpec {
  containerId: string;
  agentId: string;
  frameworkId: string;
  executorId: string;
  command: CommandSpec;
  /** Added over the containerizer's base environment (the MESOS_* variables go here). */
  env?: Record<string, string>;
  /** Overrides the sandbox that the work_dir layout would give. */
  directory?: string;
  limits?: ContainerLimits;
  /** Run as this user (the agent must be root). */
  user?: UserIds;
}

/** What the process of a container started by another program does before it runs the task. */
export interface ContainerJoin {
  /** cgroup.procs files to write its pid to. */
  cgroups: string[];
  user?: UserIds;
}

/** An executor process a previous agent incarnation started, to re-attach to. */
export interface ReattachSpec {
  containerId: string;
  /** The executor's pid from the checkpoint (pids/forked.pid). */
  pid: number;
  sandbox: string;
}

export interface Termination {
  /** Null when killed by a signal, or when the status could not be observed (re-attached). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** 'exited with status 1', 'killed by signal SIGKILL', or why the status is unknown. */
  status: string;
  /** Set when an isolator ended the container (an OOM kill under cgroups/mem). */
  limitation?: Limitation;
}

export interface Container {
  readonly containerId: string;
  readonly pid: number;
  readonly sandbox: string;
  /** True for a container re-attached by reattach(): not our child, so no exit status. */
  readonly reattached: boolean;
  /** Resolves once the executor has exited and nothing of its process group remains. */
  wait(): Promise<Termination>;
  /**
   * SIGTERM to the whole group, then SIGKILL to the group if the executor has not exited after
   * `gracePeriodMs` (0: SIGKILL at once). Resolves like wait().
   */
  kill(gracePeriodMs?: number): Promise<Termination>;
}

export interface ContainerizerOptions {
  workDir: string;
  /**
   * The environment every executor starts from. Defaults to the agent process's own, as Mesos
   * passes its environment on unless told otherwise (`--executor_environment_variables`).
   */
  baseEnv?: Record<string, string | undefined>;
  /** How often a re-attached (non-child) executor is probed for exit. */
  reattachPollMs?: number;
  /** The isolators and launcher (Isolation.create); default posix/cpu,posix/mem. */
  isolation?: Isolation;
}

export class ContainerLaunchError extends Error {
  override name = 'ContainerLaunchError';
  constructor(readonly containerId: string, message: string, options?: { cause: unknown }) {
    super(`failed to launch container ${containerId}: ${message}`, options);
  }
}

export class Containerizer {
  private readonly live = new Map<string, ContainerHandle>();
  /** Launches between their first await and their handle, which destroyAll must wait out. */
  private readonly launching = new Set<Promise<unknown>>();
  readonly isolation: Isolation;
  /** Containers prepared here whose process another program starts: container id → its process group, once known. */
  private readonly external = new Map<string, number | undefined>();
  private readonly baseEnv: Record<string, string | undefined>;
  private readonly reattachPollMs: number;

  constructor(private readonly options: ContainerizerOptions) {
    // A plain snapshot: spreading process.env itself goes through a getter per variable, which
    // showed up as a quarter of the launch cost.
    this.baseEnv = { ...(options.baseEnv ?? process.env) };
    this.reattachPollMs = options.reattachPollMs ?? 250;
    this.isolation = options.isolation ?? Isolation.posix();
  }

  /** Starts the executor; rejects with ContainerLaunchError if it could not be started. */
  launch(spec: ContainerLaunchSpec): Promise<Container> {
    const p = this.doLaunch(spec);
    this.launching.add(p);
    const settled = (): void => void this.launching.delete(p);
    p.then(settled, settled);
    return p;
  }

  private async doLaunch(spec: ContainerLaunchSpec): Promise<Container> {
    const { containerId } = spec;
    if (this.live.has(containerId)) {
      throw new ContainerLaunchError(containerId, 'a container with this id is already running');
    }
    let sandbox: string;
    try {
      sandbox = spec.directory ?? sandboxPath(this.options.workDir, spec);
    } catch (e) {
      throw new ContainerLaunchError(containerId, (e as Error).message, { cause: e });
    }
    // Reserve the id across the awaits below, so two launches of one id cannot both proceed.
    const reservation = new ContainerHandle(containerId, -1, sandbox, false);
    this.live.set(containerId, reservation);
    let stdout: FileHandle | undefined;
    let stderr: FileHandle | undefined;
    try {
      await mkdir(sandbox, { recursive: true });
      // Files, not pipes: the executor's output must not depend on the agent being alive to
      // drain it, or an agent restart would block (or SIGPIPE) every executor. Append mode so
      // nothing already in the sandbox is ever truncated.
      [stdout, stderr] = await Promise.all([open(join(sandbox, 'stdout'), 'a'), open(join(sandbox, 'stderr'), 'a')]);
      const cgroups = await this.isolation.prepare(containerId, spec.limits ?? {});
      const child = this.spawnChild(spec, sandbox, stdout.fd, stderr.fd, cgroups);
      const pid = await spawned(child);
      const handle = new ContainerHandle(containerId, pid, sandbox, false, (t) => this.finish(containerId, t));
      handle.attachChild(child);
      this.track(handle);
      return handle;
    } catch (e) {
      this.live.delete(containerId);
      await this.isolation.cleanup(containerId);
      if (e instanceof ContainerLaunchError) throw e;
      throw new ContainerLaunchError(containerId, describe(e), { cause: e });
    } finally {
      // The child holds its own copies of the descriptors; the agent keeps none open.
      await Promise.all([stdout?.close(), stderr?.close()]);
    }
  }

  /**
   * Re-attaches to an executor that a previous agent incarnation launched. It is no longer our
   * child, so its exit is noticed by polling and its exit status is unknown. An executor that
   * is already gone yields a container that has already terminated (its group is still swept).
   */
  async reattach(spec: ReattachSpec): Promise<Container> {
    const existing = this.live.get(spec.containerId);
    if (existing) return existing;
    const handle = new ContainerHandle(spec.containerId, spec.pid, spec.sandbox, true, (t) => this.finish(spec.containerId, t));
    handle.pollForExit(this.reattachPollMs);
    this.track(handle);
    return handle;
  }

  /**
   * Prepares a container whose process another program starts (a command task, started by its
   * executor host): its cgroups exist and are limited when this resolves, and the returned join
   * says what that process must do first. destroy() ends it.
   */
  async prepare(containerId: string, limits: ContainerLimits, user?: UserIds): Promise<ContainerJoin> {
    if (this.live.has(containerId) || this.external.has(containerId)) {
      throw new ContainerLaunchError(containerId, 'a container with this id is already running');
    }
    this.external.set(containerId, undefined);
    try {
      const cgroups = await this.isolation.prepare(containerId, limits);
      this.isolation.watch(containerId, () => void this.isolation.kill(containerId));
      return { cgroups, ...(user ? { user } : {}) };
    } catch (e) {
      this.external.delete(containerId);
      await this.isolation.cleanup(containerId);
      throw new ContainerLaunchError(containerId, describe(e), { cause: e });
    }
  }

  /** The process group of a prepared container's process, once its starter reports it (for usage). */
  setPid(containerId: string, pgid: number): void {
    if (this.external.has(containerId)) this.external.set(containerId, pgid);
  }

  /** The pid (and process group) of a container: its executor's, or what a prepared container's starter reported. */
  pidOf(containerId: string): number | undefined {
    return this.get(containerId)?.pid ?? this.external.get(containerId);
  }

  /** The limitation a container hit, if any (read before it is destroyed). */
  limitation(containerId: string): Promise<Limitation | undefined> {
    return this.isolation.limitation(containerId);
  }

  /** Whether a terminal status of this container's task may be owed to a limitation (worth a check). */
  mayBeLimited(containerId: string): boolean {
    return this.isolation.memoryLimited(containerId);
  }

  /** Ends a prepared container: what is left of it is killed and its cgroups removed. */
  async destroy(containerId: string): Promise<void> {
    if (!this.external.has(containerId)) return;
    const pgid = this.external.get(containerId);
    this.external.delete(containerId);
    if (pgid !== undefined) await killRemainingGroup(pgid).catch(() => undefined);
    await this.isolation.cleanup(containerId);
  }

  /**
   * After an agent restart: the containers that survived are known again; cgroups under the
   * root of containers this agent's work_dir launched, and that did not survive, are destroyed,
   * except those holding a process of `holding` (executor hosts whose executors were recovered),
   * which are re-attached to that process, whatever their id, and removed when it ends.
   */
  recover(recovered: Iterable<string>, owned: (containerId: string) => boolean, holding: ReadonlySet<number> = new Set()): Promise<string[]> {
    const ids = new Set(recovered);
    for (const id of ids) if (!this.live.has(id)) this.external.set(id, undefined);
    // A kept container's process is watched like a re-attached executor's: its end removes the cgroup.
    return this.isolation.recover(ids, owned, holding, (id, pid) => void this.reattach({ containerId: id, pid, sandbox: '' }));
  }

  /** Every container's id: launched here, re-attached, or prepared for another program. */
  containerIds(): string[] {
    return [...new Set([...this.containers().map((c) => c.containerId), ...this.external.keys()])];
  }

  /**
   * The hook for persistent volumes (filesystem/posix): makes `<sandbox>/<container_path>` a
   * link to each of `volumes`, and removes the links of volumes no longer listed. Resolves with
   * a warning per volume skipped (a container path that is not a plain name).
   */
  linkVolumes(containerId: string, sandbox: string, volumes: readonly VolumeLink[]): Promise<string[]> {
    return this.isolation.filesystem.linkVolumes(containerId, sandbox, volumes);
  }

  /** Changes a container's limits while it runs. */
  update(containerId: string, limits: ContainerLimits): Promise<void> {
    return this.isolation.update(containerId, limits);
  }

  /** The limits the container was prepared with. */
  limits(containerId: string): ContainerLimits | undefined {
    return this.isolation.limits(containerId);
  }

  /** The container's own end, before anyone hears of it: a limitation read, then its cgroups removed. */
  private async finish(containerId: string, t: Termination): Promise<Termination> {
    const limitation = await this.isolation.limitation(containerId).catch(() => undefined);
    await this.isolation.cleanup(containerId);
    return limitation ? { ...t, limitation } : t;
  }

  get(containerId: string): Container | undefined {
    const c = this.live.get(containerId);
    return c && c.pid > 0 ? c : undefined;
  }

  containers(): Container[] {
    return [...this.live.values()].filter((c) => c.pid > 0);
  }

  /** Resource usage of a container, each isolator adding its part (Mesos's ResourceStatistics names). */
  async usage(containerId: string): Promise<ResourceStatistics | undefined> {
    const c = this.get(containerId);
    if (c) return this.isolation.usage(containerId, c.pid);
    if (this.external.has(containerId)) return this.isolation.usage(containerId, this.external.get(containerId));
    return undefined;
  }

  /** Kills every container (agent shutdown, test teardown) and resolves when all are gone. */
  async destroyAll(gracePeriodMs = 0): Promise<void> {
    await Promise.allSettled([...this.launching]);
    await Promise.all(this.containers().map((c) => c.kill(gracePeriodMs)));
    await Promise.all([...this.external.keys()].map((id) => this.destroy(id)));
    this.isolation.stop();
  }

  private track(handle: ContainerHandle): void {
    this.live.set(handle.containerId, handle);
    // An OOM kill of a member other than the executor leaves the container running: end it, as Mesos does.
    this.isolation.watch(handle.containerId, () => void handle.kill(0));
    void handle.wait().then(() => {
      if (this.live.get(handle.containerId) === handle) this.live.delete(handle.containerId);
    });
  }

  private spawnChild(spec: ContainerLaunchSpec, sandbox: string, outFd: number, errFd: number, cgroups: string[]): ChildProcess {
    const { command } = spec;
    const env = { ...this.baseEnv, ...spec.env };
    // detached: setsid(), so the executor leads a new session and process group whose id is
    // its pid; group signals then reach everything it forks, and a signal to the agent's own
    // terminal group never reaches executors.
    const common = { cwd: sandbox, env, stdio: ['ignore', outFd, errFd] as ['ignore', number, number], detached: true };
    const shell = command.shell ?? true;
    const argv = shell ? ['/bin/sh', '-c', command.value] : command.arguments?.length ? [command.value, ...command.arguments.slice(1)] : [command.value];
    if (cgroups.length > 0 || spec.user !== undefined) {
      // The container's first process joins its cgroups, then becomes its user, then executes
      // the command: nothing of the container ever runs outside them (Mesos's linux launcher
      // does the same between clone and exec). argv[0] is the program's own name here.
      const [file, args] = joinCommand(argv, { cgroups, ...(spec.user ? { user: spec.user } : {}) });
      return spawn(file, args, common);
    }
    if (shell) return spawn('/bin/sh', ['-c', command.value], common);
    const full = command.arguments ?? [command.value];
    const [argv0, ...args] = full.length > 0 ? full : [command.value];
    return spawn(command.value, args, argv0 === undefined ? common : { ...common, argv0 });
  }
}

/**
 * `/bin/sh -c` that writes its own pid to every cgroup.procs file of the join, switches to the
 * join's user (setpriv, with the user's groups) and executes argv in its place; the pid, and
 * so the process group it leads, stays the same.
 */
export function joinCommand(argv: readonly string[], join: ContainerJoin): [string, string[]] {
  return ['/bin/sh', ['-c', `${joinScript(join)} "$@"`, 'sh', ...argv]];
}

/** The shell text that joins the container and ends in `exec` of what follows it. */
export function joinScript(join: ContainerJoin): string {
  const steps = join.cgroups.map((f) => `echo $$ > ${shellQuote(f)}`);
  const exec = join.user ? `exec setpriv --reuid=${join.user.uid} --regid=${join.user.gid} --init-groups --` : 'exec';
  return [...steps, exec].join(' && ');
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Resolves with the pid once the process exists; rejects with the spawn error otherwise. */
function spawned(child: ChildProcess): Promise<number> {
  // libuv reports exec failures synchronously, so a missing pid means 'error' is on its way.
  if (child.pid !== undefined) return Promise.resolve(child.pid);
  return new Promise((_, reject) => child.once('error', reject));
}

function describe(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) {
    const err = e as NodeJS.ErrnoException;
    if (err.syscall?.startsWith('spawn') && err.code === 'ENOENT') {
      // Node says ENOENT both for a missing program and for a missing cwd.
      return `cannot execute ${err.path ?? 'the command'} (no such file, or the sandbox is missing): ${err.message}`;
    }
    return err.message;
  }
  return String(e);
}

export function describeExit(exitCode: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `killed by signal ${signal}`;
  if (exitCode !== null) return `exited with status ${exitCode}`;
  return 'terminated with an unknown status';
}

class ContainerHandle implements Container {
  private exited = false;
  private resolveTermination!: (t: Termination) => void;
  private readonly termination = new Promise<Termination>((r) => (this.resolveTermination = r));
  private pollTimer: NodeJS.Timeout | undefined;
  private pollIntervalMs = 250;

  constructor(
    readonly containerId: string,
    readonly pid: number,
    readonly sandbox: string,
    readonly reattached: boolean,
    /** The containerizer's part of the end (limitation, cleanup), before wait() resolves. */
    private readonly finish: (t: Termination) => Promise<Termination> = async (t) => t,
  ) {}

  attachChild(child: ChildProcess): void {
    // A ChildProcess emits 'error' if, say, a later kill fails; unhandled it would throw.
    child.on('error', () => {});
    child.once('exit', (code, signal) => this.leaderExited({ exitCode: code, signal, status: describeExit(code, signal) }));
  }

  /** For a re-attached executor: probe its pid every `intervalMs` until it is gone. */
  pollForExit(intervalMs: number): void {
    this.pollIntervalMs = intervalMs;
    void this.poll();
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (this.exited) return;
    if (await processAlive(this.pid)) {
      if (!this.exited && this.pollTimer === undefined) {
        this.pollTimer = setTimeout(() => void this.poll(), this.pollIntervalMs);
      }
      return;
    }
    this.leaderExited({
      exitCode: null,
      signal: null,
      status: 'terminated; exit status unknown (the executor was not a child of this agent process)',
    });
  }

  wait(): Promise<Termination> {
    return this.termination;
  }

  async kill(gracePeriodMs = 0): Promise<Termination> {
    if (!this.exited) {
      // A re-attached executor's exit is only seen by probing; while it is being killed, probe
      // often, so kill() resolves soon after the process is gone.
      if (this.reattached) {
        this.pollIntervalMs = Math.min(this.pollIntervalMs, 10);
        if (this.pollTimer !== undefined) {
          clearTimeout(this.pollTimer);
          void this.poll();
        }
      }
      let escalation: NodeJS.Timeout | undefined;
      if (gracePeriodMs > 0) {
        signalGroup(this.pid, 'SIGTERM');
        escalation = setTimeout(() => this.escalate(), gracePeriodMs);
      } else {
        this.escalate();
      }
      const t = await this.termination;
      clearTimeout(escalation);
      return t;
    }
    return this.termination;
  }

  private escalate(): void {
    signalGroup(this.pid, 'SIGKILL');
  }

  private leaderExited(t: Termination): void {
    if (this.exited) return;
    this.exited = true;
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    // The container ends with its executor: sweep anything it left in its group first, so a
    // terminated container never leaves processes behind (Mesos destroys the container too).
    void killRemainingGroup(this.pid)
      .catch(() => undefined)
      .then(() => this.finish(t))
      .then(
        (final) => this.resolveTermination(final),
        () => this.resolveTermination(t),
      );
  }
}
