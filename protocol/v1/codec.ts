// Messages of the v1 APIs to and from the wire, through one protobufjs Root built from the schema
// table: protobuf is the table's encoding, JSON is Mesos's mapping of the same messages (field
// names as in the table, enum names, bytes as base64, 64-bit integers as plain numbers). Decoded
// values have the shape of mesos-ts's own types (protocol/types.ts mirrors Mesos's v1 JSON), with
// `bytes` as Uint8Array, so the same objects flow into the master's and agent's handlers.

import protobuf from 'protobufjs';
import type { MediaType } from './media.js';
import { MESOS_V1_SCHEMA, type EnumSpec, type MessageSpec, type SchemaTable } from './schema.js';

const SCALARS = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

const tables: SchemaTable[] = [MESOS_V1_SCHEMA];
let root: protobuf.Root | undefined;
const types = new Map<string, protobuf.Type>();

/** Adds messages (names relative to `mesos.v1`, e.g. `master.Call`) to the schema. */
export function extendSchema(table: SchemaTable): void {
  tables.push(table);
  root = undefined;
  types.clear();
}

/** The protobuf type `name` (relative to `mesos.v1`), e.g. `scheduler.Call`. */
export function v1Type(name: string): protobuf.Type {
  let t = types.get(name);
  if (t === undefined) {
    root ??= buildRoot(Object.assign({}, ...tables) as SchemaTable);
    t = root.lookupType(`mesos.v1.${name}`);
    types.set(name, t);
  }
  return t;
}

type Node = { nested?: Record<string, Node>; fields?: Record<string, unknown>; values?: Record<string, number> };

function buildRoot(table: SchemaTable): protobuf.Root {
  const top: Node = { nested: {} };
  const nodeAt = (path: string[]): Node => {
    let node = top;
    for (const part of path) {
      node.nested ??= {};
      node = node.nested[part] ??= {};
    }
    return node;
  };
  for (const [name, spec] of Object.entries(table)) {
    const node = nodeAt(name.split('.'));
    if (isEnum(spec)) {
      node.values = Object.fromEntries(spec.enum.map((e) => {
        const [k, v] = e.split('=');
        return [k!, Number(v)];
      }));
    } else {
      node.fields = Object.fromEntries(Object.entries(spec).map(([field, desc]) => [field, fieldDescriptor(name, field, desc)]));
    }
  }
  return protobuf.Root.fromJSON({ nested: { mesos: { nested: { v1: top } } } });
}

function isEnum(spec: MessageSpec | EnumSpec): spec is EnumSpec {
  return Array.isArray((spec as EnumSpec).enum);
}

function fieldDescriptor(message: string, field: string, desc: string): Record<string, unknown> {
  const m = /^(?:map<(\w+),([\w.]+)>|([\w.]+)([!*]?)) (\d+)$/.exec(desc);
  if (m === null) throw new Error(`schema: ${message}.${field}: cannot read '${desc}'`);
  const ref = (t: string): string => (SCALARS.has(t) ? t : `.mesos.v1.${t}`);
  if (m[1] !== undefined) return { keyType: m[1], type: ref(m[2]!), id: Number(m[5]) };
  const rule = m[4] === '!' ? { rule: 'required' } : m[4] === '*' ? { rule: 'repeated' } : {};
  return { type: ref(m[3]!), id: Number(m[5]), ...rule };
}

const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: false, arrays: false, objects: false };

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * A message of type `name` from a request body. Unknown fields are ignored, JSON `null` means
 * unset, an unknown enum name leaves the field unset (as Mesos's JSON parser does); the caller
 * validates the result against its own schema.
 */
export function decodeMessage<T>(name: string, media: MediaType, body: Uint8Array): Decoded<T> {
  const type = v1Type(name);
  try {
    let message: protobuf.Message;
    if (media === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
      } catch (err) {
        return { ok: false, error: `Failed to parse body into JSON: ${(err as Error).message}` };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'Failed to parse body into JSON: expected an object' };
      message = type.fromObject(parsed as Record<string, unknown>);
    } else {
      message = type.decode(body);
    }
    return { ok: true, value: type.toObject(message, TO_OBJECT) as T };
  } catch (err) {
    return { ok: false, error: `Failed to convert ${media === 'json' ? 'JSON' : 'protobuf'} into ${type.name} message: ${(err as Error).message}` };
  }
}

/** A message of type `name` as bytes of `media`. */
export function encodeMessage(name: string, media: MediaType, value: object): Buffer {
  if (media === 'json') return Buffer.from(toJSONText(value), 'utf8');
  const type = v1Type(name);
  const bytes = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Mesos's JSON of a value: bytes as base64, one line. */
export function toJSONText(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = key === '' ? v : this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : v;
  });
}
