// The agent's side of isolation: every executor run (a custom executor, or a command task,
// whose process its executor host starts) is a container with the resources of the executor
// and its tasks as limits, run as the task's user (--switch_user), ended when the executor ends
// and cleaned up on recovery. A terminal update of a task whose container hit a limitation
// becomes Mesos's TASK_FAILED with the limitation's reason, from the agent.

import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pid } from '../runtime/index.js';
import { isTerminalState, safeResources, type Resources, type ExecutorInbox, type TaskInfo, type TaskStatusUpdate } from '../protocol/index.js';
import { chownSandbox, lookupUser, taskUser, type ContainerJoin, type ContainerLaunchSpec, type ContainerLimits, type Container, type Limitation, type UserIds } from './containerizer/index.js';
import type { AgentContext } from './context.js';
import type { ExecutorState, FrameworkState } from './state.js';

export class Containers {
  /** Command tasks' containers: what their executor host must do to join them. */
  private readonly joins = new Map<string, ContainerJoin>();

  constructor(private readonly ctx: AgentContext) {}

  /** The limits of an executor's container: its own resources (or `resources`) and the task's (Mesos's container resources). */
  limits(e: ExecutorState, task: TaskInfo | undefined, resources?: Resources): ContainerLimits {
    let r = resources ?? safeResources(e.info.resources);
    if (task) r = r.add(safeResources(task.resources));
    const cpus = r.scalar('cpus');
    const mem = r.scalar('mem');
    return { ...(cpus > 0 ? { cpus } : {}), ...(mem > 0 ? { memBytes: Math.round(mem * 1024 * 1024) } : {}) };
  }

  private async user(f: FrameworkState, commandUser: string | undefined): Promise<UserIds | undefined> {
    const name = taskUser(this.ctx.config.switchUser, commandUser, f.info.user);
    return name === undefined ? undefined : lookupUser(name);
  }

  /**
   * A command task's sandbox and container, before its executor host is asked to run it: the
   * sandbox (with stdout and stderr) belongs to the task's user, and its cgroups exist.
   */
  async prepareCommand(f: FrameworkState, e: ExecutorState, task: TaskInfo): Promise<void> {
    const user = await this.user(f, task.command?.user);
    await mkdir(e.directory, { recursive: true });
    if (user) {
      await Promise.all(['stdout', 'stderr'].map((n) => open(join(e.directory, n), 'a').then((h) => h.close())));
      await chownSandbox(e.directory, user);
    }
    const joined = await this.ctx.containerizer.prepare(e.containerId, this.limits(e, task), user);
    this.joins.set(e.containerId, joined);
  }

  /**
   * A custom executor's container: launched as its user, with the executor's and its queued
   * tasks' resources as limits (a task group's tasks all count; a task added later resizes it).
   */
  async launchCustom(f: FrameworkState, e: ExecutorState, spec: ContainerLaunchSpec): Promise<Container> {
    const user = await this.user(f, e.info.command?.user);
    if (user) {
      await mkdir(e.directory, { recursive: true });
      await chownSandbox(e.directory, user);
    }
    return this.ctx.containerizer.launch({ ...spec, limits: this.limits(e, undefined, e.resources()), ...(user ? { user } : {}) });
  }

  /**
   * A custom executor's tasks changed (one added, or one ended): its container's limits follow
   * the executor's and its live tasks' resources (Mesos's containerizer update). A command
   * task's container is its one task's and ends with it.
   */
  resize(e: ExecutorState): void {
    if (e.kind !== 'custom' || e.state === 'TERMINATED') return;
    // Summed from each task's cpus and mem, parsed once per task: an executor given thousands
    // of tasks at once must not re-parse all of them for each one.
    let [cpusMillis, memMillis] = this.scalars(e.info.resources);
    for (const t of [...e.queuedTasks.values(), ...e.launchedTasks.values()]) {
      const [c, m] = this.scalars(t.resources);
      cpusMillis += c;
      memMillis += m;
    }
    const cpus = cpusMillis / 1000;
    const mem = Math.round((memMillis / 1000) * 1024 * 1024);
    const limits = { ...(cpus > 0 ? { cpus } : {}), ...(mem > 0 ? { memBytes: mem } : {}) };
    const now = this.ctx.containerizer.limits(e.containerId);
    if (now === undefined || (now.cpus === limits.cpus && now.memBytes === limits.memBytes)) return;
    void this.ctx.containerizer.update(e.containerId, limits).catch((err: unknown) => this.ctx.log.warn({ container: e.containerId, problem: String(err) }, 'cannot update the container\'s limits'));
  }

  private readonly scalarsOf = new WeakMap<object, readonly [number, number]>();

