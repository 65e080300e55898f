// The Sorter interface and the role tree that every sorter shares: clients (role paths or
// framework ids) as leaves, per-node allocations and scalar quantities, virtual '.' leaves, and
// incrementally kept child orders so that an allocation re-positions one path, not everything.

import { IllegalStateError, invariant, ValidationError } from '../../runtime/index.js';
import { Resources } from '../../protocol/index.js';

/** One client in sort order (a leaf of the tree). */
export interface SortedClient {
  readonly client: string;
}

/** Operations named as in Mesos's `Sorter` (agent instead of slave). */
export interface Sorter {
  add(client: string): void;
  remove(client: string): void;
  activate(client: string): void;
  deactivate(client: string): void;
  /** Weight of a node path (client or internal node, existing or not yet). Default 1. */
  updateWeight(path: string, weight: number): void;
  allocated(client: string, agentId: string, resources: Resources): void;
  unallocated(client: string, agentId: string, resources: Resources): void;
  update(client: string, agentId: string, oldResources: Resources, newResources: Resources): void;
  addAgent(agentId: string, resources: Resources): void;
  removeAgent(agentId: string): void;
  allocation(client: string): ReadonlyMap<string, Resources>;
  allocation(client: string, agentId: string): Resources;
  /** Scalar quantities allocated to a client, or to everybody when `client` is omitted. */
  allocationScalarQuantities(client?: string): Record<string, number>;
  contains(client: string): boolean;
  count(): number;
  /** Active clients in allocation order. */
  sort(): string[];
  /**
   * The fast path behind `sort()`: the active clients in order, without copying. The array is
   * valid until the next change to the sorter; `version` tells when that happened.
   */
  ordered(): readonly SortedClient[];
  readonly version: number;
}

/**
 * Scalar totals of all agents, in thousandths. One pool can be shared by the role sorter and
 * every framework sorter (the allocator does so), instead of each sorter registering every agent.
 */
export class ResourcePool {
  private readonly agents = new Map<string, ReadonlyMap<string, number>>();
  readonly totals = new Map<string, number>();
  /** Bumped on every change, so that sorters know their shares are stale. */
  version = 0;

  addAgent(agentId: string, resources: Resources): void {
    if (this.agents.has(agentId)) throw new IllegalStateError(`agent ${agentId} is already in the pool`);
    const q = resources.millisByName();
    this.agents.set(agentId, q);
    for (const [n, m] of q) this.totals.set(n, (this.totals.get(n) ?? 0) + m);
    this.version++;
  }

  removeAgent(agentId: string): void {
    const q = this.agents.get(agentId);
    if (q === undefined) throw new IllegalStateError(`agent ${agentId} is not in the pool`);
    this.agents.delete(agentId);
    for (const [n, m] of q) {
      const left = (this.totals.get(n) ?? 0) - m;
      if (left > 0) this.totals.set(n, left);
      else this.totals.delete(n);
    }
    this.version++;
  }

  hasAgent(agentId: string): boolean {
    return this.agents.has(agentId);
  }
}

/** @internal a node of the sorter tree. */
export class SorterNode implements SortedClient {
  /** Client name for leaves ('a' for the virtual leaf 'a/.'), '' for internal nodes. */
  client = '';
  leaf: boolean;
  parent: SorterNode | undefined;
  readonly children = new Map<string, SorterNode>();
  /** Listed (active) children, kept sorted by the sorter's comparator. */
  order: SorterNode[] = [];
  listed = false;
  active = false;
  activeLeaves = 0;
  allocation = new Map<string, Resources>();
  quantities = new Map<string, number>();
  count = 0;
  share = 0;
  weight = 1;
  rank = 0;
  seq = 0;

  constructor(readonly name: string, readonly path: string, leaf: boolean, parent: SorterNode | undefined) {
    this.leaf = leaf;
    this.parent = parent;
  }
}

