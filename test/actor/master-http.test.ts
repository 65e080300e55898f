// The master's HTTP endpoints: the v0 read-only views, and the operator's /quota, /weights
// and /teardown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../protocol/index.js';
import { agentUpdate, commandTask, World, type AgentStub, type SchedulerStub } from './master-harness.js';

async function busyWorld(): Promise<{ w: World; agentId: string; frameworkId: string; agent: AgentStub; scheduler: SchedulerStub }> {
  const w = await World.start({ flags: { port: '5050', allocation_interval: '1secs' } });
  const a = await w.agent('cpus:4;mem:4096;ports:[31000-31999]');
  const s = await w.scheduler({ name: 'web', role: 'web' });
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: s.id }, offer_ids: [offer.id], tasks: [commandTask('t1', offer, 'cpus:1;mem:256;ports:[31000-31001]')], filters: { refuse_seconds: 0 } });
  await w.pass(1000);
  return { w, agentId: a.id, frameworkId: s.id, agent: a, scheduler: s };
}

test('/state has Mesos\'s v0 shape, also as /master/state', async () => {
  const { w, agentId, frameworkId } = await busyWorld();
  const state = await w.state();
  for (const key of ['version', 'id', 'pid', 'hostname', 'activated_slaves', 'deactivated_slaves', 'unreachable_slaves', 'leader', 'leader_info', 'flags', 'slaves', 'frameworks', 'completed_frameworks', 'orphan_tasks', 'unregistered_frameworks', 'start_time']) {
    assert.ok(key in state, `missing ${key}`);
  }
  assert.equal(state.id, w.masterId);
  assert.equal(state.pid, w.master.pid);
  assert.equal(state.leader, w.master.pid);
  assert.deepEqual(state.flags, { port: '5050', allocation_interval: '1secs' });
  const slave = state.slaves[0];
  assert.equal(slave.id, agentId);
  assert.equal(slave.resources.ports, '[31000-31999]');
  assert.equal(slave.used_resources.ports, '[31000-31001]');
  const fw = state.frameworks[0];
  assert.equal(fw.id, frameworkId);
  assert.equal(fw.role, 'web');
  assert.equal(fw.failover_timeout, 0);
  assert.equal(fw.checkpoint, false);
  assert.equal(fw.tasks[0].role, 'web');
  assert.equal(fw.tasks[0].framework_id, frameworkId);
  assert.equal(fw.used_resources.cpus, 1);
  assert.equal(fw.offered_resources.cpus, 3);
  assert.equal(fw.resources.cpus, 4);
  assert.equal(fw.offers[0].slave_id, agentId);
  const alias = await w.get('/master/state');
  assert.deepEqual(alias.body, state);
  await w.stop();
});

test('/state shows each task as it is now: its state, and a status that replaces the last one of the same state', async () => {
  const { w, agentId, frameworkId, agent: a } = await busyWorld();
  const task = async (): Promise<{ state: string; statuses: { state: string; healthy?: boolean }[] }> => (await w.state()).frameworks[0].tasks[0];
  assert.equal((await task()).state, 'TASK_STAGING');
  assert.deepEqual((await task()).statuses, []);
  a.peer.tell(w.master.pid, agentUpdate(frameworkId, agentId, 't1', 'TASK_RUNNING'));
  await w.pass(0);
  assert.equal((await task()).state, 'TASK_RUNNING');
  // A TASK_RUNNING that brings `healthy` replaces the last status: same state, same count.
  const healthy = agentUpdate(frameworkId, agentId, 't1', 'TASK_RUNNING');
  healthy.update.status.healthy = true;
  a.peer.tell(w.master.pid, healthy);
  await w.pass(0);
  assert.deepEqual((await task()).statuses.map((s) => [s.state, s.healthy]), [['TASK_RUNNING', true]]);
  a.peer.tell(w.master.pid, agentUpdate(frameworkId, agentId, 't1', 'TASK_FAILED'));
  await w.pass(0);
  const failed = await task();
  assert.equal(failed.state, 'TASK_FAILED');
  assert.deepEqual(failed.statuses.map((s) => s.state), ['TASK_RUNNING', 'TASK_FAILED']);
  await w.stop();
});

