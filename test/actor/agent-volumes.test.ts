// The agent's side of persistent volumes (Mesos's Slave::checkpointResources and
// syncCheckpointedResources): the master's CheckpointResources is written to
// meta/resources/resources_info, a new volume gets its directory and a destroyed one loses it,
// and a restarted agent reports them when it registers again. A volume that comes with a later
// task on a running executor is linked into its sandbox before the task is delivered (Mesos's
// filesystem/posix isolator's update).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, type Message } from '../../runtime/index.js';
import { Resources, type Resource } from '../../protocol/index.js';
import { checkpointPaths } from '../../agent/index.js';
import { AGENT_ID, FRAMEWORK, Probe, cluster, getJson, registered, validate } from '../fixtures/agent-probe.js';

const reserved = (mb: number): Resource => ({ name: 'disk', type: 'SCALAR', scalar: { value: mb }, reservations: [{ type: 'DYNAMIC', role: 'dev' }] });
const volume = (id: string, mb: number): Resource => ({ ...reserved(mb), disk: { persistence: { id }, volume: { container_path: 'data', mode: 'RW' } } });

test('CheckpointResources is checkpointed, makes and removes volume directories, and comes back on registration after a restart', async () => {
  const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-agent-volumes-'));
  const volumeDir = join(workDir, 'volumes', 'roles', 'dev', 'v1');
  try {
    let c = await cluster({ workDir });
    await c.settle();
    c.master.sendTo(c.agent.pid, { name: 'CheckpointResources', resources: [reserved(64), volume('v1', 128)] } as Message);
    await c.settle();
    assert.ok(existsSync(volumeDir), 'the volume has its directory');
    const info = JSON.parse(readFileSync(checkpointPaths.resourcesInfo(workDir), 'utf8')) as Resource[];
    assert.ok(Resources.fromJSON(info).equals(Resources.fromJSON([reserved(64), volume('v1', 128)])));
    const state = (await getJson(c, '/state')).body as { resources: Record<string, number> };
    assert.equal(state.resources['disk'], 2048, 'the total is the same disk, now partly reserved');

    // Someone who is not the master is not obeyed.
    const rt = await Runtime.start({ transport: c.net.transport(), clock: c.clock, validate });
    c.runtimes.push(rt);
    const stranger = rt.spawn(new Probe(), 'stranger');
    stranger.sendTo(c.agent.pid, { name: 'CheckpointResources', resources: [] } as Message);
    await c.settle();
    assert.ok(existsSync(volumeDir), 'a stranger cannot destroy a volume');
    await rt.stop();
    c.runtimes.splice(c.runtimes.indexOf(rt), 1);
    await c.stop();

    // A restarted agent reports them, whichever way it registers.
    c = await cluster({ workDir });
    const registrations = () => c.master.named('RegisterAgent').length + c.master.named('ReregisterAgent').length;
    while (registrations() === 0) await c.step();
    const sent = [...c.master.named<{ checkpointed_resources?: Resource[] }>('RegisterAgent'), ...c.master.named<{ checkpointed_resources?: Resource[] }>('ReregisterAgent')];
    assert.ok(sent.length > 0);
    assert.ok(Resources.fromJSON(sent[sent.length - 1]!.checkpointed_resources ?? []).equals(Resources.fromJSON([reserved(64), volume('v1', 128)])));
    // DESTROY: the volume is gone from the checkpoint and from the disk; the reservation stays.
    c.master.sendTo(c.agent.pid, { name: 'CheckpointResources', resources: [reserved(192)] } as Message);
    await c.settle();
    assert.equal(existsSync(volumeDir), false);
    assert.equal(Resources.fromJSON(JSON.parse(readFileSync(checkpointPaths.resourcesInfo(workDir), 'utf8')) as Resource[]).reserved('dev').scalar('disk'), 192);
    // Resources the agent does not have, or a volume id that would leave its directory, are refused, and nothing changes.
    c.master.sendTo(c.agent.pid, { name: 'CheckpointResources', resources: [reserved(99_999)] } as Message);
    c.master.sendTo(c.agent.pid, { name: 'CheckpointResources', resources: [volume('..', 64)] } as Message);
    await c.settle();
    assert.equal(Resources.fromJSON(JSON.parse(readFileSync(checkpointPaths.resourcesInfo(workDir), 'utf8')) as Resource[]).reserved('dev').scalar('disk'), 192);
    await c.stop();
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
});

test('a task that brings a volume to an executor already running gets it linked in the sandbox first; an unknown volume fails the task with REASON_CONTAINER_UPDATE_FAILED', async () => {
  const c = await cluster();
  try {
    await registered(c);
    c.master.sendTo(c.agent.pid, { name: 'CheckpointResources', resources: [volume('v1', 128)] } as Message);
    await c.settle();
    const cpus = { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } };
    const executor = { executor_id: { value: 'ex' }, framework_id: FRAMEWORK.id, type: 'CUSTOM', command: { value: 'sleep 60' }, resources: [cpus] };
    const task = (id: string, extra: Resource[] = []) => ({ name: id, task_id: { value: id }, agent_id: { value: AGENT_ID }, resources: [cpus, ...extra], executor });
    c.master.sendTo(c.agent.pid, { name: 'RunTask', framework: FRAMEWORK, task: task('first'), pid: '', launch_executor: true } as Message);
    await c.settle();
    // The executor's process runs; the test speaks for it.
    const rt = await Runtime.start({ transport: c.net.transport(), clock: c.clock, validate });
    c.runtimes.push(rt);
    const ex = rt.spawn(new Probe(), 'ex');
    ex.sendTo(c.agent.pid, { name: 'RegisterExecutor', framework_id: FRAMEWORK.id, executor_id: { value: 'ex' } } as Message);
    await c.settle();
    assert.deepEqual(ex.named<{ task: { task_id: { value: string } } }>('RunTask').map((m) => m.task.task_id.value), ['first']);
    const state = (await getJson(c, '/state')).body as { frameworks: { executors: { id: string; directory: string }[] }[] };
    const sandbox = state.frameworks[0]!.executors.find((e) => e.id === 'ex')!.directory;
    assert.equal(existsSync(join(sandbox, 'data')), false, 'no volume yet');

    c.master.sendTo(c.agent.pid, { name: 'RunTask', framework: FRAMEWORK, task: task('second', [volume('v1', 128)]), pid: '', launch_executor: false } as Message);
    await c.settle();
    assert.deepEqual(ex.named<{ task: { task_id: { value: string } } }>('RunTask').map((m) => m.task.task_id.value), ['first', 'second']);
    assert.equal(realpathSync(join(sandbox, 'data')), realpathSync(join(c.workDir, 'volumes', 'roles', 'dev', 'v1')), 'the volume is linked at its container_path before the task arrives');

    c.master.sendTo(c.agent.pid, { name: 'RunTask', framework: FRAMEWORK, task: task('third', [volume('nope', 64)]), pid: '', launch_executor: false } as Message);
    await c.settle();
    assert.equal(ex.named('RunTask').length, 2, 'the task with an unknown volume never reaches the executor');
    const failed = c.master.named<{ update: { status: { task_id: { value: string }; state: string; reason?: string; message?: string } } }>('StatusUpdate').map((u) => u.update.status).find((s) => s.task_id.value === 'third');
    assert.equal(failed?.state, 'TASK_FAILED');
    assert.equal(failed?.reason, 'REASON_CONTAINER_UPDATE_FAILED');
    assert.match(failed?.message ?? '', /nope/);
    assert.equal(realpathSync(join(sandbox, 'data')), realpathSync(join(c.workDir, 'volumes', 'roles', 'dev', 'v1')), 'the link of the running task stays');
  } finally {
    await c.stop();
  }
});
