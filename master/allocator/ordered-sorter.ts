// Sorters whose order ignores allocations (not in Mesos): 'fifo' serves a role's frameworks in
// registration order, 'priority' by a per-framework priority (higher first), then registration.

import { TreeSorter, type SorterNode, type SorterOptions } from './sorter.js';

export class OrderedSorter extends TreeSorter {
  protected readonly allocationOrdered = false;
  private nextSeq = 0;

  constructor(options: SorterOptions = {}) {
    super(options);
  }

  override add(client: string): void {
    super.add(client);
    const n = this.leafOf(client);
    n.seq = this.nextSeq++;
  }

  /** Sets a client's priority (higher is served first) and optionally its arrival number. */
  setPriority(client: string, priority: number, seq?: number): void {
    const n = this.leafOf(client);
    const rank = -priority;
    if (n.rank === rank && (seq === undefined || seq === n.seq)) return;
    // Re-list the client so that its parent's order stays sorted.
    const wasActive = n.active;
    if (wasActive) this.deactivate(client);
    n.rank = rank;
    if (seq !== undefined) n.seq = seq;
    if (wasActive) this.activate(client);
  }

  protected compare(a: SorterNode, b: SorterNode): number {
    if (a.rank !== b.rank) return a.rank - b.rank;
    // Internal nodes keep seq 0: subtrees are ordered by path, their leaves by arrival.
    if (a.seq !== b.seq) return a.seq - b.seq;
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  }
}