test('/state and /slaves show each agent as it is now: what it uses and is offered, after every change', async () => {
  const { w, agentId, frameworkId, agent: a, scheduler } = await busyWorld();
  const slave = async (): Promise<{ used_resources: { cpus: number }; offered_resources: { cpus: number }; active: boolean }> => {
    const fromState = (await w.state()).slaves[0];
    assert.deepEqual((await w.get('/slaves')).body.slaves[0], fromState, '/slaves shows the agent as /state does');
    return fromState;
  };
  const before = await slave();
  assert.deepEqual([before.used_resources.cpus, before.offered_resources.cpus, before.active], [1, 3, true]);
  a.peer.tell(w.master.pid, agentUpdate(frameworkId, agentId, 't1', 'TASK_FAILED'));
  await w.pass(0);
  const ended = await slave();
  assert.deepEqual([ended.used_resources.cpus, ended.offered_resources.cpus], [0, 3], 'the task\'s resources are back; the offer is still out');
  const offers = (await w.state()).frameworks[0].offers as { id: string }[];
  scheduler.peer.tell(w.master.pid, { name: 'Decline', framework_id: { value: frameworkId }, offer_ids: offers.map((o) => ({ value: o.id })), filters: { refuse_seconds: 60 } });
  await w.pass(0);
  const declined = await slave();
  assert.deepEqual([declined.used_resources.cpus, declined.offered_resources.cpus], [0, 0], 'nothing is offered once the offer is declined');
  await w.stop();
});

test('/state-summary, /frameworks, /slaves and /tasks answer as Mesos\'s do', async () => {
  const { w, agentId, frameworkId } = await busyWorld();
  const summary = (await w.get('/state-summary')).body;
  assert.equal(summary.slaves[0].TASK_STAGING, 1);
  assert.deepEqual(summary.slaves[0].framework_ids, [frameworkId]);
  assert.deepEqual(summary.frameworks[0].slave_ids, [agentId]);
  const frameworks = (await w.get(`/frameworks?framework_id=${frameworkId}`)).body;
  assert.equal(frameworks.frameworks.length, 1);
  assert.deepEqual(frameworks.completed_frameworks, []);
  assert.equal((await w.get('/frameworks?framework_id=nope')).body.frameworks.length, 0);
  assert.equal((await w.get('/slaves')).body.slaves[0].id, agentId);
  const tasks = (await w.get('/master/tasks?limit=10&order=asc')).body;
  assert.equal(tasks.tasks[0].id, 't1');
  assert.equal((await w.get('/tasks?limit=x')).status, 400);
  assert.equal((await w.get('/tasks?order=sideways')).status, 400);
  await w.stop();
});

test('/roles, /flags, /version and /health answer; unknown paths are 404', async () => {
  const { w, frameworkId } = await busyWorld();
  const roles = (await w.get('/roles')).body.roles;
  const web = roles.find((r: any) => r.name === 'web');
  assert.deepEqual(web.frameworks, [frameworkId]);
  assert.equal(web.allocated.cpus, 1);
  assert.equal(web.offered.cpus, 3);
  assert.equal(web.weight, 1);
  assert.deepEqual((await w.get('/flags')).body, { flags: { port: '5050', allocation_interval: '1secs' } });
  assert.match((await w.get('/version')).body.version, /^\d+\.\d+\.\d+$/);
  assert.equal((await w.get('/health')).status, 200);
  assert.equal((await w.get('/master/health')).status, 200);
  assert.equal((await w.get('/no/such/thing')).status, 404);
  const jsonp = await w.get('/state?jsonp=cb');
  assert.match(String(jsonp.body), /^cb\(\{.*\}\);$/s);
  await w.stop();
});

