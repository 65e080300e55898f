import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, WebSocketTransport, type Pid } from '../../runtime/index.js';
import { isTerminalState, validateMessage, type ExecutorInfo, type TaskStatus } from '../../protocol/index.js';
import { ExecutorHost, executorHostCommand } from '../../executor/index.js';
import { bundled, programArguments } from '../../executor/program.js';
import { AGENT_INFO, cluster, Peer } from '../fixtures/driver-fakes.js';

const FW = { value: 'm1-0000' };
const AGENT = { value: 'm1-S0' };
const root = await mkdtemp(join(tmpdir(), 'mesos-ts-executor-host-'));
after(() => rm(root, { recursive: true, force: true }));

/**
 * Plays the agent's part for command tasks: on RegisterExecutorHost it launches one command
 * executor per task; it registers each executor, runs its task and acknowledges every update.
 */
function commandAgent(agent: Peer, tasks: { id: string; command: string; dir: string }[]): { updates: TaskStatus[] } {
  const updates: TaskStatus[] = [];
  agent.reply = (msg, from) => {
    if (!from) return;
    if (msg.name === 'RegisterExecutorHost') {
      for (const t of tasks) {
        const executor_info: ExecutorInfo = { executor_id: { value: t.id }, framework_id: FW, command: { value: 'command-executor' } };
        agent.tell(from, { name: 'LaunchExecutor', framework_id: FW, agent_id: AGENT, executor_info, directory: t.dir });
      }
    } else if (msg.name === 'RegisterExecutor') {
      const t = tasks.find((x) => x.id === msg.executor_id.value)!;
      agent.watch(from);
      const executor_info: ExecutorInfo = { executor_id: msg.executor_id, framework_id: FW };
      agent.tell(from, { name: 'ExecutorRegistered', executor_info, framework_id: FW, framework_info: { user: 'u', name: 'f', id: FW }, agent_id: AGENT, agent_info: AGENT_INFO });
      agent.tell(from, { name: 'RunTask', framework: { user: 'u', name: 'f', id: FW }, task: { name: t.id, task_id: { value: t.id }, agent_id: AGENT, command: { value: t.command } }, pid: '' });
    } else if (msg.name === 'StatusUpdate') {
      updates.push(msg.update.status);
      agent.tell(msg.pid as Pid, { name: 'StatusUpdateAcknowledgement', agent_id: AGENT, framework_id: FW, task_id: msg.update.status.task_id, uuid: msg.update.uuid! });
    }
  };
  return { updates };
}

test('an executor host runs many command executors in one runtime, each stopping once its task is acknowledged', async () => {
  const c = cluster();
  const agentRt = await c.start();
  const agent = agentRt.spawn(new Peer(), 'agent(1)');
  const tasks = await Promise.all(
    ['a', 'b', 'c'].map(async (id, i) => ({ id, command: `echo task ${id}; exit ${i}`, dir: await mkdtemp(join(root, `${id}-`)) })),
  );
  const { updates } = commandAgent(agent, tasks);
  const hostRt = await c.start();
  const host = hostRt.spawn(
    new ExecutorHost({ frameworkId: FW, agentPid: agent.self, checkpoint: false, recoveryTimeoutMs: 60_000, shutdownGracePeriodMs: 1000 }),
    'executor-host',
  );
  await agent.until(() => agent.exits.length === 3);
  const final = new Map(updates.filter((u) => isTerminalState(u.state)).map((u) => [u.task_id.value, [u.state, u.message]]));
  assert.deepEqual(Object.fromEntries(final), {
    a: ['TASK_FINISHED', 'Command exited with status 0'],
    b: ['TASK_FAILED', 'Command exited with status 1'],
    c: ['TASK_FAILED', 'Command exited with status 2'],
  });
  assert.equal(await readFile(join(tasks[0]!.dir, 'stdout'), 'utf8'), 'task a\n');
  assert.deepEqual(agent.exits.map((p) => p.split('@')[0]).sort(), ['executor(1)', 'executor(2)', 'executor(3)']);
  agent.tell(host.self, { name: 'ShutdownExecutorHost', framework_id: FW });
  await host.done;
  await c.stop();
});

test('the executor host program starts from executorHostCommand, runs a task for a real agent runtime and exits on shutdown', async () => {
  const agentRt = await Runtime.start({ transport: new WebSocketTransport(), validate: (_n, b) => validateMessage(b) });
  const agent = agentRt.spawn(new Peer(), 'agent(1)');
  const dir = await mkdtemp(join(root, 'real-'));
  const { updates } = commandAgent(agent, [{ id: 'real', command: 'echo from a real host', dir }]);
  const cmd = executorHostCommand();
  assert.equal(cmd.shell, false);
  assert.equal(cmd.arguments[0], process.execPath);
  const child = spawn(cmd.value, cmd.arguments.slice(1), {
    env: { ...process.env, MESOS_FRAMEWORK_ID: FW.value, MESOS_AGENT_PID: agent.self, MESOS_CHECKPOINT: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await agent.until(() => agent.exits.length === 1);
  assert.deepEqual(updates.map((u) => u.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  assert.equal(await readFile(join(dir, 'stdout'), 'utf8'), 'from a real host\n');
  const [hello] = agent.received.filter((r) => r.msg.name === 'RegisterExecutorHost');
  agent.tell(hello!.from as Pid, { name: 'ShutdownExecutorHost', framework_id: FW });
  assert.equal(await exited, 0);
  await agentRt.stop();
});

test('a compiled program runs as its one-file bundle only while the bundle is at least as new as the program', async () => {
  const dir = await mkdtemp(join(root, 'bundle-'));
  const program = join(dir, 'host-main.js');
  const bundle = join(dir, 'host-main.bundle.js');
  await writeFile(program, '');
  assert.equal(bundled(program), program, 'no bundle: the program itself');
  await writeFile(bundle, '');
  await utimes(bundle, new Date(), new Date(Date.now() + 1000));
  assert.equal(bundled(program), bundle);
  assert.deepEqual(programArguments(program, []), [bundle]);
  await utimes(program, new Date(), new Date(Date.now() + 5000));
  assert.equal(bundled(program), program, 'a program rebuilt after its bundle runs as it is');
  assert.equal(bundled(bundle), bundle);
});
