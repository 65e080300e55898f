// A flat registry of named numbers, served as /metrics/snapshot in Mesos's shape (name → number,
// names like `master/tasks_running`). Counters are pushed by their owner; gauges are pulled when
// a snapshot is taken, so they cost nothing in between.

export class Counter {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Metrics {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, () => number>();
  private readonly groups = new Map<string, () => Record<string, number>>();

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter()));
    return c;
  }

  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  /** Registers, under a key, a reader of several metrics at once (e.g. an allocator's figures). */
  gaugeGroup(key: string, read: () => Record<string, number>): void {
    this.groups.set(key, read);
  }

  remove(nameOrKey: string): void {
    this.gauges.delete(nameOrKey);
    this.groups.delete(nameOrKey);
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, c] of this.counters) out[name] = c.value;
    for (const [name, read] of this.gauges) out[name] = read();
    for (const read of this.groups.values()) Object.assign(out, read());
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
