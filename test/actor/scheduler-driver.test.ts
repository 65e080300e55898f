import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pid, Runtime } from '../../runtime/index.js';
import { newUuid, type FrameworkInfo, type MessageOf, type Offer, type TaskInfo, type TaskStatus } from '../../protocol/index.js';
import { MesosSchedulerDriver, type Scheduler, type SchedulerDriverOptions } from '../../scheduler-driver/index.js';
import { cluster, MASTER_INFO, Peer, recordingScheduler, type Cluster } from '../fixtures/driver-fakes.js';

const FW = { value: 'm1-0000' };
const AGENT = { value: 'm1-S0' };

interface Setup {
  c: Cluster;
  masterRt: Runtime;
  schedRt: Runtime;
  master: Peer;
  scheduler: ReturnType<typeof recordingScheduler>;
  driver: MesosSchedulerDriver;
}

/** A fake master that answers registrations (unless told not to), and a driver pointed at it. */
async function setup(
  o: { framework?: Partial<FrameworkInfo>; options?: SchedulerDriverOptions; on?: Partial<Scheduler>; answer?: boolean } = {},
): Promise<Setup> {
  const c = cluster();
  const masterRt = await c.start();
  const master = masterRt.spawn(new Peer(), 'master');
  if (o.answer ?? true) master.reply = registrar(master);
  const schedRt = await c.start();
  const scheduler = recordingScheduler(o.on);
  const driver = new MesosSchedulerDriver(scheduler, { user: 'tester', name: 'test framework', ...o.framework }, masterRt.address, {
    runtime: schedRt,
    ...o.options,
  });
  return { c, masterRt, schedRt, master, scheduler, driver };
}

function registrar(master: Peer): Peer['reply'] {
  return (msg, from) => {
    if (msg.name === 'RegisterFramework' && from) master.tell(from, { name: 'FrameworkRegistered', framework_id: FW, master_info: MASTER_INFO });
    if (msg.name === 'ReregisterFramework' && from) {
      const name = msg.failover ? 'FrameworkRegistered' : 'FrameworkReregistered';
      master.tell(from, { name, framework_id: msg.framework.id ?? FW, master_info: MASTER_INFO });
    }
  };
}

async function registered(): Promise<Setup> {
  const s = await setup();
  assert.equal(await s.driver.start(), 'DRIVER_RUNNING');
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered']);
  return s;
}

function offer(id: string): Offer {
  return { id: { value: id }, framework_id: FW, agent_id: AGENT, hostname: 'agent1', resources: [], attributes: [], executor_ids: [] };
}

function task(id: string): TaskInfo {
  return { name: id, task_id: { value: id }, agent_id: AGENT, command: { value: 'true' } };
}

