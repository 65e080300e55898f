// Randomness, injected like the clock: the runtime and its actors draw from one `Random`, so a
// test can give them a seeded source and replay the same jittered backoffs and shuffles.

/** Uniform random numbers in [0, 1). */
export type Random = () => number;

/**
 * A deterministic source of random numbers in [0, 1) (mulberry32): the same seed gives the
 * same sequence, for tests and benchmarks.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
