// The master and agents: registration, health checks, disconnection, unreachability and
// re-registration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources, type Offer, type Task } from '../../protocol/index.js';
import { agentUpdate, commandTask, Peer, World, type AgentStub, type SchedulerStub } from './master-harness.js';

async function launchOn(w: World, s: SchedulerStub, taskId: string, resources = 'cpus:1;mem:128'): Promise<Offer> {
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: s.id }, offer_ids: [offer.id], tasks: [commandTask(taskId, offer, resources)], filters: { refuse_seconds: 0 } });
  await w.settle();
  return offer;
}

/** Stops answering pings, and waits for the first ping that goes unanswered. */
async function stopPonging(w: World, a: AgentStub): Promise<void> {
  a.peer.autoPong = false;
  const before = a.peer.all('PingAgent').length;
  while (a.peer.all('PingAgent').length === before) await w.pass(1000);
}

/** What the agent would report of a task in ReregisterAgent. */
function reported(s: SchedulerStub, a: AgentStub, taskId: string, state: Task['state'] = 'TASK_RUNNING'): Task {
  return { name: taskId, task_id: { value: taskId }, framework_id: { value: s.id }, agent_id: { value: a.id }, state, resources: Resources.parse('cpus:1;mem:128').allocate('*').toJSON(), statuses: [] };
}

test('master registers an agent with an id of the form <master-id>-S<n> and starts pinging it', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:2;mem:1024');
  assert.equal(a.id, `${w.masterId}-S0`);
  assert.equal(a.peer.last('AgentRegistered')!.connection?.total_ping_timeout_seconds, 75);
  assert.deepEqual(a.peer.last('PingAgent'), { name: 'PingAgent', connected: true });
  const b = await w.agent();
  assert.equal(b.id, `${w.masterId}-S1`);
  const state = await w.state();
  assert.equal(state.activated_slaves, 2);
  const slave = state.slaves.find((x: any) => x.id === a.id);
  assert.equal(slave.pid, a.pid);
  assert.deepEqual(slave.resources, { cpus: 2, gpus: 0, mem: 1024, disk: 0 });
  const m = await w.metrics();
  assert.equal(m['master/slaves_active'], 2);
  assert.equal(m['master/slave_registrations'], 2);
  assert.equal(m['master/messages_register_slave'], 2);
  assert.equal(m['allocator/mesos/resources/cpus/total'], 6);
  await w.stop();
});

test('a retried registration from a registered agent gets the same id again', async () => {
  const w = await World.start();
  const a = await w.agent();
  a.peer.tell(w.master.pid, { name: 'RegisterAgent', agent: { hostname: 'h', resources: [], attributes: [] }, version: '1.11.0' });
  await w.settle();
  const acks = a.peer.all('AgentRegistered');
  assert.equal(acks.length, 2);
  assert.equal(acks[1]!.agent_id.value, a.id);
  assert.equal((await w.state()).slaves.length, 1);
  await w.stop();
});

test('master refuses an agent older than 1.0.0 with a Shutdown saying why', async () => {
  const w = await World.start();
  const rt = await w.spawnRuntime();
  const p = rt.spawn(new Peer(), 'agent(1)');
  p.tell(w.master.pid, { name: 'RegisterAgent', agent: { hostname: 'old', resources: [], attributes: [] }, version: '0.28.2' });
  await w.settle();
  assert.match(p.last('Shutdown')?.message ?? '', /version 0\.28\.2 is too old/);
  assert.equal((await w.state()).slaves.length, 0);
  await w.stop();
});

