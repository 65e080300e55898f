// mesos-execute's --task and --task_group: a TaskInfo or TaskGroupInfo in Mesos's JSON (the v1
// shapes: snake_case, `{value}` ids, `data` in base64), checked against the protocol's schema so
// that a mistake is a one-line error naming the field before anything is contacted.

import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValidationError } from '../runtime/index.js';
import { bytesFromBase64, checkIdValue, TaskGroupInfoSchema, TaskInfoSchema, type TaskGroupInfo, type TaskInfo } from '../protocol/index.js';

const taskCheck = TypeCompiler.Compile(TaskInfoSchema);
const groupCheck = TypeCompiler.Compile(TaskGroupInfoSchema);

/** Brings a task from JSON: `agent_id` may be left out (the offer's is used), `data` is base64. */
function prepareTask(value: unknown, where: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(`${where} is not a JSON object`);
  const t: Record<string, unknown> = { agent_id: { value: '' }, ...(value as Record<string, unknown>) };
  if (typeof t['data'] === 'string') t['data'] = bytesFromBase64(t['data']);
  return t;
}

function firstError(check: { Errors(v: unknown): Iterable<{ path: string; message: string }> }, value: unknown): string {
  for (const e of check.Errors(value)) return `${e.path || '/'}: ${e.message}`;
  return 'invalid';
}

function checkTaskId(t: TaskInfo, where: string): TaskInfo {
  const p = checkIdValue(t.task_id.value);
  if (p !== undefined) throw new ValidationError(`${where}: task ID '${t.task_id.value}' is invalid: ${p}`);
  return t;
}

export function parseTaskJson(value: unknown): TaskInfo {
  const t = prepareTask(value, 'the task');
  if (!taskCheck.Check(t)) throw new ValidationError(`not a TaskInfo: ${firstError(taskCheck, t)}`);
  return checkTaskId(t, 'the task');
}

export function parseTaskGroupJson(value: unknown): TaskGroupInfo {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { tasks?: unknown }).tasks)) {
    throw new ValidationError("not a TaskGroupInfo: it needs 'tasks', an array of TaskInfo");
  }
  const tasks = (value as { tasks: unknown[] }).tasks;
  if (tasks.length === 0) throw new ValidationError('the task group has no tasks');
  const group = { tasks: tasks.map((t, i) => prepareTask(t, `task ${i}`)) };
  if (!groupCheck.Check(group)) throw new ValidationError(`not a TaskGroupInfo: ${firstError(groupCheck, group)}`);
  const ids = new Set<string>();
  for (const t of group.tasks) {
    checkTaskId(t, 'the task group');
    if (ids.has(t.task_id.value)) throw new ValidationError(`the task group has task ID '${t.task_id.value}' twice`);
    ids.add(t.task_id.value);
  }
  return group;
}
