// A real executor host process (as the agent launches it, with its authentication token) and
// an agent runtime played by the test: the host proves the token's principal at the handshake,
// and a ShutdownExecutorHost from a stranger leaves its command task running.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Runtime, WebSocketTransport, type Pid } from '../../runtime/index.js';
import { validateMessage, type ExecutorInfo, type TaskStatus } from '../../protocol/index.js';
import { executorHostCommand, executorPrincipal } from '../../executor/index.js';
import { AGENT_INFO, Peer } from '../fixtures/driver-fakes.js';
import { envelope, rawPeer, until } from './raw-peer.js';

const FW = { value: 'm1-0000' };
const AGENT = { value: 'm1-S0' };
const root = await mkdtemp(join(tmpdir(), 'mesos-hostile-host-'));
after(() => rm(root, { recursive: true, force: true }));

test('an executor host authenticates with its token and ignores ShutdownExecutorHost from a stranger', async () => {
  const token = 'a-token-for-this-host-only';
  const principal = executorPrincipal(FW.value, 'executor-host');
  const agentRt = await Runtime.start({ transport: new WebSocketTransport(), validate: (_n, b) => validateMessage(b), auth: { secrets: { [principal]: token } } });
  const agent = agentRt.spawn(new Peer(), 'agent(1)');
  const dir = await mkdtemp(join(root, 'sandbox-'));
  const updates: TaskStatus[] = [];
  let hostPid: Pid | undefined;
  agent.reply = (msg, from) => {
    if (!from) return;
    if (msg.name === 'RegisterExecutorHost') {
      hostPid = from;
      const executor_info: ExecutorInfo = { executor_id: { value: 'sleeper' }, framework_id: FW, command: { value: 'command-executor' } };
      agent.tell(from, { name: 'LaunchExecutor', framework_id: FW, agent_id: AGENT, executor_info, directory: dir });
    } else if (msg.name === 'RegisterExecutor') {
      agent.tell(from, { name: 'ExecutorRegistered', executor_info: { executor_id: msg.executor_id, framework_id: FW }, framework_id: FW, framework_info: { user: 'u', name: 'f', id: FW }, agent_id: AGENT, agent_info: AGENT_INFO });
      agent.tell(from, { name: 'RunTask', framework: { user: 'u', name: 'f', id: FW }, task: { name: 's', task_id: { value: 's' }, agent_id: AGENT, command: { value: 'sleep 30' } }, pid: '' });
    } else if (msg.name === 'StatusUpdate') {
      updates.push(msg.update.status);
      agent.tell(msg.pid as Pid, { name: 'StatusUpdateAcknowledgement', agent_id: AGENT, framework_id: FW, task_id: msg.update.status.task_id, uuid: msg.update.uuid! });
    }
  };
  const cmd = executorHostCommand();
  const child = spawn(cmd.value, cmd.arguments.slice(1), {
    env: { ...process.env, MESOS_FRAMEWORK_ID: FW.value, MESOS_AGENT_PID: agent.self, MESOS_CHECKPOINT: '0', MESOS_EXECUTOR_AUTHENTICATION_TOKEN: token },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('the task runs', () => updates.some((u) => u.state === 'TASK_RUNNING'));
    assert.equal(agentRt.principalOf(hostPid!), principal, 'the host proved the principal of its token');

    const stranger = await rawPeer(hostPid!.split('@')[1]!);
    assert.equal(await stranger.opened, true);
    stranger.send(envelope(hostPid!, `agent(1)@${stranger.address}`, { name: 'ShutdownExecutorHost', framework_id: FW }), envelope(hostPid!, '', { name: 'ShutdownExecutorHost', framework_id: FW }));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(child.exitCode, null, 'the host is still running');
    assert.deepEqual(updates.map((u) => u.state), ['TASK_STARTING', 'TASK_RUNNING'], 'and so is its task');
    await stranger.stop();

    agent.tell(hostPid!, { name: 'ShutdownExecutorHost', framework_id: FW });
    assert.equal(await exited, 0, 'its own agent can still stop it');
  } finally {
    child.kill('SIGKILL');
    await agentRt.stop();
  }
});
