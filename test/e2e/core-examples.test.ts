// The two example frameworks against a master and two agents that are real OS processes: the
// command framework runs its tasks to TASK_FINISHED, the custom executor framework trades
// framework messages both ways, and /state, /metrics/snapshot and the sandboxes agree.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCommandFramework } from '../../examples/command-framework.js';
import { runCustomExecutorFramework } from '../../examples/custom-executor-framework.js';
import { countPrimesBelow } from '../../examples/custom-executor.js';
import { E2ECluster, waitUntil, type AgentState } from '../fixtures/e2e-cluster.js';

const quiet = (): void => {};

describe('the example frameworks on a cluster of OS processes', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:2;mem:1024;disk:1024', 'cpus:2;mem:1024;disk:1024'] });
  });

  after(async () => {
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the cluster');
  });

  it('the command framework runs ten tasks to TASK_FINISHED, and each sandbox holds its output', async () => {
    const before = await cluster.metrics();
    const summary = await runCommandFramework({
      master: cluster.master.address,
      tasks: 10,
      command: 'echo "hello from $MESOS_TASK_ID"',
      resources: 'cpus:0.5;mem:64',
      print: quiet,
    });
    assert.equal(summary.error, undefined);
    assert.deepEqual({ finished: summary.finished, failed: summary.failed, other: summary.other }, { finished: 10, failed: 0, other: 0 });
    assert.deepEqual(Object.keys(summary.states).sort(), Array.from({ length: 10 }, (_, i) => `task-${i}`).sort());

    // The framework stopped itself: the master keeps it as completed, with every task finished.
    const state = await cluster.masterState();
    const fw = state.completed_frameworks.find((f) => f.id === summary.frameworkId);
    assert.ok(fw, 'the framework is among the completed frameworks');
    assert.equal(fw.completed_tasks.length, 10);
    assert.ok(fw.completed_tasks.every((t) => t.state === 'TASK_FINISHED'));
    const agentIds = new Set(cluster.agents.map((a) => a.id));
    assert.ok(fw.completed_tasks.every((t) => agentIds.has(t.slave_id)));

    const after = await cluster.metrics();
    assert.equal(after['master/tasks_finished']! - before['master/tasks_finished']!, 10);
    assert.equal(after['master/tasks_failed'], before['master/tasks_failed']);

    // Each task wrote to the stdout of its own sandbox, which its agent serves.
    const task = fw.completed_tasks.find((t) => t.id === 'task-3')!;
    const agent = cluster.agents.find((a) => a.id === task.slave_id)!;
    const agentState = await cluster.agentState(agent);
    const executor = executorOf(agentState, summary.frameworkId!, 'task-3');
    assert.ok(executor, 'the agent still lists the finished executor');
    assert.equal(await cluster.readFile(agent, `${executor.directory}/stdout`), 'hello from task-3\n');
  });

  it('the custom executor framework counts primes, with framework messages both ways', async () => {
    const agentMetrics = await Promise.all(cluster.agents.map((a) => cluster.metrics(a)));
    const summary = await runCustomExecutorFramework({ master: cluster.master.address, tasks: 4, base: 20_000, print: quiet });
    assert.equal(summary.error, undefined);
    assert.equal(summary.finished, 4);
    assert.deepEqual(
      summary.results,
      Object.fromEntries([0, 1, 2, 3].map((i) => [`primes-${i}`, { n: 20_000 * (i + 1), primes: countPrimesBelow(20_000 * (i + 1)) }])),
    );

    // Four results came up and four replies went down, each through an agent.
    const afterMetrics = await Promise.all(cluster.agents.map((a) => cluster.metrics(a)));
    const delta = (name: string): number => afterMetrics.reduce((n, m, i) => n + m[name]! - agentMetrics[i]![name]!, 0);
    assert.equal(delta('slave/valid_framework_messages'), 8);
    assert.equal(delta('slave/invalid_framework_messages'), 0);

    // Teardown shut the executor down; its agent keeps it among the completed executors.
    const fw = (await cluster.masterState()).completed_frameworks.find((f) => f.id === summary.frameworkId);
    assert.ok(fw);
    assert.deepEqual(fw.completed_tasks.map((t) => [t.id, t.state, t.executor_id]).sort(), [0, 1, 2, 3].map((i) => [`primes-${i}`, 'TASK_FINISHED', 'prime-executor']));
    const hosts = new Set(fw.completed_tasks.map((t) => t.slave_id));
    for (const agent of cluster.agents.filter((a) => hosts.has(a.id))) {
      const done = await waitUntil('the agent to complete the framework', async () => {
        const s = await cluster.agentState(agent);
        return s.completed_frameworks.find((f) => f.id === summary.frameworkId);
      });
      assert.deepEqual(done.completed_executors.map((e) => e.id), ['prime-executor']);
    }
  });
});

/** The executor (running or completed) that ran `taskId` on an agent. */
function executorOf(state: AgentState, frameworkId: string, taskId: string): AgentState['frameworks'][number]['executors'][number] | undefined {
  for (const f of [...state.frameworks, ...state.completed_frameworks]) {
    if (f.id !== frameworkId) continue;
    for (const e of [...f.executors, ...f.completed_executors]) {
      if ([...e.tasks, ...e.completed_tasks].some((t) => t.id === taskId)) return e;
    }
  }
  return undefined;
}
