// The Agent actor against stand-ins speaking the real messages, in one process: a master, a
// scheduler, and an executor host whose command executors are actors. In-memory network and
// manual clock; the executor host's process is a real (idle) child process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Runtime, type Message } from '../../runtime/index.js';
import { newUuid, taskStatus, type TaskState, type TaskStatusUpdate } from '../../protocol/index.js';
import { checkpointPaths } from '../../agent/index.js';
import { AGENT_ID, FRAMEWORK, Probe, cluster, commandTask, getJson, registered, validate, type Cluster } from '../fixtures/agent-probe.js';

/** A stand-in executor host: each LaunchExecutor becomes an executor actor that registers (unless told not to). */
async function executorHost(c: Cluster, opts: { registerExecutors?: boolean } = {}): Promise<{ rt: Runtime; host: Probe; executors: Map<string, Probe> }> {
  const rt = await Runtime.start({ transport: c.net.transport(), clock: c.clock, validate });
  c.runtimes.push(rt);
  const host = rt.spawn(new Probe(), 'executor-host');
  const executors = new Map<string, Probe>();
  host.on('LaunchExecutor', (m) => {
    const info = m['executor_info'] as { executor_id: { value: string } };
    const ex = rt.spawn(new Probe(), rt.generateId('executor'));
    executors.set(info.executor_id.value, ex);
    if (opts.registerExecutors ?? true) ex.sendTo(c.agent.pid, { name: 'RegisterExecutor', framework_id: FRAMEWORK.id, executor_id: info.executor_id } as Message);
  });
  host.sendTo(c.agent.pid, { name: 'RegisterExecutorHost', framework_id: FRAMEWORK.id } as Message);
  return { rt, host, executors };
}

function runTask(c: Cluster, task: Record<string, unknown>, schedulerPid = ''): void {
  c.master.sendTo(c.agent.pid, { name: 'RunTask', framework: FRAMEWORK, task, pid: schedulerPid, launch_executor: true } as Message);
}

