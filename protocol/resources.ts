// Resources: the immutable value type for a bag of Mesos resources (v1 JSON `Resource`), with
// Mesos's text format, fixed-point scalars (3 decimals, no drift), coalesced ranges, sets and
// reservation stacks. Everything that counts resources (allocator, master, agent) uses it.

import type { Resource, ReservationInfo, DiskInfo, Labels } from './types.js';
import { ValidationError } from '../runtime/index.js';

export type { Resource };
export type ResourceType = 'SCALAR' | 'RANGES' | 'SET';
export type ReservationType = 'STATIC' | 'DYNAMIC';

/** One entry of a reservation stack; the last entry is the role the resource is reserved to. */
export interface Reservation {
  readonly type: ReservationType;
  readonly role: string;
  readonly principal?: string;
  readonly labels?: Labels;
}

export interface ReserveOptions {
  type?: ReservationType;
  principal?: string;
  labels?: Labels;
}

/** A closed interval of integers, as in `ports:[31000-32000]`. */
export interface Interval {
  readonly begin: number;
  readonly end: number;
}

/** Scalars are kept as integer thousandths, as Mesos's fixed-point `Value::Scalar` does. */
export const SCALAR_PRECISION = 1000;
const toMillis = (v: number): number => Math.round(v * SCALAR_PRECISION);
const fromMillis = (m: number): number => m / SCALAR_PRECISION;

// ---------------------------------------------------------------------------------------------
// Metadata: everything about a resource except its name, type and value. Interned, so that
// equal metadata is one object and comparing it is comparing a key.

interface Meta {
  readonly key: string;
  readonly reservations: readonly Reservation[];
  /** Role the resource is reserved to (last reservation), '*' when unreserved. */
  readonly role: string;
  readonly allocationRole: string | undefined;
  readonly disk: DiskInfo | undefined;
  readonly revocable: boolean;
  readonly shared: boolean;
  /** MOUNT and BLOCK disks are all-or-nothing: they cannot be split by chopping. */
  readonly divisible: boolean;
  /** Memo of the same metadata tagged with an allocation role (offers are tagged all the time). */
  readonly tagged: Map<string, Meta>;
}

const metas = new Map<string, Meta>();

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map(stableStringify).join(',') + ']';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableStringify(o[k])).join(',') + '}';
}

function makeMeta(
  reservations: readonly Reservation[],
  allocationRole: string | undefined,
  disk: DiskInfo | undefined,
  revocable: boolean,
  shared: boolean,
): Meta {
  const key =
    (reservations.length === 0 ? '' : stableStringify(reservations)) +
    '|' + (allocationRole ?? '') +
    '|' + (disk === undefined ? '' : stableStringify(disk)) +
    '|' + (revocable ? 'r' : '') + (shared ? 's' : '');
  let m = metas.get(key);
  if (m === undefined) {
    const last = reservations[reservations.length - 1];
    const srcType = disk?.source?.type;
    m = Object.freeze({
      tagged: new Map<string, Meta>(),
      key,
      reservations: Object.freeze(reservations.slice()),
      role: last === undefined ? '*' : last.role,
      allocationRole,
      disk,
      revocable,
      shared,
      divisible: srcType !== 'MOUNT' && srcType !== 'BLOCK',
    });
    metas.set(key, m);
  }
  return m;
}

const PLAIN = makeMeta([], undefined, undefined, false, false);

function withMeta(m: Meta, patch: { reservations?: readonly Reservation[]; allocationRole?: string | null }): Meta {
  const allocationRole = patch.allocationRole === undefined ? m.allocationRole : patch.allocationRole ?? undefined;
  return makeMeta(patch.reservations ?? m.reservations, allocationRole, m.disk, m.revocable, m.shared);
}

// ---------------------------------------------------------------------------------------------
// Ranges as flat sorted arrays [b0, e0, b1, e1, ...], coalesced (adjacent ranges merged).

function normalizeRanges(pairs: [number, number][]): number[] {
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [b, e] of pairs) {
    const n = out.length;
    if (n > 0 && b <= out[n - 1]! + 1) {
      if (e > out[n - 1]!) out[n - 1] = e;
    } else out.push(b, e);
  }
  return out;
}

function rangesUnion(a: readonly number[], b: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i]!, a[i + 1]!]);
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i]!, b[i + 1]!]);
  return normalizeRanges(pairs);
}

