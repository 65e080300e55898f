// The runtime in one process: in-memory network, manual clock, settle(), filters. No sleeps.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Actor, InMemoryNetwork, ManualClock, Runtime, advance, pid, request, settle, startTrace, type Handlers, type Pid } from '../../runtime/index.js';

type Ping = { name: 'Ping'; seq: number };
type Pong = { name: 'Pong'; seq: number };
type Boom = { name: 'Boom' };
type Tick = { name: '_Tick' };
type Work = { name: 'Work'; value: number };
type Done = { name: '_Done'; result: number };

/** Answers Ping with Pong; throws on Boom. */
class Echo extends Actor<Ping | Boom> {
  finalized = 0;
  protected readonly handlers: Handlers<Ping | Boom> = {
    Ping: (m, from) => from && this.send(from, { name: 'Pong', seq: m.seq }),
    Boom: () => {
      throw new Error('boom');
    },
  };
  override finalize(): void {
    this.finalized++;
  }
}

/** Records what it receives and every exit it is told of. */
class Recorder extends Actor<Pong | Ping> {
  got: number[] = [];
  exits: Pid[] = [];
  protected readonly handlers: Handlers<Pong | Ping> = {
    Pong: (m) => void this.got.push(m.seq),
    Ping: (m) => void this.got.push(m.seq),
  };
  override exited(p: Pid): void {
    this.exits.push(p);
  }
  tell(to: Pid, msg: Ping | Boom): void {
    this.send(to, msg);
  }
  watch(p: Pid): void {
    this.link(p);
  }
}

/** Ticks every second from initialize() on, through the runtime clock. */
class Ticker extends Actor<Tick> {
  ticks = 0;
  protected readonly handlers: Handlers<Tick> = {
    _Tick: () => {
      this.ticks++;
      this.delay(1000, { name: '_Tick' });
    },
  };
  override initialize(): void {
    this.delay(1000, { name: '_Tick' });
  }
}

/** Does async work and gets its result back as a message. */
class Worker extends Actor<Work | Done> {
  results: number[] = [];
  protected readonly handlers: Handlers<Work | Done> = {
    Work: (m) => this.pipeToSelf(new Promise<number>((r) => setImmediate(() => r(m.value * 2))), (result) => ({ name: '_Done', result }), () => ({ name: '_Done', result: -1 })),
    _Done: (m) => void this.results.push(m.result),
  };
}

const validate = (name: string, body: unknown): string | undefined =>
  name !== 'Ping' && name !== 'Pong' && name !== 'Boom' ? `unknown message ${name}` : name !== 'Boom' && typeof (body as { seq?: unknown }).seq !== 'number' ? 'seq must be a number' : undefined;

async function cluster(n: number): Promise<{ net: InMemoryNetwork; clock: ManualClock; rts: Runtime[] }> {
  const net = new InMemoryNetwork();
  const clock = new ManualClock();
  const rts: Runtime[] = [];
  for (let i = 0; i < n; i++) rts.push(await Runtime.start({ transport: net.transport(), clock, validate }));
  return { net, clock, rts };
}