function sendUpdate(ex: Probe, c: Cluster, taskId: string, state: TaskState, uuid = newUuid()): Uint8Array {
  const timestamp = c.clock.now() / 1000;
  const status = taskStatus({ task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', timestamp, uuid });
  const update: TaskStatusUpdate = { framework_id: FRAMEWORK.id, executor_id: { value: taskId }, agent_id: { value: AGENT_ID }, status, timestamp, uuid };
  ex.sendTo(c.agent.pid, { name: 'StatusUpdate', update, pid: ex.self } as Message);
  return uuid;
}

type Update = { update: TaskStatusUpdate; pid: string };
const updatesFor = (c: Cluster, taskId: string): Update[] => c.master.named<Update>('StatusUpdate').filter((u) => u.update.status.task_id.value === taskId);

function ack(c: Cluster, taskId: string, uuid: Uint8Array): void {
  c.master.sendTo(c.agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, task_id: { value: taskId }, uuid } as Message);
}

async function metrics(c: Cluster): Promise<Record<string, number>> {
  return (await getJson(c, '/metrics/snapshot')).body as Record<string, number>;
}

test('the agent registers with the master, retrying with backoff when the first AgentRegistered is lost', async () => {
  const c = await cluster();
  try {
    c.masterRt.filters.drop({ side: 'send', name: 'AgentRegistered', times: 1 });
    const start = c.clock.now();
    // Attempts are at random times (first within 1 s, the retry within 2 s of it): step
    // from timer to timer and look after each attempt.
    while (c.master.named('RegisterAgent').length < 1) await c.step();
    assert.ok(c.clock.now() - start <= 1000);
    assert.equal(c.agent.agent.status, 'DISCONNECTED');
    assert.equal((await metrics(c))['slave/registered'], 0);
    const first = c.clock.now();
    while (c.master.named('RegisterAgent').length < 2) await c.step();
    assert.ok(c.clock.now() - first <= 2000);
    assert.equal(c.agent.agent.status, 'RUNNING');
    assert.equal(c.agent.agent.id, AGENT_ID);
    const reg = c.master.last<{ agent: { hostname: string; resources: { name: string }[]; attributes: { name: string }[] }; version: string }>('RegisterAgent');
    assert.equal(reg.from, c.agent.pid);
    assert.equal(reg.agent.hostname, 'agent.test');
    assert.deepEqual(reg.agent.resources.map((r) => r.name).sort(), ['cpus', 'disk', 'mem', 'ports']);
    assert.deepEqual(reg.agent.attributes.map((a) => a.name), ['rack', 'level']);
    assert.equal((await metrics(c))['slave/registered'], 1);
    await c.advance(60_000);
    assert.equal(c.master.named('RegisterAgent').length, 2, 'no registration attempts once registered');
  } finally {
    await c.stop();
  }
});

test('with the backoff\'s randomness pinned, registration attempts come exactly at the backoff, then at twice it', async () => {
  // The agent's runtime gets this source (RuntimeOptions.random); the backoff draws from it.
  const c = await cluster({ random: () => 1, autoRegister: false });
  try {
    assert.equal(c.agent.runtime.random(), 1);
    await c.advance(999);
    assert.equal(c.master.named('RegisterAgent').length, 0, 'nothing before the first backoff');
    await c.advance(1);
    assert.equal(c.master.named('RegisterAgent').length, 1);
    await c.advance(1999);
    assert.equal(c.master.named('RegisterAgent').length, 1, 'nothing before twice the backoff');
    await c.advance(1);
    assert.equal(c.master.named('RegisterAgent').length, 2);
    assert.equal(c.agent.agent.status, 'DISCONNECTED');
  } finally {
    await c.stop();
  }
});

test('the agent answers pings with a pong to the pinging pid and re-registers when pings stop or say it is disconnected', async () => {
  const c = await cluster();
  try {
    await registered(c);
    const observer = c.masterRt.spawn(new Probe(), 'slave-observer(1)');
    observer.sendTo(c.agent.pid, { name: 'PingAgent', connected: true } as Message);
    await c.settle();
    assert.equal(observer.named('PongAgent').length, 1);
    await c.advance(70_000);
    observer.sendTo(c.agent.pid, { name: 'PingAgent', connected: true } as Message);
    await c.advance(74_000);
    assert.equal(c.master.named('ReregisterAgent').length, 0, 'each ping restarts the 75 s timeout');
    await c.advance(3000);
    assert.equal(c.master.named('ReregisterAgent').length, 1);
    assert.equal(c.master.last<{ agent: { id: { value: string } } }>('ReregisterAgent').agent.id.value, AGENT_ID);
    assert.equal(c.agent.agent.status, 'RUNNING');
    observer.sendTo(c.agent.pid, { name: 'PingAgent', connected: false } as Message);
    await c.advance(1000);
    assert.equal(c.master.named('ReregisterAgent').length, 2, 'a ping saying disconnected forces re-registration');
    assert.equal(observer.named('PongAgent').length, 3);
  } finally {
    await c.stop();
  }
});

test('messages that claim to come from the master but do not are dropped and counted', async () => {
  const c = await cluster();
  try {
    await registered(c);
    const impostor = c.masterRt.spawn(new Probe(), 'impostor');
    impostor.sendTo(c.agent.pid, { name: 'RunTask', framework: FRAMEWORK, task: commandTask('x'), pid: '' } as Message);
    impostor.sendTo(c.agent.pid, { name: 'Shutdown' } as Message);
    await c.settle();
    assert.equal(c.agent.agent.status, 'RUNNING');
    assert.equal((await metrics(c))['slave/dropped_messages'], 2);
    assert.equal(((await getJson(c, '/state')).body as { frameworks: unknown[] }).frameworks.length, 0);
  } finally {
    await c.stop();
  }
});

test('a command task runs through the executor host; its update is retried until acknowledged and then not again, and a duplicate is dropped', async () => {
  const c = await cluster();
  try {
    await registered(c);
    const scheduler = c.masterRt.spawn(new Probe(), 'scheduler-1');
    runTask(c, commandTask('t1'), scheduler.self);
    await c.settle();
    const { host, executors } = await executorHost(c);
    await c.settle();
    assert.equal(host.named('LaunchExecutor').length, 1);
    const launch = host.last<{ directory: string; executor_info: { executor_id: { value: string }; resources: unknown[] } }>('LaunchExecutor');
    assert.equal(launch.executor_info.executor_id.value, 't1');
    assert.ok(launch.directory.includes(join('frameworks', 'M1-0000', 'executors', 't1', 'runs')));
    const ex = executors.get('t1')!;
    assert.equal(ex.named('ExecutorRegistered').length, 1);
    assert.equal(ex.last<{ task: { task_id: { value: string } }; pid: string }>('RunTask').task.task_id.value, 't1');

    const u1 = sendUpdate(ex, c, 't1', 'TASK_RUNNING');
    await c.settle();
    assert.equal(updatesFor(c, 't1').length, 1);
    const forwarded = updatesFor(c, 't1')[0]!;
    assert.equal(forwarded.pid, c.agent.pid);
    assert.equal(forwarded.update.latest_state, 'TASK_RUNNING');
    assert.equal(forwarded.update.status.source, 'SOURCE_EXECUTOR');
    assert.equal(ex.named('StatusUpdateAcknowledgement').length, 1, 'the executor is acknowledged once the agent has the update');

    sendUpdate(ex, c, 't1', 'TASK_RUNNING', u1);
    await c.settle();
    assert.equal(updatesFor(c, 't1').length, 1, 'a duplicate is not forwarded');
    assert.equal(ex.named('StatusUpdateAcknowledgement').length, 2, 'but is acknowledged again');

    await c.advance(10_000);
    assert.equal(updatesFor(c, 't1').length, 2, 'retried after 10 s');
    await c.advance(19_000);
    assert.equal(updatesFor(c, 't1').length, 2, 'the next retry waits twice as long');
    await c.advance(1000);
    assert.equal(updatesFor(c, 't1').length, 3);
    ack(c, 't1', u1);
    await c.advance(600_000);
    assert.equal(updatesFor(c, 't1').length, 3, 'not retried once acknowledged');

    const m = await metrics(c);
    assert.equal(m['slave/tasks_running'], 1);
    assert.equal(m['slave/executors_running'], 1);
    assert.equal(m['slave/valid_status_updates'], 1);

    const u2 = sendUpdate(ex, c, 't1', 'TASK_FINISHED');
    sendUpdate(ex, c, 't1', 'TASK_FAILED');
    await c.settle();
    assert.equal(updatesFor(c, 't1').length, 4, 'nothing after the terminal update is accepted');
    assert.equal((await metrics(c))['slave/invalid_status_updates'], 1);
    ack(c, 't1', u2);
    c.runtimes[2]!.terminate(ex.self);
    await c.settle();
    const state = (await getJson(c, '/state')).body as { frameworks: unknown[]; completed_frameworks: { id: string; completed_executors: { completed_tasks: { state: string }[] }[] }[] };
    assert.equal(state.frameworks.length, 0);
    assert.equal(state.completed_frameworks[0]?.id, 'M1-0000');
    assert.equal(state.completed_frameworks[0]?.completed_executors[0]?.completed_tasks[0]?.state, 'TASK_FINISHED');
    assert.equal((await metrics(c))['slave/tasks_finished'], 1);
  } finally {
    await c.stop();
  }
});

test('status updates wait while the agent is disconnected and are sent again on re-registration', async () => {
  const c = await cluster();
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    const { executors } = await executorHost(c);
    await c.settle();
    c.net.disconnect(c.masterRt.address, c.agent.address);
    c.masterRt.filters.drop({ side: 'send', name: /AgentReregistered/ });
    await c.settle();
    assert.equal(c.agent.agent.status, 'DISCONNECTED');
    sendUpdate(executors.get('t1')!, c, 't1', 'TASK_RUNNING');
    await c.advance(30_000);
    assert.equal(updatesFor(c, 't1').length, 0, 'nothing is sent while disconnected');
    assert.ok(c.master.named('ReregisterAgent').length >= 1);
    c.masterRt.filters.clear();
    while ((c.agent.agent.status as string) !== 'RUNNING') await c.step();
    assert.equal(updatesFor(c, 't1').length, 1, 'flushed on re-registration');
    const rereg = c.master.last<{ tasks: { task_id: { value: string }; state: string }[] }>('ReregisterAgent');
    assert.deepEqual(rereg.tasks.map((t) => [t.task_id.value, t.state]), [['t1', 'TASK_RUNNING']]);
  } finally {
    await c.stop();
  }
});