function rangesSubtract(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i]!;
    const hi = a[i + 1]!;
    while (j < b.length && b[j + 1]! < lo) j += 2;
    let k = j;
    while (lo <= hi && k < b.length && b[k]! <= hi) {
      if (b[k]! > lo) out.push(lo, b[k]! - 1);
      lo = Math.max(lo, b[k + 1]! + 1);
      k += 2;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

function rangesContain(a: readonly number[], b: readonly number[]): boolean {
  let i = 0;
  for (let j = 0; j < b.length; j += 2) {
    const lo = b[j]!;
    const hi = b[j + 1]!;
    while (i < a.length && a[i + 1]! < lo) i += 2;
    if (i >= a.length || a[i]! > lo || a[i + 1]! < hi) return false;
  }
  return true;
}

function rangesCount(a: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 2) n += a[i + 1]! - a[i]! + 1;
  return n;
}

function setUnion(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
function setSubtract(a: readonly string[], b: readonly string[]): string[] {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
}
function setContains(a: readonly string[], b: readonly string[]): boolean {
  if (b.length > a.length) return false;
  const have = new Set(a);
  return b.every((x) => have.has(x));
}

// ---------------------------------------------------------------------------------------------
// One resource entry: a name, a type, metadata and a value. Immutable.

const EMPTY_NUMS: readonly number[] = Object.freeze([]);
const EMPTY_STRS: readonly string[] = Object.freeze([]);

/** A read-only view of one resource inside a `Resources`, for filters and inspection. */
export class ResourceEntry {
  /** @internal identity of the entry: equal keys merge on add. */
  readonly key: string;
  /** @internal */
  constructor(
    readonly name: string,
    readonly type: ResourceType,
    /** @internal */ readonly meta: Meta,
    /** Scalar value in thousandths (0 for non-scalars). */
    readonly millis: number,
    /** @internal flat [begin, end, ...] */ readonly flatRanges: readonly number[],
    readonly items: readonly string[],
    key?: string,
  ) {
    this.key = key ?? name + '\u0000' + type + '\u0000' + meta.key;
  }
  get value(): number { return fromMillis(this.millis); }
  /** Role this resource is reserved to ('*' when unreserved). */
  get role(): string { return this.meta.role; }
  get reservations(): readonly Reservation[] { return this.meta.reservations; }
  get reserved(): boolean { return this.meta.reservations.length > 0; }
  get allocationRole(): string | undefined { return this.meta.allocationRole; }
  get revocable(): boolean { return this.meta.revocable; }
  get shared(): boolean { return this.meta.shared; }
  get disk(): DiskInfo | undefined { return this.meta.disk; }
  get ranges(): Interval[] {
    const out: Interval[] = [];
    for (let i = 0; i < this.flatRanges.length; i += 2) out.push({ begin: this.flatRanges[i]!, end: this.flatRanges[i + 1]! });
    return out;
  }
  /** @internal */
  withValue(millis: number, ranges: readonly number[], items: readonly string[]): ResourceEntry {
    return new ResourceEntry(this.name, this.type, this.meta, millis, ranges, items, this.key);
  }
  /** @internal */
  withMeta(meta: Meta): ResourceEntry {
    return meta === this.meta ? this : new ResourceEntry(this.name, this.type, meta, this.millis, this.flatRanges, this.items);
  }
  /** @internal true when the entry holds nothing. */
  get empty(): boolean {
    return this.type === 'SCALAR' ? this.millis <= 0 : this.type === 'RANGES' ? this.flatRanges.length === 0 : this.items.length === 0;
  }
  toJSON(): Resource {
    const r: Resource = { name: this.name, type: this.type };
    if (this.type === 'SCALAR') r.scalar = { value: this.value };
    else if (this.type === 'RANGES') r.ranges = { range: this.ranges.map((x) => ({ begin: x.begin, end: x.end })) };
    else r.set = { item: this.items.slice() };
    const m = this.meta;
    if (m.allocationRole !== undefined) r.allocation_info = { role: m.allocationRole };
    if (m.reservations.length > 0) r.reservations = m.reservations.map(reservationToJSON);
    if (m.disk !== undefined) r.disk = structuredClone(m.disk);
    if (m.revocable) r.revocable = {};
    if (m.shared) r.shared = {};
    return r;
  }
  toString(): string {
    const m = this.meta;
    let s = this.name;
    if (m.allocationRole !== undefined) s += `(allocated: ${m.allocationRole})`;
    const only = m.reservations.length === 1 ? m.reservations[0]! : undefined;
    if (only !== undefined && only.type === 'STATIC' && only.principal === undefined && only.labels === undefined) {
      s += `(${only.role})`;
    } else if (m.reservations.length > 0) {
      const parts = m.reservations.map((r) => {
        let p = `(${r.type},${r.role}`;
        if (r.principal !== undefined) p += `,${r.principal}`;
        if (r.labels !== undefined) p += `,{${r.labels.labels.map((l) => (l.value === undefined ? l.key : `${l.key}: ${l.value}`)).join(', ')}}`;
        return p + ')';
      });
      s += `(reservations: [${parts.join(', ')}])`;
    }
    if (m.disk !== undefined) {
      const src = m.disk.source;
      const pieces: string[] = [];
      if (src !== undefined) pieces.push(src.type + (src.mount?.root ? `(${src.mount.root})` : src.path?.root ? `(${src.path.root})` : ''));
      if (m.disk.persistence !== undefined) pieces.push(m.disk.persistence.id + (m.disk.volume ? `:${m.disk.volume.container_path}` : ''));
      s += `[${pieces.join(',')}]`;
    }
    if (m.revocable) s += '{REV}';
    if (m.shared) s += '<SHARED>';
    return s + ':' + formatValue(this);
  }
}

function reservationToJSON(r: Reservation): ReservationInfo {
  const out: ReservationInfo = { type: r.type, role: r.role };
  if (r.principal !== undefined) out.principal = r.principal;
  if (r.labels !== undefined) out.labels = structuredClone(r.labels);
  return out;
}

function formatValue(e: ResourceEntry): string {
  if (e.type === 'SCALAR') return String(e.value);
  if (e.type === 'RANGES') return '[' + e.ranges.map((r) => `${r.begin}-${r.end}`).join(', ') + ']';
  return '{' + e.items.join(', ') + '}';
}

/** Adds an entry to a list being built, combined with the one of the same key if there is one. */
function merge(out: ResourceEntry[], at: Map<string, number>, e: ResourceEntry): void {
  if (e.empty) return;
  const i = at.get(e.key);
  if (i === undefined) {
    at.set(e.key, out.length);
    out.push(e);
  } else out[i] = combine(out[i]!, e);
}

function combine(a: ResourceEntry, b: ResourceEntry): ResourceEntry {
  if (a.type === 'SCALAR') return a.withValue(a.millis + b.millis, EMPTY_NUMS, EMPTY_STRS);
  if (a.type === 'RANGES') return a.withValue(0, rangesUnion(a.flatRanges, b.flatRanges), EMPTY_STRS);
  return a.withValue(0, EMPTY_NUMS, setUnion(a.items, b.items));
}

/** a − b, or undefined when nothing is left. */
function remove(a: ResourceEntry, b: ResourceEntry): ResourceEntry | undefined {
  let e: ResourceEntry;
  if (a.type === 'SCALAR') e = a.withValue(a.millis - b.millis, EMPTY_NUMS, EMPTY_STRS);
  else if (a.type === 'RANGES') e = a.withValue(0, rangesSubtract(a.flatRanges, b.flatRanges), EMPTY_STRS);
  else e = a.withValue(0, EMPTY_NUMS, setSubtract(a.items, b.items));
  return e.empty ? undefined : e;
}

function entryContains(a: ResourceEntry, b: ResourceEntry): boolean {
  if (a.type === 'SCALAR') return a.millis >= b.millis;
  if (a.type === 'RANGES') return rangesContain(a.flatRanges, b.flatRanges);
  return setContains(a.items, b.items);
}

// ---------------------------------------------------------------------------------------------
// Parsing

function invalid(what: string, why: string): Error {
  return new Error(`Invalid resource '${what}': ${why}`);
}

function reservationFrom(r: ReservationInfo, what: string): Reservation {
  if (r.role === undefined || r.role === '' || r.role === '*') throw invalid(what, 'a reservation needs a role other than "*"');
  const type: ReservationType = r.type === 'STATIC' ? 'STATIC' : 'DYNAMIC';
  const out: { type: ReservationType; role: string; principal?: string; labels?: Labels } = { type, role: r.role };
  if (r.principal !== undefined) out.principal = r.principal;
  if (r.labels !== undefined) out.labels = structuredClone(r.labels);
  return out;
}

function entryFromJSON(r: Resource): ResourceEntry | undefined {
  const what = r?.name ?? '?';
  if (typeof r !== 'object' || r === null) throw new ValidationError('Invalid resource: not an object');
  if (typeof r.name !== 'string' || r.name === '') throw invalid(what, 'empty name');
  let reservations: Reservation[];
  if (r.reservations !== undefined && r.reservations.length > 0) {
    reservations = r.reservations.map((x) => reservationFrom(x, what));
  } else if (r.role !== undefined && r.role !== '*') {
    // Pre-refinement format: `role` plus an optional `reservation` (present = dynamic).
    const res: ReservationInfo = { type: r.reservation === undefined ? 'STATIC' : 'DYNAMIC', role: r.role };
    if (r.reservation?.principal !== undefined) res.principal = r.reservation.principal;
    if (r.reservation?.labels !== undefined) res.labels = r.reservation.labels;
    reservations = [reservationFrom(res, what)];
  } else reservations = [];
  const meta = makeMeta(reservations, r.allocation_info?.role, r.disk === undefined ? undefined : structuredClone(r.disk), r.revocable !== undefined, r.shared !== undefined);
  switch (r.type) {
    case 'SCALAR': {
      const v = r.scalar?.value;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(what, 'scalar value missing or not a finite number');
      if (v < 0) throw invalid(what, `negative scalar value ${v}`);
      const m = toMillis(v);
      return m === 0 ? undefined : new ResourceEntry(r.name, 'SCALAR', meta, m, EMPTY_NUMS, EMPTY_STRS);
    }
    case 'RANGES': {
      const pairs: [number, number][] = [];
      for (const x of r.ranges?.range ?? []) {
        if (!Number.isInteger(x.begin) || !Number.isInteger(x.end) || x.begin < 0) throw invalid(what, `bad range ${x.begin}-${x.end}`);
        if (x.begin > x.end) throw invalid(what, `range ${x.begin}-${x.end} has begin > end`);
        pairs.push([x.begin, x.end]);
      }
      const sorted = pairs.slice().sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i]![0] <= sorted[i - 1]![1]) throw invalid(what, `overlapping ranges ${sorted[i - 1]![0]}-${sorted[i - 1]![1]} and ${sorted[i]![0]}-${sorted[i]![1]}`);
      }
      const flat = normalizeRanges(pairs);
      return flat.length === 0 ? undefined : new ResourceEntry(r.name, 'RANGES', meta, 0, flat, EMPTY_STRS);
    }
    case 'SET': {
      const items = r.set?.item ?? [];
      const uniq = [...new Set(items)].sort();
      if (uniq.length !== items.length) throw invalid(what, 'duplicate set items');
      return uniq.length === 0 ? undefined : new ResourceEntry(r.name, 'SET', meta, 0, EMPTY_NUMS, uniq);
    }
    default:
      throw invalid(what, `unknown type ${String((r as { type?: unknown }).type)}`);
  }
}

