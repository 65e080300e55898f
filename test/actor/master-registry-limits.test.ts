// The registry's limits and what it keeps, in one process on a manual clock:
// --agent_removal_rate_limit (Mesos's MasterTest.RateLimitRecoveredSlaveRemoval,
// SlaveObserver's canceled removals: MasterTest.CancelRecoveredSlaveRemoval), the registry's
// garbage collection (MasterTest.RegistryGcByCount, RegistryGcByAge), and weights, quota and
// gone agents surviving a restart from the registry file (RegistrarTest.UpdateWeights,
// UpdateQuota, MarkGone).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../../runtime/index.js';
import { Resources } from '../../protocol/index.js';
import { Peer, World, type AgentStub } from './master-harness.js';
import { parseRemovalRate } from '../../master/removal-limiter.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mesos-registry-'));
}

async function reregister(w: World, id: string, hostname: string): Promise<Peer> {
  const rt = await w.spawnRuntime();
  const agent = rt.spawn(new Peer(), 'agent(1)');
  agent.tell(w.master.pid, {
    name: 'ReregisterAgent',
    agent: { hostname, port: 5051, resources: Resources.parse('cpus:1;mem:128').toJSON(), attributes: [], id: { value: id } },
    version: '1.11.0',
    executor_infos: [],
    tasks: [],
    frameworks: [],
    completed_frameworks: [],
  });
  await w.settle();
  return agent;
}

test('--agent_removal_rate_limit takes Mesos\'s <agents>/<duration> and nothing else', () => {
  assert.deepEqual(parseRemovalRate('1/10mins'), { permits: 1, intervalMs: 600_000 });
  assert.deepEqual(parseRemovalRate('3/1secs'), { permits: 3, intervalMs: 1000 });
  for (const bad of ['1', '1/2/3', 'x/10mins', '0/10mins', '-1/1secs', '1.5/1secs', '1/soon', '1/0secs', '']) {
    assert.throws(() => parseRemovalRate(bad), /Format is <Number of agents>\/<Duration>/, bad);
  }
});

test('with a removal rate limit, unhealthy agents are marked unreachable one per interval, and one that answers again meanwhile is not', async () => {
  const w = await World.start({ agentRemovalRateLimit: { permits: 1, intervalMs: 600_000 } });
  const agents: AgentStub[] = [await w.agent(), await w.agent(), await w.agent()];
  for (const a of agents) a.peer.autoPong = false;
  // Five missed pongs (15 s each) make each unhealthy; the first permit is free.
  await w.pass(90_000);
  let m = await w.metrics();
  assert.equal(m['master/slave_unreachable_scheduled'], 3);
  assert.equal(m['master/slave_unreachable_completed'], 1);
  assert.deepEqual((await w.state()).slaves.map((s: any) => s.id).sort(), [agents[1]!.id, agents[2]!.id].sort());
  // The second answers its observer's next ping while it waits: its removal is canceled.
  agents[1]!.peer.autoPong = true;
  await w.pass(15_000);
  m = await w.metrics();
  assert.equal(m['master/slave_unreachable_canceled'], 1);
  // The third gets the next permit, ten minutes after the first.
  await w.pass(400_000);
  assert.equal((await w.metrics())['master/slave_unreachable_completed'], 1, 'no permit before the interval');
  await w.pass(200_000);
  m = await w.metrics();
  assert.equal(m['master/slave_unreachable_completed'], 2);
  const state = await w.state();
  assert.deepEqual(state.slaves.map((s: any) => s.id), [agents[1]!.id]);
  assert.equal(state.unreachable_slaves, 2);
  await w.stop();
});

