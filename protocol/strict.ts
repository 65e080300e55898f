// What a handler forwards is exactly what was validated: properties a schema does not name are
// removed from an incoming body before any handler sees it (a peer could otherwise ride a value
// through the master inside a field no one reads). Two compiled checks per schema keep the hot
// path cheap: a strict one (no unknown properties anywhere), which what mesos-ts itself sends
// passes, and only when it fails the lax one plus a strip guided by the schema.

import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

type Schema = Record<string | symbol, unknown>;

/** A copy of the schema in which every object with named properties admits no others. */
export function strictSchema<T extends TSchema>(schema: T): T {
  return copy(schema as unknown as Schema) as unknown as T;
}

function copy(s: Schema): Schema {
  const out: Schema = {};
  for (const k of Reflect.ownKeys(s)) {
    const v = s[k];
    out[k] = Array.isArray(v) ? v.map((x) => (isSchema(x) ? copy(x) : x)) : isSchema(v) ? copy(v) : v;
  }
  if (out[Kind] === 'Object' && out['properties'] !== undefined && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp) && !(v instanceof Uint8Array);
}

/**
 * Removes, in place, every property of `value` that `schema` does not name, at every depth;
 * `value` is assumed to pass the schema (unknown properties aside).
 */
export function strip(schema: TSchema, value: unknown): void {
  const s = schema as unknown as Schema;
  if (typeof value !== 'object' || value === null) return;
  const kind = s[Kind];
  if (kind === 'Object' && !Array.isArray(value)) {
    const props = s['properties'] as Record<string, TSchema>;
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const p = Object.hasOwn(props, k) ? props[k] : undefined;
      if (p === undefined) {
        if (s['additionalProperties'] === undefined || s['additionalProperties'] === false) delete o[k];
      } else strip(p, o[k]);
    }
  } else if (kind === 'Array' && Array.isArray(value)) {
    for (const item of value) strip(s['items'] as TSchema, item);
  } else if (kind === 'Record') {
    const patterns = Object.values(s['patternProperties'] as Record<string, TSchema>);
    for (const v of Object.values(value)) for (const p of patterns) strip(p, v);
  } else if (kind === 'Union') {
    const variant = (s['anyOf'] as TSchema[]).find((v) => checkerOf(v).Check(value));
    if (variant) strip(variant, value);
  }
}

const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let c = checkers.get(schema);
  if (!c) checkers.set(schema, (c = TypeCompiler.Compile(schema)));
  return c;
}
