// Refusal filters: what a framework declined on an agent for a role, until when; the allocator's
// book of them (RefusalFilters), indexed by framework, role and agent; and a heap that expires
// them in time order (the allocator never scans all filters to find the expired ones).

import type { Resources } from '../../protocol/index.js';
import type { FrameworkState, RoleState } from './records.js';
import type { OfferFilters } from './types.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const DEFAULT_REFUSE_SECONDS = 5;

/** A decline with `refuse_seconds`: blocks offers of a subset of `resources` until it expires. */
export class OfferFilter {
  removed = false;
  constructor(
    readonly frameworkId: string,
    readonly role: string,
    readonly agentId: string,
    readonly resources: Resources,
    readonly expiresAt: number,
    /** Allocation runs completed when the filter was made: it outlives at least one more run. */
    readonly createdRun: number,
  ) {}

  /**
   * A filter survives at least one allocation run after it was made (Mesos MESOS-4302), so a
   * short filter is still honoured by the next run even when that run comes late.
   */
  active(now: number, runsCompleted: number): boolean {
    return !this.removed && (this.createdRun === runsCompleted || now < this.expiresAt);
  }

  blocks(candidate: Resources): boolean {
    return this.resources.contains(candidate);
  }
}

/** Binary min-heap of filters by expiry time. Removed filters are dropped lazily. */
export class FilterHeap {
  private readonly a: OfferFilter[] = [];

  get size(): number {
    return this.a.length;
  }

  push(f: OfferFilter): void {
    const a = this.a;
    a.push(f);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.expiresAt <= f.expiresAt) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = f;
  }

  peek(): OfferFilter | undefined {
    return this.a[0];
  }

  pop(): OfferFilter | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]!.expiresAt < a[l]!.expiresAt ? r : l;
        if (a[c]!.expiresAt >= last.expiresAt) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Every framework's refusal filters: kept in the framework's record by role then agent (what an
 * allocation run asks), counted per role (metrics), and in a heap by expiry.
 */
export class RefusalFilters {
  private readonly heap = new FilterHeap();
  /** Filters that expired by the start of the run under way but were made since the last one. */
  private deferred: OfferFilter[] = [];

  constructor(
    private readonly o: {
      frameworks: ReadonlyMap<string, FrameworkState>;
      roles: ReadonlyMap<string, RoleState>;
      /** The role's record, made if need be. */
      role: (name: string) => RoleState;
      now: () => number;
      /** Allocation runs completed so far. */
      runs: () => number;
      /** The allocation interval: no filter is shorter. */
      intervalMs: number;
    },
  ) {}

  /**
   * The framework is not offered a subset of `r` on the agent for the role for `refuse_seconds`
   * (default 5 s, at least one allocation interval, at most 365 days; 0 makes no filter).
   */
  add(fw: FrameworkState, roleName: string, agentId: string, r: Resources, filters: OfferFilters): void {
    let seconds = filters.refuse_seconds ?? DEFAULT_REFUSE_SECONDS;
    if (!Number.isFinite(seconds) && seconds > 0) seconds = Infinity;
    else if (!(seconds >= 0)) seconds = DEFAULT_REFUSE_SECONDS;
    if (seconds === 0) return;
    const ms = Math.max(Math.min(seconds * 1000, YEAR_MS), this.o.intervalMs);
    const f = new OfferFilter(fw.id, roleName, agentId, r, this.o.now() + ms, this.o.runs());
    let byAgent = fw.filters.get(roleName);
    if (byAgent === undefined) fw.filters.set(roleName, (byAgent = new Map()));
    const list = byAgent.get(agentId);
    if (list === undefined) byAgent.set(agentId, [f]);
    else list.push(f);
    this.o.role(roleName).activeFilters++;
    this.heap.push(f);
  }

  private drop(f: OfferFilter): void {
    if (f.removed) return;
    f.removed = true;
    const role = this.o.roles.get(f.role);
    if (role !== undefined) role.activeFilters--;
    const fw = this.o.frameworks.get(f.frameworkId);
    const byAgent = fw?.filters.get(f.role);
    const list = byAgent?.get(f.agentId);
    if (byAgent === undefined || list === undefined) return;
    const i = list.indexOf(f);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) byAgent.delete(f.agentId);
    if (byAgent.size === 0) fw!.filters.delete(f.role);
  }

  /** Drops the framework's filters (of the given roles, or all). */
  clear(fw: FrameworkState, roles?: Iterable<string>): void {
    for (const role of roles === undefined ? [...fw.filters.keys()] : [...roles]) {
      const byAgent = fw.filters.get(role);
      if (byAgent === undefined) continue;
      for (const list of [...byAgent.values()]) for (const f of [...list]) this.drop(f);
    }
  }

  /** Drops every framework's filters on the agent. */
  clearAgent(agentId: string): void {
    for (const fw of this.o.frameworks.values()) {
      for (const byAgent of [...fw.filters.values()]) {
        const list = byAgent.get(agentId);
        if (list !== undefined) for (const f of [...list]) this.drop(f);
      }
    }
  }

  /** At a run's start: drops the filters that have expired by `now` and have seen at least one run. */
  expire(now: number): void {
    const keep: OfferFilter[] = [];
    for (let f = this.heap.peek(); f !== undefined && f.expiresAt <= now; f = this.heap.peek()) {
      this.heap.pop();
      if (f.removed) continue;
      if (f.createdRun === this.o.runs()) keep.push(f);
      else this.drop(f);
    }
    // Those made since the last run outlive this run; they go when it is over.
    this.deferred = keep;
  }

  /** At a run's end: filters made before it that expired by its start go now that it is over. */
  runEnded(): void {
    for (const f of this.deferred) this.drop(f);
    this.deferred = [];
  }

  /** Whether a filter of the framework's keeps `candidate` from being offered on the agent for the role. */
  blocks(fw: FrameworkState, roleName: string, agentId: string, candidate: Resources, now: number): boolean {
    const list = fw.filters.get(roleName)?.get(agentId);
    if (list === undefined) return false;
    const runs = this.o.runs();
    for (const f of list) if (f.active(now, runs) && f.blocks(candidate)) return true;
    return false;
  }

  /** The framework's active filters (for a role when given). */
  count(fw: FrameworkState, role?: string): number {
    const now = this.o.now();
    const runs = this.o.runs();
    let n = 0;
    for (const [r, byAgent] of fw.filters) {
      if (role !== undefined && r !== role) continue;
      for (const list of byAgent.values()) for (const f of list) if (f.active(now, runs)) n++;
    }
    return n;
  }
}