test('/metrics/snapshot has the master\'s and the allocator\'s figures under Mesos\'s names', async () => {
  const { w } = await busyWorld();
  const m = await w.metrics();
  for (const name of [
    'master/elected',
    'master/uptime_secs',
    'master/slaves_active',
    'master/slaves_connected',
    'master/frameworks_active',
    'master/outstanding_offers',
    'master/tasks_running',
    'master/tasks_finished',
    'master/tasks_lost',
    'master/messages_launch_tasks',
    'master/messages_register_framework',
    'master/valid_status_updates',
    'allocator/mesos/allocation_runs',
    'allocator/mesos/event_queue_dispatches',
    'allocator/mesos/resources/cpus/total',
  ]) {
    assert.equal(typeof m[name], 'number', `missing ${name}`);
  }
  assert.equal(m['master/elected'], 1);
  assert.equal(m['master/uptime_secs'], 1);
  assert.equal(m['master/tasks_staging'], 1);
  assert.equal(m['master/outstanding_offers'], 1);
  assert.ok(m['allocator/mesos/allocation_runs']! >= 2);
  assert.equal(m['allocator/mesos/resources/cpus/offered_or_allocated'], 4);
  await w.stop();
});

test('/roles lists every role of the --roles whitelist, even one without frameworks, weight or quota', async () => {
  const w = await World.start({ roles: ['analytics', 'web'] });
  const roles = (await w.get('/roles')).body.roles;
  assert.deepEqual(roles.map((r: any) => [r.name, r.weight, r.frameworks]), [
    ['analytics', 1, []],
    ['web', 1, []],
  ]);
  await w.stop();
});

test('an operator sets, reads and removes a role\'s quota through /quota', async () => {
  const w = await World.start();
  await w.agent('cpus:8;mem:8192');
  const guarantee = Resources.parse('cpus:2;mem:1024').toJSON();
  assert.equal((await w.http('POST', '/quota', { role: 'dev', guarantee })).status, 200);
  const infos = (await w.get('/quota')).body.infos;
  assert.equal(infos.length, 1);
  assert.equal(infos[0].role, 'dev');
  assert.deepEqual(Resources.fromJSON(infos[0].guarantee).quantities(), { cpus: 2, mem: 1024 });
  const m = await w.metrics();
  assert.equal(m['allocator/mesos/quota/roles/dev/resources/cpus/guarantee'], 2);
  const roles = (await w.get('/roles')).body.roles;
  assert.equal(roles.find((r: any) => r.name === 'dev').quota.guarantee.cpus, 2);
  // Bad requests.
  assert.equal((await w.http('POST', '/quota', { role: 'dev', guarantee })).status, 400, 'already set');
  assert.equal((await w.http('POST', '/quota', 'not json')).status, 400);
  assert.equal((await w.http('POST', '/quota', { role: '*', guarantee })).status, 400);
  assert.equal((await w.http('POST', '/quota', { role: 'a/b', guarantee })).status, 400);
  assert.equal((await w.http('POST', '/quota', { role: 'big', guarantee: Resources.parse('cpus:100').toJSON() })).status, 400, 'more than the cluster has');
  assert.equal((await w.http('POST', '/quota', { role: 'big', guarantee: Resources.parse('cpus:100').toJSON(), force: true })).status, 200);
  assert.equal((await w.http('POST', '/quota', { role: 'ports', guarantee: Resources.parse('ports:[1-2]').toJSON() })).status, 400);
  // Removal.
  assert.equal((await w.http('DELETE', '/quota/dev')).status, 200);
  assert.equal((await w.http('DELETE', '/master/quota/dev')).status, 400, 'no quota any more');
  assert.deepEqual((await w.get('/quota')).body.infos.map((i: any) => i.role), ['big']);
  assert.equal((await w.metrics())['allocator/mesos/quota/roles/dev/resources/cpus/guarantee'], undefined);
  await w.stop();
});