test('a task killed before its executor registers ends TASK_KILLED with REASON_TASK_KILLED_DURING_LAUNCH', async () => {
  const c = await cluster();
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    const { executors } = await executorHost(c, { registerExecutors: false });
    await c.settle();
    c.master.sendTo(c.agent.pid, { name: 'KillTask', framework_id: FRAMEWORK.id, task_id: { value: 't1' } } as Message);
    await c.settle();
    const u = updatesFor(c, 't1');
    assert.equal(u.length, 1);
    assert.equal(u[0]!.update.status.state, 'TASK_KILLED');
    assert.equal(u[0]!.update.status.reason, 'REASON_TASK_KILLED_DURING_LAUNCH');
    assert.equal(u[0]!.update.status.source, 'SOURCE_AGENT');
    assert.ok(u[0]!.update.uuid, 'agent-generated updates are reliable');
    // The executor that registers late has nothing to run: it is told to shut down.
    const ex = executors.get('t1')!;
    ex.sendTo(c.agent.pid, { name: 'RegisterExecutor', framework_id: FRAMEWORK.id, executor_id: { value: 't1' } } as Message);
    await c.settle();
    assert.equal(ex.named('ShutdownExecutor').length, 1);
  } finally {
    await c.stop();
  }
});

test('a kill of a running task is forwarded to its executor', async () => {
  const c = await cluster();
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    const { executors } = await executorHost(c);
    await c.settle();
    c.master.sendTo(c.agent.pid, { name: 'KillTask', framework_id: FRAMEWORK.id, task_id: { value: 't1' } } as Message);
    await c.settle();
    assert.equal(executors.get('t1')!.named('KillTask').length, 1);
    assert.equal(updatesFor(c, 't1').length, 0);
  } finally {
    await c.stop();
  }
});

