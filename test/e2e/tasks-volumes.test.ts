// Persistent volumes with real processes (Mesos's persistent_volume_tests.cpp:
// AccessPersistentVolume, SlaveRecovery, DestroyPersistentVolume, and the reservation tests'
// agent/master restarts): a file a task writes in its volume is read by the next task after the
// agent is SIGKILLed and restarted; the volume is offered back with its persistence id; the
// reservation and the volume survive a master restart; DESTROY removes the directory; a CREATE
// on unreserved disk is refused with a reason.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Resources, type Offer, type OfferOperation, type Resource, type TaskInfo } from '../../protocol/index.js';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';
import { Subscription } from '../fixtures/v1-stream.js';

const reservedDisk = (mb: number): Resource => ({ name: 'disk', type: 'SCALAR', scalar: { value: mb }, reservations: [{ type: 'DYNAMIC', role: 'dev' }] });
const volume = (id: string, mb: number, reserved = true): Resource => ({
  ...(reserved ? reservedDisk(mb) : { name: 'disk', type: 'SCALAR', scalar: { value: mb } }),
  disk: { persistence: { id }, volume: { container_path: 'data', mode: 'RW' } },
});
const persistenceIds = (o: Offer): string[] => o.resources.filter((r) => r.disk?.persistence !== undefined).map((r) => r.disk!.persistence!.id);
/** A task of the offer's role that uses the volume as well as a little cpu and memory. */
const onVolume = (id: string, offer: Offer, command: string, v: Resource): TaskInfo => {
  const t = commandTask(id, offer, command);
  return { ...t, resources: [...(t.resources ?? []), v] };
};
const launch = (...tasks: TaskInfo[]): OfferOperation => ({ type: 'LAUNCH', launch: { task_infos: tasks } });

