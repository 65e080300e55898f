// Sender checks by role against a real master and agent (OS processes, authentication off):
// a stranger that completed the handshake for an address of its own still cannot speak as the
// master to the agent, as an executor, as an agent to the master, or as a framework; and the
// numbers and sizes a launch or a registration carries get an answer, never silence.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProcess, type Started } from '../fixtures/processes.js';
import { envelope, metrics, rawPeer, until, type RawPeer } from './raw-peer.js';
import { recordingFramework, type RecordingFramework } from './framework.js';

interface Ready {
  address: string;
  pid: string;
}

const node = join(import.meta.dirname, 'secure-node.ts');

describe('sender checks by role on a real master and agent', () => {
  let master: Started<Ready>;
  let agent: Started<Ready>;
  let fw: RecordingFramework;
  let stranger: RawPeer;
  let workDir: string;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'mesos-hostile-roles-'));
    master = await startProcess<Ready>(node, ['master', '{}']);
    agent = await startProcess<Ready>(node, ['agent', master.ready.address, 'cpus:2;mem:512', workDir, '{}']);
    fw = await recordingFramework(master.ready.address);
    await until('the framework registers', () => fw.frameworkId());
    stranger = await rawPeer(master.ready.address);
    assert.equal(await stranger.opened, true);
  });

  after(async () => {
    await fw?.stop();
    await stranger?.stop();
    agent?.child.kill('SIGTERM');
    master?.child.kill('SIGTERM');
    await Promise.all([agent?.exited, master?.exited]);
    rmSync(workDir, { recursive: true, force: true });
  });

  const counted = (address: string, name: string, atLeast: number) => until(`${name} ≥ ${atLeast}`, async () => ((await metrics(address))[name] ?? 0) >= atLeast || undefined);
  const state = async (): Promise<{ frameworks: { id: string; pid: string; active: boolean }[]; slaves: { id: string }[] }> => (await fetch(`http://${master.ready.address}/state`)).json() as never;

  it('RunTask, Shutdown and KillTask sent to the agent by a peer that is not its master are dropped', async () => {
    const peer = await rawPeer(agent.ready.address);
    assert.equal(await peer.opened, true);
    const from = `master@${peer.address}`;
    const fid = { value: fw.frameworkId()! };
    peer.send(
      envelope(agent.ready.pid, from, { name: 'RunTask', framework: { user: 'root', name: 'x', id: fid }, task: { name: 't', task_id: { value: 'pwn' }, agent_id: { value: 'a' }, resources: [], command: { value: 'touch /tmp/pwned' } }, pid: from }),
      envelope(agent.ready.pid, from, { name: 'KillTask', framework_id: fid, task_id: { value: 'x' } }),
      envelope(agent.ready.pid, from, { name: 'Shutdown', message: 'bye' }),
    );
    await counted(agent.ready.address, 'slave/dropped_messages/not_from_master', 3);
    await peer.stop();
    assert.equal((await fetch(`http://${agent.ready.address}/health`)).status, 200, 'the agent is still up');
    assert.equal((await state()).slaves.length, 1, 'and still registered');
  });

  it('a StatusUpdate no executor sent (from a stranger, or with from empty) is dropped by the agent', async () => {
    const peer = await rawPeer(agent.ready.address);
    assert.equal(await peer.opened, true);
    const update = (from: string) =>
      envelope(agent.ready.pid, from, {
        name: 'StatusUpdate',
        update: { framework_id: { value: fw.frameworkId()! }, status: { task_id: { value: 'some-task' }, state: 'TASK_FINISHED', uuid: new Uint8Array(16).fill(1) }, timestamp: 1, uuid: new Uint8Array(16).fill(1) },
        pid: from,
      });
    const before = (await metrics(agent.ready.address))['slave/dropped_messages/not_from_executor'] ?? 0;
    peer.send(update(`executor(1)@${peer.address}`), update(''));
    await counted(agent.ready.address, 'slave/dropped_messages/not_from_executor', before + 2);
    await peer.stop();
  });

  it('agent messages to the master from a peer that is not the registered agent are dropped', async () => {
    const agentId = (await state()).slaves[0]!.id;
    const from = `slave(1)@${stranger.address}`;
    const before = (await metrics(master.ready.address))['master/dropped_messages/not_from_agent'] ?? 0;
    stranger.send(
      envelope(master.ready.pid, from, {
        name: 'StatusUpdate',
        update: { framework_id: { value: fw.frameworkId()! }, agent_id: { value: agentId }, status: { task_id: { value: 't' }, state: 'TASK_FINISHED', agent_id: { value: agentId } }, timestamp: 1 },
        pid: from,
      }),
      envelope(master.ready.pid, from, { name: 'ExitedExecutor', agent_id: { value: agentId }, framework_id: { value: fw.frameworkId()! }, executor_id: { value: 'e' }, status: 0 }),
      envelope(master.ready.pid, from, { name: 'ReregisterAgent', agent: { hostname: '127.0.0.1', resources: [], attributes: [], id: { value: agentId } }, version: '1.11.0', executor_infos: [], tasks: [], frameworks: [], completed_frameworks: [] }),
    );
    await counted(master.ready.address, 'master/dropped_messages/not_from_agent', before + 3);
    assert.equal((await state()).slaves[0]!.id, agentId);
  });

  it('a stranger cannot take the framework over by failover, nor unregister it', async () => {
    const s = await state();
    const target = s.frameworks.find((f) => f.id === fw.frameworkId())!;
    const from = `scheduler(1)@${stranger.address}`;
    stranger.send(envelope(master.ready.pid, from, { name: 'ReregisterFramework', framework: { user: '', name: 'hostile-target', id: { value: target.id }, failover_timeout: 3600 }, failover: true }));
    await counted(master.ready.address, 'master/dropped_messages/failover_principal', 1);
    stranger.send(envelope(master.ready.pid, from, { name: 'UnregisterFramework', framework_id: { value: target.id } }));
    await counted(master.ready.address, 'master/dropped_messages/not_from_framework', 1);
    const after = (await state()).frameworks.find((f) => f.id === target.id);
    assert.equal(after?.pid, target.pid, 'the framework keeps its pid');
    assert.equal(after?.active, true);
    assert.deepEqual(fw.errors, [], 'and was never told it failed over');
  });

  it('a launch with NaN, 1e308 or a 1 MB command gets TASK_ERROR and the offer comes back', async () => {
    const cases: [string, unknown, string][] = [
      ['nan', { name: 'cpus', type: 'SCALAR', scalar: { value: Number.NaN } }, 'echo'],
      ['huge', { name: 'cpus', type: 'SCALAR', scalar: { value: 1e308 } }, 'echo'],
      ['long', { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, 'x'.repeat(1024 * 1024)],
    ];
    for (const [id, resource, command] of cases) {
      const offer = await fw.nextOffer();
      fw.driver.launchTasks([offer.id], [{ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: [resource as never], command: { value: command } }]);
      const status = await fw.status(id);
      assert.equal(status.state, 'TASK_ERROR', `${id}: ${status.message}`);
      assert.match(status.reason ?? '', /REASON_TASK_INVALID/);
    }
    // The offers were recovered: the whole agent is offered again.
    const again = await fw.nextOffer();
    assert.ok(again.resources.some((r) => r.name === 'cpus' && r.scalar?.value === 2));
    const m = await metrics(master.ready.address);
    assert.equal(typeof m['master/cpus_total'], 'number');
  });

  it('a fake agent with 1e12 cpus is refused with a reason, and cpus_total stays finite', async () => {
    const fake = await rawPeer(master.ready.address);
    assert.equal(await fake.opened, true);
    const from = `slave(1)@${fake.address}`;
    fake.send(envelope(master.ready.pid, from, { name: 'RegisterAgent', agent: { hostname: '127.0.0.1', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1e12 } }], attributes: [] }, version: '1.11.0' }));
    const shutdown = (await until('a Shutdown', () => fake.received.find((i) => Array.isArray(i) && i[2] === 'Shutdown'))) as unknown[];
    assert.match(String((shutdown[5] as { message?: string }).message), /cpus/);
    await fake.stop();
    assert.equal((await state()).slaves.length, 1);
    const m = await metrics(master.ready.address);
    assert.equal(m['master/cpus_total'], 2);
  });

  it('a RegisterAgent with 100,000 resources is refused with a reason, and the master keeps serving', async () => {
    const fake = await rawPeer(master.ready.address);
    assert.equal(await fake.opened, true);
    const resources = Array.from({ length: 100_000 }, (_, i) => ({ name: `r${i}`, type: 'SCALAR', scalar: { value: 1 } }));
    fake.send(envelope(master.ready.pid, `slave(1)@${fake.address}`, { name: 'RegisterAgent', agent: { hostname: '127.0.0.1', resources, attributes: [] }, version: '1.11.0' }));
    const shutdown = (await until('a Shutdown', () => fake.received.find((i) => Array.isArray(i) && i[2] === 'Shutdown'))) as unknown[];
    assert.match(String((shutdown[5] as { message?: string }).message), /100000 resources; at most/);
    await fake.stop();
    assert.equal((await state()).slaves.length, 1);
  });
});
