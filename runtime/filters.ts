// Test filters, on both sides of the wire. A filter matches envelopes by name, sender,
// receiver and body fields, and drops them (all, or the first N), delays them, or resolves a
// promise when one passes (libprocess's DROP_MESSAGE and FUTURE_MESSAGE, plus a delay). Send-side
// filters run in the sending runtime, so a test can cut or hold one message between two real
// OS processes, which libprocess's receive-only filters cannot.

import { ValidationError } from './errors.js';
import { bodyMatches, parseBodyMatch, type BodyMatch, type Primitive } from './filter-match.js';
import type { Envelope } from './message.js';
import { pidId } from './pid.js';

export type Side = 'send' | 'receive';

export interface FilterSpec {
  side: Side;
  /** Message name, or a RegExp over it. */
  name?: string | RegExp;
  /** A full pid, or just an actor id ('master', 'agent(1)'). */
  from?: string;
  to?: string;
  /** How many matching messages to drop (or delay); default all. */
  times?: number;
  /** Only messages whose body holds these values: `{"update.status.state": "TASK_RUNNING"}` (filter-match.ts). */
  match?: Record<string, Primitive>;
  /** Hold each matching message this long, then let it through, instead of dropping it. */
  delayMs?: number;
}

/** What a filter makes of an envelope: let it through, drop it, or hold it for this many ms. */
export type Verdict = 'pass' | 'drop' | number;

interface Entry {
  id: number;
  spec: FilterSpec;
  matchers: BodyMatch[];
  remaining: number;
  /** When set, the filter awaits instead of dropping. */
  resolve?: (env: Envelope) => void;
}

export interface FilterView {
  id: number;
  side: Side;
  action: 'drop' | 'delay' | 'await';
  name?: string;
  from?: string;
  to?: string;
  match?: Record<string, Primitive>;
  delay_ms?: number;
  /** Messages it will still act on; null: every one. */
  remaining: number | null;
}

function matches(e: Entry, env: Envelope): boolean {
  const { spec } = e;
  if (spec.name !== undefined && (typeof spec.name === 'string' ? spec.name !== env.name : !spec.name.test(env.name))) return false;
  if (spec.from !== undefined && spec.from !== env.from && spec.from !== pidId(env.from)) return false;
  if (spec.to !== undefined && spec.to !== env.to && spec.to !== pidId(env.to)) return false;
  return e.matchers.length === 0 || bodyMatches(e.matchers, env.body);
}

const MAX_FILTERS = 256;
/** A day: a held message is a test's fault, not a store. */
const MAX_DELAY_MS = 86_400_000;

export class Filters {
  private entries: Entry[] = [];
  private nextId = 1;

  get active(): boolean {
    return this.entries.length > 0;
  }

  /** Drops matching messages (all of them, or `times` of them); returns the filter's id. */
  drop(spec: FilterSpec): number {
    return this.add(spec);
  }

  /** Delays matching messages by `ms` (all of them, or `times` of them); returns the filter's id. */
  delay(spec: Omit<FilterSpec, 'delayMs'>, ms: number): number {
    return this.add({ ...spec, delayMs: ms });
  }

  /** Resolves with the next matching envelope (which still goes through). */
  await(spec: FilterSpec): Promise<Envelope> {
    const matchers = this.check(spec);
    return new Promise((resolve) => this.entries.push({ id: this.nextId++, spec, matchers, remaining: 1, resolve }));
  }

