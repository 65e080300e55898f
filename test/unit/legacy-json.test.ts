// /state's text writer: taskJSONText and jsonText must give exactly what JSON.stringify gives
// for the object views, and a task's kept text must follow the task's changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonBytes, jsonText, RawJson, taskJSON, taskJSONText, type Task } from '../../protocol/index.js';

const base: Task = {
  name: 'web "1"',
  task_id: { value: 't-1\u2028' },
  framework_id: { value: 'fw-1' },
  agent_id: { value: 'a-1' },
  state: 'TASK_RUNNING',
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: 'web' } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.2 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
  ],
  statuses: [
    { task_id: { value: 't-1' }, state: 'TASK_STARTING', timestamp: 1700000000.123 },
    { task_id: { value: 't-1' }, state: 'TASK_RUNNING', timestamp: 1700000001.5 },
  ],
};

const variants: [string, Task][] = [
  ['common', base],
  ['with a user and an executor', { ...base, user: 'alice', executor_id: { value: 'e' } }],
  ['no resources, no statuses', { ...base, resources: [], statuses: [] }],
  ['a non-finite timestamp', { ...base, statuses: [{ task_id: { value: 't-1' }, state: 'TASK_RUNNING', timestamp: Number.NaN }] }],
  ['ports and disk', { ...base, resources: [...base.resources, { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } }, { name: 'disk', type: 'SCALAR', scalar: { value: 10 } }] }],
  ['revocable cpus', { ...base, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, revocable: {} }] }],
  ['a custom scalar', { ...base, resources: [{ name: 'gpus', type: 'SCALAR', scalar: { value: 1 } }, { name: 'fpgas', type: 'SCALAR', scalar: { value: 2 } }] }],
  ['labels and a health check', { ...base, labels: { labels: [{ key: 'k', value: 'v' }] }, health_check: { type: 'COMMAND', command: { value: 'true' } } }],
  ['a healthy status', { ...base, statuses: [{ task_id: { value: 't-1' }, state: 'TASK_RUNNING', timestamp: 1, healthy: true }] }],
];

for (const [what, task] of variants) {
  test(`taskJSONText is JSON.stringify(taskJSON): ${what}`, () => {
    assert.equal(taskJSONText(task), JSON.stringify(taskJSON(task)));
  });
}

test('taskJSONText writes a task again once its state or statuses change', () => {
  const task: Task = structuredClone(base);
  const before = taskJSONText(task);
  assert.equal(taskJSONText(task), before);
  task.statuses.push({ task_id: task.task_id, state: 'TASK_FINISHED', timestamp: 2 });
  assert.equal(taskJSONText(task), JSON.stringify(taskJSON(task)), 'a status pushed');
  task.state = 'TASK_FINISHED';
  assert.equal(taskJSONText(task), JSON.stringify(taskJSON(task)), 'the state changed');
  task.statuses[task.statuses.length - 1] = { task_id: task.task_id, state: 'TASK_FINISHED', timestamp: 3, healthy: false };
  assert.equal(taskJSONText(task), JSON.stringify(taskJSON(task)), 'the last status replaced');
});

test('jsonText splices RawJson and otherwise matches JSON.stringify', () => {
  const view = { a: 1, b: undefined, c: [1, undefined, 'x', { d: null }], e: { f: true, g: () => 1 }, h: 'é"\n', i: Number.POSITIVE_INFINITY, j: new Date(0) };
  assert.equal(jsonText(view), JSON.stringify(view));
  const withRaw = { tasks: [new RawJson(taskJSONText(base))], n: 2 };
  assert.deepEqual(JSON.parse(jsonText(withRaw)), { tasks: [taskJSON(base)], n: 2 });
  assert.equal(jsonBytes(view).toString('utf8'), JSON.stringify(view));
  const many = { tasks: Array.from({ length: 3000 }, (_, i) => new RawJson(taskJSONText({ ...base, task_id: { value: `t-${i}` } }))) };
  assert.equal(jsonBytes(many).toString('utf8'), JSON.stringify({ tasks: many.tasks.map((r) => JSON.parse(r.text)) }), 'spans many chunks');
});