function parseValue(name: string, text: string): Resource {
  const t = text.trim();
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw invalid(name, `unterminated ranges '${t}'`);
    const body = t.slice(1, -1).trim();
    const range = body === '' ? [] : body.split(',').map((piece) => {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(piece);
      if (m === null) throw invalid(name, `bad range '${piece.trim()}' (expected begin-end)`);
      const begin = Number(m[1]);
      return { begin, end: m[2] === undefined ? begin : Number(m[2]) };
    });
    return { name, type: 'RANGES', ranges: { range } };
  }
  if (t.startsWith('{')) {
    if (!t.endsWith('}')) throw invalid(name, `unterminated set '${t}'`);
    const body = t.slice(1, -1).trim();
    const item = body === '' ? [] : body.split(',').map((s) => s.trim());
    if (item.some((s) => s === '')) throw invalid(name, `empty set item in '${t}'`);
    return { name, type: 'SET', set: { item } };
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw invalid(name, `bad value '${t}' (expected a number, [ranges] or {set})`);
  return { name, type: 'SCALAR', scalar: { value: Number(t) } };
}

// ---------------------------------------------------------------------------------------------

const F_RESERVED = 1, F_UNRESERVED = 2, F_REVOCABLE = 4, F_NONSCALAR = 8, F_ALLOCATED = 16, F_REFINED = 32, F_SHARED = 64, F_INDIVISIBLE = 128;

