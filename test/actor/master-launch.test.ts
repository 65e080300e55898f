// The master and tasks: launch validation, declines and filters, status updates and
// acknowledgements, kills, reconciliation, framework messages, and the DRF example.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources, type MessageOf, type Offer, type TaskInfo } from '../../protocol/index.js';
import { agentUpdate, commandTask, World, type AgentStub, type SchedulerStub } from './master-harness.js';

async function oneOffer(options: { partitionAware?: boolean; resources?: string } = {}): Promise<{ w: World; a: AgentStub; s: SchedulerStub; offer: Offer }> {
  const w = await World.start();
  const a = await w.agent(options.resources ?? 'cpus:4;mem:4096;ports:[31000-32000]');
  const s = await w.scheduler(options.partitionAware ? { capabilities: [{ type: 'PARTITION_AWARE' }] } : {});
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  return { w, a, s, offer };
}

function launch(s: SchedulerStub, master: string, offer: Offer, tasks: TaskInfo[], refuseSeconds?: number): void {
  s.peer.tell(master as never, {
    name: 'LaunchTasks',
    framework_id: { value: s.id },
    offer_ids: [offer.id],
    tasks,
    ...(refuseSeconds !== undefined ? { filters: { refuse_seconds: refuseSeconds } } : {}),
  });
}

test('a valid task is sent to its agent with RunTask and shows as TASK_STAGING in /state', async () => {
  const { w, a, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128')]);
  await w.settle();
  const run = a.peer.last('RunTask')!;
  assert.equal(run.task.task_id.value, 't1');
  assert.equal(run.pid, s.pid);
  assert.equal(run.launch_executor, false);
  assert.equal(run.framework.id?.value, s.id);
  assert.ok(run.task.resources!.every((r) => r.allocation_info?.role === '*'), 'the allocation role is injected');
  const state = await w.state();
  const task = state.frameworks[0].tasks[0];
  assert.equal(task.id, 't1');
  assert.equal(task.state, 'TASK_STAGING');
  assert.equal(task.slave_id, a.id);
  assert.equal(task.executor_id, '');
  assert.deepEqual(task.resources, { cpus: 1, gpus: 0, mem: 128, disk: 0 });
  assert.equal(state.slaves[0].used_resources.cpus, 1);
  const m = await w.metrics();
  assert.equal(m['master/tasks_staging'], 1);
  assert.equal(m['master/messages_launch_tasks'], 1);
  assert.equal(m['master/cpus_used'], 1);
  assert.equal(m['master/cpus_total'], 4);
  assert.equal(m['master/outstanding_offers'], 0);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});

test('a custom executor new to the agent is launched with the task, and charged', async () => {
  const { w, a, s, offer } = await oneOffer();
  const executor = { executor_id: { value: 'e1' }, type: 'CUSTOM' as const, command: { value: './executor' }, resources: Resources.parse('cpus:0.5;mem:64').toJSON() };
  launch(s, w.master.pid, offer, [
    { ...commandTask('t1', offer, 'cpus:1;mem:128'), command: undefined as never, executor },
  ].map(({ command: _c, ...t }) => t as TaskInfo), 0);
  await w.settle();
  const run = a.peer.last('RunTask')!;
  assert.equal(run.launch_executor, true);
  assert.equal(run.task.executor?.framework_id?.value, s.id, 'the master fills in the framework id');
  const state = await w.state();
  assert.equal(state.slaves[0].used_resources.cpus, 1.5);
  assert.equal(state.frameworks[0].executors[0].executor_id, 'e1');
  s.peer.clear();
  await w.pass(1000);
  const next = s.peer.last('ResourceOffers')!.offers[0]!;
  assert.deepEqual(next.executor_ids.map((e) => e.value), ['e1']);
  await w.stop();
});

const invalidCases: { what: string; task: (o: Offer) => TaskInfo; message: RegExp }[] = [
  { what: 'an invalid task id', task: (o) => commandTask('..', o, 'cpus:1;mem:32'), message: /Task ID '\.\.' is invalid/ },
  { what: 'another agent', task: (o) => ({ ...commandTask('t', o, 'cpus:1;mem:32'), agent_id: { value: 'elsewhere' } }), message: /offers are for agent/ },
  { what: 'no resources', task: (o) => ({ ...commandTask('t', o, 'cpus:1'), resources: [] }), message: /uses no resources/ },
  { what: 'more than offered', task: (o) => commandTask('t', o, 'cpus:64;mem:32'), message: /more than the offers have left/ },
  { what: 'neither command nor executor', task: (o) => { const { command: _c, ...t } = commandTask('t', o, 'cpus:1;mem:32'); return t; }, message: /exactly one of 'command' and 'executor'.*neither/ },
  { what: 'a negative kill grace period', task: (o) => commandTask('t', o, 'cpus:1;mem:32', { kill_policy: { grace_period: { nanoseconds: -1 } } }), message: /negative grace period/ },
  { what: 'a command without a value', task: (o) => commandTask('t', o, 'cpus:1;mem:32', { command: { shell: true } }), message: /command is invalid/ },
];

for (const c of invalidCases) {
  test(`a task with ${c.what} gets TASK_ERROR with REASON_TASK_INVALID and a message saying why`, async () => {
    const { w, a, s, offer } = await oneOffer();
    launch(s, w.master.pid, offer, [c.task(offer)]);
    await w.settle();
    const update = s.peer.last('StatusUpdate')!;
    assert.equal(update.pid, '');
    const status = update.update.status;
    assert.equal(status.state, 'TASK_ERROR');
    assert.equal(status.reason, 'REASON_TASK_INVALID');
    assert.equal(status.source, 'SOURCE_MASTER');
    assert.equal(status.uuid, undefined);
    assert.match(status.message ?? '', c.message);
    assert.equal(a.peer.all('RunTask').length, 0);
    assert.equal((await w.metrics())['master/tasks_error'], 1);
    await w.stop();
  });
}

test('a second task with the id of one launched earlier in the same call gets TASK_ERROR', async () => {
  const { w, a, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('dup', offer, 'cpus:1;mem:32'), commandTask('dup', offer, 'cpus:1;mem:32')]);
  await w.settle();
  assert.equal(a.peer.all('RunTask').length, 1);
  assert.match(s.peer.last('StatusUpdate')!.update.status.message!, /already in use/);
  await w.stop();
});

