// HierarchicalAllocator: the state behind offers (frameworks, agents, roles, quota, weights,
// refusal filters) and `allocate()`, one allocation run: quota guarantees first, then DRF fair
// share of the rest, whole-agent offers. Synchronous and clock-injected; an actor schedules it.
// The run's two stages live in allocation-run.ts, the records in records.ts, the refusal
// filters in offer-filter.ts.

import { IllegalStateError, invariant, ValidationError } from '../../runtime/index.js';
import { Resources, stripVolumes } from '../../protocol/index.js';
import { DRFSorter } from './drf-sorter.js';
import { RandomSorter } from './random-sorter.js';
import { OrderedSorter } from './ordered-sorter.js';
import { ResourcePool, type TreeSorter } from './sorter.js';
import { RefusalFilters } from './offer-filter.js';
import { allocatorMetrics } from './allocator-metrics.js';
import { AllocationRun, stageOne, stageTwo, type StageHost } from './allocation-run.js';
import { addInto, compileMin, minus, toMillisMap, valuesOf, type MinAlternative, type Millis } from './quantities.js';
import { AgentState, FrameworkState, RoleState, ancestorsAndSelf, quotaPart } from './records.js';
import type {
  AgentInfoLike,
  AllocationOperation,
  AllocationRunResult,
  AllocatorFrameworkInfo,
  Clock,
  HierarchicalAllocatorOptions,
  OfferFilters,
  Quota,
  RolePolicy,
} from './types.js';

export type {
  AgentInfoLike,
  AllocationOperation,
  AllocationRunResult,
  AllocatorFrameworkInfo,
  Clock,
  FrameworkOffers,
  HierarchicalAllocatorOptions,
  OfferFilters,
  Quota,
  QuantitiesInput,
  RolePolicy,
} from './types.js';

/** How many allocation run times the metrics' percentiles are taken over. */
const WINDOW = 1000;

export class HierarchicalAllocator {
  private readonly clock: Clock;
  private readonly offerCallback: HierarchicalAllocatorOptions['offer'];
  private readonly interval: number;
  private readonly minAllocatable: MinAlternative[];
  private readonly excluded: string[];
  private readonly frameworkSorterKind: 'drf' | 'random';
  private readonly policies: Readonly<Record<string, RolePolicy>>;
  private readonly filterGpu: boolean;
  private readonly random: () => number;
  private readonly timer: () => number;
  private readonly onRequested: (() => void) | undefined;

  private readonly pool = new ResourcePool();
  private readonly roleSorter: TreeSorter;
  private readonly frameworks = new Map<string, FrameworkState>();
  private readonly agents = new Map<string, AgentState>();
  private readonly roles = new Map<string, RoleState>();
  private readonly quotaRoles = new Set<RoleState>();
  /** Unreserved non-revocable scalar totals of all agents, and what of it is offered/allocated. */
  private readonly unreservedTotal: Millis = new Map();
  private readonly unreservedOffered: Millis = new Map();
  private readonly filters: RefusalFilters;
  private nextSeq = 0;
  private runs = 0;
  private readonly runTimes: number[] = [];
  private paused = false;
  private pendingAll = false;
  private readonly pendingAgents = new Set<string>();
  /** What the run's stages (allocation-run.ts) see of this allocator. */
  private readonly host: StageHost;

  constructor(options: HierarchicalAllocatorOptions) {
    this.clock = options.clock;
    this.offerCallback = options.offer;
    this.interval = options.allocationInterval ?? 1000;
    this.minAllocatable = compileMin(options.minAllocatableResources);
    this.excluded = [...(options.fairnessExcludeResourceNames ?? [])];
    this.frameworkSorterKind = options.frameworkSorter ?? 'drf';
    this.policies = options.rolePolicies ?? {};
    this.filterGpu = options.filterGpuResources ?? true;
    this.random = options.random ?? Math.random;
    this.timer = options.timer ?? (() => performance.now());
    this.onRequested = options.onAllocationRequested;
    this.roleSorter = options.roleSorter === 'random'
      ? new RandomSorter({ pool: this.pool, random: this.random })
      : new DRFSorter({ pool: this.pool, fairnessExcludeResourceNames: this.excluded });
    this.filters = new RefusalFilters({ frameworks: this.frameworks, roles: this.roles, role: (name) => this.role(name), now: () => this.clock.now(), runs: () => this.runs, intervalMs: this.interval });
    this.host = {
      roleSorter: this.roleSorter,
      roles: this.roles,
      frameworks: this.frameworks,
      filterGpu: this.filterGpu,
      minAllocatable: this.minAllocatable,
      isFiltered: (fw, roleName, agentId, candidate, now) => this.filters.blocks(fw, roleName, agentId, candidate, now),
      offer: (run, fw, roleName, agent, r) => this.offer(run, fw, roleName, agent, r),
    };
  }

