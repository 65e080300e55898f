import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pid } from '../../runtime/index.js';
import { newUuid, Resources, type Offer, type TaskState } from '../../protocol/index.js';
import { runCommandFramework } from '../../examples/command-framework.js';
import { runCustomExecutorFramework } from '../../examples/custom-executor-framework.js';
import { decode, encode, type ResultMessage } from '../../examples/custom-executor.js';
import { cluster, MASTER_INFO, Peer } from '../fixtures/driver-fakes.js';

const FW = { value: 'm1-0000' };
const AGENT = { value: 'm1-S0' };
const AGENT_PID = 'agent(1)@10.0.0.9:5051';

let offers = 0;
function offer(resources: string): Offer {
  return { id: { value: `o${++offers}` }, framework_id: FW, agent_id: AGENT, hostname: 'a1', resources: Resources.parse(resources).toJSON(), attributes: [], executor_ids: [] };
}

/**
 * A master that offers one agent's resources, runs every launched task to `final` at once
 * (RUNNING, then the final state), and offers again after each launch.
 */
function fakeMaster(master: Peer, final: (taskId: string) => TaskState): void {
  const update = (to: Pid, taskId: string, state: TaskState) => {
    const uuid = newUuid();
    master.tell(to, { name: 'StatusUpdate', update: { framework_id: FW, agent_id: AGENT, status: { task_id: { value: taskId }, state, agent_id: AGENT, uuid }, timestamp: 1, uuid }, pid: AGENT_PID });
  };
  master.reply = (msg, from) => {
    if (!from) return;
    if (msg.name === 'RegisterFramework') {
      master.tell(from, { name: 'FrameworkRegistered', framework_id: FW, master_info: MASTER_INFO });
      master.tell(from, { name: 'ResourceOffers', offers: [offer('cpus:1;mem:128')], pids: [AGENT_PID] });
    }
    if (msg.name === 'LaunchTasks') {
      for (const t of msg.tasks) {
        update(from, t.task_id.value, 'TASK_RUNNING');
        update(from, t.task_id.value, final(t.task_id.value));
      }
      master.tell(from, { name: 'ResourceOffers', offers: [offer('cpus:1;mem:128')], pids: [AGENT_PID] });
    }
  };
}

test('the command framework example launches as offers allow, prints each update and sums up', async () => {
  const c = cluster();
  const masterRt = await c.start();
  const master = masterRt.spawn(new Peer(), 'master');
  fakeMaster(master, (id) => (id === 'task-4' ? 'TASK_FAILED' : 'TASK_FINISHED'));
  const schedRt = await c.start();
  const lines: string[] = [];
  const summary = await runCommandFramework({ master: masterRt.address, tasks: 6, command: 'true', print: (l) => lines.push(l), driver: { runtime: schedRt } });
  await c.settle();
  assert.equal(summary.finished, 5);
  assert.equal(summary.failed, 1);
  assert.equal(summary.error, undefined);
  // 128 MB holds four 32 MB tasks: the first offer gets four, the next two.
  assert.deepEqual(master.named('LaunchTasks').map((l) => l.tasks.length), [4, 2]);
  assert.ok(lines.includes('task-0 TASK_RUNNING'));
  assert.equal(master.named('StatusUpdateAcknowledgement').length, 12, 'every update is acknowledged, the last one too');
  const names = master.received.map((r) => r.msg.name);
  assert.equal(names.at(-1), 'UnregisterFramework', 'the teardown comes after the last acknowledgement');
  await c.stop();
});

test('the custom executor framework example answers each result with a framework message', async () => {
  const c = cluster();
  const masterRt = await c.start();
  const master = masterRt.spawn(new Peer(), 'master');
  const agentRt = await c.start();
  // The agent plays the executor's part: it reports a result for each task it is sent.
  const agent = agentRt.spawn(new Peer(), 'agent(1)');
  master.reply = (msg, from) => {
    if (!from) return;
    if (msg.name === 'RegisterFramework') {
      master.tell(from, { name: 'FrameworkRegistered', framework_id: FW, master_info: MASTER_INFO });
      master.tell(from, { name: 'ResourceOffers', offers: [offer('cpus:1;mem:256')], pids: [agent.self] });
    }
    if (msg.name === 'LaunchTasks') {
      for (const t of msg.tasks) {
        const { n } = decode<{ n: number }>(t.data!);
        const result: ResultMessage = { type: 'result', task_id: t.task_id.value, n, primes: 42 };
        agent.tell(from, { name: 'ExecutorToFramework', agent_id: AGENT, framework_id: FW, executor_id: { value: 'prime-executor' }, data: encode(result) });
      }
    }
  };
  agent.reply = (msg, from) => {
    if (msg.name !== 'FrameworkToExecutor' || !from) return;
    const thanks = decode<{ task_id: string }>(msg.data);
    const uuid = newUuid();
    master.tell(from, { name: 'StatusUpdate', update: { framework_id: FW, agent_id: AGENT, status: { task_id: { value: thanks.task_id }, state: 'TASK_FINISHED', agent_id: AGENT, uuid }, timestamp: 1, uuid }, pid: agent.self });
  };
  const schedRt = await c.start();
  const summary = await runCustomExecutorFramework({ master: masterRt.address, tasks: 3, base: 10, print: () => {}, driver: { runtime: schedRt } });
  assert.equal(summary.finished, 3);
  assert.deepEqual(summary.results['primes-2'], { n: 30, primes: 42 });
  const [launch] = master.named('LaunchTasks');
  assert.equal(launch?.tasks[0]?.executor?.type, 'CUSTOM');
  assert.equal(agent.named('FrameworkToExecutor').length, 3, 'the replies go straight to the agent that made the offer');
  await c.stop();
});
