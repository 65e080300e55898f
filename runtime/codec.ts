// What a peer may put on the wire: MessagePack's plain types only. msgpackr decodes many
// extensions (Set, Map, Date, Error, RegExp, typed arrays, BigInt, structured-clone pointers that
// make cycles); a peer could use them to hand a handler a value that cannot be encoded again, or
// that crashes JSON.stringify. The decoder here refuses structured clone outright, turns 64-bit
// integers into numbers, and every decoded item is walked once: plain objects, arrays, strings,
// finite or non-finite numbers, booleans, null and byte buffers, within the bounds below.
// Records (msgpackr's shared object shapes) stay: they only ever build plain objects, and our own
// encoder writes them.

import { Packr, Unpackr } from 'msgpackr';

export interface DecodeLimits {
  /** Deepest nesting of arrays and objects inside one item. */
  maxDepth: number;
  /** Longest string, in UTF-16 units. */
  maxString: number;
  /** Largest byte buffer. */
  maxBinary: number;
  /** Most elements in one array. */
  maxArray: number;
  /** Most keys in one object. */
  maxKeys: number;
}

export const DEFAULT_LIMITS: DecodeLimits = {
  maxDepth: 64,
  maxString: 4 * 1024 * 1024,
  maxBinary: 16 * 1024 * 1024,
  maxArray: 200_000,
  maxKeys: 10_000,
};

export function newPackr(): Packr {
  return new Packr({ useRecords: true, moreTypes: false });
}

export function newUnpackr(): Unpackr {
  // copyBuffers: a decoded byte string is its own copy, not a view into the frame it came in.
  // A view would keep the whole frame (up to a thousand messages) alive for as long as anything
  // keeps that value: a task's status uuid kept by the master for the task's life, for one.
  return new Unpackr({ useRecords: true, mapsAsObjects: true, structuredClone: false, int64AsType: 'number', copyBuffers: true });
}

/** Why a decoded value is not plain data within the limits, or undefined when it is. */
export function plainProblem(value: unknown, limits: DecodeLimits = DEFAULT_LIMITS): string | undefined {
  return walk(value, 0, limits);
}

const OBJECT_PROTO = Object.prototype;

function walk(v: unknown, depth: number, l: DecodeLimits): string | undefined {
  switch (typeof v) {
    case 'string':
      return v.length > l.maxString ? `string longer than ${l.maxString}` : undefined;
    case 'number':
    case 'boolean':
      return undefined;
    case 'object': {
      if (v === null) return undefined;
      if (depth >= l.maxDepth) return `nested deeper than ${l.maxDepth}`;
      if (Array.isArray(v)) {
        if (v.length > l.maxArray) return `array longer than ${l.maxArray}`;
        for (let i = 0; i < v.length; i++) {
          const p = walk(v[i], depth + 1, l);
          if (p !== undefined) return p;
        }
        return undefined;
      }
      if (v instanceof Uint8Array) {
        // msgpackr decodes bin as a Buffer; no other typed array is plain.
        if (!Buffer.isBuffer(v)) return 'typed array';
        return v.byteLength > l.maxBinary ? `binary longer than ${l.maxBinary}` : undefined;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== OBJECT_PROTO && proto !== null) return `not a plain object (${(v as object).constructor?.name ?? 'unknown'})`;
      let keys = 0;
      for (const k in v as Record<string, unknown>) {
        if (++keys > l.maxKeys) return `object with more than ${l.maxKeys} keys`;
        if (k.length > l.maxString) return `key longer than ${l.maxString}`;
        const p = walk((v as Record<string, unknown>)[k], depth + 1, l);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    case 'undefined':
      // msgpackr's extension 0 and records with missing fields decode as undefined: harmless.
      return undefined;
    default:
      return `${typeof v} is not plain data`;
  }
}
