// One allocation run's two stages (Mesos's HierarchicalAllocatorProcess::__allocate): stage 1
// gives roles below their quota guarantees what they are owed, stage 2 offers the rest by the
// sorters' order, both within quota limits and the headroom others' guarantees need; and the
// per-run quota bookkeeping (AllocationRun) they share.

import { Resources } from '../../protocol/index.js';
import type { Sorter } from './sorter.js';
import { addInto, hasAny, isAllocatable, minus, minusKeep, withUnbounded, type MinAlternative, type Millis } from './quantities.js';
import { quotaPart, type AgentState, type FrameworkState, type RoleState } from './records.js';
import type { FrameworkOffers } from './types.js';

/** What the stages read of the allocator, and the two calls they make back into it. */
export interface StageHost {
  readonly roleSorter: Sorter;
  readonly roles: ReadonlyMap<string, RoleState>;
  readonly frameworks: ReadonlyMap<string, FrameworkState>;
  readonly filterGpu: boolean;
  /** The allocator-wide min_allocatable_resources. */
  readonly minAllocatable: readonly MinAlternative[];
  isFiltered(fw: FrameworkState, roleName: string, agentId: string, candidate: Resources, now: number): boolean;
  /** Takes `r` out of the agent's available resources and records it as offered in `run`. */
  offer(run: AllocationRun, fw: FrameworkState, roleName: string, agent: AgentState, r: Resources): void;
}

/**
 * Visits the clients of `sorter` in order, each at most once. When a visit changes the sorter
 * (an offer moved someone), the walk re-reads the order and skips whoever was visited, so the
 * next client is always the best placed one that has not been tried yet.
 */
export function walk(sorter: Sorter, visit: (client: string) => boolean): void {
  let list = sorter.ordered();
  let version = sorter.version;
  let i = 0;
  const seen: string[] = [];
  let visited: Set<string> | undefined;
  for (;;) {
    if (sorter.version !== version) {
      visited ??= new Set();
      for (const c of seen) visited.add(c);
      seen.length = 0;
      list = sorter.ordered();
      version = sorter.version;
      i = 0;
    }
    if (i >= list.length) return;
    const c = list[i++]!.client;
    if (visited !== undefined && visited.has(c)) continue;
    seen.push(c);
    if (!visit(c)) return;
  }
}

export function minFor(host: StageHost, fw: FrameworkState, roleName: string): readonly MinAlternative[] {
  return fw.minAllocatable.get(roleName) ?? host.minAllocatable;
}

/** What `fw` may receive of `avail` (already allocatable to the role): capability strips. */
export function strip(fw: FrameworkState, avail: Resources): Resources {
  let r = avail;
  if (!fw.revocable && r.hasRevocable()) r = r.nonRevocable();
  if (!fw.refinement && r.hasRefinedReservations()) r = r.filter((e) => e.reservations.length <= 1);
  return r;
}

export function stageOne(host: StageHost, run: AllocationRun, agent: AgentState): void {
  let remainingUnsatisfied = run.unsatisfied.size;
  walk(host.roleSorter, (roleName) => {
    if (remainingUnsatisfied === 0 || agent.available.isEmpty()) return false;
    const role = host.roles.get(roleName)!;
    const unsatisfied = run.unsatisfied.get(role);
    if (unsatisfied === undefined) return true;
    remainingUnsatisfied--;
    const sorter = role.sorter!;
    walk(sorter, (fwId) => {
      const fw = host.frameworks.get(fwId)!;
      let avail = agent.available.allocatableTo(roleName);
      if (avail.isEmpty()) return false;
      if (!isAllocatable(avail, minFor(host, fw, roleName))) return true;
      if (host.filterGpu && agent.hasGpus && !fw.gpu) return true;
      avail = strip(fw, avail);
      const quotaRes = quotaPart(avail);
      const guaranteePart = quotaRes.shrink(unsatisfied);
      if (guaranteePart.isEmpty()) return true;
      const base = avail.filter((e) => (e.reserved ? e.role === roleName : e.revocable || e.type !== 'SCALAR'));
      let extra = quotaRes.subtract(guaranteePart);
      if (!extra.isEmpty()) {
        const consumed = run.consumed(role);
        if (role.limits !== undefined) extra = extra.shrink(minusKeep(role.limits, consumed, guaranteePart.millisByName()), true);
        if (run.required.size > 0) extra = extra.shrink(minus(run.headroom, run.required));
      }
      const toOffer = guaranteePart.add(base).add(extra);
      if (!isAllocatable(toOffer, minFor(host, fw, roleName))) return true;
      if (host.isFiltered(fw, roleName, agent.id, toOffer, run.now)) return true;
      host.offer(run, fw, roleName, agent, toOffer);
      const g = guaranteePart.millisByName();
      const e = extra.millisByName();
      run.charge(role, g, e);
      addInto(unsatisfied, g, -1);
      addInto(unsatisfied, e, -1);
      run.reduceRequired(g);
      if (unsatisfied.size === 0) {
        run.unsatisfied.delete(role);
        return false;
      }
      return !agent.available.isEmpty();
    });
    return true;
  });
}

/**
 * Whether some role could be given unreserved scalars named `names` in stage 2, given quota
 * limits and headroom. Lets a run skip, in O(1), agents whose leftovers nobody may take.
 */
export function anyRoleCanTake(host: StageHost, run: AllocationRun, avail: Resources): boolean {
  const key = [...avail.millisByName().keys()].join('\u0000');
  let open = run.openCache.get(key);
  if (open === undefined) {
    open = false;
    const hb = run.headroomBound();
    if (hb === undefined || hasAny(avail, hb, false)) {
      for (const role of host.roles.values()) {
        if (role.frameworks.size === 0) continue;
        const quotaRole = role.top === role.name ? role : host.roles.get(role.top);
        if (quotaRole?.limits === undefined || hasAny(avail, run.limitBound(quotaRole), true)) {
          open = true;
          break;
        }
      }
    }
    run.openCache.set(key, open);
  }
  return open;
}

