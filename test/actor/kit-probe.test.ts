// The kit's probe on virtual time: a scheduler stand-in against a real master, nothing too early.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryNetwork, ManualClock, Runtime } from '../../runtime/index.js';
import { validateMessage, type SchedulerInbox } from '../../protocol/index.js';
import { startMaster } from '../../master/index.js';
import { Probe, startAgent } from '../kit/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('a probe sees registration and an offer at once, then after a 5 s decline nothing for 5 s and a new offer at the next allocation', async () => {
  const net = new InMemoryNetwork();
  const clock = new ManualClock();
  const runtimes: Runtime[] = [];
  const master = await startMaster({ ip: '10.0.0.1', port: 5050, clock, transport: net.transport() });
  runtimes.push(master.runtime);
  const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-kit-'));
  try {
    const agent = await startAgent({ runtimes, master: master.address, port: 0, clock, transport: net.transport(), workDir, resources: 'cpus:2;mem:1024', checkpointFsync: false, executorHostCommand: { value: 'true' } });
    assert.equal(agent.agent.status, 'RUNNING', 'startAgent resolves once the master registered the agent');
    const rt = await Runtime.start({ ip: '10.0.0.2', port: 0, clock, transport: net.transport(), validate: (_n, b) => validateMessage(b) });
    runtimes.push(rt);
    const scheduler = rt.spawn(new Probe<SchedulerInbox>({ runtimes }), 'scheduler-1');
    scheduler.tell(master.pid, { name: 'RegisterFramework', framework: { user: 'u', name: 'f' } });
    const registered = await scheduler.expectMessage('FrameworkRegistered');
    assert.equal(registered.from, master.pid);
    const first = await scheduler.expectMessage('ResourceOffers');
    assert.equal(first.offers.length, 1);
    scheduler.tell(master.pid, { name: 'Decline', framework_id: registered.framework_id, offer_ids: [first.offers[0]!.id], filters: { refuse_seconds: 5 } });
    await scheduler.expectNoMessage('ResourceOffers', { for: 4999 });
    const again = await scheduler.expectMessage('ResourceOffers', { within: 1001 });
    assert.equal(again.offers[0]?.agent_id.value, first.offers[0]?.agent_id.value);
    await assert.rejects(scheduler.expectMessage('RescindResourceOffer', { within: 10 }), /expected RescindResourceOffer within 10 ms; received nothing/);
    await agent.stop({ destroyAll: true });
  } finally {
    for (const r of runtimes) await r.stop();
    await rm(workDir, { recursive: true, force: true });
  }
});
