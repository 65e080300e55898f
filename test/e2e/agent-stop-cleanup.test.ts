// How an agent process ends on purpose, with real `mesos-agent` processes: SIGUSR1 (and SIGTERM
// with --unregister_on_sigterm) unregisters from the master, which removes the agent and its
// tasks at once; `--recover=cleanup` after a crash kills everything the previous agent started,
// each command task's own process group and what it forked included.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { background, cleanEnv, run, type Background } from '../fixtures/cli-run.js';
import { commandLine, commandTask, E2ECluster, getJson, processesUnder, RecordingScheduler, waitUntil, type MasterState } from '../fixtures/e2e-cluster.js';

const RESOURCES = 'cpus:1;mem:256;disk:256;ports:[31000-31005]';

describe('an agent stopped on purpose', { timeout: 90_000 }, () => {
  let cluster: E2ECluster;
  let fw: RecordingScheduler;
  const agents: Background[] = [];

  before(async () => {
    cluster = await E2ECluster.start({ agents: [] });
    fw = new RecordingScheduler(cluster.master.address, { name: 'stop-cleanup', checkpoint: true });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the test');
  });

  /** A real mesos-agent on a work_dir below the cluster's root; resolves once the master lists it. */
  async function cliAgent(name: string, extra: string[] = []): Promise<{ bg: Background; workDir: string; id: string; port: string }> {
    const workDir = join(cluster.root, name);
    const args = [`--master=${cluster.master.address}`, `--work_dir=${workDir}`, '--port=0', `--hostname=${name}`, `--resources=${RESOURCES}`, '--registration_backoff_factor=50ms', '--executor_shutdown_grace_period=1secs', ...extra];
    const bg = background('mesos-agent', args, { env: cleanEnv() });
    agents.push(bg);
    const agent = await waitUntil(`${name} to register`, async () => (await cluster.masterState()).slaves.find((s) => (s as { hostname?: string }).hostname === name), 45_000, 100);
    return { bg, workDir, id: agent.id, port: agent.pid.split(':').pop()! };
  }

  async function runningTask(agentId: string, taskId: string, command: string): Promise<void> {
    await fw.launch((offer) => [commandTask(taskId, offer, command)], { agentId });
    await fw.status(taskId, 'TASK_RUNNING');
  }

  for (const [signal, flags] of [['SIGUSR1', []], ['SIGTERM', ['--unregister_on_sigterm']]] as const) {
    it(`${signal}${flags.length ? ` with ${flags.join(' ')}` : ''} unregisters: the master removes the agent at once, its tasks are TASK_LOST with REASON_AGENT_REMOVED, nothing is left running`, async () => {
      const name = `graceful-${signal.toLowerCase()}`;
      const a = await cliAgent(name, [...flags]);
      const taskId = `${name}-task`;
      await runningTask(a.id, taskId, 'sleep 600');
      const before = await cluster.metrics();
      const since = fw.mark();
      a.bg.child.kill(signal);

      const lost = await fw.status(taskId, 'TASK_LOST', { since });
      assert.deepEqual([lost.source, lost.reason], ['SOURCE_MASTER', 'REASON_AGENT_REMOVED']);
      await fw.next('agentLost', (e) => e.agentId === a.id, { since });
      assert.deepEqual(await a.bg.exited, { code: 0, signal: null });
      const m = await cluster.metrics();
      assert.equal(m['master/slave_removals/reason_unregistered']! - (before['master/slave_removals/reason_unregistered'] ?? 0), 1);
      const state = await getJson<MasterState>(`http://${cluster.master.address}/master/state`);
      assert.equal(state.slaves.some((s) => s.id === a.id), false);
      await waitUntil('its executors and tasks to exit', () => processesUnder(a.workDir).length === 0, 10_000);
    });
  }

  it('--recover=cleanup after a crash kills every process the agent started, each command task\'s own process group included, and exits 0 without registering', async () => {
    const a = await cliAgent('cleanup');
    // The task forks: a child in the task's process group, which is not its executor's.
    await runningTask(a.id, 'cleanup-task', 'sleep 600 & exec sleep 601');
    const sandboxes = join(a.workDir, 'slaves');
    const tasks = await waitUntil('both sleeps', () => {
      const p = processesUnder(sandboxes).filter((pid) => /^sleep 60[01]$/.test(commandLine(pid)));
      return p.length === 2 && p;
    });
    a.bg.child.kill('SIGKILL');
    await a.bg.exited;
    assert.ok(tasks.every((pid) => processesUnder(sandboxes).includes(pid)), 'a crashed agent leaves its checkpointing framework\'s tasks running');

    const registrations = (await cluster.metrics())['master/slave_reregistrations'];
    const r = await run('mesos-agent', [`--master=${cluster.master.address}`, `--work_dir=${a.workDir}`, `--port=${a.port}`, '--hostname=cleanup', `--resources=${RESOURCES}`, '--recover=cleanup'], { env: cleanEnv(), timeoutMs: 30_000 });
    // What is left first: an agent that fails to clean up must not hide the orphans behind its exit code.
    const left = processesUnder(a.workDir).map((pid) => `${pid} ${commandLine(pid)}`);
    assert.deepEqual(left, [], 'nothing the previous agent started is left');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await cluster.metrics())['master/slave_reregistrations'], registrations, 'it did not register');
  });
});
