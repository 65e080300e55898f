// Executors that outlive their agent: the agent process is SIGKILLed and started again on its
// work_dir and port (--recover=reconnect), and a custom executor on MesosExecutorDriver and a
// command task of a checkpointing framework carry on through the new agent; a framework that
// does not checkpoint loses its executor with the agent, as in Mesos. Also a ReconnectExecutor
// lost on its way (--executor_reregistration_retry_interval) and a connection to a live custom
// executor broken at the agent's end only.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { nodeCommand } from '../../executor/index.js';
import type { Offer, TaskInfo } from '../../protocol/index.js';
import { Resources } from '../../protocol/index.js';
import { commandTask, E2ECluster, processesUnder, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

const EXECUTOR = fileURLToPath(new URL('../fixtures/driver-executor.ts', import.meta.url));
/** The message of the update the fixture's executor sends while its agent is away. */
const WHILE_AWAY = 'sent while the agent was away';

function customTask(id: string, executorId: string, offer: Offer): TaskInfo {
  return {
    name: id,
    task_id: { value: id },
    agent_id: offer.agent_id,
    resources: Resources.parse('cpus:0.1;mem:32').toJSON(),
    executor: { executor_id: { value: executorId }, command: nodeCommand(EXECUTOR) },
  };
}

describe('executors across an agent restart', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  /** Checkpointing, as a framework must be for its executors to outlive their agent. */
  let ckpt: RecordingScheduler;
  let plain: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: [] });
    ckpt = new RecordingScheduler(cluster.master.address, { name: 'ckpt', checkpoint: true });
    plain = new RecordingScheduler(cluster.master.address, { name: 'plain' });
    await Promise.all([ckpt.start(), plain.start()]);
  });

  after(async () => {
    await Promise.all([ckpt?.stop(), plain?.stop()]);
    for (const a of cluster?.agents ?? []) if (a.child.exitCode !== null || a.child.signalCode !== null) cluster.killLeftovers(a);
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the test');
  });

  const frameworkDir = (agent: AgentProcess, fw: RecordingScheduler): string => join(agent.workDir, 'slaves', agent.id, 'frameworks', fw.frameworkId!);
  /** The sandbox of an executor's only run. */
  function sandbox(agent: AgentProcess, fw: RecordingScheduler, executorId: string): string {
    const runs = join(frameworkDir(agent, fw), 'executors', executorId, 'runs');
    const run = readdirSync(runs).find((r) => r !== 'latest');
    assert.ok(run, `a run of ${executorId}`);
    return join(runs, run);
  }
  const said = (dir: string, line: string): boolean => existsSync(join(dir, 'stdout')) && readFileSync(join(dir, 'stdout'), 'utf8').split('\n').includes(line);
  /** The executor's own address (its libprocess pid, checkpointed by the agent). */
  function executorAddress(agent: AgentProcess, fw: RecordingScheduler, executorId: string): string {
    const metaRuns = join(agent.workDir, 'meta', 'slaves', agent.id, 'frameworks', fw.frameworkId!, 'executors', executorId, 'runs');
    const run = readdirSync(metaRuns).find((r) => r !== 'latest')!;
    return readFileSync(join(metaRuns, run, 'pids', 'libprocess.pid'), 'utf8').trim().split('@')[1]!;
  }
  async function kill(agent: AgentProcess): Promise<void> {
    agent.child.kill('SIGKILL');
    await agent.exited;
  }
  const finish = (fw: RecordingScheduler, executorId: string, agent: AgentProcess, taskId: string): void =>
    void fw.driver.sendFrameworkMessage({ value: executorId }, { value: agent.id }, new TextEncoder().encode(`finish ${taskId}`));
  const terminalBesides = (fw: RecordingScheduler, taskId: string, allowed: string): string[] =>
    fw.statusesOf(taskId).filter((s) => !['TASK_STARTING', 'TASK_RUNNING', allowed].includes(s.state)).map((s) => `${s.state} ${s.reason ?? ''} ${s.message ?? ''}`);

  it("SIGKILLed and restarted, the agent reconnects a checkpointing framework's custom executor and command task: both stay TASK_RUNNING, the update sent while it was away is delivered, and both finish later; a framework that does not checkpoint loses its executor with the agent", async () => {
    let agent = await cluster.startAgent('cpus:2;mem:512;disk:256', { executorReregistrationTimeoutMs: 2000 });
    await ckpt.launch((offer) => [customTask('custom-1', 'ex-1', offer), commandTask('command-1', offer, 'until [ -e go ]; do sleep 0.05; done')], { agentId: agent.id, needs: 'cpus:0.2;mem:64' });
    await plain.launch((offer) => [customTask('plain-1', 'ex-plain', offer)], { agentId: agent.id });
    // Later agents' offers go to ckpt, not to a pool plain never uses.
    plain.declineOffers();
    await Promise.all([ckpt.status('custom-1', 'TASK_RUNNING'), ckpt.status('command-1', 'TASK_RUNNING'), plain.status('plain-1', 'TASK_RUNNING')]);
    const custom = sandbox(agent, ckpt, 'ex-1');
    const command = sandbox(agent, ckpt, 'command-1');
    const plainDir = frameworkDir(agent, plain);
    const since = ckpt.mark();

    await kill(agent);
    // The driver noticed its agent go; one that checkpoints waits, one that does not shuts down and exits.
    await waitUntil('the custom executor to notice its agent gone', () => said(custom, 'disconnected'));
    await waitUntil("the non-checkpointing framework's executor to exit", () => processesUnder(plainDir).length === 0);
    assert.ok(said(sandbox(agent, plain, 'ex-plain'), 'shutdown'), 'it shut down through its driver');

    agent = await cluster.restartAgent(agent, { executorReregistrationTimeoutMs: 2000 });
    const away = await ckpt.status('custom-1', 'TASK_RUNNING', { since, pred: (s) => s.message === WHILE_AWAY });
    assert.equal(away.source, 'SOURCE_EXECUTOR');
    await waitUntil('the driver to be re-registered', () => said(custom, 'reregistered'));

    finish(ckpt, 'ex-1', agent, 'custom-1');
    writeFileSync(join(command, 'go'), '');
    const [a, b] = await Promise.all([ckpt.status('custom-1', 'TASK_FINISHED', { since }), ckpt.status('command-1', 'TASK_FINISHED', { since })]);
    assert.deepEqual([a.source, b.source], ['SOURCE_EXECUTOR', 'SOURCE_EXECUTOR'], 'the executors themselves finished the tasks, through the new agent');
    assert.deepEqual([...terminalBesides(ckpt, 'custom-1', 'TASK_FINISHED'), ...terminalBesides(ckpt, 'command-1', 'TASK_FINISHED')], []);
  });

  it('a ReconnectExecutor lost on its way is sent again every --executor_reregistration_retry_interval, and the executor re-registers within the re-registration timeout', async () => {
    const options = { executorReregistrationTimeoutMs: 4000, executorReregistrationRetryIntervalMs: 100, testEndpoints: true };
    let agent = await cluster.startAgent('cpus:1;mem:256;disk:256', options);
    await ckpt.launch((offer) => [customTask('retry-1', 'ex-retry', offer)], { agentId: agent.id });
    await ckpt.status('retry-1', 'TASK_RUNNING');
    const dir = sandbox(agent, ckpt, 'ex-retry');
    // The executor drops the first ReconnectExecutor it receives (its own test endpoints).
    const filters = `http://${executorAddress(agent, ckpt, 'ex-retry')}/__filters__`;
    const r = await fetch(filters, { method: 'POST', body: JSON.stringify({ side: 'receive', name: 'ReconnectExecutor', times: 1 }) });
    assert.equal(r.status, 200);
    const since = ckpt.mark();

    await kill(agent);
    agent = await cluster.restartAgent(agent, options);
    await waitUntil('the driver to be re-registered', () => said(dir, 'reregistered'));
    assert.deepEqual(await (await fetch(filters)).json(), [], 'the first ReconnectExecutor was dropped');
    await ckpt.status('retry-1', 'TASK_RUNNING', { since, pred: (s) => s.message === WHILE_AWAY });
    finish(ckpt, 'ex-retry', agent, 'retry-1');
    await ckpt.status('retry-1', 'TASK_FINISHED', { since });
    assert.deepEqual(terminalBesides(ckpt, 'retry-1', 'TASK_FINISHED'), []);
  });

  it('an executor that had not registered when its agent died exits with it; the restarted agent reports its task TASK_LOST with REASON_EXECUTOR_REREGISTRATION_TIMEOUT', async () => {
    let agent = await cluster.startAgent('cpus:1;mem:256;disk:256', { testEndpoints: true, executorRegistrationTimeoutMs: 60_000, executorReregistrationTimeoutMs: 1000 });
    // The agent drops the executor's one RegisterExecutor: the task stays STAGING.
    const r = await fetch(`http://${agent.address}/__filters__`, { method: 'POST', body: JSON.stringify({ side: 'receive', name: 'RegisterExecutor', times: 1 }) });
    assert.equal(r.status, 200);
    await ckpt.launch((offer) => [customTask('unreg-1', 'ex-unreg', offer)], { agentId: agent.id });
    await waitUntil('the RegisterExecutor to be dropped', async () => (await (await fetch(`http://${agent.address}/__filters__`)).json() as unknown[]).length === 0);
    const dir = sandbox(agent, ckpt, 'ex-unreg');
    const since = ckpt.mark();

    await kill(agent);
    await waitUntil('the unregistered executor to exit', () => processesUnder(dir).length === 0);
    assert.ok(said(dir, 'shutdown'), 'it shut down through its driver');
    agent = await cluster.restartAgent(agent, { executorReregistrationTimeoutMs: 1000 });
    const lost = await ckpt.status('unreg-1', 'TASK_LOST', { since });
    assert.deepEqual([lost.source, lost.reason], ['SOURCE_AGENT', 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT']);
    // (An update may arrive twice: the agent resends what is unacknowledged once it re-registers.)
    assert.deepEqual([...new Set(ckpt.statusesOf('unreg-1').map((s) => s.state))], ['TASK_LOST'], 'it never ran');
  });

  it("a live custom executor whose connection the agent loses is asked to reconnect, not killed: its task finishes later", async () => {
    const agent = await cluster.startAgent('cpus:1;mem:256;disk:256', { testEndpoints: true });
    await ckpt.launch((offer) => [customTask('cut-1', 'ex-cut', offer)], { agentId: agent.id });
    await ckpt.status('cut-1', 'TASK_RUNNING');
    const dir = sandbox(agent, ckpt, 'ex-cut');
    const since = ckpt.mark();
    // The agent's end drops the connection (as its heartbeat does to a starved peer); the executor is not told.
    const r = await fetch(`http://${agent.address}/__connections__/break`, { method: 'POST', body: JSON.stringify({ peer: executorAddress(agent, ckpt, 'ex-cut') }) });
    assert.equal(r.status, 200);
    await waitUntil('the driver to be re-registered', () => said(dir, 'reregistered'));
    finish(ckpt, 'ex-cut', agent, 'cut-1');
    await ckpt.status('cut-1', 'TASK_FINISHED', { since });
    assert.deepEqual(terminalBesides(ckpt, 'cut-1', 'TASK_FINISHED'), []);
  });
});