function update(taskId: string, o: { uuid?: Uint8Array; pid?: string } = {}): MessageOf<'StatusUpdate'> {
  const status: TaskStatus = { task_id: { value: taskId }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', agent_id: AGENT };
  if (o.uuid) status.uuid = o.uuid;
  return {
    name: 'StatusUpdate',
    update: { framework_id: FW, agent_id: AGENT, status, timestamp: 1, ...(o.uuid ? { uuid: o.uuid } : {}) },
    ...(o.pid !== undefined ? { pid: o.pid } : {}),
  };
}

test('the driver registers the framework and calls registered with the id the master assigned', async () => {
  const s = await registered();
  const [reg] = s.master.named('RegisterFramework');
  assert.equal(reg?.framework.name, 'test framework');
  assert.equal(reg?.framework.id, undefined);
  assert.ok(reg?.framework.hostname, 'the driver fills in the hostname');
  assert.deepEqual(s.scheduler.events[0]?.args, [FW, MASTER_INFO]);
  assert.equal(s.driver.connected, true);
  assert.equal(await s.driver.stop(), 'DRIVER_STOPPED');
  await s.c.settle();
  assert.equal(s.master.named('UnregisterFramework').length, 1, 'stop() without failover tears the framework down');
  await s.c.stop();
});

test('the driver retries registration after a random wait that doubles while FrameworkRegistered is lost', async () => {
  const s = await setup({ options: { random: () => 0.5 } });
  const dropped = s.schedRt.filters.drop({ side: 'receive', name: 'FrameworkRegistered' });
  await s.driver.start();
  await s.c.settle();
  const attempts = () => s.master.named('RegisterFramework').length;
  assert.equal(attempts(), 1, 'the first attempt is immediate');
  // b = 2 s, then 4 s, then 8 s; the wait is random·b, pinned here to b/2.
  for (const [wait, expected] of [[1000, 2], [2000, 3], [4000, 4]] as const) {
    s.c.clock.advance(wait - 1);
    await s.c.settle();
    assert.equal(attempts(), expected - 1, `no retry before ${wait} ms`);
    s.c.clock.advance(1);
    await s.c.settle();
    assert.equal(attempts(), expected, `a retry after ${wait} ms`);
  }
  assert.deepEqual(s.scheduler.names(), []);
  s.schedRt.filters.remove(dropped);
  s.c.clock.advance(8000);
  await s.c.settle();
  assert.equal(attempts(), 5);
  assert.deepEqual(s.scheduler.names(), ['registered']);
  // Registered: no more retries.
  s.c.clock.advance(600_000);
  await s.c.settle();
  assert.equal(attempts(), 5);
  await s.driver.stop();
  await s.c.stop();
});

test('the registration backoff is capped at a tenth of the failover timeout', async () => {
  const s = await setup({ framework: { failover_timeout: 10 }, options: { random: () => 0.999 }, answer: false });
  await s.driver.start();
  await s.c.settle();
  for (let i = 0; i < 5; i++) {
    s.c.clock.advance(1000);
    await s.c.settle();
  }
  // 2 s would be the first bound; capped at 1 s, every retry comes within a second.
  assert.equal(s.master.named('RegisterFramework').length, 6);
  await s.driver.stop();
  await s.c.stop();
});

test('a scheduler that already has a framework id re-registers as a failover and gets registered', async () => {
  const s = await setup({ framework: { id: FW } });
  await s.driver.start();
  await s.c.settle();
  assert.equal(s.master.named('RegisterFramework').length, 0);
  const [rereg] = s.master.named('ReregisterFramework');
  assert.equal(rereg?.failover, true);
  assert.deepEqual(rereg?.framework.id, FW);
  assert.deepEqual(s.scheduler.names(), ['registered']);
  assert.equal(await s.driver.stop(true), 'DRIVER_STOPPED');
  await s.c.settle();
  assert.equal(s.master.named('UnregisterFramework').length, 0, 'stop(failover) leaves the framework to fail over');
  await s.c.stop();
});

test('the driver calls disconnected when the master link breaks and re-registers without failover', async () => {
  const s = await registered();
  s.c.network.disconnect(s.schedRt.address, s.masterRt.address);
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'disconnected', 'reregistered']);
  const [rereg] = s.master.named('ReregisterFramework');
  assert.equal(rereg?.failover, false, 'only the first registration after a scheduler failover forces');
  assert.deepEqual(rereg?.framework.id, FW);
  await s.driver.stop();
  await s.c.stop();
});

test('the driver keeps dialing a master that is down, with backoff, and registers with its successor', async () => {
  const s = await registered();
  const address = s.masterRt.address;
  await s.masterRt.stop();
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'disconnected']);
  // Several failed dials while the master is down, each after a backoff.
  for (let i = 0; i < 4; i++) {
    s.c.clock.advance(10_000);
    await s.c.settle();
  }
  const { Runtime } = await import('../../runtime/index.js');
  const { validateMessage } = await import('../../protocol/index.js');
  const port = Number(address.split(':')[1]);
  const next = await Runtime.start({ transport: s.c.network.transport(), clock: s.c.clock, port, validate: (_n, b) => validateMessage(b) });
  s.c.runtimes.push(next);
  const master2 = next.spawn(new Peer(), 'master');
  // A new master knows nothing of the framework: it answers with FrameworkRegistered.
  master2.reply = (msg, from) => {
    if (msg.name === 'ReregisterFramework' && from) master2.tell(from, { name: 'FrameworkRegistered', framework_id: FW, master_info: MASTER_INFO });
  };
  s.c.clock.advance(60_000);
  await s.c.settle();
  // registered again, not reregistered: Mesos's behaviour after a master failover.
  assert.ok(master2.named('ReregisterFramework').length >= 1);
  assert.deepEqual(s.scheduler.names(), ['registered', 'disconnected', 'registered']);
  await s.driver.stop();
  await s.c.stop();
});

