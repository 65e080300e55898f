// A restarted agent facing what a host can do to it between two runs: a reboot that killed its
// executors and gave their pids to strangers, a pid reused without a reboot, and a task whose
// RunTask never reached its executor. The agent runs in this process (over real WebSockets, with
// a master stand-in that records what it hears); the executors and the strangers are real
// processes, and the strangers must survive.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime, WebSocketTransport, type Message } from '../../runtime/index.js';
import { checkpointPaths, startAgent, type AgentHandle } from '../../agent/index.js';
import type { StatusUpdate, TaskStatusUpdate } from '../../protocol/index.js';
import { AGENT_ID, Probe, validate } from '../fixtures/agent-probe.js';
import { waitUntil } from '../fixtures/e2e-cluster.js';

const fixture = fileURLToPath(new URL('../fixtures/agent-executor.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

describe('agent recovery when the host changed under the agent', { timeout: 120_000 }, () => {
  let masterRt: Runtime;
  let master: Probe;
  const updates: TaskStatusUpdate[] = [];
  const strangers: ChildProcess[] = [];
  const agents: AgentHandle[] = [];
  const dirs: string[] = [];

  before(async () => {
    masterRt = await Runtime.start({ port: 0, transport: new WebSocketTransport(), validate });
    master = masterRt.spawn(new Probe(), 'master');
    master.on('RegisterAgent', (_m, from) => master.sendTo(from as never, { name: 'AgentRegistered', agent_id: { value: AGENT_ID } } as Message));
    master.on('ReregisterAgent', (_m, from) => master.sendTo(from as never, { name: 'AgentReregistered', agent_id: { value: AGENT_ID } } as Message));
    // Every update is acknowledged, as a scheduler's driver does: the next one of a task follows.
    master.on('StatusUpdate', (m, from) => {
      const u = (m as unknown as StatusUpdate).update;
      updates.push(u);
      master.sendTo(from as never, { name: 'StatusUpdateAcknowledgement', agent_id: { value: AGENT_ID }, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid! } as Message);
    });
  });

  after(async () => {
    for (const a of agents) await a.stop({ destroyAll: true });
    for (const s of strangers) s.kill('SIGKILL');
    await masterRt.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function agent(workDir: string, port = 0): Promise<AgentHandle> {
    const a = await startAgent({
      master: masterRt.address,
      port,
      workDir,
      hostname: 'agent.test',
      resources: 'cpus:2;mem:1024;disk:2048;ports:[31000-31009]',
      registrationBackoffMs: 0,
      checkpointFsync: false,
      executorReregistrationTimeoutMs: 1000,
      reattachedExecutorPollMs: 20,
    });
    agents.push(a);
    await waitUntil('the agent to register', () => a.agent.status === 'RUNNING', 20_000, 5);
    return a;
  }

  function framework(id: string, partitionAware: boolean): Record<string, unknown> {
    return { user: 'tester', name: id, id: { value: id }, checkpoint: true, ...(partitionAware ? { capabilities: [{ type: 'PARTITION_AWARE' }] } : {}) };
  }

  function run(a: AgentHandle, fw: Record<string, unknown>, taskId: string, behaviour: string, launchExecutor: boolean): void {
    const task = {
      name: behaviour,
      task_id: { value: taskId },
      agent_id: { value: AGENT_ID },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
      executor: { executor_id: { value: 'e1' }, command: { shell: false, value: process.execPath, arguments: [process.execPath, '--import', tsx, fixture] } },
    };
    master.sendTo(a.pid, { name: 'RunTask', framework: fw, task, pid: '', launch_executor: launchExecutor } as Message);
  }

  const update = (taskId: string, state: string): Promise<TaskStatusUpdate> =>
    waitUntil(`${taskId} ${state}`, () => updates.find((u) => u.status.task_id.value === taskId && u.status.state === state), 20_000, 10);

  /** A live process unrelated to the agent, in a process group of its own, as a later boot would have. */
  function stranger(): ChildProcess {
    const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    strangers.push(child);
    return child;
  }

  /** Runs a checkpointing framework's task, stops the agent, kills its executor: what a crash or reboot leaves. */
  async function leftBehind(fwId: string, partitionAware: boolean): Promise<{ workDir: string; port: number; runDir: string }> {
    const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-recovery-faults-'));
    dirs.push(workDir);
    const a = await agent(workDir);
    run(a, framework(fwId, partitionAware), `${fwId}-t1`, 'run', true);
    await update(`${fwId}-t1`, 'TASK_RUNNING');
    const executor = a.containerizer.containers()[0]!;
    const runDir = checkpointPaths.runDir(workDir, { agentId: AGENT_ID, frameworkId: fwId, executorId: 'e1', containerId: executor.containerId });
    await waitUntil('the executor pid to be checkpointed', () => existsSync(join(runDir, 'pids', 'forked.pid')));
    const port = Number(a.address.split(':').pop());
    await a.stop();
    process.kill(-executor.pid, 'SIGKILL');
    await waitUntil('the executor to die', () => !alive(executor.pid));
    return { workDir, port, runDir };
  }

  it('after a reboot no checkpointed pid is adopted: the stranger now holding it survives, and the task is TASK_GONE (partition-aware)', async () => {
    const { workDir, port, runDir } = await leftBehind('fw-reboot', true);
    const other = stranger();
    await writeFile(join(runDir, 'pids', 'forked.pid'), String(other.pid));
    await writeFile(checkpointPaths.bootId(workDir), 'rebooted!');

    const before = master.named('ReregisterAgent').length;
    await agent(workDir, port);
    const gone = await update('fw-reboot-t1', 'TASK_GONE');
    assert.deepEqual([gone.status.source, gone.status.reason], ['SOURCE_AGENT', 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT']);
    assert.match(gone.status.message ?? '', /rebooted/);
    // The agent re-registers only after the re-registration timeout (MESOS-7539).
    await waitUntil('the re-registration', () => master.named('ReregisterAgent').length > before);
    // Well past the re-registration timeout: nothing of the agent touched the stranger.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(other.exitCode ?? other.signalCode, null, 'the process that reused the pid is alive');
    assert.equal(existsSync(join(runDir, 'pids', 'forked.pid')), false, 'the pids of the previous boot are removed, as Mesos does');
    assert.notEqual((await readFile(checkpointPaths.bootId(workDir), 'utf8')).trim(), 'rebooted!', "the host's boot id is recorded");
  });

  it('a pid reused without a reboot is told apart by its start time: the stranger survives, and the task is TASK_LOST (not partition-aware)', async () => {
    const { workDir, port, runDir } = await leftBehind('fw-reuse', false);
    assert.ok(existsSync(join(runDir, 'pids', 'forked.start')), 'the start time is checkpointed with the pid');
    const other = stranger();
    await writeFile(join(runDir, 'pids', 'forked.pid'), String(other.pid));

    await agent(workDir, port);
    const lost = await update('fw-reuse-t1', 'TASK_LOST');
    assert.deepEqual([lost.status.source, lost.status.reason], ['SOURCE_AGENT', 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT']);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(other.exitCode ?? other.signalCode, null, 'the process that reused the pid is alive');
  });

  it('a task whose RunTask never reached its executor is TASK_DROPPED with REASON_AGENT_RESTARTED once the executor re-registers without it', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-recovery-faults-'));
    dirs.push(workDir);
    const fw = framework('fw-staging', true);
    let a = await agent(workDir);
    run(a, fw, 'staging-t1', 'run', true);
    await update('staging-t1', 'TASK_RUNNING');
    // The executor behaves as if this RunTask were lost on the way: the task stays STAGING.
    run(a, fw, 'staging-t2', 'lost', false);
    await waitUntil('the second task to be checkpointed', async () => {
      const executor = a.containerizer.containers()[0]!;
      const dir = checkpointPaths.taskDir(workDir, { agentId: AGENT_ID, frameworkId: 'fw-staging', executorId: 'e1', containerId: executor.containerId, taskId: 'staging-t2' });
      return existsSync(join(dir, 'task.info'));
    });
    const port = Number(a.address.split(':').pop());
    await a.stop();

    a = await agent(workDir, port);
    const dropped = await update('staging-t2', 'TASK_DROPPED');
    assert.deepEqual([dropped.status.source, dropped.status.reason, dropped.status.message], ['SOURCE_AGENT', 'REASON_AGENT_RESTARTED', 'Task launched during agent restart']);
    // The executor itself re-registered and keeps its other task.
    assert.equal(updates.some((u) => u.status.task_id.value === 'staging-t1' && u.status.state !== 'TASK_RUNNING'), false);
    assert.equal(a.containerizer.containers().length, 1);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
