// Task groups on a cluster of OS processes (Mesos's DefaultExecutorTest): a LAUNCH_GROUP runs
// its tasks together on one DEFAULT executor, each in its own sandbox with its own updates; a
// task that fails takes the others of its group with it, a kill of one kills the group, and an
// invalid group is refused whole with REASON_TASK_GROUP_INVALID.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';
import { Resources, type ExecutorInfo, type Offer, type TaskInfo } from '../../protocol/index.js';

describe('task groups on the default executor', { timeout: 60_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let fw: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048'] });
    agent = cluster.agents[0]!;
    fw = new RecordingScheduler(cluster.master.address, { name: 'groups' });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    const left = await cluster?.stop();
    assert.deepEqual(left, [], 'no executor or task outlives the cluster');
  });

  const executor = (id: string): ExecutorInfo => ({ type: 'DEFAULT', executor_id: { value: id }, resources: Resources.parse('cpus:0.1;mem:32').toJSON() });

  /** Accepts an offer with one LAUNCH_GROUP of the tasks `build` makes. */
  const launchGroup = async (executorId: string, build: (offer: Offer) => TaskInfo[]): Promise<Offer> => {
    const offer = await fw.takeOffer((o) => Resources.fromJSON(o.resources).contains(Resources.parse('cpus:0.5;mem:128')));
    fw.driver.acceptOffers([offer.id], [{ type: 'LAUNCH_GROUP', launch_group: { executor: executor(executorId), task_group: { tasks: build(offer) } } }], { refuse_seconds: 0 });
    return offer;
  };

  it('a group whose second task fails: the first is killed, each task has its own updates, one executor ran both', async () => {
    await launchGroup('group-a', (offer) => [commandTask('a-sleeper', offer, 'echo $MESOS_TASK_ID > who; sleep 60'), commandTask('a-failer', offer, 'sleep 0.5; exit 7')]);
    const failed = await fw.status('a-failer', 'TASK_FAILED');
    assert.equal(failed.message, 'Command exited with status 7');
    assert.equal(failed.executor_id?.value, 'group-a');
    const killed = await fw.status('a-sleeper', 'TASK_KILLED');
    assert.match(killed.message ?? '', /killed because task 'a-failer' of its group failed or was killed/);
    for (const id of ['a-sleeper', 'a-failer']) {
      assert.deepEqual(fw.statusesOf(id).map((s) => s.state).slice(0, 2), ['TASK_STARTING', 'TASK_RUNNING'], `${id} started with its group`);
    }
    // The master saw one executor for the group, and the tasks under it.
    const state = await waitUntil('the group in the master\'s /state', async () => {
      const f = (await cluster.masterState()).frameworks.find((x) => x.id === fw.frameworkId);
      const done = f?.completed_tasks.filter((t) => t.id.startsWith('a-')) ?? [];
      return done.length === 2 ? done : undefined;
    });
    assert.deepEqual(state.map((t) => t.executor_id).sort(), ['group-a', 'group-a']);
    // Each task worked in its own sandbox below the executor's.
    const agentState = await waitUntil('the executor in the agent\'s /state', async () => {
      const f = (await cluster.agentState(agent)).frameworks.find((x) => x.id === fw.frameworkId) ?? (await cluster.agentState(agent)).completed_frameworks.find((x) => x.id === fw.frameworkId);
      return [...(f?.executors ?? []), ...(f?.completed_executors ?? [])].find((e) => e.id === 'group-a');
    });
    assert.equal((await cluster.readFile(agent, `${agentState.directory}/tasks/a-sleeper/who`)).trim(), 'a-sleeper');
  });

  it('killing one task of a group kills the whole group; a task that finishes (its URI fetched into its own sandbox) leaves the others running', async () => {
    const file = join(cluster.root, 'for-b-quick.txt');
    writeFileSync(file, 'fetched');
    await launchGroup('group-b', (offer) => {
      const quick = commandTask('b-quick', offer, 'test "$(cat for-b-quick.txt)" = fetched');
      return [{ ...quick, command: { ...quick.command, uris: [{ value: file }] } }, commandTask('b-one', offer, 'sleep 60'), commandTask('b-two', offer, 'sleep 60')];
    });
    await fw.status('b-quick', 'TASK_FINISHED');
    await fw.status('b-one', 'TASK_RUNNING');
    await fw.status('b-two', 'TASK_RUNNING');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!fw.statusesOf('b-one').some((s) => s.state === 'TASK_KILLED'), 'a task that finished does not end its group');
    fw.driver.killTask({ value: 'b-one' });
    await fw.status('b-one', 'TASK_KILLED');
    await fw.status('b-two', 'TASK_KILLED');
  });

  it('an invalid group is refused whole: TASK_ERROR REASON_TASK_GROUP_INVALID for every task', async () => {
    const since = fw.mark();
    const offer = await fw.takeOffer();
    const bad = commandTask('c-bad', offer, 'true');
    const withExecutor = { ...commandTask('c-exec', offer, 'true'), executor: executor('x') };
    fw.driver.acceptOffers([offer.id], [{ type: 'LAUNCH_GROUP', launch_group: { executor: executor('group-c'), task_group: { tasks: [bad, withExecutor] } } }], { refuse_seconds: 0 });
    const a = await fw.status('c-bad', 'TASK_ERROR', { since });
    const b = await fw.status('c-exec', 'TASK_ERROR', { since });
    for (const s of [a, b]) {
      assert.equal(s.reason, 'REASON_TASK_GROUP_INVALID');
      assert.equal(s.message, "Task group is invalid: task 'c-exec' sets 'executor'; the tasks of a group run on the group's executor");
    }
    const custom = await fw.takeOffer();
    fw.driver.acceptOffers([custom.id], [{ type: 'LAUNCH_GROUP', launch_group: { executor: { ...executor('group-d'), type: 'CUSTOM' }, task_group: { tasks: [commandTask('d-1', custom, 'true')] } } }], { refuse_seconds: 0 });
    const d = await fw.status('d-1', 'TASK_ERROR', { since });
    assert.match(d.message ?? '', /has type CUSTOM; a task group runs on a DEFAULT executor/);
  });
});
