// /state's cost alone, in one process: a master's state with N agents, F frameworks and T
// running tasks (each with its TASK_RUNNING status, as the master keeps them) and C completed
// tasks per framework (TASK_RUNNING, TASK_FINISHED), then the view
// built and serialized as the master answers /state. Reports the median of R answers (wall
// time, which here is CPU time: nothing else runs) and the heap's growth.
//
// Env: BENCH_STATE_AGENTS (10000), BENCH_STATE_FRAMEWORKS (100), BENCH_STATE_TASKS (100000),
// BENCH_STATE_COMPLETED (1000, Mesos's max_completed_tasks_per_framework), BENCH_STATE_RUNS (7).

import { loadavg } from 'node:os';
import { AgentRecord, FrameworkRecord, MasterState, TaskEntry } from '../master/state.js';
import { stateJSON } from '../master/views.js';
import { jsonNow } from '../runtime/index.js';
import { Resources, type Task } from '../protocol/index.js';

const env = process.env;
const AGENTS = Number(env['BENCH_STATE_AGENTS'] ?? 10_000);
const FRAMEWORKS = Number(env['BENCH_STATE_FRAMEWORKS'] ?? 100);
const TASKS = Number(env['BENCH_STATE_TASKS'] ?? 100_000);
const COMPLETED = Number(env['BENCH_STATE_COMPLETED'] ?? 1000);
const RUNS = Number(env['BENCH_STATE_RUNS'] ?? 7);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

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
  const fw = new FrameworkRecord(`bench-${String(f).padStart(4, '0')}`, { user: 'bench', name: `fw-${f}`, failover_timeout: 3600, capabilities: [{ type: 'MULTI_ROLE' }], roles: ['*'] }, undefined, now, 1000);
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
const times: number[] = [];
let bytes = 0;
const heap0 = process.memoryUsage().heapUsed;
for (let r = 0; r < RUNS; r++) {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const res = jsonNow({ status: 200, body: stateJSON(state, me) });
  times.push(performance.now() - t0);
  bytes = (res.body as Uint8Array).byteLength;
}
if (env["BENCH_STATE_PEEK"]) { const j = JSON.parse(Buffer.from(jsonNow({ status: 200, body: stateJSON(state, me) }).body as Uint8Array).toString()); console.log(JSON.stringify(j.frameworks[0].tasks[0]), JSON.stringify(j.slaves[0]).length, JSON.stringify(j.slaves[0])); }
const ms = median(times);
process.stderr.write(`/state of ${AGENTS} agents, ${FRAMEWORKS} frameworks, ${TASKS} tasks: ${times.map((t) => t.toFixed(0)).join(', ')} ms, ${(bytes / 1e6).toFixed(1)} MB; load ${loadavg()[0]!.toFixed(2)}\n`);
console.log(JSON.stringify({ agents: AGENTS, frameworks: FRAMEWORKS, tasks: TASKS, state_ms: Math.round(ms), state_bytes: bytes, heap_mb: Math.round((process.memoryUsage().heapUsed - heap0) / 1e6), load: loadavg()[0] }));
