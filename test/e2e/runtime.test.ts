// The runtime between real OS processes: ordering under load, links across SIGKILL and
// restart, half-open connections, garbage on the wire, and send-side fault injection.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { Actor, Runtime, WebSocketTransport, pid, type Handlers, type Pid } from '../../runtime/index.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';

type Pong = { name: 'Pong'; seq: number };
type Ready = { address: string; echo: Pid };

/** The test's side: records pongs and exits, and lets a test await the next of each. */
class Probe extends Actor<Pong> {
  pongs: number[] = [];
  exits: Pid[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  protected readonly handlers: Handlers<Pong> = {
    Pong: (m) => {
      this.pongs.push(m.seq);
      this.check();
    },
  };
  override exited(p: Pid): void {
    this.exits.push(p);
    this.check();
  }
  ping(to: Pid, seq: number, payload?: string): void {
    this.send(to, { name: 'Ping', seq, ...(payload ? { payload } : {}) });
  }
  seq(to: Pid, n: number, payload: string): void {
    this.send(to, { name: 'Seq', n, payload });
  }
  watch(p: Pid): void {
    this.link(p);
  }
  until(pred: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ pred, resolve });
      this.check();
    });
  }
  private check(): void {
    this.waiters = this.waiters.filter((w) => (w.pred() ? (w.resolve(), false) : true));
  }
}

const peerScript = fixture('peer.ts');
const getJson = async (address: string, path: string): Promise<Record<string, number>> => (await (await fetch(`http://${address}${path}`)).json()) as Record<string, number>;