function addQuantities(into: Map<string, number>, q: ReadonlyMap<string, number>, sign: 1 | -1): void {
  for (const [n, m] of q) {
    const v = (into.get(n) ?? 0) + sign * m;
    if (v > 0) into.set(n, v);
    else into.delete(n);
  }
}

function toValues(q: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [n, m] of q) out[n] = m / 1000;
  return out;
}

export interface SorterOptions {
  /** Resource names ignored when computing shares (`--fair_sharing_excluded_resource_names`). */
  fairnessExcludeResourceNames?: Iterable<string>;
  /** A pool shared with other sorters; then do not call addAgent/removeAgent on this sorter. */
  pool?: ResourcePool;
}

/**
 * The tree and its bookkeeping. Subclasses decide the order of siblings (`compare`) and whether
 * that order depends on allocations (`allocationOrdered`).
 */
export abstract class TreeSorter implements Sorter {
  protected readonly root = new SorterNode('', '', false, undefined);
  protected readonly clients = new Map<string, SorterNode>();
  protected readonly nodes = new Map<string, SorterNode>();
  protected readonly weights = new Map<string, number>();
  protected readonly pool: ResourcePool;
  protected readonly excluded: ReadonlySet<string>;
  /** When set, order arrays may be unsorted and shares stale: `refresh()` before reading. */
  protected dirty = false;
  private poolVersion = -1;
  private internalNodes = 0;
  private flatCache: SorterNode[] = [];
  private flatVersion = -1;
  version = 0;

  protected abstract compare(a: SorterNode, b: SorterNode): number;
  /** True when a node's position depends on its share or allocation count. */
  protected abstract readonly allocationOrdered: boolean;

  constructor(options: SorterOptions = {}) {
    this.pool = options.pool ?? new ResourcePool();
    this.excluded = new Set(options.fairnessExcludeResourceNames ?? []);
  }

  // ---- shares --------------------------------------------------------------------------

  protected computeShare(n: SorterNode): number {
    let max = 0;
    const excluded = this.excluded;
    for (const [name, total] of this.pool.totals) {
      if (total <= 0 || (excluded.size > 0 && excluded.has(name))) continue;
      const a = n.quantities.get(name);
      if (a === undefined) continue;
      // Ratio of the values, then divided by the weight: the order of operations Mesos uses,
      // which decides exact ties between doubles.
      const r = a / 1000 / (total / 1000);
      if (r > max) max = r;
    }
    return max / n.weight;
  }

  /** Dominant share of a client or node path (weighted), recomputed now. */
  share(path: string): number {
    const n = this.clients.get(path) ?? this.nodes.get(path);
    return n === undefined ? 0 : this.computeShare(n);
  }

  /** Dominant share of a client or node path, not divided by its weight. */
  unweightedShare(path: string): number {
    const n = this.clients.get(path) ?? this.nodes.get(path);
    return n === undefined ? 0 : this.computeShare(n) * n.weight;
  }

  // ---- order maintenance ---------------------------------------------------------------

  private sync(): void {
    if (this.poolVersion !== this.pool.version) {
      this.poolVersion = this.pool.version;
      if (this.allocationOrdered) this.dirty = true;
    }
  }

  /** Recomputes every share and re-sorts every child list. */
  protected refresh(): void {
    this.sync();
    if (!this.dirty) return;
    for (const n of this.nodes.values()) if (this.allocationOrdered) n.share = this.computeShare(n);
    const visit = (n: SorterNode): void => {
      if (n.order.length > 1) n.order.sort((a, b) => this.compare(a, b));
      for (const c of n.order) if (!c.leaf) visit(c);
    };
    visit(this.root);
    this.dirty = false;
  }