test('a /quota request may carry a limit above the guarantee, and offers to the role stop at it', async () => {
  const w = await World.start();
  await w.agent('cpus:8;mem:8192');
  const body = (guarantee: string, limit: string) => ({ role: 'dev', guarantee: Resources.parse(guarantee).toJSON(), limit: Resources.parse(limit).toJSON() });
  const below = await w.http('POST', '/quota', body('cpus:2', 'cpus:1'));
  assert.equal(below.status, 400, 'a guarantee above its limit');
  assert.match(String(below.body), /above its limit/);
  assert.equal((await w.http('POST', '/quota', body('cpus:1', 'cpus:3'))).status, 200);
  const info = (await w.get('/quota')).body.infos[0];
  assert.deepEqual([Resources.fromJSON(info.guarantee).quantities(), Resources.fromJSON(info.limit).quantities()], [{ cpus: 1 }, { cpus: 3 }]);
  assert.deepEqual((await w.get('/roles')).body.roles.find((r: any) => r.name === 'dev').quota.limit, { cpus: 3 }, 'mem has no limit');
  assert.equal((await w.metrics())['allocator/mesos/quota/roles/dev/resources/cpus/limit'], 3);
  // Names the limit leaves out are unlimited: all the memory, but only 3 of the 8 cpus.
  const s = await w.scheduler({ role: 'dev' });
  const offered = Resources.fromJSON(s.peer.last('ResourceOffers')!.offers[0]!.resources);
  assert.deepEqual([offered.cpus(), offered.mem()], [3, 8192]);
  await w.stop();
});

test('an operator sets weights through /weights and the allocator divides by them', async () => {
  const w = await World.start();
  assert.equal((await w.http('PUT', '/weights', [{ role: 'gold', weight: 3 }, { role: 'bronze', weight: 1 }])).status, 200);
  assert.deepEqual((await w.get('/weights')).body, [{ role: 'gold', weight: 3 }, { role: 'bronze', weight: 1 }]);
  assert.equal((await w.http('PUT', '/weights', [{ role: 'gold', weight: 0 }])).status, 400);
  assert.equal((await w.http('PUT', '/weights', [{ role: '', weight: 1 }])).status, 400);
  assert.equal((await w.http('PUT', '/weights', { role: 'gold' })).status, 400);
  // Four equal agents: weight 3 gets three of them, weight 1 one.
  const gold = await w.scheduler({ name: 'gold', role: 'gold' });
  const bronze = await w.scheduler({ name: 'bronze', role: 'bronze' });
  for (let i = 0; i < 4; i++) await w.agent('cpus:1;mem:1024');
  await w.pass(1000);
  const agentsOf = (s: typeof gold): Set<string> => new Set(s.peer.all('ResourceOffers').flatMap((o) => o.offers.map((x) => x.agent_id.value)));
  assert.equal(agentsOf(gold).size, 3);
  assert.equal(agentsOf(bronze).size, 1);
  assert.equal((await w.get('/roles')).body.roles.find((r: any) => r.name === 'gold').weight, 3);
  await w.stop();
});

test('an operator tears a framework down through /teardown', async () => {
  const { w, frameworkId } = await busyWorld();
  assert.equal((await w.http('POST', '/teardown', 'frameworkId=nope')).status, 400);
  assert.equal((await w.http('GET', '/teardown')).status, 405);
  assert.equal((await w.http('POST', '/master/teardown', `frameworkId=${frameworkId}`)).status, 200);
  const state = await w.state();
  assert.equal(state.frameworks.length, 0);
  assert.equal(state.completed_frameworks[0].id, frameworkId);
  await w.stop();
});

test('with a work_dir the master keeps a registry of admitted and unreachable agents', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-master-'));
  const w = await World.start({ workDir: dir });
  const a = await w.agent();
  let registry = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
  assert.deepEqual(registry.admitted.map((x: any) => x.id), [a.id]);
  a.peer.autoPong = false;
  await w.pass(100_000);
  registry = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
  assert.deepEqual(registry.admitted, []);
  assert.deepEqual(registry.unreachable.map((x: any) => x.id), [a.id]);
  await w.stop();
});
