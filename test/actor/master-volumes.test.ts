// Persistent volumes in the master (Mesos's persistent_volume_tests.cpp, the master's side):
// CREATE and DESTROY in an ACCEPT and from the operator, what is refused and why, the agent told
// its checkpointed resources after every change, and those resources taken back from an agent
// that re-registers with a new master.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources, type Offer, type OfferOperation, type Resource } from '../../protocol/index.js';
import { request } from '../../runtime/index.js';
import { agentUpdate, commandTask, Peer, World, type AgentStub, type SchedulerStub } from './master-harness.js';

function accept(w: World, s: SchedulerStub, offer: Offer, operations: OfferOperation[]): void {
  s.peer.tell(w.master.pid, { name: 'Accept', framework_id: { value: s.id }, offer_ids: [offer.id], operations, filters: { refuse_seconds: 0 } });
}

const reservedDisk = (mb: number, role = 'dev'): Resource => ({ name: 'disk', type: 'SCALAR', scalar: { value: mb }, reservations: [{ type: 'DYNAMIC', role }] });
const volume = (id: string, mb: number, o: { role?: string; path?: string; reserved?: boolean } = {}): Resource => {
  const base: Resource = o.reserved === false ? { name: 'disk', type: 'SCALAR', scalar: { value: mb } } : reservedDisk(mb, o.role);
  return { ...base, disk: { persistence: { id }, volume: { container_path: o.path ?? 'data', mode: 'RW' } } };
};
const RESERVE = (mb: number): OfferOperation => ({ type: 'RESERVE', reserve: { resources: [reservedDisk(mb)] } });
const CREATE = (...v: Resource[]): OfferOperation => ({ type: 'CREATE', create: { volumes: v } });
const DESTROY = (...v: Resource[]): OfferOperation => ({ type: 'DESTROY', destroy: { volumes: v } });

/** The persistence ids (with their container paths) an offer or checkpoint carries. */
function volumesIn(resources: readonly Resource[]): string[] {
  return resources.filter((r) => r.disk?.persistence !== undefined).map((r) => `${r.disk!.persistence!.id}:${r.disk!.volume?.container_path ?? ''}`);
}

async function world(): Promise<{ w: World; a: AgentStub; s: SchedulerStub }> {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:1024;disk:1024', { checkpoint: true });
  const s = await w.scheduler({ roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }], principal: 'ops' });
  return { w, a, s };
}

