import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Resources } from '../../protocol/resources.js';
import { DRFSorter, RandomSorter, OrderedSorter, ResourcePool, type Sorter } from '../../master/allocator/index.js';

const R = (s: string): Resources => Resources.parse(s);

function sorterWith(total: string, clients: string[], make: () => Sorter = () => new DRFSorter()): Sorter {
  const s = make();
  s.addAgent('agent1', R(total));
  for (const c of clients) {
    s.add(c);
    s.activate(c);
  }
  return s;
}

test('new clients are inactive until activated', () => {
  const s = new DRFSorter();
  s.add('a');
  assert.deepEqual(s.sort(), []);
  assert.ok(s.contains('a'));
  assert.equal(s.count(), 1);
  s.activate('a');
  assert.deepEqual(s.sort(), ['a']);
});

test('the DRF sorter orders clients by dominant share', () => {
  const s = sorterWith('cpus:10;mem:100', ['a', 'b', 'c']);
  s.allocated('a', 'agent1', R('cpus:5'));
  s.allocated('b', 'agent1', R('mem:20'));
  assert.deepEqual(s.sort(), ['c', 'b', 'a']);
  s.unallocated('a', 'agent1', R('cpus:5'));
  assert.deepEqual(s.sort(), ['c', 'a', 'b']);
});

test('equal shares are broken by allocation count, then by name', () => {
  const s = sorterWith('cpus:10', ['b', 'a']);
  assert.deepEqual(s.sort(), ['a', 'b']);
  s.allocated('a', 'agent1', R('cpus:1'));
  s.unallocated('a', 'agent1', R('cpus:1'));
  // Same share (0), but a has been allocated to once: b goes first.
  assert.deepEqual(s.sort(), ['b', 'a']);
});

test('clients with the same share take turns through the allocation count', () => {
  const s = sorterWith('cpus:100', ['a', 'b']);
  const got: Record<string, number> = { a: 0, b: 0 };
  for (let i = 0; i < 10; i++) {
    const first = s.sort()[0]!;
    got[first]!++;
    s.allocated(first, 'agent1', R('cpus:1'));
    s.unallocated(first, 'agent1', R('cpus:1'));
  }
  assert.deepEqual(got, { a: 5, b: 5 });
});

test('a weight divides the share of its node', () => {
  const s = sorterWith('cpus:100', ['a', 'b']);
  s.updateWeight('a', 2);
  s.allocated('a', 'agent1', R('cpus:10'));
  s.allocated('b', 'agent1', R('cpus:6'));
  assert.deepEqual(s.sort(), ['a', 'b']);
});

test('shares are divided by the weight after the ratio, as Mesos computes them', () => {
  // (15/100)/3 = 0.049999999999999996 < (10/100)/2 = 0.05: b sorts before a.
  const s = new DRFSorter();
  s.updateWeight('a', 2);
  s.updateWeight('b', 3);
  s.addAgent('agent1', R('cpus:100'));
  for (const c of ['a', 'b']) { s.add(c); s.activate(c); }
  s.allocated('b', 'agent1', R('cpus:15'));
  s.allocated('a', 'agent1', R('cpus:10'));
  assert.deepEqual(s.sort(), ['b', 'a']);
});

test('sort walks the role tree in pre-order with subtrees contiguous', () => {
  const s = sorterWith('cpus:100', ['a/b', 'c', 'd', 'd/e']);
  s.allocated('c', 'agent1', R('cpus:5'));
  s.allocated('d', 'agent1', R('cpus:2'));
  s.allocated('d/e', 'agent1', R('cpus:1'));
  assert.deepEqual(s.sort(), ['a/b', 'd/e', 'd', 'c']);
  assert.ok(!s.contains('a'));
  assert.deepEqual(s.allocationScalarQuantities(), { cpus: 8 });
});

test('adding a child to a leaf keeps the leaf as a virtual "." client with its allocation', () => {
  const s = sorterWith('cpus:100', ['a', 'b']);
  s.allocated('a', 'agent1', R('cpus:10'));
  s.add('a/c');
  s.activate('a/c');
  assert.deepEqual(s.sort(), ['b', 'a/c', 'a']);
  assert.equal(s.allocation('a', 'agent1').cpus(), 10);
  s.remove('a/c');
  assert.deepEqual(s.sort(), ['b', 'a']);
  assert.equal(s.allocation('a', 'agent1').cpus(), 10);
});

test('inactive clients keep counting toward their ancestors', () => {
  const s = sorterWith('cpus:100', ['x/a', 'x/b', 'y']);
  s.allocated('x/a', 'agent1', R('cpus:50'));
  s.deactivate('x/a');
  s.allocated('y', 'agent1', R('cpus:10'));
  assert.deepEqual(s.sort(), ['y', 'x/b']);
  s.remove('x/a');
  assert.deepEqual(s.sort(), ['x/b', 'y']);
});