test('an executor that does not register in time fails its tasks with REASON_EXECUTOR_REGISTRATION_TIMEOUT', async () => {
  const c = await cluster({ executorRegistrationTimeoutMs: 30_000 });
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    await executorHost(c, { registerExecutors: false });
    await c.advance(29_000);
    assert.equal(updatesFor(c, 't1').length, 0);
    await c.advance(1000);
    const u = updatesFor(c, 't1');
    assert.equal(u.length, 1);
    assert.equal(u[0]!.update.status.state, 'TASK_FAILED');
    assert.equal(u[0]!.update.status.reason, 'REASON_EXECUTOR_REGISTRATION_TIMEOUT');
    assert.equal(c.master.named('ExitedExecutor').length, 0, 'command executors are not reported to the master');
  } finally {
    await c.stop();
  }
});

test('a command executor that terminates fails its unfinished task with REASON_EXECUTOR_TERMINATED', async () => {
  const c = await cluster();
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    const { rt, executors } = await executorHost(c);
    await c.settle();
    const ex = executors.get('t1')!;
    const u1 = sendUpdate(ex, c, 't1', 'TASK_RUNNING');
    await c.settle();
    ack(c, 't1', u1);
    rt.terminate(ex.self);
    await c.settle();
    const u = updatesFor(c, 't1');
    assert.equal(u.length, 2);
    assert.equal(u[1]!.update.status.state, 'TASK_FAILED');
    assert.equal(u[1]!.update.status.reason, 'REASON_EXECUTOR_TERMINATED');
    assert.equal((await metrics(c))['slave/executors_terminated'], 1);
  } finally {
    await c.stop();
  }
});

test('a checkpointing framework\'s executor loses its checkpoint directory once it has terminated and its updates are acknowledged', async () => {
  const c = await cluster();
  try {
    await registered(c);
    const framework = { ...FRAMEWORK, checkpoint: true };
    c.master.sendTo(c.agent.pid, { name: 'RunTask', framework, task: commandTask('t1'), pid: '', launch_executor: true } as Message);
    await c.settle();
    const { rt, executors } = await executorHost(c);
    await c.settle();
    const ex = executors.get('t1')!;
    const uuid = sendUpdate(ex, c, 't1', 'TASK_FINISHED');
    await c.settle();
    rt.terminate(ex.self);
    await c.settle();
    const frameworkRef = { agentId: AGENT_ID, frameworkId: FRAMEWORK.id.value };
    const executorDir = checkpointPaths.executorDir(c.workDir, { ...frameworkRef, executorId: 't1' });
    await access(executorDir);
    assert.equal(updatesFor(c, 't1').length, 1);
    ack(c, 't1', uuid);
    await c.settle();
    await assert.rejects(access(executorDir), { code: 'ENOENT' }, 'garbage-collected once nothing of it is left to recover');
    await access(join(checkpointPaths.frameworkDir(c.workDir, frameworkRef), 'framework.info'));
  } finally {
    await c.stop();
  }
});