const INDEX_THRESHOLD = 12;

/** An immutable multiset of resources. Every operation returns a new value. */
export class Resources {
  static readonly EMPTY: Resources = new Resources([]);

  private readonly list: readonly ResourceEntry[];
  private quantitiesCache: Map<string, number> | undefined;
  private indexCache: Map<string, ResourceEntry> | undefined;
  private flagsCache = -1;

  private constructor(list: readonly ResourceEntry[]) {
    this.list = list;
  }

  /** @internal build from entries, merging entries with equal keys. */
  private static of(entries: Iterable<ResourceEntry>): Resources {
    const out: ResourceEntry[] = [];
    const at = new Map<string, number>();
    for (const e of entries) merge(out, at, e);
    return out.length === 0 ? Resources.EMPTY : new Resources(out);
  }

  /** The sum of many values in one merge, rather than a new value for each addition. */
  static sum(values: Iterable<Resources>): Resources {
    const out: ResourceEntry[] = [];
    const at = new Map<string, number>();
    for (const r of values) for (const e of r.list) merge(out, at, e);
    return out.length === 0 ? Resources.EMPTY : new Resources(out);
  }

  /**
   * Parses Mesos's text format, `cpus:1;mem:128;ports:[31000-32000];disk(role):10;zones:{a,b}`,
   * or a JSON array of v1 `Resource`s. `name(role)` is a static reservation to `role`; without a
   * role, resources go to `defaultRole` ('*' = unreserved). Zero scalars are dropped, as in Mesos.
   */
  static parse(text: string, defaultRole = '*'): Resources {
    const t = text.trim();
    if (t.startsWith('[')) {
      let json: unknown;
      try {
        json = JSON.parse(t);
      } catch (cause) {
        throw new ValidationError(`Invalid resources JSON: ${(cause as Error).message}`, { cause });
      }
      if (!Array.isArray(json)) throw new ValidationError('Invalid resources JSON: expected an array');
      return Resources.fromJSON(json as Resource[]);
    }
    const out: Resource[] = [];
    for (const raw of t.split(';')) {
      const token = raw.trim();
      if (token === '') continue;
      const colon = token.indexOf(':');
      if (colon < 0) throw new ValidationError(`Invalid resource '${token}': expected name:value`);
      const head = token.slice(0, colon).trim();
      const m = /^([^()\s]+)\s*(?:\(\s*([^()]*?)\s*\))?$/.exec(head);
      if (m === null) throw new ValidationError(`Invalid resource '${token}': bad name '${head}' (expected name or name(role))`);
      const name = m[1]!;
      const role = m[2] === undefined ? defaultRole : m[2];
      if (role === '') throw new ValidationError(`Invalid resource '${token}': empty role`);
      const r = parseValue(name, token.slice(colon + 1));
      if (role !== '*') r.reservations = [{ type: 'STATIC', role }];
      out.push(r);
    }
    return Resources.fromJSON(out);
  }