describe('runtime between OS processes', { timeout: 60_000 }, () => {
  let rt: Runtime;
  let probe: Probe;

  before(async () => {
    rt = await Runtime.start({ transport: new WebSocketTransport({ heartbeatMs: 200 }) });
    probe = rt.spawn(new Probe(), 'probe');
  });
  after(() => rt.stop());

  it('two processes exchange 20,000 messages in order, none lost', async () => {
    const peer = await startProcess<Ready>(peerScript);
    const sink = pid('sink', peer.ready.address);
    for (let n = 1; n <= 20_000; n++) probe.seq(sink, n, 'x'.repeat(100));
    probe.ping(peer.ready.echo, 1); // FIFO: its Pong comes after every Seq was handled
    await probe.until(() => probe.pongs.includes(1));
    const stats = await getJson(peer.ready.address, '/sink/stats');
    assert.deepEqual(stats, { count: 20_000, last: 20_000, out_of_order: 0 });
    peer.child.kill('SIGKILL');
    await peer.exited;
  });

  it('SIGKILL of the peer gives exactly one exited; after a restart a new link works and no stale exit arrives', async () => {
    const first = await startProcess<Ready>(peerScript);
    const port = first.ready.address.split(':')[1]!;
    probe.exits = [];
    probe.watch(first.ready.echo);
    probe.ping(first.ready.echo, 10);
    await probe.until(() => probe.pongs.includes(10));
    first.child.kill('SIGKILL');
    await probe.until(() => probe.exits.length === 1);
    assert.deepEqual(probe.exits, [first.ready.echo]);

    const second = await startProcess<Ready>(peerScript, [port]);
    assert.equal(second.ready.echo, first.ready.echo, 'same pid, new incarnation');
    probe.watch(second.ready.echo);
    probe.ping(second.ready.echo, 11);
    await probe.until(() => probe.pongs.includes(11));
    assert.equal(probe.exits.length, 1, 'no stale exit reached the new link');

    second.child.kill('SIGKILL');
    await probe.until(() => probe.exits.length === 2);
    await second.exited;
  });

  it('a peer that stops answering without closing (SIGSTOP) is detected by missed heartbeats', async () => {
    const peer = await startProcess<Ready>(peerScript);
    probe.exits = [];
    probe.watch(peer.ready.echo);
    probe.ping(peer.ready.echo, 20);
    await probe.until(() => probe.pongs.includes(20));
    peer.child.kill('SIGSTOP');
    await probe.until(() => probe.exits.length === 1);
    assert.deepEqual(probe.exits, [peer.ready.echo]);
    const m = rt.metrics.snapshot();
    assert.ok((m['runtime/connections_closed'] ?? 0) >= 1);
    peer.child.kill('SIGKILL');
    await peer.exited;
  });

  it('garbage sent over a raw WebSocket is dropped and counted, and the runtime keeps serving', async () => {
    const peer = await startProcess<Ready>(peerScript);
    const ws = new WebSocket(`ws://${peer.ready.address}/`);
    await new Promise((r) => ws.once('open', r));
    ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13])); // not MessagePack
    await new Promise((r) => ws.once('close', r)); // a peer that does not speak the protocol is cut off

    // A peer that completes the handshake, then sends junk, a message for nobody, a message
    // with a body that fails validation, a frame over the limit and a frame cut mid-value.
    const { Packr } = await import('msgpackr');
    const packr = new Packr({ useRecords: false });
    // The handshake by hand, with a listener of its own that answers the address probe.
    const { rawPeer } = await import('../hostile/raw-peer.js');
    const raw = await rawPeer(peer.ready.address);
    assert.equal(await raw.opened, true); // its hello
    const { ws: ws2, address: me } = raw;
    ws2.send(Buffer.concat([packr.pack([`nobody@${peer.ready.address}`, `x@${me}`, 'Ping', 'z.1', null, { name: 'Ping', seq: 1 }])]));
    ws2.send(packr.pack([peer.ready.echo, `x@${me}`, 'Ping', 'z.2', null, { name: 'Ping', seq: 'not a number' }]));
    ws2.send(packr.pack([peer.ready.echo, `x@${me}`, 'Launch', 'z.3', null, { name: 'Launch', seq: 1 }]));
    ws2.send(packr.pack(['just', 'wrong']));
    ws2.send(packr.pack([peer.ready.echo, `spoof@10.9.9.9:1`, 'Ping', 'z.4', null, { name: 'Ping', seq: 1 }]));
    ws2.send(packr.pack([peer.ready.echo, `x@${me}`, 'Ping', 'z.5', null, { name: 'Ping', seq: 5 }]).subarray(0, 20));
    ws2.send(Buffer.alloc(2 * 1024 * 1024, 0x90)); // over the peer's 1 MiB frame limit
    await raw.closed;
    await raw.stop();

    probe.ping(peer.ready.echo, 30);
    await probe.until(() => probe.pongs.includes(30));
    const m = await getJson(peer.ready.address, '/metrics/snapshot');
    assert.ok(m['runtime/messages_dropped/malformed_frame']! >= 2, 'malformed frames counted');
    assert.equal(m['runtime/messages_dropped/dead_letter'], 1);
    assert.equal(m['runtime/dead_letters'], 1);
    assert.equal(m['runtime/messages_dropped/invalid_body'], 1);
    assert.equal(m['runtime/messages_dropped/unknown_message'], 1);
    assert.equal(m['runtime/messages_dropped/malformed_envelope'], 1);
    assert.equal(m['runtime/messages_dropped/spoofed_sender'], 1);
    assert.equal(m['runtime/messages_dropped/oversized_frame'], 1);
    peer.child.kill('SIGKILL');
    await peer.exited;
  });

  it('a send-side filter installed over HTTP drops one message between two processes', async () => {
    const peer = await startProcess<Ready>(peerScript);
    const res = await fetch(`http://${peer.ready.address}/__filters__`, { method: 'POST', body: JSON.stringify({ side: 'send', name: 'Pong', times: 1 }) });
    assert.equal(res.status, 200);
    probe.ping(peer.ready.echo, 40);
    probe.ping(peer.ready.echo, 41);
    await probe.until(() => probe.pongs.includes(41));
    assert.ok(!probe.pongs.includes(40), 'the first Pong was dropped in the sending process');
    const m = await getJson(peer.ready.address, '/metrics/snapshot');
    assert.equal(m['runtime/messages_dropped/filtered'], 1);
    const bad = await fetch(`http://${peer.ready.address}/__filters__`, { method: 'POST', body: JSON.stringify({ side: 'sideways' }) });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /side must be 'send' or 'receive'/);
    peer.child.kill('SIGKILL');
    await peer.exited;
  });
});

export type { Started };