test('when the executor host dies, every command executor it ran is terminated', async () => {
  const c = await cluster();
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    runTask(c, commandTask('t2'));
    await c.settle();
    const { rt } = await executorHost(c);
    await c.settle();
    await rt.stop();
    await c.settle();
    // A lost connection alone is not a death while the host's process runs: its end is.
    assert.deepEqual(c.master.named('StatusUpdate'), []);
    await c.agent.containerizer.containers().find((k) => k.containerId.startsWith('host-'))!.kill(0);
    await c.settle();
    const failed = c.master.named<Update>('StatusUpdate').map((u) => [u.update.status.task_id.value, u.update.status.state, u.update.status.reason]);
    assert.deepEqual(failed.sort(), [['t1', 'TASK_FAILED', 'REASON_EXECUTOR_TERMINATED'], ['t2', 'TASK_FAILED', 'REASON_EXECUTOR_TERMINATED']]);
  } finally {
    await c.stop();
  }
});

test('ShutdownFramework tells its executors and executor host to shut down, and no update follows', async () => {
  const c = await cluster({ executorShutdownGracePeriodMs: 5000 });
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    const { rt, host, executors } = await executorHost(c);
    await c.settle();
    const ex = executors.get('t1')!;
    c.master.sendTo(c.agent.pid, { name: 'ShutdownFramework', framework_id: FRAMEWORK.id } as Message);
    await c.settle();
    assert.equal(ex.named('ShutdownExecutor').length, 1);
    assert.equal(host.named('ShutdownExecutorHost').length, 1);
    rt.terminate(ex.self);
    await c.advance(5000);
    assert.equal(updatesFor(c, 't1').length, 0, 'a framework being shut down gets no updates');
    const state = (await getJson(c, '/state')).body as { frameworks: unknown[]; completed_frameworks: { id: string }[] };
    assert.equal(state.frameworks.length, 0);
    assert.deepEqual(state.completed_frameworks.map((f) => f.id), ['M1-0000']);
    // A late task of the framework... is accepted again as a new run of the framework.
  } finally {
    await c.stop();
  }
});

test('framework messages are relayed between scheduler and executor', async () => {
  const c = await cluster();
  try {
    await registered(c);
    const scheduler = c.masterRt.spawn(new Probe(), 'scheduler-1');
    runTask(c, commandTask('t1'), scheduler.self);
    await c.settle();
    const { executors } = await executorHost(c);
    await c.settle();
    const ex = executors.get('t1')!;
    const data = new Uint8Array([1, 2, 3]);
    scheduler.sendTo(c.agent.pid, { name: 'FrameworkToExecutor', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, executor_id: { value: 't1' }, data } as Message);
    ex.sendTo(c.agent.pid, { name: 'ExecutorToFramework', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, executor_id: { value: 't1' }, data } as Message);
    scheduler.sendTo(c.agent.pid, { name: 'FrameworkToExecutor', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, executor_id: { value: 'nope' }, data } as Message);
    await c.settle();
    assert.equal(ex.named('FrameworkToExecutor').length, 1);
    assert.equal(scheduler.named('ExecutorToFramework').length, 1);
    const m = await metrics(c);
    assert.equal(m['slave/valid_framework_messages'], 2);
    assert.equal(m['slave/invalid_framework_messages'], 1);
  } finally {
    await c.stop();
  }
});