  /** Validates and builds from v1 JSON (accepts both the `reservations` and the legacy `role` format). */
  static fromJSON(resources: readonly Resource[]): Resources {
    if (!Array.isArray(resources)) throw new ValidationError('Invalid resources: expected an array');
    const entries: ResourceEntry[] = [];
    const types = new Map<string, ResourceType>();
    for (const r of resources) {
      const e = entryFromJSON(r);
      if (e === undefined) continue;
      const seen = types.get(e.name);
      if (seen !== undefined && seen !== e.type) throw invalid(e.name, `conflicting types ${seen} and ${e.type}`);
      types.set(e.name, e.type);
      entries.push(e);
    }
    return Resources.of(entries);
  }

  /** A resource set made of scalars only, e.g. `Resources.scalars({cpus: 1, mem: 128})`. */
  static scalars(values: Readonly<Record<string, number>>): Resources {
    return Resources.fromJSON(Object.entries(values).map(([name, value]) => ({ name, type: 'SCALAR', scalar: { value } })));
  }

  /** @internal build a set of unreserved scalars from thousandths. */
  static fromMillis(q: ReadonlyMap<string, number>): Resources {
    const entries: ResourceEntry[] = [];
    for (const [name, m] of q) if (m > 0) entries.push(new ResourceEntry(name, 'SCALAR', PLAIN, m, EMPTY_NUMS, EMPTY_STRS));
    return entries.length === 0 ? Resources.EMPTY : new Resources(entries);
  }

  toJSON(): Resource[] {
    return this.list.map((e) => e.toJSON());
  }

  /** Mesos's text form, e.g. `cpus:1; mem:128; ports:[31000-32000]; disk(role):10`. */
  toString(): string {
    return this.list.map((e) => e.toString()).join('; ');
  }

  entries(): readonly ResourceEntry[] {
    return this.list;
  }
  [Symbol.iterator](): Iterator<ResourceEntry> {
    return this.list[Symbol.iterator]();
  }
  /** Number of distinct entries (not a quantity). */
  get size(): number {
    return this.list.length;
  }
  isEmpty(): boolean {
    return this.list.length === 0;
  }

