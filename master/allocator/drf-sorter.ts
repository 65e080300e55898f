// DRFSorter: orders siblings by weighted dominant share, then allocation count, then node path,
// as Mesos's DRF sorter does; `sort()` is a pre-order walk of the active leaves.

import { TreeSorter, type SorterNode } from './sorter.js';

export class DRFSorter extends TreeSorter {
  protected readonly allocationOrdered = true;

  protected compare(a: SorterNode, b: SorterNode): number {
    if (a.share !== b.share) return a.share < b.share ? -1 : 1;
    if (a.count !== b.count) return a.count - b.count;
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  }
}