test('a launch on an unknown offer gets TASK_LOST, or TASK_DROPPED for a PARTITION_AWARE framework, with REASON_INVALID_OFFERS', async () => {
  for (const partitionAware of [false, true]) {
    const { w, s, offer } = await oneOffer({ partitionAware });
    const stale = { ...offer, id: { value: `${offer.id.value}-gone` } };
    launch(s, w.master.pid, stale, [commandTask('t', offer, 'cpus:1;mem:32')]);
    await w.settle();
    const status = s.peer.last('StatusUpdate')!.update.status;
    assert.equal(status.state, partitionAware ? 'TASK_DROPPED' : 'TASK_LOST');
    assert.equal(status.reason, 'REASON_INVALID_OFFERS');
    assert.match(status.message!, /Task launched with invalid offers: offer .* is no longer valid/);
    await w.stop();
  }
});

test('an ACCEPT whose LAUNCH sets an operation id gets TASK_ERROR', async () => {
  const { w, s, offer } = await oneOffer();
  s.peer.tell(w.master.pid, { name: 'Accept', framework_id: { value: s.id }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', id: { value: 'op' }, launch: { task_infos: [commandTask('t', offer, 'cpus:1;mem:32')] } }] });
  await w.settle();
  assert.match(s.peer.last('StatusUpdate')!.update.status.message!, /operation feedback is not supported/);
  await w.stop();
});

test('a decline with refuse_seconds hides the agent from the framework until the filter expires', async () => {
  const { w, s, offer } = await oneOffer();
  s.peer.tell(w.master.pid, { name: 'Decline', framework_id: { value: s.id }, offer_ids: [offer.id], filters: { refuse_seconds: 10 } });
  await w.settle();
  s.peer.clear();
  await w.pass(9_000);
  assert.equal(s.peer.all('ResourceOffers').length, 0);
  assert.equal((await w.metrics())['allocator/mesos/offer_filters/roles/*/active'], 1);
  await w.pass(2_000);
  assert.equal(s.peer.all('ResourceOffers').length, 1);
  assert.equal((await w.metrics())['master/messages_decline_offers'], 1);
  await w.stop();
});

test('the part of an offer a launch leaves unused is declined with the launch\'s filters', async () => {
  const { w, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128')], 30);
  await w.settle();
  s.peer.clear();
  await w.pass(20_000);
  assert.equal(s.peer.all('ResourceOffers').length, 0);
  await w.pass(11_000);
  const next = s.peer.last('ResourceOffers')!.offers[0]!;
  assert.equal(Resources.fromJSON(next.resources).cpus(), 3);
  await w.stop();
});

test('ReviveOffers clears decline filters', async () => {
  const { w, s, offer } = await oneOffer();
  s.peer.tell(w.master.pid, { name: 'Decline', framework_id: { value: s.id }, offer_ids: [offer.id], filters: { refuse_seconds: 3600 } });
  await w.pass(2000);
  s.peer.clear();
  s.peer.tell(w.master.pid, { name: 'ReviveOffers', framework_id: { value: s.id } });
  await w.settle();
  assert.equal(s.peer.all('ResourceOffers').length, 1);
  await w.stop();
});

test('SuppressOffers stops offers until the framework revives', async () => {
  const { w, s, offer } = await oneOffer();
  s.peer.tell(w.master.pid, { name: 'SuppressOffers', framework_id: { value: s.id } });
  s.peer.tell(w.master.pid, { name: 'Decline', framework_id: { value: s.id }, offer_ids: [offer.id], filters: { refuse_seconds: 0 } });
  await w.settle();
  s.peer.clear();
  await w.pass(5000);
  assert.equal(s.peer.all('ResourceOffers').length, 0);
  s.peer.tell(w.master.pid, { name: 'ReviveOffers', framework_id: { value: s.id }, roles: ['*'] });
  await w.settle();
  assert.equal(s.peer.all('ResourceOffers').length, 1);
  await w.stop();
});

test('status updates are forwarded to the framework, acknowledgements to the agent, and resources recovered at the end', async () => {
  const { w, a, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128')], 0);
  await w.settle();
  const running = agentUpdate(s.id, a.id, 't1', 'TASK_RUNNING');
  a.peer.tell(w.master.pid, { ...running, pid: a.pid });
  await w.settle();
  const forwarded = s.peer.last('StatusUpdate')!;
  assert.equal(forwarded.pid, a.pid);
  assert.equal(forwarded.update.status.state, 'TASK_RUNNING');
  assert.deepEqual([...forwarded.update.status.uuid!], [...running.update.uuid!]);
  let state = await w.state();
  assert.equal(state.frameworks[0].tasks[0].state, 'TASK_RUNNING');
  assert.equal((await w.metrics())['master/tasks_running'], 1);

  s.peer.tell(w.master.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: a.id }, framework_id: { value: s.id }, task_id: { value: 't1' }, uuid: running.update.uuid! });
  await w.settle();
  const ack = a.peer.last('StatusUpdateAcknowledgement')!;
  assert.equal(ack.task_id.value, 't1');
  assert.deepEqual([...ack.uuid], [...running.update.uuid!]);

  const finished = agentUpdate(s.id, a.id, 't1', 'TASK_FINISHED');
  a.peer.tell(w.master.pid, { ...finished, pid: a.pid });
  await w.settle();
  state = await w.state();
  assert.equal(state.frameworks[0].tasks[0].state, 'TASK_FINISHED', 'kept until the terminal update is acknowledged');
  assert.equal(state.slaves[0].used_resources.cpus, 0, 'resources are recovered at the first terminal state');
  s.peer.clear();
  await w.pass(1000);
  assert.equal(Resources.fromJSON(s.peer.last('ResourceOffers')!.offers[0]!.resources).cpus(), 4);

  s.peer.tell(w.master.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: a.id }, framework_id: { value: s.id }, task_id: { value: 't1' }, uuid: finished.update.uuid! });
  await w.settle();
  state = await w.state();
  assert.equal(state.frameworks[0].tasks.length, 0);
  assert.equal(state.frameworks[0].completed_tasks[0].state, 'TASK_FINISHED');
  assert.deepEqual(state.frameworks[0].completed_tasks[0].statuses.map((x: any) => x.state), ['TASK_RUNNING', 'TASK_FINISHED']);
  const m = await w.metrics();
  assert.equal(m['master/tasks_finished'], 1);
  assert.equal(m['master/valid_status_updates'], 2);
  assert.equal(m['master/valid_status_update_acknowledgements'], 2);
  assert.equal(m['master/messages_status_update'], 2);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});