describe('runtime (in-memory network, manual clock)', () => {
  it('a timer-driven actor ticks once per interval of the manual clock', async () => {
    const { clock, rts } = await cluster(1);
    const start = clock.now();
    const t = rts[0]!.spawn(new Ticker(), 'ticker');
    await settle(rts);
    assert.equal(t.ticks, 0);
    await advance(rts, 3500);
    assert.equal(t.ticks, 3);
    assert.equal(clock.now() - start, 3500);
    rts[0]!.terminate(t.self);
    await advance(rts, 5000);
    assert.equal(t.ticks, 3, 'timers die with their actor');
  });

  it('a local link fires exactly one exited when the linked actor terminates', async () => {
    const { rts } = await cluster(1);
    const rt = rts[0]!;
    const echo = rt.spawn(new Echo(), 'echo');
    const rec = rt.spawn(new Recorder(), 'rec');
    rec.watch(echo.self);
    rec.watch(echo.self);
    rt.terminate(echo.self);
    rt.terminate(echo.self);
    await settle(rts);
    assert.deepEqual(rec.exits, [echo.self]);
    assert.equal(echo.finalized, 1);
    rec.watch(echo.self); // linking to an actor that is gone fires at once
    await settle(rts);
    assert.deepEqual(rec.exits, [echo.self, echo.self]);
  });

  it('a remote link fires once when the connection is cut, and a new link afterwards works', async () => {
    const { net, rts } = await cluster(2);
    const [a, b] = rts as [Runtime, Runtime];
    const echo = b.spawn(new Echo(), 'echo');
    const rec = a.spawn(new Recorder(), 'rec');
    rec.watch(echo.self);
    rec.tell(echo.self, { name: 'Ping', seq: 1 });
    await settle(rts);
    assert.deepEqual(rec.got, [1]);
    net.disconnect(a.address, b.address);
    await settle(rts);
    assert.deepEqual(rec.exits, [echo.self]);
    rec.watch(echo.self);
    rec.tell(echo.self, { name: 'Ping', seq: 2 });
    await settle(rts);
    assert.deepEqual(rec.got, [1, 2]);
    assert.deepEqual(rec.exits, [echo.self], 'no second exit for the new link');
    b.terminate(echo.self);
    await settle(rts);
    assert.deepEqual(rec.exits, [echo.self, echo.self], 'remote termination reaches the linker');
  });

  it('linking to a remote actor that does not exist fires exited', async () => {
    const { rts } = await cluster(2);
    const rec = rts[0]!.spawn(new Recorder(), 'rec');
    const ghost = pid('ghost', rts[1]!.address);
    rec.watch(ghost);
    await settle(rts);
    assert.deepEqual(rec.exits, [ghost]);
  });

  it('messages queued while a connection is being set up arrive in order', async () => {
    const { rts } = await cluster(2);
    const rec = rts[1]!.spawn(new Recorder(), 'rec');
    const sender = rts[0]!.spawn(new Recorder(), 'sender');
    for (let i = 0; i < 3000; i++) sender.tell(rec.self, { name: 'Ping', seq: i });
    await settle(rts);
    assert.deepEqual(rec.got, Array.from({ length: 3000 }, (_, i) => i));
  });

  it('two runtimes that dial each other at once end up with one connection each', async () => {
    const { rts } = await cluster(2);
    const [a, b] = rts as [Runtime, Runtime];
    const ra = a.spawn(new Recorder(), 'ra');
    const rb = b.spawn(new Recorder(), 'rb');
    for (let i = 0; i < 50; i++) {
      ra.tell(rb.self, { name: 'Ping', seq: i });
      rb.tell(ra.self, { name: 'Ping', seq: i });
    }
    await settle(rts);
    assert.deepEqual(ra.got, Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(rb.got, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(a.metrics.snapshot()['runtime/connections_active'], 1);
    assert.equal(b.metrics.snapshot()['runtime/connections_active'], 1);
  });

  it('dead letters, invalid bodies and unknown names are dropped and counted', async () => {
    const { rts } = await cluster(2);
    const [a, b] = rts as [Runtime, Runtime];
    b.spawn(new Echo(), 'echo');
    a.send('', pid('nobody', b.address), { name: 'Ping', seq: 1 });
    a.send('', pid('echo', b.address), { name: 'Ping', seq: 'x' });
    a.send('', pid('echo', b.address), { name: 'Pang', seq: 1 });
    a.send('', pid('nobody', a.address), { name: 'Ping', seq: 1 });
    await settle(rts);
    const mb = b.metrics.snapshot();
    assert.equal(mb['runtime/messages_dropped/dead_letter'], 1);
    assert.equal(mb['runtime/messages_dropped/invalid_body'], 1);
    assert.equal(mb['runtime/messages_dropped/unknown_message'], 1);
    assert.equal(a.metrics.snapshot()['runtime/dead_letters'], 1);
  });

  it('a handler that throws is counted and the actor keeps serving', async () => {
    const { rts } = await cluster(1);
    const rt = rts[0]!;
    const echo = rt.spawn(new Echo(), 'echo');
    const rec = rt.spawn(new Recorder(), 'rec');
    rec.tell(echo.self, { name: 'Boom' });
    rec.tell(echo.self, { name: 'Ping', seq: 7 });
    await settle(rts);
    assert.deepEqual(rec.got, [7]);
    assert.equal(rt.metrics.snapshot()['runtime/handler_errors'], 1);
  });

  it('send-side filters drop a message before it leaves; awaited messages still arrive', async () => {
    const { rts } = await cluster(2);
    const [a, b] = rts as [Runtime, Runtime];
    const echo = b.spawn(new Echo(), 'echo');
    const rec = a.spawn(new Recorder(), 'rec');
    b.filters.drop({ side: 'send', name: 'Pong', times: 1 });
    const seen = a.filters.await({ side: 'receive', name: 'Pong', from: 'echo' });
    rec.tell(echo.self, { name: 'Ping', seq: 1 });
    rec.tell(echo.self, { name: 'Ping', seq: 2 });
    const env = await seen;
    await settle(rts);
    assert.equal((env.body as Pong).seq, 2);
    assert.deepEqual(rec.got, [2]);
    assert.equal(b.metrics.snapshot()['runtime/messages_dropped/filtered'], 1);
  });

  it('settle() waits for async work brought back with pipeToSelf', async () => {
    const { rts } = await cluster(1);
    const w = rts[0]!.spawn(new Worker(), 'worker');
    rts[0]!.send('', w.self, { name: 'Work', value: 21 });
    await settle(rts);
    assert.deepEqual(w.results, [42]);
  });

  it('terminating an actor discards its queued messages and runs finalize once', async () => {
    const { rts } = await cluster(1);
    const rt = rts[0]!;
    const rec = rt.spawn(new Recorder(), 'rec');
    rt.send('', rec.self, { name: 'Ping', seq: 1 });
    rt.terminate(rec.self);
    await settle(rts);
    assert.deepEqual(rec.got, []);
    assert.equal(rt.metrics.snapshot()['runtime/messages_dropped/terminated'], 1);
  });

  it('serves /health, /__processes__ and /metrics/snapshot on its port', async () => {
    const { net, rts } = await cluster(1);
    rts[0]!.spawn(new Echo(), 'echo');
    const http = net.http(rts[0]!.address);
    assert.equal((await http(request('GET', '/health'))).status, 200);
    const procs = (await http(request('GET', '/__processes__'))).body as { id: string; queued: number }[];
    assert.deepEqual(procs, [{ id: 'echo', pid: `echo@${rts[0]!.address}`, queued: 0, events: [] }]);
    const metrics = (await http(request('GET', '/metrics/snapshot'))).body as Record<string, number>;
    assert.equal(metrics['runtime/actors'], 1);
    assert.equal((await http(request('GET', '/nope'))).status, 404);
  });

  it('a trace file gets one line per send and receive, with causes linking replies to requests', async () => {
    const { rts } = await cluster(2);
    const [a, b] = rts as [Runtime, Runtime];
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    const ta = startTrace(a, join(dir, 'a.jsonl'));
    const tb = startTrace(b, join(dir, 'b.jsonl'));
    const echo = b.spawn(new Echo(), 'echo');
    const rec = a.spawn(new Recorder(), 'rec');
    rec.tell(echo.self, { name: 'Ping', seq: 1 });
    await settle(rts);
    ta.stop();
    tb.stop();
    const read = (f: string): Record<string, unknown>[] => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const la = read('a.jsonl');
    const lb = read('b.jsonl');
    assert.deepEqual(la.map((l) => `${l['dir']} ${l['name']}`), ['send Ping', 'recv Pong']);
    assert.deepEqual(lb.map((l) => `${l['dir']} ${l['name']}`), ['recv Ping', 'send Pong']);
    assert.equal(la[0]!['id'], lb[0]!['id'], 'both sides name the message alike');
    assert.equal(lb[1]!['cause'], lb[0]!['id'], 'the Pong was caused by the Ping');
    assert.ok((lb[0]!['bytes'] as number) > 20, 'the receiving side knows the encoded size');
    assert.equal(la[0]!['runtime'], a.address);
  });
});