test('/state and /slave(1)/state show the agent, its frameworks, executors and tasks in Mesos\'s shape', async () => {
  const c = await cluster({ flags: { work_dir: '/tmp/x', port: '5051' } });
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    runTask(c, commandTask('t2'));
    await c.settle();
    const { executors } = await executorHost(c);
    await c.settle();
    sendUpdate(executors.get('t1')!, c, 't1', 'TASK_RUNNING');
    await c.settle();
    const res = await getJson(c, '/state');
    assert.equal(res.status, 200);
    const s = res.body as Record<string, any>;
    assert.equal(s['id'], AGENT_ID);
    assert.equal(s['pid'], c.agent.pid);
    assert.match(String(s['pid']), /^slave\(1\)@/);
    assert.equal(s['hostname'], 'agent.test');
    assert.deepEqual(s['resources'], { cpus: 2, gpus: 0, mem: 1024, disk: 2048, ports: '[31000-31009]' });
    assert.deepEqual(s['attributes'], { rack: 'r1', level: 3 });
    assert.deepEqual(s['flags'], { work_dir: '/tmp/x', port: '5051' });
    assert.deepEqual(s['completed_frameworks'], []);
    const fw = s['frameworks'][0];
    assert.equal(fw.id, 'M1-0000');
    assert.equal(fw.role, '*');
    const byId = Object.fromEntries(fw.executors.map((e: any) => [e.id, e]));
    assert.equal(byId['t1'].tasks[0].state, 'TASK_RUNNING');
    assert.equal(byId['t1'].tasks[0].executor_id, '', 'command tasks have no executor id, as in Mesos');
    assert.equal(byId['t1'].tasks[0].resources.cpus, 0.5);
    assert.equal(byId['t2'].tasks[0].state, 'TASK_STAGING');
    assert.match(byId['t1'].directory, /executors\/t1\/runs\//);
    assert.deepEqual((await getJson(c, '/slave(1)/state')).body, res.body);
    assert.deepEqual((await getJson(c, '/flags')).body, { flags: { work_dir: '/tmp/x', port: '5051' } });
    const jsonp = await c.agent.runtime.http({ method: 'GET', path: '/state', query: new URLSearchParams('jsonp=cb'), headers: {}, body: new Uint8Array() });
    assert.match(String(jsonp.body), /^cb\(\{/);
    assert.equal((await getJson(c, '/slave(1)/health')).status, 200);
    assert.equal((await getJson(c, '/nothing/here')).status, 404);
    const m = await metrics(c);
    assert.equal(m['slave/cpus_total'], 2);
    assert.equal(m['slave/tasks_staging'], 1);
    assert.ok(Math.abs(m['slave/cpus_used']! - 1.2) < 1e-9, 'two tasks of 0.5 cpu and two command executors of 0.1');
  } finally {
    await c.stop();
  }
});

test('/files serves an executor sandbox under its directory and under /frameworks/…/runs/latest, and refuses bad requests', async () => {
  const c = await cluster();
  try {
    await registered(c);
    runTask(c, commandTask('t1'));
    await c.settle();
    const s = (await getJson(c, '/state')).body as { frameworks: { executors: { directory: string }[] }[] };
    const dir = s.frameworks[0]!.executors[0]!.directory;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'stdout'), 'hello from the task\n');
    const latest = '/frameworks/M1-0000/executors/t1/runs/latest';
    const listed = (await getJson(c, `/files/browse?path=${encodeURIComponent(latest)}`)).body as { path: string; size: number }[];
    assert.deepEqual(listed.map((f) => [f.path, f.size]), [[`${latest}/stdout`, 20]]);
    const byDir = (await getJson(c, `/files/browse?path=${encodeURIComponent(dir)}`)).body as { path: string }[];
    assert.deepEqual(byDir.map((f) => f.path), [`${dir}/stdout`]);
    assert.deepEqual((await getJson(c, `/files/read?path=${encodeURIComponent(latest + '/stdout')}&offset=0`)).body, { data: 'hello from the task\n', offset: 0 });
    assert.deepEqual((await getJson(c, `/slave(1)/files/read?path=${encodeURIComponent(latest + '/stdout')}&offset=-1`)).body, { data: '', offset: 20 });
    const dl = await c.agent.runtime.http({ method: 'GET', path: '/files/download', query: new URLSearchParams({ path: `${latest}/stdout` }), headers: {}, body: new Uint8Array() });
    assert.equal(dl.status, 200);
    assert.ok(dl.stream);
    dl.stream.destroy();
    assert.equal((await getJson(c, '/files/browse')).status, 400);
    assert.equal((await getJson(c, `/files/read?path=${encodeURIComponent(latest + '/stdout')}&offset=abc`)).status, 400);
    assert.equal((await getJson(c, `/files/browse?path=${encodeURIComponent(latest + '/../../..')}`)).status, 400);
    assert.equal((await getJson(c, '/files/browse?path=/etc')).status, 404);
  } finally {
    await c.stop();
  }
});

test('a master Shutdown makes the agent terminate and forget its identity', async () => {
  const c = await cluster();
  try {
    await registered(c);
    c.master.sendTo(c.agent.pid, { name: 'Shutdown', message: 'machine is down' } as Message);
    await c.settle();
    assert.match(await c.agent.terminated, /shut down by the master: machine is down/);
  } finally {
    await c.stop();
  }
});

