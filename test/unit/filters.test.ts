// The test filters' matcher and bookkeeping, alone: body paths (validated, own fields only,
// `**.` at any depth), drop only the first N, delay, removal one at a time, the JSON form
// `/__filters__` takes, and that endpoint itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bodyMatches, parseBodyMatch } from '../../runtime/filter-match.js';
import { Filters, filterFromJson } from '../../runtime/filters.js';
import { filterEndpoint } from '../../runtime/test-endpoints.js';
import { request, type Envelope } from '../../runtime/index.js';

const update = (task: string, state: string) => ({ name: 'StatusUpdate', update: { framework_id: { value: 'f' }, status: { task_id: { value: task }, state, uuid: new Uint8Array(16) } } });
const env = (body: { name: string } & Record<string, unknown>, to = 'master@1.2.3.4:5050', from = 'slave(1)@1.2.3.5:5051'): Envelope => ({ to, from, name: body.name, id: 'x.1', cause: null, body, bytes: 0 }) as unknown as Envelope;

test('a body path matches the value at that path, and every path must hold', () => {
  const m = parseBodyMatch({ 'update.status.task_id.value': 't1', 'update.status.state': 'TASK_RUNNING' });
  assert.equal(bodyMatches(m, update('t1', 'TASK_RUNNING')), true);
  assert.equal(bodyMatches(m, update('t1', 'TASK_FINISHED')), false);
  assert.equal(bodyMatches(m, update('t2', 'TASK_RUNNING')), false);
  assert.equal(bodyMatches(parseBodyMatch({ 'tasks.1.id': 'b' }), { tasks: [{ id: 'a' }, { id: 'b' }] }), true, 'array indexes');
  assert.equal(bodyMatches(parseBodyMatch({ n: 3, ok: true, none: null }), { n: 3, ok: true, none: null }), true);
});

test('`**.` finds the path at any depth: one matcher for RunTask, StatusUpdate and KillTask', () => {
  const m = parseBodyMatch({ '**.task_id.value': 't1' });
  assert.equal(bodyMatches(m, update('t1', 'TASK_RUNNING')), true);
  assert.equal(bodyMatches(m, { name: 'RunTask', task: { task_id: { value: 't1' } } }), true);
  assert.equal(bodyMatches(m, { name: 'KillTask', task_id: { value: 't1' } }), true);
  assert.equal(bodyMatches(m, { name: 'KillTask', task_id: { value: 't2' } }), false);
});

test('the matcher reads own fields only: no prototype, no constructor, nothing inherited', () => {
  for (const path of ['__proto__.x', 'constructor', 'a.prototype', 'a..b', 'a-b', '', 'a.' + 'b'.repeat(65)]) {
    assert.throws(() => parseBodyMatch({ [path]: 1 }), /is not a field name/, path);
  }
  assert.equal(bodyMatches(parseBodyMatch({ toString: 'x' }), {}), false, 'an inherited method is not a field');
  assert.equal(bodyMatches(parseBodyMatch({ length: 2 }), [1, 2]), false, "an array's length is not a field");
});

