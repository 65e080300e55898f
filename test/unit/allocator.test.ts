import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Resources } from '../../protocol/resources.js';
import { HierarchicalAllocator, seededRandom, type HierarchicalAllocatorOptions } from '../../master/allocator/index.js';

// ---- harness: a manual clock, a seeded random source and recorded offers ----------------

const R = (s: string): Resources => Resources.parse(s);

interface Offer { fw: string; role: string; agent: string; resources: Resources }


function harness(options: Partial<HierarchicalAllocatorOptions> = {}) {
  const clock = { t: 0, now: () => clock.t };
  let offers: Offer[] = [];
  const allocator = new HierarchicalAllocator({
    clock,
    random: seededRandom(1),
    offer: (fw, byRole) => {
      for (const [role, byAgent] of byRole) for (const [agent, resources] of byAgent) offers.push({ fw, role, agent, resources });
    },
    ...options,
  });
  return {
    allocator,
    clock,
    /** Runs one allocation and returns the offers it made. */
    allocate(agents?: string[]): Offer[] {
      allocator.allocate(agents);
      const out = offers;
      offers = [];
      return out;
    },
    /** Declines every offer in `list` with the given filter. */
    decline(list: Offer[], refuse_seconds?: number): void {
      for (const o of list) allocator.recoverResources(o.fw, o.agent, o.resources, refuse_seconds === undefined ? {} : { refuse_seconds });
    },
    advance(ms: number): void {
      clock.t += ms;
    },
  };
}

function byFramework(offers: Offer[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const o of offers) (out[o.fw] ??= []).push(o.agent);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

// ---- offers ------------------------------------------------------------------------------

test('a framework is offered the whole of every agent', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:4;mem:1024;ports:[31000-32000]'));
  const offers = h.allocate();
  assert.equal(offers.length, 1);
  assert.ok(offers[0]!.resources.unallocate().equals(R('cpus:4;mem:1024;ports:[31000-32000]')));
  assert.equal(offers[0]!.role, '*');
  assert.equal(offers[0]!.resources.toJSON()[0]!.allocation_info?.role, '*');
});

test('offered resources are not offered again until they are recovered', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:4;mem:1024'));
  const first = h.allocate();
  assert.equal(h.allocate().length, 0);
  h.decline(first, 0);
  assert.equal(h.allocate().length, 1);
});

test('agents are shared out coarse-grained: two frameworks get one agent each', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addFramework('f2', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'));
  h.allocator.addAgent('a2', R('cpus:2;mem:1024'));
  const got = byFramework(h.allocate());
  assert.equal(got.f1?.length, 1);
  assert.equal(got.f2?.length, 1);
});

test('the classic DRF example gives A three tasks and B two', () => {
  // One agent with 9 CPUs and 18 GB; A runs <1 CPU, 4 GB> tasks, B <3 CPUs, 1 GB>.
  const h = harness();
  const task: Record<string, Resources> = { A: R('cpus:1;mem:4096'), B: R('cpus:3;mem:1024') };
  const tasks: Record<string, number> = { A: 0, B: 0 };
  h.allocator.addFramework('A', { role: '*' });
  h.allocator.addFramework('B', { role: '*' });
  h.allocator.addAgent('agent', R('cpus:9;mem:18432'));
  for (let round = 0; round < 20; round++) {
    const offers = h.allocate();
    if (offers.length === 0) break;
    for (const o of offers) {
      const offered = o.resources.unallocate();
      const t = task[o.fw]!;
      // Launch one task if it fits, decline the rest without a filter.
      if (offered.contains(t)) {
        tasks[o.fw]!++;
        h.allocator.recoverResources(o.fw, o.agent, offered.subtract(t), { refuse_seconds: 0 });
      } else h.allocator.recoverResources(o.fw, o.agent, offered, { refuse_seconds: 0 });
    }
  }
  assert.deepEqual(tasks, { A: 3, B: 2 });
});

