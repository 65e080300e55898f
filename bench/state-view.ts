// /state's cost alone, in one process: a master's state with N agents, F frameworks and T
// running tasks (each with its TASK_RUNNING status, as the master keeps them) and C completed
// tasks per framework (TASK_RUNNING, TASK_FINISHED), then the view built and serialized as the
// master answers /state. Each round answers twice: first after every task has changed (the
// baseline: each task's text written anew, as when nothing is kept), then again with nothing
// changed (each task's text kept from the first answer, as a polled /state mostly finds it).
// Reports medians of R rounds (wall time, which here is CPU time: nothing else runs;
// `npm run bench:state` collects before each answer).
//
// Env: BENCH_STATE_AGENTS (10000), BENCH_STATE_FRAMEWORKS (100), BENCH_STATE_TASKS (100000),
// BENCH_STATE_COMPLETED (1000, Mesos's max_completed_tasks_per_framework), BENCH_STATE_RUNS (7),
// BENCH_STATE_BALLAST_MB (0: megabytes of other live objects in the heap, as a master that has
// run for a while holds; the collections an answer sets off cost more the more is live).

import { loadavg } from 'node:os';
import { AgentRecord, FrameworkRecord, MasterState, TaskEntry } from '../master/state.js';
import { stateJSON } from '../master/views.js';
import { jsonNow } from '../runtime/index.js';
import { Resources, type Task } from '../protocol/index.js';
import { median } from './stats.js';

const env = process.env;
const AGENTS = Number(env['BENCH_STATE_AGENTS'] ?? 10_000);
const FRAMEWORKS = Number(env['BENCH_STATE_FRAMEWORKS'] ?? 100);
const TASKS = Number(env['BENCH_STATE_TASKS'] ?? 100_000);
const COMPLETED = Number(env['BENCH_STATE_COMPLETED'] ?? 1000);
const RUNS = Number(env['BENCH_STATE_RUNS'] ?? 7);
const BALLAST_MB = Number(env['BENCH_STATE_BALLAST_MB'] ?? 0);

// About 4,800 objects of four small parts each make a megabyte of heap (measured: heap_mb).
const ballast: unknown[] = [];
for (let i = 0; i < BALLAST_MB * 4800; i++) ballast.push({ a: i, b: `s${i}`, c: [i, i + 1], d: { e: i } });
(globalThis as { benchBallast?: unknown }).benchBallast = ballast; // kept live to the end

