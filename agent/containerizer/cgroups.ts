// Linux control groups as the containerizer uses them (Mesos's src/linux/cgroups.cpp, reduced):
// which version the host mounts at --cgroups_hierarchy, one cgroup per container under
// --cgroups_root in every subsystem used, control files written and read, and a container's
// cgroups destroyed (every process in them killed first, frozen where a freezer exists).

import { access, mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';

export type CgroupsVersion = 'v1' | 'v2';

/** What the host offers at the hierarchy: its version and the subsystems (controllers) usable there. */
export interface CgroupsHost {
  version: CgroupsVersion;
  hierarchy: string;
  subsystems: Set<string>;
}

const V1_SUBSYSTEMS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'] as const;

/**
 * v2 when the hierarchy itself is a cgroup2 mount (it has cgroup.controllers); v1 when it holds
 * one writable mount per subsystem (`<hierarchy>/memory`, …); undefined when neither.
 */
export async function detectCgroups(hierarchy: string): Promise<CgroupsHost | undefined> {
  const controllers = await readFile(join(hierarchy, 'cgroup.controllers'), 'utf8').catch(() => undefined);
  if (controllers !== undefined) {
    if (!(await writable(hierarchy))) return undefined;
    const subsystems = new Set(controllers.trim().split(/\s+/).filter((s) => s !== ''));
    // The freezer is built into every v2 cgroup (cgroup.freeze), and cpu usage is part of cpu.stat.
    subsystems.add('freezer');
    if (subsystems.has('cpu')) subsystems.add('cpuacct');
    return { version: 'v2', hierarchy, subsystems };
  }
  const subsystems = new Set<string>();
  for (const s of V1_SUBSYSTEMS) {
    const dir = join(hierarchy, s);
    if ((await exists(join(dir, 'cgroup.procs'))) && (await writable(dir))) subsystems.add(s);
  }
  return subsystems.size === 0 ? undefined : { version: 'v1', hierarchy, subsystems };
}

/** The cgroups of containers under one root (`<hierarchy>/<subsystem>/<root>/<container>` in v1). */
export class Cgroups {
  constructor(
    readonly host: CgroupsHost,
    readonly root: string,
    /** The subsystems this agent puts containers in (a subset of host.subsystems). */
    readonly subsystems: readonly string[],
  ) {}

  /** The container's directory for a subsystem (in v2 one directory holds every controller). */
  dir(subsystem: string, containerId?: string): string {
    const base = this.host.version === 'v2' ? join(this.host.hierarchy, this.root) : join(this.host.hierarchy, subsystem, this.root);
    return containerId === undefined ? base : join(base, containerId);
  }

  /** Every directory of the container, one per subsystem (one in v2). */
  dirs(containerId: string): string[] {
    if (this.host.version === 'v2') return [this.dir('', containerId)];
    return this.subsystems.map((s) => this.dir(s, containerId));
  }

  /** Creates the root (and, in v2, delegates the controllers to it). Idempotent. */
  async prepareRoot(): Promise<void> {
    if (this.host.version === 'v2') {
      const controllers = this.subsystems.filter((s) => s !== 'freezer' && s !== 'cpuacct');
      const enable = controllers.map((c) => `+${c}`).join(' ');
      await mkdir(this.dir(''), { recursive: true });
      if (enable !== '') {
        await writeFile(join(this.host.hierarchy, 'cgroup.subtree_control'), enable);
        await writeFile(join(this.dir(''), 'cgroup.subtree_control'), enable);
      }
      return;
    }
    for (const s of this.subsystems) await mkdir(this.dir(s), { recursive: true });
  }

  async create(containerId: string): Promise<void> {
    await Promise.all(this.dirs(containerId).map((d) => mkdir(d, { recursive: true })));
  }

  /** The cgroup.procs files a process writes its pid to, to join the container. */
  procsFiles(containerId: string): string[] {
    return this.dirs(containerId).map((d) => join(d, 'cgroup.procs'));
  }

  write(subsystem: string, containerId: string, file: string, value: string | number): Promise<void> {
    return writeFile(join(this.dir(subsystem, containerId), file), String(value));
  }

  read(subsystem: string, containerId: string, file: string): Promise<string> {
    return readFile(join(this.dir(subsystem, containerId), file), 'utf8');
  }

  /** `key value` lines (cpu.stat, memory.stat, memory.events, memory.oom_control) as numbers. */
  async readKeyed(subsystem: string, containerId: string, file: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const line of (await this.read(subsystem, containerId, file)).split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k !== undefined && v !== undefined) out.set(k, Number(v));
    }
    return out;
  }

  /** The pids in the container (cgroup.procs), or threads (tasks / cgroup.threads). */
  async pids(containerId: string, threads = false): Promise<number[]> {
    const subsystem = this.subsystems[0] ?? '';
    const file = threads ? (this.host.version === 'v2' ? 'cgroup.threads' : 'tasks') : 'cgroup.procs';
    try {
      return (await this.read(subsystem, containerId, file)).split('\n').filter((l) => l !== '').map(Number);
    } catch {
      return [];
    }
  }

  /** Container ids that have a cgroup under the root in any subsystem used. */
  async list(): Promise<string[]> {
    const ids = new Set<string>();
    const bases = this.host.version === 'v2' ? [this.dir('')] : this.subsystems.map((s) => this.dir(s));
    for (const base of bases) {
      const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
      for (const e of entries) if (e.isDirectory()) ids.add(e.name);
    }
    return [...ids];
  }

  /**
   * Kills every process of the container and removes its cgroups. With a freezer the cgroup is
   * frozen first, so nothing forks between the listing and the kill (Mesos's cgroups::destroy);
   * without one the kill repeats until the cgroup is empty. Gives up after `maxWaitMs`.
   */
  async destroy(containerId: string, maxWaitMs = 10_000): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    const present = (await Promise.all(this.dirs(containerId).map(exists))).some((x) => x);
    if (!present) return;
    // The common case: the container's processes have all exited already.
    if ((await this.pids(containerId)).length === 0) {
      await Promise.all(this.dirs(containerId).map((d) => removeDir(d, deadline)));
      return;
    }
    if (this.host.version === 'v2' && (await exists(join(this.dir('', containerId), 'cgroup.kill')))) {
      await this.write('', containerId, 'cgroup.kill', 1).catch(() => undefined);
    } else if (this.subsystems.includes('freezer') && this.host.version === 'v1') {
      await this.freezeAndKill(containerId, deadline);
    }
    for (;;) {
      const pids = await this.pids(containerId);
      if (pids.length === 0) break;
      for (const p of pids) killQuietly(p);
      if (Date.now() >= deadline) break;
      await sleep(5);
    }
    for (const d of this.dirs(containerId).reverse()) await removeDir(d, deadline);
  }

  private async freezeAndKill(containerId: string, deadline: number): Promise<void> {
    const state = (): Promise<string> => this.read('freezer', containerId, 'freezer.state').then((s) => s.trim(), () => 'THAWED');
    await this.write('freezer', containerId, 'freezer.state', 'FROZEN').catch(() => undefined);
    // Freezing can take a moment while a member is in the middle of a system call.
    while ((await state()) === 'FREEZING' && Date.now() < deadline) await sleep(2);
    const pids = await this.pids(containerId);
    for (const p of pids) killQuietly(p);
    // SIGKILL is delivered when the processes thaw.
    await this.write('freezer', containerId, 'freezer.state', 'THAWED').catch(() => undefined);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** rmdir, retried while the kernel still counts a dying member (EBUSY). */
async function removeDir(dir: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) throw e;
      await sleep(5);
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function writable(p: string): Promise<boolean> {
  try {
    await access(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
