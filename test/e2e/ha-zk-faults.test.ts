// ZooKeeper faults with real processes (Mesos's MasterZooKeeperTest, RegistrarZooKeeperTest,
// MasterFailoverTest's reconciliation): a leader paused past its session timeout is deposed and
// its registry write refused (the registry holds only the new leader's writes); ZooKeeper
// stopped costs every component its leader within the session timeout while the task runs on,
// and all find the leader again once it is back; during a failover, reconciliation gives no
// answer for a task on an agent that has not re-registered yet.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandTask, getJson, RecordingScheduler, waitUntil, type AgentState, type MasterState } from '../fixtures/e2e-cluster.js';
import type { E2EMasterOptions, E2ENodeReady } from '../fixtures/e2e-node.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';
import { startZooKeeper, zkClient, type ZooKeeperServer } from '../fixtures/zookeeper.js';

const NODE = fixture('e2e-node.ts');
type Node = Started<E2ENodeReady>;
const SESSION_MS = 2000;

describe('ZooKeeper faults', () => {
  let zk: ZooKeeperServer;
  let root: string;
  const nodes: Node[] = [];
  const frameworks: RecordingScheduler[] = [];

  const master = async (path: string, o: Partial<E2EMasterOptions> = {}): Promise<Node> => {
    const options: E2EMasterOptions = {
      agentReregisterTimeoutMs: 60_000,
      ...o,
      ha: { zk: `zk://${zk.connect}${path}`, sessionTimeoutMs: SESSION_MS, registry: 'zk', registryFetchTimeoutMs: 10_000, registryStoreTimeoutMs: 10_000 },
    };
    const m = await startProcess<E2ENodeReady>(NODE, ['master', JSON.stringify(options)]);
    nodes.push(m);
    return m;
  };
  const agent = async (path: string, n: number): Promise<Node> => {
    const a = await startProcess<E2ENodeReady>(NODE, ['agent', `zk://${zk.connect}${path}`, 'cpus:1;mem:256', join(root, `${path.slice(1)}-agent-${n}`), JSON.stringify({ zkSessionTimeoutMs: SESSION_MS })]);
    nodes.push(a);
    return a;
  };
  const scheduler = (path: string): RecordingScheduler => {
    const fw = new RecordingScheduler(`zk://${zk.connect}${path}`, { name: 'ha', failover_timeout: 60 }, { registrationBackoffFactorMs: 100, zkSessionTimeoutMs: SESSION_MS });
    frameworks.push(fw);
    return fw;
  };
  const metrics = (n: Node): Promise<Record<string, number>> => getJson(`http://${n.ready.address}/metrics/snapshot`);
  const state = (n: Node): Promise<MasterState & { recovered_slaves: { id: string }[] }> => getJson(`http://${n.ready.address}/master/state`);
  const leads = (n: Node): Promise<boolean> => metrics(n).then((m) => m['master/elected'] === 1);
  /** The registry's manifest in ZooKeeper: who wrote it last, and the weights it holds. */
  const manifest = async (path: string): Promise<{ master: { pid: string }; weights: { role: string; weight: number }[] }> => {
    const c = await zkClient(zk.connect);
    try {
      return JSON.parse((await c.get(`${path}/registry`)).toString('utf8'));
    } finally {
      c.close();
    }
  };
  const putWeight = (n: Node, weight: number): Promise<Response> => fetch(`http://${n.ready.address}/weights`, { method: 'PUT', body: JSON.stringify([{ role: 'dev', weight }]), redirect: 'manual' });
  const alive = (n: Node): boolean => n.child.exitCode === null && n.child.signalCode === null;

  before(async () => {
    zk = await startZooKeeper();
    root = mkdtempSync(join(tmpdir(), 'mesos-ts-zk-faults-'));
  });
  after(async () => {
    for (const fw of frameworks) await fw.stop().catch(() => undefined);
    for (const n of nodes) {
      if (!alive(n)) continue;
      n.child.kill('SIGCONT');
      n.child.kill('SIGKILL');
    }
    await Promise.all(nodes.map((n) => n.exited));
    await zk.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("a leader paused past its session timeout is deposed: its registry write is refused, it exits, and the registry holds the new leader's writes", async () => {
    const m1 = await master('/fence');
    await waitUntil('the first master to lead', () => leads(m1), 15_000);
    const m2 = await master('/fence');
    assert.equal((await putWeight(m1, 1)).status, 200);
    assert.deepEqual((await manifest('/fence')).weights, [{ role: 'dev', weight: 1 }], 'answered once the registry holds it');

    m1.child.kill('SIGSTOP');
    await waitUntil('the standby to lead once the paused leader\'s session expired', () => leads(m2), 15_000);
    assert.equal((await manifest('/fence')).master.pid, m2.ready.pid, "the new leader's recovery rewrote the manifest: the fence");
    assert.equal((await putWeight(m2, 3)).status, 200);
    assert.deepEqual((await manifest('/fence')).weights, [{ role: 'dev', weight: 3 }], 'answered once the registry holds it');

    // A write the paused leader finds waiting when it resumes (its socket took the request).
    const late = putWeight(m1, 2).then((r) => r.status, () => 'refused');
    m1.child.kill('SIGCONT');
    const exit = await m1.exited;
    assert.notEqual(exit.code, 0, 'the deposed leader exits with a failure');
    assert.notEqual(await late, 200, 'a write the registry refused is never acknowledged');
    const after = await manifest('/fence');
    assert.equal(after.master.pid, m2.ready.pid);
    assert.deepEqual(after.weights, [{ role: 'dev', weight: 3 }], "only the new leader's write is in the registry");
    assert.ok(await leads(m2), 'the new leader leads on');
    assert.deepEqual(await getJson(`http://${m2.ready.address}/weights`), [{ role: 'dev', weight: 3 }]);
  });

  it('with ZooKeeper stopped every component loses the leader within the session timeout while the task runs on, and all recover once it is back', async () => {
    const m1 = await master('/outage');
    await waitUntil('the first master to lead', () => leads(m1), 15_000);
    const m2 = await master('/outage');
    const a = await agent('/outage', 1);
    const fw = scheduler('/outage');
    const frameworkId = await fw.start();
    await fw.launch((offer) => [commandTask('steady', offer, 'sleep 60')], { agentId: a.ready.id! });
    await fw.status('steady', 'TASK_RUNNING');
    const mark = fw.mark();

    await zk.pause();
    try {
    // Mesos's group timer: a session out of touch for zk_session_timeout counts as expired.
    const lost = 3 * SESSION_MS;
    await fw.next('disconnected', () => true, { since: mark, timeoutMs: lost });
    await waitUntil('the agent to lose its master', async () => (await metrics(a))['slave/registered'] === 0, lost);
    const exit = await Promise.race([m1.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), lost))]);
    assert.equal(exit?.code, 1, 'the leader exits once it cannot know that it leads');
    await waitUntil('the standby to know no leader', async () => (await fetch(`http://${m2.ready.address}/master/redirect`, { redirect: 'manual' })).status === 503, lost);
    const onAgent = await getJson<AgentState>(`http://${a.ready.address}/slave(1)/state`);
    assert.equal(onAgent.frameworks.flatMap((f) => f.executors.flatMap((e) => e.tasks)).find((t) => t.id === 'steady')?.state, 'TASK_RUNNING', 'the task runs on without ZooKeeper');
    } finally {
      await zk.resume();
    }
    await waitUntil('the standby to lead once ZooKeeper is back', () => leads(m2), 20_000);
    const registered = await fw.next('registered', () => true, { since: mark, timeoutMs: 20_000 });
    assert.equal(registered.frameworkId, frameworkId);
    await waitUntil('the agent to re-register with its id', async () => (await state(m2)).slaves.some((s) => s.id === a.ready.id), 20_000);
    assert.equal((await metrics(a))['slave/registered'], 1);
    const task = (await state(m2)).frameworks.find((f) => f.id === frameworkId)?.tasks.find((t) => t.id === 'steady');
    assert.equal(task?.state, 'TASK_RUNNING');
    assert.deepEqual([...new Set(fw.statusesOf('steady').map((s) => s.state))], ['TASK_STARTING', 'TASK_RUNNING'], 'no update lost or invented');
  });

  it('during a failover, reconciliation answers for tasks on re-registered agents and gives no answer for one on an agent still away', async () => {
    const m1 = await master('/window');
    await waitUntil('the first master to lead', () => leads(m1), 15_000);
    const m2 = await master('/window');
    const here = await agent('/window', 1);
    const away = await agent('/window', 2);
    const fw = scheduler('/window');
    await fw.start();
    await fw.launch((offer) => [commandTask('t-here', offer, 'sleep 60')], { agentId: here.ready.id! });
    await fw.launch((offer) => [commandTask('t-away', offer, 'sleep 60')], { agentId: away.ready.id! });
    await fw.status('t-here', 'TASK_RUNNING');
    await fw.status('t-away', 'TASK_RUNNING');

    away.child.kill('SIGSTOP');
    const mark = fw.mark();
    m1.child.kill('SIGKILL');
    await m1.exited;
    await fw.next('registered', () => true, { since: mark, timeoutMs: 20_000 });
    const s = await waitUntil('the live agent back, the paused one recovered', async () => {
      const st = await state(m2);
      return st.slaves.some((x) => x.id === here.ready.id) && st.recovered_slaves.some((x) => x.id === away.ready.id) && st;
    }, 20_000);
    assert.ok(s);

    const asked = fw.mark();
    const ask = (taskId: string, agentId: string) => ({ task_id: { value: taskId }, state: 'TASK_RUNNING' as const, agent_id: { value: agentId } });
    fw.driver.reconcileTasks([ask('t-here', here.ready.id!), ask('t-away', away.ready.id!)]);
    const answer = await fw.status('t-here', 'TASK_RUNNING', { since: asked, pred: (x) => x.reason === 'REASON_RECONCILIATION', timeoutMs: 10_000 });
    assert.equal(answer.source, 'SOURCE_MASTER');
    // Both were answered in one turn, if at all; a second round trip settles it.
    const implicit = fw.mark();
    fw.driver.reconcileTasks([]);
    await fw.status('t-here', 'TASK_RUNNING', { since: implicit, pred: (x) => x.reason === 'REASON_RECONCILIATION', timeoutMs: 10_000 });
    assert.deepEqual(fw.statusesOf('t-away').filter((x) => x.reason === 'REASON_RECONCILIATION'), [], 'no answer for the task on the agent still away');

    away.child.kill('SIGCONT');
    await waitUntil('the paused agent to re-register', async () => (await state(m2)).slaves.some((x) => x.id === away.ready.id), 20_000);
    const again = fw.mark();
    fw.driver.reconcileTasks([ask('t-away', away.ready.id!)]);
    const late = await fw.status('t-away', 'TASK_RUNNING', { since: again, pred: (x) => x.reason === 'REASON_RECONCILIATION', timeoutMs: 10_000 });
    assert.equal(late.agent_id?.value, away.ready.id);
  });
});
