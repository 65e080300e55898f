// The registry in a real ZooKeeper (Mesos's RegistrarZooKeeperTest): everything it holds —
// admitted, unreachable and gone agents, weights, quota — read back by the next leader; a
// deposed leader's store refused by the manifest's version (the fence); and 50,000 agents
// stored without any znode reaching ZooKeeper's 1 MB limit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../master/registry.js';
import { BUCKETS, ZooKeeperRegistryStore } from '../../master/zk/registry-store.js';
import type { MasterInfo } from '../../protocol/index.js';
import { startZooKeeper, zkClient, type ZooKeeperServer } from '../fixtures/zookeeper.js';

let zk: ZooKeeperServer;
const clients: { close(): void }[] = [];
before(async () => {
  zk = await startZooKeeper();
});
after(async () => {
  for (const c of clients) c.close();
  await zk.stop();
});

function info(n: number): MasterInfo {
  return { id: `master-${n}-0000-0000`, ip: 16777343, port: 5050 + n, pid: `master@127.0.0.1:${5050 + n}`, hostname: 'localhost', version: '1.11.0' };
}

async function leader(path: string, n: number): Promise<Registry> {
  const c = await zkClient(zk.connect);
  clients.push(c);
  return new Registry(new ZooKeeperRegistryStore(path, async () => c, info(n), { fetchTimeoutMs: 20_000, storeTimeoutMs: 20_000 }));
}

test("the next leader reads back every part of the registry, and the deposed leader's next store is refused", async () => {
  const first = await leader('/reg', 1);
  await first.fetch();
  const guarantee = [{ name: 'cpus', type: 'SCALAR' as const, scalar: { value: 2 } }];
  await Promise.all([
    first.apply({ type: 'admit', agent: { id: 'S0', hostname: 'h0', port: 5051 } }),
    first.apply({ type: 'admit', agent: { id: 'S1', hostname: 'h1' } }),
    first.apply({ type: 'admit', agent: { id: 'S2', hostname: 'h2' } }),
    first.apply({ type: 'markUnreachable', id: 'S1', hostname: 'h1', time_ms: 1000 }),
    first.apply({ type: 'markGone', id: 'S2', time_ms: 2000 }),
    first.apply({ type: 'updateWeights', weights: { dev: 2 } }),
    first.apply({ type: 'updateQuota', role: 'dev', quota: { role: 'dev', guarantee, limit: guarantee } }),
  ]);

  const second = await leader('/reg', 2);
  const state = await second.fetch();
  assert.deepEqual(state.admitted, [{ id: 'S0', hostname: 'h0', port: 5051 }]);
  assert.deepEqual(state.unreachable, [{ id: 'S1', hostname: 'h1', time_ms: 1000 }]);
  assert.deepEqual(state.gone, [{ id: 'S2', time_ms: 2000 }]);
  assert.deepEqual(state.weights, [{ role: 'dev', weight: 2 }]);
  assert.deepEqual(state.quotas, [{ role: 'dev', guarantee, limit: guarantee }]);

  // The first leader does not know it was deposed; its store fails on the manifest's version.
  await assert.rejects(first.apply({ type: 'updateWeights', weights: { dev: 9 } }), /version mismatch/);
  await second.apply({ type: 'prune', unreachable: ['S1'], gone: [] });
  const third = await leader('/reg', 3);
  const now = await third.fetch();
  assert.deepEqual(now.weights, [{ role: 'dev', weight: 2 }], "the deposed leader's write is not there");
  assert.deepEqual(now.unreachable, [], "the second leader's prune is");
  assert.deepEqual(now.gone.map((g) => g.id), ['S2']);
});

test('50,000 agents are stored in chunks that each stay far below the 1 MB znode limit', async () => {
  const reg = await leader('/big', 1);
  await reg.fetch();
  const ops: Promise<void>[] = [];
  for (let i = 0; i < 50_000; i++) ops.push(reg.apply({ type: 'admit', agent: { id: `0b5c3f1e-7a2d-4c3b-9e8f-1a2b3c4d5e6f-S${i}`, hostname: `agent-${i}.cluster.example.com`, port: 5051 } }));
  await Promise.all(ops);
  const c = await zkClient(zk.connect);
  clients.push(c);
  const chunks = await c.children('/big/registry');
  assert.equal(chunks.length, BUCKETS);
  let largest = 0;
  for (const name of chunks) largest = Math.max(largest, (await c.get(`/big/registry/${name}`)).length);
  assert.ok(largest < 512 * 1024, `the largest chunk holds ${largest} bytes`);
  const next = await leader('/big', 2);
  assert.equal((await next.fetch()).admitted.length, 50_000);
});