  // ---- lookup helpers ------------------------------------------------------------------

  private find(key: string): ResourceEntry | undefined {
    const l = this.list;
    if (l.length <= INDEX_THRESHOLD) {
      for (let i = 0; i < l.length; i++) if (l[i]!.key === key) return l[i];
      return undefined;
    }
    let idx = this.indexCache;
    if (idx === undefined) {
      idx = new Map();
      for (const e of l) idx.set(e.key, e);
      this.indexCache = idx;
    }
    return idx.get(key);
  }

  // ---- arithmetic ----------------------------------------------------------------------

  add(other: Resources): Resources {
    if (other.list.length === 0) return this;
    if (this.list.length === 0) return other;
    const out = this.list.slice();
    let at: Map<string, number> | undefined;
    if (out.length > INDEX_THRESHOLD) {
      at = new Map();
      for (let i = 0; i < out.length; i++) at.set(out[i]!.key, i);
    }
    for (const e of other.list) {
      let i = -1;
      if (at !== undefined) i = at.get(e.key) ?? -1;
      else for (let k = 0; k < out.length; k++) if (out[k]!.key === e.key) { i = k; break; }
      if (i < 0) {
        at?.set(e.key, out.length);
        out.push(e);
      } else out[i] = combine(out[i]!, e);
    }
    return new Resources(out);
  }

  /** Removes what `other` holds; what is not there is ignored (scalars never go negative). */
  subtract(other: Resources): Resources {
    if (other.list.length === 0 || this.list.length === 0) return this;
    const out: (ResourceEntry | undefined)[] = this.list.slice();
    let at: Map<string, number> | undefined;
    if (out.length > INDEX_THRESHOLD) {
      at = new Map();
      for (let i = 0; i < out.length; i++) at.set(out[i]!.key, i);
    }
    let changed = false;
    for (const e of other.list) {
      let i = -1;
      if (at !== undefined) i = at.get(e.key) ?? -1;
      else for (let k = 0; k < out.length; k++) if (out[k]?.key === e.key) { i = k; break; }
      const cur = i < 0 ? undefined : out[i];
      if (cur === undefined) continue;
      out[i] = remove(cur, e);
      changed = true;
    }
    if (!changed) return this;
    const kept = out.filter((e): e is ResourceEntry => e !== undefined);
    return kept.length === 0 ? Resources.EMPTY : new Resources(kept);
  }

  contains(other: Resources): boolean {
    if (other === this || other.list.length === 0) return true;
    for (const e of other.list) {
      const mine = this.find(e.key);
      if (mine === undefined || !entryContains(mine, e)) return false;
    }
    return true;
  }

  equals(other: Resources): boolean {
    if (other === this) return true;
    if (other.list.length !== this.list.length) return false;
    for (const e of other.list) {
      const mine = this.find(e.key);
      if (mine === undefined) return false;
      if (e.type === 'SCALAR') { if (mine.millis !== e.millis) return false; }
      else if (e.type === 'RANGES') { if (mine.flatRanges.length !== e.flatRanges.length || !rangesContain(mine.flatRanges, e.flatRanges)) return false; }
      else if (mine.items.length !== e.items.length || !setContains(mine.items, e.items)) return false;
    }
    return true;
  }

  // ---- quantities ----------------------------------------------------------------------

  /** Scalar totals by name in thousandths (all reservations, revocable or not). Cached; do not mutate. */
  millisByName(): ReadonlyMap<string, number> {
    let q = this.quantitiesCache;
    if (q === undefined) {
      q = new Map();
      for (const e of this.list) if (e.type === 'SCALAR') q.set(e.name, (q.get(e.name) ?? 0) + e.millis);
      this.quantitiesCache = q;
    }
    return q;
  }

