// An unmodified third-party v1 operator API client from npm (@dcos/mesos-client, the DC/OS web
// UI's) against a master and an agent that are real OS processes: calls on both, and the
// master's SUBSCRIBE stream showing a framework and a task from TASK_ADDED to TASK_FINISHED
// (Mesos's docs/operator-http-api.md, as an existing client reads it).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil } from '../fixtures/e2e-cluster.js';
import { fixture } from '../fixtures/processes.js';

type Line = { event: string; type?: string; where?: string; body?: any; [k: string]: unknown };

describe('@dcos/mesos-client against mesos-ts', { timeout: 90_000 }, () => {
  let cluster: E2ECluster;
  let client: ChildProcess | undefined;
  let fw: RecordingScheduler | undefined;
  const lines: Line[] = [];

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:2;mem:1024'] });
  });
  after(async () => {
    client?.kill('SIGKILL');
    await fw?.stop().catch(() => undefined);
    const left = await cluster?.stop();
    assert.deepEqual(left, [], 'no executor or task outlives the cluster');
  });

  it('answers its calls on the master and the agent, and streams SUBSCRIBED, FRAMEWORK_ADDED and a task to TASK_FINISHED', async () => {
    const agent = cluster.agents[0]!;
    client = spawn(process.execPath, [fixture('third-party-operator.cjs'), cluster.master.address, agent.address], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: client.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Line));
    const answer = (where: string, type: string) => waitUntil(`${type} on the ${where}`, () => lines.find((l) => (l.event === 'answer' || l.event === 'error') && l.where === where && l.type === type), 20_000);

    const subscribed = await waitUntil('SUBSCRIBED', () => lines.find((l) => l.type === 'SUBSCRIBED'), 20_000);
    assert.equal(subscribed.body.subscribed.heartbeat_interval_seconds, 15);
    assert.deepEqual(subscribed.body.subscribed.get_state.get_agents.agents.map((a: any) => a.agent_info.id.value), [agent.id]);

    const version = await answer('master', 'GET_VERSION');
    assert.equal(version.body.type, 'GET_VERSION', JSON.stringify(version));
    assert.match(version.body.get_version.version_info.version, /^\d+\.\d+\.\d+/);
    assert.equal((await answer('master', 'GET_HEALTH')).body.get_health.healthy, true);
    assert.deepEqual((await answer('master', 'GET_AGENTS')).body.get_agents.agents.map((a: any) => a.agent_info.id.value), [agent.id]);
    assert.equal((await answer('agent', 'GET_AGENT')).body.get_agent.agent_info.id.value, agent.id);
    assert.equal((await answer('agent', 'GET_HEALTH')).body.get_health.healthy, true);

    fw = new RecordingScheduler(cluster.master.address, { name: 'watched' });
    const id = await fw.start();
    await fw.launch((offer) => [commandTask('watched-1', offer, 'true')]);
    await fw.status('watched-1', 'TASK_FINISHED');
    const added = await waitUntil('FRAMEWORK_ADDED', () => lines.find((l) => l.type === 'FRAMEWORK_ADDED'), 20_000);
    assert.equal(added.body.framework_added.framework.framework_info.id.value, id);
    await waitUntil('TASK_FINISHED on the stream', () => lines.some((l) => l.type === 'TASK_UPDATED' && l.body.task_updated.state === 'TASK_FINISHED'), 20_000);
    const task = lines.find((l) => l.type === 'TASK_ADDED')?.body.task_added.task;
    assert.deepEqual([task?.task_id.value, task?.framework_id.value, task?.agent_id.value], ['watched-1', id, agent.id]);
    const states = lines.filter((l) => l.type === 'TASK_UPDATED').map((l) => l.body.task_updated.state);
    assert.deepEqual(states.slice(-1), ['TASK_FINISHED']);
    assert.deepEqual(lines.filter((l) => l.event === 'error' || l.event === 'stream-error'), []);
  });
});
