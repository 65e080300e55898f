// The hierarchical allocator's metrics with Mesos's names (allocator/mesos/…): allocation runs
// and their times, totals and what is offered or allocated, dominant shares, active refusal
// filters per role, and each quota role's guarantee, limit and consumption.

import type { ResourcePool, TreeSorter } from './sorter.js';
import type { FrameworkState, RoleState } from './records.js';

/** What the metrics read of the allocator. */
export interface MetricsView {
  now: number;
  runs: number;
  /** The latest allocation run times, in ms, oldest first. */
  runTimes: readonly number[];
  roleSorter: TreeSorter;
  pool: ResourcePool;
  frameworks: ReadonlyMap<string, FrameworkState>;
  roles: ReadonlyMap<string, RoleState>;
  quotaRoles: ReadonlySet<RoleState>;
}

/** The allocator's metrics with Mesos's names, as a flat record. */
export function allocatorMetrics(a: MetricsView): Record<string, number> {
  const now = a.now;
  const m: Record<string, number> = {};
  const p = 'allocator/mesos/';
  m[p + 'allocation_runs'] = a.runs;
  const times = a.runTimes;
  if (times.length > 0) {
    const sorted = [...times].sort((a, b) => a - b);
    const q = (x: number): number => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]!;
    m[p + 'allocation_run_ms'] = times[times.length - 1]!;
    m[p + 'allocation_run_ms/count'] = times.length;
    m[p + 'allocation_run_ms/min'] = sorted[0]!;
    m[p + 'allocation_run_ms/max'] = sorted[sorted.length - 1]!;
    for (const [k, x] of [['p50', 0.5], ['p90', 0.9], ['p95', 0.95], ['p99', 0.99], ['p999', 0.999], ['p9999', 0.9999]] as const) m[`${p}allocation_run_ms/${k}`] = q(x);
  }
  const offered = a.roleSorter.quantitiesOf();
  for (const name of new Set(['cpus', 'mem', 'disk', ...a.pool.totals.keys()])) {
    m[`${p}resources/${name}/total`] = (a.pool.totals.get(name) ?? 0) / 1000;
    m[`${p}resources/${name}/offered_or_allocated`] = (offered.get(name) ?? 0) / 1000;
  }
  for (const role of a.roleSorter.sort()) m[`${p}roles/${role}/shares/dominant`] = a.roleSorter.unweightedShare(role);
  // Filters that expired but were not yet collected by a run are not counted.
  const active = new Map<string, number>();
  for (const fw of a.frameworks.values()) {
    for (const [role, byAgent] of fw.filters) {
      let n = 0;
      for (const list of byAgent.values()) for (const f of list) if (f.active(now, a.runs)) n++;
      active.set(role, (active.get(role) ?? 0) + n);
    }
  }
  for (const [role, r] of a.roles) if (r.activeFilters > 0 || active.has(role)) m[`${p}offer_filters/roles/${role}/active`] = active.get(role) ?? 0;
  for (const role of a.quotaRoles) {
    const consumed = role.consumed();
    const names = new Set([...(role.guarantees?.keys() ?? []), ...(role.limits?.keys() ?? [])]);
    for (const n of names) {
      const base = `${p}quota/roles/${role.name}/resources/${n}/`;
      m[base + 'offered_or_allocated'] = (consumed.get(n) ?? 0) / 1000;
      if (role.guarantees !== undefined) m[base + 'guarantee'] = (role.guarantees.get(n) ?? 0) / 1000;
      const lim = role.limits?.get(n);
      if (lim !== undefined) m[base + 'limit'] = lim / 1000;
    }
  }
  return m;
}
