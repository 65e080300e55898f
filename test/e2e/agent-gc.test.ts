// Sandbox garbage collection on a real agent (Mesos's GarbageCollectorIntegrationTest): a
// completed executor run's sandbox stays browsable through /files and listed among
// completed_executors until --gc_delay has passed, then it is deleted and /files answers 404.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

describe('sandbox garbage collection', { timeout: 60_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let fw: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: [] });
    agent = await cluster.startAgent('cpus:2;mem:512;disk:1024', { gcDelayMs: 3000, diskWatchIntervalMs: 500 });
    fw = new RecordingScheduler(cluster.master.address, { name: 'gc' });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    assert.deepEqual(await cluster?.stop(), []);
  });

  it('a completed sandbox is browsable and in completed_executors until gc_delay has passed, then it is deleted', async () => {
    await fw.launch((offer) => [commandTask('old', offer, 'echo kept for a while')]);
    await fw.status('old', 'TASK_FINISHED');
    const done = await waitUntil('the executor in completed_executors', async () =>
      (await cluster.agentState(agent)).completed_frameworks.concat((await cluster.agentState(agent)).frameworks).flatMap((f) => f.completed_executors).find((e) => e.id === 'old'));
    const path = `${done.directory}/stdout`;
    assert.equal(await cluster.readFile(agent, path), 'kept for a while\n');
    await waitUntil('the sandbox to be deleted', () => !existsSync(done.directory), 15_000);
    const res = await fetch(`http://${agent.address}/files/read?path=${encodeURIComponent(path)}&offset=0`);
    assert.equal(res.status, 404);
  });
});

