// Task throughput: a master and two agents as real processes on this machine, and one framework
// that launches (a) command tasks running `true` and (b) tasks on a custom TypeScript executor
// that finishes each one at once. Reports tasks/s from the first launch to the last
// TASK_FINISHED and the launch→TASK_RUNNING latency. Then, on an idle cluster started from
// dist/ as a user's would be, BENCH_IDLE_ROUNDS (default 7) new frameworks each launch one
// command task (its framework's first: the agent starts an executor host for it) and then a
// second on the now warm host; the medians of both launch→TASK_RUNNING latencies are
// idle_first_task_ms and idle_warm_task_ms. (a) and (b) run three times on the same cluster: the
// framework on the actor driver (the baseline), then on HttpSchedulerDriver through
// /api/v1/scheduler in JSON and in protobuf; http_*_ratio is each HTTP run's throughput over
// the actor driver's. The last line is one JSON object.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { HttpSchedulerDriver, MesosSchedulerDriver, type Scheduler } from '../scheduler-driver/index.js';
import { nodeCommand } from '../executor/index.js';
import { Resources, type ExecutorInfo, type Offer, type TaskInfo } from '../protocol/index.js';
import { cgroupsRows } from './tasks-cgroups.js';
import { median } from './stats.js';

const COMMAND_TASKS = Number(process.env['BENCH_COMMAND_TASKS'] ?? 2000);
const EXECUTOR_TASKS = Number(process.env['BENCH_EXECUTOR_TASKS'] ?? 20000);
const IDLE_ROUNDS = Number(process.env['BENCH_IDLE_ROUNDS'] ?? 7);
const AGENT_RESOURCES = 'cpus:1000;mem:1000000;disk:100000;ports:[31000-32000]';

async function startNode(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'cluster-node.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`cluster node ${args[0]} exited with ${code}`)));
  });
  return { child, address: (JSON.parse(line) as { address: string }).address };
}

/** How the framework reaches the master: the actor driver, or the v1 HTTP API in JSON or protobuf. */
type Transport = 'actor' | 'http-json' | 'http-protobuf';
const TRANSPORTS: readonly Transport[] = ['actor', 'http-json', 'http-protobuf'];

interface Run {
  tasksPerS: number;
  launchToRunning: number[];
  failed: number;
}

/** Launches `total` tasks as fast as offers allow and waits for every TASK_FINISHED. */
async function run(master: string, total: number, makeTask: (i: number, offer: Offer) => TaskInfo, perTask: Resources, transport: Transport = 'actor'): Promise<Run> {
  const launchedAt = new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  let finished = 0;
  let failed = 0;
  let first = 0;
  let last = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));
  const scheduler: Scheduler = {
    registered() {},
    reregistered() {},
    disconnected() {},
    resourceOffers(driver, offers) {
      for (const offer of offers) {
        let available = Resources.fromJSON(offer.resources);
        const tasks: TaskInfo[] = [];
        while (next < total && available.contains(perTask)) {
          tasks.push(makeTask(next++, offer));
          available = available.subtract(perTask);
        }
        const now = performance.now();
        if (!first && tasks.length) first = now;
        for (const t of tasks) launchedAt.set(t.task_id.value, now);
        driver.launchTasks([offer.id], tasks, { refuse_seconds: tasks.length ? 0 : 3600 });
      }
    },
    offerRescinded() {},
    statusUpdate(_driver, status) {
      const id = status.task_id.value;
      if (status.state === 'TASK_RUNNING') latencies.push(performance.now() - launchedAt.get(id)!);
      else if (status.state === 'TASK_FINISHED' || status.state === 'TASK_FAILED' || status.state === 'TASK_LOST' || status.state === 'TASK_ERROR' || status.state === 'TASK_DROPPED') {
        if (status.state !== 'TASK_FINISHED') {
          failed++;
          if (failed <= 3) console.error(`task ${id}: ${status.state} ${status.message ?? ''} ${status.reason ?? ''}`);
        }
        if (++finished === total) {
          last = performance.now();
          resolveDone();
        }
      }
    },
    frameworkMessage() {},
    agentLost() {},
    executorLost() {},
    error(_driver, message) {
      console.error(`framework error: ${message}`);
    },
  };
  const info = { user: '', name: `bench-tasks-${transport}` };
  const driver = transport === 'actor' ? new MesosSchedulerDriver(scheduler, info, master) : new HttpSchedulerDriver(scheduler, info, master, { contentType: transport === 'http-json' ? 'json' : 'protobuf' });
  await driver.start();
  await done;
  await driver.stop();
  return { tasksPerS: total / ((last - first) / 1000), launchToRunning: latencies, failed };
}

