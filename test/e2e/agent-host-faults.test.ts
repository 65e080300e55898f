// Command tasks through real executor hosts when things go wrong around them: a host whose event
// loop stalls long enough for the agent's heartbeats to give up on its connection (the task must
// not fail: the host is alive), and an agent restarted without its framework's checkpoints (a
// partition-aware framework must still get TASK_DROPPED, not TASK_LOST). Also: the command
// executor says TASK_STARTING before TASK_RUNNING, as Mesos's does.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkpointPaths } from '../../agent/index.js';
import { commandTask, E2ECluster, executorOsPid, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

describe('command tasks when executor hosts and checkpoints fail', { timeout: 90_000 }, () => {
  let cluster: E2ECluster;
  let fw: RecordingScheduler;
  let aware: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: [] });
    fw = new RecordingScheduler(cluster.master.address, { name: 'host-faults', checkpoint: true });
    aware = new RecordingScheduler(cluster.master.address, { name: 'aware', checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }] });
    await Promise.all([fw.start(), aware.start()]);
  });

  after(async () => {
    await Promise.all([fw?.stop(), aware?.stop()]);
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the test');
  });

  it('the command executor sends TASK_STARTING, then TASK_RUNNING; a host stalled past the heartbeats is reconnected, not failed, and its task is later killed normally', async () => {
    // Heartbeats every 250 ms: two silent periods and the agent's runtime drops the connection.
    const agent = await cluster.startAgent('cpus:1;mem:256;disk:256', { heartbeatMs: 250, executorReregistrationTimeoutMs: 1000 });
    await fw.launch((offer) => [commandTask('stalled', offer, 'sleep 600')], { agentId: agent.id });
    await fw.status('stalled', 'TASK_RUNNING');
    assert.deepEqual(fw.statusesOf('stalled').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING']);

    const hostDir = join(agent.workDir, 'slaves', agent.id, 'frameworks', fw.frameworkId!, 'executor-host');
    const host = await waitUntil('the executor host process', () => executorOsPid(hostDir));
    // A stall as a loaded machine makes one: the host's event loop does not run at all.
    process.kill(host, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(host, 'SIGCONT');
    await waitUntil('the executor to re-register', async () => (await cluster.metrics(agent))['slave/executors_running'] === 1 && (await cluster.agentState(agent)).frameworks[0]?.executors.length === 1);
    await new Promise((r) => setTimeout(r, 500));
    const since = fw.mark();
    assert.deepEqual(fw.statusesOf('stalled').filter((s) => s.state !== 'TASK_STARTING' && s.state !== 'TASK_RUNNING').map((s) => [s.state, s.source, s.reason, s.message]), [], 'the healthy task did not fail');

    fw.driver.killTask({ value: 'stalled' });
    const killed = await fw.status('stalled', 'TASK_KILLED', { since });
    assert.equal(killed.source, 'SOURCE_EXECUTOR', 'the executor itself answered: it is connected again');
  });

  it('an agent restarted without its framework checkpoints answers the master\'s reconciliation with TASK_DROPPED for a partition-aware framework', async () => {
    fw.declineOffers();
    let agent: AgentProcess = await cluster.startAgent('cpus:1;mem:256;disk:256', { executorReregistrationTimeoutMs: 500 });
    await aware.launch((offer) => [commandTask('forgotten', offer, 'sleep 600')], { agentId: agent.id });
    await aware.status('forgotten', 'TASK_RUNNING');
    agent.child.kill('SIGKILL');
    await agent.exited;
    cluster.killLeftovers(agent);
    await rm(checkpointPaths.frameworkDir(agent.workDir, { agentId: agent.id, frameworkId: aware.frameworkId! }), { recursive: true, force: true });

    const since = aware.mark();
    agent = await cluster.restartAgent(agent, { executorReregistrationTimeoutMs: 500 });
    const dropped = await aware.status('forgotten', 'TASK_DROPPED', { since });
    assert.deepEqual([dropped.source, dropped.reason, dropped.message], ['SOURCE_AGENT', 'REASON_RECONCILIATION', 'Reconciliation: task unknown to the agent']);
    assert.equal(aware.statusesOf('forgotten').some((s) => s.state === 'TASK_LOST'), false);
  });
});
