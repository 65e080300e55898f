// Task outcomes a framework sees from a master and an agent that are real OS processes: a
// command that fails, a task that is killed, launches the master refuses, and the answers of
// implicit and explicit reconciliation for frameworks with and without PARTITION_AWARE.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil, type AgentProcess, type StateTask } from '../fixtures/e2e-cluster.js';
import type { TaskStatus } from '../../protocol/index.js';

/** What a user reads in a status update, without timestamps and uuids. */
const seen = (s: TaskStatus): Record<string, unknown> => ({
  task: s.task_id.value,
  state: s.state,
  source: s.source,
  reason: s.reason,
  message: s.message,
});

describe('task outcomes on a cluster of OS processes', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let fw: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048;disk:1024'] });
    agent = cluster.agents[0]!;
    fw = new RecordingScheduler(cluster.master.address, { name: 'outcomes' });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    const left = await cluster?.stop();
    assert.deepEqual(left, [], 'no executor or task outlives the cluster');
  });

  /** A task of `fw` as the master's /state shows it (active or completed), once it is in `state`. */
  const masterTask = (id: string, state: string): Promise<StateTask> =>
    waitUntil(`task ${id} in ${state} in the master's /state`, async () => {
      const f = (await cluster.masterState()).frameworks.find((x) => x.id === fw.frameworkId);
      return [...(f?.tasks ?? []), ...(f?.completed_tasks ?? [])].find((t) => t.id === id && t.state === state);
    });

  it('a command that exits 3 ends TASK_FAILED with "Command exited with status 3", and its stderr is in the sandbox', async () => {
    const before = await cluster.metrics();
    await fw.launch((offer) => [commandTask('fails', offer, 'echo "about to fail" >&2; exit 3')]);
    const failed = await fw.status('fails', 'TASK_FAILED');
    assert.deepEqual(fw.statusesOf('fails').map(seen), [
      { task: 'fails', state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR', reason: undefined, message: undefined },
      { task: 'fails', state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', reason: undefined, message: undefined },
      { task: 'fails', state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: undefined, message: 'Command exited with status 3' },
    ]);
    assert.equal(failed.agent_id?.value, agent.id);

    const task = await masterTask('fails', 'TASK_FAILED');
    assert.deepEqual(task.statuses.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
    const after = await cluster.metrics();
    assert.equal(after['master/tasks_failed']! - before['master/tasks_failed']!, 1);

    // A command task's executor has the task's id; its sandbox keeps what the command wrote.
    const state = await cluster.agentState(agent);
    const executor = [...state.frameworks, ...state.completed_frameworks].flatMap((f) => [...f.executors, ...f.completed_executors]).find((e) => e.id === 'fails');
    assert.ok(executor);
    assert.equal(await cluster.readFile(agent, `${executor.directory}/stderr`), 'about to fail\n');
  });

  it('killTask ends a running task TASK_KILLED', async () => {
    const before = await cluster.metrics();
    await fw.launch((offer) => [commandTask('sleeper', offer, 'sleep 60')]);
    await fw.status('sleeper', 'TASK_RUNNING');
    fw.driver.killTask({ value: 'sleeper' });
    const killed = await fw.status('sleeper', 'TASK_KILLED');
    assert.equal(killed.source, 'SOURCE_EXECUTOR');
    assert.equal(killed.message, 'Command terminated with signal SIGTERM');
    await masterTask('sleeper', 'TASK_KILLED');
    const after = await cluster.metrics();
    assert.equal(after['master/tasks_killed']! - before['master/tasks_killed']!, 1);
  });

  it('a task reusing a task id and one asking for more than the offer holds get TASK_ERROR with REASON_TASK_INVALID', async () => {
    const before = await cluster.metrics();
    await fw.launch((offer) => [
      commandTask('twin', offer, 'sleep 60'),
      commandTask('twin', offer, 'echo the other twin'),
      commandTask('greedy', offer, 'true', 'cpus:100;mem:32'),
    ]);
    await fw.status('twin', 'TASK_RUNNING');
    const twin = await fw.status('twin', 'TASK_ERROR');
    const greedy = await fw.status('greedy', 'TASK_ERROR');
    assert.deepEqual(seen(twin), {
      task: 'twin',
      state: 'TASK_ERROR',
      source: 'SOURCE_MASTER',
      reason: 'REASON_TASK_INVALID',
      message: "Task ID 'twin' is already in use by another task of this framework",
    });
    assert.deepEqual({ ...seen(greedy), message: undefined }, { task: 'greedy', state: 'TASK_ERROR', source: 'SOURCE_MASTER', reason: 'REASON_TASK_INVALID', message: undefined });
    assert.match(greedy.message ?? '', /^Task uses cpus:100; ?mem:32, more than the offers have left: /);
    // The master made these up: they carry no uuid, so nothing acknowledges them.
    assert.equal(twin.uuid, undefined);
    assert.equal(greedy.uuid, undefined);

    // The first 'twin' runs; the refused tasks never reached the master's books.
    const f = (await cluster.masterState()).frameworks.find((x) => x.id === fw.frameworkId)!;
    assert.deepEqual(f.tasks.filter((t) => t.id === 'twin').map((t) => t.state), ['TASK_RUNNING']);
    assert.equal([...f.tasks, ...f.completed_tasks].some((t) => t.id === 'greedy'), false);
    const after = await cluster.metrics();
    assert.equal(after['master/tasks_error']! - before['master/tasks_error']!, 2);
    assert.equal((after['master/task_error/source_master/reason_task_invalid'] ?? 0) - (before['master/task_error/source_master/reason_task_invalid'] ?? 0), 2);
  });

  it('implicit reconciliation answers each task the master still has with its latest state, and nothing for acknowledged finished ones', async () => {
    await fw.launch((offer) => [commandTask('done', offer, 'true'), commandTask('steady', offer, 'sleep 60')]);
    await fw.status('steady', 'TASK_RUNNING');
    await fw.status('done', 'TASK_FINISHED');
    // The finished task leaves the master's active tasks once its update is acknowledged.
    await waitUntil('task done to complete in the master', async () => {
      const f = (await cluster.masterState()).frameworks.find((x) => x.id === fw.frameworkId);
      return f?.completed_tasks.some((t) => t.id === 'done') && !f.tasks.some((t) => t.id === 'done');
    });

    const since = fw.mark();
    fw.driver.reconcileTasks([]);
    // Answers come in order over one connection: once a probe's answer is in, all of them are.
    fw.driver.reconcileTasks([{ task_id: { value: 'probe' }, state: 'TASK_STAGING' }]);
    await fw.status('probe', 'TASK_LOST', { since });
    const answers = fw.events.slice(since).flatMap((e) => (e.type === 'status' && e.status.task_id.value !== 'probe' ? [e.status] : []));
    assert.deepEqual(answers.map(seen).sort((a, b) => String(a['task']).localeCompare(String(b['task']))), [
      { task: 'steady', state: 'TASK_RUNNING', source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', message: 'Reconciliation: latest task status' },
      { task: 'twin', state: 'TASK_RUNNING', source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION', message: 'Reconciliation: latest task status' },
    ]);
    assert.ok(answers.every((s) => s.uuid === undefined && s.agent_id?.value === agent.id));
  });

  it('explicit reconciliation: a known task gets its state, an unknown one TASK_LOST (TASK_GONE or TASK_UNKNOWN when partition-aware)', async () => {
    let since = fw.mark();
    fw.driver.reconcileTasks([
      { task_id: { value: 'steady' }, state: 'TASK_STAGING' },
      { task_id: { value: 'fails' }, state: 'TASK_STAGING', agent_id: { value: agent.id } },
      { task_id: { value: 'ghost' }, state: 'TASK_STAGING', agent_id: { value: agent.id } },
      { task_id: { value: 'nowhere' }, state: 'TASK_STAGING' },
    ]);
    const steady = await fw.status('steady', 'TASK_RUNNING', { since });
    assert.deepEqual([steady.source, steady.reason], ['SOURCE_MASTER', 'REASON_RECONCILIATION']);
    // A task completed and acknowledged is unknown to the master, like one it never had.
    for (const id of ['fails', 'ghost', 'nowhere']) {
      const s = await fw.status(id, 'TASK_LOST', { since });
      assert.deepEqual([s.source, s.reason], ['SOURCE_MASTER', 'REASON_RECONCILIATION'], id);
    }
    assert.equal((await fw.status('ghost', 'TASK_LOST', { since })).message, 'Reconciliation: task is unknown to the agent');

    const aware = new RecordingScheduler(cluster.master.address, { name: 'partition-aware', capabilities: [{ type: 'PARTITION_AWARE' }] });
    try {
      await aware.start();
      since = aware.mark();
      aware.driver.reconcileTasks([
        { task_id: { value: 'ghost' }, state: 'TASK_STAGING', agent_id: { value: agent.id } },
        { task_id: { value: 'nowhere' }, state: 'TASK_STAGING' },
        { task_id: { value: 'elsewhere' }, state: 'TASK_STAGING', agent_id: { value: 'no-such-agent' } },
      ]);
      const gone = await aware.status('ghost', 'TASK_GONE', { since });
      assert.deepEqual([gone.source, gone.reason, gone.agent_id?.value], ['SOURCE_MASTER', 'REASON_RECONCILIATION', agent.id]);
      assert.equal((await aware.status('nowhere', 'TASK_UNKNOWN', { since })).reason, 'REASON_RECONCILIATION');
      assert.equal((await aware.status('elsewhere', 'TASK_UNKNOWN', { since })).reason, 'REASON_RECONCILIATION');
    } finally {
      await aware.stop();
    }
  });
});
