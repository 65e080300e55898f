import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Resources } from '../../protocol/resources.js';

const R = (s: string): Resources => Resources.parse(s);

test('parse reads scalars, ranges, sets and static reservations in the text format', () => {
  const r = R('cpus:1;mem:128;ports:[31000-32000];disk(role):10;zones:{b,a}');
  assert.equal(r.cpus(), 1);
  assert.equal(r.mem(), 128);
  assert.equal(r.disk(), 10);
  assert.deepEqual(r.ports(), [{ begin: 31000, end: 32000 }]);
  assert.deepEqual(r.set('zones'), ['a', 'b']);
  assert.equal(r.reserved('role').disk(), 10);
  assert.equal(r.unreserved().disk(), 0);
});

test('parse accepts spaces, a default role and a JSON array', () => {
  const r = Resources.parse(' cpus : 2 ; mem:64 ', 'web');
  assert.equal(r.reserved('web').cpus(), 2);
  const j = Resources.parse('[{"name":"cpus","type":"SCALAR","scalar":{"value":3}}]');
  assert.equal(j.cpus(), 3);
});

test('parse rejects malformed input with a message naming the resource', () => {
  assert.throws(() => R('cpus'), /cpus.*name:value/);
  assert.throws(() => R('cpus:abc'), /Invalid resource 'cpus'/);
  assert.throws(() => R('cpus:-1'), /negative/);
  assert.throws(() => R('ports:[5-3]'), /begin > end/);
  assert.throws(() => R('ports:[1-5,3-9]'), /overlapping/);
  assert.throws(() => R('ports:[1-5'), /unterminated/);
  assert.throws(() => R('zones:{a,a}'), /duplicate/);
  assert.throws(() => R('cpus:1;cpus:[1-2]'), /conflicting types/);
  assert.throws(() => R('cpus():1'), /empty role/);
});

test('zero scalars are dropped as Mesos does', () => {
  assert.ok(R('cpus:0').isEmpty());
});

test('toString prints the Mesos text format and parses back to the same resources', () => {
  const r = R('cpus:1.5;mem:128;ports:[31000-31005,31006-32000,40000-40010];disk(role):10');
  assert.equal(r.toString(), 'cpus:1.5; mem:128; ports:[31000-32000, 40000-40010]; disk(role):10');
  assert.ok(R(r.toString()).equals(r));
});

test('toJSON and fromJSON round-trip the v1 shape with reservations', () => {
  const r = R('cpus(a):2;mem:10').add(R('disk:5').reserve('b', { principal: 'p' }));
  const json = r.toJSON();
  assert.deepEqual(json[0], { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, reservations: [{ type: 'STATIC', role: 'a' }] });
  assert.deepEqual(json[2], { name: 'disk', type: 'SCALAR', scalar: { value: 5 }, reservations: [{ type: 'DYNAMIC', role: 'b', principal: 'p' }] });
  assert.ok(Resources.fromJSON(json).equals(r));
});

test('fromJSON accepts the legacy role and reservation fields', () => {
  const r = Resources.fromJSON([
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'a' },
    { name: 'mem', type: 'SCALAR', scalar: { value: 1 }, role: 'b', reservation: { principal: 'p' } },
    { name: 'disk', type: 'SCALAR', scalar: { value: 1 }, role: '*' },
  ]);
  assert.equal(r.entries()[0]!.reservations[0]!.type, 'STATIC');
  assert.equal(r.entries()[1]!.reservations[0]!.type, 'DYNAMIC');
  assert.equal(r.entries()[2]!.reserved, false);
});

test('add merges equal resources and coalesces ranges', () => {
  const r = R('cpus:1;ports:[1-5]').add(R('cpus:2;ports:[6-9,20-30]'));
  assert.equal(r.size, 2);
  assert.equal(r.cpus(), 3);
  assert.deepEqual(r.ports(), [{ begin: 1, end: 9 }, { begin: 20, end: 30 }]);
});

test('resources reserved to different roles stay distinct', () => {
  const r = R('cpus:1').add(R('cpus(a):1')).add(R('cpus(b):1'));
  assert.equal(r.size, 3);
  assert.equal(r.cpus(), 3);
  assert.ok(!R('cpus(a):2').contains(R('cpus:1')));
});

test('subtract removes what is there and never goes negative', () => {
  assert.ok(R('cpus:1;mem:5').subtract(R('cpus:3')).equals(R('mem:5')));
  assert.deepEqual(R('ports:[1-10]').subtract(R('ports:[3-4,8-20]')).ports(), [{ begin: 1, end: 2 }, { begin: 5, end: 7 }]);
  assert.deepEqual(R('s:{a,b,c}').subtract(R('s:{b}')).set('s'), ['a', 'c']);
});

test('contains compares scalars, ranges and sets', () => {
  assert.ok(R('cpus:2;ports:[1-10];s:{a,b}').contains(R('cpus:2;ports:[2-3,9-10];s:{b}')));
  assert.ok(!R('cpus:2;ports:[1-10]').contains(R('ports:[10-11]')));
  assert.ok(!R('s:{a}').contains(R('s:{a,b}')));
});

test('scalars are fixed point with three decimals', () => {
  let r = Resources.EMPTY;
  for (let i = 0; i < 10; i++) r = r.add(R('cpus:0.1'));
  assert.equal(r.cpus(), 1);
  assert.equal(R('cpus:0.0004').isEmpty(), true);
  assert.equal(R('cpus:0.0006').cpus(), 0.001);
});