test('match values are primitives, and a match is bounded', () => {
  assert.throws(() => parseBodyMatch({ a: { b: 1 } }), /must be a string, number, boolean or null/);
  assert.throws(() => parseBodyMatch({ a: [1] }), /must be a string, number, boolean or null/);
  assert.throws(() => parseBodyMatch({}), /names no path/);
  assert.throws(() => parseBodyMatch(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}`, 1]))), /at most 8/);
  assert.throws(() => parseBodyMatch({ [Array(13).fill('a').join('.')]: 1 }), /more than 12 segments/);
  assert.throws(() => parseBodyMatch('a=1'), /must be an object/);
});

test('the matcher never throws on any body, and `**.` terminates on deep or wide ones', () => {
  const m = parseBodyMatch({ '**.x': 1 });
  fc.assert(fc.property(fc.anything(), (body) => typeof bodyMatches(m, body) === 'boolean'), { numRuns: 300 });
  let deep: unknown = { x: 1 };
  for (let i = 0; i < 5000; i++) deep = { a: deep };
  assert.equal(bodyMatches(m, deep), false, 'deeper than the search goes');
  assert.equal(bodyMatches(m, { a: Array.from({ length: 50_000 }, () => ({})) }), false);
});

test('times drops only the first N matching messages; others and later ones pass', () => {
  const f = new Filters();
  f.drop({ side: 'send', name: 'StatusUpdate', times: 2, match: { 'update.status.state': 'TASK_RUNNING' } });
  const verdicts = [update('t', 'TASK_STARTING'), update('t', 'TASK_RUNNING'), update('t', 'TASK_RUNNING'), update('t', 'TASK_RUNNING')].map((b) => f.apply('send', env(b)));
  assert.deepEqual(verdicts, ['pass', 'drop', 'drop', 'pass']);
  assert.equal(f.active, false, 'spent filters go');
  assert.equal(f.apply('receive', env(update('t', 'TASK_RUNNING'))), 'pass');
});

test('a delaying filter answers its delay; the oldest matching filter decides', () => {
  const f = new Filters();
  const d = f.delay({ side: 'receive', name: /^Status/, times: 1 }, 1500);
  f.drop({ side: 'receive', name: 'StatusUpdate' });
  assert.equal(f.apply('receive', env(update('t', 'TASK_RUNNING'))), 1500);
  assert.equal(f.apply('receive', env(update('t', 'TASK_RUNNING'))), 'drop');
  assert.equal(f.list().some((v) => v.id === d), false);
});

test('filters are removed one at a time by id; from and to match a full pid or an actor id', () => {
  const f = new Filters();
  const a = f.drop({ side: 'send', from: 'slave(1)' });
  const b = f.drop({ side: 'send', to: 'master@1.2.3.4:5050', name: 'Ping' });
  assert.equal(f.remove(a), true);
  assert.equal(f.remove(a), false);
  assert.deepEqual(f.list().map((v) => v.id), [b]);
  assert.equal(f.apply('send', env({ name: 'StatusUpdate' })), 'pass');
  assert.equal(f.apply('send', env({ name: 'Ping' })), 'drop');
});

test('the JSON form names every field, refuses unknown ones, and validates values', () => {
  assert.deepEqual(filterFromJson({ side: 'send', name: 'RunTask', times: 1, delay_ms: 10, match: { '**.task_id.value': 't' } }), { side: 'send', name: 'RunTask', times: 1, delayMs: 10, match: { '**.task_id.value': 't' } });
  assert.ok(filterFromJson({ side: 'receive', name_regex: '^Status' }).name instanceof RegExp);
  assert.throws(() => filterFromJson({ side: 'send', nmae: 'RunTask' }), /unknown filter field 'nmae'/);
  assert.throws(() => filterFromJson({ side: 'both' }), /side must be/);
  assert.throws(() => filterFromJson({ side: 'send', name_regex: '(' }), /name_regex/);
  assert.throws(() => filterFromJson({ side: 'send', name: 'a', name_regex: 'b' }), /not both/);
  assert.throws(() => filterFromJson({ side: 'send', times: '1' }), /times must be a number/);
  const f = new Filters();
  assert.throws(() => f.drop(filterFromJson({ side: 'send', delay_ms: -1 })), /delay must be/);
  assert.throws(() => f.drop(filterFromJson({ side: 'send', times: 0 })), /positive integer/);
  assert.throws(() => f.drop(filterFromJson({ side: 'send', match: { 'a.__proto__': 1 } })), /not a field name/);
});

test('/__filters__: POST adds (400 with the reason when invalid), GET lists, DELETE ?id= removes one, DELETE clears', () => {
  const f = new Filters();
  const post = (body: unknown) => filterEndpoint(f, request('POST', '/__filters__', body));
  const one = post({ side: 'send', name: 'RunTask', times: 1 });
  const two = post({ side: 'receive', name: 'StatusUpdate', delay_ms: 200, match: { 'update.status.state': 'TASK_RUNNING' } });
  assert.equal(one.status ?? 200, 200);
  const ids = [(one.body as { id: number }).id, (two.body as { id: number }).id];
  const bad = post({ side: 'send', match: { constructor: 1 } });
  assert.equal(bad.status, 400);
  assert.match(String(bad.body), /not a field name/);
  assert.equal(filterEndpoint(f, request('POST', '/__filters__', 'not json')).status, 400);
  const listed = filterEndpoint(f, request('GET', '/__filters__')).body as { id: number; action: string; remaining: number | null }[];
  assert.deepEqual(listed.map((v) => [v.id, v.action, v.remaining]), [[ids[0], 'drop', 1], [ids[1], 'delay', null]]);
  assert.equal(filterEndpoint(f, request('DELETE', `/__filters__?id=${ids[0]}`)).status ?? 200, 200);
  assert.equal(filterEndpoint(f, request('DELETE', `/__filters__?id=${ids[0]}`)).status, 404);
  assert.equal(filterEndpoint(f, request('DELETE', '/__filters__?id=x')).status, 400);
  assert.deepEqual((filterEndpoint(f, request('GET', '/__filters__')).body as { id: number }[]).map((v) => v.id), [ids[1]]);
  filterEndpoint(f, request('DELETE', '/__filters__'));
  assert.equal(f.active, false);
  assert.equal(filterEndpoint(f, request('PUT', '/__filters__')).status, 405);
});