test('master marks an agent unreachable after five missed pongs: TASK_LOST, or TASK_UNREACHABLE for PARTITION_AWARE frameworks', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const plain = await w.scheduler({ name: 'plain' });
  await launchOn(w, plain, 'p1');
  const aware = await w.scheduler({ name: 'aware', capabilities: [{ type: 'PARTITION_AWARE' }] });
  await w.pass(1000);
  await launchOn(w, aware, 'a1');
  await stopPonging(w, a);
  await w.pass(60_000);
  assert.equal((await w.state()).slaves.length, 1, 'four misses are not enough');
  await w.pass(15_000);
  const lost = plain.peer.statuses().find((x) => x.task_id.value === 'p1')!;
  assert.equal(lost.state, 'TASK_LOST');
  assert.equal(lost.reason, 'REASON_AGENT_REMOVED');
  assert.equal(lost.source, 'SOURCE_MASTER');
  assert.ok(lost.unreachable_time !== undefined);
  const unreachable = aware.peer.statuses().find((x) => x.task_id.value === 'a1')!;
  assert.equal(unreachable.state, 'TASK_UNREACHABLE');
  assert.equal(unreachable.reason, 'REASON_AGENT_REMOVED');
  assert.equal(plain.peer.last('LostAgent')?.agent_id.value, a.id);
  assert.equal(aware.peer.last('LostAgent')?.agent_id.value, a.id);
  const state = await w.state();
  assert.equal(state.slaves.length, 0);
  assert.equal(state.unreachable_slaves, 1);
  const byName = Object.fromEntries(state.frameworks.map((f: any) => [f.name, f]));
  assert.equal(byName.plain.unreachable_tasks[0].state, 'TASK_LOST');
  assert.equal(byName.aware.unreachable_tasks[0].state, 'TASK_UNREACHABLE');
  assert.equal(byName.plain.tasks.length, 0);
  const m = await w.metrics();
  assert.equal(m['master/slaves_unreachable'], 1);
  assert.equal(m['master/tasks_lost'], 1);
  assert.equal(m['master/tasks_unreachable'], 1);
  assert.equal(m['master/slave_removals/reason_unhealthy'], 1);
  assert.equal(m['master/slave_unreachable_completed'], 1);
  // Reconciliation of the unreachable task answers from memory.
  aware.peer.clear();
  aware.peer.tell(w.master.pid, { name: 'ReconcileTasks', framework_id: { value: aware.id }, statuses: [{ task_id: { value: 'a1' }, state: 'TASK_RUNNING' }] });
  await w.settle();
  assert.equal(aware.peer.statuses()[0]!.state, 'TASK_UNREACHABLE');
  await w.stop();
});

test('a pong before the fifth missed one keeps the agent registered', async () => {
  const w = await World.start();
  const a = await w.agent();
  await stopPonging(w, a);
  await w.pass(60_000);
  a.peer.tell(w.master.pid, { name: 'PongAgent' });
  await w.pass(75_000);
  assert.equal((await w.state()).slaves.length, 1);
  await w.pass(15_000);
  assert.equal((await w.state()).slaves.length, 0);
  await w.stop();
});

test('an agent whose connection breaks is disconnected: offers rescinded, tasks of non-checkpointing frameworks TASK_LOST', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const plain = await w.scheduler({ name: 'plain', capabilities: [{ type: 'PARTITION_AWARE' }] });
  await launchOn(w, plain, 'p1');
  const ckpt = await w.scheduler({ name: 'ckpt', checkpoint: true });
  await w.pass(1000);
  await launchOn(w, ckpt, 'c1', 'cpus:1;mem:128');
  await w.pass(1000);
  const outstanding = [...plain.peer.all('ResourceOffers'), ...ckpt.peer.all('ResourceOffers')].length;
  assert.ok(outstanding >= 2);
  w.network.disconnect(w.master.address, a.address);
  await w.settle();
  const lost = plain.peer.statuses().find((x) => x.task_id.value === 'p1')!;
  assert.equal(lost.state, 'TASK_LOST', 'TASK_LOST even for a PARTITION_AWARE framework');
  assert.equal(lost.reason, 'REASON_AGENT_DISCONNECTED');
  assert.equal(ckpt.peer.statuses().length, 0, 'checkpointing frameworks keep their tasks');
  let state = await w.state();
  const slave = state.slaves[0];
  assert.equal(slave.active, false);
  assert.equal(state.frameworks.find((f: any) => f.name === 'ckpt').tasks.length, 1);
  assert.equal(state.frameworks.find((f: any) => f.name === 'plain').completed_tasks[0].state, 'TASK_LOST');
  const m = await w.metrics();
  assert.equal(m['master/slaves_disconnected'], 1);
  assert.equal(m['master/outstanding_offers'], 0);
  // Nobody is offered the disconnected agent.
  plain.peer.clear();
  await w.pass(5000);
  assert.equal(plain.peer.all('ResourceOffers').length, 0);
  // Not back within agent_reregister_timeout (10 min): unreachable.
  await w.pass(600_000);
  state = await w.state();
  assert.equal(state.unreachable_slaves, 1);
  assert.equal(ckpt.peer.statuses().find((x) => x.task_id.value === 'c1')?.state, 'TASK_LOST');
  await w.stop();
});

