// mesos-execute --task and --task_group against a cluster of OS processes: a TaskInfo in Mesos's
// JSON (with a health check and DiscoveryInfo) runs as given and /state and /tasks keep its
// discovery; a TaskGroupInfo runs with LAUNCH_GROUP and the command ends once every task did;
// bad JSON or two things to run are one-line errors before anything is contacted.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, run } from '../fixtures/cli-run.js';
import { E2ECluster, getJson } from '../fixtures/e2e-cluster.js';

describe('mesos-execute --task and --task_group', { timeout: 90_000 }, () => {
  let cluster: E2ECluster;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesos-ts-execute-'));
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048;disk:1024'] });
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    const left = await cluster?.stop();
    assert.deepEqual(left, []);
  });

  const execute = (args: string[]) => run('mesos-execute', [`--master=${cluster.master.address}`, ...args], { timeoutMs: 60_000, env: cleanEnv() });

  it('--task runs a TaskInfo with its health check; its DiscoveryInfo is in the master\'s /state and /tasks', async () => {
    const task = {
      name: 'probed',
      task_id: { value: 'probed' },
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
        { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
      ],
      command: { value: 'touch up; sleep 1.5' },
      health_check: { type: 'COMMAND', command: { value: 'test -f up' }, delay_seconds: 0, interval_seconds: 0.2, grace_period_seconds: 5 },
      discovery: { visibility: 'CLUSTER', name: 'probed-service', ports: { ports: [{ number: 8080, name: 'http', protocol: 'tcp' }] } },
    };
    const r = await execute([`--task=${JSON.stringify(task)}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Submitted task 'probed' to agent/);
    assert.match(r.stdout, /Received status update TASK_RUNNING for task 'probed'\n {2}source: SOURCE_EXECUTOR\n {2}reason: REASON_TASK_HEALTH_CHECK_STATUS_UPDATED\n {2}healthy\?: true/);
    assert.match(r.stdout, /Received status update TASK_FINISHED for task 'probed'/);
    const state = await cluster.masterState();
    const done = state.completed_frameworks.flatMap((f) => f.completed_tasks).find((t) => t.id === 'probed') as unknown as { discovery?: unknown } | undefined;
    assert.deepEqual(done?.discovery, task.discovery);
    const tasks = await getJson<{ tasks: { id: string; discovery?: unknown }[] }>(`http://${cluster.master.address}/tasks`);
    const listed = tasks.tasks.find((t) => t.id === 'probed');
    if (listed !== undefined) assert.deepEqual(listed.discovery, task.discovery);
  });

  it('--task_group from a file: the second task fails, the first is killed, and the command exits 0 after both', async () => {
    const resources = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
    ];
    const file = join(dir, 'group.json');
    writeFileSync(file, JSON.stringify({ tasks: [
      { name: 'long', task_id: { value: 'long' }, resources, command: { value: 'sleep 60' } },
      { name: 'short', task_id: { value: 'short' }, resources, command: { value: 'sleep 0.5; exit 2' } },
    ] }));
    const r = await execute([`--task_group=file://${file}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Submitted task group with tasks \[ long, short \] to agent/);
    assert.match(r.stdout, /Received status update TASK_FAILED for task 'short'\n {2}message: 'Command exited with status 2'/);
    assert.match(r.stdout, /Received status update TASK_KILLED for task 'long'/);
  });

  it('bad --task JSON, and two things to run, are one-line errors', async () => {
    const bad = await execute(['--task={"name":"x","task_id":{"value":"x"},"resources":[{"name":"cpus","type":"SCALER"}]}']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--task: not a TaskInfo: \/resources\/0\/type/);
    const both = await execute(['--name=x', '--command=true', '--task={"name":"x","task_id":{"value":"x"}}']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--command and --task cannot be used together/);
    const none = await execute([]);
    assert.match(none.stderr, /^error: --command is required/m);
  });
});
