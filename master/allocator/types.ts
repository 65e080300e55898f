// The hierarchical allocator's public types: what it is told (frameworks, agents, filters,
// quota, operations), how it is configured, and what an allocation run reports.

import type { Resources } from '../../protocol/index.js';

export interface Clock {
  /** Milliseconds. */
  now(): number;
}

/** The parts of a v1 FrameworkInfo the allocator reads. */
export interface AllocatorFrameworkInfo {
  role?: string;
  roles?: readonly string[];
  capabilities?: readonly { type?: string }[];
  labels?: { labels: readonly { key: string; value?: string }[] };
  /** Per-role offer filters; `min_allocatable_resources` replaces the global minimum for that role. */
  offer_filters?: Readonly<Record<string, { min_allocatable_resources?: { quantities?: readonly { quantities?: Readonly<Record<string, { value: number }>> }[] } }>>;
}

export interface AgentInfoLike {
  hostname?: string;
  /** Anything comparable by value: a change clears the refusal filters for the agent. */
  attributes?: unknown;
}

/** Decline filters, as the v1 `Filters` message: `refuse_seconds` defaults to 5. */
export interface OfferFilters {
  refuse_seconds?: number;
}

export type QuantitiesInput = Readonly<Record<string, number>> | string | Resources;

export interface Quota {
  guarantees?: QuantitiesInput;
  limits?: QuantitiesInput;
}

/** RESERVE: `resources` carry the new reservation. UNRESERVE: `resources` are the reserved ones. */
/** RESERVE/UNRESERVE carry the reserved resources, CREATE/DESTROY the persistent volumes. */
export type AllocationOperation = { type: 'RESERVE' | 'UNRESERVE' | 'CREATE' | 'DESTROY'; resources: Resources };

export type RolePolicy = 'drf' | 'fifo' | 'priority';

/** Offers of one run to one framework: role → agent → resources (tagged with `allocation_info`). */
export type FrameworkOffers = Map<string, Map<string, Resources>>;

export interface HierarchicalAllocatorOptions {
  clock: Clock;
  /** Called once per framework at the end of a run that offered it something. */
  offer: (frameworkId: string, offers: FrameworkOffers) => void;
  /** `--allocation_interval` in ms (default 1000): the shortest refusal filter. */
  allocationInterval?: number;
  /** `--min_allocatable_resources`, e.g. 'cpus:0.01|mem:32' (the default); '' = anything non-empty. */
  minAllocatableResources?: string | readonly Readonly<Record<string, number>>[];
  fairnessExcludeResourceNames?: Iterable<string>;
  roleSorter?: 'drf' | 'random';
  frameworkSorter?: 'drf' | 'random';
  /** Beyond Mesos: how frameworks inside a role are ordered (default 'drf'). */
  rolePolicies?: Readonly<Record<string, RolePolicy>>;
  /** `--filter_gpu_resources` (default true): GPU agents go only to GPU_RESOURCES frameworks. */
  filterGpuResources?: boolean;
  /** Uniform random in [0, 1), for agent shuffling and random sorters. */
  random?: () => number;
  /** High-resolution milliseconds for `allocation_run_ms` (default performance.now). */
  timer?: () => number;
  /** Called when an event asks for a run and none was pending (coalescing, as Mesos batches). */
  onAllocationRequested?: () => void;
}

export interface AllocationRunResult {
  /** Number of (framework, role, agent) offers made. */
  offers: number;
  agents: number;
  ms: number;
}
