// The operator API's SUBSCRIBE stream: RecordIO records of master.Event in either media, and a
// reader that never reads costs at most the bound before the stream is cut.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, message, RecordIODecoder, RecordIOStream } from '../../protocol/index.js';

async function drain(out: RecordIOStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of out.stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

test('a stream nobody reads is cut once the bound waits for it, and never holds much more', async () => {
  const out = new RecordIOStream('json', 10_000);
  let written = 0;
  while (out.write(message('AGENT_REMOVED', { agent_id: { value: `agent-${written}` } }))) {
    written++;
    assert.ok(out.stream.readableLength <= 10_000 + 200, `held ${out.stream.readableLength} bytes`);
    assert.ok(written < 10_000, 'the stream was never cut');
  }
  assert.ok(written > 100);
  assert.equal(out.write(message('HEARTBEAT')), false, 'a cut stream takes no more');
  // What was held still reads as whole records, and then the stream ends.
  const records = new RecordIODecoder().decode(await drain(out));
  assert.equal(records.length, written);
  assert.deepEqual(JSON.parse(records[0]!.toString()), { type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 'agent-0' } } });
});

test('protobuf records decode as master.Event, one record per write', async () => {
  const out = new RecordIOStream('protobuf', 1 << 20);
  out.write(message('SUBSCRIBED', { heartbeat_interval_seconds: 15 }));
  out.write(message('HEARTBEAT'));
  out.write(message('TASK_UPDATED', { framework_id: { value: 'f' }, status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid: new Uint8Array(16).fill(7) }, state: 'TASK_RUNNING' }));
  out.close();
  const events = new RecordIODecoder().decode(await drain(out)).map((r) => {
    const d = decodeMessage<Record<string, any>>('master.Event', 'protobuf', r);
    assert.ok(d.ok);
    return d.value;
  });
  assert.deepEqual(events.map((e) => e.type), ['SUBSCRIBED', 'HEARTBEAT', 'TASK_UPDATED']);
  assert.equal(events[0]!.subscribed.heartbeat_interval_seconds, 15);
  assert.deepEqual([...events[2]!.task_updated.status.uuid], new Array(16).fill(7));
});