test('allocatableTo offers a role its own and its ancestors reservations only', () => {
  const r = R('cpus:1;cpus(a):2;cpus(a/b):4;cpus(c):8');
  assert.equal(r.allocatableTo('a/b/c').cpus(), 7);
  assert.equal(r.allocatableTo('a').cpus(), 3);
  assert.equal(r.allocatableTo('ab').cpus(), 1);
});

test('reserve and unreserve push and pop the reservation stack', () => {
  const r = R('cpus:4').reserve('a', { principal: 'ops' });
  assert.equal(r.reserved('a').cpus(), 4);
  const refined = r.reserve('a/b');
  assert.ok(refined.hasRefinedReservations());
  assert.ok(refined.unreserve().equals(r));
  assert.ok(r.unreserve().equals(R('cpus:4')));
});

test('allocate tags resources with a role and unallocate removes the tag', () => {
  const r = R('cpus:1;ports:[1-2]');
  const t = r.allocate('web');
  assert.ok(!t.equals(r));
  assert.equal(t.toJSON()[0]!.allocation_info?.role, 'web');
  assert.ok(t.unallocate().equals(r));
  assert.deepEqual([...t.allocations().keys()], ['web']);
});

test('filters split revocable, scalars and non-scalars', () => {
  const r = Resources.fromJSON([
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, revocable: {} },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } },
  ]);
  assert.equal(r.revocable().cpus(), 2);
  assert.equal(r.nonRevocable().cpus(), 1);
  assert.equal(r.scalars().size, 2);
  assert.equal(r.nonScalars().count('ports'), 2);
});

test('shrink chops divisible scalars and keeps indivisible disks whole or not at all', () => {
  const bound = new Map([['cpus', 1500], ['disk', 50_000]]);
  const r = R('cpus:4;mem:10').shrink(bound);
  assert.ok(r.equals(R('cpus:1.5')));
  const mount = Resources.fromJSON([{ name: 'disk', type: 'SCALAR', scalar: { value: 100 }, disk: { source: { type: 'MOUNT', mount: { root: '/m' } } } }]);
  assert.ok(mount.shrink(bound).isEmpty());
  assert.ok(R('cpus:4;mem:10').shrink(bound, true).equals(R('cpus:1.5;mem:10')));
});

// ---- properties ------------------------------------------------------------------------

const scalarArb = fc.integer({ min: 1, max: 1_000_000 }).map((m) => m / 1000);
const rangesArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 })), { maxLength: 4 });
const roleArb = fc.constantFrom('*', 'a', 'b');
const resourcesArb = fc
  .record({ cpus: fc.option(scalarArb), mem: fc.option(scalarArb), role: roleArb, ports: rangesArb, set: fc.uniqueArray(fc.constantFrom('x', 'y', 'z')) })
  .map(({ cpus, mem, role, ports, set }) => {
    let r = Resources.EMPTY;
    const res = role === '*' ? '' : `(${role})`;
    if (cpus !== null) r = r.add(R(`cpus${res}:${cpus}`));
    if (mem !== null) r = r.add(R(`mem:${mem}`));
    for (const [b, len] of ports) r = r.add(R(`ports:[${b}-${b + len}]`));
    if (set.length > 0) r = r.add(R(`s:{${set.join(',')}}`));
    return r;
  });

test('property: adding then subtracting the same resources gives back the original', () => {
  fc.assert(fc.property(resourcesArb, resourcesArb, (a, b) => {
    const scalarsOnly = b.scalars();
    assert.ok(a.add(scalarsOnly).subtract(scalarsOnly).equals(a));
  }));
});

test('property: a sum contains both of its parts', () => {
  fc.assert(fc.property(resourcesArb, resourcesArb, (a, b) => {
    const s = a.add(b);
    assert.ok(s.contains(a) && s.contains(b));
    assert.ok(s.equals(b.add(a)));
  }));
});

test('property: Resources.sum of many values equals adding them one by one', () => {
  fc.assert(fc.property(fc.array(resourcesArb, { maxLength: 12 }), (list) => {
    assert.ok(Resources.sum(list).equals(list.reduce((acc, r) => acc.add(r), Resources.EMPTY)));
  }));
});

test('property: a − b is contained in a and (a − b) + b contains a', () => {
  fc.assert(fc.property(resourcesArb, resourcesArb, (a, b) => {
    const d = a.subtract(b);
    assert.ok(a.contains(d));
    assert.ok(d.add(b).contains(a));
  }));
});

test('property: many fixed-point additions and subtractions never drift', () => {
  fc.assert(fc.property(fc.array(scalarArb, { minLength: 1, maxLength: 200 }), (xs) => {
    let r = R('cpus:1000000');
    for (const x of xs) r = r.add(R(`cpus:${x}`));
    for (const x of xs) r = r.subtract(R(`cpus:${x}`));
    assert.equal(r.cpus(), 1000000);
  }));
});

test('property: toString and toJSON round-trip', () => {
  fc.assert(fc.property(resourcesArb, (a) => {
    assert.ok(R(a.toString()).equals(a));
    assert.ok(Resources.fromJSON(a.toJSON()).equals(a));
  }));
});