test('implicit acknowledgements go out after statusUpdate, only for updates with a uuid and an agent pid', async () => {
  const s = await registered();
  const schedPid = s.driver.pid!;
  const uuid = newUuid();
  s.master.tell(schedPid, update('t1', { uuid, pid: 'agent(1)@10.0.0.1:5051' }));
  s.master.tell(schedPid, update('t2', { uuid: newUuid(), pid: '' })); // master-generated
  s.master.tell(schedPid, update('t3', { pid: 'agent(1)@10.0.0.1:5051' })); // no uuid
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'statusUpdate', 'statusUpdate', 'statusUpdate']);
  const acks = s.master.named('StatusUpdateAcknowledgement');
  assert.equal(acks.length, 1);
  assert.deepEqual(acks[0]?.task_id, { value: 't1' });
  assert.deepEqual([...acks[0]!.uuid], [...uuid]);
  assert.deepEqual(acks[0]?.agent_id, AGENT);
  const t2 = s.scheduler.events[2]?.args[0] as TaskStatus;
  assert.equal(t2.uuid, undefined, 'a master-generated update reaches the scheduler without its uuid');
  await s.driver.stop();
  await s.c.stop();
});

test('with explicit acknowledgements the scheduler acknowledges, and only acknowledgeable updates are sent', async () => {
  const s = await setup({ options: { implicitAcknowledgements: false } });
  await s.driver.start();
  await s.c.settle();
  const schedPid = s.driver.pid!;
  s.master.tell(schedPid, update('t1', { uuid: newUuid(), pid: 'agent(1)@10.0.0.1:5051' }));
  s.master.tell(schedPid, update('t2', { uuid: newUuid(), pid: '' }));
  await s.c.settle();
  assert.equal(s.master.named('StatusUpdateAcknowledgement').length, 0, 'nothing is acknowledged behind the scheduler’s back');
  for (const e of s.scheduler.events.filter((e) => e.cb === 'statusUpdate')) {
    assert.equal(s.driver.acknowledgeStatusUpdate(e.args[0] as TaskStatus), 'DRIVER_RUNNING');
  }
  await s.c.settle();
  const acks = s.master.named('StatusUpdateAcknowledgement');
  assert.deepEqual(acks.map((a) => a.task_id.value), ['t1']);
  await s.driver.stop();
  await s.c.stop();
});

test('acknowledging explicitly while implicit acknowledgements are on aborts the driver with an error', async () => {
  const s = await registered();
  const status: TaskStatus = { task_id: { value: 't1' }, state: 'TASK_RUNNING', uuid: newUuid(), agent_id: AGENT };
  assert.equal(s.driver.acknowledgeStatusUpdate(status), 'DRIVER_ABORTED');
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'error']);
  assert.equal(await s.driver.join(), 'DRIVER_ABORTED');
  await s.driver.stop();
  await s.c.stop();
});

