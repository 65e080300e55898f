#!/usr/bin/env node
// The main job (`npm start`): a local cluster of a master and two agents, each its own process,
// tracing on everywhere; the example command framework runs tasks on it; then the merged trace
// shows one task's journey through the cluster, in the terminal and as an HTML page.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createLogger } from '../runtime/index.js';
import { runCommandFramework, type CommandFrameworkSummary } from '../examples/command-framework.js';
import { startLocalCluster, LocalClusterError, type LocalCluster } from './local-cluster.js';
import { startFrameworkRuntime, type FrameworkRuntime } from './framework-runtime.js';
import { commandHint } from './common.js';
import { mergeTrace, readTraceFiles, renderHtml, renderText, type TraceHistory, type TraceMessage } from './trace/index.js';

/** `npm start -- --keep`: leave the cluster up at the end, so its web UI can be looked around. */
const KEEP = process.argv.slice(2).includes('--keep');
const TASKS = 6;
const TASK_RESOURCES = 'cpus:0.5;mem:64';
const AGENT_RESOURCES = 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]';
const COMMAND = 'echo "hello from $MESOS_TASK_ID"; sleep 1';

const started = Date.now();
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const elapsed = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(8);
const show = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
};

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
const runDir = resolve('.mesos-local', `main-job-${stamp}`);
const traceDir = join(runDir, 'traces');
mkdirSync(traceDir, { recursive: true });

let cluster: LocalCluster | undefined;
let framework: FrameworkRuntime | undefined;
let interrupted = false;
const cleanUp = async (): Promise<void> => {
  await framework?.stop().catch(() => undefined);
  await cluster?.stop();
};
const onSignal = (): void => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say('\nInterrupted: stopping the cluster…');
  abort.abort();
  void cleanUp().finally(() => process.exit(130));
};
const abort = new AbortController();
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

say(`mesos-ts main job: a master and 2 agents (separate processes), ${TASKS} tasks of the example command framework, and the trace of one task.`);
say(`Everything it writes goes to ${show(runDir)}/`);
say();

try {
  cluster = await startLocalCluster({
    numAgents: 2,
    workDir: join(runDir, 'cluster'),
    traceDir,
    resources: AGENT_RESOURCES,
    loggingLevel: 'INFO',
    signal: abort.signal,
  });
} catch (err) {
  if (err instanceof LocalClusterError) {
    if (interrupted) await new Promise(() => undefined);
    process.stderr.write(`error: ${err.message}\n${err.logTail}\n`);
    process.exit(1);
  }
  throw err;
}

say(`${elapsed()}  cluster up: master http://${cluster.master}, agents ${cluster.processes.slice(1).map((p, i) => `${p.name} (${cluster!.agentIds[i]}, OS pid ${p.osPid})`).join(', ')}`);
say(`${elapsed()}  running the example command framework: ${TASKS} × '${COMMAND}' with ${TASK_RESOURCES} each`);

const frameworkTrace = join(traceDir, 'framework.trace.jsonl');
let summary: CommandFrameworkSummary;
let state: MasterState | undefined;
let metrics: Record<string, number> | undefined;
try {
  const credential = cluster.credentials?.framework;
  framework = await startFrameworkRuntime({ trace: frameworkTrace, logger: createLogger({ level: 'warn', name: 'command-framework' }), ...(credential !== undefined ? { credential } : {}) });
  const run = runCommandFramework({
    master: cluster.master,
    tasks: TASKS,
    command: COMMAND,
    resources: TASK_RESOURCES,
    name: 'main-job command-framework',
    print: (line) => say(`${elapsed()}  ${line}`),
    // The borrowed runtime proves the credential; the driver names its principal.
    driver: { runtime: framework.runtime, ...(credential !== undefined ? { principal: credential.principal, secret: credential.secret } : {}) },
  });
  // A cluster process that dies ends the job instead of leaving it waiting for updates.
  summary = await Promise.race([run, cluster.failed.then((why) => Promise.reject(new LocalClusterError(why)))]);
  [state, metrics] = await Promise.all([getJson<MasterState>(`http://${cluster.master}/state`), getJson<Record<string, number>>(`http://${cluster.master}/metrics/snapshot`)]).catch(() => [undefined, undefined]);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  await cleanUp();
  process.exit(1);
}

