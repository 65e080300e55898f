// The master and frameworks: registration, offers, failover, disconnection, teardown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandTask, Peer, World } from './master-harness.js';

test('master registers a framework with an id of the form <master-id>-0000', async () => {
  const w = await World.start();
  const s = await w.scheduler({ name: 'alpha' });
  assert.equal(s.id, `${w.masterId}-0000`);
  const reg = s.peer.last('FrameworkRegistered')!;
  assert.equal(reg.master_info.id, w.masterId);
  assert.equal(reg.master_info.pid, w.master.pid);
  assert.equal(reg.master_info.port, 5050);
  const second = await w.scheduler({ name: 'beta' });
  assert.equal(second.id, `${w.masterId}-0001`);
  const state = await w.state();
  assert.deepEqual(state.frameworks.map((f: any) => f.name).sort(), ['alpha', 'beta']);
  const m = await w.metrics();
  assert.equal(m['master/frameworks_active'], 2);
  assert.equal(m['master/messages_register_framework'], 2);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});

test('master refuses a framework with an invalid role with a FrameworkError', async () => {
  const w = await World.start({ roles: ['prod'] });
  await assert.rejects(w.scheduler({ role: 'dev' }), /not one of the roles this master allows/);
  await assert.rejects(w.scheduler({ role: 'a b' }), /Role 'a b' is invalid/);
  assert.equal((await w.state()).frameworks.length, 0);
  await w.stop();
});

test('offers reach the framework with one agent and role per offer and the agent pids', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const s = await w.scheduler();
  const offers = s.peer.last('ResourceOffers')!;
  assert.equal(offers.offers.length, 1);
  const offer = offers.offers[0]!;
  assert.equal(offer.id.value, `${w.masterId}-O0`);
  assert.equal(offer.agent_id.value, a.id);
  assert.equal(offer.framework_id.value, s.id);
  assert.deepEqual(offers.pids, [a.pid]);
  assert.equal(offer.allocation_info, undefined, 'stripped for frameworks without MULTI_ROLE');
  assert.equal(offer.url?.path, '/agent(1)');
  const m = await w.metrics();
  assert.equal(m['master/outstanding_offers'], 1);
  const state = await w.state();
  assert.equal(state.frameworks[0].offers.length, 1);
  assert.equal(state.frameworks[0].offered_resources.cpus, 4);
  await w.stop();
});

test('a MULTI_ROLE framework sees allocation_info on its offers', async () => {
  const w = await World.start();
  await w.agent();
  const s = await w.scheduler({ roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] });
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  assert.deepEqual(offer.allocation_info, { role: 'web' });
  assert.ok(offer.resources.every((r) => r.allocation_info?.role === 'web'));
  await w.stop();
});

test('a framework that disconnects and re-registers within its failover timeout keeps its tasks', async () => {
  const w = await World.start();
  const a = await w.agent();
  const s = await w.scheduler({ failover_timeout: 60 });
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: s.id }, offer_ids: [offer.id], tasks: [commandTask('t1', offer, 'cpus:1;mem:128')] });
  await w.settle();
  w.network.disconnect(w.master.address, s.runtime.address);
  await w.settle();
  assert.equal(s.peer.last('FrameworkError')?.message, 'Framework disconnected');
  let state = await w.state();
  assert.equal(state.frameworks[0].connected, false);
  assert.equal(state.frameworks[0].active, false);
  assert.equal(state.frameworks[0].offers.length, 0);
  await w.pass(30_000);
  s.peer.tell(w.master.pid, { name: 'ReregisterFramework', framework: s.info, failover: false });
  await w.settle();
  assert.ok(s.peer.last('FrameworkReregistered'));
  await w.pass(60_000);
  state = await w.state();
  assert.equal(state.frameworks.length, 1);
  assert.equal(state.frameworks[0].connected, true);
  assert.equal(state.frameworks[0].tasks.length, 1);
  assert.equal(a.peer.all('ShutdownFramework').length, 0);
  assert.ok(a.peer.all('UpdateFramework').some((u) => u.framework_id.value === s.id));
  await w.stop();
});

test('a framework that stays away past its failover timeout is removed and its agents shut it down', async () => {
  const w = await World.start();
  const a = await w.agent();
  const s = await w.scheduler({ failover_timeout: 60 });
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: s.id }, offer_ids: [offer.id], tasks: [commandTask('t1', offer, 'cpus:1;mem:128')] });
  await w.settle();
  w.network.disconnect(w.master.address, s.runtime.address);
  await w.pass(59_000);
  assert.equal(a.peer.all('ShutdownFramework').length, 0);
  await w.pass(1_000);
  assert.equal(a.peer.last('ShutdownFramework')?.framework_id.value, s.id);
  const state = await w.state();
  assert.equal(state.frameworks.length, 0);
  assert.equal(state.completed_frameworks.length, 1);
  const done = state.completed_frameworks[0];
  assert.equal(done.completed_tasks.length, 1);
  assert.equal(done.completed_tasks[0].state, 'TASK_KILLED');
  assert.equal((await w.metrics())['master/tasks_killed'], 1);
  s.peer.tell(w.master.pid, { name: 'ReregisterFramework', framework: s.info, failover: true });
  await w.settle();
  assert.equal(s.peer.last('FrameworkError')?.message, 'Framework has been removed');
  await w.stop();
});

