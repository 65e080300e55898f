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

// The seeded source lives in the runtime, which injects randomness like its clock.
export { seededRandom } from '../../runtime/index.js';
