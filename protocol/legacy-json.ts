// Mesos's legacy (v0) JSON shapes that both the master's and the agent's endpoints serve:
// resources as flat objects, tasks with plain-string ids and their statuses. One definition, so
// `/state` on either side describes a task the same way.

import { JsonText } from '../runtime/index.js';
import { Resources } from './resources.js';
import type { Resource, Task, TaskStatus } from './types.js';

export type Json = Record<string, unknown>;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Resources from a message, or none if they do not parse (views must never throw). */
export function safeResources(list: readonly Resource[] | undefined): Resources {
  try {
    return Resources.fromJSON(list ?? []);
  } catch {
    return Resources.EMPTY;
  }
}

/** Mesos's legacy resources object: cpus, gpus, mem and disk always; ranges as "[a-b, c-d]", sets as "{a, b}". */
export function legacyResources(r: Resources): Json {
  const out: Json = { cpus: 0, gpus: 0, mem: 0, disk: 0 };
  const ranges = new Map<string, { begin: number; end: number }[]>();
  const sets = new Map<string, string[]>();
  for (const e of r.entries()) {
    const key = e.revocable ? `${e.name}_revocable` : e.name;
    if (e.type === 'SCALAR') out[key] = round3(((out[key] as number | undefined) ?? 0) + e.value);
    else if (e.type === 'RANGES') ranges.set(key, [...(ranges.get(key) ?? []), ...e.ranges]);
    else sets.set(key, [...(sets.get(key) ?? []), ...e.items]);
  }
  for (const [k, list] of ranges) out[k] = `[${list.sort((a, b) => a.begin - b.begin).map((x) => `${x.begin}-${x.end}`).join(', ')}]`;
  for (const [k, items] of sets) out[k] = `{${items.join(', ')}}`;
  return out;
}

export function taskStatusJSON(s: TaskStatus): Json {
  // Optional fields set one by one, not spread: /state writes one of these per status of every task.
  const out: Json = { state: s.state, timestamp: s.timestamp ?? 0 };
  if (s.labels !== undefined) out['labels'] = s.labels.labels;
  if (s.container_status !== undefined) out['container_status'] = s.container_status;
  if (s.healthy !== undefined) out['healthy'] = s.healthy;
  if (s.check_status !== undefined) out['check_status'] = s.check_status;
  return out;
}

/**
 * legacyResources of a task's resource list and the role they are allocated to, read straight
 * from the list: a task's resources were validated when it was launched, and building a
 * Resources value for each of 100,000 tasks made `/state` take seconds. The four scalars every
 * view has are summed in locals; a list with anything else goes the general way.
 */
function taskResources(list: readonly Resource[] | undefined): { json: Json; role: string | undefined } {
  let cpus = 0;
  let gpus = 0;
  let mem = 0;
  let disk = 0;
  let role: string | undefined;
  for (const r of list ?? []) {
    const value = r.scalar?.value;
    if (r.type !== 'SCALAR' || r.revocable !== undefined || typeof value !== 'number' || !Number.isFinite(value) || value < 0) return slowTaskResources(list);
    if (r.name === 'cpus') cpus += value;
    else if (r.name === 'mem') mem += value;
    else if (r.name === 'disk') disk += value;
    else if (r.name === 'gpus') gpus += value;
    else return slowTaskResources(list);
    role ??= r.allocation_info?.role;
  }
  return { json: { cpus: round3(cpus), gpus: round3(gpus), mem: round3(mem), disk: round3(disk) }, role };
}

function slowTaskResources(list: readonly Resource[] | undefined): { json: Json; role: string | undefined } {
  const resources = safeResources(list);
  return { json: legacyResources(resources), role: resources.entries().find((e) => e.allocationRole !== undefined)?.allocationRole };
}

/** A task as Mesos's v0 endpoints show it; `role` is the role its resources are allocated to. */
export function taskJSON(t: Task): Json {
  const { json: resources, role } = taskResources(t.resources);
  const statuses: Json[] = new Array(t.statuses.length);
  for (let i = 0; i < statuses.length; i++) statuses[i] = taskStatusJSON(t.statuses[i]!);
  const out: Json = {
    id: t.task_id.value,
    name: t.name,
    framework_id: t.framework_id.value,
    executor_id: t.executor_id?.value ?? '',
    slave_id: t.agent_id.value,
    state: t.state,
    resources,
  };
  if (t.limits !== undefined) out['limits'] = Object.fromEntries(Object.entries(t.limits).map(([k, v]) => [k, v.value]));
  out['role'] = role ?? '*';
  out['statuses'] = statuses;
  if (t.user !== undefined) out['user'] = t.user;
  if (t.labels !== undefined) out['labels'] = t.labels.labels;
  if (t.discovery !== undefined) out['discovery'] = t.discovery;
  if (t.container !== undefined) out['container'] = t.container;
  if (t.health_check !== undefined) out['health_check'] = t.health_check;
  return out;
}

/** A task's JSON text, and what of the task it was written from: the fields a task changes after launch. */
class TaskText extends JsonText {
  constructor(
    task: Task,
    readonly state: Task['state'],
    readonly statuses: number,
    readonly last: TaskStatus | undefined,
  ) {
    super(JSON.stringify(taskJSON(task)));
  }
}

const texts = new WeakMap<Task, TaskText>();

/**
 * taskJSON as text, kept with the task while it is unchanged. A task changes after its launch
 * only in its state and its statuses (a status is appended, or replaces the last one of the same
 * state), so the text holds while those are what it was written from. `/state` polled at
 * 100,000 tasks then writes most of them by copying their text.
 */
export function taskText(t: Task): JsonText {
  const last = t.statuses[t.statuses.length - 1];
  const kept = texts.get(t);
  if (kept !== undefined && kept.state === t.state && kept.statuses === t.statuses.length && kept.last === last) return kept;
  const made = new TaskText(t, t.state, t.statuses.length, last);
  texts.set(t, made);
  return made;
}
