// Quiet and virtual time for tests: settle() waits until runtimes have nothing left to do,
// advance() moves a manual clock forward one timer deadline at a time. These are the canonical
// versions; tests should use them rather than keep copies.

import { ManualClock } from './clock.js';
import { IllegalStateError } from './errors.js';
import type { Runtime } from './runtime.js';

/**
 * Resolves once every given runtime is idle at the same time, firing due manual-clock timers
 * along the way — the deterministic replacement for sleeping in tests.
 */
export async function settle(runtimes: Runtime | Runtime[], options: { maxTurns?: number } = {}): Promise<void> {
  const all = Array.isArray(runtimes) ? runtimes : [runtimes];
  const maxTurns = options.maxTurns ?? 100_000;
  let quiet = 0;
  for (let turn = 0; turn < maxTurns; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    let fired = false;
    for (const rt of all) fired = rt.fireDueTimers() || fired;
    if (!fired && all.every((rt) => rt.idle())) {
      if (++quiet >= 2) return;
    } else quiet = 0;
  }
  throw new IllegalStateError(`runtimes did not settle within ${maxTurns} event-loop turns`);
}

/**
 * Moves the runtimes' manual clock forward by ms, one timer deadline at a time, settling after
 * each, so a handler that re-arms a timer sees the time its timer fired at (libprocess's
 * paused-clock semantics). A plain clock.advance(ms) fires only what was armed beforehand.
 */
export async function advance(runtimes: Runtime | Runtime[], ms: number): Promise<void> {
  const all = Array.isArray(runtimes) ? runtimes : [runtimes];
  const clock = all[0]?.clock;
  if (!(clock instanceof ManualClock)) throw new IllegalStateError('advance() needs runtimes on a ManualClock');
  const target = clock.now() + ms;
  await settle(all);
  for (;;) {
    const next = clock.nextDeadline();
    if (next === undefined || next > target) break;
    clock.advance(Math.max(0, next - clock.now()));
    await settle(all);
  }
  clock.advance(target - clock.now());
  await settle(all);
}
