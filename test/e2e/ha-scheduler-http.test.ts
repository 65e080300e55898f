// The v1 scheduler API behind ZooKeeper leader election, with real processes and a real
// ZooKeeper (Mesos's Master::Http::scheduler: a master that is not the leader answers 307 with
// the leader in Location, 503 while no leader is elected; its scheduler library follows the
// redirect). The group's node carries a digest ACL, as an operator may set: the master given
// the credentials can contend, the other can only watch. So the watcher is a standby that knows
// of no leader until the other is elected, then one that redirects to it.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { createZooKeeperClient } from '../../detector/index.js';
import { HttpSchedulerDriver, type Scheduler } from '../../scheduler-driver/index.js';
import type { FrameworkID } from '../../protocol/index.js';
import { getJson, waitUntil } from '../fixtures/e2e-cluster.js';
import type { E2EMasterOptions, E2ENodeReady } from '../fixtures/e2e-node.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';
import { jsonCall } from '../fixtures/v1-stream.js';
import { startZooKeeper, type ZooKeeperServer } from '../fixtures/zookeeper.js';

const NODE = fixture('e2e-node.ts');
type Node = Started<E2ENodeReady>;
const CREDENTIALS = 'mesos:s3cret';

/** `/mesos` readable by anyone, writable only with CREDENTIALS (ZooKeeper's digest scheme). */
async function guardedGroup(connect: string): Promise<void> {
  const [user] = CREDENTIALS.split(':');
  const digest = `${user}:${createHash('sha1').update(CREDENTIALS).digest('base64')}`;
  const acls = [new zookeeper.ACL(zookeeper.Permission.READ, new zookeeper.Id("world", "anyone")), new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', digest))];
  const c = createZooKeeperClient(connect, { sessionTimeout: 4000, spinDelay: 100 });
  try {
    await new Promise<void>((resolve) => {
      c.once('connected', () => resolve());
      c.connect();
    });
    await new Promise<void>((resolve, reject) => c.create('/mesos', Buffer.alloc(0), acls, zookeeper.CreateMode.PERSISTENT, (err) => (err ? reject(err) : resolve())));
  } finally {
    c.close();
  }
}

const subscribeCall = { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'tester', name: 'ha-http' } } };

describe('the v1 scheduler API on a standby master', { timeout: 120_000 }, () => {
  let zk: ZooKeeperServer;
  let root: string;
  const nodes: Node[] = [];
  let driver: HttpSchedulerDriver | undefined;

  const master = async (zkUrl: string): Promise<Node> => {
    const o: E2EMasterOptions = { ha: { zk: zkUrl, sessionTimeoutMs: 2000, registry: 'zk', registryFetchTimeoutMs: 10_000, registryStoreTimeoutMs: 10_000 } };
    const m = await startProcess<E2ENodeReady>(NODE, ['master', JSON.stringify(o)]);
    nodes.push(m);
    return m;
  };
  const elected = async (address: string): Promise<number | undefined> => (await getJson<Record<string, number>>(`http://${address}/metrics/snapshot`))['master/elected'];

  before(async () => {
    zk = await startZooKeeper();
    root = mkdtempSync(join(tmpdir(), 'mesos-ts-ha-http-'));
    await guardedGroup(zk.connect);
  });
  after(async () => {
    await driver?.stop().catch(() => undefined);
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await zk.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 while no leader is elected, then 307 to the leader; HttpSchedulerDriver follows it and subscribes there', async () => {
    const standby = await master(`zk://${zk.connect}/mesos`);
    assert.equal(await elected(standby.ready.address), 0, 'it cannot contend, so it does not lead');

    const none = await jsonCall(standby.ready.address, subscribeCall);
    assert.equal(none.status, 503, none.text);
    assert.match(none.text, /No leader elected/);

    // A driver started now meets the 503 and keeps trying the standby with backoff.
    const registered: FrameworkID[] = [];
    const errors: string[] = [];
    const scheduler: Scheduler = {
      registered: (_d, id) => void registered.push(id),
      reregistered() {},
      disconnected() {},
      resourceOffers() {},
      offerRescinded() {},
      statusUpdate() {},
      frameworkMessage() {},
      agentLost() {},
      executorLost() {},
      error: (_d, message) => void errors.push(message),
    };
    driver = new HttpSchedulerDriver(scheduler, { user: 'tester', name: 'ha-driver' }, standby.ready.address, { minBackoffMs: 100, maxBackoffMs: 500 });
    await driver.start();

    const leader = await master(`zk://${CREDENTIALS}@${zk.connect}/mesos`);
    await waitUntil('the master with the credentials to lead', async () => (await elected(leader.ready.address)) === 1, 20_000);
    await waitUntil('the standby to see the leader', async () => (await jsonCall(standby.ready.address, subscribeCall)).status === 307, 20_000);

    const redirect = await jsonCall(standby.ready.address, subscribeCall);
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get('location'), `//${leader.ready.address}/api/v1/scheduler`);
    // Any other call too: the standby holds no frameworks and no streams.
    const other = await jsonCall(standby.ready.address, { type: 'REVIVE', framework_id: { value: 'x' } }, { 'mesos-stream-id': 'y' });
    assert.deepEqual([other.status, other.headers.get('location')], [307, `//${leader.ready.address}/api/v1/scheduler`]);
    assert.equal(await elected(standby.ready.address), 0);

    await waitUntil('the driver to subscribe through the redirect', async () => registered.length === 1, 20_000);
    assert.deepEqual(errors, []);
    const state = await getJson<{ frameworks: { id: string; name: string; active: boolean }[] }>(`http://${leader.ready.address}/master/state`);
    const fw = state.frameworks.find((f) => f.id === registered[0]!.value);
    assert.deepEqual([fw?.name, fw?.active], ['ha-driver', true], 'the leader holds the framework');
    assert.equal(driver.connected, true);
  });
});