test('an agent that re-registers after a disconnect is reconciled: missing tasks listed, kills replayed', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const s = await w.scheduler({ checkpoint: true });
  await launchOn(w, s, 't1');
  await w.pass(1000);
  await launchOn(w, s, 't2');
  w.network.disconnect(w.master.address, a.address);
  await w.settle();
  s.peer.tell(w.master.pid, { name: 'KillTask', framework_id: { value: s.id }, task_id: { value: 't1' } });
  await w.settle();
  assert.equal(a.peer.all('KillTask').length, 0, 'not sent while the agent is away');
  a.peer.clear();
  a.peer.tell(w.master.pid, {
    name: 'ReregisterAgent',
    agent: { hostname: a.address.split(':')[0]!, port: 5051, resources: Resources.parse('cpus:4;mem:4096').toJSON(), attributes: [], id: { value: a.id } },
    version: '1.11.0',
    executor_infos: [],
    tasks: [reported(s, a, 't1')],
    frameworks: [s.info],
    completed_frameworks: [],
  });
  await w.settle();
  const rereg = a.peer.last('AgentReregistered')!;
  assert.equal(rereg.agent_id.value, a.id);
  assert.deepEqual(rereg.reconciliations?.map((r) => r.statuses.map((x) => x.task_id.value)), [['t2']]);
  assert.equal(a.peer.last('KillTask')?.task_id.value, 't1');
  assert.equal(a.peer.last('UpdateFramework')?.framework_id.value, s.id);
  const state = await w.state();
  assert.equal(state.slaves[0].active, true);
  assert.equal((await w.metrics())['master/slave_reregistrations'], 1);
  await w.stop();
});

test('an unreachable agent that re-registers comes back with its tasks, reported with REASON_AGENT_REREGISTERED', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const s = await w.scheduler();
  await launchOn(w, s, 't1');
  await stopPonging(w, a);
  await w.pass(75_000);
  assert.equal((await w.state()).unreachable_slaves, 1);
  s.peer.clear();
  a.peer.tell(w.master.pid, {
    name: 'ReregisterAgent',
    agent: { hostname: a.address.split(':')[0]!, port: 5051, resources: Resources.parse('cpus:4;mem:4096').toJSON(), attributes: [], id: { value: a.id } },
    version: '1.11.0',
    executor_infos: [],
    tasks: [reported(s, a, 't1')],
    frameworks: [s.info],
    completed_frameworks: [],
  });
  await w.settle();
  assert.equal(a.peer.last('AgentReregistered')?.agent_id.value, a.id);
  const back = s.peer.statuses().find((x) => x.task_id.value === 't1')!;
  assert.equal(back.state, 'TASK_RUNNING');
  assert.equal(back.reason, 'REASON_AGENT_REREGISTERED');
  const state = await w.state();
  assert.equal(state.unreachable_slaves, 0);
  assert.equal(state.slaves[0].id, a.id);
  assert.equal(state.frameworks[0].tasks[0].state, 'TASK_RUNNING');
  assert.equal(state.frameworks[0].unreachable_tasks.length, 0);
  assert.equal(state.slaves[0].used_resources.cpus, 1, 'the allocator counts the task again');
  // And the running task keeps being accounted: the next offer is what is left.
  a.peer.autoPong = true;
  await w.pass(1000);
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  assert.equal(Resources.fromJSON(offer.resources).cpus(), 3);
  await w.stop();
});

test('an agent that unregisters is removed and its tasks are TASK_LOST for every framework', async () => {
  const w = await World.start();
  const a = await w.agent();
  const s = await w.scheduler({ capabilities: [{ type: 'PARTITION_AWARE' }] });
  await launchOn(w, s, 't1');
  a.peer.tell(w.master.pid, { name: 'UnregisterAgent', agent_id: { value: a.id } });
  await w.settle();
  const status = s.peer.statuses().find((x) => x.task_id.value === 't1')!;
  assert.equal(status.state, 'TASK_LOST');
  assert.equal(status.reason, 'REASON_AGENT_REMOVED');
  assert.equal(s.peer.last('LostAgent')?.agent_id.value, a.id);
  const state = await w.state();
  assert.equal(state.slaves.length, 0);
  assert.equal((await w.metrics())['master/slave_removals/reason_unregistered'], 1);
  await w.stop();
});

test('status updates from an agent reach a framework that re-registered after a disconnect', async () => {
  const w = await World.start();
  const a = await w.agent();
  const s = await w.scheduler({ failover_timeout: 100 });
  await launchOn(w, s, 't1');
  w.network.disconnect(w.master.address, s.runtime.address);
  await w.settle();
  a.peer.tell(w.master.pid, agentUpdate(s.id, a.id, 't1', 'TASK_RUNNING'));
  await w.settle();
  assert.equal(s.peer.all('StatusUpdate').length, 0, 'not forwarded to a disconnected framework');
  assert.equal((await w.state()).frameworks[0].tasks[0].state, 'TASK_RUNNING', 'but the master records it');
  s.peer.tell(w.master.pid, { name: 'ReregisterFramework', framework: s.info, failover: false });
  await w.settle();
  a.peer.tell(w.master.pid, agentUpdate(s.id, a.id, 't1', 'TASK_RUNNING'));
  await w.settle();
  assert.equal(s.peer.statuses()[0]?.state, 'TASK_RUNNING');
  await w.stop();
});

