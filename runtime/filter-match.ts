// The body matcher of a test filter: a few dotted paths into a message's plain-data body, each
// with the value it must hold (`{"update.status.state": "TASK_RUNNING"}`). Built from JSON that
// arrives over HTTP, so it is validated and bounded: named segments only (never `__proto__`,
// `constructor` or `prototype`), own properties only, primitive values, a leading `**.` to
// look at any depth (bounded too).

import { ValidationError } from './errors.js';

export type Primitive = string | number | boolean | null;

export interface BodyMatch {
  /** The path as given, for listing. */
  path: string;
  anyDepth: boolean;
  segments: string[];
  value: Primitive;
}

const SEGMENT = /^(?:[A-Za-z_][A-Za-z0-9_]{0,63}|\d{1,6})$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_PATHS = 8;
const MAX_SEGMENTS = 12;
/** How many nodes a `**.` search visits at most, and how deep. */
const MAX_VISITS = 10_000;
const MAX_DEPTH = 32;

/** Parses `{"a.b": value, "**.task_id.value": "t1"}`; throws a ValidationError saying what is wrong. */
export function parseBodyMatch(json: unknown): BodyMatch[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ValidationError('match must be an object of "dotted.path": value');
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) throw new ValidationError('match names no path');
  if (entries.length > MAX_PATHS) throw new ValidationError(`match has ${entries.length} paths; at most ${MAX_PATHS}`);
  return entries.map(([path, value]) => {
    const anyDepth = path.startsWith('**.');
    const segments = (anyDepth ? path.slice(3) : path).split('.');
    if (segments.length > MAX_SEGMENTS) throw new ValidationError(`match path '${path.slice(0, 100)}' has more than ${MAX_SEGMENTS} segments`);
    for (const s of segments) {
      if (!SEGMENT.test(s) || FORBIDDEN.has(s)) throw new ValidationError(`match path '${path.slice(0, 100)}': '${s.slice(0, 64)}' is not a field name or an index`);
    }
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ValidationError(`match value at '${path}' must be a string, number, boolean or null`);
    }
    if (typeof value === 'string' && value.length > 4096) throw new ValidationError(`match value at '${path}' is longer than 4096`);
    return { path, anyDepth, segments, value };
  });
}

function child(v: unknown, key: string): unknown {
  if (typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) return /^\d+$/.test(key) ? v[Number(key)] : undefined;
  if (v instanceof Uint8Array) return undefined;
  return Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
}

function at(v: unknown, segments: readonly string[]): unknown {
  let cur = v;
  for (const s of segments) {
    cur = child(cur, s);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Whether `segments` leads to `value` from `root` or (anyDepth) from any object below it. */
function holds(root: unknown, m: BodyMatch): boolean {
  if (!m.anyDepth) return at(root, m.segments) === m.value;
  let visits = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0 && visits++ < MAX_VISITS) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array) continue;
    if (at(v, m.segments) === m.value) return true;
    if (depth >= MAX_DEPTH) continue;
    for (const c of Array.isArray(v) ? v : Object.values(v)) stack.push([c, depth + 1]);
  }
  return false;
}

/** True when every path holds its value in `body`. */
export function bodyMatches(matchers: readonly BodyMatch[], body: unknown): boolean {
  return matchers.every((m) => holds(body, m));
}