test('frameworks with equal shares take turns', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addFramework('f2', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  const count: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    const offers = h.allocate();
    for (const o of offers) count[o.fw] = (count[o.fw] ?? 0) + 1;
    h.decline(offers, 0);
  }
  assert.deepEqual(count, { f1: 5, f2: 5 });
});

test('a role with twice the weight gets twice the agents', () => {
  const h = harness();
  h.allocator.updateWeights({ r1: 1, r2: 2 });
  h.allocator.addFramework('f1', { role: 'r1' });
  h.allocator.addFramework('f2', { role: 'r2' });
  for (let i = 0; i < 6; i++) h.allocator.addAgent(`a${i}`, R('cpus:2;mem:1024'));
  const got = byFramework(h.allocate());
  assert.equal(got.f1?.length, 2);
  assert.equal(got.f2?.length, 4);
});

test('inactive frameworks and deactivated agents get nothing', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' }, new Map(), false);
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  assert.equal(h.allocate().length, 0);
  h.allocator.activateFramework('f1');
  h.allocator.deactivateAgent('a1');
  assert.equal(h.allocate().length, 0);
  h.allocator.activateAgent('a1');
  assert.equal(h.allocate().length, 1);
});

test('resources below min_allocatable_resources are not offered', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:0.005;mem:16'));
  assert.equal(h.allocate().length, 0);
  h.allocator.addAgent('a2', R('cpus:0.01'));
  assert.equal(h.allocate().length, 1);
});

test('a framework can override min_allocatable_resources for its role', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*', offer_filters: { '*': { min_allocatable_resources: { quantities: [{ quantities: { cpus: { value: 4 } } }] } } } });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'));
  assert.equal(h.allocate().length, 0);
  h.allocator.addAgent('a2', R('cpus:4;mem:1024'));
  assert.deepEqual(h.allocate().map((o) => o.agent), ['a2']);
});

// ---- refusal filters ------------------------------------------------------------------------

test('a decline filters the agent for 5 seconds by default', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.decline(h.allocate());
  h.advance(1000);
  assert.equal(h.allocate().length, 0);
  h.advance(3000);
  assert.equal(h.allocate().length, 0);
  h.advance(1000);
  assert.equal(h.allocate().length, 1);
});

test('refuse_seconds of 0 installs no filter', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.decline(h.allocate(), 0);
  assert.equal(h.allocator.filterCount('f1'), 0);
  assert.equal(h.allocate().length, 1);
});

test('a 2 s filter with a 1 s interval holds at the next tick and is gone at the one after', () => {
  const h = harness({ allocationInterval: 1000 });
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.decline(h.allocate(), 2);
  h.advance(1000);
  assert.equal(h.allocate().length, 0);
  h.advance(1000);
  assert.equal(h.allocate().length, 1);
});

test('a filter shorter than the interval lasts one interval and survives the next run', () => {
  const h = harness({ allocationInterval: 60_000 });
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.decline(h.allocate(), 1);
  h.advance(60_000);
  assert.equal(h.allocate().length, 0);
  h.advance(60_000);
  assert.equal(h.allocate().length, 1);
});

test('filters are capped at 365 days', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.decline(h.allocate(), 1e12);
  h.advance(364 * 24 * 3600 * 1000);
  assert.equal(h.allocate().length, 0);
  h.advance(2 * 24 * 3600 * 1000);
  assert.equal(h.allocate().length, 1);
});

test('a filter blocks only offers contained in what was declined', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addFramework('f2', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'), new Map([['f2', R('cpus:1;mem:512')]]));
  const offers = h.allocate();
  assert.deepEqual(offers.map((o) => o.fw), ['f1']);
  h.decline(offers, 100);
  assert.equal(h.allocate().length, 1, 'f2 still gets the agent');
  assert.equal(h.allocate().length, 0);
  // f2 gives back its task's resources: more is available than f1 declined.
  h.allocator.recoverResources('f2', 'a1', R('cpus:2;mem:1024'), { refuse_seconds: 100 });
  const again = h.allocate();
  assert.deepEqual(again.map((o) => o.fw), ['f1']);
  assert.equal(again[0]!.resources.cpus(), 2);
});