  /** Scalar totals by name, e.g. `{cpus: 4, mem: 2048}`. */
  quantities(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [n, m] of this.millisByName()) out[n] = fromMillis(m);
    return out;
  }

  /** Sum of the scalar named `name` (0 when absent). */
  scalar(name: string): number {
    return fromMillis(this.millisByName().get(name) ?? 0);
  }
  cpus(): number { return this.scalar('cpus'); }
  mem(): number { return this.scalar('mem'); }
  disk(): number { return this.scalar('disk'); }
  gpus(): number { return this.scalar('gpus'); }

  /** The union of the ranges named `name` (default `ports`), coalesced. */
  ranges(name = 'ports'): Interval[] {
    let flat: number[] = [];
    for (const e of this.list) if (e.name === name && e.type === 'RANGES') flat = rangesUnion(flat, e.flatRanges);
    const out: Interval[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ begin: flat[i]!, end: flat[i + 1]! });
    return out;
  }
  ports(): Interval[] {
    return this.ranges('ports');
  }
  /** Union of the set items named `name`. */
  set(name: string): string[] {
    const s = new Set<string>();
    for (const e of this.list) if (e.name === name && e.type === 'SET') for (const x of e.items) s.add(x);
    return [...s].sort();
  }

  /** Number of units named `name`: the scalar sum, the number of range elements or of set items. */
  count(name: string): number {
    let n = 0;
    for (const e of this.list) {
      if (e.name !== name) continue;
      n += e.type === 'SCALAR' ? e.value : e.type === 'RANGES' ? rangesCount(e.flatRanges) : e.items.length;
    }
    return n;
  }

  names(): string[] {
    return [...new Set(this.list.map((e) => e.name))];
  }

  // ---- filters -------------------------------------------------------------------------

  private flags(): number {
    let f = this.flagsCache;
    if (f < 0) {
      f = 0;
      for (const e of this.list) {
        const m = e.meta;
        f |= m.reservations.length > 0 ? F_RESERVED : F_UNRESERVED;
        if (m.reservations.length > 1) f |= F_REFINED;
        if (m.revocable) f |= F_REVOCABLE;
        if (e.type !== 'SCALAR') f |= F_NONSCALAR;
        if (m.allocationRole !== undefined) f |= F_ALLOCATED;
        if (m.shared) f |= F_SHARED;
        if (!m.divisible) f |= F_INDIVISIBLE;
      }
      this.flagsCache = f;
    }
    return f;
  }
  hasReserved(): boolean { return (this.flags() & F_RESERVED) !== 0; }
  hasUnreserved(): boolean { return (this.flags() & F_UNRESERVED) !== 0; }
  hasRevocable(): boolean { return (this.flags() & F_REVOCABLE) !== 0; }
  hasNonScalars(): boolean { return (this.flags() & F_NONSCALAR) !== 0; }
  hasAllocationInfo(): boolean { return (this.flags() & F_ALLOCATED) !== 0; }
  hasRefinedReservations(): boolean { return (this.flags() & F_REFINED) !== 0; }
  hasShared(): boolean { return (this.flags() & F_SHARED) !== 0; }
  hasIndivisible(): boolean { return (this.flags() & F_INDIVISIBLE) !== 0; }

  filter(pred: (e: ResourceEntry) => boolean): Resources {
    let all = true;
    for (const e of this.list) if (!pred(e)) { all = false; break; }
    if (all) return this;
    const kept = this.list.filter(pred);
    return kept.length === 0 ? Resources.EMPTY : new Resources(kept);
  }

  /** Reserved resources; with `role`, only those reserved to exactly that role. */
  reserved(role?: string): Resources {
    if (!this.hasReserved()) return Resources.EMPTY;
    return role === undefined ? this.filter((e) => e.meta.reservations.length > 0) : this.filter((e) => e.meta.reservations.length > 0 && e.meta.role === role);
  }
  unreserved(): Resources {
    if (!this.hasReserved()) return this;
    return this.filter((e) => e.meta.reservations.length === 0);
  }
  /** Resources `role` may be offered: unreserved, or reserved to `role` or to one of its ancestors. */
  allocatableTo(role: string): Resources {
    if (!this.hasReserved()) return this;
    return this.filter((e) => {
      const r = e.meta.role;
      return e.meta.reservations.length === 0 || r === role || isStrictSubrole(role, r);
    });
  }
  revocable(): Resources {
    return this.hasRevocable() ? this.filter((e) => e.meta.revocable) : Resources.EMPTY;
  }
  nonRevocable(): Resources {
    return this.hasRevocable() ? this.filter((e) => !e.meta.revocable) : this;
  }
  scalars(): Resources {
    return this.hasNonScalars() ? this.filter((e) => e.type === 'SCALAR') : this;
  }
  nonScalars(): Resources {
    return this.hasNonScalars() ? this.filter((e) => e.type !== 'SCALAR') : Resources.EMPTY;
  }
  shared(): Resources {
    return this.hasShared() ? this.filter((e) => e.meta.shared) : Resources.EMPTY;
  }
  nonShared(): Resources {
    return this.hasShared() ? this.filter((e) => !e.meta.shared) : this;
  }
  /** Roles that some of these resources are reserved to. */
  reservationRoles(): string[] {
    if (!this.hasReserved()) return [];
    return [...new Set(this.list.filter((e) => e.meta.reservations.length > 0).map((e) => e.meta.role))];
  }

  // ---- transformations -----------------------------------------------------------------

  private mapMeta(f: (m: Meta) => Meta): Resources {
    return Resources.of(this.list.map((e) => e.withMeta(f(e.meta))));
  }

  /** Pushes a reservation for `role` onto every resource (a RESERVE operation; DYNAMIC by default). */
  reserve(role: string, opts: ReserveOptions = {}): Resources {
    if (role === '' || role === '*') throw new ValidationError(`cannot reserve to role '${role}'`);
    const r: { type: ReservationType; role: string; principal?: string; labels?: Labels } = { type: opts.type ?? 'DYNAMIC', role };
    if (opts.principal !== undefined) r.principal = opts.principal;
    if (opts.labels !== undefined) r.labels = structuredClone(opts.labels);
    return this.mapMeta((m) => withMeta(m, { reservations: [...m.reservations, r] }));
  }

  /** Pops the last reservation of every reserved resource (an UNRESERVE operation). */
  unreserve(): Resources {
    if (!this.hasReserved()) return this;
    return this.mapMeta((m) => (m.reservations.length === 0 ? m : withMeta(m, { reservations: m.reservations.slice(0, -1) })));
  }

  /** Tags every resource as allocated to `role` (`allocation_info`), as offers carry. */
  allocate(role: string): Resources {
    const tag = (m: Meta): Meta => {
      if (m.allocationRole === role) return m;
      let t = m.tagged.get(role);
      if (t === undefined) m.tagged.set(role, (t = withMeta(m, { allocationRole: role })));
      return t;
    };
    // Tagging untagged resources cannot make two entries equal: no merge pass needed.
    if (!this.hasAllocationInfo()) return new Resources(this.list.map((e) => e.withMeta(tag(e.meta))));
    return this.mapMeta(tag);
  }
  /** Drops the `allocation_info` tags. */
  unallocate(): Resources {
    if (!this.hasAllocationInfo()) return this;
    const untag = (m: Meta): Meta => {
      if (m.allocationRole === undefined) return m;
      let t = m.tagged.get('');
      if (t === undefined) m.tagged.set('', (t = withMeta(m, { allocationRole: null })));
      return t;
    };
    const first = this.list[0]!.meta.allocationRole;
    if (first !== undefined && this.list.every((e) => e.meta.allocationRole === first)) {
      return new Resources(this.list.map((e) => e.withMeta(untag(e.meta))));
    }
    return this.mapMeta(untag);
  }
  /** Splits tagged resources by allocation role (untagged ones under ''). */
  allocations(): Map<string, Resources> {
    const by = new Map<string, ResourceEntry[]>();
    for (const e of this.list) {
      const k = e.meta.allocationRole ?? '';
      let l = by.get(k);
      if (l === undefined) by.set(k, (l = []));
      l.push(e);
    }
    const out = new Map<string, Resources>();
    for (const [k, l] of by) out.set(k, new Resources(l));
    return out;
  }

  /**
   * The scalars shrunk so that no name exceeds `bound` (thousandths by name; names missing from
   * `bound` are dropped unless `keepUnbounded`). Indivisible disks are kept only if they fit whole.
   * Non-scalars are kept as they are.
   */
  shrink(bound: ReadonlyMap<string, number>, keepUnbounded = false): Resources {
    const left = new Map(bound);
    const out: ResourceEntry[] = [];
    let changed = false;
    for (const e of this.list) {
      if (e.type !== 'SCALAR') { out.push(e); continue; }
      const b = left.get(e.name);
      if (b === undefined) {
        if (keepUnbounded) out.push(e);
        else changed = true;
        continue;
      }
      if (e.millis <= b) {
        out.push(e);
        left.set(e.name, b - e.millis);
      } else {
        changed = true;
        if (b > 0 && e.meta.divisible) {
          out.push(e.withValue(b, EMPTY_NUMS, EMPTY_STRS));
          left.set(e.name, 0);
        }
      }
    }
    if (!changed) return this;
    return out.length === 0 ? Resources.EMPTY : new Resources(out);
  }
}

/** True when `child` is strictly below `parent` in the role tree (`a/b` under `a`). */
export function isStrictSubrole(child: string, parent: string): boolean {
  return child.length > parent.length && child.charCodeAt(parent.length) === 47 /* '/' */ && child.startsWith(parent);
}
