// Attacks on a real mesos-master and mesos-agent (OS processes) by a raw `ws` client speaking
// the frame format by hand: none crashes them, none is believed, each is counted.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';
import type { E2ENodeReady } from '../fixtures/e2e-node.js';
import { envelope, frame, metrics, packr, rawPeer, until } from './raw-peer.js';

describe('hostile peers against a real master and agent', () => {
  let master: Started<E2ENodeReady>;
  let agent: Started<E2ENodeReady>;
  let workDir: string;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'mesos-hostile-'));
    master = await startProcess<E2ENodeReady>(fixture('e2e-node.ts'), ['master', '{}']);
    agent = await startProcess<E2ENodeReady>(fixture('e2e-node.ts'), ['agent', master.ready.address, 'cpus:2;mem:512', workDir]);
  });

  after(async () => {
    agent?.child.kill('SIGTERM');
    master?.child.kill('SIGTERM');
    await Promise.all([agent?.exited, master?.exited]);
    rmSync(workDir, { recursive: true, force: true });
  });

  const health = async (address: string): Promise<number> => (await fetch(`http://${address}/health`)).status;

  it('a HELLO claiming the master address is refused by the agent, and its real master connection stays', async () => {
    const before = await metrics(agent.ready.address);
    const spoof = await rawPeer(agent.ready.address, { claim: master.ready.address });
    assert.equal(await spoof.opened, false, 'the agent never answered the spoofed hello');
    await spoof.stop();
    const m = await until('the refusal is counted', async () => {
      const m = await metrics(agent.ready.address);
      return (m['runtime/messages_dropped/unproven_address'] ?? 0) > (before['runtime/messages_dropped/unproven_address'] ?? 0) ? m : undefined;
    });
    assert.equal(m['runtime/connections_closed'] ?? 0, before['runtime/connections_closed'] ?? 0, 'no open connection was displaced');
    const state = (await (await fetch(`http://${master.ready.address}/state`)).json()) as { slaves: { active: boolean }[] };
    assert.equal(state.slaves.length, 1);
    assert.equal(state.slaves[0]!.active, true);
  });

  it("a message whose from is not its connection's address is dropped as spoofed", async () => {
    const peer = await rawPeer(agent.ready.address);
    assert.equal(await peer.opened, true);
    peer.send(envelope(agent.ready.pid, master.ready.pid, { name: 'ShutdownFramework', framework_id: { value: 'x' } }));
    await until('spoofed_sender counted', async () => ((await metrics(agent.ready.address))['runtime/messages_dropped/spoofed_sender'] ?? 0) >= 1 || undefined);
    await peer.stop();
  });

  it('a cyclic array (structured clone) and a 2,500-deep array crash neither master nor agent', async () => {
    const clone = new Packr({ structuredClone: true, useRecords: false });
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    // msgpackr cannot encode this deep itself: the bytes by hand, 2,500 one-element arrays.
    const deepEnvelope = (to: string, from: string): Buffer => {
      const head = envelope(to, from, { name: 'Deep' }).slice(0, 5).map((x) => packr.pack(x));
      return Buffer.concat([Buffer.from([0x96]), ...head, Buffer.from([0x82]), packr.pack('name'), packr.pack('Deep'), packr.pack('extra'), Buffer.alloc(2500, 0x91), Buffer.from([0x90])]);
    };
    for (const target of [master.ready, agent.ready]) {
      const peer = await rawPeer(target.address);
      assert.equal(await peer.opened, true);
      const body = { name: 'FrameworkToExecutor', agent_id: { value: 'a' }, framework_id: { value: 'f' }, executor_id: { value: 'e' }, data: Buffer.alloc(1) };
      peer.ws.send(clone.pack(envelope(target.pid, `x@${peer.address}`, { ...body, extra: cyclic })));
      await until('the malformed frame is counted', async () => ((await metrics(target.address))['runtime/messages_dropped/malformed_frame'] ?? 0) >= 1 || undefined);
      const again = await rawPeer(target.address);
      assert.equal(await again.opened, true);
      again.ws.send(deepEnvelope(target.pid, `x@${again.address}`));
      await until('the unsafe value is counted', async () => ((await metrics(target.address))['runtime/messages_dropped/unsafe_value'] ?? 0) >= 1 || undefined);
      assert.equal(await health(target.address), 200);
      await peer.stop();
      await again.stop();
    }
  });

  it('64-bit integers decode as numbers: a framework registered with one leaves /state serializable', async () => {
    const peer = await rawPeer(master.ready.address);
    assert.equal(await peer.opened, true);
    const scheduler = `scheduler(1)@${peer.address}`;
    // msgpackr writes a BigInt as uint64: the 0xcf a 64-bit peer would send.
    peer.send(envelope(master.ready.pid, scheduler, { name: 'RegisterFramework', framework: { user: 'u', name: 'bigint', failover_timeout: 5n } }));
    await until('the framework is registered', () => peer.received.find((i) => (i as unknown[])[2] === 'FrameworkRegistered'));
    // Where a string is due, a 64-bit integer is refused at the edge.
    peer.send(envelope(master.ready.pid, scheduler, { name: 'RegisterFramework', framework: { user: 'u', name: 'n', labels: { labels: [{ key: 'k', value: 2n ** 63n }] } } }));
    await until('invalid_body counted', async () => ((await metrics(master.ready.address))['runtime/messages_dropped/invalid_body'] ?? 0) >= 1 || undefined);
    const r = await fetch(`http://${master.ready.address}/state`);
    assert.equal(r.status, 200);
    const state = (await r.json()) as { frameworks: { name: string; failover_timeout: number }[] };
    assert.equal(state.frameworks.find((f) => f.name === 'bigint')?.failover_timeout, 5);
    await peer.stop();
  });

  it('a frame before the handshake and an old protocol version get the connection closed', async () => {
    const old = await rawPeer(master.ready.address, { version: 1 });
    assert.equal(await old.opened, false);
    await old.stop();
    assert.equal(await health(master.ready.address), 200);
    void frame;
  });
});