export function stageTwo(host: StageHost, run: AllocationRun, agent: AgentState): void {
  const a = agent.available;
  if (!a.hasReserved() && !a.hasRevocable() && !a.hasNonScalars() && !anyRoleCanTake(host, run, a)) return;
  walk(host.roleSorter, (roleName) => {
    if (agent.available.isEmpty()) return false;
    const role = host.roles.get(roleName)!;
    // Cheap rejection before touching frameworks: nothing this role could be given here.
    let avail = agent.available.allocatableTo(roleName);
    if (avail.isEmpty()) return true;
    const quotaRole = role.top === role.name ? role : host.roles.get(role.top);
    const limitBound = quotaRole?.limits !== undefined ? run.limitBound(quotaRole) : undefined;
    const headroomBound = run.headroomBound();
    if (!avail.hasReserved() && !avail.hasRevocable() && !avail.hasNonScalars()) {
      if ((limitBound !== undefined && !hasAny(avail, limitBound, true)) || (headroomBound !== undefined && !hasAny(avail, headroomBound, false))) return true;
    }
    walk(role.sorter!, (fwId) => {
      const fw = host.frameworks.get(fwId)!;
      avail = agent.available.allocatableTo(roleName);
      if (avail.isEmpty()) return false;
      if (!isAllocatable(avail, minFor(host, fw, roleName))) return true;
      if (host.filterGpu && agent.hasGpus && !fw.gpu) return true;
      avail = strip(fw, avail);
      const quotaRes = quotaPart(avail);
      let extra = quotaRes;
      // Names without a limit are unbounded; names missing from the headroom have none left.
      if (limitBound !== undefined) extra = extra.shrink(run.limitBound(quotaRole!), true);
      const hb = run.headroomBound();
      if (hb !== undefined) extra = extra.shrink(hb, false);
      let toOffer: Resources;
      if (extra === quotaRes) toOffer = avail;
      else {
        const base = quotaRes === avail ? Resources.EMPTY : avail.filter((e) => e.reserved || e.revocable || e.type !== 'SCALAR');
        toOffer = base.add(extra);
      }
      if (!isAllocatable(toOffer, minFor(host, fw, roleName))) return true;
      if (host.isFiltered(fw, roleName, agent.id, toOffer, run.now)) return true;
      host.offer(run, fw, roleName, agent, toOffer);
      run.charge(quotaRole, undefined, extra.millisByName());
      return !agent.available.isEmpty();
    });
    return true;
  });
}

/** Per-run quota bookkeeping: consumption, unsatisfied guarantees and headroom. */
export class AllocationRun {
  readonly offers = new Map<FrameworkState, FrameworkOffers>();
  count = 0;
  private readonly consumedByRole = new Map<RoleState, Millis>();
  readonly unsatisfied = new Map<RoleState, Millis>();
  readonly required: Millis = new Map();
  readonly headroom: Millis;

  /** `roles`: those with quota; `headroom`: unreserved scalars neither offered nor allocated. */
  constructor(roles: ReadonlySet<RoleState>, headroom: Millis, readonly now: number) {
    this.headroom = headroom;
    for (const role of roles) {
      const consumed = role.consumed();
      this.consumedByRole.set(role, consumed);
      if (role.guarantees === undefined) continue;
      const owed = minus(role.guarantees, consumed);
      if (owed.size === 0) continue;
      addInto(this.required, owed);
      // Only roles with frameworks can be given anything in stage 1.
      if (role.frameworks.size > 0) this.unsatisfied.set(role, owed);
    }
  }

  consumed(role: RoleState): Millis {
    return this.consumedByRole.get(role) ?? new Map();
  }

  private readonly limitCache = new Map<RoleState, Millis>();
  /** Whether anybody may take unreserved scalars of a given set of names; reset on every charge. */
  readonly openCache = new Map<string, boolean>();
  private headroomCache: Millis | undefined;
  private headroomValid = false;

  /** What a role with limits may still get, by name (exhausted limited names at 0). Cached. */
  limitBound(role: RoleState): Millis {
    let b = this.limitCache.get(role);
    if (b === undefined) {
      b = withUnbounded(minus(role.limits!, this.consumed(role)), role.limits!);
      this.limitCache.set(role, b);
    }
    return b;
  }

  /** Unreserved scalars that others' unmet guarantees leave to everybody else, if any are unmet. */
  headroomBound(): Millis | undefined {
    if (!this.headroomValid) {
      this.headroomCache = this.required.size > 0 ? minus(this.headroom, this.required) : undefined;
      this.headroomValid = true;
    }
    return this.headroomCache;
  }

  reduceRequired(g: ReadonlyMap<string, number>): void {
    addInto(this.required, g, -1);
    this.headroomValid = false;
    this.openCache.clear();
  }

  /** Records an offer of unreserved scalars to a role (guaranteed part and extra). */
  charge(role: RoleState | undefined, guaranteed: ReadonlyMap<string, number> | undefined, extra: ReadonlyMap<string, number>): void {
    this.headroomValid = false;
    this.openCache.clear();
    if (role !== undefined) this.limitCache.delete(role);
    if (guaranteed !== undefined) addInto(this.headroom, guaranteed, -1);
    addInto(this.headroom, extra, -1);
    if (role === undefined) return;
    const c = this.consumedByRole.get(role);
    if (c === undefined) return;
    if (guaranteed !== undefined) addInto(c, guaranteed);
    addInto(c, extra);
  }
}
