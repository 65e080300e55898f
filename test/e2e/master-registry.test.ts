// An admission the master acknowledged survives the master's death: a real master with a
// work_dir is SIGKILLed the moment its agents hear AgentRegistered, and the master started
// again on the same work_dir recovers every one of them from its registry.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { E2ENodeReady } from '../fixtures/e2e-node.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';

const NODE = fixture('e2e-node.ts');
const root = mkdtempSync(join(tmpdir(), 'mesos-ts-registry-e2e-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a master SIGKILLed right after it acknowledged admissions recovers those agents from its work_dir', { timeout: 90_000 }, async () => {
  const workDir = join(root, 'master');
  // Agents are not to come back by themselves: the recovered agents are what the registry kept.
  const master = await startProcess<E2ENodeReady>(NODE, ['master', JSON.stringify({ workDir, agentReregisterTimeoutMs: 60_000 })]);
  const agents: Started<E2ENodeReady>[] = [];
  const acknowledged: string[] = [];
  let killed = false;
  // Several at once, so that admissions share stores; the master dies as soon as one is acknowledged.
  const starting = [1, 2, 3, 4].map(async (i) => {
    const agent = await startProcess<E2ENodeReady>(NODE, ['agent', master.ready.address, 'cpus:1;mem:128', join(root, `agent-${i}`)]);
    agents.push(agent);
    if (!killed) {
      acknowledged.push(agent.ready.id!);
      killed = true;
      master.child.kill('SIGKILL');
    } else agent.child.kill('SIGKILL');
  });
  const results = await Promise.allSettled(starting);
  assert.ok(results.some((r) => r.status === 'fulfilled'), 'an agent registered');
  await master.exited;
  for (const a of agents) a.child.kill('SIGKILL');
  await Promise.all(agents.map((a) => a.exited));

  const restarted = await startProcess<E2ENodeReady>(NODE, ['master', JSON.stringify({ workDir, agentReregisterTimeoutMs: 60_000 })]);
  try {
    const state = (await (await fetch(`http://${restarted.ready.address}/master/state`)).json()) as { recovered_slaves: { id: string }[]; slaves: unknown[] };
    const recovered = state.recovered_slaves.map((s) => s.id);
    for (const id of acknowledged) assert.ok(recovered.includes(id), `acknowledged agent ${id} is recovered (recovered: ${recovered.join(', ')})`);
    assert.equal(state.slaves.length, 0);
  } finally {
    restarted.child.kill('SIGKILL');
    await restarted.exited;
  }
});