async function api(w: World, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await w.network.http(w.master.address)({ ...request('POST', '/api/v1', body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: res.body };
}

async function nextOffer(w: World, s: SchedulerStub): Promise<Offer> {
  s.peer.clear();
  await w.pass(1_000);
  const o = s.peer.last('ResourceOffers')?.offers[0];
  assert.ok(o !== undefined, 'an offer came');
  return o;
}

test('CREATE on reserved disk: the agent is told, the volume is offered back with its persistence id, a task can use it', async () => {
  const { w, a, s } = await world();
  accept(w, s, s.peer.last('ResourceOffers')!.offers[0]!, [RESERVE(128), CREATE(volume('v1', 128))]);
  await w.settle();
  const checkpoints = a.peer.all('CheckpointResources');
  assert.equal(checkpoints.length, 2, 'one after the RESERVE, one after the CREATE');
  assert.deepEqual(volumesIn(checkpoints[1]!.resources), ['v1:data']);
  assert.equal(Resources.fromJSON(checkpoints[1]!.resources).scalar('disk'), 128);

  let offer = await nextOffer(w, s);
  assert.deepEqual(volumesIn(offer.resources), ['v1:data']);
  const state = await w.state();
  assert.deepEqual(volumesIn(state.slaves[0].reserved_resources_full.dev), ['v1:data']);

  // A task launched on the volume gets it; while it runs, the volume is not offered.
  const task = commandTask('t1', offer, 'cpus:1;mem:64');
  accept(w, s, offer, [{ type: 'LAUNCH', launch: { task_infos: [{ ...task, resources: [...(task.resources ?? []), volume('v1', 128)] }] } }]);
  await w.settle();
  assert.deepEqual(volumesIn(a.peer.last('RunTask')!.task.resources ?? []), ['v1:data']);
  offer = await nextOffer(w, s);
  assert.deepEqual(volumesIn(offer.resources), []);
  // The task ends: the volume comes back, still a volume.
  a.peer.tell(w.master.pid, { ...agentUpdate(s.id, a.id, 't1', 'TASK_FINISHED'), pid: a.pid });
  await w.settle();
  s.peer.tell(w.master.pid, { name: 'Decline', framework_id: { value: s.id }, offer_ids: [offer.id], filters: { refuse_seconds: 0 } });
  offer = await nextOffer(w, s);
  assert.deepEqual(volumesIn(offer.resources), ['v1:data']);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});

test('a CREATE on unreserved disk, or with a persistence id in use, is dropped and the task that needed it is told why', async () => {
  const { w, a, s } = await world();
  let offer = s.peer.last('ResourceOffers')!.offers[0]!;
  const t = (id: string, v: Resource) => {
    const task = commandTask(id, offer, 'cpus:0.5;mem:32');
    return { type: 'LAUNCH' as const, launch: { task_infos: [{ ...task, resources: [...(task.resources ?? []), v] }] } };
  };
  accept(w, s, offer, [CREATE(volume('v1', 64, { reserved: false })), t('t1', volume('v1', 64, { reserved: false }))]);
  await w.settle();
  const refused = s.peer.all('StatusUpdate').find((u) => u.update.status.task_id.value === 't1')!.update.status;
  assert.equal(refused.state, 'TASK_ERROR');
  assert.match(refused.message ?? '', /Persistent volumes cannot be created from unreserved resources/);
  assert.equal(a.peer.all('CheckpointResources').length, 0, 'nothing changed on the agent');

  offer = await nextOffer(w, s);
  accept(w, s, offer, [RESERVE(128), CREATE(volume('v1', 64)), CREATE(volume('v1', 64, { path: 'other' })), t('t2', volume('v1', 64, { path: 'other' }))]);
  await w.settle();
  const dup = s.peer.all('StatusUpdate').find((u) => u.update.status.task_id.value === 't2')!.update.status;
  assert.equal(dup.state, 'TASK_ERROR');
  assert.match(dup.message ?? '', /Persistence ID 'v1' is already used/);
  assert.deepEqual(volumesIn(a.peer.last('CheckpointResources')!.resources), ['v1:data'], 'the first CREATE stands');

  // A volume is used whole.
  offer = await nextOffer(w, s);
  accept(w, s, offer, [t('half', volume('v1', 32))]);
  await w.settle();
  assert.match(s.peer.all('StatusUpdate').find((u) => u.update.status.task_id.value === 'half')!.update.status.message ?? '', /a volume is used whole/);

  offer = await nextOffer(w, s);
  accept(w, s, offer, [CREATE(volume('abs', 32, { path: '/abs' })), t('t3', volume('abs', 32, { path: '/abs' }))]);
  await w.settle();
  assert.match(s.peer.all('StatusUpdate').find((u) => u.update.status.task_id.value === 't3')!.update.status.message ?? '', /absolute/);
  await w.stop();
});

test('DESTROY of a volume in use is refused; once the task ends it turns the volume back into reserved disk', async () => {
  const { w, a, s } = await world();
  accept(w, s, s.peer.last('ResourceOffers')!.offers[0]!, [RESERVE(128), CREATE(volume('v1', 128))]);
  let offer = await nextOffer(w, s);
  const task = commandTask('t1', offer, 'cpus:1;mem:64');
  accept(w, s, offer, [{ type: 'LAUNCH', launch: { task_infos: [{ ...task, resources: [...(task.resources ?? []), volume('v1', 128)] }] } }]);
  await w.settle();
  // The operator cannot destroy it either: it is used.
  const form = new URLSearchParams({ slaveId: a.id, volumes: JSON.stringify([volume('v1', 128)]) }).toString();
  const inUse = await w.http('POST', '/destroy-volumes', form);
  assert.equal(inUse.status, 409);
  assert.match(String(inUse.body), /Persistent volumes in use: v1/);

  a.peer.tell(w.master.pid, { ...agentUpdate(s.id, a.id, 't1', 'TASK_FINISHED'), pid: a.pid });
  await w.settle();
  offer = await nextOffer(w, s);
  assert.deepEqual(volumesIn(offer.resources), ['v1:data']);
  accept(w, s, offer, [DESTROY(volume('v1', 128))]);
  await w.settle();
  const last = a.peer.last('CheckpointResources')!;
  assert.deepEqual(volumesIn(last.resources), []);
  assert.equal(Resources.fromJSON(last.resources).reserved('dev').scalar('disk'), 128, 'the reservation stays');
  offer = await nextOffer(w, s);
  assert.deepEqual(volumesIn(offer.resources), []);
  assert.equal(Resources.fromJSON(offer.resources).reserved('dev').scalar('disk'), 128);
  await w.stop();
});

test('operator /reserve, /create-volumes and CREATE_VOLUMES reach the agent as CheckpointResources', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:1024;disk:1024', { checkpoint: true });
  const form = (k: string, v: unknown) => new URLSearchParams({ slaveId: a.id, [k]: JSON.stringify(v) }).toString();
  assert.equal((await w.http('POST', '/reserve', form('resources', [reservedDisk(256)]))).status, 202);
  await w.settle();
  assert.equal(Resources.fromJSON(a.peer.last('CheckpointResources')!.resources).reserved('dev').scalar('disk'), 256);
  assert.equal((await w.http('POST', '/create-volumes', form('volumes', [volume('v1', 128)]))).status, 202);
  await w.settle();
  assert.deepEqual(volumesIn(a.peer.last('CheckpointResources')!.resources), ['v1:data']);
  const unreserveVolume = await w.http('POST', '/unreserve', form('resources', [volume('v1', 128)]));
  assert.equal(unreserveVolume.status, 400);
  assert.match(String(unreserveVolume.body), /persistent volume v1; destroy it first/);
  const dup = await w.http('POST', '/create-volumes', form('volumes', [volume('v1', 64)]));
  assert.equal(dup.status, 400);
  assert.match(String(dup.body), /Persistence ID 'v1' is already used/);
  const v1 = await api(w, { type: 'CREATE_VOLUMES', create_volumes: { agent_id: { value: a.id }, volumes: [volume('v2', 128, { path: 'logs' })] } });
  assert.equal(v1.status, 202, String(v1.body));
  await w.settle();
  assert.deepEqual(volumesIn(a.peer.last('CheckpointResources')!.resources).sort(), ['v1:data', 'v2:logs']);
  const destroyed = await api(w, { type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: { value: a.id }, volumes: [volume('v2', 128, { path: 'logs' })] } });
  assert.equal(destroyed.status, 202, String(destroyed.body));
  await w.settle();
  assert.deepEqual(volumesIn(a.peer.last('CheckpointResources')!.resources), ['v1:data']);
  const state = await w.state();
  assert.deepEqual(volumesIn(state.slaves[0].reserved_resources_full.dev), ['v1:data']);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});

