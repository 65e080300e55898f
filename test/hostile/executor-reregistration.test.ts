// After an agent restart, executors re-register with the tokens the agent checkpointed for
// them: a stranger's ReregisterExecutor for a recovered executor is refused and counted, and
// the real executor (a checkpointing framework's command task in its executor host) still
// re-registers and obeys. Real master, agent and executor processes; the agent is SIGKILLed
// and restarted on the same work_dir. The executor host is held stopped (SIGSTOP) across the
// restart so that the forgery certainly arrives while the executor is still awaited.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingScheduler, processesUnder, waitUntil } from '../fixtures/e2e-cluster.js';
import { startProcess, type Started } from '../fixtures/processes.js';
import { envelope, metrics, rawPeer } from './raw-peer.js';

type Ready = { address: string; pid: string; osPid: number };
const node = join(import.meta.dirname, 'secure-node.ts');

function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, name));
    else if (e.name === name) out.push(p);
  }
  return out;
}

/** The executor host: the process working in an `executor-host/runs/…` directory. */
function executorHostPid(workDir: string): number | undefined {
  return processesUnder(workDir).find((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).includes('/executor-host/runs/');
    } catch {
      return false;
    }
  });
}

describe('executor re-registration after an agent restart', () => {
  let workDir: string;
  let master: Started<Ready>;
  let agent: Started<Ready> | undefined;
  let fw: RecordingScheduler;
  let stoppedHost: number | undefined;
  const trust = { authenticateExecutors: true, executorReregistrationTimeoutMs: 4000, statusUpdateRetryMs: 500 };

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'mesos-hostile-rereg-'));
    master = await startProcess<Ready>(node, ['master', '{}']);
    agent = await startProcess<Ready>(node, ['agent', master.ready.address, 'cpus:1;mem:256', workDir, JSON.stringify(trust)]);
    fw = new RecordingScheduler(master.ready.address, { name: 'checkpointing', checkpoint: true, failover_timeout: 60 });
    await fw.start();
  });

  after(async () => {
    if (stoppedHost !== undefined) process.kill(stoppedHost, 'SIGCONT');
    await fw?.driver.stop();
    agent?.child.kill('SIGTERM');
    master?.child.kill('SIGTERM');
    await Promise.all([agent?.exited, master?.exited]);
    for (const pid of processesUnder(workDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  it('a forged ReregisterExecutor is refused and counted; the real executor re-registers with its checkpointed token', async () => {
    await fw.launch((o) => [{
      name: 'sleeper',
      task_id: { value: 'sleeper' },
      agent_id: o.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
      command: { value: 'sleep 60' },
    }]);
    await fw.status('sleeper', 'TASK_RUNNING');

    const tokens = findFiles(join(workDir, 'meta'), 'executor.token');
    assert.equal(tokens.length, 1, 'the executor run has its token checkpointed');
    assert.equal(statSync(tokens[0]!).mode & 0o777, 0o600, 'readable by the agent only');

    const host = await waitUntil('the executor host process', () => executorHostPid(workDir));
    const port = Number(agent!.ready.address.split(':').pop());
    agent!.child.kill('SIGKILL');
    await agent!.exited;
    // Held still, the host cannot answer the restarted agent's ReconnectExecutor yet.
    process.kill(host, 'SIGSTOP');
    stoppedHost = host;
    agent = await startProcess<Ready>(node, ['agent', master.ready.address, 'cpus:1;mem:256', workDir, JSON.stringify({ ...trust, port })]);
    const address = agent.ready.address;

    const stranger = await rawPeer(address);
    try {
      assert.equal(await stranger.opened, true);
      stranger.send(envelope(agent.ready.pid, `executor@${stranger.address}`, { name: 'ReregisterExecutor', framework_id: { value: fw.frameworkId! }, executor_id: { value: 'sleeper' }, tasks: [], updates: [] }));
      await waitUntil('the forged re-registration to be counted', async () => ((await metrics(address))['slave/dropped_messages/unauthenticated'] ?? 0) >= 1);
      assert.ok(!stranger.received.some((i) => Array.isArray(i) && i[2] === 'ExecutorReregistered'), 'the stranger is not taken for the executor');
    } finally {
      await stranger.stop();
    }

    process.kill(host, 'SIGCONT');
    stoppedHost = undefined;
    const m = await waitUntil('the real executor to re-register', async () => {
      const m = await metrics(address);
      return m['slave/executors_running'] === 1 && m;
    });
    assert.equal(m['slave/dropped_messages/unauthenticated'], 1, 'only the forgery was refused');

    // The agent listens to the real executor: once the agent is back with the master, a kill reaches the task.
    const since = fw.mark();
    await waitUntil('the agent to re-register', async () => (await metrics(master.ready.address))['master/slaves_active'] === 1);
    fw.driver.killTask({ value: 'sleeper' });
    await fw.status('sleeper', 'TASK_KILLED', { since });
  });
});