  private indexIn(arr: SorterNode[], n: SorterNode): number {
    if (this.dirty) return arr.indexOf(n);
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = arr[mid]!;
      if (m === n) return mid;
      if (this.compare(m, n) < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return arr.indexOf(n); // defensive: should not happen with a consistent order
  }

  private insertSorted(arr: SorterNode[], n: SorterNode): void {
    if (this.dirty) {
      arr.push(n);
      return;
    }
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(arr[mid]!, n) < 0) lo = mid + 1;
      else hi = mid;
    }
    arr.splice(lo, 0, n);
  }

  /** Index of `n` in its parent's order, or -1 when its position need not be kept. */
  private positionOf(n: SorterNode): number {
    const p = n.parent;
    if (p === undefined || !n.listed || this.dirty || !this.allocationOrdered) return -1;
    return this.indexIn(p.order, n);
  }

  /** Moves `n`, whose key changed, from index `from` of its parent's order to its new place. */
  private reposition(n: SorterNode, from: number): void {
    const arr = n.parent!.order;
    // Plain loops: Array.prototype.copyWithin is slow on arrays of objects.
    if (from + 1 < arr.length && this.compare(arr[from + 1]!, n) < 0) {
      let lo = from + 1;
      let hi = arr.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.compare(arr[mid]!, n) < 0) lo = mid + 1;
        else hi = mid;
      }
      for (let i = from; i < lo - 1; i++) arr[i] = arr[i + 1]!;
      arr[lo - 1] = n;
    } else if (from > 0 && this.compare(arr[from - 1]!, n) > 0) {
      let lo = 0;
      let hi = from;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.compare(arr[mid]!, n) < 0) lo = mid + 1;
        else hi = mid;
      }
      for (let i = from; i > lo; i--) arr[i] = arr[i - 1]!;
      arr[lo] = n;
    }
  }

  private list(n: SorterNode): void {
    const p = n.parent;
    if (p === undefined || n.listed) return;
    if (this.allocationOrdered && !this.dirty) n.share = this.computeShare(n);
    this.insertSorted(p.order, n);
    n.listed = true;
  }

  private unlist(n: SorterNode): void {
    const p = n.parent;
    if (p === undefined || !n.listed) return;
    const i = this.indexIn(p.order, n);
    if (i >= 0) p.order.splice(i, 1);
    n.listed = false;
  }

  /** Propagates a change of active leaves below `from` (exclusive) up to the root. */
  private bumpActive(from: SorterNode | undefined, delta: 1 | -1): void {
    for (let a = from; a !== undefined; a = a.parent) {
      a.activeLeaves += delta;
      if (delta === 1 && a.activeLeaves === 1) this.list(a);
      if (delta === -1 && a.activeLeaves === 0) this.unlist(a);
    }
  }

  private weightOf(path: string): number {
    return this.weights.get(path) ?? 1;
  }

  // ---- clients -------------------------------------------------------------------------

  add(client: string): void {
    if (client === '') throw new ValidationError('a sorter client needs a name');
    if (this.clients.has(client)) throw new IllegalStateError(`sorter client '${client}' already exists`);
    this.sync();
    this.version++;
    const parts = client.split('/');
    let cur = this.root;
    for (let i = 0; i < parts.length; i++) {
      const seg = parts[i]!;
      if (seg === '' || seg === '.') throw new ValidationError(`bad sorter client path '${client}'`);
      const last = i === parts.length - 1;
      let next = cur.children.get(seg);
      if (next !== undefined && next.leaf && !last) this.makeVirtualLeaf(next);
      if (next === undefined) {
        const path = cur === this.root ? seg : cur.path + '/' + seg;
        next = new SorterNode(seg, path, last, cur);
        next.weight = this.weightOf(path);
        if (last) next.client = client;
        else this.internalNodes++;
        cur.children.set(seg, next);
        this.nodes.set(path, next);
        if (last) this.clients.set(client, next);
      } else if (last) {
        // The path is an internal node (its children came first): the client gets a '.' leaf.
        const path = next.path + '/.';
        const v = new SorterNode('.', path, true, next);
        v.client = client;
        v.weight = this.weightOf(path);
        next.children.set('.', v);
        this.nodes.set(path, v);
        this.clients.set(client, v);
      }
      cur = next;
    }
  }

  /** Turns leaf `n` into an internal node whose own client lives on in a '.' child. */
  private makeVirtualLeaf(n: SorterNode): void {
    const v = new SorterNode('.', n.path + '/.', true, n);
    v.client = n.client;
    v.weight = this.weightOf(v.path);
    v.allocation = n.allocation;
    v.quantities = new Map(n.quantities);
    v.count = n.count;
    v.active = n.active;
    v.share = this.allocationOrdered ? this.computeShare(v) : 0;
    n.allocation = new Map();
    n.client = '';
    n.leaf = false;
    n.active = false;
    n.children.set('.', v);
    this.nodes.set(v.path, v);
    this.clients.set(v.client, v);
    this.internalNodes++;
    if (v.active) {
      n.activeLeaves = 1;
      v.listed = true;
      n.order.push(v);
    }
  }

  remove(client: string): void {
    const n = this.leafOf(client);
    this.sync();
    this.version++;
    this.deactivateNode(n);
    for (let a = n.parent; a !== undefined; a = a.parent) {
      const from = this.positionOf(a);
      addQuantities(a.quantities, n.quantities, -1);
      if (this.allocationOrdered) a.share = this.computeShare(a);
      if (from >= 0) this.reposition(a, from);
    }
    this.clients.delete(client);
    this.detach(n);
  }

  /** Unlinks an unlisted node and cleans up the internal nodes it leaves behind. */
  private detach(n: SorterNode): void {
    const p = n.parent!;
    p.children.delete(n.name);
    this.nodes.delete(n.path);
    if (p === this.root) return;
    if (p.children.size === 0) {
      this.internalNodes--;
      this.detach(p);
      return;
    }
    const only = p.children.size === 1 ? p.children.get('.') : undefined;
    if (only !== undefined) {
      // Fold the '.' leaf back into its parent, which becomes a leaf again.
      const wasListed = p.listed;
      if (only.listed) {
        p.order = [];
        only.listed = false;
      }
      p.children.clear();
      this.nodes.delete(only.path);
      p.leaf = true;
      p.client = only.client;
      p.allocation = only.allocation;
      p.active = only.active;
      p.activeLeaves = 0;
      this.internalNodes--;
      this.clients.set(p.client, p);
      // p was listed iff its '.' leaf was active; that still holds for p as a leaf.
      invariant(wasListed === p.active, 'sorter invariant broken while folding a virtual leaf');
    }
  }

  activate(client: string): void {
    const n = this.leafOf(client);
    if (n.active) return;
    this.sync();
    this.version++;
    n.active = true;
    this.list(n);
    this.bumpActive(n.parent, 1);
  }

  deactivate(client: string): void {
    const n = this.leafOf(client);
    if (!n.active) return;
    this.sync();
    this.version++;
    this.deactivateNode(n);
  }

  private deactivateNode(n: SorterNode): void {
    if (!n.active) return;
    n.active = false;
    this.unlist(n);
    this.bumpActive(n.parent, -1);
  }

  isActive(client: string): boolean {
    return this.clients.get(client)?.active ?? false;
  }

  updateWeight(path: string, weight: number): void {
    if (!(weight > 0) || !Number.isFinite(weight)) throw new ValidationError(`weight of '${path}' must be a positive number, got ${weight}`);
    this.weights.set(path, weight);
    const n = this.nodes.get(path);
    // Unlike Mesos, which caches the weight of purely internal nodes, a new weight always
    // applies from the next sort, whatever kind of node the path is.
    if (n !== undefined && n.weight !== weight) {
      n.weight = weight;
      this.version++;
      if (this.allocationOrdered) this.dirty = true;
    }
  }

  contains(client: string): boolean {
    return this.clients.has(client);
  }

  count(): number {
    return this.clients.size;
  }

  protected leafOf(client: string): SorterNode {
    const n = this.clients.get(client);
    if (n === undefined) throw new IllegalStateError(`unknown sorter client '${client}'`);
    return n;
  }

  // ---- allocations ---------------------------------------------------------------------

  private charge(n: SorterNode, plus: ReadonlyMap<string, number> | undefined, minus: ReadonlyMap<string, number> | undefined, countUp: boolean): void {
    this.sync();
    this.version++;
    for (let a: SorterNode | undefined = n; a !== undefined; a = a.parent) {
      const from = this.positionOf(a);
      if (minus !== undefined) addQuantities(a.quantities, minus, -1);
      if (plus !== undefined) addQuantities(a.quantities, plus, 1);
      if (countUp) a.count++;
      if (this.allocationOrdered && a.parent !== undefined) a.share = this.computeShare(a);
      if (from >= 0) this.reposition(a, from);
    }
  }

  allocated(client: string, agentId: string, resources: Resources): void {
    const n = this.leafOf(client);
    const prev = n.allocation.get(agentId);
    if (prev !== undefined) n.allocation.set(agentId, prev.add(resources));
    else if (!resources.isEmpty()) n.allocation.set(agentId, resources);
    this.charge(n, resources.millisByName(), undefined, true);
  }

  unallocated(client: string, agentId: string, resources: Resources): void {
    const n = this.leafOf(client);
    const prev = n.allocation.get(agentId);
    if (prev === undefined) throw new IllegalStateError(`client '${client}' has no allocation on agent ${agentId}`);
    const left = prev.subtract(resources);
    if (left.isEmpty()) n.allocation.delete(agentId);
    else n.allocation.set(agentId, left);
    this.charge(n, undefined, resources.millisByName(), false);
  }

  update(client: string, agentId: string, oldResources: Resources, newResources: Resources): void {
    const n = this.leafOf(client);
    const prev = n.allocation.get(agentId);
    if (prev === undefined || !prev.contains(oldResources)) throw new IllegalStateError(`client '${client}' does not hold the resources to update on agent ${agentId}`);
    const next = prev.subtract(oldResources).add(newResources);
    if (next.isEmpty()) n.allocation.delete(agentId);
    else n.allocation.set(agentId, next);
    this.charge(n, newResources.millisByName(), oldResources.millisByName(), false);
  }

  allocation(client: string): ReadonlyMap<string, Resources>;
  allocation(client: string, agentId: string): Resources;
  allocation(client: string, agentId?: string): ReadonlyMap<string, Resources> | Resources {
    const n = this.leafOf(client);
    if (agentId === undefined) return n.allocation;
    return n.allocation.get(agentId) ?? Resources.EMPTY;
  }

  allocationScalarQuantities(client?: string): Record<string, number> {
    return toValues(this.quantitiesOf(client));
  }

  /** Allocated scalar quantities in thousandths (read-only view). */
  quantitiesOf(client?: string): ReadonlyMap<string, number> {
    return client === undefined ? this.root.quantities : this.leafOf(client).quantities;
  }

  /** Allocation count of a client: number of `allocated()` calls, used to break share ties. */
  allocationCount(client: string): number {
    return this.leafOf(client).count;
  }

  // ---- agents --------------------------------------------------------------------------

  addAgent(agentId: string, resources: Resources): void {
    this.pool.addAgent(agentId, resources);
    this.version++;
  }

  removeAgent(agentId: string): void {
    this.pool.removeAgent(agentId);
    this.version++;
  }

  // ---- order ---------------------------------------------------------------------------

  ordered(): readonly SortedClient[] {
    this.refresh();
    if (this.internalNodes === 0) return this.root.order;
    if (this.flatVersion !== this.version) {
      const out: SorterNode[] = [];
      const walk = (n: SorterNode): void => {
        for (const c of n.order) {
          if (c.leaf) out.push(c);
          else walk(c);
        }
      };
      walk(this.root);
      this.flatCache = out;
      this.flatVersion = this.version;
    }
    return this.flatCache;
  }

  sort(): string[] {
    return this.ordered().map((n) => n.client);
  }
}