/** A daemon from dist/ (mesos-master, mesos-agent); its address comes over IPC once it listens. */
async function startDaemon(command: string, args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const file = join(import.meta.dirname, '..', 'dist', 'cli', `${command}.js`);
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const address = await new Promise<string>((resolve, reject) => {
    child.on('message', (m: { event?: string; address?: string }) => {
      if (m.event === 'started' && m.address) resolve(m.address);
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
  return { child, address };
}

/**
 * One framework at a time on an idle cluster: its first task (which starts the framework's
 * executor host), then a second one on the warm host; launch→TASK_RUNNING of each, in ms.
 */
async function idleLaunches(master: string, rounds: number): Promise<{ first: number[]; warm: number[] }> {
  const first: number[] = [];
  const warm: number[] = [];
  const perTask = Resources.parse('cpus:0.1;mem:16');
  for (let round = 0; round < rounds; round++) {
    let launchedAt = 0;
    let phase: 'first' | 'warm' | 'done' = 'first';
    let waiting = false;
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => (resolveDone = r));
    const scheduler: Scheduler = {
      registered() {},
      reregistered() {},
      disconnected() {},
      resourceOffers(driver, offers) {
        for (const offer of offers) {
          if (waiting || phase === 'done') {
            driver.declineOffer(offer.id, { refuse_seconds: 0 });
            continue;
          }
          waiting = true;
          const task: TaskInfo = { name: `idle-${round}-${phase}`, task_id: { value: `idle-${round}-${phase}` }, agent_id: offer.agent_id, resources: perTask.toJSON(), command: { value: 'true', shell: true } };
          launchedAt = performance.now();
          driver.launchTasks([offer.id], [task], { refuse_seconds: 0 });
        }
      },
      offerRescinded() {},
      statusUpdate(driver, status) {
        if (status.state === 'TASK_RUNNING') (phase === 'first' ? first : warm).push(performance.now() - launchedAt);
        if (status.state === 'TASK_FINISHED' || status.state === 'TASK_FAILED' || status.state === 'TASK_LOST' || status.state === 'TASK_ERROR') {
          if (status.state !== 'TASK_FINISHED') console.error(`idle task ${status.task_id.value}: ${status.state} ${status.message ?? ''}`);
          phase = phase === 'first' ? 'warm' : 'done';
          waiting = false;
          if (phase === 'done') resolveDone();
          else driver.reviveOffers();
        }
      },
      frameworkMessage() {},
      agentLost() {},
      executorLost() {},
      error(_driver, message) {
        console.error(`framework error: ${message}`);
      },
    };
    const driver = new MesosSchedulerDriver(scheduler, { user: '', name: `bench-idle-${round}` }, master);
    await driver.start();
    await done;
    await driver.stop();
  }
  return { first, warm };
}


const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

/** A master and one agent from dist/, idle but for one framework at a time. */
async function idleCluster(): Promise<{ first: number[]; warm: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-bench-idle-'));
  const m = await startDaemon('mesos-master', ['--ip=127.0.0.1', '--port=0', '--quiet']);
  const a = await startDaemon('mesos-agent', [`--master=${m.address}`, '--ip=127.0.0.1', '--port=0', `--work_dir=${dir}`, '--resources=cpus:4;mem:4096', '--destroy_executors_on_stop', '--quiet']);
  try {
    await new Promise((r) => setTimeout(r, 1500)); // the agent registers
    return await idleLaunches(m.address, IDLE_ROUNDS);
  } finally {
    for (const n of [a, m]) n.child.kill('SIGTERM');
    await Promise.all([a, m].map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'mesos-bench-tasks-'));
const master = await startNode(['master']);
const agents = await Promise.all([1, 2].map((i) => startNode(['agent', master.address, AGENT_RESOURCES, join(workDir, `agent${i}`)])));
try {
  const load = loadavg()[0]!;
  const perCommandTask = Resources.parse('cpus:0.01;mem:1');
  const perExecutorTask = Resources.parse('cpus:0.001;mem:0.1');
  const executors = new Map<string, ExecutorInfo>();
  const commandRuns = new Map<Transport, Run>();
  const executorRuns = new Map<Transport, Run>();
  // Each transport in turn on the same cluster, so the actor driver is the baseline of the same run.
  for (const t of TRANSPORTS) {
    commandRuns.set(t, await run(
      master.address,
      COMMAND_TASKS,
      (i, offer) => ({ name: `true-${i}`, task_id: { value: `cmd-${t}-${i}` }, agent_id: offer.agent_id, resources: perCommandTask.toJSON(), command: { value: 'true', shell: true } }),
      perCommandTask,
      t,
    ));
    executorRuns.set(t, await run(
      master.address,
      EXECUTOR_TASKS,
      (i, offer) => {
        const key = `${t}/${offer.agent_id.value}`;
        let executor = executors.get(key);
        if (!executor) {
          executor = { executor_id: { value: `bench-executor-${t}-${offer.agent_id.value}` }, name: 'bench executor', command: nodeCommand(join(import.meta.dirname, 'tasks-executor.ts')), resources: Resources.parse('cpus:0.1;mem:32').toJSON() };
          executors.set(key, executor);
        }
        return { name: `task-${i}`, task_id: { value: `exe-${t}-${i}` }, agent_id: offer.agent_id, resources: perExecutorTask.toJSON(), executor };
      },
      perExecutorTask,
      t,
    ));
  }
  const command = commandRuns.get('actor')!;
  const custom = executorRuns.get('actor')!;
  const idle = await idleCluster();
  const isolation = await cgroupsRows(startNode, run, workDir);
  const rate = (r: Run | undefined): number => Math.round(r?.tasksPerS ?? NaN);
  const ratio = (a: Run | undefined, b: Run): number => +((a?.tasksPerS ?? NaN) / b.tasksPerS).toFixed(2);
  const result = {
    command_tasks_per_s: Math.round(command.tasksPerS),
    executor_tasks_per_s: Math.round(custom.tasksPerS),
    launch_to_running_p50_ms: +pct(command.launchToRunning, 0.5).toFixed(1),
    launch_to_running_p99_ms: +pct(command.launchToRunning, 0.99).toFixed(1),
    idle_first_task_ms: +median(idle.first).toFixed(1),
    idle_warm_task_ms: +median(idle.warm).toFixed(1),
    http_json_command_tasks_per_s: rate(commandRuns.get('http-json')),
    http_protobuf_command_tasks_per_s: rate(commandRuns.get('http-protobuf')),
    http_json_executor_tasks_per_s: rate(executorRuns.get('http-json')),
    http_protobuf_executor_tasks_per_s: rate(executorRuns.get('http-protobuf')),
    http_json_executor_ratio: ratio(executorRuns.get('http-json'), custom),
    http_protobuf_executor_ratio: ratio(executorRuns.get('http-protobuf'), custom),
    http_json_command_ratio: ratio(commandRuns.get('http-json'), command),
    http_protobuf_command_ratio: ratio(commandRuns.get('http-protobuf'), command),
    load_1min: +load.toFixed(2),
    ...(isolation ?? {}),
  };
  console.log(`(c) idle cluster from dist/, ${IDLE_ROUNDS} new frameworks: first task launch→RUNNING ${idle.first.map((x) => x.toFixed(0)).join(', ')} ms (median ${result.idle_first_task_ms}), on the warm host ${idle.warm.map((x) => x.toFixed(0)).join(', ')} ms (median ${result.idle_warm_task_ms})`);
  for (const t of TRANSPORTS) {
    const c = commandRuns.get(t)!;
    const e = executorRuns.get(t)!;
    console.log(`(a) ${t}: ${COMMAND_TASKS} command tasks (true): ${rate(c)} tasks/s (${ratio(c, command)} of the actor driver), launch→RUNNING p50 ${pct(c.launchToRunning, 0.5).toFixed(1)} ms, p99 ${pct(c.launchToRunning, 0.99).toFixed(1)} ms, ${c.failed} not finished`);
    console.log(`(b) ${t}: ${EXECUTOR_TASKS} custom-executor tasks: ${rate(e)} tasks/s (${ratio(e, custom)} of the actor driver), launch→RUNNING p50 ${pct(e.launchToRunning, 0.5).toFixed(1)} ms, p99 ${pct(e.launchToRunning, 0.99).toFixed(1)} ms, ${e.failed} not finished`);
  }
  console.log(`load average (1 min) at the start: ${result.load_1min}`);
  console.log(JSON.stringify(result));
} finally {
  for (const n of [...agents, master]) n.child.kill('SIGTERM');
  await Promise.all([...agents, master].map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
  rmSync(workDir, { recursive: true, force: true });
}
