// Task throughput: a master and two agents as real processes on this machine, and one framework
// that launches (a) command tasks running `true` and (b) tasks on a custom TypeScript executor
// that finishes each one at once. Reports tasks/s from the first launch to the last
// TASK_FINISHED and the launch→TASK_RUNNING latency; the last line is one JSON object.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MesosSchedulerDriver, type Scheduler } from '../scheduler-driver/index.js';
import { nodeCommand } from '../executor/index.js';
import { Resources, type ExecutorInfo, type Offer, type TaskInfo } from '../protocol/index.js';

const COMMAND_TASKS = Number(process.env['BENCH_COMMAND_TASKS'] ?? 2000);
const EXECUTOR_TASKS = Number(process.env['BENCH_EXECUTOR_TASKS'] ?? 20000);
const AGENT_RESOURCES = 'cpus:1000;mem:1000000;disk:100000;ports:[31000-32000]';

async function startNode(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'cluster-node.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`cluster node ${args[0]} exited with ${code}`)));
  });
  return { child, address: (JSON.parse(line) as { address: string }).address };
}

interface Run {
  tasksPerS: number;
  launchToRunning: number[];
  failed: number;
}

/** Launches `total` tasks as fast as offers allow and waits for every TASK_FINISHED. */
async function run(master: string, total: number, makeTask: (i: number, offer: Offer) => TaskInfo, perTask: Resources): Promise<Run> {
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
  const driver = new MesosSchedulerDriver(scheduler, { user: 'bench', name: 'bench-tasks' }, master);
  await driver.start();
  await done;
  await driver.stop();
  return { tasksPerS: total / ((last - first) / 1000), launchToRunning: latencies, failed };
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

const workDir = mkdtempSync(join(tmpdir(), 'mesos-bench-tasks-'));
const master = await startNode(['master']);
const agents = await Promise.all([1, 2].map((i) => startNode(['agent', master.address, AGENT_RESOURCES, join(workDir, `agent${i}`)])));
try {
  const perCommandTask = Resources.parse('cpus:0.01;mem:1');
  const command = await run(
    master.address,
    COMMAND_TASKS,
    (i, offer) => ({ name: `true-${i}`, task_id: { value: `cmd-${i}` }, agent_id: offer.agent_id, resources: perCommandTask.toJSON(), command: { value: 'true', shell: true } }),
    perCommandTask,
  );
  const perExecutorTask = Resources.parse('cpus:0.001;mem:0.1');
  const executors = new Map<string, ExecutorInfo>();
  const custom = await run(
    master.address,
    EXECUTOR_TASKS,
    (i, offer) => {
      let executor = executors.get(offer.agent_id.value);
      if (!executor) {
        executor = { executor_id: { value: `bench-executor-${offer.agent_id.value}` }, name: 'bench executor', command: nodeCommand(join(import.meta.dirname, 'tasks-executor.ts')), resources: Resources.parse('cpus:0.1;mem:32').toJSON() };
        executors.set(offer.agent_id.value, executor);
      }
      return { name: `task-${i}`, task_id: { value: `exe-${i}` }, agent_id: offer.agent_id, resources: perExecutorTask.toJSON(), executor };
    },
    perExecutorTask,
  );
  const result = {
    command_tasks_per_s: Math.round(command.tasksPerS),
    executor_tasks_per_s: Math.round(custom.tasksPerS),
    launch_to_running_p50_ms: +pct(command.launchToRunning, 0.5).toFixed(1),
    launch_to_running_p99_ms: +pct(command.launchToRunning, 0.99).toFixed(1),
  };
  console.log(`(a) ${COMMAND_TASKS} command tasks (true): ${result.command_tasks_per_s} tasks/s, launch→RUNNING p50 ${result.launch_to_running_p50_ms} ms, p99 ${result.launch_to_running_p99_ms} ms, ${command.failed} not finished`);
  console.log(`(b) ${EXECUTOR_TASKS} custom-executor tasks: ${result.executor_tasks_per_s} tasks/s, launch→RUNNING p50 ${pct(custom.launchToRunning, 0.5).toFixed(1)} ms, p99 ${pct(custom.launchToRunning, 0.99).toFixed(1)} ms, ${custom.failed} not finished`);
  console.log(JSON.stringify(result));
} finally {
  for (const n of [...agents, master]) n.child.kill('SIGTERM');
  await Promise.all([...agents, master].map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
  rmSync(workDir, { recursive: true, force: true });
}
