// The POSIX isolators (posix/cpu, posix/mem): no enforcement, only accounting. They sum CPU time
// and RSS over the container's process group from /proc, as Mesos's POSIX isolators sum them
// over the executor's process tree. Also the shape of what every isolator reports.

import { CLOCK_TICKS_PER_SECOND, PAGE_SIZE, processGroupMembers } from './proc.js';

export interface ContainerLimits {
  cpus?: number;
  memBytes?: number;
}

/** Mesos's ResourceStatistics, with its field names (`/monitor/statistics`, `/containers`). */
export interface ResourceStatistics {
  /** Seconds since the epoch. */
  timestamp: number;
  processes?: number;
  threads?: number;
  cpus_user_time_secs?: number;
  cpus_system_time_secs?: number;
  cpus_limit?: number;
  cpus_nr_periods?: number;
  cpus_nr_throttled?: number;
  cpus_throttled_time_secs?: number;
  mem_total_bytes?: number;
  mem_rss_bytes?: number;
  mem_cache_bytes?: number;
  mem_file_bytes?: number;
  mem_mapped_file_bytes?: number;
  mem_swap_bytes?: number;
  mem_unevictable_bytes?: number;
  mem_limit_bytes?: number;
}

/** What posix/cpu and posix/mem see of the group led by `pgid`; undefined without /proc. */
export async function posixUsage(pgid: number, cpu: boolean, mem: boolean): Promise<Partial<ResourceStatistics> | undefined> {
  const members = await processGroupMembers(pgid);
  if (members === undefined) return undefined;
  // Zombies have released their memory and their CPU time is final; counting them would report
  // a process that no longer runs.
  const live = members.filter((m) => m.state !== 'Z');
  const ticks = (f: (m: (typeof live)[number]) => number): number => live.reduce((sum, m) => sum + f(m), 0) / CLOCK_TICKS_PER_SECOND;
  const out: Partial<ResourceStatistics> = {
    processes: live.length,
    threads: live.reduce((sum, m) => sum + m.threads, 0),
  };
  if (cpu) {
    out.cpus_user_time_secs = ticks((m) => m.utimeTicks);
    out.cpus_system_time_secs = ticks((m) => m.stimeTicks);
  }
  if (mem) out.mem_rss_bytes = live.reduce((sum, m) => sum + m.rssPages, 0) * PAGE_SIZE;
  return out;
}
