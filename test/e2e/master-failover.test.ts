// A master SIGKILLed and started again on its work_dir and port, with a long-lived custom
// executor running: the framework comes back from the agent's report (registered_time 0 until it
// subscribes), nobody may take it over with another principal, its next task runs on the same
// executor, and agents that do not come back are counted as Mesos counts them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { customExecutorCommand, encode } from '../../examples/custom-executor.js';
import { Resources, type ExecutorInfo, type FrameworkInfo, type Offer, type TaskInfo } from '../../protocol/index.js';
import { E2ECluster, getJson, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

const EXECUTOR: ExecutorInfo = {
  executor_id: { value: 'long-lived' },
  type: 'CUSTOM',
  name: 'prime counter',
  command: customExecutorCommand(),
  resources: Resources.parse('cpus:0.1;mem:64').toJSON(),
};

/** A task on the long-lived executor; it runs until its scheduler thanks it, which these tests never do. */
const onExecutor = (id: string) => (offer: Offer): TaskInfo[] => [
  { name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: Resources.parse('cpus:0.1;mem:32').toJSON(), executor: EXECUTOR, data: encode({ n: 1000 }) },
];

interface FrameworkView {
  id: string;
  active: boolean;
  connected: boolean;
  recovered: boolean;
  principal?: string;
  registered_time: number;
  reregistered_time?: number;
  tasks: { id: string; state: string; executor_id: string }[];
  executors: { executor_id: string }[];
}

describe('a master restarted on its work_dir', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'mesos-ts-failover-e2e-'));
  const workDir = join(root, 'master');
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let frameworkId: string;
  const schedulers: RecordingScheduler[] = [];
  const info = (more: Partial<FrameworkInfo>): Partial<FrameworkInfo> & { name: string } => ({ name: 'long-lived', checkpoint: true, failover_timeout: 3600, principal: 'alice', ...more });
  const metrics = (): Promise<Record<string, number>> => cluster.metrics();
  const frameworkView = async (): Promise<FrameworkView | undefined> =>
    (await getJson<{ frameworks: FrameworkView[] }>(`http://${cluster.master.address}/master/state`)).frameworks.find((f) => f.id === frameworkId);

  before(async () => {
    // A disconnected agent has 1.5 s to come back, well before five missed pongs of a second.
    cluster = await E2ECluster.start({
      agents: ['cpus:2;mem:1024;disk:1024', 'cpus:1;mem:128', 'cpus:1;mem:128'],
      master: { workDir, agentReregisterTimeoutMs: 1500, agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 5 },
      agent: { registrationBackoffMaxMs: 400 },
    });
    agent = cluster.agents[0]!;
    const first = new RecordingScheduler(cluster.master.address, info({}));
    schedulers.push(first);
    frameworkId = await first.start();
    await first.launch(onExecutor('task-1'), { agentId: agent.id, needs: 'cpus:0.2;mem:96' });
    await first.status('task-1', 'TASK_RUNNING');
    // The scheduler goes away without tearing the framework down; it comes back below.
    await first.stop(true);
  });

  after(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the cluster');
    rmSync(root, { recursive: true, force: true });
  });

  // Mesos: Master::agentReregisterTimeout counts the scheduled removal as well as the completed one.
  it('an agent that does not re-register within agent_reregister_timeout of disconnecting is counted scheduled and completed', async () => {
    const gone = cluster.agents[1]!;
    gone.child.kill('SIGKILL');
    await gone.exited;
    await waitUntil('the agent to be unreachable', async () => (await cluster.masterState()).unreachable_slaves === 1);
    const m = await metrics();
    assert.deepEqual(
      ['slave_unreachable_scheduled', 'slave_unreachable_completed', 'slave_removals', 'slave_removals/reason_unhealthy'].map((n) => m[`master/${n}`]),
      [1, 1, 1, 1],
    );
  });

  // Mesos: MasterTest.FailoverAgentReregisterFirst (registered_time of a recovered framework).
  it('after the restart the framework is rebuilt from the agent with registered_time 0', async () => {
    // The third agent dies with the master: it is in the registry but never comes back.
    cluster.agents[2]!.child.kill('SIGKILL');
    cluster.master.child.kill('SIGKILL');
    await Promise.all([cluster.master.exited, cluster.agents[2]!.exited]);
    await cluster.restartMaster({ workDir, agentReregisterTimeoutMs: 4000 });

    const fw = await waitUntil('the agent to re-register with the framework', frameworkView);
    assert.deepEqual([fw.recovered, fw.active, fw.connected, fw.principal], [true, false, false, 'alice']);
    assert.equal(fw.registered_time, 0);
    assert.equal(fw.reregistered_time, undefined);
    assert.deepEqual(fw.tasks.map((t) => [t.id, t.state, t.executor_id]), [['task-1', 'TASK_RUNNING', 'long-lived']]);
    assert.deepEqual(fw.executors.map((e) => e.executor_id), ['long-lived']);
  });

  // Mesos: FaultToleranceTest.ChangePrincipalOnReRegistrationFails, for a recovered framework.
  it('a scheduler re-registering the recovered framework under another principal is refused', async () => {
    const impostor = new RecordingScheduler(cluster.master.address, info({ id: { value: frameworkId }, principal: 'mallory' }));
    schedulers.push(impostor);
    await impostor.driver.start();
    const error = await impostor.next('error');
    assert.equal(error.message, "Changing framework's principal is not allowed.");
    assert.equal(await impostor.driver.join(), 'DRIVER_ABORTED');
    const fw = (await frameworkView())!;
    assert.deepEqual([fw.recovered, fw.connected, fw.principal], [true, false, 'alice']);
  });

  // Mesos: MasterTest.MasterFailoverLongLivedExecutor.
  it('the framework re-registers (registered_time is now) and its next task runs on the same executor', async () => {
    const back = new RecordingScheduler(cluster.master.address, info({ id: { value: frameworkId } }));
    schedulers.push(back);
    const before = Date.now() / 1000;
    assert.equal(await back.start(), frameworkId);
    const fw = (await frameworkView())!;
    assert.deepEqual([fw.recovered, fw.active, fw.connected], [false, true, true]);
    assert.ok(fw.registered_time >= before - 1 && fw.registered_time <= Date.now() / 1000 + 1, `registered_time ${fw.registered_time} is now`);

    await back.launch(onExecutor('task-2'), { agentId: agent.id });
    const running = await back.next('status', (e) => e.status.task_id.value === 'task-2');
    assert.equal(running.status.state, 'TASK_RUNNING', `task-2: ${running.status.state} ${running.status.message ?? ''}`);
    back.declineOffers();
    const executors = (await cluster.agentState(agent)).frameworks.find((f) => f.id === frameworkId)!.executors;
    assert.deepEqual(executors.map((e) => [e.id, e.tasks.map((t) => t.id).sort()]), [['long-lived', ['task-1', 'task-2']]]);
    assert.deepEqual((await frameworkView())!.executors.map((e) => e.executor_id), ['long-lived']);
  });

  // Mesos: MasterTest.RecoveredSlaveCanReregister's counters (recovery_slave_removals).
  it('the agent that never came back is removed at agent_reregister_timeout and counted as Mesos counts it', async () => {
    await waitUntil('the recovery timeout', async () => (await getJson<{ recovered_slaves: unknown[] }>(`http://${cluster.master.address}/master/state`)).recovered_slaves.length === 0);
    await waitUntil('its removal to be stored', async () => (await metrics())['master/slave_unreachable_completed'] === 1);
    const m = await metrics();
    assert.deepEqual(
      ['slave_removals', 'slave_removals/reason_unhealthy', 'recovery_slave_removals', 'slave_unreachable_scheduled', 'slave_unreachable_completed', 'slaves_unreachable'].map((n) => m[`master/${n}`]),
      [1, 1, 1, 1, 1, 2],
    );
  });
});