test('an update whose latest_state is terminal releases the resources at once', async () => {
  const { w, a, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128')], 0);
  await w.settle();
  a.peer.tell(w.master.pid, agentUpdate(s.id, a.id, 't1', 'TASK_RUNNING', 'TASK_FAILED'));
  await w.settle();
  const state = await w.state();
  assert.equal(state.frameworks[0].tasks[0].state, 'TASK_FAILED');
  assert.equal(state.slaves[0].used_resources.cpus, 0);
  assert.equal(s.peer.last('StatusUpdate')!.update.status.state, 'TASK_RUNNING', 'the framework sees the update in flight');
  await w.stop();
});

test('status updates from an unknown agent are dropped and counted', async () => {
  const { w, s } = await oneOffer();
  const stranger = await w.agent();
  stranger.peer.tell(w.master.pid, agentUpdate(s.id, 'no-such-agent', 't1', 'TASK_RUNNING'));
  await w.settle();
  assert.equal(s.peer.all('StatusUpdate').length, 0);
  assert.equal((await w.metrics())['master/invalid_status_updates'], 1);
  await w.stop();
});

test('a kill of a known task goes to its agent; a kill of an unknown one is answered by reconciliation', async () => {
  const { w, a, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128')]);
  await w.settle();
  s.peer.tell(w.master.pid, { name: 'KillTask', framework_id: { value: s.id }, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } });
  await w.settle();
  const kill = a.peer.last('KillTask')!;
  assert.equal(kill.task_id.value, 't1');
  assert.deepEqual(kill.kill_policy, { grace_period: { nanoseconds: 1e9 } });
  s.peer.tell(w.master.pid, { name: 'KillTask', framework_id: { value: s.id }, task_id: { value: 'nope' } });
  await w.settle();
  const status = s.peer.last('StatusUpdate')!.update.status;
  assert.equal(status.task_id.value, 'nope');
  assert.equal(status.state, 'TASK_LOST');
  assert.equal(status.reason, 'REASON_RECONCILIATION');
  assert.equal(a.peer.all('KillTask').length, 1);
  assert.equal((await w.metrics())['master/messages_kill_task'], 2);
  await w.stop();
});

test('implicit reconciliation reports every task the master knows at its latest state', async () => {
  const { w, a, s, offer } = await oneOffer();
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128'), commandTask('t2', offer, 'cpus:1;mem:128')]);
  await w.settle();
  a.peer.tell(w.master.pid, agentUpdate(s.id, a.id, 't1', 'TASK_RUNNING'));
  await w.settle();
  s.peer.clear();
  s.peer.tell(w.master.pid, { name: 'ReconcileTasks', framework_id: { value: s.id }, statuses: [] });
  await w.settle();
  const answers = s.peer.all('StatusUpdate').map((u) => u.update.status);
  assert.deepEqual(answers.map((x) => [x.task_id.value, x.state]).sort(), [['t1', 'TASK_RUNNING'], ['t2', 'TASK_STAGING']]);
  for (const x of answers) {
    assert.equal(x.reason, 'REASON_RECONCILIATION');
    assert.equal(x.source, 'SOURCE_MASTER');
    assert.equal(x.uuid, undefined);
  }
  assert.ok(s.peer.all('StatusUpdate').every((u) => u.pid === ''));
  await w.stop();
});

test('explicit reconciliation answers known tasks with their state and unknown ones by what is known of their agent', async () => {
  const { w, a, s, offer } = await oneOffer({ partitionAware: true });
  launch(s, w.master.pid, offer, [commandTask('t1', offer, 'cpus:1;mem:128')]);
  await w.settle();
  s.peer.clear();
  s.peer.tell(w.master.pid, {
    name: 'ReconcileTasks',
    framework_id: { value: s.id },
    statuses: [
      { task_id: { value: 't1' }, state: 'TASK_RUNNING' },
      { task_id: { value: 'ghost' }, state: 'TASK_RUNNING', agent_id: { value: a.id } },
      { task_id: { value: 'stranger' }, state: 'TASK_RUNNING', agent_id: { value: 'unknown-agent' } },
      { task_id: { value: 'nowhere' }, state: 'TASK_RUNNING' },
    ],
  });
  await w.settle();
  const answers = Object.fromEntries(s.peer.statuses().map((x) => [x.task_id.value, x.state]));
  assert.deepEqual(answers, { t1: 'TASK_STAGING', ghost: 'TASK_GONE', stranger: 'TASK_UNKNOWN', nowhere: 'TASK_UNKNOWN' });
  assert.equal((await w.metrics())['master/messages_reconcile_tasks'], 1);
  await w.stop();
});

test('framework messages travel through the master both ways, and a lost executor is reported', async () => {
  const { w, a, s } = await oneOffer();
  const data = new Uint8Array([1, 2, 3]);
  s.peer.tell(w.master.pid, { name: 'FrameworkToExecutor', agent_id: { value: a.id }, framework_id: { value: s.id }, executor_id: { value: 'e1' }, data });
  a.peer.tell(w.master.pid, { name: 'ExecutorToFramework', agent_id: { value: a.id }, framework_id: { value: s.id }, executor_id: { value: 'e1' }, data });
  a.peer.tell(w.master.pid, { name: 'ExitedExecutor', agent_id: { value: a.id }, framework_id: { value: s.id }, executor_id: { value: 'e1' }, status: 256 });
  await w.settle();
  assert.deepEqual([...a.peer.last('FrameworkToExecutor')!.data], [1, 2, 3]);
  assert.deepEqual([...s.peer.last('ExecutorToFramework')!.data], [1, 2, 3]);
  assert.equal(s.peer.last('ExitedExecutor')!.status, 256);
  await w.stop();
});

test('offers time out and are rescinded when offerTimeoutMs is set', async () => {
  const w = await World.start({ offerTimeoutMs: 5000 });
  await w.agent();
  const s = await w.scheduler();
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  await w.pass(5000);
  assert.equal(s.peer.last('RescindResourceOffer')?.offer_id.value, offer.id.value);
  await w.stop();
});

// The DRF example of Mesos's documentation: one agent with 9 CPUs and 18 GB; framework A runs
// <1 CPU, 4 GB> tasks and B <3 CPUs, 1 GB>. Each launches one task per offer and declines the
// rest with refuse_seconds 0. Dominant Resource Fairness equalises dominant shares: A gets 3
// tasks (2/3 of the memory), B gets 2 (2/3 of the CPUs).
test('DRF divides one agent between a memory-heavy and a CPU-heavy framework: 3 tasks for A, 2 for B', async () => {
  const w = await World.start();
  const behave = (entry: { s: SchedulerStub; need: Resources; launched: number }): void => {
    entry.s.peer.onMessage = (msg) => {
      if (msg.name !== 'ResourceOffers') return;
      for (const offer of (msg as MessageOf<'ResourceOffers'>).offers) {
        const available = Resources.fromJSON(offer.resources).unallocate();
        const tasks = available.contains(entry.need) ? [commandTask(`${entry.s.info.name}-${++entry.launched}`, offer, entry.need.toString())] : [];
        entry.s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: entry.s.id }, offer_ids: [offer.id], tasks, filters: { refuse_seconds: 0 } });
      }
    };
  };
  // Both register before the agent, so neither gets a head start.
  for (const [name, need] of [['A', 'cpus:1;mem:4096'], ['B', 'cpus:3;mem:1024']] as const) {
    const s = await w.scheduler({ name });
    behave({ s, need: Resources.parse(need), launched: 0 });
  }
  await w.agent('cpus:9;mem:18432');
  await w.pass(20_000);
  const state = await w.state();
  const running = Object.fromEntries(state.frameworks.map((f: any) => [f.name, f.tasks.length]));
  assert.deepEqual(running, { A: 3, B: 2 });
  const m = await w.metrics();
  assert.equal(m['master/tasks_staging'], 5);
  assert.equal(m['master/cpus_used'], 9);
  assert.equal(m['master/mem_used'], 14336);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});