test('revive clears filters and un-suppresses, and asks for an allocation', () => {
  let requested = 0;
  const h = harness({ onAllocationRequested: () => requested++ });
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.allocator.allocatePending();
  const before = requested;
  h.decline(h.allocate(), 1000);
  h.allocator.suppressOffers('f1');
  h.allocator.recoverResources('f1', 'a1', R('cpus:1'));
  assert.equal(requested, before, 'recover and suppress do not trigger a run');
  assert.equal(h.allocate().length, 0);
  h.allocator.reviveOffers('f1');
  assert.equal(requested, before + 1);
  assert.ok(h.allocator.hasPendingAllocation);
  h.allocator.allocatePending();
  assert.ok(!h.allocator.hasPendingAllocation);
});

test('suppressed frameworks get no offers while others do', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' }, new Map(), true, ['*']);
  h.allocator.addFramework('f2', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.allocator.addAgent('a2', R('cpus:1;mem:512'));
  assert.deepEqual(Object.keys(byFramework(h.allocate())), ['f2']);
});

test('deactivation clears filters, and reactivation keeps suppressed roles suppressed', () => {
  const h = harness();
  h.allocator.addFramework('f1', { roles: ['r1', 'r2'] });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.decline(h.allocate(), 1000);
  assert.equal(h.allocator.filterCount('f1'), 1);
  h.allocator.suppressOffers('f1', ['r1']);
  h.allocator.deactivateFramework('f1');
  assert.equal(h.allocator.filterCount('f1'), 0);
  h.allocator.activateFramework('f1');
  assert.deepEqual(h.allocate().map((o) => o.role), ['r2']);
});

// ---- reservations ---------------------------------------------------------------------------

test('statically reserved resources go only to their role', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: 'r1' });
  h.allocator.addFramework('f2', { role: 'r2' });
  h.allocator.addAgent('a1', R('cpus(r1):4;mem(r1):1024'));
  const offers = h.allocate();
  assert.deepEqual(offers.map((o) => o.fw), ['f1']);
  assert.equal(offers[0]!.resources.reserved('r1').cpus(), 4);
});

test('an agent with reserved and unreserved resources can go to two roles in one run', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: 'r1' });
  h.allocator.addFramework('f2', { role: 'r2' });
  h.allocator.addAgent('a1', R('cpus:2;mem:512;cpus(r2):2;mem(r2):512'));
  const offers = h.allocate();
  assert.equal(offers.length, 2);
  const f1 = offers.find((o) => o.fw === 'f1');
  // Whoever came first took the unreserved part; r2 always ends with its reservation.
  const f2 = offers.find((o) => o.fw === 'f2')!;
  assert.equal(f2.resources.reserved('r2').cpus(), 2);
  if (f1 !== undefined) assert.equal(f1.resources.reserved().cpus(), 0);
});

test('a subrole receives the reservations of its ancestors', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: 'a/b' });
  h.allocator.addFramework('f2', { role: 'c' });
  h.allocator.addAgent('a1', R('cpus(a):4;mem(a):512'));
  assert.deepEqual(h.allocate().map((o) => o.fw), ['f1']);
});

test('RESERVE and UNRESERVE convert offered resources without changing quota consumption', () => {
  const h = harness();
  h.allocator.setQuota('r1', { guarantees: { cpus: 1 } });
  h.allocator.addFramework('f1', { role: 'r1' });
  h.allocator.addAgent('a1', R('cpus:4;mem:1024'));
  const [offer] = h.allocate();
  const before = h.allocator.metrics()['allocator/mesos/quota/roles/r1/resources/cpus/offered_or_allocated'];
  h.allocator.updateAllocation('f1', 'a1', [{ type: 'RESERVE', resources: R('cpus:2').reserve('r1').allocate('r1') }]);
  assert.equal(h.allocator.total('a1').reserved('r1').cpus(), 2);
  assert.equal(h.allocator.metrics()['allocator/mesos/quota/roles/r1/resources/cpus/offered_or_allocated'], before);
  h.allocator.updateAllocation('f1', 'a1', [{ type: 'UNRESERVE', resources: R('cpus:2').reserve('r1').allocate('r1') }]);
  assert.ok(h.allocator.total('a1').equals(R('cpus:4;mem:1024')));
  h.allocator.recoverResources('f1', 'a1', offer!.resources);
  assert.ok(h.allocator.available('a1').equals(R('cpus:4;mem:1024')));
});