test('a framework with the default failover timeout of 0 is removed as soon as it disconnects', async () => {
  const w = await World.start();
  const a = await w.agent();
  const s = await w.scheduler();
  w.network.disconnect(w.master.address, s.runtime.address);
  await w.settle();
  const state = await w.state();
  assert.equal(state.frameworks.length, 0);
  assert.equal(state.completed_frameworks[0].id, s.id);
  assert.equal(a.peer.last('ShutdownFramework')?.framework_id.value, s.id);
  await w.stop();
});

test('a failed-over scheduler takes the framework over and the old one is told so', async () => {
  // Taking over a connected framework needs the new connection to prove its principal.
  const w = await World.start({ credentials: new Map([['fw', 's3cret']]) });
  await w.agent();
  const old = await w.scheduler({ failover_timeout: 3600, principal: 'fw' });
  const runtime2 = await w.spawnRuntime({ auth: { credential: { principal: 'fw', secret: 's3cret' } } });
  const fresh = runtime2.spawn(new Peer(), 'scheduler-new');
  // Without `failover` a different pid is refused.
  fresh.tell(w.master.pid, { name: 'ReregisterFramework', framework: old.info, failover: false });
  await w.settle();
  assert.equal(fresh.last('FrameworkError')?.message, 'Framework failed over');
  fresh.clear();
  fresh.tell(w.master.pid, { name: 'ReregisterFramework', framework: old.info, failover: true });
  await w.settle();
  assert.equal(old.peer.last('FrameworkError')?.message, 'Framework failed over');
  assert.equal(fresh.last('FrameworkRegistered')?.framework_id.value, old.id);
  const state = await w.state();
  assert.equal(state.frameworks[0].pid, fresh.self);
  // New offers go to the new instance.
  await w.pass(1000);
  assert.ok(fresh.all('ResourceOffers').length >= 1);
  await w.stop();
});

test('teardown removes the framework, shuts it down on agents and kills its tasks in the master', async () => {
  const w = await World.start();
  const a = await w.agent();
  const s = await w.scheduler();
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: s.id }, offer_ids: [offer.id], tasks: [commandTask('t1', offer, 'cpus:1;mem:128')] });
  await w.settle();
  s.peer.clear();
  s.peer.tell(w.master.pid, { name: 'UnregisterFramework', framework_id: { value: s.id } });
  await w.settle();
  assert.equal(a.peer.last('ShutdownFramework')?.framework_id.value, s.id);
  assert.equal(s.peer.all('StatusUpdate').length, 0, 'the scheduler is not told');
  const state = await w.state();
  assert.equal(state.frameworks.length, 0);
  assert.equal(state.completed_frameworks[0].completed_tasks[0].state, 'TASK_KILLED');
  assert.equal(state.slaves[0].used_resources.cpus, 0);
  await w.stop();
});

test('a deactivated framework has its offers rescinded and gets no more', async () => {
  const w = await World.start();
  await w.agent();
  const s = await w.scheduler();
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'DeactivateFramework', framework_id: { value: s.id } });
  await w.settle();
  assert.equal(s.peer.last('RescindResourceOffer')?.offer_id.value, offer.id.value);
  s.peer.clear();
  await w.pass(5000);
  assert.equal(s.peer.all('ResourceOffers').length, 0);
  const state = await w.state();
  assert.equal(state.frameworks[0].active, false);
  await w.stop();
});

test('calls from a pid that is not the framework\'s are dropped and counted', async () => {
  const w = await World.start();
  await w.agent();
  const s = await w.scheduler();
  const other = await w.scheduler();
  other.peer.tell(w.master.pid, { name: 'ReviveOffers', framework_id: { value: s.id } });
  other.peer.tell(w.master.pid, { name: 'KillTask', framework_id: { value: 'no-such-framework' }, task_id: { value: 'x' } });
  await w.settle();
  assert.equal((await w.metrics())['master/dropped_messages'], 2);
  await w.stop();
});

test('a master started with a trace file records its messages with their framework ids', async () => {
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'mesos-trace-')), 'master.trace');
  const w = await World.start({ trace: file });
  const s = await w.scheduler();
  await w.stop();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const registered = lines.find((l) => l['name'] === 'FrameworkRegistered' && l['dir'] === 'send');
  assert.equal(registered?.['framework_id'], s.id);
  assert.ok(lines.some((l) => l['name'] === 'RegisterFramework' && l['dir'] === 'recv'));
});