test('an agent re-registering with a new master brings its reservations and volumes back; a known agent is corrected', async () => {
  const w = await World.start();
  const rt = await w.spawnRuntime();
  const agent = rt.spawn(new Peer(), 'agent(1)');
  const checkpointed = [reservedDisk(64), volume('v1', 128)];
  const info = { id: { value: 'S-old' }, hostname: rt.address.split(':')[0]!, port: 5051, resources: Resources.parse('cpus:2;mem:512;disk:512').toJSON(), attributes: [], checkpoint: true };
  const reregister = (resources: Resource[]) => agent.tell(w.master.pid, { name: 'ReregisterAgent', agent: info, version: '1.11.0', checkpointed_resources: resources, executor_infos: [], tasks: [], frameworks: [], completed_frameworks: [] });
  reregister(checkpointed);
  await w.settle();
  assert.ok(agent.last('AgentReregistered'));
  const slave = (await w.state()).slaves[0];
  assert.equal(slave.reserved_resources.dev.disk, 192);
  assert.deepEqual(volumesIn(slave.reserved_resources_full.dev), ['v1:data']);
  assert.equal(agent.all('CheckpointResources').length, 0, 'the agent already has them');
  const s = await w.scheduler({ roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }] });
  await w.pass(1_000);
  const offered = s.peer.all('ResourceOffers').flatMap((m) => m.offers).flatMap((o) => o.resources);
  assert.deepEqual(volumesIn(offered), ['v1:data']);
  // The same agent re-registers having lost its checkpoint: the master's view wins.
  reregister([]);
  await w.settle();
  assert.deepEqual(volumesIn(agent.last('CheckpointResources')?.resources ?? []), ['v1:data']);
  await w.stop();
});