test('operator reservations of unallocated resources must be available', () => {
  const h = harness();
  h.allocator.addAgent('a1', R('cpus:4;mem:1024'));
  h.allocator.updateAvailable('a1', [{ type: 'RESERVE', resources: R('cpus:2').reserve('r1') }]);
  assert.equal(h.allocator.available('a1').reserved('r1').cpus(), 2);
  assert.throws(() => h.allocator.updateAvailable('a1', [{ type: 'RESERVE', resources: R('cpus:8').reserve('r1') }]), /available/);
});

// ---- quota ----------------------------------------------------------------------------------

test('quota guarantees are satisfied before fair share', () => {
  const h = harness();
  h.allocator.setQuota('q', { guarantees: { cpus: 4, mem: 2048 } });
  for (let i = 0; i < 5; i++) h.allocator.addFramework(`other${i}`, { role: 'other' });
  h.allocator.addFramework('fq', { role: 'q' });
  for (let i = 0; i < 4; i++) h.allocator.addAgent(`a${i}`, R('cpus:2;mem:1024'));
  const offers = h.allocate();
  const q = offers.filter((o) => o.role === 'q').reduce((s, o) => s.add(o.resources.unallocate()), Resources.EMPTY);
  assert.ok(q.contains(R('cpus:4;mem:2048')));
});

test('quota limits chop offers', () => {
  const h = harness();
  h.allocator.setQuota('q', { limits: { cpus: 1 } });
  h.allocator.addFramework('f1', { role: 'q' });
  h.allocator.addAgent('a1', R('cpus:4;mem:1024'));
  const offers = h.allocate();
  assert.equal(offers.length, 1);
  assert.equal(offers[0]!.resources.cpus(), 1);
  assert.equal(offers[0]!.resources.mem(), 1024, 'names without a limit are not chopped');
  h.allocator.addAgent('a2', R('cpus:4;mem:1024'));
  const more = h.allocate();
  assert.ok(more.every((o) => o.resources.cpus() === 0));
});

test('unmet guarantees of a role without frameworks are held back from others', () => {
  const h = harness();
  h.allocator.setQuota('q', { guarantees: { cpus: 2, mem: 1024 } });
  h.allocator.addFramework('f1', { role: 'other' });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'));
  h.allocator.addAgent('a2', R('cpus:2;mem:1024'));
  const offers = h.allocate();
  assert.equal(offers.length, 1);
  assert.equal(h.allocator.available('a1').cpus() + h.allocator.available('a2').cpus(), 2);
});

test('quota is only accepted on top-level roles', () => {
  const h = harness();
  assert.throws(() => h.allocator.setQuota('a/b', { limits: { cpus: 1 } }), /top-level/);
});

// ---- agents ---------------------------------------------------------------------------------

test('growing an agent makes only the difference available', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'));
  h.allocate();
  h.allocator.updateAgent('a1', { total: R('cpus:6;mem:1024') });
  const offers = h.allocate(['a1']);
  assert.ok(offers[0]!.resources.unallocate().equals(R('cpus:4')));
});

test('removing an agent recovers everything on it', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'));
  h.allocate();
  h.allocator.removeAgent('a1');
  assert.equal(h.allocator.allocation('f1').size, 0);
  assert.equal(h.allocator.metrics()['allocator/mesos/resources/cpus/offered_or_allocated'], 0);
  // A late recover for the vanished agent is ignored.
  h.allocator.recoverResources('f1', 'a1', R('cpus:2'));
});

test('resources already in use when an agent registers are charged to their framework', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addFramework('f2', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:4;mem:1024'), new Map([['f1', R('cpus:3;mem:512').allocate('*')]]));
  h.allocator.addAgent('a2', R('cpus:4;mem:1024'));
  // f1 already has a bigger share, so f2 is first in line.
  const offers = h.allocate(['a2']);
  assert.deepEqual(offers.map((o) => o.fw), ['f2']);
});

