import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../../runtime/index.js';
import { validateMessage, type ExecutorInfo, type FrameworkInfo, type TaskInfo, type TaskStatus } from '../../protocol/index.js';
import { MesosExecutorDriver, type Executor } from '../../executor/index.js';
import { AGENT_INFO, cluster, Peer, recordingExecutor, type Cluster } from '../fixtures/driver-fakes.js';

const FW = { value: 'm1-0000' };
const AGENT = { value: 'm1-S0' };
const EXECUTOR_INFO: ExecutorInfo = { executor_id: { value: 'e1' }, framework_id: FW, command: { value: 'my-executor' } };
const FRAMEWORK_INFO: FrameworkInfo = { user: 'tester', name: 'fw', id: FW };

interface Setup {
  c: Cluster;
  agentRt: Runtime;
  execRt: Runtime;
  agent: Peer;
  executor: ReturnType<typeof recordingExecutor>;
  driver: MesosExecutorDriver;
}

async function setup(o: { checkpoint?: boolean; on?: Partial<Executor>; register?: boolean } = {}): Promise<Setup> {
  const c = cluster();
  const agentRt = await c.start();
  const agent = agentRt.spawn(new Peer(), 'agent(1)');
  if (o.register ?? true) {
    agent.reply = (msg, from) => {
      if (msg.name === 'RegisterExecutor' && from) {
        agent.tell(from, { name: 'ExecutorRegistered', executor_info: EXECUTOR_INFO, framework_id: FW, framework_info: FRAMEWORK_INFO, agent_id: AGENT, agent_info: AGENT_INFO });
      }
    };
  }
  const execRt = await c.start();
  const executor = recordingExecutor(o.on);
  // The environment an agent launches an executor with.
  const env = {
    MESOS_FRAMEWORK_ID: FW.value,
    MESOS_EXECUTOR_ID: 'e1',
    MESOS_SLAVE_ID: AGENT.value,
    MESOS_SLAVE_PID: agent.self,
    MESOS_DIRECTORY: '/tmp/sandbox',
    MESOS_CHECKPOINT: o.checkpoint ? '1' : '0',
    MESOS_RECOVERY_TIMEOUT: '15mins',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs',
  };
  const driver = new MesosExecutorDriver(executor, { env, runtime: execRt });
  return { c, agentRt, execRt, agent, executor, driver };
}

async function registered(o: Parameters<typeof setup>[0] = {}): Promise<Setup> {
  const s = await setup(o);
  assert.equal(await s.driver.start(), 'DRIVER_RUNNING');
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered']);
  return s;
}

function task(id: string): TaskInfo {
  return { name: id, task_id: { value: id }, agent_id: AGENT, executor: EXECUTOR_INFO, kill_policy: { grace_period: { nanoseconds: 1e9 } } };
}

function running(id: string): TaskStatus {
  return { task_id: { value: id }, state: 'TASK_RUNNING' };
}

test('the executor driver registers with the agent named in its environment and calls registered', async () => {
  const s = await registered();
  const [reg] = s.agent.named('RegisterExecutor');
  assert.deepEqual(reg, { name: 'RegisterExecutor', framework_id: FW, executor_id: { value: 'e1' } });
  assert.deepEqual(s.executor.events[0]?.args, [EXECUTOR_INFO, FRAMEWORK_INFO, AGENT_INFO]);
  assert.equal(s.driver.config?.recoveryTimeoutMs, 15 * 60_000);
  assert.equal(s.driver.config?.shutdownGracePeriodMs, 5000);
  await s.driver.stop();
  await s.c.stop();
});

test('RunTask, KillTask and FrameworkToExecutor become launchTask, killTask and frameworkMessage', async () => {
  const s = await registered();
  const pid = s.driver.pid!;
  s.agent.tell(pid, { name: 'RunTask', framework: FRAMEWORK_INFO, task: task('t1'), pid: 'scheduler-1@10.0.0.2:1234' });
  s.agent.tell(pid, { name: 'KillTask', framework_id: FW, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 5e8 } } });
  s.agent.tell(pid, { name: 'FrameworkToExecutor', agent_id: AGENT, framework_id: FW, executor_id: { value: 'e1' }, data: new Uint8Array([9]) });
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'launchTask', 'killTask', 'frameworkMessage']);
  assert.deepEqual(s.executor.events[1]?.args, [task('t1')]);
  assert.deepEqual(s.executor.events[2]?.args, [{ value: 't1' }, { grace_period: { nanoseconds: 5e8 } }]);
  await s.driver.stop();
  await s.c.stop();
});