  /** The cpus and mem of a resource list, in thousandths (Resources' fixed point), cached per list. */
  private scalars(list: TaskInfo['resources'] | undefined): readonly [number, number] {
    if (list === undefined) return [0, 0];
    let s = this.scalarsOf.get(list);
    if (s === undefined) {
      const r = safeResources(list);
      s = [Math.round(r.scalar('cpus') * 1000), Math.round(r.scalar('mem') * 1000)];
      this.scalarsOf.set(list, s);
    }
    return s;
  }

  /** What the executor host's task process does first (LaunchExecutor.container). */
  joinOf(containerId: string): ContainerJoin | undefined {
    return this.joins.get(containerId);
  }

  /** The executor ended: a command task's container goes with it (its host does not own it). */
  terminated(e: ExecutorState): void {
    if (e.kind !== 'command') return;
    this.joins.delete(e.containerId);
    void this.ctx.containerizer.destroy(e.containerId);
  }

  /**
   * An executor's update, before it is accepted: the task's pid is noted (usage of a command
   * task's process group), and a terminal one of a container that may have hit a limitation is
   * held until that is known. Returns true when it was held (it comes back as _LimitationChecked).
   */
  hold(update: TaskStatusUpdate, e: ExecutorState, ackTo: Pid<ExecutorInbox> | undefined): boolean {
    const { ctx } = this;
    const pid = update.status.container_status?.executor_pid;
    if (e.kind === 'command' && pid !== undefined) ctx.containerizer.setPid(e.containerId, pid);
    // A task that finished (exit 0) was not ended by the OOM killer; one killed while it runs
    // is caught by the containerizer's own watch. Only other terminal states are checked.
    if (!isTerminalState(update.status.state) || update.status.state === 'TASK_FINISHED' || !ctx.containerizer.mayBeLimited(e.containerId)) return false;
    ctx.pipeToSelf(
      ctx.containerizer.limitation(e.containerId),
      (limitation) => ({ name: '_LimitationChecked', update: limited(update, limitation), ackTo }),
      () => ({ name: '_LimitationChecked', update, ackTo }),
    );
    return true;
  }

  /** After an agent restart: the recovered runs are containers again; orphans this work_dir launched are destroyed. */
  recover(): void {
    const { ctx } = this;
    const recovered: string[] = [];
    // The hosts of recovered command executors keep running them: their containers are not orphans.
    const hosts = new Set<number>();
    for (const f of ctx.frameworks.values()) {
      for (const e of f.executors.values()) {
        recovered.push(e.containerId);
        if (e.kind === 'command' && e.hostOsPid !== undefined) hosts.add(e.hostOsPid);
      }
    }
    ctx.pipeToSelf(
      sandboxRunIds(ctx.config.workDir).then((runs) => ctx.containerizer.recover(recovered, (id) => runs.has(id), hosts)),
      (destroyed) => ({ name: '_ContainersRecovered', destroyed }),
      (err) => ({ name: '_ContainersRecovered', destroyed: [], error: String(err) }),
    );
  }

  recovered(destroyed: string[], error: string | undefined): void {
    if (error !== undefined) this.ctx.log.warn({ problem: error }, 'cannot clean up the containers of the previous agent');
    else if (destroyed.length > 0) this.ctx.log.info({ containers: destroyed }, 'destroyed orphan containers of the previous agent');
  }
}

/** The update as the agent reports a limitation: TASK_FAILED with its reason and message, from the agent. */
function limited(update: TaskStatusUpdate, l: Limitation | undefined): TaskStatusUpdate {
  if (!l) return update;
  return { ...update, status: { ...update.status, state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: l.reason, message: l.message } };
}

/**
 * Every run directory's name (a container id) under the work_dir's sandboxes: the containers
 * this agent may have launched. Only these are ever destroyed as orphans, so agents sharing a
 * host (and a cgroups root) never destroy each other's containers.
 */
export async function sandboxRunIds(workDir: string): Promise<Set<string>> {
  const into = new Set<string>();
  const list = async (p: string): Promise<string[]> => (await readdir(p, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
  const agents = join(workDir, 'slaves');
  for (const a of await list(agents)) {
    const frameworks = join(agents, a, 'frameworks');
    for (const f of await list(frameworks)) {
      for (const kind of ['executors', 'executor-host']) {
        const base = join(frameworks, f, kind);
        if (kind === 'executor-host') {
          for (const r of await list(join(base, 'runs'))) into.add(r);
          continue;
        }
        for (const e of await list(base)) for (const r of await list(join(base, e, 'runs'))) into.add(r);
      }
    }
  }
  return into;
}
