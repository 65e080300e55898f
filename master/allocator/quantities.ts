// Scalar quantities as maps of name → thousandths (Mesos's fixed-point Value::Scalar), the
// arithmetic quota and headroom need on them, and min_allocatable_resources.

import { ValidationError } from '../../runtime/index.js';
import { Resources } from '../../protocol/index.js';
import type { QuantitiesInput } from './types.js';

export type Millis = Map<string, number>;

export function addInto(into: Millis, q: ReadonlyMap<string, number>, sign = 1): void {
  for (const [n, m] of q) {
    const v = (into.get(n) ?? 0) + sign * m;
    if (v > 0) into.set(n, v);
    else into.delete(n);
  }
}

/** max(0, a − b) by name, dropping names that end at 0. */
export function minus(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Millis {
  const out: Millis = new Map();
  for (const [n, m] of a) {
    const v = m - (b.get(n) ?? 0);
    if (v > 0) out.set(n, v);
  }
  return out;
}

export function toMillisMap(input: QuantitiesInput | undefined): Millis | undefined {
  if (input === undefined) return undefined;
  if (input instanceof Resources) return new Map(input.millisByName());
  if (typeof input === 'string') return new Map(Resources.parse(input).millisByName());
  const out: Millis = new Map();
  for (const [n, v] of Object.entries(input)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ValidationError(`quota for '${n}' must be a non-negative number, got ${v}`);
    out.set(n, Math.round(v * 1000));
  }
  return out;
}

export function valuesOf(q: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [n, m] of q) out[n] = m / 1000;
  return out;
}

/** One alternative of min_allocatable_resources: [name, minimum] with scalars in thousandths. */
export type MinAlternative = readonly (readonly [string, number])[];

export function compileMin(input: string | readonly Readonly<Record<string, number>>[] | undefined): MinAlternative[] {
  if (input === undefined) input = 'cpus:0.01|mem:32';
  const alts: Readonly<Record<string, number>>[] = [];
  if (typeof input === 'string') {
    for (const alt of input.split('|')) {
      if (alt.trim() === '') continue;
      const rec: Record<string, number> = {};
      for (const piece of alt.split(';')) {
        if (piece.trim() === '') continue;
        const m = /^\s*([^:\s]+)\s*:\s*([0-9.]+)\s*$/.exec(piece);
        if (m === null) throw new ValidationError(`bad min_allocatable_resources quantity '${piece.trim()}' (expected name:number)`);
        rec[m[1]!] = Number(m[2]);
      }
      alts.push(rec);
    }
  } else alts.push(...input);
  return alts.map((rec) => Object.entries(rec).map(([n, v]) => [n, v] as const));
}

export function isAllocatable(r: Resources, alts: readonly MinAlternative[]): boolean {
  if (r.isEmpty()) return false;
  if (alts.length === 0) return true;
  const q = r.millisByName();
  outer: for (const alt of alts) {
    for (const [name, min] of alt) {
      const m = q.get(name);
      const have = m !== undefined ? m / 1000 : r.count(name);
      if (have < min) continue outer;
    }
    return true;
  }
  return false;
}

/** max(0, limit − consumed − extra) by name, keeping names whose bound reached 0. */
export function minusKeep(limits: ReadonlyMap<string, number>, consumed: ReadonlyMap<string, number>, more: ReadonlyMap<string, number>): Millis {
  const out: Millis = new Map();
  for (const [n, l] of limits) out.set(n, Math.max(0, l - (consumed.get(n) ?? 0) - (more.get(n) ?? 0)));
  return out;
}

/** A bound where every limited name is present (0 when exhausted), so `shrink(…, true)` cuts it. */
export function withUnbounded(bound: Millis, limits: ReadonlyMap<string, number>): Millis {
  for (const n of limits.keys()) if (!bound.has(n)) bound.set(n, 0);
  return bound;
}

/** True when `r` has some scalar that `bound` lets through (names absent from it pass if `free`). */
export function hasAny(r: Resources, bound: ReadonlyMap<string, number>, free: boolean): boolean {
  for (const [n, m] of r.millisByName()) {
    if (m <= 0) continue;
    const b = bound.get(n);
    if (b === undefined ? free : b > 0) return true;
  }
  return false;
}