test('GPU agents are offered only to frameworks with GPU_RESOURCES', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512;gpus:1'));
  assert.equal(h.allocate().length, 0);
  h.allocator.addFramework('f2', { role: '*', capabilities: [{ type: 'GPU_RESOURCES' }] });
  assert.deepEqual(h.allocate().map((o) => o.fw), ['f2']);
});

test('revocable resources go only to frameworks with REVOCABLE_RESOURCES', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  const total = R('cpus:1;mem:512').add(Resources.fromJSON([{ name: 'cpus', type: 'SCALAR', scalar: { value: 8 }, revocable: {} }]));
  h.allocator.addAgent('a1', total);
  const offers = h.allocate();
  assert.equal(offers[0]!.resources.cpus(), 1);
  h.allocator.addFramework('f2', { role: '*', capabilities: [{ type: 'REVOCABLE_RESOURCES' }] });
  assert.equal(h.allocate()[0]!.resources.revocable().cpus(), 8);
});

// ---- role policies (beyond Mesos) --------------------------------------------------------

test('a fifo role serves its frameworks in registration order', () => {
  const h = harness({ rolePolicies: { batch: 'fifo' } });
  h.allocator.addFramework('first', { role: 'batch' });
  h.allocator.addFramework('second', { role: 'batch' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  for (let i = 0; i < 3; i++) {
    const offers = h.allocate();
    assert.deepEqual(offers.map((o) => o.fw), ['first']);
    h.decline(offers, 0);
  }
});

test('a priority role serves the framework with the highest priority label first', () => {
  const h = harness({ rolePolicies: { svc: 'priority' } });
  h.allocator.addFramework('low', { role: 'svc', labels: { labels: [{ key: 'priority', value: '1' }] } });
  h.allocator.addFramework('high', { role: 'svc', labels: { labels: [{ key: 'priority', value: '10' }] } });
  h.allocator.addFramework('none', { role: 'svc' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.allocator.addAgent('a2', R('cpus:1;mem:512'));
  // Strict priority: the first framework in line takes every agent it wants.
  const offers = h.allocate();
  assert.deepEqual(offers.map((o) => o.fw), ['high', 'high']);
  h.allocator.updateFramework('none', { role: 'svc', labels: { labels: [{ key: 'priority', value: '99' }] } });
  h.decline(offers, 0);
  assert.deepEqual(h.allocate().map((o) => o.fw), ['none', 'none']);
  h.allocator.suppressOffers('none');
  h.allocator.suppressOffers('high');
  h.allocator.recoverResources('none', 'a1', R('cpus:1;mem:512'));
  h.allocator.recoverResources('none', 'a2', R('cpus:1;mem:512'));
  assert.deepEqual(h.allocate().map((o) => o.fw), ['low', 'low']);
});

// ---- roles and frameworks ---------------------------------------------------------------

test('updateFramework moving to a new role keeps the old one tracked until its resources return', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: 'r1' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  const [offer] = h.allocate();
  h.allocator.updateFramework('f1', { role: 'r2' });
  assert.deepEqual(h.allocator.roleOrder().sort(), ['r1', 'r2']);
  h.allocator.recoverResources('f1', 'a1', offer!.resources);
  assert.deepEqual(h.allocator.roleOrder(), ['r2']);
  assert.deepEqual(h.allocate().map((o) => o.role), ['r2']);
});

test('removing a framework gives back everything it held', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.allocate();
  h.allocator.removeFramework('f1');
  assert.ok(h.allocator.available('a1').equals(R('cpus:1;mem:512')));
  assert.deepEqual(h.allocator.roleOrder(), []);
});

test('a paused allocator makes no offers', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:1;mem:512'));
  h.allocator.pause();
  assert.equal(h.allocate().length, 0);
  h.allocator.resume();
  assert.equal(h.allocate().length, 1);
});

// ---- metrics --------------------------------------------------------------------------------

test('metrics use the Mesos allocator names', () => {
  const h = harness({ fairnessExcludeResourceNames: ['gpus'] });
  h.allocator.setQuota('q', { guarantees: { cpus: 1 }, limits: { cpus: 2 } });
  h.allocator.addFramework('f1', { role: 'q', capabilities: [{ type: 'GPU_RESOURCES' }] });
  h.allocator.addFramework('f2', { role: 'r' });
  h.allocator.addAgent('a1', R('cpus:2;mem:1024'));
  h.allocator.addAgent('a2', R('cpus:2;mem:1024'));
  h.decline(h.allocate(), 60);
  h.allocate();
  const m = h.allocator.metrics();
  assert.equal(m['allocator/mesos/allocation_runs'], 2);
  assert.ok(m['allocator/mesos/allocation_run_ms/count'] === 2);
  assert.equal(m['allocator/mesos/resources/cpus/total'], 4);
  assert.equal(m['allocator/mesos/resources/mem/total'], 2048);
  assert.equal(m['allocator/mesos/quota/roles/q/resources/cpus/guarantee'], 1);
  assert.equal(m['allocator/mesos/quota/roles/q/resources/cpus/limit'], 2);
  assert.equal(m['allocator/mesos/offer_filters/roles/q/active']! + (m['allocator/mesos/offer_filters/roles/r/active'] ?? 0), 2);
  assert.equal(typeof m['allocator/mesos/roles/q/shares/dominant'], 'number');
});

// ---- properties ---------------------------------------------------------------------------

type Op =
  | { k: 'allocate' }
  | { k: 'decline'; i: number; refuse: number }
  | { k: 'launch'; i: number }
  | { k: 'finish'; i: number }
  | { k: 'advance'; ms: number }
  | { k: 'suppress' | 'revive' | 'deactivate' | 'activate'; fw: number }
  | { k: 'removeAgent'; agent: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ k: 'allocate' } as Op) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('decline' as const), i: fc.nat(), refuse: fc.constantFrom(0, 1, 5, 30) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('launch' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('finish' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(500, 1000, 10_000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('suppress' as const, 'revive' as const, 'deactivate' as const, 'activate' as const), fw: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('removeAgent' as const), agent: fc.nat({ max: 3 }) }) },
);