test('after a restart the master waits for the agents of its registry, and rebuilds frameworks from their reports', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'mesos-master-'));
  writeFileSync(join(dir, 'registry.json'), JSON.stringify({ admitted: [{ id: 'old-S0', hostname: 'h0' }, { id: 'old-S1', hostname: 'h1' }], unreachable: [] }));
  const w = await World.start({ workDir: dir });
  assert.deepEqual((await w.state()).recovered_slaves.map((x: any) => x.id), ['old-S0', 'old-S1']);
  const s = await w.scheduler();
  // Until the agent is back, the master cannot tell: no answer at all (fault-tolerance.md §6).
  s.peer.tell(w.master.pid, { name: 'ReconcileTasks', framework_id: { value: s.id }, statuses: [{ task_id: { value: 'x' }, state: 'TASK_RUNNING', agent_id: { value: 'old-S0' } }, { task_id: { value: 'y' }, state: 'TASK_RUNNING' }] });
  await w.settle();
  assert.equal(s.peer.all('StatusUpdate').length, 0);
  // The agent comes back with a task of a framework from before the restart.
  const rt = await w.spawnRuntime();
  const agent = rt.spawn(new Peer(), 'agent(1)');
  const old = { user: 'u', name: 'old framework', id: { value: 'old-0000' }, failover_timeout: 3600 };
  const task: Task = { name: 'r1', task_id: { value: 'r1' }, framework_id: old.id, agent_id: { value: 'old-S0' }, state: 'TASK_RUNNING', resources: Resources.parse('cpus:1;mem:128').toJSON(), statuses: [] };
  agent.tell(w.master.pid, {
    name: 'ReregisterAgent',
    agent: { hostname: 'h0', port: 5051, resources: Resources.parse('cpus:4;mem:4096').toJSON(), attributes: [], id: { value: 'old-S0' } },
    version: '1.11.0',
    executor_infos: [],
    tasks: [task],
    frameworks: [old],
    completed_frameworks: [],
  });
  await w.settle();
  assert.equal(agent.last('AgentReregistered')?.agent_id.value, 'old-S0');
  let state = await w.state();
  const recovered = state.frameworks.find((f: any) => f.id === 'old-0000');
  assert.equal(recovered.recovered, true);
  assert.equal(recovered.connected, false);
  assert.equal(recovered.tasks[0].id, 'r1');
  // Its scheduler fails over to this master and finds its task.
  const rt2 = await w.spawnRuntime();
  const sched = rt2.spawn(new Peer(), 'scheduler-old');
  sched.tell(w.master.pid, { name: 'ReregisterFramework', framework: old, failover: true });
  await w.settle();
  assert.equal(sched.last('FrameworkRegistered')?.framework_id.value, 'old-0000');
  sched.tell(w.master.pid, { name: 'ReconcileTasks', framework_id: old.id, statuses: [] });
  await w.settle();
  assert.deepEqual(sched.statuses().map((x) => [x.task_id.value, x.state]), [['r1', 'TASK_RUNNING']]);
  // The agent that never came back is unreachable after agent_reregister_timeout.
  await w.pass(600_000);
  state = await w.state();
  assert.equal(state.unreachable_slaves, 1);
  assert.deepEqual(state.recovered_slaves, []);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});

test('a task reported lost on disconnect that the agent still runs comes back when the agent re-registers', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const s = await w.scheduler();
  await launchOn(w, s, 't1');
  w.network.disconnect(w.master.address, a.address);
  await w.settle();
  assert.equal(s.peer.statuses().find((x) => x.task_id.value === 't1')?.state, 'TASK_LOST');
  s.peer.clear();
  a.peer.tell(w.master.pid, {
    name: 'ReregisterAgent',
    agent: { hostname: a.address.split(':')[0]!, port: 5051, resources: Resources.parse('cpus:4;mem:4096').toJSON(), attributes: [], id: { value: a.id } },
    version: '1.11.0',
    executor_infos: [],
    tasks: [reported(s, a, 't1')],
    frameworks: [s.info],
    completed_frameworks: [],
  });
  await w.pass(1000);
  const back = s.peer.statuses().find((x) => x.task_id.value === 't1')!;
  assert.equal(back.state, 'TASK_RUNNING');
  assert.equal(back.reason, 'REASON_AGENT_REREGISTERED');
  const state = await w.state();
  assert.equal(state.frameworks[0].tasks[0].state, 'TASK_RUNNING');
  assert.equal(state.frameworks[0].completed_tasks.length, 0);
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  assert.equal(Resources.fromJSON(offer.resources).cpus(), 3, 'its resources are in use again');
  await w.stop();
});
