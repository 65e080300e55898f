// Dominant Resource Fairness with real processes: on one agent of <9 CPUs, 18 GB>, framework A
// runs tasks of <1 CPU, 4 GB> and B tasks of <3 CPUs, 1 GB>, each wanting as many as fit. DRF
// equalizes their dominant shares: A ends with 3 tasks (memory 2/3) and B with 2 (CPUs 2/3).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Resources } from '../../protocol/index.js';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

const TASK_A = 'cpus:1;mem:4096';
const TASK_B = 'cpus:3;mem:1024';

describe('DRF between two frameworks on one agent', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let a: RecordingScheduler;
  let b: RecordingScheduler;
  /** Offers each framework declined because its task no longer fit, since anyone last launched. */
  const declinedSinceLastLaunch = new Map<RecordingScheduler, number>();
  let launching = false;

  /** One long task per offer while it fits; every other resource goes straight back (refuse_seconds 0). */
  function greedy(fw: RecordingScheduler, name: string, perTask: string): void {
    const need = Resources.parse(perTask);
    let n = 0;
    fw.onOffers = (driver, offers) => {
      for (const offer of offers) {
        if (!launching || !Resources.fromJSON(offer.resources).contains(need)) {
          driver.declineOffer(offer.id, { refuse_seconds: 0 });
          if (launching) declinedSinceLastLaunch.set(fw, (declinedSinceLastLaunch.get(fw) ?? 0) + 1);
          continue;
        }
        for (const other of declinedSinceLastLaunch.keys()) declinedSinceLastLaunch.set(other, 0);
        driver.launchTasks([offer.id], [commandTask(`${name}-${++n}`, offer, 'sleep 30', perTask)], { refuse_seconds: 0 });
      }
    };
  }

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:9;mem:18432'] });
    agent = cluster.agents[0]!;
    a = new RecordingScheduler(cluster.master.address, { name: 'drf-a' });
    b = new RecordingScheduler(cluster.master.address, { name: 'drf-b' });
    greedy(a, 'a', TASK_A);
    greedy(b, 'b', TASK_B);
    declinedSinceLastLaunch.set(a, 0).set(b, 0);
    // Both are known to the allocator before either launches, so neither gets a head start.
    await Promise.all([a.start(), b.start()]);
    launching = true;
  });

  after(async () => {
    launching = false;
    await Promise.all([a?.stop(), b?.stop()]);
    assert.deepEqual(await cluster?.stop(), [], 'every task and executor is gone');
  });

  it('A ends with three running tasks and B with two, their dominant shares equal', async () => {
    // Done when every launched task runs, neither task size fits in what the agent has left, and
    // both frameworks have since turned offers down for that reason.
    const state = await waitUntil(
      'no further launch to be possible',
      async () => {
        if ((declinedSinceLastLaunch.get(a) ?? 0) < 2 || (declinedSinceLastLaunch.get(b) ?? 0) < 2) return undefined;
        const s = await cluster.masterState();
        const tasks = s.frameworks.flatMap((f) => f.tasks);
        if (tasks.length === 0 || tasks.some((t) => t.state !== 'TASK_RUNNING')) return undefined;
        const slave = s.slaves[0]!;
        const free = { cpus: slave.resources['cpus']! - slave.used_resources['cpus']!, mem: slave.resources['mem']! - slave.used_resources['mem']! };
        const fits = (cpus: number, mem: number): boolean => free.cpus >= cpus && free.mem >= mem;
        return fits(1, 4096) || fits(3, 1024) ? undefined : s;
      },
      60_000,
    );

    const running = (fw: RecordingScheduler): string[] =>
      [...new Set(fw.events.flatMap((e) => (e.type === 'status' && e.status.state === 'TASK_RUNNING' ? [e.status.task_id.value] : [])))].sort();
    assert.deepEqual(running(a), ['a-1', 'a-2', 'a-3']);
    assert.deepEqual(running(b), ['b-1', 'b-2']);
    assert.ok(![a, b].some((fw) => fw.events.some((e) => e.type === 'status' && e.status.state !== 'TASK_RUNNING' && e.status.state !== 'TASK_STARTING')), 'no task ended');

    const fa = state.frameworks.find((f) => f.id === a.frameworkId)!;
    const fb = state.frameworks.find((f) => f.id === b.frameworkId)!;
    assert.deepEqual(fa.tasks.map((t) => t.id).sort(), ['a-1', 'a-2', 'a-3']);
    assert.deepEqual(fb.tasks.map((t) => t.id).sort(), ['b-1', 'b-2']);
    assert.deepEqual([fa.used_resources['cpus'], fa.used_resources['mem']], [3, 12288]);
    assert.deepEqual([fb.used_resources['cpus'], fb.used_resources['mem']], [6, 2048]);
    // Dominant shares: A's memory 12288/18432 and B's CPUs 6/9, both 2/3.
    assert.equal(fa.used_resources['mem']! / 18432, fb.used_resources['cpus']! / 9);
    assert.deepEqual(state.slaves.map((s) => s.id), [agent.id]);
  });
});