  /** Removes one filter; false if there is none with that id. */
  remove(id: number): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.id !== id);
    return this.entries.length < before;
  }

  clear(): void {
    this.entries = [];
  }

  list(): FilterView[] {
    return this.entries.map((e) => ({
      id: e.id,
      side: e.spec.side,
      action: e.resolve ? 'await' : e.spec.delayMs !== undefined ? 'delay' : 'drop',
      ...(e.spec.name !== undefined ? { name: String(e.spec.name) } : {}),
      ...(e.spec.from !== undefined ? { from: e.spec.from } : {}),
      ...(e.spec.to !== undefined ? { to: e.spec.to } : {}),
      ...(e.spec.match !== undefined ? { match: e.spec.match } : {}),
      ...(e.spec.delayMs !== undefined ? { delay_ms: e.spec.delayMs } : {}),
      remaining: Number.isFinite(e.remaining) ? e.remaining : null,
    }));
  }

  /**
   * What becomes of the envelope. Awaiters see it first and let it pass; then the oldest
   * dropping or delaying filter that matches decides (and only it counts the message).
   */
  apply(side: Side, env: Envelope): Verdict {
    let verdict: Verdict = 'pass';
    for (const e of this.entries) {
      if (e.spec.side !== side || e.remaining <= 0 || !matches(e, env)) continue;
      if (e.resolve) {
        e.remaining = 0;
        e.resolve(env);
      } else if (verdict === 'pass') {
        e.remaining--;
        verdict = e.spec.delayMs ?? 'drop';
      }
    }
    if (this.entries.some((e) => e.remaining <= 0)) this.entries = this.entries.filter((e) => e.remaining > 0);
    return verdict;
  }

  private add(spec: FilterSpec): number {
    const matchers = this.check(spec);
    if (spec.delayMs !== undefined && (!Number.isInteger(spec.delayMs) || spec.delayMs < 0 || spec.delayMs > MAX_DELAY_MS)) {
      throw new ValidationError(`filter delay must be a whole number of ms from 0 to ${MAX_DELAY_MS}`);
    }
    const id = this.nextId++;
    this.entries.push({ id, spec, matchers, remaining: spec.times ?? Infinity });
    return id;
  }

  private check(spec: FilterSpec): BodyMatch[] {
    if (spec.side !== 'send' && spec.side !== 'receive') throw new ValidationError(`filter side must be 'send' or 'receive', not '${String(spec.side)}'`);
    if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) throw new ValidationError('filter times must be a positive integer');
    if (this.entries.length >= MAX_FILTERS) throw new ValidationError(`at most ${MAX_FILTERS} filters at once`);
    return spec.match !== undefined ? parseBodyMatch(spec.match) : [];
  }
}

const FIELDS = new Set(['side', 'name', 'name_regex', 'from', 'to', 'times', 'match', 'delay_ms']);

/**
 * A filter as JSON from outside the process (`/__filters__`): `side`, and optionally `name` or
 * `name_regex`, `from`, `to`, `times`, `match`, `delay_ms`. Throws a ValidationError naming the
 * field at fault; unknown fields are refused, so a typo never widens a filter.
 */
export function filterFromJson(json: unknown): FilterSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ValidationError('a filter is a JSON object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new ValidationError(`unknown filter field '${k.slice(0, 64)}' (expected ${[...FIELDS].join(', ')})`);
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > 300) throw new ValidationError(`filter ${k} must be a non-empty string of at most 300 characters`);
    return v;
  };
  const side = o['side'];
  if (side !== 'send' && side !== 'receive') throw new ValidationError(`filter side must be 'send' or 'receive'`);
  const name = str('name');
  const nameRegex = str('name_regex');
  if (name !== undefined && nameRegex !== undefined) throw new ValidationError('give name or name_regex, not both');
  let regex: RegExp | undefined;
  if (nameRegex !== undefined) {
    try {
      regex = new RegExp(nameRegex);
    } catch (err) {
      throw new ValidationError(`filter name_regex: ${(err as Error).message}`);
    }
  }
  const num = (k: string): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') throw new ValidationError(`filter ${k} must be a number`);
    return v;
  };
  const from = str('from');
  const to = str('to');
  const times = num('times');
  const delayMs = num('delay_ms');
  return {
    side,
    ...(name !== undefined ? { name } : regex !== undefined ? { name: regex } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(times !== undefined ? { times } : {}),
    ...(o['match'] !== undefined ? { match: o['match'] as Record<string, Primitive> } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
  };
}
