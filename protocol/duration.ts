// Mesos's duration text (`10secs`, `1mins`, `500ms`, `2.5hrs`) as milliseconds and back: the
// format of duration flags and of the MESOS_* durations an agent hands its executors.

import { ValidationError } from '../runtime/index.js';

// Mesos's own units (ns us ms secs mins hrs days weeks) plus the short and singular forms a
// person types (5s, 2m, 1h, 1day), matched case-insensitively.
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/**
 * Mesos's duration text as milliseconds, or undefined when it is not one. A bare number is
 * refused, as in Mesos, because nobody can tell whether `10` meant seconds or minutes.
 */
export function tryParseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)$/i.exec(text.trim());
  const size = m?.[2] === undefined ? undefined : DURATION_UNITS[m[2].toLowerCase()];
  return m === null || size === undefined ? undefined : Number(m[1]) * size;
}

/** As tryParseDuration, for flags: a ValidationError with an example when the text is not a duration. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) throw new ValidationError(`'${text}' is not a duration (e.g. 500ms, 15secs, 1mins, 2hrs, 1days, 3weeks)`);
  return ms;
}

/** Milliseconds as Mesos writes durations (`15secs`, `1mins`, `500ms`): the largest unit that fits evenly. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['weeks', 604_800_000], ['days', 86_400_000], ['hrs', 3_600_000], ['mins', 60_000], ['secs', 1000]];
  for (const [name, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${name}`;
  return `${ms}ms`;
}
