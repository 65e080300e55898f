// The master's books after a partition heals and after an operator teardown, on real processes:
// the master drops the agent's pongs and re-registrations (its --enable_test_endpoints filters)
// until it marks the agent unreachable, then lets it back. A task whose RunTask was lost is
// forgotten once the agent re-registers without it; an executor that died meanwhile is not
// charged again; a framework torn down over HTTP hears of it, and mesos-execute exits 1.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { customExecutorCommand, encode } from '../../examples/custom-executor.js';
import { Resources, type ExecutorInfo } from '../../protocol/index.js';
import { background, cleanEnv } from '../fixtures/cli-run.js';
import { commandTask, E2ECluster, executorOsPid, getJson, RecordingScheduler, waitUntil, type AgentProcess, type MasterState } from '../fixtures/e2e-cluster.js';

const EXECUTOR: ExecutorInfo = {
  executor_id: { value: 'prime-executor' },
  type: 'CUSTOM',
  name: 'prime counter',
  command: customExecutorCommand(),
  resources: Resources.parse('cpus:0.1;mem:64').toJSON(),
};

describe("the master's books after a partition heals, and after a teardown", { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let master: string;
  const frameworks: RecordingScheduler[] = [];

  const filters = (method: 'POST' | 'DELETE', spec?: object): Promise<Response> =>
    fetch(`http://${master}/__filters__`, { method, ...(spec !== undefined ? { body: JSON.stringify(spec) } : {}) });
  /** The master hears nothing from the agent's health checks and re-registrations: it will mark it unreachable, and keep it out. */
  const partition = async (): Promise<void> => {
    for (const name of ['PongAgent', 'ReregisterAgent']) assert.equal((await filters('POST', { side: 'receive', name })).status, 200);
  };
  /** Every filter goes: the agent, which stopped hearing pings, re-registers. */
  const heal = async (): Promise<void> => {
    assert.equal((await filters('DELETE')).status, 200);
    await waitUntil('the agent to re-register', async () => {
      const s = await cluster.masterState();
      return s.unreachable_slaves === 0 && s.slaves.some((a) => a.id === agent.id && a.active);
    });
  };
  const framework = (s: MasterState, fw: RecordingScheduler): MasterState['frameworks'][number] => s.frameworks.find((f) => f.id === fw.frameworkId)!;
  const start = async (info: ConstructorParameters<typeof RecordingScheduler>[1]): Promise<RecordingScheduler> => {
    const fw = new RecordingScheduler(master, info);
    frameworks.push(fw);
    await fw.start();
    return fw;
  };

  before(async () => {
    // Three missed pongs of 300 ms make the agent unreachable; it re-registers after 900 ms without pings.
    cluster = await E2ECluster.start({
      agents: ['cpus:2;mem:1024;disk:1024'],
      master: { testEndpoints: true, agentPingTimeoutMs: 300, maxAgentPingTimeouts: 3 },
      agent: { registrationBackoffMaxMs: 400 },
    });
    agent = cluster.agents[0]!;
    master = cluster.master.address;
  });

  after(async () => {
    await Promise.all(frameworks.map((fw) => fw.stop()));
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the cluster');
  });

  // Mesos: PartitionTest.ReregisterPartitionedAgentWithEnrouteTask.
  it('a task whose RunTask was lost before the partition leaves the unreachable books when the agent re-registers without it; reconciliation answers TASK_GONE or TASK_LOST', async () => {
    assert.equal((await filters('POST', { side: 'send', name: 'RunTask' })).status, 200);
    const aware = await start({ name: 'aware', capabilities: [{ type: 'PARTITION_AWARE' }] });
    const plain = await start({ name: 'plain' });
    for (const [fw, task] of [[aware, 'enroute-aware'], [plain, 'enroute-plain']] as const) {
      await fw.launch((offer) => [commandTask(task, offer, 'sleep 60')]);
      await waitUntil(`${task} to be staging at the master`, async () => framework(await cluster.masterState(), fw).tasks.some((t) => t.id === task && t.state === 'TASK_STAGING'));
      fw.declineOffers();
    }

    await partition();
    const unreachable = await aware.status('enroute-aware', 'TASK_UNREACHABLE');
    const lost = await plain.status('enroute-plain', 'TASK_LOST');
    for (const s of [unreachable, lost]) assert.deepEqual([s.source, s.reason], ['SOURCE_MASTER', 'REASON_AGENT_REMOVED']);
    let state = await cluster.masterState();
    assert.deepEqual(framework(state, aware).unreachable_tasks.map((t) => [t.id, t.state]), [['enroute-aware', 'TASK_UNREACHABLE']]);
    assert.deepEqual(framework(state, plain).unreachable_tasks.map((t) => [t.id, t.state]), [['enroute-plain', 'TASK_LOST']]);
    assert.equal((await cluster.metrics())['master/tasks_unreachable'], 1);

    await heal();
    state = await cluster.masterState();
    for (const fw of [aware, plain]) {
      const f = framework(state, fw);
      assert.deepEqual([f.tasks, f.unreachable_tasks, f.completed_tasks], [[], [], []], `${f.name} has nothing left of its task`);
    }
    const tasks = await getJson<{ tasks: { id: string }[] }>(`http://${master}/tasks`);
    assert.deepEqual(tasks.tasks.filter((t) => t.id.startsWith('enroute-')), []);
    const m = await cluster.metrics();
    assert.deepEqual([m['master/tasks_unreachable'], m['master/tasks_staging'], m['master/slave_removals'], m['master/slave_unreachable_completed']], [0, 0, 1, 1]);

    // The agent is registered and does not have them: gone, or lost for a framework that is not partition-aware.
    for (const [fw, task, expected] of [[aware, 'enroute-aware', 'TASK_GONE'], [plain, 'enroute-plain', 'TASK_LOST']] as const) {
      const since = fw.mark();
      fw.driver.reconcileTasks([{ task_id: { value: task }, state: 'TASK_RUNNING', agent_id: { value: agent.id } }]);
      const answer = await fw.status(task, expected, { since });
      assert.deepEqual([answer.source, answer.reason, answer.agent_id?.value], ['SOURCE_MASTER', 'REASON_RECONCILIATION', agent.id]);
    }
  });

  // Mesos: PartitionTest.PartitionedSlaveExitedExecutor, through to the re-registration (MESOS-4308).
  it('a custom executor that exits while its agent is unreachable is not charged at the master after the agent re-registers', async () => {
    const custom = await start({ name: 'custom' });
    await custom.launch((offer) => [{ name: 'primes', task_id: { value: 'primes' }, agent_id: offer.agent_id, resources: Resources.parse('cpus:0.1;mem:32').toJSON(), executor: EXECUTOR, data: encode({ n: 1000 }) }], { needs: 'cpus:0.2;mem:96' });
    await custom.status('primes', 'TASK_RUNNING');
    custom.declineOffers();
    let state = await cluster.masterState();
    assert.deepEqual(framework(state, custom).executors.map((e) => e.executor_id), ['prime-executor']);

    await partition();
    await custom.status('primes', 'TASK_LOST');
    const before = (await cluster.metrics())['master/messages_exited_executor'] ?? 0;
    const directory = (await cluster.agentState(agent)).frameworks.find((f) => f.id === custom.frameworkId)!.executors.find((e) => e.id === 'prime-executor')!.directory;
    const pid = executorOsPid(directory);
    assert.ok(pid !== undefined, 'the executor process runs');
    process.kill(pid, 'SIGKILL');
    // Its ExitedExecutor reaches a master that has the agent unreachable, which drops it.
    await waitUntil('the ExitedExecutor to reach the master', async () => (await cluster.metrics())['master/messages_exited_executor']! > before);

    await heal();
    // The agent's reliable update comes once it is registered again.
    const failed = await custom.status('primes', 'TASK_FAILED', { pred: (s) => s.source === 'SOURCE_AGENT' });
    assert.equal(failed.reason, 'REASON_EXECUTOR_TERMINATED');
    state = await cluster.masterState();
    assert.deepEqual(framework(state, custom).executors, [], 'the master keeps no executor the agent no longer runs');
    assert.equal(framework(state, custom).used_resources['cpus'] ?? 0, 0);
    assert.equal(state.slaves.find((s) => s.id === agent.id)!.used_resources['cpus'] ?? 0, 0);
  });

  // Mesos's mesos-execute exits on the ERROR event its torn-down subscription ends with.
  it('POST /teardown tells the scheduler: mesos-execute exits 1 with the error', async () => {
    const exec = background('mesos-execute', [`--master=${master}`, '--name=torn', '--command=sleep 60', '--resources=cpus:0.1;mem:32'], { env: cleanEnv(), timeoutMs: 30_000 });
    const [, frameworkId] = await exec.waitFor(/Subscribed with ID (\S+)/);
    await exec.waitFor(/Received status update TASK_RUNNING for task 'torn'/);
    const res = await fetch(`http://${master}/teardown`, { method: 'POST', body: `frameworkId=${frameworkId!}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 200);
    const { code } = await exec.exited;
    assert.equal(code, 1, `mesos-execute exits 1; stderr: ${exec.stderr()}`);
    assert.match(exec.stderr(), /Received an ERROR event: Framework has been removed/);
    const state = await cluster.masterState();
    assert.ok(state.completed_frameworks.some((f) => f.id === frameworkId));
  });
});
