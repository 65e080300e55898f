// The isolators chosen by --isolation (Mesos's names), run as one pipeline for every container:
// prepare (its cgroups created and limited), the files its first process joins, usage (each
// isolator adds its part of ResourceStatistics), the limitation it hit (an OOM kill under
// cgroups/mem), and cleanup. The launcher (--launcher=linux) adds the freezer, through which a
// container is destroyed whole. Mesos's MesosContainerizer::create and isolators/cgroups/.

import { ValidationError } from '../../runtime/index.js';
import { Cgroups, detectCgroups, type CgroupsHost } from './cgroups.js';
import { posixUsage, type ContainerLimits, type ResourceStatistics } from './posix-isolator.js';
import { CLOCK_TICKS_PER_SECOND } from './proc.js';
import { PosixFilesystem } from './filesystem-posix.js';

export const ISOLATORS = ['posix/cpu', 'posix/mem', 'cgroups/cpu', 'cgroups/mem', 'cgroups/pids', 'filesystem/posix'] as const;
export type IsolatorName = (typeof ISOLATORS)[number];
export type LauncherName = 'linux' | 'posix';

export const DEFAULT_ISOLATION = 'posix/cpu,posix/mem';

export interface IsolationOptions {
  /** Comma-separated isolator names (default posix/cpu,posix/mem). */
  isolation?: string;
  /** --cgroups_hierarchy (default /sys/fs/cgroup). */
  hierarchy?: string;
  /** --cgroups_root (default mesos). */
  root?: string;
  /** --cgroups_enable_cfs: a hard CPU cap (CFS quota) beside the shares. */
  enableCfs?: boolean;
  /** --launcher; default linux when a cgroups isolator is in use, else posix. */
  launcher?: LauncherName;
  /** How often containers with a memory limit are checked for an OOM kill (ms). */
  oomCheckMs?: number;
}

/** Why the containerizer ended a container (Mesos's ContainerLimitation). */
export interface Limitation {
  reason: 'REASON_CONTAINER_LIMITATION_MEMORY';
  message: string;
}

// Mesos's constants (slave/containerizer/mesos/isolators/cgroups/constants.hpp).
const CPU_SHARES_PER_CPU = 1024;
const MIN_CPU_SHARES = 2;
const CPU_CFS_PERIOD_US = 100_000;
const MIN_CPU_CFS_QUOTA_US = 1000;
export const MIN_MEMORY_BYTES = 32 * 1024 * 1024;

const MB = 1024 * 1024;

/** Parses --isolation; an unknown name is a ValidationError naming it. */
export function parseIsolation(text: string): IsolatorName[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!(ISOLATORS as readonly string[]).includes(n)) {
      throw new ValidationError(`Unknown or unsupported isolator '${n}' in --isolation (known: ${ISOLATORS.join(', ')})`);
    }
  }
  return [...new Set(names)] as IsolatorName[];
}

interface Isolated {
  limits: ContainerLimits;
  /** Whether it has cgroups (a recovered container whose cgroups did not survive has none). */
  cgroups: boolean;
  limitation: Limitation | undefined;
  onLimitation: ((l: Limitation) => void) | undefined;
  /** The update being written to its cgroups, which the next one waits for. */
  updating: Promise<void>;
}

