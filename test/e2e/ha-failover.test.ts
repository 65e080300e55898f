// Master failover through a real ZooKeeper, with real processes (Mesos's MasterFailoverTest,
// ZooKeeperMasterContenderDetectorTest, SlaveRecoveryTest's re-registration after failover):
// two masters, two agents and a scheduler all given the zk:// URL. The standby redirects and
// drops; the leader is SIGKILLed; the standby leads, recovers the registry, the live agent
// re-registers with its id, the scheduler hears registered() with its framework id, the task
// keeps running, the agent that never returns is marked unreachable after the lowered
// agent_reregister_timeout, and a leader whose node is deleted from outside exits.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, getJson, RecordingScheduler, waitUntil, type MasterState } from '../fixtures/e2e-cluster.js';
import type { E2EMasterOptions, E2ENodeReady } from '../fixtures/e2e-node.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';
import { startZooKeeper, zkClient, type ZooKeeperServer } from '../fixtures/zookeeper.js';

const NODE = fixture('e2e-node.ts');
type Node = Started<E2ENodeReady>;

describe('master failover through ZooKeeper', () => {
  let zk: ZooKeeperServer;
  let url: string;
  let root: string;
  const nodes: Node[] = [];
  let fw: RecordingScheduler | undefined;

  const master = async (): Promise<Node> => {
    const o: E2EMasterOptions = {
      agentReregisterTimeoutMs: 4000,
      ha: { zk: url, sessionTimeoutMs: 2000, registry: 'zk', registryFetchTimeoutMs: 10_000, registryStoreTimeoutMs: 10_000 },
    };
    const m = await startProcess<E2ENodeReady>(NODE, ['master', JSON.stringify(o)]);
    nodes.push(m);
    return m;
  };
  const agent = async (n: number): Promise<Node> => {
    const a = await startProcess<E2ENodeReady>(NODE, ['agent', url, 'cpus:1;mem:256', join(root, `agent-${n}`), JSON.stringify({ zkSessionTimeoutMs: 2000 })]);
    nodes.push(a);
    return a;
  };
  const metrics = (address: string): Promise<Record<string, number>> => getJson(`http://${address}/metrics/snapshot`);
  const state = (address: string): Promise<MasterState & { recovered_slaves: { id: string }[] }> => getJson(`http://${address}/master/state`);

  before(async () => {
    zk = await startZooKeeper();
    url = `zk://${zk.connect}/mesos`;
    root = mkdtempSync(join(tmpdir(), 'mesos-ts-ha-'));
  });
  after(async () => {
    await fw?.stop().catch(() => undefined);
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await zk.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('the standby takes over from a SIGKILLed leader: agents re-register with their ids, the scheduler re-registers, the task survives', async () => {
    const m1 = await master();
    await waitUntil('the first master to lead', async () => (await metrics(m1.ready.address))['master/elected'] === 1, 15_000);
    const m2 = await master();
    const live = await agent(1);
    const doomed = await agent(2);

    // The standby: elected 0, HTTP redirected to the leader, /master/redirect too.
    assert.equal((await metrics(m2.ready.address))['master/elected'], 0);
    const redirected = await fetch(`http://${m2.ready.address}/master/state`, { redirect: 'manual' });
    assert.equal(redirected.status, 307);
    assert.equal(redirected.headers.get('location'), `//${m1.ready.address}/master/state`);
    const r = await fetch(`http://${m2.ready.address}/master/redirect`, { redirect: 'manual' });
    assert.equal(r.status, 307);
    assert.equal(r.headers.get('location'), `//${m1.ready.address}`);

    fw = new RecordingScheduler(url, { name: 'ha', failover_timeout: 60 }, { registrationBackoffFactorMs: 100, zkSessionTimeoutMs: 2000 });
    const frameworkId = await fw.start();
    await fw.launch((offer) => [commandTask('survivor', offer, 'sleep 60')], { agentId: live.ready.id! });
    await fw.status('survivor', 'TASK_RUNNING');

    // One agent dies for good; then the leader dies.
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const mark = fw.mark();
    m1.child.kill('SIGKILL');
    await m1.exited;

    await fw.next('disconnected', () => true, { since: mark, timeoutMs: 15_000 });
    await waitUntil('the standby to lead', async () => (await metrics(m2.ready.address))['master/elected'] === 1, 15_000);
    const registered = await fw.next('registered', () => true, { since: mark, timeoutMs: 20_000 });
    assert.equal(registered.frameworkId, frameworkId, 'the same framework id, through registered() after a real master change');
    assert.equal(fw.events.slice(mark).filter((e) => e.type === 'reregistered').length, 0);

    const back = await waitUntil('the live agent to re-register with its id', async () => {
      const s = await state(m2.ready.address);
      return s.slaves.some((a) => a.id === live.ready.id) && s;
    }, 20_000);
    assert.deepEqual(back.recovered_slaves.map((a) => a.id), [doomed.ready.id], 'the agent that has not come back is listed as recovered');
    const task = back.frameworks.find((f) => f.id === frameworkId)?.tasks.find((t) => t.id === 'survivor');
    assert.equal(task?.state, 'TASK_RUNNING');
    // An update whose acknowledgement died with the old leader is sent again: at least once, never another state.
    assert.deepEqual([...new Set(fw.statusesOf('survivor').map((s) => s.state))], ['TASK_STARTING', 'TASK_RUNNING'], 'no update was lost or invented');

    // The agent that missed agent_reregister_timeout (4 s here) is marked unreachable.
    await waitUntil('the missing agent to be marked unreachable', async () => (await state(m2.ready.address)).unreachable_slaves === 1, 20_000);
    const after = await metrics(m2.ready.address);
    assert.equal(after['master/slave_unreachable_completed'], 1);
    assert.ok(after['registrar/state_fetch_ms']! >= 0);
    assert.equal((await state(m2.ready.address)).recovered_slaves.length, 0);
  });

  it("a leader whose ZooKeeper node is deleted from outside exits, and a restarted standby leads with the registry's agents", async () => {
    const leader = nodes.find((n) => n.ready.pid.startsWith('master@') && n.child.exitCode === null && n.child.signalCode === null)!;
    const standby = await master();
    const c = await zkClient(zk.connect);
    try {
      const children = await c.children('/mesos');
      const mine = [];
      for (const name of children.filter((n) => n.startsWith('json.info_'))) {
        if (JSON.parse((await c.get(`/mesos/${name}`)).toString()).pid === leader.ready.pid) mine.push(name);
      }
      assert.equal(mine.length, 1, `the leader's node among ${children.join(', ')}`);
      await c.del(`/mesos/${mine[0]}`);
    } finally {
      c.close();
    }
    const exit = await leader.exited;
    assert.equal(exit.code, 1, 'the deposed leader exits');
    await waitUntil('the standby to lead', async () => (await metrics(standby.ready.address))['master/elected'] === 1, 15_000);
    const live = nodes.find((n) => n.ready.pid.startsWith('slave(1)@') && n.child.exitCode === null)!;
    await waitUntil('the agent to re-register with the new leader', async () => (await state(standby.ready.address)).slaves.some((a) => a.id === live.ready.id), 20_000);
    const s = await state(standby.ready.address);
    assert.equal(s.unreachable_slaves, 1, 'the unreachable agent came back from the registry in ZooKeeper');
  });
});
