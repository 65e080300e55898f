// Election and detection on a real ZooKeeper (Mesos's GroupTest, ZooKeeperMasterContenderDetectorTest):
// Mesos's layout, the lowest sequence leads, a deleted node deposes its leader, and a lost
// ZooKeeper is "no leader" within the session timeout, then a leader again once it is back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, parseZooKeeperUrl, type DetectedMaster, type MasterDetector } from '../../detector/index.js';
import { Leadership } from '../../master/zk/leadership.js';
import type { MasterInfo } from '../../protocol/index.js';
import { waitUntil } from '../fixtures/e2e-cluster.js';
import { startZooKeeper, zkClient, type ZooKeeperServer } from '../fixtures/zookeeper.js';

let zk: ZooKeeperServer;
const closers: (() => void)[] = [];
before(async () => {
  zk = await startZooKeeper();
});
after(async () => {
  for (const c of closers) c();
  await zk.stop();
});

function info(n: number): MasterInfo {
  return { id: `m${n}`, ip: 16777343, port: 5050 + n, pid: `master@127.0.0.1:${5050 + n}`, hostname: 'localhost', version: '1.11.0', address: { ip: '127.0.0.1', hostname: 'localhost', port: 5050 + n } };
}

interface Contender {
  l: Leadership;
  elected: boolean;
  deposed?: string;
}

function contend(path: string, n: number): Contender {
  const c: Contender = { elected: false } as Contender;
  c.l = new Leadership(parseZooKeeperUrl(`zk://${zk.connect}${path}`), info(n), { elected: () => (c.elected = true), leader: () => undefined, deposed: (r) => (c.deposed = r) }, { sessionTimeoutMs: 1500 });
  c.l.start();
  closers.push(() => c.l.close());
  return c;
}

function detect(path: string): MasterDetector & { seen: (DetectedMaster | undefined)[] } {
  const d = createDetector(`zk://${zk.connect}${path}`, { sessionTimeoutMs: 1500 }) as MasterDetector & { seen: (DetectedMaster | undefined)[] };
  d.seen = [];
  d.listen({ leader: (m) => d.seen.push(m) });
  closers.push(() => d.close());
  return d;
}

test('masters contend with json.info_ nodes holding MasterInfo JSON; the lowest leads and a deleted node deposes it', async () => {
  const a = contend('/mesos', 1);
  await waitUntil('the first master to lead', () => a.elected, 10_000);
  const b = contend('/mesos', 2);
  const d = detect('/mesos');
  await waitUntil('the detector to see the first master', () => d.current?.pid === 'master@127.0.0.1:5051', 10_000);
  const c = await zkClient(zk.connect);
  closers.push(() => c.close());
  await waitUntil('two members', async () => (await c.children('/mesos')).length === 2, 10_000);
  const children = await c.children('/mesos');
  assert.deepEqual(children.map((n) => n.replace(/\d+$/, '')), ['json.info_', 'json.info_']);
  assert.match(children[0]!, /^json\.info_\d{10}$/);
  const written = JSON.parse((await c.get(`/mesos/${children[0]}`)).toString());
  assert.equal(written.pid, 'master@127.0.0.1:5051');
  assert.equal(written.address.port, 5051);
  assert.equal(b.elected, false);

  // Removing the leader's node from outside: it loses its candidacy and must exit; the standby leads.
  await c.del(`/mesos/${a.l.node}`);
  await waitUntil('the leader to be deposed', () => a.deposed, 10_000);
  await waitUntil('the standby to lead', () => b.elected, 10_000);
  await waitUntil('the detector to follow', () => d.current?.pid === 'master@127.0.0.1:5052', 10_000);
  assert.match(a.deposed!, /candidacy|another master/);
});

test('without ZooKeeper every component loses the leader within the session timeout, and finds it again', async () => {
  const a = contend('/ha2', 3);
  const d = detect('/ha2');
  await waitUntil('a leader', () => a.elected && d.current?.pid === 'master@127.0.0.1:5053', 10_000);
  const stoppedAt = Date.now();
  await zk.pause();
  await waitUntil('the detector to report no leader', () => d.seen.at(-1) === undefined && d.seen.length > 1, 10_000);
  await waitUntil('the leader to be deposed', () => a.deposed, 10_000);
  assert.ok(Date.now() - stoppedAt < 6000, 'lost within a few session timeouts');
  await zk.resume();
  const b = contend('/ha2', 4);
  await waitUntil('a new leader once ZooKeeper is back', () => b.elected, 20_000);
  await waitUntil('the detector to see it', () => d.current?.pid === 'master@127.0.0.1:5054', 20_000);
});