test('excluded resource names do not count toward shares', () => {
  const s = new DRFSorter({ fairnessExcludeResourceNames: ['gpus'] });
  s.addAgent('agent1', R('cpus:4;mem:4096;gpus:1'));
  for (const c of ['a', 'b']) { s.add(c); s.activate(c); }
  s.allocated('a', 'agent1', R('cpus:1;mem:1024;gpus:1'));
  s.allocated('b', 'agent1', R('cpus:3'));
  assert.deepEqual(s.sort(), ['a', 'b']);
  assert.equal((s as DRFSorter).share('a'), 0.25);
});

test('update replaces part of an allocation without counting an allocation', () => {
  const s = sorterWith('cpus:100', ['a', 'b']);
  s.allocated('a', 'agent1', R('cpus:10'));
  s.update('a', 'agent1', R('cpus:10'), R('cpus(a):10'));
  assert.equal(s.allocation('a', 'agent1').reserved('a').cpus(), 10);
  assert.equal((s as DRFSorter).allocationCount('a'), 1);
  s.update('a', 'agent1', R('cpus(a):10'), Resources.EMPTY);
  assert.equal(s.allocation('a').size, 0);
});

test('shares follow the pool: adding an agent lowers everyone\'s share', () => {
  const s = sorterWith('cpus:10;mem:10', ['a', 'b']);
  s.allocated('a', 'agent1', R('cpus:5'));
  s.allocated('b', 'agent1', R('mem:4'));
  assert.deepEqual(s.sort(), ['b', 'a']);
  s.addAgent('agent2', R('cpus:90'));
  assert.deepEqual(s.sort(), ['a', 'b']);
  s.removeAgent('agent2');
  assert.deepEqual(s.sort(), ['b', 'a']);
});

test('sorters can share one resource pool', () => {
  const pool = new ResourcePool();
  const s1 = new DRFSorter({ pool });
  const s2 = new DRFSorter({ pool });
  pool.addAgent('agent1', R('cpus:10'));
  for (const s of [s1, s2]) { s.add('a'); s.activate('a'); s.allocated('a', 'agent1', R('cpus:5')); }
  assert.equal(s1.share('a'), 0.5);
  assert.equal(s2.share('a'), 0.5);
});

test('adding a client twice or touching an unknown client is an error', () => {
  const s = new DRFSorter();
  s.add('a');
  assert.throws(() => s.add('a'), /already exists/);
  assert.throws(() => s.activate('zz'), /unknown/);
});

test('the ordered sorter serves by priority, then by arrival, ignoring allocations', () => {
  const s = new OrderedSorter();
  s.addAgent('agent1', R('cpus:10'));
  for (const c of ['f1', 'f2', 'f3']) { s.add(c); s.activate(c); }
  s.allocated('f1', 'agent1', R('cpus:9'));
  assert.deepEqual(s.sort(), ['f1', 'f2', 'f3']);
  s.setPriority('f3', 10);
  assert.deepEqual(s.sort(), ['f3', 'f1', 'f2']);
});

test('the random sorter returns each active client once, favouring heavier weights', () => {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const s = new RandomSorter({ random });
  s.addAgent('agent1', R('cpus:10'));
  for (const c of ['a', 'b']) { s.add(c); s.activate(c); }
  s.updateWeight('a', 3);
  let aFirst = 0;
  for (let i = 0; i < 2000; i++) {
    const order = s.sort();
    assert.deepEqual([...order].sort(), ['a', 'b']);
    if (order[0] === 'a') aFirst++;
  }
  // Expected 3/4 of the time.
  assert.ok(aFirst > 1350 && aFirst < 1650, `a first ${aFirst} times`);
});

test('property: the incremental DRF order equals a full recomputation', () => {
  const names = ['a', 'b', 'c', 'd', 'e/f', 'e/g', 'h'];
  const op = fc.record({ kind: fc.constantFrom('alloc', 'unalloc', 'toggle'), who: fc.integer({ min: 0, max: names.length - 1 }), cpus: fc.integer({ min: 1, max: 5 }), mem: fc.integer({ min: 0, max: 50 }) });
  fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
    const s = sorterWith('cpus:100;mem:1000', names) as DRFSorter;
    for (const o of ops) {
      const c = names[o.who]!;
      const r = R(`cpus:${o.cpus};mem:${o.mem}`);
      if (o.kind === 'alloc') s.allocated(c, 'agent1', r);
      else if (o.kind === 'unalloc' && s.allocation(c, 'agent1').contains(r)) s.unallocated(c, 'agent1', r);
      else if (o.kind === 'toggle') { if (s.isActive(c)) s.deactivate(c); else s.activate(c); }
    }
    // A fresh sorter with the same state, sorted from scratch.
    const fresh = new DRFSorter();
    fresh.addAgent('agent1', R('cpus:100;mem:1000'));
    for (const c of names) fresh.add(c);
    for (const c of names) {
      const a = s.allocation(c, 'agent1');
      const n = s.allocationCount(c);
      // Same allocation and the same number of allocated() calls (the tie-breaker).
      for (let i = a.isEmpty() ? 0 : 1; i < n; i++) fresh.allocated(c, 'agent1', Resources.EMPTY);
      if (!a.isEmpty()) fresh.allocated(c, 'agent1', a);
      if (s.isActive(c)) fresh.activate(c);
    }
    assert.deepEqual(s.sort(), fresh.sort());
  }));
});
