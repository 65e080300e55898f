// The POSIX isolator: no enforcement, only accounting. It remembers each container's limits
// and, on request, sums CPU time and RSS over the container's process group from /proc. Mesos's
// cgroups isolators would enforce the limits; there are none here, and this host-agnostic
// fallback only reports, as Mesos's POSIX isolators do.

import { CLOCK_TICKS_PER_SECOND, PAGE_SIZE, processGroupMembers } from './proc.js';

export interface ContainerLimits {
  cpus?: number;
  memBytes?: number;
}

/** A subset of Mesos's ResourceStatistics, with its field names (`/monitor/statistics`). */
export interface ResourceStatistics {
  /** Seconds since the epoch. */
  timestamp: number;
  processes: number;
  threads: number;
  cpus_user_time_secs: number;
  cpus_system_time_secs: number;
  mem_rss_bytes: number;
  cpus_limit?: number;
  mem_limit_bytes?: number;
}

export class PosixIsolator {
  private readonly limits = new Map<string, ContainerLimits>();

  prepare(containerId: string, limits: ContainerLimits): void {
    this.limits.set(containerId, limits);
  }

  cleanup(containerId: string): void {
    this.limits.delete(containerId);
  }

  /** Usage of the group led by `pgid`; undefined where /proc is unavailable. */
  async usage(containerId: string, pgid: number): Promise<ResourceStatistics | undefined> {
    const members = await processGroupMembers(pgid);
    if (members === undefined) return undefined;
    // Zombies have released their memory and their CPU time is already final; counting them
    // would double-count nothing but would report a process that no longer runs.
    const live = members.filter((m) => m.state !== 'Z');
    const ticks = (f: (m: (typeof live)[number]) => number): number =>
      live.reduce((sum, m) => sum + f(m), 0) / CLOCK_TICKS_PER_SECOND;
    const stats: ResourceStatistics = {
      timestamp: Date.now() / 1000,
      processes: live.length,
      threads: live.reduce((sum, m) => sum + m.threads, 0),
      cpus_user_time_secs: ticks((m) => m.utimeTicks),
      cpus_system_time_secs: ticks((m) => m.stimeTicks),
      mem_rss_bytes: live.reduce((sum, m) => sum + m.rssPages, 0) * PAGE_SIZE,
    };
    const limits = this.limits.get(containerId);
    if (limits?.cpus !== undefined) stats.cpus_limit = limits.cpus;
    if (limits?.memBytes !== undefined) stats.mem_limit_bytes = limits.memBytes;
    return stats;
  }
}
