// Dynamic reservations in ACCEPT: RESERVE and UNRESERVE change what the agent offers to a role,
// and invalid operations are dropped without touching anything else in the call.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources, type Offer, type OfferOperation, type Resource } from '../../protocol/index.js';
import { World, type SchedulerStub } from './master-harness.js';

function accept(w: World, s: SchedulerStub, offer: Offer, operations: OfferOperation[], refuseSeconds = 0): void {
  s.peer.tell(w.master.pid, { name: 'Accept', framework_id: { value: s.id }, offer_ids: [offer.id], operations, filters: { refuse_seconds: refuseSeconds } });
}

const reserved = (text: string, role: string, principal?: string): { resources: Resource[] } => ({
  resources: Resources.parse(text).reserve(role, principal === undefined ? {} : { principal }).toJSON(),
});

test('RESERVE in an ACCEPT reserves offered resources for the role; later offers carry the reservation', async () => {
  const w = await World.start();
  await w.agent('cpus:4;mem:1024');
  const s = await w.scheduler({ role: 'analytics', principal: 'ops' });
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.clear();
  accept(w, s, offer, [{ type: 'RESERVE', reserve: reserved('cpus:2;mem:512', 'analytics', 'ops') }]);
  await w.pass(1_000);
  const next = Resources.fromJSON(s.peer.last('ResourceOffers')!.offers[0]!.resources).unallocate();
  assert.equal(next.reserved('analytics').cpus(), 2);
  assert.equal(next.reserved('analytics').mem(), 512);
  assert.equal(next.unreserved().cpus(), 2);
  const state = await w.state();
  assert.equal(state.slaves[0].reserved_resources.analytics.cpus, 2);
  await w.stop();
});

test('UNRESERVE gives reserved resources back to every role', async () => {
  const w = await World.start();
  await w.agent('cpus:4;mem:1024');
  const s = await w.scheduler({ role: 'analytics' });
  accept(w, s, s.peer.last('ResourceOffers')!.offers[0]!, [{ type: 'RESERVE', reserve: reserved('cpus:3', 'analytics') }]);
  await w.pass(1_000);
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.clear();
  accept(w, s, offer, [{ type: 'UNRESERVE', unreserve: reserved('cpus:3', 'analytics') }]);
  await w.pass(1_000);
  const next = Resources.fromJSON(s.peer.last('ResourceOffers')!.offers[0]!.resources).unallocate();
  assert.equal(next.reserved('analytics').cpus(), 0);
  assert.equal(next.unreserved().cpus(), 4);
  await w.stop();
});

test('a RESERVE for another role, or of more than was offered, is dropped and the offer is declined whole', async () => {
  const w = await World.start();
  await w.agent('cpus:4;mem:1024');
  const s = await w.scheduler({ role: 'analytics' });
  const offer = s.peer.last('ResourceOffers')!.offers[0]!;
  s.peer.clear();
  accept(w, s, offer, [
    { type: 'RESERVE', reserve: reserved('cpus:1', 'web') },
    { type: 'RESERVE', reserve: reserved('cpus:8', 'analytics') },
  ]);
  await w.pass(1_000);
  const next = Resources.fromJSON(s.peer.last('ResourceOffers')!.offers[0]!.resources).unallocate();
  assert.equal(next.unreserved().cpus(), 4, 'nothing was reserved');
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});