export class Isolation {
  private readonly containers = new Map<string, Isolated>();
  /** filesystem/posix, on whatever --isolation says: Mesos adds it when no filesystem isolator is named. */
  readonly filesystem = new PosixFilesystem();
  private oomTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly names: readonly IsolatorName[],
    readonly launcher: LauncherName,
    /** Present when any cgroups isolator or the linux launcher is in use. */
    readonly cgroups: Cgroups | undefined,
    private readonly enableCfs: boolean,
    private readonly oomCheckMs: number,
  ) {}

  /**
   * The isolators of --isolation on this host. A cgroups isolator (or the linux launcher) on a
   * host without a writable cgroups hierarchy is refused here, with one line saying why.
   */
  /** posix/cpu,posix/mem with the posix launcher: what a containerizer uses when given nothing else. */
  static posix(): Isolation {
    return new Isolation(['posix/cpu', 'posix/mem'], 'posix', undefined, false, 1000);
  }

  static async create(o: IsolationOptions = {}): Promise<Isolation> {
    const names = parseIsolation(o.isolation ?? DEFAULT_ISOLATION);
    const wantsCgroups = names.some((n) => n.startsWith('cgroups/'));
    const launcher = o.launcher ?? (wantsCgroups ? 'linux' : 'posix');
    const hierarchy = o.hierarchy ?? '/sys/fs/cgroup';
    const root = o.root ?? 'mesos';
    if (root === '' || root.split('/').some((s) => s === '..' || s === '.')) throw new ValidationError(`--cgroups_root '${root}' must be a relative path without '.' or '..'`);
    const oomCheckMs = o.oomCheckMs ?? 1000;
    if (!wantsCgroups && launcher === 'posix') return new Isolation(names, launcher, undefined, false, oomCheckMs);
    const host = await detectCgroups(hierarchy);
    const wanted = wantedSubsystems(names, launcher);
    const what = wantsCgroups ? `--isolation=${names.filter((n) => n.startsWith('cgroups/')).join(',')}` : '--launcher=linux';
    if (host === undefined) throw new ValidationError(`${what} needs cgroups, but no writable cgroups hierarchy is mounted at ${hierarchy} (--cgroups_hierarchy)`);
    const missing = wanted.filter((s) => !host.subsystems.has(s));
    if (missing.length > 0) throw new ValidationError(`${what} needs the cgroups subsystem(s) ${missing.join(', ')}, which ${hierarchy} (cgroups ${host.version}) does not offer`);
    const cgroups = new Cgroups(host, root, wanted);
    try {
      await cgroups.prepareRoot();
    } catch (e) {
      throw new ValidationError(`${what}: cannot prepare the cgroups root '${root}' under ${hierarchy}: ${(e as Error).message}`, { cause: e });
    }
    return new Isolation(names, launcher, cgroups, o.enableCfs ?? false, oomCheckMs);
  }

  has(name: IsolatorName): boolean {
    return this.names.includes(name);
  }

  get host(): CgroupsHost | undefined {
    return this.cgroups?.host;
  }

  /**
   * Creates the container's cgroups and sets its limits; returns the cgroup.procs files its
   * first process must join before it runs anything (empty without cgroups).
   */
  async prepare(containerId: string, limits: ContainerLimits): Promise<string[]> {
    const cg = this.cgroups;
    this.containers.set(containerId, { limits, cgroups: cg !== undefined, limitation: undefined, onLimitation: undefined, updating: Promise.resolve() });
    if (!cg) return [];
    await cg.create(containerId);
    await this.apply(cg, containerId, limits);
    return cg.procsFiles(containerId);
  }

  /**
   * New limits for a running container (its executor given a task, or one of its tasks ended:
   * Mesos's containerizer update). CPU shares and quota follow both ways; the memory hard limit
   * only grows (lowering it under what runs would OOM-kill the container), the soft limit follows.
   */
  async update(containerId: string, limits: ContainerLimits): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c) return;
    c.limits = limits;
    const cg = this.cgroups;
    if (!c.cgroups || !cg) return;
    // One update at a time per container, each writing the newest limits: the last one wins.
    const next = c.updating.then(() => this.apply(cg, containerId, c.limits, true));
    c.updating = next.catch(() => undefined);
    await next;
  }

  private async apply(cg: Cgroups, containerId: string, limits: ContainerLimits, update = false): Promise<void> {
    await Promise.all([this.applyCpu(cg, containerId, limits), this.applyMem(cg, containerId, limits, update)]);
  }

  private async applyCpu(cg: Cgroups, containerId: string, limits: ContainerLimits): Promise<void> {
    const v2 = cg.host.version === 'v2';
    if (this.has('cgroups/cpu') && limits.cpus !== undefined) {
      const shares = Math.max(Math.floor(CPU_SHARES_PER_CPU * limits.cpus), MIN_CPU_SHARES);
      const quota = Math.max(Math.floor(CPU_CFS_PERIOD_US * limits.cpus), MIN_CPU_CFS_QUOTA_US);
      if (v2) {
        // The v1 shares mapped onto cpu.weight's 1..10000 range, as Mesos's v2 cpu controller does.
        await cg.write('cpu', containerId, 'cpu.weight', Math.max(1, Math.round(1 + ((shares - 2) * 9999) / 262142)));
        if (this.enableCfs) await cg.write('cpu', containerId, 'cpu.max', `${quota} ${CPU_CFS_PERIOD_US}`);
      } else {
        await cg.write('cpu', containerId, 'cpu.shares', shares);
        if (this.enableCfs) {
          await cg.write('cpu', containerId, 'cpu.cfs_period_us', CPU_CFS_PERIOD_US);
          await cg.write('cpu', containerId, 'cpu.cfs_quota_us', quota);
        }
      }
    }
  }

  private async applyMem(cg: Cgroups, containerId: string, limits: ContainerLimits, update: boolean): Promise<void> {
    const v2 = cg.host.version === 'v2';
    if (!this.has('cgroups/mem') || limits.memBytes === undefined) return;
    const limit = Math.max(limits.memBytes, MIN_MEMORY_BYTES);
    const hardFile = v2 ? 'memory.max' : 'memory.limit_in_bytes';
    // Mesos sets the soft limit too: under pressure the kernel reclaims from it first (v2's memory.high throttles instead, so v2 has none).
    if (!v2) await cg.write('memory', containerId, 'memory.soft_limit_in_bytes', limit);
    if (update) {
      const now = Number((await cg.read('memory', containerId, hardFile).catch(() => '')).trim());
      if (Number.isFinite(now) && now >= limit) return;
    }
    await cg.write('memory', containerId, hardFile, limit);
  }

  limits(containerId: string): ContainerLimits | undefined {
    return this.containers.get(containerId)?.limits;
  }

  /** True when the container has a memory limit the kernel enforces (an OOM kill is possible). */
  memoryLimited(containerId: string): boolean {
    const c = this.containers.get(containerId);
    return c !== undefined && c.cgroups && this.has('cgroups/mem') && c.limits.memBytes !== undefined;
  }

  /**
   * Calls `onLimitation` once if the container is OOM-killed while it runs (checked every
   * oomCheckMs; Mesos listens on the cgroup's OOM event, which needs eventfd(2)).
   */
  watch(containerId: string, onLimitation: (l: Limitation) => void): void {
    const c = this.containers.get(containerId);
    if (!c || !this.memoryLimited(containerId)) return;
    c.onLimitation = onLimitation;
    if (this.oomTimer === undefined) {
      this.oomTimer = setInterval(() => void this.checkOoms(), this.oomCheckMs);
      this.oomTimer.unref();
    }
  }

  private async checkOoms(): Promise<void> {
    const watched = [...this.containers].filter(([, c]) => c.onLimitation !== undefined && c.limitation === undefined);
    if (watched.length === 0) {
      clearInterval(this.oomTimer);
      this.oomTimer = undefined;
      return;
    }
    for (const [id, c] of watched) {
      const l = await this.limitation(id);
      const notify = c.onLimitation;
      if (l && notify) {
        c.onLimitation = undefined;
        notify(l);
      }
    }
  }

  /** The limitation the container hit, if any: an OOM kill under cgroups/mem. */
  async limitation(containerId: string): Promise<Limitation | undefined> {
    const c = this.containers.get(containerId);
    const cg = this.cgroups;
    if (!c || !cg || !this.memoryLimited(containerId)) return undefined;
    if (c.limitation) return c.limitation;
    try {
      const v2 = cg.host.version === 'v2';
      const events = await cg.readKeyed('memory', containerId, v2 ? 'memory.events' : 'memory.oom_control');
      if ((events.get('oom_kill') ?? 0) === 0 && (events.get('under_oom') ?? 0) === 0) return undefined;
      const peak = v2
        ? await cg.read('memory', containerId, 'memory.peak').catch(() => cg.read('memory', containerId, 'memory.current'))
        : await cg.read('memory', containerId, 'memory.max_usage_in_bytes');
      const limit = Math.max(c.limits.memBytes ?? 0, MIN_MEMORY_BYTES);
      // Mesos's message (isolators/cgroups/subsystems/memory.cpp), with the sizes in MB.
      c.limitation = {
        reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
        message: `Memory limit exceeded: Requested: ${formatMb(limit)} Maximum Used: ${formatMb(Number(peak.trim()))}`,
      };
      return c.limitation;
    } catch {
      return undefined;
    }
  }

  /**
   * Each isolator's part of the container's usage: cgroups where the container has them, the
   * process group led by `pgid` for the POSIX isolators (and for counts without cgroups).
   */
  async usage(containerId: string, pgid: number | undefined): Promise<ResourceStatistics | undefined> {
    const c = this.containers.get(containerId);
    if (!c) return undefined;
    const stats: ResourceStatistics = { timestamp: Date.now() / 1000 };
    const cg = c.cgroups ? this.cgroups : undefined;
    // In v2, cpu.stat's usage is the cgroup core's: there even without the cpu controller.
    const cgCpu = cg !== undefined && (this.has('cgroups/cpu') || cg.host.version === 'v2');
    const cgMem = cg !== undefined && this.has('cgroups/mem');
    if (cg) {
      const [procs, threads] = await Promise.all([cg.pids(containerId), cg.pids(containerId, true)]);
      stats.processes = procs.length;
      stats.threads = threads.length;
      // In v2, cpu.stat's usage is the core's, there without the cpu controller.
      if (cgCpu) await this.cpuUsage(cg, containerId, stats).catch(() => undefined);
      if (cgMem) await this.memUsage(cg, containerId, stats).catch(() => undefined);
    }
    if (pgid !== undefined && pgid > 0) {
      const posix = await posixUsage(pgid, !cgCpu && this.has('posix/cpu'), !cgMem && this.has('posix/mem'));
      if (posix) {
        if (cg) {
          delete posix.processes;
          delete posix.threads;
        }
        Object.assign(stats, posix);
      }
    }
    if (c.limits.cpus !== undefined) stats.cpus_limit = c.limits.cpus;
    if (c.limits.memBytes !== undefined) stats.mem_limit_bytes = cgMem ? Math.max(c.limits.memBytes, MIN_MEMORY_BYTES) : c.limits.memBytes;
    return stats;
  }

  private async cpuUsage(cg: Cgroups, id: string, stats: ResourceStatistics): Promise<void> {
    if (cg.host.version === 'v2') {
      const s = await cg.readKeyed('cpu', id, 'cpu.stat');
      stats.cpus_user_time_secs = (s.get('user_usec') ?? 0) / 1e6;
      stats.cpus_system_time_secs = (s.get('system_usec') ?? 0) / 1e6;
      if (this.enableCfs) {
        stats.cpus_nr_periods = s.get('nr_periods') ?? 0;
        stats.cpus_nr_throttled = s.get('nr_throttled') ?? 0;
        stats.cpus_throttled_time_secs = (s.get('throttled_usec') ?? 0) / 1e6;
      }
      return;
    }
    const acct = await cg.readKeyed('cpuacct', id, 'cpuacct.stat');
    stats.cpus_user_time_secs = (acct.get('user') ?? 0) / CLOCK_TICKS_PER_SECOND;
    stats.cpus_system_time_secs = (acct.get('system') ?? 0) / CLOCK_TICKS_PER_SECOND;
    if (this.enableCfs) {
      const s = await cg.readKeyed('cpu', id, 'cpu.stat');
      stats.cpus_nr_periods = s.get('nr_periods') ?? 0;
      stats.cpus_nr_throttled = s.get('nr_throttled') ?? 0;
      stats.cpus_throttled_time_secs = (s.get('throttled_time') ?? 0) / 1e9;
    }
  }

  private async memUsage(cg: Cgroups, id: string, stats: ResourceStatistics): Promise<void> {
    if (cg.host.version === 'v2') {
      const [current, s] = await Promise.all([cg.read('memory', id, 'memory.current'), cg.readKeyed('memory', id, 'memory.stat')]);
      stats.mem_total_bytes = Number(current.trim());
      stats.mem_rss_bytes = s.get('anon') ?? 0;
      stats.mem_cache_bytes = s.get('file') ?? 0;
      stats.mem_file_bytes = s.get('file') ?? 0;
      stats.mem_mapped_file_bytes = s.get('file_mapped') ?? 0;
      stats.mem_unevictable_bytes = s.get('unevictable') ?? 0;
      return;
    }
    const [usage, s] = await Promise.all([cg.read('memory', id, 'memory.usage_in_bytes'), cg.readKeyed('memory', id, 'memory.stat')]);
    stats.mem_total_bytes = Number(usage.trim());
    stats.mem_rss_bytes = s.get('total_rss') ?? 0;
    stats.mem_cache_bytes = s.get('total_cache') ?? 0;
    stats.mem_file_bytes = s.get('total_cache') ?? 0;
    stats.mem_mapped_file_bytes = s.get('total_mapped_file') ?? 0;
    stats.mem_swap_bytes = s.get('total_swap') ?? 0;
    stats.mem_unevictable_bytes = s.get('total_unevictable') ?? 0;
  }

  /** Kills whatever is left in the container's cgroups and removes them. */
  async cleanup(containerId: string): Promise<void> {
    const c = this.containers.get(containerId);
    this.containers.delete(containerId);
    this.filesystem.cleanup(containerId);
    if (c?.cgroups && this.cgroups) await this.cgroups.destroy(containerId).catch(() => undefined);
  }

  /** Kills the container's processes through its cgroups (all of them, wherever they moved their group). */
  async kill(containerId: string): Promise<void> {
    const cg = this.cgroups;
    if (!cg || !this.containers.get(containerId)?.cgroups) return;
    for (const pid of await cg.pids(containerId)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  /**
   * After an agent restart: the recovered containers are known again (with the limits they
   * had, read back from their cgroups); cgroups of containers that `owned` claims but that did
   * not survive are destroyed (Mesos destroys orphan containers on recovery), unless they hold
   * a process of `holding` (an executor host still running recovered executors): those are
   * known again and reported to `kept`.
   */
  async recover(recovered: ReadonlySet<string>, owned: (containerId: string) => boolean, holding: ReadonlySet<number> = new Set(), kept: (containerId: string, pid: number) => void = () => {}): Promise<string[]> {
    const cg = this.cgroups;
    for (const id of recovered) if (!this.containers.has(id)) this.containers.set(id, { limits: {}, cgroups: false, limitation: undefined, onLimitation: undefined, updating: Promise.resolve() });
    if (!cg) return [];
    const destroyed: string[] = [];
    for (const id of await cg.list()) {
      const held = recovered.has(id) || holding.size === 0 ? undefined : (await cg.pids(id)).find((p) => holding.has(p));
      const holds = held !== undefined;
      if (holds) kept(id, held);
      if (recovered.has(id) || holds) {
        this.containers.set(id, { limits: await this.readLimits(cg, id), cgroups: true, limitation: undefined, onLimitation: undefined, updating: Promise.resolve() });
      } else if (owned(id)) {
        await cg.destroy(id).catch(() => undefined);
        destroyed.push(id);
      }
    }
    return destroyed;
  }

  private async readLimits(cg: Cgroups, id: string): Promise<ContainerLimits> {
    const limits: ContainerLimits = {};
    const v2 = cg.host.version === 'v2';
    const number = async (s: string, f: string): Promise<number> => Number((await cg.read(s, id, f).catch(() => '')).trim().split(/\s+/)[0]);
    if (this.has('cgroups/mem')) {
      // v1: the soft limit is what the container holds (the hard one stays higher after it shrank); v2 has only memory.max.
      const v = await number('memory', v2 ? 'memory.max' : 'memory.soft_limit_in_bytes');
      if (Number.isFinite(v) && v > 0 && v < 2 ** 62) limits.memBytes = v;
    }
    if (this.has('cgroups/cpu')) {
      // v2: the weight mapped back to shares (to within the rounding of the mapping).
      const v = v2 ? 2 + (((await number('cpu', 'cpu.weight')) - 1) * 262142) / 9999 : await number('cpu', 'cpu.shares');
      if (Number.isFinite(v) && v > 0) limits.cpus = v / CPU_SHARES_PER_CPU;
    }
    return limits;
  }

  stop(): void {
    if (this.oomTimer !== undefined) clearInterval(this.oomTimer);
    this.oomTimer = undefined;
  }
}

/** The subsystems a container joins: cpu and cpuacct for cgroups/cpu, memory, pids, and the freezer for the linux launcher. */
function wantedSubsystems(names: readonly IsolatorName[], launcher: LauncherName): string[] {
  const out: string[] = [];
  if (names.includes('cgroups/cpu')) out.push('cpu', 'cpuacct');
  if (names.includes('cgroups/mem')) out.push('memory');
  if (names.includes('cgroups/pids')) out.push('pids');
  if (launcher === 'linux') out.push('freezer');
  return out;
}

function formatMb(bytes: number): string {
  const mb = bytes / MB;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(2)}MB`;
}