test('launching while disconnected yields a local TASK_LOST with REASON_MASTER_DISCONNECTED and sends nothing', async () => {
  const s = await setup({ answer: false });
  await s.driver.start();
  await s.c.settle();
  assert.equal(s.driver.launchTasks([{ value: 'o1' }], [task('t1'), task('t2')]), 'DRIVER_RUNNING');
  await s.c.settle();
  const statuses = s.scheduler.events.filter((e) => e.cb === 'statusUpdate').map((e) => e.args[0] as TaskStatus);
  assert.deepEqual(
    statuses.map((st) => [st.task_id.value, st.state, st.reason, st.source, st.uuid]),
    [
      ['t1', 'TASK_LOST', 'REASON_MASTER_DISCONNECTED', 'SOURCE_MASTER', undefined],
      ['t2', 'TASK_LOST', 'REASON_MASTER_DISCONNECTED', 'SOURCE_MASTER', undefined],
    ],
  );
  assert.equal(s.master.named('LaunchTasks').length, 0);
  assert.equal(s.master.named('StatusUpdateAcknowledgement').length, 0);
  await s.driver.stop();
  await s.c.stop();
});

test('a partition-aware framework launching while disconnected is told TASK_DROPPED', async () => {
  const s = await setup({ answer: false, framework: { capabilities: [{ type: 'PARTITION_AWARE' }] } });
  await s.driver.start();
  await s.c.settle();
  s.driver.launchTasks([{ value: 'o1' }], [task('t1')]);
  await s.c.settle();
  assert.equal((s.scheduler.events[0]?.args[0] as TaskStatus).state, 'TASK_DROPPED');
  await s.driver.stop();
  await s.c.stop();
});

test('a callback that throws becomes error() and DRIVER_ABORTED, not a crash, and no callback follows', async () => {
  const s = await setup({
    on: {
      resourceOffers: () => {
        throw new Error('bad offer handling');
      },
    },
  });
  await s.driver.start();
  await s.c.settle();
  const joined = s.driver.join();
  const schedPid = s.driver.pid!;
  s.master.tell(schedPid, { name: 'ResourceOffers', offers: [offer('o1')], pids: ['agent(1)@10.0.0.1:5051'] });
  s.master.tell(schedPid, update('t1', { uuid: newUuid(), pid: 'agent(1)@10.0.0.1:5051' }));
  await s.c.settle();
  assert.equal(await joined, 'DRIVER_ABORTED');
  assert.deepEqual(s.scheduler.names(), ['registered', 'resourceOffers', 'error']);
  assert.match(String(s.scheduler.events[2]?.args[0]), /resourceOffers threw: bad offer handling/);
  assert.equal(s.master.named('DeactivateFramework').length, 1, 'abort deactivates the framework');
  assert.equal(s.driver.launchTasks([{ value: 'o1' }], [task('t1')]), 'DRIVER_ABORTED');
  assert.equal(await s.driver.stop(), 'DRIVER_ABORTED');
  await s.c.stop();
});

test('an async callback holds the next one until it resolves, and its acknowledgement waits too', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const s = await setup({ on: { statusUpdate: (_d, st) => (st.task_id.value === 't1' ? gate : undefined) } });
  await s.driver.start();
  await s.c.settle();
  const schedPid = s.driver.pid!;
  s.master.tell(schedPid, update('t1', { uuid: newUuid(), pid: 'agent(1)@10.0.0.1:5051' }));
  s.master.tell(schedPid, { name: 'RescindResourceOffer', offer_id: { value: 'o9' } });
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'statusUpdate']);
  assert.equal(s.master.named('StatusUpdateAcknowledgement').length, 0);
  release();
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'statusUpdate', 'offerRescinded']);
  assert.equal(s.master.named('StatusUpdateAcknowledgement').length, 1);
  await s.driver.stop();
  await s.c.stop();
});

test('FrameworkError aborts the driver before error() is called', async () => {
  let statusInError: string | undefined;
  const s = await setup({
    on: {
      error: (d) => {
        statusInError = d.killTask({ value: 't1' });
      },
    },
  });
  await s.driver.start();
  await s.c.settle();
  s.master.tell(s.driver.pid!, { name: 'FrameworkError', message: 'Framework failed over' });
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'error']);
  assert.deepEqual(s.scheduler.events[1]?.args, ['Framework failed over']);
  assert.equal(statusInError, 'DRIVER_ABORTED');
  assert.equal(await s.driver.join(), 'DRIVER_ABORTED');
  await s.driver.stop();
  await s.c.stop();
});

