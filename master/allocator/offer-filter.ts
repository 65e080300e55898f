// Refusal filters: what a framework declined on an agent for a role, until when, and a heap that
// expires them in time order (the allocator never scans all filters to find the expired ones).

import type { Resources } from '../../protocol/index.js';

/** A decline with `refuse_seconds`: blocks offers of a subset of `resources` until it expires. */
export class OfferFilter {
  removed = false;
  constructor(
    readonly frameworkId: string,
    readonly role: string,
    readonly agentId: string,
    readonly resources: Resources,
    readonly expiresAt: number,
    /** Allocation runs completed when the filter was made: it outlives at least one more run. */
    readonly createdRun: number,
  ) {}

  /**
   * A filter survives at least one allocation run after it was made (Mesos MESOS-4302), so a
   * short filter is still honoured by the next run even when that run comes late.
   */
  active(now: number, runsCompleted: number): boolean {
    return !this.removed && (this.createdRun === runsCompleted || now < this.expiresAt);
  }

  blocks(candidate: Resources): boolean {
    return this.resources.contains(candidate);
  }
}

/** Binary min-heap of filters by expiry time. Removed filters are dropped lazily. */
export class FilterHeap {
  private readonly a: OfferFilter[] = [];

  get size(): number {
    return this.a.length;
  }

  push(f: OfferFilter): void {
    const a = this.a;
    a.push(f);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.expiresAt <= f.expiresAt) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = f;
  }

  peek(): OfferFilter | undefined {
    return this.a[0];
  }

  pop(): OfferFilter | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]!.expiresAt < a[l]!.expiresAt ? r : l;
        if (a[c]!.expiresAt >= last.expiresAt) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
