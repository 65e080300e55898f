// Virtual time for actor tests. settle() and advance() are the runtime's own (runtime/settle.ts);
// this adds the two moves tests need on top: jump to the next timer, and advance timer by timer
// until a condition holds or a virtual deadline passes.

import { ManualClock, advance, settle, type Runtime } from '../../runtime/index.js';

export { advance, settle };

/** The manual clock the runtimes share; throws if they run on a real one. */
export function manualClock(runtimes: readonly Runtime[]): ManualClock {
  const clock = runtimes[0]?.clock;
  if (!(clock instanceof ManualClock)) throw new Error('virtual time needs runtimes on a ManualClock');
  return clock;
}

/** Settles, moves the clock to the next timer deadline and settles again; throws if no timer is armed. */
export async function step(runtimes: Runtime[]): Promise<void> {
  const clock = manualClock(runtimes);
  await settle(runtimes);
  const next = clock.nextDeadline();
  if (next === undefined) throw new Error('no timer to step to');
  clock.advance(Math.max(0, next - clock.now()));
  await settle(runtimes);
}

/**
 * Settles, then moves the clock one timer deadline at a time, settling after each, until `done()`
 * holds (true) or the next timer lies beyond `within` virtual ms from now (false). The clock stops
 * where `done()` first held, so a test can go on from the moment the awaited thing happened.
 */
export async function advanceUntil(runtimes: Runtime[], done: () => boolean, within: number): Promise<boolean> {
  const clock = manualClock(runtimes);
  const deadline = clock.now() + within;
  await settle(runtimes);
  for (;;) {
    if (done()) return true;
    const next = clock.nextDeadline();
    if (next === undefined || next > deadline) break;
    clock.advance(Math.max(0, next - clock.now()));
    await settle(runtimes);
  }
  if (clock.now() < deadline) {
    clock.advance(deadline - clock.now());
    await settle(runtimes);
  }
  return done();
}