test('property: nothing is offered twice at once, and nothing is lost or created', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), (ops, seed) => {
    const h = harness({ random: seededRandom(seed) });
    const fws = ['f0', 'f1', 'f2', 'f3'];
    fws.forEach((f, i) => h.allocator.addFramework(f, { role: i < 2 ? 'r1' : 'r2' }));
    const totals = new Map<string, Resources>();
    for (let i = 0; i < 4; i++) {
      const t = R(`cpus:${i + 1};mem:${512 * (i + 1)};ports:[${31000 + i}-${31100 + i}]`).add(i === 3 ? R('cpus(r1):2;mem(r1):256') : Resources.EMPTY);
      totals.set(`a${i}`, t);
      h.allocator.addAgent(`a${i}`, t);
    }
    // What the test believes each framework holds: open offers and launched tasks.
    let open: Offer[] = [];
    let running: Offer[] = [];
    const check = (): void => {
      for (const [agent, total] of totals) {
        let held = Resources.EMPTY;
        for (const o of [...open, ...running]) if (o.agent === agent) held = held.add(o.resources.unallocate());
        assert.ok(total.contains(held), `agent ${agent} handed out more than it has`);
        assert.ok(held.add(h.allocator.available(agent)).equals(total), `agent ${agent}: held + available != total`);
      }
    };
    for (const op of ops) {
      switch (op.k) {
        case 'allocate': open.push(...h.allocate()); break;
        case 'decline': {
          const o = open[op.i % Math.max(1, open.length)];
          if (o !== undefined) { open = open.filter((x) => x !== o); h.allocator.recoverResources(o.fw, o.agent, o.resources, { refuse_seconds: op.refuse }); }
          break;
        }
        case 'launch': {
          const o = open[op.i % Math.max(1, open.length)];
          if (o !== undefined) { open = open.filter((x) => x !== o); running.push(o); }
          break;
        }
        case 'finish': {
          const o = running[op.i % Math.max(1, running.length)];
          if (o !== undefined) { running = running.filter((x) => x !== o); h.allocator.recoverResources(o.fw, o.agent, o.resources); }
          break;
        }
        case 'advance': h.advance(op.ms); break;
        case 'suppress': h.allocator.suppressOffers(fws[op.fw]!); break;
        case 'revive': h.allocator.reviveOffers(fws[op.fw]!); break;
        case 'deactivate': h.allocator.deactivateFramework(fws[op.fw]!); break;
        case 'activate': h.allocator.activateFramework(fws[op.fw]!); break;
        case 'removeAgent': {
          const id = `a${op.agent}`;
          if (!totals.has(id)) break;
          h.allocator.removeAgent(id);
          totals.delete(id);
          open = open.filter((o) => o.agent !== id);
          running = running.filter((o) => o.agent !== id);
          break;
        }
      }
      check();
    }
  }), { numRuns: 150 });
});

