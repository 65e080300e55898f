// The allocator's public surface: sorters (DRF, random, ordered) over a shared role tree, and the
// hierarchical allocator that turns agents' resources into offers.

export { ResourcePool, TreeSorter, type Sorter, type SortedClient, type SorterOptions } from './sorter.js';
export { DRFSorter } from './drf-sorter.js';
export { RandomSorter, seededRandom, type RandomSorterOptions } from './random-sorter.js';
export { OrderedSorter } from './ordered-sorter.js';
export {
  HierarchicalAllocator,
  type HierarchicalAllocatorOptions,
  type Clock,
  type AllocatorFrameworkInfo,
  type AgentInfoLike,
  type OfferFilters,
  type Quota,
  type QuantitiesInput,
  type AllocationOperation,
  type RolePolicy,
  type FrameworkOffers,
  type AllocationRunResult,
} from './hierarchical.js';