describe('persistent volumes', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'mesos-ts-volumes-e2e-'));
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let s: RecordingScheduler;
  const volumeDir = (): string => join(agent.workDir, 'volumes', 'roles', 'dev', 'v1');
  const resourcesInfo = (): Resource[] => JSON.parse(readFileSync(join(agent.workDir, 'meta', 'resources', 'resources_info'), 'utf8')) as Resource[];
  const withVolume = (o: Offer) => o.agent_id.value === agent.id && persistenceIds(o).includes('v1');
  /** An offer made after `since` (not one the scheduler held from before a restart) that satisfies `pred`. */
  const freshOffer = async (pred: (o: Offer) => boolean, since: number, timeoutMs = 60_000): Promise<Offer> => {
    const e = await s.next('offers', (e) => e.offers.some(pred), { since, timeoutMs });
    const id = e.offers.find(pred)!.id.value;
    return s.takeOffer((o) => o.id.value === id, 1000);
  };

  before(async () => {
    cluster = await E2ECluster.start({
      agents: ['cpus:2;mem:512;disk:1024'],
      master: { workDir: join(root, 'master'), agentReregisterTimeoutMs: 5000 },
      agent: { registrationBackoffMaxMs: 400 },
    });
    agent = cluster.agents[0]!;
    s = new RecordingScheduler(cluster.master.address, { name: 'volumes', roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }], checkpoint: true, failover_timeout: 3600 });
    await s.start();
  });

  let v1: Subscription | undefined;
  after(async () => {
    v1?.close();
    await s?.stop();
    assert.deepEqual(await cluster?.stop(), [], 'no task outlives the cluster');
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a CREATE on unreserved disk, telling the task that needed it why', async () => {
    const offer = await s.takeOffer();
    s.driver.acceptOffers([offer.id], [{ type: 'CREATE', create: { volumes: [volume('bad', 32, false)] } }, launch(onVolume('bad-task', offer, 'true', volume('bad', 32, false)))], { refuse_seconds: 0 });
    const status = await s.status('bad-task', 'TASK_ERROR');
    assert.match(status.message ?? '', /Persistent volumes cannot be created from unreserved resources/);
    assert.equal(existsSync(join(agent.workDir, 'volumes', 'roles', '*', 'bad')), false);
  });

  it('a task writes into a volume it was created with; the directory outlives the task and is checkpointed', async () => {
    const offer = await s.takeOffer((o) => Resources.fromJSON(o.resources).scalar('disk') >= 64);
    const v = volume('v1', 64);
    s.driver.acceptOffers([offer.id], [{ type: 'RESERVE', reserve: { resources: [reservedDisk(64)] } }, { type: 'CREATE', create: { volumes: [v] } }, launch(onVolume('writer', offer, 'echo kept > data/file', v))], { refuse_seconds: 0 });
    await s.status('writer', 'TASK_FINISHED');
    assert.equal(readFileSync(join(volumeDir(), 'file'), 'utf8'), 'kept\n');
    assert.deepEqual(resourcesInfo().filter((r) => r.disk?.persistence).map((r) => r.disk!.persistence!.id), ['v1']);
    // Offered back with its persistence id once the task is done.
    const back = await s.takeOffer(withVolume);
    s.driver.declineOffer(back.id, { refuse_seconds: 0 });
  });

  it('the volume survives an agent SIGKILL and restart: the next task reads the file', async () => {
    const since = s.mark();
    agent.child.kill('SIGKILL');
    await agent.exited;
    cluster.killLeftovers(agent);
    agent = await cluster.restartAgent(agent);
    const offer = await freshOffer(withVolume, since);
    s.driver.acceptOffers([offer.id], [launch(onVolume('reader', offer, 'test "$(cat data/file)" = kept', volume('v1', 64)))], { refuse_seconds: 0 });
    await s.status('reader', 'TASK_FINISHED');
  });

  it('the reservation and the volume survive a master restart', async () => {
    const since = s.mark();
    cluster.master.child.kill('SIGKILL');
    await cluster.master.exited;
    await cluster.restartMaster({ workDir: join(root, 'master'), agentReregisterTimeoutMs: 5000 });
    // Offers that come after the framework registered again (\`registered\` after a master
    // failover, as in Mesos) are the new master's: one the old master sent just before it was
    // killed names an agent the new one may not have yet.
    const registeredAgain = s.events.indexOf(await s.next('registered', undefined, { since }));
    const offer = await freshOffer(withVolume, registeredAgain);
    const state = await cluster.masterState();
    const slave = (state as unknown as { slaves: { id: string; reserved_resources: Record<string, Record<string, number>> }[] }).slaves.find((x) => x.id === agent.id)!;
    assert.equal(slave.reserved_resources['dev']!['disk'], 64);
    // DESTROY turns it back into reserved disk and removes the directory.
    s.driver.acceptOffers([offer.id], [{ type: 'DESTROY', destroy: { volumes: [volume('v1', 64)] } }], { refuse_seconds: 0 });
    await waitUntil('the volume directory to be removed', () => !existsSync(volumeDir()));
    assert.deepEqual(resourcesInfo().filter((r) => r.disk?.persistence), []);
    const plain = await freshOffer((o) => o.agent_id.value === agent.id && persistenceIds(o).length === 0 && Resources.fromJSON(o.resources).reserved('dev').scalar('disk') === 64, registeredAgain);
    assert.deepEqual(persistenceIds(plain), []);
  });

  it('CREATE in a v1 ACCEPT (protobuf) makes a volume a task writes into', async () => {
    await s.stop(); // its offers go back, to the v1 framework below
    v1 = await Subscription.open(cluster.master.address, { subscribe: { framework_info: { user: '', name: 'volumes v1', roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }] } } }, 'protobuf');
    const reservedOffer = (e: { type: string } & Record<string, any>) => (e['offers'].offers as Offer[]).some((o) => Resources.fromJSON(o.resources).reserved('dev').scalar('disk') === 64);
    const e = await v1.next('OFFERS', reservedOffer, 0, 30_000);
    const offer = (e['offers'].offers as Offer[]).find((o) => Resources.fromJSON(o.resources).reserved('dev').scalar('disk') === 64)!;
    const v = volume('v2', 64);
    const res = await v1.call(cluster.master.address, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'CREATE', create: { volumes: [v] } }, launch(onVolume('v1-writer', offer, 'echo v1 > data/file', v))], filters: { refuse_seconds: 0 } } });
    assert.equal(res.status, 202, res.text);
    await v1.next('UPDATE', (u) => u['update'].status.task_id.value === 'v1-writer' && u['update'].status.state === 'TASK_FINISHED', 0, 30_000);
    assert.equal(readFileSync(join(agent.workDir, 'volumes', 'roles', 'dev', 'v2', 'file'), 'utf8'), 'v1\n');
  });
});