test('property: a framework\'s filters hide exactly the agents it declined', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), fc.integer(), (n, declineMask, seed) => {
    const h = harness({ random: seededRandom(seed) });
    h.allocator.addFramework('f', { role: '*' });
    for (let i = 0; i < n; i++) h.allocator.addAgent(`a${i}`, R(`cpus:${1 + (i % 3)};mem:1024`));
    const offers = h.allocate();
    const declined = new Set<string>();
    for (const o of offers) {
      const i = Number(o.agent.slice(1));
      // Declined with a long filter, or given back with none.
      if (declineMask[i]) { declined.add(o.agent); h.allocator.recoverResources('f', o.agent, o.resources, { refuse_seconds: 3600 }); }
      else h.allocator.recoverResources('f', o.agent, o.resources, { refuse_seconds: 0 });
    }
    h.advance(1000);
    const again = new Set(h.allocate().map((o) => o.agent));
    for (let i = 0; i < n; i++) assert.equal(again.has(`a${i}`), !declined.has(`a${i}`));
  }));
});

test('property: quota guarantees are met before anybody gets a fair share', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (guarantees, others, seed) => {
    const h = harness({ random: seededRandom(seed) });
    const need = guarantees.reduce((a, b) => a + b, 0);
    // Enough agents for the guarantees plus some, in 2-cpu / 1 GB pieces.
    const agents = Math.ceil(need / 2) + 2;
    for (let i = 0; i < others; i++) h.allocator.addFramework(`o${i}`, { role: `other${i % 2}` });
    guarantees.forEach((g, i) => {
      h.allocator.setQuota(`q${i}`, { guarantees: { cpus: g, mem: g * 512 } });
      h.allocator.addFramework(`fq${i}`, { role: `q${i}` });
    });
    for (let i = 0; i < agents; i++) h.allocator.addAgent(`a${i}`, R('cpus:2;mem:1024'));
    const offers = h.allocate();
    guarantees.forEach((g, i) => {
      const got = offers.filter((o) => o.role === `q${i}`).reduce((s, o) => s.add(o.resources.unallocate()), Resources.EMPTY);
      assert.ok(got.cpus() >= g && got.mem() >= g * 512, `q${i} got ${got.toString()} of a ${g} cpus guarantee`);
    });
  }));
});

test('shrinking an agent below its allocation offers nothing until enough is recovered', () => {
  const h = harness();
  h.allocator.addFramework('f1', { role: '*' });
  h.allocator.addAgent('a1', R('cpus:4;mem:1024'));
  const [offer] = h.allocate();
  h.allocator.updateAgent('a1', { total: R('cpus:2;mem:1024') });
  assert.ok(h.allocator.available('a1').isEmpty());
  h.allocator.recoverResources('f1', 'a1', R('cpus:3;mem:1024').allocate('*'));
  assert.ok(h.allocator.available('a1').equals(R('cpus:1;mem:1024')));
  assert.ok(offer !== undefined);
});