test('a status update gets a fresh uuid, ids and a timestamp, and is kept until the agent acknowledges it', async () => {
  const s = await registered();
  const pid = s.driver.pid!;
  s.agent.tell(pid, { name: 'RunTask', framework: FRAMEWORK_INFO, task: task('t1'), pid: '' });
  await s.c.settle();
  assert.equal(s.driver.sendStatusUpdate(running('t1')), 'DRIVER_RUNNING');
  await s.c.settle();
  const [sent] = s.agent.named('StatusUpdate');
  const update = sent!.update;
  assert.equal(sent!.pid, pid);
  assert.equal(update.uuid?.length, 16);
  assert.deepEqual([...update.status.uuid!], [...update.uuid!], 'status.uuid equals update.uuid');
  assert.deepEqual(update.status.agent_id, AGENT);
  assert.deepEqual(update.status.executor_id, { value: 'e1' });
  assert.equal(update.status.source, 'SOURCE_EXECUTOR');
  assert.equal(update.timestamp, s.c.clock.now() / 1000);

  // A restarted agent that reconnects is told about the unacknowledged update and task.
  s.agent.tell(pid, { name: 'ReconnectExecutor', agent_id: AGENT });
  await s.c.settle();
  const [first] = s.agent.named('ReregisterExecutor');
  assert.equal(first?.updates.length, 1);
  assert.deepEqual(first?.tasks.map((t) => t.task_id.value), ['t1']);

  s.agent.tell(pid, { name: 'StatusUpdateAcknowledgement', agent_id: AGENT, framework_id: FW, task_id: { value: 't1' }, uuid: update.uuid! });
  s.agent.tell(pid, { name: 'ReconnectExecutor', agent_id: AGENT });
  await s.c.settle();
  const second = s.agent.named('ReregisterExecutor')[1];
  assert.deepEqual(second?.updates, [], 'an acknowledged update is forgotten');
  assert.deepEqual(second?.tasks, []);
  await s.driver.stop();
  await s.c.stop();
});

test('ShutdownExecutor calls shutdown, then the driver stops and the agent sees the executor exit', async () => {
  const s = await registered();
  const pid = s.driver.pid!;
  s.agent.watch(pid);
  const joined = s.driver.join();
  s.agent.tell(pid, { name: 'ShutdownExecutor' });
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'shutdown']);
  assert.equal(await joined, 'DRIVER_STOPPED');
  assert.deepEqual(s.agent.exits, [pid]);
  await s.c.stop();
});

test('an executor of a framework that does not checkpoint shuts down when its agent goes away', async () => {
  const s = await registered();
  const joined = s.driver.join();
  await s.agentRt.stop();
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'shutdown']);
  assert.equal(await joined, 'DRIVER_STOPPED');
  await s.c.stop();
});

test('a checkpointing executor waits for its agent to recover it and re-registers with the new agent', async () => {
  const s = await registered({ checkpoint: true });
  const pid = s.driver.pid!;
  s.agent.tell(pid, { name: 'RunTask', framework: FRAMEWORK_INFO, task: task('t1'), pid: '' });
  await s.c.settle();
  s.driver.sendStatusUpdate(running('t1'));
  await s.c.settle();
  const port = Number(s.agentRt.address.split(':')[1]);
  await s.agentRt.stop();
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'launchTask', 'disconnected']);

  s.c.clock.advance(10 * 60_000); // within MESOS_RECOVERY_TIMEOUT
  await s.c.settle();
  const agentRt2 = await Runtime.start({ transport: s.c.network.transport(), clock: s.c.clock, port, validate: (_n, b) => validateMessage(b) });
  s.c.runtimes.push(agentRt2);
  const agent2 = agentRt2.spawn(new Peer(), 'agent(1)');
  agent2.reply = (msg, from) => {
    if (msg.name === 'ReregisterExecutor' && from) agent2.tell(from, { name: 'ExecutorReregistered', agent_id: AGENT, agent_info: AGENT_INFO });
  };
  agent2.tell(pid, { name: 'ReconnectExecutor', agent_id: AGENT });
  await s.c.settle();
  const [rereg] = agent2.named('ReregisterExecutor');
  assert.deepEqual(rereg?.updates.map((u) => u.status.state), ['TASK_RUNNING']);
  assert.deepEqual(s.executor.names(), ['registered', 'launchTask', 'disconnected', 'reregistered']);

  // Reconnected: the old recovery timeout must not fire.
  s.c.clock.advance(10 * 60_000);
  await s.c.settle();
  assert.equal(s.executor.names().includes('shutdown'), false);
  await s.driver.stop();
  await s.c.stop();
});