test('after a restart, agents that miss agent_reregister_timeout go through the rate limiter; one that re-registers while waiting is admitted', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'registry.json'), JSON.stringify({ admitted: [{ id: 'old-S0', hostname: 'h0' }, { id: 'old-S1', hostname: 'h1' }, { id: 'old-S2', hostname: 'h2' }], unreachable: [] }));
  const w = await World.start({ workDir: dir, agentRemovalRateLimit: { permits: 1, intervalMs: 60_000 } });
  await w.pass(600_000);
  let state = await w.state();
  assert.equal(state.unreachable_slaves, 1);
  assert.equal(state.recovered_slaves.length, 2, 'the others still wait for a permit, recovered');
  const back = await reregister(w, 'old-S1', 'h1');
  assert.equal(back.last('AgentReregistered')?.agent_id.value, 'old-S1');
  assert.equal((await w.metrics())['master/slave_unreachable_canceled'], 1);
  await w.pass(60_000);
  state = await w.state();
  assert.equal(state.unreachable_slaves, 2);
  assert.deepEqual(state.recovered_slaves, []);
  assert.deepEqual(state.slaves.map((s: any) => s.id), ['old-S1']);
  const m = await w.metrics();
  assert.equal(m['master/recovery_slave_removals'], 2);
  assert.equal(m['master/slave_unreachable_scheduled'], 3);
  await w.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the registry forgets unreachable and gone agents past registry_max_agent_count or registry_max_agent_age', async () => {
  const dir = tempDir();
  const start = 1_700_000_000_000; // the manual clock's start
  const day = 24 * 3600_000;
  writeFileSync(
    join(dir, 'registry.json'),
    JSON.stringify({
      admitted: [],
      unreachable: [
        { id: 'u-old', hostname: 'h', time_ms: start - 3 * day },
        { id: 'u-mid', hostname: 'h', time_ms: start - 60_000 },
        { id: 'u-new1', hostname: 'h', time_ms: start - 30_000 },
        { id: 'u-new2', hostname: 'h', time_ms: start - 10_000 },
      ],
      gone: [
        { id: 'g-old', time_ms: start - 2 * day },
        { id: 'g-new', time_ms: start },
      ],
    }),
  );
  const w = await World.start({ workDir: dir, registryGcIntervalMs: 60_000, registryMaxAgentAgeMs: day, registryMaxAgentCount: 2 });
  assert.equal((await w.state()).unreachable_slaves, 4);
  await w.pass(60_000);
  assert.equal((await w.state()).unreachable_slaves, 2, 'one too old, one beyond the count (the oldest go first)');
  const onDisk = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
  assert.deepEqual(onDisk.unreachable.map((u: any) => u.id), ['u-new1', 'u-new2']);
  assert.deepEqual(onDisk.gone.map((g: any) => g.id), ['g-new']);
  // A forgotten gone agent is unknown again: it may re-register; the remembered one may not.
  assert.equal((await reregister(w, 'g-old', 'h')).last('AgentReregistered')?.agent_id.value, 'g-old');
  assert.match((await reregister(w, 'g-new', 'h')).last('Shutdown')?.message ?? '', /marked gone/);
  await w.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('weights, quota and gone agents are in the registry file, and a restarted master has them as they were', async () => {
  const dir = tempDir();
  const w = await World.start({ workDir: dir, weights: { ops: 5 } });
  const a = await w.agent('cpus:8;mem:8192');
  assert.equal((await w.http('PUT', '/weights', [{ role: 'dev', weight: 2.5 }])).status, 200);
  assert.equal((await w.http('POST', '/quota', { role: 'dev', guarantee: Resources.parse('cpus:2;mem:1024').toJSON() })).status, 200);
  assert.equal((await w.http('POST', '/quota', { role: 'tmp', guarantee: Resources.parse('cpus:1').toJSON() })).status, 200);
  assert.equal((await w.http('DELETE', '/quota/tmp')).status, 200);
  const gone = await w.network.http(w.master.address)({ ...request('POST', '/api/v1', { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.id } } }), headers: { 'content-type': 'application/json' } });
  assert.equal(gone.status, 200);
  await w.settle();
  const onDisk = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
  assert.deepEqual(onDisk.admitted, []);
  assert.deepEqual(onDisk.gone.map((g: any) => g.id), [a.id]);
  assert.deepEqual(onDisk.weights, [{ role: 'dev', weight: 2.5 }]);
  assert.deepEqual(onDisk.quotas.map((q: any) => q.role), ['dev']);
  await w.stop();

  const w2 = await World.start({ workDir: dir, weights: { ops: 5 } });
  const weights = (await w2.get('/weights')).body;
  assert.deepEqual(weights, [{ role: 'dev', weight: 2.5 }], "the registry's weights win over --weights, as in Mesos");
  const infos = (await w2.get('/quota')).body.infos;
  assert.deepEqual(infos.map((i: any) => [i.role, Resources.fromJSON(i.guarantee).quantities()]), [['dev', { cpus: 2, mem: 1024 }]]);
  assert.equal((await w2.metrics())['allocator/mesos/quota/roles/dev/resources/cpus/guarantee'], 2);
  assert.equal((await w2.http('DELETE', '/quota/dev')).status, 200, 'its /quota/<role> route is back too');
  assert.match((await reregister(w2, a.id, 'h')).last('Shutdown')?.message ?? '', /marked gone/);
  await w2.stop();
  rmSync(dir, { recursive: true, force: true });
});