const state = new MasterState(50);
const now = Date.now();
const total = Resources.parse('cpus:16;mem:65536;disk:100000;ports:[31000-32000]');
const agents: AgentRecord[] = [];
for (let i = 0; i < AGENTS; i++) {
  const id = `bench-S${i}`;
  const a = new AgentRecord(id, { hostname: `host-${i}`, port: 5051, resources: total.toJSON(), attributes: [], id: { value: id } }, `slave(1)@10.0.${i >> 8}.${i & 255}:5051` as never, '1.11.0', [{ type: 'MULTI_ROLE' }], total, now);
  state.addAgent(a);
  agents.push(a);
}
const frameworks: FrameworkRecord[] = [];
for (let f = 0; f < FRAMEWORKS; f++) {
  const fw = new FrameworkRecord(`bench-${String(f).padStart(4, '0')}`, { user: 'bench', name: `fw-${f}`, failover_timeout: 3600, capabilities: [{ type: 'MULTI_ROLE' }], roles: ['*'] }, undefined, now, Math.max(1, COMPLETED));
  state.addFramework(fw);
  frameworks.push(fw);
}
const perTask = Resources.parse('cpus:0.1;mem:32').allocate('*');
for (let t = 0; t < TASKS; t++) {
  const fw = frameworks[t % FRAMEWORKS]!;
  const agent = agents[t % AGENTS]!;
  const uuid = new Uint8Array(16).fill(t & 255);
  const task: Task = {
    name: `hold-${fw.info.name}-${t}`,
    task_id: { value: `hold-${fw.info.name}-${t}` },
    framework_id: { value: fw.id },
    agent_id: { value: agent.id },
    state: 'TASK_RUNNING',
    resources: perTask.toJSON(),
    statuses: [{ task_id: { value: `hold-${fw.info.name}-${t}` }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', agent_id: { value: agent.id }, timestamp: now / 1000, uuid }],
    status_update_state: 'TASK_RUNNING',
    status_update_uuid: uuid,
  };
  state.addTask(new TaskEntry(task, perTask));
}
// Each framework's completed tasks, as many as --max_completed_tasks_per_framework keeps after churn.
for (const fw of frameworks) {
  for (let c = 0; c < COMPLETED; c++) {
    const id = `t-${fw.info.name}-${c}`;
    const agentId = { value: agents[c % AGENTS]!.id };
    const status = (state: 'TASK_RUNNING' | 'TASK_FINISHED') => ({ task_id: { value: id }, state, source: 'SOURCE_EXECUTOR' as const, agent_id: agentId, timestamp: now / 1000, uuid: new Uint8Array(16) });
    fw.completedTasks.push({ name: id, task_id: { value: id }, framework_id: { value: fw.id }, agent_id: agentId, state: 'TASK_FINISHED', resources: perTask.toJSON(), statuses: [status('TASK_RUNNING'), status('TASK_FINISHED')] });
  }
}
const me = { id: 'bench', pid: 'master@127.0.0.1:5050', hostname: 'localhost', port: 5050, startTimeMs: now, flags: {} };

/** Every task changed since the last answer, as after a burst of status updates: its last status replaced by a copy. */
function touchEveryTask(): void {
  const touch = (t: Task): void => {
    const n = t.statuses.length;
    if (n > 0) t.statuses[n - 1] = { ...t.statuses[n - 1]! };
  };
  for (const t of state.tasks()) touch(t.task);
  for (const fw of frameworks) for (const t of fw.completedTasks.toArray()) touch(t);
}

const gc = (globalThis as { gc?: () => void }).gc;
/** One answer, read to its end as the transport writes it (its UTF-8 length measured as the socket would encode it). */
async function answer(): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  gc?.();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const res = jsonNow({ status: 200, body: stateJSON(state, me) });
  let bytes = 0;
  if (res.stream !== undefined) for await (const chunk of res.stream) bytes += Buffer.byteLength(chunk as string);
  else bytes = (res.body as Uint8Array).byteLength;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes };
}

const cold: Awaited<ReturnType<typeof answer>>[] = [];
const warm: Awaited<ReturnType<typeof answer>>[] = [];
// Alternating, so that both see the same machine.
for (let r = 0; r < RUNS; r++) {
  touchEveryTask();
  cold.push(await answer());
  warm.push(await answer());
}
const coldMs = median(cold.map((a) => a.ms));
const warmMs = median(warm.map((a) => a.ms));
const bytes = warm[warm.length - 1]!.bytes;
const list = (xs: { ms: number }[]): string => xs.map((a) => a.ms.toFixed(0)).join(', ');
process.stderr.write(`/state of ${AGENTS} agents, ${FRAMEWORKS} frameworks, ${TASKS} running and ${COMPLETED * FRAMEWORKS} completed tasks, ${(bytes / 1e6).toFixed(1)} MB, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB: every task changed since the last answer ${list(cold)} ms; none changed ${list(warm)} ms; load ${loadavg()[0]!.toFixed(2)}${gc ? '' : ' (run with node --expose-gc for a collection before each answer)'}\n`);
console.log(JSON.stringify({ ballast_mb: BALLAST_MB, heap_mb: Math.round(process.memoryUsage().heapUsed / 1e6), agents: AGENTS, frameworks: FRAMEWORKS, tasks: TASKS, completed_tasks: COMPLETED * FRAMEWORKS, state_ms: Math.round(warmMs), state_cpu_ms: Math.round(median(warm.map((a) => a.cpuMs))), changed_ms: Math.round(coldMs), changed_cpu_ms: Math.round(median(cold.map((a) => a.cpuMs))), ratio: +(warmMs / coldMs).toFixed(2), state_bytes: bytes, load: +loadavg()[0]!.toFixed(2) }));
