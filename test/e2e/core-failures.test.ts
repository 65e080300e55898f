// Executors and schedulers that die for real: a custom executor SIGKILLed from outside fails its
// tasks, a scheduler process SIGKILLed and replaced within its failover timeout keeps its tasks
// (and loses them after it), and stopping the cluster leaves no process behind.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { customExecutorCommand, encode } from '../../examples/custom-executor.js';
import type { ExecutorInfo } from '../../protocol/index.js';
import { commandLine, E2ECluster, executorOsPid, processesUnder, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';
import type { E2ESchedulerReady } from '../fixtures/e2e-scheduler.js';
import { fixture, startProcess } from '../fixtures/processes.js';

const EXECUTOR: ExecutorInfo = {
  executor_id: { value: 'prime-executor' },
  type: 'CUSTOM',
  name: 'prime counter',
  command: customExecutorCommand(),
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
  ],
};

describe('executors and schedulers that die, on a cluster of OS processes', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048;disk:1024'] });
    agent = cluster.agents[0]!;
  });

  after(async () => {
    await cluster?.stop();
  });

  it('a custom executor SIGKILLed from outside fails its tasks with REASON_EXECUTOR_TERMINATED, and executorLost reports it', async () => {
    const fw = new RecordingScheduler(cluster.master.address, { name: 'prime-counter' });
    try {
      const frameworkId = await fw.start();
      // The executor reports each result and finishes a task only when thanked: unthanked, both keep running.
      await fw.launch((offer) =>
        ['primes-a', 'primes-b'].map((id) => ({
          name: id,
          task_id: { value: id },
          agent_id: offer.agent_id,
          resources: [
            { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
            { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
          ],
          executor: EXECUTOR,
          data: encode({ n: 1000 }),
        })),
      );
      await fw.status('primes-a', 'TASK_RUNNING');
      await fw.status('primes-b', 'TASK_RUNNING');
      await fw.next('message', (m) => m.data.includes('"task_id":"primes-b"'));

      const running = (await cluster.masterState()).frameworks.find((f) => f.id === frameworkId)!;
      assert.deepEqual(running.executors.map((e) => [e.executor_id, e.slave_id]), [['prime-executor', agent.id]]);

      // The executor's process works in the sandbox the agent's /state names.
      const state = await cluster.agentState(agent);
      const executor = state.frameworks.find((f) => f.id === frameworkId)?.executors.find((e) => e.id === 'prime-executor');
      assert.ok(executor);
      const pid = executorOsPid(executor.directory);
      assert.ok(pid !== undefined, 'the executor process is running');
      assert.match(commandLine(pid), /custom-executor\.(ts|js)/);
      process.kill(pid, 'SIGKILL');

      for (const id of ['primes-a', 'primes-b']) {
        const failed = await fw.status(id, 'TASK_FAILED');
        assert.deepEqual([failed.source, failed.reason, failed.message, failed.executor_id?.value], ['SOURCE_AGENT', 'REASON_EXECUTOR_TERMINATED', 'Executor killed by signal SIGKILL', 'prime-executor']);
      }
      const lost = await fw.next('executorLost');
      assert.deepEqual(lost, { type: 'executorLost', executorId: 'prime-executor', agentId: agent.id, status: 9 });

      // The master dropped the executor; the agent keeps it among the completed ones.
      const m = (await cluster.masterState()).frameworks.find((f) => f.id === frameworkId)!;
      assert.deepEqual(m.executors, []);
      const after = await cluster.agentState(agent);
      assert.deepEqual(
        after.frameworks.concat(after.completed_frameworks).filter((f) => f.id === frameworkId).flatMap((f) => f.completed_executors.map((e) => e.id)),
        ['prime-executor'],
      );
      assert.deepEqual(processesUnder(executor.directory), []);
    } finally {
      await fw.stop();
    }
  });

  let survivor: RecordingScheduler | undefined;

  it('a scheduler process SIGKILLed and replaced within its failover timeout keeps its running task', async () => {
    const first = await startProcess<E2ESchedulerReady>(fixture('e2e-scheduler.ts'), [cluster.master.address, '60', 'long-1', 'sleep 120']);
    const { frameworkId, agentId } = first.ready;
    let fw = (await cluster.masterState()).frameworks.find((f) => f.id === frameworkId);
    assert.deepEqual([fw?.active, fw?.connected, fw?.pid], [true, true, first.ready.schedulerPid]);

    first.child.kill('SIGKILL');
    await first.exited;
    // The master notices the broken connection: the framework is inactive but kept, task and all.
    fw = await waitUntil('the framework to be disconnected', async () => (await cluster.masterState()).frameworks.find((f) => f.id === frameworkId && !f.connected));
    assert.equal(fw.active, false);
    assert.deepEqual(fw.tasks.map((t) => [t.id, t.state]), [['long-1', 'TASK_RUNNING']]);

    // A new scheduler with the same FrameworkID takes over.
    survivor = new RecordingScheduler(cluster.master.address, { name: 'failover-framework', id: { value: frameworkId }, failover_timeout: 60, checkpoint: true });
    survivor.declineOffers(); // it launches nothing more: the agent's resources stay free for the next test
    assert.equal(await survivor.start(), frameworkId);
    const since = survivor.mark();
    survivor.driver.reconcileTasks([{ task_id: { value: 'long-1' }, state: 'TASK_STAGING', agent_id: { value: agentId } }]);
    const explicit = await survivor.status('long-1', 'TASK_RUNNING', { since, pred: (s) => s.reason === 'REASON_RECONCILIATION' });
    assert.deepEqual([explicit.source, explicit.agent_id?.value], ['SOURCE_MASTER', agentId]);
    const mark = survivor.mark();
    survivor.driver.reconcileTasks([]);
    await survivor.status('long-1', 'TASK_RUNNING', { since: mark, pred: (s) => s.reason === 'REASON_RECONCILIATION' });

    fw = (await cluster.masterState()).frameworks.find((f) => f.id === frameworkId);
    assert.deepEqual([fw?.active, fw?.connected, fw?.pid], [true, true, survivor.driver.pid]);
    assert.deepEqual(fw?.tasks.map((t) => [t.id, t.state]), [['long-1', 'TASK_RUNNING']]);
    const onAgent = (await cluster.agentState(agent)).frameworks.find((f) => f.id === frameworkId)?.executors.flatMap((e) => e.tasks);
    assert.deepEqual(onAgent?.map((t) => [t.id, t.state]), [['long-1', 'TASK_RUNNING']]);
  });

  it('a scheduler that comes back after its failover timeout finds its framework removed and its task killed', async () => {
    const first = await startProcess<E2ESchedulerReady>(fixture('e2e-scheduler.ts'), [cluster.master.address, '0.5', 'short-lived', 'sleep 120']);
    const { frameworkId } = first.ready;
    first.child.kill('SIGKILL');
    await first.exited;

    const removed = await waitUntil('the framework to be removed', async () => (await cluster.masterState()).completed_frameworks.find((f) => f.id === frameworkId));
    assert.deepEqual(removed.completed_tasks.map((t) => [t.id, t.state]), [['short-lived', 'TASK_KILLED']]);
    const late = new RecordingScheduler(cluster.master.address, { name: 'failover-framework', id: { value: frameworkId }, failover_timeout: 60, checkpoint: true });
    try {
      await late.driver.start();
      assert.deepEqual(await late.next('error'), { type: 'error', message: 'Framework has been removed' });
      assert.equal(await late.driver.join(), 'DRIVER_ABORTED');
    } finally {
      await late.stop();
    }
    // The agent shut the framework's executor down: its task's process is gone.
    const done = await waitUntil('the agent to complete the framework', async () => (await cluster.agentState(agent)).completed_frameworks.find((f) => f.id === frameworkId));
    const directory = done.completed_executors.find((e) => e.id === 'short-lived')?.directory;
    assert.ok(directory);
    await waitUntil('the task process to exit', () => processesUnder(directory).length === 0);
  });

  it('agents stopped with SIGTERM take every executor and task with them, even a checkpointing framework\'s', async () => {
    // long-1 still runs (`sleep 120`) for the checkpointing framework that failed over.
    assert.ok(survivor, 'the failover test left its framework running');
    assert.ok(processesUnder(agent.workDir).length > 0, 'the task is running below the agent\'s work_dir');
    await survivor.stop(true);
    assert.deepEqual(await cluster.stop(), []);
  });
});