  // ---- allocation requests (the actor around this class schedules runs) ----------------

  private requestAllocation(agentId?: string): void {
    const was = this.hasPendingAllocation;
    if (agentId === undefined) this.pendingAll = true;
    else this.pendingAgents.add(agentId);
    if (!was) this.onRequested?.();
  }

  /** True when an event asked for a run that has not happened yet. */
  get hasPendingAllocation(): boolean {
    return this.pendingAll || this.pendingAgents.size > 0;
  }

  /** Runs one allocation over the agents that events asked for (all of them if any asked so). */
  allocatePending(): AllocationRunResult | undefined {
    if (!this.hasPendingAllocation) return undefined;
    const agents = this.pendingAll ? undefined : [...this.pendingAgents];
    return this.allocate(agents);
  }

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }

  // ---- roles ---------------------------------------------------------------------------

  private role(name: string): RoleState {
    let r = this.roles.get(name);
    if (r === undefined) this.roles.set(name, (r = new RoleState(name)));
    return r;
  }

  private makeFrameworkSorter(role: string): TreeSorter {
    const policy = this.policies[role] ?? 'drf';
    if (policy === 'fifo' || policy === 'priority') return new OrderedSorter({ pool: this.pool });
    if (this.frameworkSorterKind === 'random') return new RandomSorter({ pool: this.pool, random: this.random });
    return new DRFSorter({ pool: this.pool, fairnessExcludeResourceNames: this.excluded });
  }

  private framework(id: string): FrameworkState {
    let f = this.frameworks.get(id);
    if (f === undefined) this.frameworks.set(id, (f = new FrameworkState(id, this.nextSeq++)));
    return f;
  }

  private shouldBeActive(fw: FrameworkState, role: string): boolean {
    return fw.active && fw.roles.has(role) && !fw.suppressed.has(role);
  }

  private trackUnderRole(fw: FrameworkState, roleName: string): void {
    if (fw.tracked.has(roleName)) return;
    fw.tracked.add(roleName);
    const role = this.role(roleName);
    if (role.frameworks.size === 0) {
      this.roleSorter.add(roleName);
      this.roleSorter.activate(roleName);
      role.sorter = this.makeFrameworkSorter(roleName);
    }
    role.frameworks.add(fw.id);
    const sorter = role.sorter!;
    sorter.add(fw.id);
    if (sorter instanceof OrderedSorter) sorter.setPriority(fw.id, this.policies[roleName] === 'priority' ? fw.priority : 0, fw.seq);
    if (this.shouldBeActive(fw, roleName)) sorter.activate(fw.id);
  }

  private untrackUnderRole(fw: FrameworkState, roleName: string): void {
    if (!fw.tracked.has(roleName)) return;
    fw.tracked.delete(roleName);
    const role = this.roles.get(roleName)!;
    role.sorter!.remove(fw.id);
    role.frameworks.delete(fw.id);
    if (role.frameworks.size === 0) {
      this.roleSorter.remove(roleName);
      role.sorter = undefined;
    }
  }

  /** Re-evaluates whether `fw` is active in the sorter of each role it is tracked under. */
  private syncActivation(fw: FrameworkState): void {
    for (const roleName of fw.tracked) {
      const sorter = this.roles.get(roleName)!.sorter!;
      if (this.shouldBeActive(fw, roleName)) sorter.activate(fw.id);
      else sorter.deactivate(fw.id);
    }
  }

  private anyFrameworkWantsOffers(): boolean {
    for (const fw of this.frameworks.values()) for (const roleName of fw.tracked) if (this.shouldBeActive(fw, roleName)) return true;
    return false;
  }

  private holds(fw: FrameworkState, roleName: string): boolean {
    const sorter = this.roles.get(roleName)?.sorter;
    return sorter !== undefined && sorter.contains(fw.id) && sorter.allocation(fw.id).size > 0;
  }

  // ---- resource accounting -------------------------------------------------------------

  private charge(fw: FrameworkState, roleName: string, agent: AgentState, r: Resources): void {
    let byRole = agent.allocated.get(fw.id);
    if (byRole === undefined) agent.allocated.set(fw.id, (byRole = new Map()));
    const prev = byRole.get(roleName);
    byRole.set(roleName, prev === undefined ? r : prev.add(r));
    this.trackUnderRole(fw, roleName);
    this.roleSorter.allocated(roleName, agent.id, r);
    this.roles.get(roleName)!.sorter!.allocated(fw.id, agent.id, r);
    this.accountRoleTree(roleName, r, 1);
  }

  private release(fw: FrameworkState, roleName: string, agent: AgentState, r: Resources): void {
    const byRole = agent.allocated.get(fw.id);
    const prev = byRole?.get(roleName);
    invariant(byRole !== undefined && prev !== undefined, () => `framework ${fw.id} holds nothing for role ${roleName} on agent ${agent.id}`);
    const left = prev.subtract(r);
    if (left.isEmpty()) {
      byRole.delete(roleName);
      if (byRole.size === 0) agent.allocated.delete(fw.id);
    } else byRole.set(roleName, left);
    this.roleSorter.unallocated(roleName, agent.id, r);
    const sorter = this.roles.get(roleName)!.sorter!;
    sorter.unallocated(fw.id, agent.id, r);
    this.accountRoleTree(roleName, r, -1);
    // A role dropped by UPDATE_FRAMEWORK stays tracked only while resources are outstanding.
    if (!fw.roles.has(roleName) && sorter.allocation(fw.id).size === 0) this.untrackUnderRole(fw, roleName);
  }

  private accountRoleTree(roleName: string, r: Resources, sign: 1 | -1): void {
    const unreserved = quotaPart(r).millisByName();
    const reserved = r.hasReserved() ? r.reserved().millisByName() : undefined;
    for (const name of ancestorsAndSelf(roleName)) {
      const role = this.role(name);
      addInto(role.offeredUnreserved, unreserved, sign);
      if (reserved !== undefined) addInto(role.offeredReserved, reserved, sign);
    }
    addInto(this.unreservedOffered, unreserved, sign);
  }

  private accountReservations(total: Resources, sign: 1 | -1): void {
    if (!total.hasReserved()) return;
    for (const e of total) {
      if (!e.reserved || e.type !== 'SCALAR') continue;
      const q = new Map([[e.name, e.millis]]);
      for (const name of ancestorsAndSelf(e.role)) addInto(this.role(name).reservations, q, sign);
    }
  }

  private accountAgentTotal(agentId: string, total: Resources, sign: 1 | -1): void {
    if (sign === 1) this.pool.addAgent(agentId, total);
    else this.pool.removeAgent(agentId);
    addInto(this.unreservedTotal, quotaPart(total).millisByName(), sign);
    this.accountReservations(total, sign);
  }

  // ---- frameworks ----------------------------------------------------------------------

  private applyInfo(fw: FrameworkState, info: AllocatorFrameworkInfo): void {
    const caps = new Set((info.capabilities ?? []).map((c) => c.type));
    fw.revocable = caps.has('REVOCABLE_RESOURCES');
    fw.gpu = caps.has('GPU_RESOURCES');
    fw.refinement = caps.has('RESERVATION_REFINEMENT');
    const p = info.labels?.labels.find((l) => l.key === 'priority')?.value;
    fw.priority = p !== undefined && /^[+-]?\d+$/.test(p.trim()) ? Number(p) : 0;
    fw.minAllocatable = new Map();
    for (const [role, f] of Object.entries(info.offer_filters ?? {})) {
      const q = f.min_allocatable_resources?.quantities;
      if (q === undefined) continue;
      fw.minAllocatable.set(role, q.map((alt) => Object.entries(alt.quantities ?? {}).map(([n, v]) => [n, v.value] as const)));
    }
  }

  private static rolesOf(info: AllocatorFrameworkInfo): string[] {
    // `roles` is the MULTI_ROLE form; a framework that sets it means it.
    if (info.roles !== undefined && info.roles.length > 0) return [...new Set(info.roles)];
    return [info.role ?? '*'];
  }

  /**
   * Adds a framework. `used` are resources it already holds (after a master failover), tagged
   * with their role (`allocation_info`) or untagged when the framework has a single role.
   */
  addFramework(frameworkId: string, info: AllocatorFrameworkInfo, used: ReadonlyMap<string, Resources> = new Map(), active = true, suppressedRoles: Iterable<string> = []): void {
    const existing = this.frameworks.get(frameworkId);
    if (existing?.registered) throw new IllegalStateError(`framework ${frameworkId} is already added`);
    const fw = this.framework(frameworkId);
    fw.registered = true;
    fw.active = active;
    this.applyInfo(fw, info);
    fw.roles = new Set(HierarchicalAllocator.rolesOf(info));
    fw.suppressed = new Set([...suppressedRoles].filter((r) => fw.roles.has(r)));
    for (const role of fw.roles) this.trackUnderRole(fw, role);
    for (const role of fw.tracked) {
      const sorter = this.roles.get(role)!.sorter!;
      if (sorter instanceof OrderedSorter) sorter.setPriority(fw.id, this.policies[role] === 'priority' ? fw.priority : 0, fw.seq);
    }
    this.syncActivation(fw);
    for (const [agentId, r] of used) {
      const agent = this.agents.get(agentId);
      if (agent === undefined) continue;
      for (const [role, part] of this.byRole(fw, r)) {
        // The agent may already have reported these resources as used (addAgent): skip them.
        const held = agent.allocated.get(fw.id)?.get(role);
        const fresh = held === undefined ? part : part.subtract(held);
        if (fresh.isEmpty()) continue;
        this.charge(fw, role, agent, fresh);
        agent.available = agent.available.subtract(fresh);
      }
    }
    if (active) this.requestAllocation();
  }

  removeFramework(frameworkId: string): void {
    const fw = this.frameworks.get(frameworkId);
    if (fw === undefined) return;
    this.filters.clear(fw);
    fw.roles.clear();
    fw.active = false;
    for (const roleName of [...fw.tracked]) {
      const sorter = this.roles.get(roleName)!.sorter!;
      for (const [agentId, r] of [...sorter.allocation(fw.id)]) {
        const agent = this.agents.get(agentId);
        if (agent === undefined) continue;
        this.release(fw, roleName, agent, r);
        if (agent.overcommitted) this.recomputeAvailable(agent);
        else agent.available = agent.available.add(r);
      }
      this.untrackUnderRole(fw, roleName);
    }
    this.frameworks.delete(frameworkId);
  }

  activateFramework(frameworkId: string): void {
    const fw = this.mustFramework(frameworkId);
    fw.active = true;
    this.syncActivation(fw);
    this.requestAllocation();
  }

  /** A disconnected framework gets no offers, and loses all its refusal filters. */
  deactivateFramework(frameworkId: string): void {
    const fw = this.mustFramework(frameworkId);
    fw.active = false;
    this.syncActivation(fw);
    this.filters.clear(fw);
  }

  updateFramework(frameworkId: string, info: AllocatorFrameworkInfo, suppressedRoles: Iterable<string> = []): void {
    const fw = this.mustFramework(frameworkId);
    this.applyInfo(fw, info);
    const next = new Set(HierarchicalAllocator.rolesOf(info));
    for (const role of fw.roles) if (!next.has(role)) this.filters.clear(fw, [role]);
    fw.roles = next;
    fw.suppressed = new Set([...suppressedRoles].filter((r) => next.has(r)));
    for (const role of next) this.trackUnderRole(fw, role);
    for (const role of [...fw.tracked]) if (!next.has(role) && !this.holds(fw, role)) this.untrackUnderRole(fw, role);
    for (const role of fw.tracked) {
      const sorter = this.roles.get(role)!.sorter!;
      if (sorter instanceof OrderedSorter) sorter.setPriority(fw.id, this.policies[role] === 'priority' ? fw.priority : 0, fw.seq);
    }
    this.syncActivation(fw);
  }

  /** Stops offers to the framework for `roles` (all its roles when omitted or empty). */
  suppressOffers(frameworkId: string, roles?: Iterable<string>): void {
    const fw = this.mustFramework(frameworkId);
    const list = roles === undefined ? [...fw.roles] : [...roles];
    for (const r of list.length === 0 ? fw.roles : list) if (fw.roles.has(r)) fw.suppressed.add(r);
    this.syncActivation(fw);
  }

  /** Resumes offers for `roles` (all when omitted or empty) and forgets their refusal filters. */
  reviveOffers(frameworkId: string, roles?: Iterable<string>): void {
    const fw = this.mustFramework(frameworkId);
    let list = roles === undefined ? [...fw.roles] : [...roles];
    if (list.length === 0) list = [...fw.roles];
    this.filters.clear(fw, list);
    for (const r of list) fw.suppressed.delete(r);
    this.syncActivation(fw);
    this.requestAllocation();
  }

  private mustFramework(id: string): FrameworkState {
    const fw = this.frameworks.get(id);
    if (fw === undefined || !fw.registered) throw new IllegalStateError(`unknown framework ${id}`);
    return fw;
  }

  /** Splits resources by allocation role; untagged ones go to the framework's only role. */
  private byRole(fw: FrameworkState, r: Resources): Map<string, Resources> {
    const out = new Map<string, Resources>();
    for (const [role, part] of r.allocations()) {
      let target = role;
      if (target === '') {
        if (fw.roles.size !== 1 && fw.tracked.size !== 1) throw new ValidationError(`resources for framework ${fw.id} need allocation_info: it has several roles`);
        target = fw.roles.size === 1 ? [...fw.roles][0]! : [...fw.tracked][0]!;
      }
      const u = part.unallocate();
      const prev = out.get(target);
      out.set(target, prev === undefined ? u : prev.add(u));
    }
    return out;
  }

  // ---- agents --------------------------------------------------------------------------

  /** Adds an agent with its total resources and what frameworks already use on it. */
  addAgent(agentId: string, total: Resources, used: ReadonlyMap<string, Resources> = new Map(), info: AgentInfoLike = {}): void {
    if (this.agents.has(agentId)) throw new IllegalStateError(`agent ${agentId} is already added`);
    const agent = new AgentState(agentId, total.unallocate(), info);
    this.agents.set(agentId, agent);
    this.accountAgentTotal(agentId, agent.total, 1);
    for (const [fwId, r] of used) {
      const fw = this.framework(fwId);
      for (const [role, part] of this.byRole(fw, r)) {
        this.charge(fw, role, agent, part);
      }
    }
    if (used.size > 0) this.recomputeAvailable(agent);
    this.requestAllocation(agentId);
  }

  /** Removes an agent; everything offered or allocated on it is recovered at once. */
  removeAgent(agentId: string): void {
    const agent = this.agents.get(agentId);
    if (agent === undefined) return;
    for (const [fwId, byRole] of [...agent.allocated]) {
      const fw = this.frameworks.get(fwId)!;
      for (const [role, r] of [...byRole]) this.release(fw, role, agent, r);
    }
    this.filters.clearAgent(agentId);
    this.accountAgentTotal(agentId, agent.total, -1);
    this.agents.delete(agentId);
    this.pendingAgents.delete(agentId);
  }

  /**
   * Updates an agent's total (only the difference becomes available; shrinking below what is
   * allocated is allowed) or its attributes (which clears the refusal filters for it).
   */
  updateAgent(agentId: string, update: { total?: Resources; info?: AgentInfoLike }): void {
    const agent = this.mustAgent(agentId);
    let changed = false;
    if (update.total !== undefined && !update.total.unallocate().equals(agent.total)) {
      this.accountAgentTotal(agentId, agent.total, -1);
      agent.total = update.total.unallocate();
      agent.hasGpus = agent.total.gpus() > 0;
      this.accountAgentTotal(agentId, agent.total, 1);
      this.recomputeAvailable(agent);
      changed = true;
    }
    if (update.info !== undefined) {
      if (JSON.stringify(update.info.attributes ?? null) !== JSON.stringify(agent.info.attributes ?? null)) {
        this.filters.clearAgent(agentId);
        changed = true;
      }
      if (update.info.hostname !== agent.info.hostname) changed = true;
      agent.info = update.info;
    }
    if (changed) this.requestAllocation(agentId);
  }

  activateAgent(agentId: string): void {
    this.mustAgent(agentId).activated = true;
  }

  deactivateAgent(agentId: string): void {
    this.mustAgent(agentId).activated = false;
  }

  private mustAgent(id: string): AgentState {
    const a = this.agents.get(id);
    if (a === undefined) throw new IllegalStateError(`unknown agent ${id}`);
    return a;
  }

  private recomputeAvailable(agent: AgentState): void {
    let used = Resources.EMPTY;
    for (const byRole of agent.allocated.values()) for (const r of byRole.values()) used = used.add(r);
    agent.available = agent.total.subtract(used);
    agent.overcommitted = !agent.total.contains(used);
  }

  // ---- recovering resources (refusal filters: offer-filter.ts) --------------------------

  /**
   * Resources come back (decline, unused part of an accept, rescind, task end). With `filters`
   * (a decline/accept), the framework is not offered a subset of them again on this agent for
   * `refuse_seconds` (default 5 s, at least one allocation interval, at most 365 days).
   */
  recoverResources(frameworkId: string, agentId: string, resources: Resources, filters?: OfferFilters): void {
    if (resources.isEmpty()) return;
    const agent = this.agents.get(agentId);
    const fw = this.frameworks.get(frameworkId);
    // Both may be gone already: removeAgent / removeFramework recovered everything then.
    if (agent === undefined || fw === undefined) return;
    for (const [role, r] of this.byRole(fw, resources)) {
      const held = agent.allocated.get(fw.id)?.get(role);
      if (held === undefined) continue;
      const back = held.contains(r) ? r : held.subtract(held.subtract(r));
      if (back.isEmpty()) continue;
      this.release(fw, role, agent, back);
      if (agent.overcommitted) this.recomputeAvailable(agent);
      else agent.available = agent.available.add(back);
      if (filters !== undefined) this.filters.add(fw, role, agent.id, back, filters);
    }
  }

  // ---- reservations --------------------------------------------------------------------

  private static conversion(op: AllocationOperation): { consumed: Resources; converted: Resources } {
    const r = op.resources.unallocate();
    if (op.type === 'RESERVE') {
      if (!r.hasReserved() || r.hasUnreserved()) throw new ValidationError('RESERVE needs resources that carry the new reservation');
      return { consumed: r.unreserve(), converted: r };
    }
    if (op.type === 'UNRESERVE') {
      if (r.hasUnreserved()) throw new ValidationError('UNRESERVE needs reserved resources');
      return { consumed: r, converted: r.unreserve() };
    }
    if (op.type === 'CREATE') return { consumed: stripVolumes(r), converted: r };
    if (op.type === 'DESTROY') return { consumed: r, converted: stripVolumes(r) };
    throw new ValidationError(`unsupported operation ${(op as { type: string }).type}`);
  }

  /**
   * Applies RESERVE/UNRESERVE operations to resources offered to or used by a framework. Their
   * quantities do not change, so quota consumption does not either.
   */
  updateAllocation(frameworkId: string, agentId: string, operations: readonly AllocationOperation[], role?: string): void {
    const fw = this.mustFramework(frameworkId);
    const agent = this.mustAgent(agentId);
    for (const op of operations) {
      const tagged = op.resources.allocations();
      const roleName = role ?? (tagged.size === 1 && !tagged.has('') ? [...tagged.keys()][0]! : [...this.byRole(fw, op.resources.unallocate()).keys()][0]!);
      const { consumed, converted } = HierarchicalAllocator.conversion(op);
      const held = agent.allocated.get(fw.id)?.get(roleName);
      if (held === undefined || !held.contains(consumed)) throw new IllegalStateError(`framework ${fw.id} does not hold ${consumed.toString()} for role ${roleName} on agent ${agentId}`);
      agent.allocated.get(fw.id)!.set(roleName, held.subtract(consumed).add(converted));
      agent.total = agent.total.subtract(consumed).add(converted);
      this.roleSorter.update(roleName, agentId, consumed, converted);
      this.roles.get(roleName)!.sorter!.update(fw.id, agentId, consumed, converted);
      this.accountRoleTree(roleName, consumed, -1);
      this.accountRoleTree(roleName, converted, 1);
      this.accountReservations(consumed, -1);
      this.accountReservations(converted, 1);
      addInto(this.unreservedTotal, quotaPart(consumed).millisByName(), -1);
      addInto(this.unreservedTotal, quotaPart(converted).millisByName(), 1);
    }
  }

  /** Applies RESERVE/UNRESERVE to unallocated resources (the operator's /reserve, /unreserve). */
  updateAvailable(agentId: string, operations: readonly AllocationOperation[]): void {
    const agent = this.mustAgent(agentId);
    let available = agent.available;
    let total = agent.total;
    const steps: { consumed: Resources; converted: Resources }[] = [];
    for (const op of operations) {
      const c = HierarchicalAllocator.conversion(op);
      if (!available.contains(c.consumed)) throw new IllegalStateError(`agent ${agentId} does not have ${c.consumed.toString()} available`);
      available = available.subtract(c.consumed).add(c.converted);
      total = total.subtract(c.consumed).add(c.converted);
      steps.push(c);
    }
    agent.available = available;
    agent.total = total;
    for (const { consumed, converted } of steps) {
      this.accountReservations(consumed, -1);
      this.accountReservations(converted, 1);
      addInto(this.unreservedTotal, quotaPart(consumed).millisByName(), -1);
      addInto(this.unreservedTotal, quotaPart(converted).millisByName(), 1);
    }
  }

  // ---- quota and weights ---------------------------------------------------------------

  /** Sets a top-level role's quota; omitted guarantees are none, omitted limits are no limit. */
  setQuota(roleName: string, quota: Quota): void {
    if (roleName.includes('/')) throw new ValidationError(`quota is only supported on top-level roles, not '${roleName}'`);
    const role = this.role(roleName);
    const g = toMillisMap(quota.guarantees);
    role.guarantees = g !== undefined && g.size > 0 ? g : undefined;
    role.limits = toMillisMap(quota.limits);
    if (role.hasQuota) this.quotaRoles.add(role);
    else this.quotaRoles.delete(role);
  }

  removeQuota(roleName: string): void {
    this.setQuota(roleName, {});
  }

  /** Role weights (default 1): a role with weight 2 is entitled to twice the share. */
  updateWeights(weights: Readonly<Record<string, number>>): void {
    for (const [role, w] of Object.entries(weights)) {
      this.roleSorter.updateWeight(role, w);
      this.role(role).weight = w;
    }
  }

  // ---- the allocation run --------------------------------------------------------------

  private shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /**
   * One allocation run over `agentIds` (all agents when omitted): stage 1 gives roles below
   * their quota guarantees what they are owed; stage 2 offers the rest by DRF. Offers are sent
   * through the `offer` callback, one call per framework.
   */
  allocate(agentIds?: Iterable<string>): AllocationRunResult {
    const started = this.timer();
    const now = this.clock.now();
    if (this.paused) return { offers: 0, agents: 0, ms: 0 };
    if (agentIds === undefined) {
      this.pendingAll = false;
      this.pendingAgents.clear();
    } else {
      for (const id of agentIds) this.pendingAgents.delete(id);
      if (this.pendingAgents.size === 0) this.pendingAll = false;
    }
    this.filters.expire(now);

    const candidates: AgentState[] = [];
    if (agentIds === undefined) {
      for (const a of this.agents.values()) if (a.activated) candidates.push(a);
    } else {
      for (const id of new Set(agentIds)) {
        const a = this.agents.get(id);
        if (a !== undefined && a.activated) candidates.push(a);
      }
    }

    const run = new AllocationRun(this.quotaRoles, minus(this.unreservedTotal, this.unreservedOffered), now);
    // Only a framework active in some role's sorter can be offered anything: with none (all
    // suppressed, deactivated or gone), the run skips its walk over every agent.
    if (this.anyFrameworkWantsOffers()) {
      this.shuffle(candidates);
      if (run.unsatisfied.size > 0) for (const agent of candidates) {
        if (run.unsatisfied.size === 0) break;
        if (!agent.available.isEmpty()) stageOne(this.host, run, agent);
      }
      this.shuffle(candidates);
      for (const agent of candidates) if (!agent.available.isEmpty()) stageTwo(this.host, run, agent);
    }

    this.filters.runEnded();
    this.runs++;
    for (const [fw, offers] of run.offers) this.offerCallback(fw.id, offers);
    const ms = this.timer() - started;
    this.runTimes.push(ms);
    if (this.runTimes.length > WINDOW) this.runTimes.shift();
    return { offers: run.count, agents: candidates.length, ms };
  }

  private offer(run: AllocationRun, fw: FrameworkState, roleName: string, agent: AgentState, r: Resources): void {
    agent.available = r === agent.available ? Resources.EMPTY : agent.available.subtract(r);
    this.charge(fw, roleName, agent, r);
    let byRole = run.offers.get(fw);
    if (byRole === undefined) run.offers.set(fw, (byRole = new Map()));
    let byAgent = byRole.get(roleName);
    if (byAgent === undefined) byRole.set(roleName, (byAgent = new Map()));
    const tagged = r.allocate(roleName);
    const prev = byAgent.get(agent.id);
    byAgent.set(agent.id, prev === undefined ? tagged : prev.add(tagged));
    run.count++;
  }

  // ---- inspection and metrics ----------------------------------------------------------

  get allocationRuns(): number {
    return this.runs;
  }

  /** Resources available (neither offered nor allocated) on an agent. */
  available(agentId: string): Resources {
    return this.mustAgent(agentId).available;
  }

  /** An agent's total resources. */
  total(agentId: string): Resources {
    return this.mustAgent(agentId).total;
  }

  /** What a framework holds (offered or allocated), by agent then role. */
  allocation(frameworkId: string): Map<string, Map<string, Resources>> {
    const out = new Map<string, Map<string, Resources>>();
    for (const agent of this.agents.values()) {
      const byRole = agent.allocated.get(frameworkId);
      if (byRole !== undefined) out.set(agent.id, new Map(byRole));
    }
    return out;
  }

  /** Active refusal filters of a framework (for a role when given). */
  filterCount(frameworkId: string, role?: string): number {
    const fw = this.frameworks.get(frameworkId);
    return fw === undefined ? 0 : this.filters.count(fw, role);
  }

  /** Roles in the role sorter (those with frameworks), in allocation order. */
  roleOrder(): string[] {
    return this.roleSorter.sort();
  }

  /** Quantities a role (and its subroles) holds, offered or allocated, unreserved and reserved. */
  roleAllocation(role: string): Record<string, number> {
    const r = this.roles.get(role);
    if (r === undefined) return {};
    const q = new Map(r.offeredUnreserved);
    addInto(q, r.offeredReserved);
    return valuesOf(q);
  }

  /** The allocator's metrics with Mesos's names, as a flat record. */
  metrics(): Record<string, number> {
    const { runs, runTimes, roleSorter, pool, frameworks, roles, quotaRoles } = this;
    return allocatorMetrics({ now: this.clock.now(), runs, runTimes, roleSorter, pool, frameworks, roles, quotaRoles });
  }
}