test('launches go to the master and framework messages go straight to the agent that made the offer', async () => {
  const s = await registered();
  const agentRt = await s.c.start();
  const agent = agentRt.spawn(new Peer(), 'agent(1)');
  s.master.tell(s.driver.pid!, { name: 'ResourceOffers', offers: [offer('o1')], pids: [agent.self] });
  await s.c.settle();
  s.driver.launchTasks([{ value: 'o1' }], [task('t1')], { refuse_seconds: 1 });
  s.driver.sendFrameworkMessage({ value: 'e1' }, AGENT, new Uint8Array([1, 2, 3]));
  await s.c.settle();
  const [launch] = s.master.named('LaunchTasks');
  assert.deepEqual(launch?.offer_ids, [{ value: 'o1' }]);
  assert.deepEqual(launch?.framework_id, FW);
  assert.deepEqual(launch?.filters, { refuse_seconds: 1 });
  const [fm] = agent.named('FrameworkToExecutor');
  assert.deepEqual([...fm!.data], [1, 2, 3]);
  assert.equal(s.master.named('FrameworkToExecutor').length, 0);
  // And the other calls reach the master.
  s.driver.declineOffer({ value: 'o2' });
  s.driver.killTask({ value: 't1' });
  s.driver.suppressOffers();
  s.driver.reviveOffers(['*']);
  s.driver.reconcileTasks([]);
  s.driver.requestResources([]);
  await s.c.settle();
  for (const name of ['Decline', 'KillTask', 'SuppressOffers', 'ReviveOffers', 'ReconcileTasks', 'ResourceRequest'] as const) {
    assert.equal(s.master.named(name).length, 1, name);
  }
  await s.driver.stop();
  await s.c.stop();
});

test('offers, rescinds, lost agents, lost executors and framework messages reach their callbacks in order', async () => {
  const s = await registered();
  const from = s.driver.pid! as Pid;
  s.master.tell(from, { name: 'ResourceOffers', offers: [offer('o1')], pids: ['agent(1)@10.0.0.1:5051'] });
  s.master.tell(from, { name: 'RescindResourceOffer', offer_id: { value: 'o1' } });
  s.master.tell(from, { name: 'ExecutorToFramework', agent_id: AGENT, framework_id: FW, executor_id: { value: 'e1' }, data: new Uint8Array([7]) });
  s.master.tell(from, { name: 'ExitedExecutor', agent_id: AGENT, framework_id: FW, executor_id: { value: 'e1' }, status: 256 });
  s.master.tell(from, { name: 'LostAgent', agent_id: AGENT });
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered', 'resourceOffers', 'offerRescinded', 'frameworkMessage', 'executorLost', 'agentLost']);
  assert.deepEqual(s.scheduler.events[4]?.args, [{ value: 'e1' }, AGENT, 256]);
  await s.driver.stop();
  await s.c.stop();
});

test('messages that claim to come from the master but do not are ignored', async () => {
  const s = await registered();
  const otherRt = await s.c.start();
  const impostor = otherRt.spawn(new Peer(), 'master');
  impostor.tell(s.driver.pid!, { name: 'FrameworkError', message: 'not really' });
  await s.c.settle();
  assert.deepEqual(s.scheduler.names(), ['registered']);
  assert.equal(await s.driver.stop(), 'DRIVER_STOPPED');
  await s.c.stop();
});

test('an unusable master address aborts start() and calls error()', async () => {
  const scheduler = recordingScheduler();
  const driver = new MesosSchedulerDriver(scheduler, { user: 'u', name: 'f' }, 'zk://somewhere/mesos');
  assert.equal(await driver.start(), 'DRIVER_ABORTED');
  assert.deepEqual(scheduler.names(), ['error']);
  assert.equal(await driver.run(), 'DRIVER_ABORTED');
});
