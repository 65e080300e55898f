// RandomSorter: the same tree and bookkeeping as the DRF sorter, but `sort()` is a weighted
// random permutation of the active leaves (weights multiplied down the tree), as in Mesos.

import { TreeSorter, type SorterNode, type SortedClient, type SorterOptions } from './sorter.js';

export interface RandomSorterOptions extends SorterOptions {
  /** Uniform random numbers in [0, 1); injected so that tests are deterministic. */
  random?: () => number;
}

export class RandomSorter extends TreeSorter {
  protected readonly allocationOrdered = false;
  private readonly random: () => number;

  constructor(options: RandomSorterOptions = {}) {
    super(options);
    this.random = options.random ?? Math.random;
  }

  protected compare(a: SorterNode, b: SorterNode): number {
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  }

  override ordered(): readonly SortedClient[] {
    this.refresh();
    const keyed: { n: SorterNode; key: number }[] = [];
    const walk = (n: SorterNode, w: number): void => {
      let sum = 0;
      for (const c of n.order) sum += c.weight;
      for (const c of n.order) {
        const cw = (w * c.weight) / sum;
        if (c.leaf) {
          // Efraimidis–Spirakis weighted sampling without replacement: key = u^(1/w).
          keyed.push({ n: c, key: Math.pow(this.random(), 1 / cw) });
        } else walk(c, cw);
      }
    };
    walk(this.root, 1);
    keyed.sort((a, b) => b.key - a.key);
    return keyed.map((k) => k.n);
  }
}

/**
 * A deterministic source of random numbers in [0, 1) (mulberry32), for the allocator's
 * shuffles in tests and benchmarks: the same seed gives the same offers.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
