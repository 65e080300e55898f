// An agent process SIGKILLed under running tasks: the master sees its connection break and, after
// the (shortened) ping timeouts, marks it unreachable. Frameworks hear TASK_LOST or
// TASK_UNREACHABLE as the master's two paths decide, and agentLost; the other agent carries on.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandTask, E2ECluster, processesUnder, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

describe('an agent killed with SIGKILL', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  let victim: AgentProcess;
  let bystander: AgentProcess;
  /** Not checkpointing, not partition-aware: a task on each agent. */
  let plain: RecordingScheduler;
  /** Checkpointing, not partition-aware. */
  let checkpointing: RecordingScheduler;
  /** Checkpointing and partition-aware. */
  let aware: RecordingScheduler;

  before(async () => {
    // Three missed pongs of a second each make an agent unreachable.
    cluster = await E2ECluster.start({
      agents: ['cpus:2;mem:1024;disk:1024', 'cpus:2;mem:1024;disk:1024'],
      master: { agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 3 },
    });
    [victim, bystander] = cluster.agents as [AgentProcess, AgentProcess];
    const master = cluster.master.address;
    plain = new RecordingScheduler(master, { name: 'plain' });
    checkpointing = new RecordingScheduler(master, { name: 'checkpointing', checkpoint: true });
    aware = new RecordingScheduler(master, { name: 'aware', checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }] });
    // One framework at a time takes its offers, then lets the next have the agents.
    const launches: [RecordingScheduler, [string, AgentProcess][]][] = [
      [plain, [['plain-1', victim], ['plain-2', bystander]]],
      [checkpointing, [['ckpt-1', victim]]],
      [aware, [['aware-1', victim]]],
    ];
    for (const [fw, tasks] of launches) {
      await fw.start();
      for (const [task, agent] of tasks) {
        await fw.launch((offer) => [commandTask(task, offer, 'sleep 60')], { agentId: agent.id });
        await fw.status(task, 'TASK_RUNNING');
      }
      fw.declineOffers();
    }
  });

  after(async () => {
    await Promise.all([plain, checkpointing, aware].map((fw) => fw?.stop()));
    // Had the agent stayed dead, its executors would be nobody's children: they go here.
    if (victim && (victim.child.exitCode !== null || victim.child.signalCode !== null)) cluster.killLeftovers(victim);
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the cluster');
  });

  it("tasks of a framework that does not checkpoint are TASK_LOST with REASON_AGENT_DISCONNECTED as soon as the agent's connection breaks", async () => {
    const since = plain.mark();
    victim.child.kill('SIGKILL');
    await victim.exited;

    const lost = await plain.status('plain-1', 'TASK_LOST', { since });
    assert.deepEqual([lost.source, lost.reason, lost.message, lost.agent_id?.value], ['SOURCE_MASTER', 'REASON_AGENT_DISCONNECTED', 'Agent disconnected', victim.id]);
    assert.equal(lost.uuid, undefined);
    // Heard before the agent is declared lost, which takes the ping timeouts.
    assert.equal(plain.events.slice(since).some((e) => e.type === 'agentLost'), false);
  });

  it('after the missed pongs every framework hears agentLost, and checkpointing frameworks get TASK_LOST or TASK_UNREACHABLE with REASON_AGENT_REMOVED', async () => {
    for (const fw of [plain, checkpointing, aware]) {
      assert.deepEqual(await fw.next('agentLost'), { type: 'agentLost', agentId: victim.id });
    }
    const lost = await checkpointing.status('ckpt-1', 'TASK_LOST');
    assert.deepEqual([lost.source, lost.reason, lost.agent_id?.value], ['SOURCE_MASTER', 'REASON_AGENT_REMOVED', victim.id]);
    assert.ok((lost.unreachable_time?.nanoseconds ?? 0) > 0, 'TASK_LOST carries the time the agent became unreachable');
    const unreachable = await aware.status('aware-1', 'TASK_UNREACHABLE');
    assert.deepEqual([unreachable.source, unreachable.reason], ['SOURCE_MASTER', 'REASON_AGENT_REMOVED']);
    assert.deepEqual(unreachable.unreachable_time, lost.unreachable_time);
    // Nothing was said to them when the connection broke.
    assert.deepEqual(checkpointing.statusesOf('ckpt-1').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_LOST']);
    assert.deepEqual(aware.statusesOf('aware-1').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_UNREACHABLE']);
    // The task on the other agent is untouched.
    assert.deepEqual(plain.statusesOf('plain-2').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING']);
  });

  it("the master's /state and /metrics/snapshot show the agent unreachable and where each task went", async () => {
    const state = await cluster.masterState();
    assert.equal(state.unreachable_slaves, 1);
    assert.deepEqual(state.slaves.map((s) => [s.id, s.active]), [[bystander.id, true]]);
    const fw = (s: RecordingScheduler): (typeof state.frameworks)[number] => state.frameworks.find((f) => f.id === s.frameworkId)!;
    const ids = (tasks: { id: string; state: string }[]): string[][] => tasks.map((t) => [t.id, t.state]);
    assert.deepEqual(ids(fw(plain).tasks), [['plain-2', 'TASK_RUNNING']]);
    assert.deepEqual(ids(fw(plain).completed_tasks), [['plain-1', 'TASK_LOST']]);
    assert.deepEqual(ids(fw(checkpointing).unreachable_tasks), [['ckpt-1', 'TASK_LOST']]);
    assert.deepEqual(ids(fw(aware).unreachable_tasks), [['aware-1', 'TASK_UNREACHABLE']]);
    assert.deepEqual(fw(checkpointing).tasks, []);

    const m = await cluster.metrics();
    assert.equal(m['master/slaves_unreachable'], 1);
    assert.equal(m['master/slaves_active'], 1);
    assert.equal(m['master/slave_removals'], 1);
    assert.equal(m['master/slave_removals/reason_unhealthy'], 1);
    assert.equal(m['master/slave_unreachable_completed'], 1);
    assert.equal(m['master/tasks_unreachable'], 1);
    assert.equal(m['master/tasks_lost'], 2);
    assert.equal(m['master/task_lost/source_master/reason_agent_disconnected'], 1);
    assert.equal(m['master/task_lost/source_master/reason_agent_removed'], 1);
  });

  it('reconciliation answers tasks on the unreachable agent with TASK_LOST, or TASK_UNREACHABLE when partition-aware', async () => {
    let since = checkpointing.mark();
    checkpointing.driver.reconcileTasks([{ task_id: { value: 'ckpt-1' }, state: 'TASK_RUNNING' }]);
    const lost = await checkpointing.status('ckpt-1', 'TASK_LOST', { since });
    assert.deepEqual([lost.reason, lost.agent_id?.value], ['REASON_RECONCILIATION', victim.id]);
    assert.ok((lost.unreachable_time?.nanoseconds ?? 0) > 0);
    since = aware.mark();
    aware.driver.reconcileTasks([{ task_id: { value: 'aware-1' }, state: 'TASK_RUNNING' }]);
    const unreachable = await aware.status('aware-1', 'TASK_UNREACHABLE', { since });
    assert.equal(unreachable.reason, 'REASON_RECONCILIATION');
  });

  it("the dead agent's executors: a checkpointing framework's wait for it to recover, the others shut themselves down", async () => {
    const sandboxes = (fw: RecordingScheduler): string => join(victim.workDir, 'slaves', victim.id, 'frameworks', fw.frameworkId!);
    await waitUntil("the plain framework's executor and task to exit", () => processesUnder(sandboxes(plain)).length === 0);
    assert.ok(processesUnder(sandboxes(checkpointing)).length > 0, "the checkpointing framework's task still runs");
  });

  it("restarted on its work_dir and port, the agent is admitted again under its id, and the checkpointing frameworks' tasks come back TASK_RUNNING with REASON_AGENT_REREGISTERED", async () => {
    const marks = [plain.mark(), checkpointing.mark(), aware.mark()] as const;
    const before = await cluster.metrics();
    const restarted = await cluster.restartAgent(victim, { executorReregistrationTimeoutMs: 3000 });
    assert.equal(restarted.id, victim.id);
    victim = restarted;

    const again = (fw: RecordingScheduler, task: string, since: number): Promise<unknown> =>
      fw.status(task, 'TASK_RUNNING', { since, pred: (s) => s.reason === 'REASON_AGENT_REREGISTERED' }).then((s) => [s.source, s.agent_id?.value]);
    assert.deepEqual(await again(checkpointing, 'ckpt-1', marks[1]), ['SOURCE_MASTER', victim.id]);
    assert.deepEqual(await again(aware, 'aware-1', marks[2]), ['SOURCE_MASTER', victim.id]);

    const state = await cluster.masterState();
    assert.deepEqual([state.activated_slaves, state.unreachable_slaves], [2, 0]);
    const fw = (s: RecordingScheduler): (typeof state.frameworks)[number] => state.frameworks.find((f) => f.id === s.frameworkId)!;
    for (const [s, task] of [[checkpointing, 'ckpt-1'], [aware, 'aware-1']] as const) {
      assert.deepEqual(fw(s).tasks.map((t) => [t.id, t.state, t.slave_id]), [[task, 'TASK_RUNNING', victim.id]]);
      assert.deepEqual(fw(s).unreachable_tasks, []);
    }
    // The task of the framework that does not checkpoint died with the agent and stays lost.
    assert.deepEqual(plain.statusesOf('plain-1').slice(-1).map((s) => s.state), ['TASK_LOST']);
    assert.equal(plain.events.slice(marks[0]).some((e) => e.type === 'status'), false);
    const m = await cluster.metrics();
    // At least once: a retried re-registration that crossed the master's answer counts too.
    assert.ok(m['master/slave_reregistrations']! - before['master/slave_reregistrations']! >= 1);
    assert.deepEqual([m['master/slaves_unreachable'], m['master/slaves_active'], m['master/tasks_unreachable']], [0, 2, 0]);
  });
});