test('a checkpointing executor shuts down when its agent does not come back within the recovery timeout', async () => {
  const s = await registered({ checkpoint: true });
  await s.agentRt.stop();
  await s.c.settle();
  s.c.clock.advance(15 * 60_000 - 1);
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'disconnected']);
  s.c.clock.advance(1);
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'disconnected', 'shutdown']);
  assert.equal(await s.driver.join(), 'DRIVER_STOPPED');
  await s.c.stop();
});

test('a launchTask that throws becomes error() and DRIVER_ABORTED, not a crash', async () => {
  const s = await registered({
    on: {
      launchTask: () => {
        throw new Error('cannot run this');
      },
    },
  });
  s.agent.tell(s.driver.pid!, { name: 'RunTask', framework: FRAMEWORK_INFO, task: task('t1'), pid: '' });
  s.agent.tell(s.driver.pid!, { name: 'KillTask', framework_id: FW, task_id: { value: 't1' } });
  await s.c.settle();
  assert.deepEqual(s.executor.names(), ['registered', 'launchTask', 'error']);
  assert.match(String(s.executor.events[2]?.args[0]), /launchTask threw: cannot run this/);
  assert.equal(await s.driver.join(), 'DRIVER_ABORTED');
  assert.equal(s.driver.sendStatusUpdate(running('t1')), 'DRIVER_ABORTED');
  await s.driver.stop();
  await s.c.stop();
});

test('sending TASK_STAGING aborts the executor driver', async () => {
  const s = await registered();
  s.driver.sendStatusUpdate({ task_id: { value: 't1' }, state: 'TASK_STAGING' });
  await s.c.settle();
  assert.equal(s.agent.named('StatusUpdate').length, 0);
  assert.deepEqual(s.executor.names(), ['registered', 'error']);
  assert.equal(await s.driver.join(), 'DRIVER_ABORTED');
  await s.driver.stop();
  await s.c.stop();
});

test('an executor driver started without its environment aborts and says what is missing', async () => {
  const executor = recordingExecutor();
  const driver = new MesosExecutorDriver(executor, { env: { MESOS_FRAMEWORK_ID: 'f' } });
  assert.equal(await driver.run(), 'DRIVER_ABORTED');
  assert.deepEqual(executor.names(), ['error']);
  assert.match(String(executor.events[0]?.args[0]), /MESOS_EXECUTOR_ID/);
});

test('explicit options let many executor drivers share one runtime', async () => {
  const s = await setup();
  const other = recordingExecutor();
  const second = new MesosExecutorDriver(other, {
    runtime: s.execRt,
    env: {},
    frameworkId: FW.value,
    executorId: 'e2',
    agentId: AGENT.value,
    agentPid: s.agent.self,
    directory: '/tmp/e2',
  });
  await s.driver.start();
  await second.start();
  await s.c.settle();
  assert.notEqual(s.driver.pid, second.pid);
  assert.match(String(second.pid), /^executor\(\d+\)@/);
  assert.deepEqual(s.agent.named('RegisterExecutor').map((r) => r.executor_id.value), ['e1', 'e2']);
  assert.deepEqual(other.names(), ['registered']);
  await second.stop();
  await s.driver.stop();
  await s.c.stop();
});

