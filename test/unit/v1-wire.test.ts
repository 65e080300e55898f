// The v1 APIs' shared layer: RecordIO framing over any chunking, content negotiation, and the
// protobuf schema with Mesos's JSON mapping (stout's recordio tests, Mesos's
// `src/tests/common/recordio_tests.cpp`, and the http tests' media-type cases).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  acceptedMediaType,
  decodeMessage,
  encodeMessage,
  encodeRecord,
  RecordIODecoder,
  RecordIOError,
  requestMediaType,
} from '../../protocol/index.js';

/** Splits `buf` at the given cut points (any, possibly repeated or out of order). */
function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  return out;
}

describe('RecordIO', () => {
  it('decodes every record whole however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (records, cuts) => {
        const stream = Buffer.concat(records.map((r) => encodeRecord(r)));
        const decoder = new RecordIODecoder(1024);
        const got: Buffer[] = [];
        for (const chunk of chunked(stream, cuts)) got.push(...decoder.decode(chunk));
        assert.deepEqual(got.map((b) => [...b]), records.map((r) => [...r]));
        assert.equal(decoder.buffered, 0);
      }),
    );
  });

  it('writes the length in bytes of UTF-8, not characters', () => {
    assert.equal(encodeRecord('{"m":"é"}').toString('utf8'), '10\n{"m":"é"}');
  });

  it('refuses a record above its bound before buffering it, and a length that is not a number', () => {
    const decoder = new RecordIODecoder(100);
    assert.throws(() => decoder.decode(Buffer.from('101\n')), RecordIOError);
    assert.throws(() => decoder.decode(Buffer.from('1\nx')), /exceeds/); // a failed stream stays failed
    assert.throws(() => new RecordIODecoder().decode(Buffer.from('12a\n')), /invalid record length/);
    assert.throws(() => new RecordIODecoder().decode(Buffer.from('123456789012345678901')), /invalid record length/);
    assert.throws(() => new RecordIODecoder().decode(Buffer.from('\n')), /empty record length/);
  });
});

describe('content negotiation', () => {
  it('reads the body as JSON or protobuf by Content-Type, 415 for others, 400 when missing', () => {
    assert.equal(requestMediaType({ 'content-type': 'application/json' }), 'json');
    assert.equal(requestMediaType({ 'content-type': 'application/x-protobuf' }), 'protobuf');
    assert.equal(requestMediaType({ 'content-type': 'application/json; charset=utf-8' }), 'json');
    assert.deepEqual(requestMediaType({ 'content-type': 'text/plain' }), { status: 415, message: "Expecting 'Content-Type' of application/json or application/x-protobuf" });
    assert.equal((requestMediaType({}) as { status: number }).status, 400);
  });

  it('answers in JSON unless Accept prefers protobuf, and in nothing (406) when it allows neither', () => {
    assert.equal(acceptedMediaType({}), 'json');
    assert.equal(acceptedMediaType({ accept: '*/*' }), 'json');
    assert.equal(acceptedMediaType({ accept: 'application/x-protobuf' }), 'protobuf');
    assert.equal(acceptedMediaType({ accept: 'application/json, application/x-protobuf' }), 'json');
    assert.equal(acceptedMediaType({ accept: 'application/json;q=0.5, application/x-protobuf' }), 'protobuf');
    assert.equal(acceptedMediaType({ accept: 'application/*' }), 'json');
    assert.equal(acceptedMediaType({ accept: 'text/html' }), undefined);
    assert.equal(acceptedMediaType({ accept: 'application/json;q=0, */*;q=0' }), undefined);
  });
});

describe('the v1 schema', () => {
  const ack = { type: 'ACKNOWLEDGE', framework_id: { value: 'f' }, acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: Buffer.alloc(16, 7) } };

  it('maps Mesos JSON to mesos-ts types: enum names, {value} ids, base64 bytes, unknown fields and null ignored', () => {
    const body = JSON.stringify({ ...ack, acknowledge: { ...ack.acknowledge, uuid: Buffer.alloc(16, 7).toString('base64') }, extra: { x: 1 }, subscribe: null });
    const r = decodeMessage<typeof ack>('scheduler.Call', 'json', Buffer.from(body));
    assert.ok(r.ok);
    assert.deepEqual(r.value, ack);
  });

  it('round-trips calls and events through protobuf and JSON alike', () => {
    const launch = {
      type: 'ACCEPT',
      framework_id: { value: 'f' },
      accept: {
        offer_ids: [{ value: 'o1' }],
        operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 'n', task_id: { value: 't' }, agent_id: { value: 'a' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }], command: { value: 'true', shell: true }, limits: { mem: { value: 64 } } }] } }],
        filters: { refuse_seconds: 1 },
      },
    };
    for (const media of ['json', 'protobuf'] as const) {
      const r = decodeMessage('scheduler.Call', media, encodeMessage('scheduler.Call', media, launch));
      assert.ok(r.ok);
      assert.deepEqual(r.value, launch);
    }
    const update = { type: 'UPDATE', update: { status: { task_id: { value: 't' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: Buffer.alloc(16, 1), timestamp: 1764650000.25 } } };
    const r = decodeMessage('scheduler.Event', 'protobuf', encodeMessage('scheduler.Event', 'protobuf', update));
    assert.ok(r.ok);
    assert.deepEqual(r.value, update);
    assert.match(encodeMessage('scheduler.Event', 'json', update).toString(), /"uuid":"AQEBAQEBAQEBAQEBAQEBAQ=="/);
  });

  it('answers malformed input with a message, never a throw', () => {
    for (const [media, body] of [['json', '{"type":'], ['json', '[1]'], ['json', '{"subscribe":3}'], ['protobuf', '\x00\x01\x02'], ['protobuf', '\x0a\xff\xff']] as const) {
      const r = decodeMessage('scheduler.Call', media, Buffer.from(body, 'latin1'));
      assert.equal(r.ok, false, `${media} ${JSON.stringify(body)}`);
      assert.ok(!r.ok && r.error.length > 0);
    }
    // A proto2 required field missing (Call.Acknowledge without task_id and uuid).
    // type = 8 (field 2), acknowledge (field 8) = { agent_id (field 1) = { value (field 1) = "a" } }
    const partial = Buffer.from([0x10, 0x08, 0x42, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x61]);
    const r = decodeMessage('scheduler.Call', 'protobuf', partial);
    assert.ok(!r.ok && /missing required/.test(r.error), JSON.stringify(r));
  });
});
