// The v1 scheduler API's SUBSCRIBE stream in one process on the master's manual clock: SUBSCRIBED
// carries heartbeat_interval_seconds (15, Mesos's DEFAULT_HEARTBEAT_INTERVAL), a HEARTBEAT
// follows at once and then one every 15 s of virtual time, never early, between the other
// events; a stream the subscriber closed gets no more, and a re-subscription's heartbeats keep
// their own schedule; a subscriber that never reads is cut off at the master's bound on unread
// events. Mesos's counterpart: the master's Heartbeater on an HTTP framework
// (scheduler_http_api_tests.cpp, master's `framework->heartbeater`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../../runtime/index.js';
import { RecordIODecoder } from '../../protocol/index.js';
import { World } from './master-harness.js';

type Event = { type: string } & Record<string, any>;

/** A SUBSCRIBE stream on the in-memory network: its events as they arrive. */
async function subscribe(w: World, call: object): Promise<{ streamId: string; events: Event[]; close: () => void }> {
  const req = { ...request('POST', '/api/v1/scheduler', call), headers: { 'content-type': 'application/json', accept: 'application/json' } };
  const res = await w.network.http(w.master.address)(req);
  assert.equal(res.status, 200, String(res.body));
  const events: Event[] = [];
  const decoder = new RecordIODecoder();
  const stream = res.stream!;
  stream.on('data', (chunk: Buffer) => {
    for (const r of decoder.decode(chunk)) events.push(JSON.parse(r.toString()) as Event);
  });
  return { streamId: res.headers?.['mesos-stream-id'] ?? '', events, close: () => (stream as unknown as { destroy(): void }).destroy() };
}

/** Lets the stream's pushed chunks reach the reader. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

const types = (events: Event[]): string[] => events.map((e) => e.type);

test('a HEARTBEAT right after SUBSCRIBED, then one every heartbeat_interval_seconds of virtual time, none early, between OFFERS', async () => {
  const w = await World.start();
  const s = await subscribe(w, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'tester', name: 'heartbeats' } } });
  await w.settle();
  await flush();
  assert.deepEqual(types(s.events), ['SUBSCRIBED', 'HEARTBEAT']);
  const interval = s.events[0]!['subscribed'].heartbeat_interval_seconds as number;
  assert.equal(interval, 15);
  assert.ok(s.streamId.length > 0, 'Mesos-Stream-Id on the response');

  for (let beat = 2; beat <= 5; beat++) {
    await w.pass(interval * 1000 - 1);
    await flush();
    assert.equal(types(s.events).filter((t) => t === 'HEARTBEAT').length, beat - 1, `nothing before ${interval} s have passed (beat ${beat})`);
    await w.pass(1);
    await flush();
    assert.equal(types(s.events).filter((t) => t === 'HEARTBEAT').length, beat, `a HEARTBEAT at ${interval} s (beat ${beat})`);
  }

  // An agent's offer goes out between heartbeats and does not move their schedule.
  await w.agent('cpus:2;mem:1024');
  await w.pass(1000);
  await flush();
  assert.equal(types(s.events).at(-1), 'OFFERS');
  const before = types(s.events).filter((t) => t === 'HEARTBEAT').length;
  await w.pass(interval * 1000 - 1000 - 1);
  await flush();
  assert.equal(types(s.events).filter((t) => t === 'HEARTBEAT').length, before, 'the offer did not bring the next heartbeat forward');
  await w.pass(1);
  await flush();
  assert.equal(types(s.events).filter((t) => t === 'HEARTBEAT').length, before + 1);
  s.close();
  await w.stop();
});

test('after the subscriber goes away, its heartbeats stop; a re-SUBSCRIBE gets them every 15 s from its own SUBSCRIBED', async () => {
  const w = await World.start();
  const first = await subscribe(w, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'tester', name: 'again', failover_timeout: 60 } } });
  await w.settle();
  await flush();
  const id = first.events[0]!['subscribed'].framework_id.value as string;
  await w.pass(2000);
  first.close();
  await w.settle();
  assert.equal((await w.state()).frameworks.find((f: any) => f.id === id)?.active, false, 'the framework is disconnected');
  await w.pass(5000);
  const second = await subscribe(w, { type: 'SUBSCRIBE', framework_id: { value: id }, subscribe: { framework_info: { user: 'tester', name: 'again', failover_timeout: 60, id: { value: id } } } });
  await w.settle();
  await flush();
  assert.deepEqual(types(second.events), ['SUBSCRIBED', 'HEARTBEAT']);
  assert.equal(second.events[0]!['subscribed'].framework_id.value, id);
  assert.notEqual(second.streamId, first.streamId, 'a new Mesos-Stream-Id');

  // 8 s on is 15 s after the first SUBSCRIBED: no beat there; the next is 15 s after the new one.
  await w.pass(8000);
  await flush();
  assert.deepEqual(types(second.events), ['SUBSCRIBED', 'HEARTBEAT'], "the old stream's schedule does not carry over");
  await w.pass(6999);
  await flush();
  assert.deepEqual(types(second.events), ['SUBSCRIBED', 'HEARTBEAT']);
  await w.pass(1);
  await flush();
  assert.deepEqual(types(second.events), ['SUBSCRIBED', 'HEARTBEAT', 'HEARTBEAT'], '15 s after the new SUBSCRIBED');
  await w.pass(30_000);
  await flush();
  assert.deepEqual(types(second.events), ['SUBSCRIBED', 'HEARTBEAT', 'HEARTBEAT', 'HEARTBEAT', 'HEARTBEAT']);
  assert.deepEqual(types(first.events), ['SUBSCRIBED', 'HEARTBEAT'], 'nothing more on the closed stream');
  second.close();
  await w.stop();
});

test('a subscriber that never reads its stream is cut off once 4 MiB wait unread: the drop is counted, the framework disconnected, the master goes on', async () => {
  const w = await World.start();
  const req = { ...request('POST', '/api/v1/scheduler', { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'tester', name: 'unread', failover_timeout: 60 } } }), headers: { 'content-type': 'application/json', accept: 'application/json' } };
  const res = await w.network.http(w.master.address)(req);
  assert.equal(res.status, 200);
  const stream = res.stream!;
  let closed = false;
  stream.once('close', () => (closed = true));
  const a = await w.agent('cpus:2;mem:1024');
  await w.pass(1000);
  const id = (await w.state()).frameworks.find((f: any) => f.name === 'unread').id as string;
  const droppedBefore = (await w.metrics())['master/dropped_messages'] ?? 0;
  // Framework messages of 1 MiB (1.4 MB of JSON each as MESSAGE events), none of them read.
  const data = new Uint8Array(1024 * 1024).fill(7);
  let sent = 0;
  while (!closed) {
    assert.ok(sent < 10, `the master still holds the stream after ${sent} MiB of unread events`);
    a.peer.tell(w.master.pid, { name: 'ExecutorToFramework', agent_id: { value: a.id }, framework_id: { value: id }, executor_id: { value: 'e' }, data });
    sent++;
    await w.settle();
  }
  assert.ok(sent >= 3, `cut off after ${sent} MiB, before the bound`);
  assert.ok(stream.readableLength <= 4 * 1024 * 1024 + 2 * 1024 * 1024, 'what it held stayed near the bound');
  assert.equal((await w.metrics())['master/dropped_messages'], droppedBefore + 1);
  const fw = (await w.state()).frameworks.find((f: any) => f.id === id);
  assert.equal(fw.connected, false, 'the framework is disconnected, as when its subscriber goes away');
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});