say();
say(`Summary: ${summary.finished}/${summary.total} tasks finished, ${summary.failed} failed, ${summary.other} ended otherwise, in ${(summary.elapsedMs / 1000).toFixed(2)}s${summary.error ? ` (error: ${summary.error})` : ''}`);
const perAgent = tasksPerAgent(state, summary.frameworkId);
cluster.processes.slice(1).forEach((p, i) => {
  const id = cluster!.agentIds[i]!;
  say(`  ${p.name} (${id}): ${(perAgent.get(id) ?? []).join(', ') || 'no tasks'}`);
});
if (metrics !== undefined) {
  const m = (k: string): number => metrics![k] ?? 0;
  say(`  master metrics: tasks_finished=${m('master/tasks_finished')} tasks_failed=${m('master/tasks_failed')} slaves_active=${m('master/slaves_active')}`);
}

say();
if (KEEP) {
  await framework?.stop().catch(() => undefined);
  framework = undefined;
} else {
  say(`${elapsed()}  stopping the cluster…`);
  await cleanUp();
  say(`${elapsed()}  stopped; no process of the cluster is left.`);
}

// One task's journey, from the offer that carried it to its last acknowledgement.
const files = [...cluster.traceFiles];
const parsed = await readTraceFiles(files);
const history = mergeTrace(parsed.events);
const taskId = pickTask(summary);
const flow = taskFlow(history, taskId);
const columns = Math.max(80, Math.min(process.stdout.columns ?? 120, 160));
say();
say(`The flow of ${taskId}: ${flow.messages.length} of the ${history.messages.length} messages the ${files.length} trace files hold`);
say();
process.stdout.write(renderText(flow, { width: columns }));

const taskPage = join(traceDir, `${taskId}.html`);
const clusterPage = join(traceDir, 'cluster.html');
writeFileSync(taskPage, renderHtml(flow, { title: `mesos-ts main job: the flow of ${taskId}` }));
writeFileSync(clusterPage, renderHtml(history, { title: 'mesos-ts main job: every message' }));
say();
say(`HTML:   ${show(taskPage)}  (this task)   ${show(clusterPage)}  (everything)`);
say(`Traces: ${show(traceDir)}/*.trace.jsonl (${files.length} files: the master, each agent, their executors, the framework)`);
say(`Logs:   ${show(cluster.workDir)}/<process>.log; task sandboxes under ${show(cluster.workDir)}/agent-N/`);
say(`Again, any way you like: ${commandHint('mesos-trace')} --task=${taskId} ${show(traceDir)}/*.trace.jsonl`);
say(`Web UI: http://${cluster.master}/  (the message flow live at http://${cluster.master}/#/flow)`);
if (!KEEP) {
  say('Run `npm start -- --keep` to keep the cluster up and look around in the web UI.');
  process.exit(summary.finished === summary.total && summary.error === undefined ? 0 : 1);
}
say(`--keep: the cluster stays up; try ${commandHint('mesos')} --master=${cluster.master} task list --all. Ctrl-C stops it.`);

// ---------------------------------------------------------------------------------------------

interface MasterState {
  frameworks?: FrameworkState[];
  completed_frameworks?: FrameworkState[];
}
interface FrameworkState {
  id: string;
  tasks?: { id: string; slave_id: string }[];
  completed_tasks?: { id: string; slave_id: string }[];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new LocalClusterError(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function tasksPerAgent(s: MasterState | undefined, frameworkId: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of [...(s?.frameworks ?? []), ...(s?.completed_frameworks ?? [])]) {
    if (frameworkId !== undefined && f.id !== frameworkId) continue;
    for (const t of [...(f.tasks ?? []), ...(f.completed_tasks ?? [])]) {
      const list = out.get(t.slave_id) ?? [];
      if (!list.includes(t.id)) list.push(t.id);
      out.set(t.slave_id, list.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
    }
  }
  return out;
}

/** The first task that finished, else the first task there is. */
function pickTask(s: CommandFrameworkSummary): string {
  const ids = Object.keys(s.states).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return ids.find((id) => s.states[id] === 'TASK_FINISHED') ?? ids[0] ?? 'task-0';
}

/**
 * The messages about one task (those that carry its id), plus the chain of causes that led to
 * the first of them — the registration and offer that made its launch possible.
 */
function taskFlow(h: TraceHistory, taskId: string): TraceHistory {
  const byId = new Map(h.messages.map((m) => [m.id, m]));
  const keep = new Set<string>();
  let first: TraceMessage | undefined;
  for (const m of h.messages) {
    if (m.task_id !== taskId) continue;
    keep.add(m.id);
    first ??= m;
  }
  let cause = first?.cause === null || first === undefined ? undefined : byId.get(first.cause);
  while (cause !== undefined && !keep.has(cause.id)) {
    keep.add(cause.id);
    cause = cause.cause === null ? undefined : byId.get(cause.cause);
  }
  return { ...h, messages: h.messages.filter((m) => keep.has(m.id)) };
}
