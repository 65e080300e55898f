// Runs user callbacks one at a time, in order, on behalf of a driver's actor. Synchronous
// callbacks run inline; one that returns a Promise holds the queue until it settles. User code
// that throws or rejects is reported, never allowed to crash the runtime.

/** How an async callback ended, as the message its actor gets back (then it calls settled()). */
export type CallbackOutcome = { name: '_CallbackDone' } | { name: '_CallbackFailed'; error: unknown };

export interface CallbackQueueHooks {
  /**
   * Called as an async callback starts, inside the handler that started it: returns what brings
   * its outcome back into the owning actor as a message, caused by that handler's message. Not
   * pipeToSelf: a user's promise may wait on anything, even on a test that is itself waiting
   * for the runtimes to settle, so it is not counted as the runtime's own work.
   */
  reentry(): (outcome: CallbackOutcome) => void;
  /** A callback threw or rejected. */
  failed(callback: string, error: unknown): void;
  /** True once the driver is aborted or stopped: only `evenIfClosed` callbacks still start. */
  closed(): boolean;
}

interface Entry {
  name: string;
  run: () => unknown;
  /** Runs after the callback returned (or its promise resolved), e.g. the implicit acknowledgement. */
  after: (() => void) | undefined;
  evenIfClosed: boolean;
}

export class CallbackQueue {
  private queue: Entry[] = [];
  private head = 0;
  private draining = false;
  private inFlight: Entry | undefined;

  constructor(private readonly hooks: CallbackQueueHooks) {}

  push(name: string, run: () => unknown, options: { after?: () => void; evenIfClosed?: boolean } = {}): void {
    this.queue.push({ name, run, after: options.after, evenIfClosed: options.evenIfClosed ?? false });
    this.drain();
  }

  /** The in-flight async callback resolved (ok) or rejected. */
  settled(ok: boolean, error?: unknown): void {
    const entry = this.inFlight;
    this.inFlight = undefined;
    if (!entry) return;
    if (ok) this.finish(entry);
    else this.hooks.failed(entry.name, error);
    this.drain();
  }

  private drain(): void {
    // A callback that calls the driver may queue more callbacks: the loop below picks them up.
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.inFlight === undefined && this.head < this.queue.length) {
        const entry = this.queue[this.head]!;
        this.queue[this.head++] = undefined as never;
        if (this.hooks.closed() && !entry.evenIfClosed) continue;
        let result: unknown;
        try {
          result = entry.run();
        } catch (err) {
          this.hooks.failed(entry.name, err);
          continue;
        }
        if (isThenable(result)) {
          this.inFlight = entry;
          const reenter = this.hooks.reentry();
          Promise.resolve(result).then(
            () => reenter({ name: '_CallbackDone' }),
            (error: unknown) => reenter({ name: '_CallbackFailed', error }),
          );
        } else this.finish(entry);
      }
    } finally {
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      this.draining = false;
    }
  }

  private finish(entry: Entry): void {
    // `after` runs even when the callback itself stopped the driver: the implicit
    // acknowledgement of the update that made the scheduler stop must still go out.
    if (!entry.after) return;
    try {
      entry.after();
    } catch (err) {
      this.hooks.failed(entry.name, err);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
