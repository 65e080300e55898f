// Bounded property tests of the edge: whatever the decoder and the validators accept can be
// encoded again, to MessagePack and to JSON, and nothing a peer sends makes them throw.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { newPackr, newUnpackr, plainProblem } from '../../runtime/codec.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { MESSAGE_NAMES, validateMessage } from '../../protocol/messages.js';
import { ResourceSchema } from '../../protocol/types.js';

const hostile = new Packr({ structuredClone: true, moreTypes: true, useRecords: true });
const unpackr = newUnpackr();
const packr = newPackr();

/** Decodes as the runtime does; returns the items it would let through. */
function accepted(bytes: Uint8Array): unknown[] {
  const out: unknown[] = [];
  try {
    unpackr.unpackMultiple(bytes, (item: unknown) => {
      if (plainProblem(item) === undefined) out.push(item);
    });
  } catch {
    /* a malformed frame: counted and dropped by the runtime */
  }
  return out;
}

function reencodes(v: unknown): void {
  assert.doesNotThrow(() => packr.pack(v));
  assert.doesNotThrow(() => JSON.stringify(v));
}

describe('edge fuzz', () => {
  it('accepted values from arbitrary JS values (Sets, Maps, Dates, BigInts, typed arrays) re-encode', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true, maxDepth: 6 }), (v) => {
        let bytes: Uint8Array;
        try {
          bytes = hostile.pack(v);
        } catch {
          return;
        }
        for (const item of accepted(bytes)) reencodes(item);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes never throw out of the decoder, and what passes re-encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        for (const item of accepted(bytes)) reencodes(item);
      }),
      { numRuns: 3000 },
    );
  });

  it('validators never throw, and an accepted body re-encodes', () => {
    const body = fc.record({ name: fc.constantFrom(...MESSAGE_NAMES) }).chain((b) =>
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((extra) => ({ ...extra, ...b })),
    );
    fc.assert(
      fc.property(body, (b) => {
        const problem = validateMessage(b);
        if (problem === undefined) reencodes(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid message with extra properties at any depth is stripped to its schema', () => {
    const m = { name: 'KillTask', framework_id: { value: 'f', evil: [1] }, task_id: { value: 't' }, extra: { x: 1 } } as Record<string, unknown>;
    assert.equal(validateMessage(m), undefined);
    assert.deepEqual(m, { name: 'KillTask', framework_id: { value: 'f' }, task_id: { value: 't' } });
  });

  it('NaN, Infinity and 1e308 in resources and durations are refused at the schema', () => {
    const resource = TypeCompiler.Compile(ResourceSchema);
    assert.equal(resource.Check({ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }), true);
    for (const v of [NaN, Infinity, 1e308]) {
      assert.equal(resource.Check({ name: 'cpus', type: 'SCALAR', scalar: { value: v } }), false, `cpus ${v}`);
      const status = validateMessage({ name: 'RegisterFramework', framework: { user: 'u', name: 'n', failover_timeout: v } });
      assert.ok(status !== undefined, `failover_timeout ${v}`);
    }
  });
});
