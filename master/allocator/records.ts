// What the hierarchical allocator keeps per framework, agent and role, and the role-tree
// helpers (ancestors, top-level role) and the part of resources that quota counts.

import type { Resources } from '../../protocol/index.js';
import type { OfferFilter } from './offer-filter.js';
import type { TreeSorter } from './sorter.js';
import { addInto, type MinAlternative, type Millis } from './quantities.js';
import type { AgentInfoLike } from './types.js';

export class FrameworkState {
  roles = new Set<string>();
  suppressed = new Set<string>();
  /** Roles the framework is tracked under in the sorters: subscribed, or still holding resources. */
  tracked = new Set<string>();
  active = false;
  registered = false;
  revocable = false;
  gpu = false;
  refinement = false;
  priority = 0;
  minAllocatable = new Map<string, MinAlternative[]>();
  filters = new Map<string, Map<string, OfferFilter[]>>();
  constructor(readonly id: string, readonly seq: number) {}
}

export class AgentState {
  available: Resources;
  activated = true;
  /** Offered or allocated, by framework then role (untagged resources). */
  readonly allocated = new Map<string, Map<string, Resources>>();
  hasGpus: boolean;
  /** The total shrank below what is allocated: `available` must be recomputed on recovery. */
  overcommitted = false;
  constructor(readonly id: string, public total: Resources, public info: AgentInfoLike) {
    this.available = total;
    this.hasGpus = total.gpus() > 0;
  }
}

export class RoleState {
  /** Framework ids tracked under this role; the role is in the role sorter while non-empty. */
  readonly frameworks = new Set<string>();
  sorter: TreeSorter | undefined;
  guarantees: Millis | undefined;
  limits: Millis | undefined;
  weight = 1;
  /** Subtree aggregates, in thousandths. */
  readonly reservations: Millis = new Map();
  readonly offeredUnreserved: Millis = new Map();
  readonly offeredReserved: Millis = new Map();
  activeFilters = 0;
  /** The top-level role, whose quota applies. */
  readonly top: string;
  constructor(readonly name: string) {
    this.top = topLevel(name);
  }
  get hasQuota(): boolean {
    return this.guarantees !== undefined || this.limits !== undefined;
  }
  /** What counts against quota: offered/allocated unreserved plus every reservation. */
  consumed(): Millis {
    const c = new Map(this.offeredUnreserved);
    addInto(c, this.reservations);
    return c;
  }
}

export function ancestorsAndSelf(role: string): string[] {
  const out = [role];
  for (let i = role.lastIndexOf('/'); i > 0; i = role.lastIndexOf('/', i - 1)) out.push(role.slice(0, i));
  return out;
}

export function topLevel(role: string): string {
  const i = role.indexOf('/');
  return i < 0 ? role : role.slice(0, i);
}

/** Unreserved, non-revocable scalars: what quota and headroom count. */
export function quotaPart(r: Resources): Resources {
  if (!r.hasReserved() && !r.hasRevocable() && !r.hasNonScalars()) return r;
  return r.filter((e) => !e.reserved && !e.revocable && e.type === 'SCALAR');
}
