// An example framework with its own TypeScript executor (custom-executor.ts), written only
// against the public API. Each task asks the executor to count the primes below some n; the
// executor answers with a framework message, and the scheduler replies with one of its own.
// Run: tsx examples/custom-executor-framework.ts --master 127.0.0.1:5050 --tasks 5

import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { MesosSchedulerDriver, type Scheduler, type SchedulerDriverOptions } from '../scheduler-driver/index.js';
import { isTerminalState, Resources, type ExecutorInfo, type Offer, type TaskInfo, type TaskState } from '../protocol/index.js';
import { customExecutorCommand, decode, encode, type ResultMessage } from './custom-executor.js';

export interface CustomExecutorFrameworkOptions {
  master: string;
  tasks: number;
  /** Task i counts the primes below `base * (i + 1)`; default 100000. */
  base?: number;
  /** Per task; default `cpus:0.1;mem:32`. The executor takes `cpus:0.1;mem:64` once per agent. */
  resources?: string;
  print?: (line: string) => void;
  driver?: SchedulerDriverOptions;
  /** The API the executor speaks to its agent: v0 (actor, default) or v1 (HTTP). */
  executorApi?: 'v0' | 'v1';
}

export interface CustomExecutorFrameworkSummary {
  frameworkId: string | undefined;
  total: number;
  finished: number;
  /** Results the executors reported, by task id. */
  results: Record<string, { n: number; primes: number }>;
  states: Record<string, TaskState>;
  error?: string;
}

const EXECUTOR_ID = 'prime-executor';

export async function runCustomExecutorFramework(options: CustomExecutorFrameworkOptions): Promise<CustomExecutorFrameworkSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const base = options.base ?? 100_000;
  const perTask = Resources.parse(options.resources ?? 'cpus:0.1;mem:32');
  const executorResources = Resources.parse('cpus:0.1;mem:64');
  const results: CustomExecutorFrameworkSummary['results'] = {};
  const states: Record<string, TaskState> = {};
  /** Agents that already run our executor (its resources are charged once). */
  const executorOn = new Set<string>();
  let next = 0;
  let done = 0;
  let frameworkId: string | undefined;
  let error: string | undefined;

  const executorInfo = (): ExecutorInfo => ({
    executor_id: { value: EXECUTOR_ID },
    type: 'CUSTOM',
    name: 'prime counter',
    command: customExecutorCommand(options.executorApi),
    resources: executorResources.toJSON(),
  });

  function fill(offer: Offer): TaskInfo[] {
    let remaining = Resources.fromJSON(offer.resources);
    const role = offer.allocation_info?.role ?? '*';
    const alloc = (r: Resources): Resources => (remaining.hasAllocationInfo() ? r.allocate(role) : r);
    const running = executorOn.has(offer.agent_id.value) || offer.executor_ids.some((e) => e.value === EXECUTOR_ID);
    if (!running) {
      if (!remaining.contains(alloc(executorResources))) return [];
      remaining = remaining.subtract(alloc(executorResources));
    }
    const tasks: TaskInfo[] = [];
    while (next < options.tasks && remaining.contains(alloc(perTask))) {
      const i = next++;
      const id = `primes-${i}`;
      tasks.push({
        name: id,
        task_id: { value: id },
        agent_id: offer.agent_id,
        resources: alloc(perTask).toJSON(),
        executor: executorInfo(),
        data: encode({ n: base * (i + 1) }),
      });
      remaining = remaining.subtract(alloc(perTask));
    }
    if (tasks.length > 0) executorOn.add(offer.agent_id.value);
    return tasks;
  }

  const scheduler: Scheduler = {
    registered(driver, id) {
      frameworkId = id.value;
      print(`Registered with framework id ${id.value}`);
      if (options.tasks === 0) void driver.stop();
    },
    reregistered() {},
    disconnected() {
      print('Disconnected from the master');
    },
    resourceOffers(driver, offers) {
      for (const offer of offers) {
        const tasks = next < options.tasks ? fill(offer) : [];
        if (tasks.length > 0) driver.launchTasks([offer.id], tasks);
        else driver.declineOffer(offer.id, { refuse_seconds: next < options.tasks ? 5 : 3600 });
      }
      if (next >= options.tasks) driver.suppressOffers();
    },
    offerRescinded() {},
    statusUpdate(driver, status) {
      const id = status.task_id.value;
      print(`${id} ${status.state}${status.message ? ` (${status.message})` : ''}`);
      if (isTerminalState(status.state) && (states[id] === undefined || !isTerminalState(states[id]))) done++;
      states[id] = status.state;
      if (done === options.tasks) void driver.stop();
    },
    frameworkMessage(driver, executorId, agentId, data) {
      const result = decode<ResultMessage>(data);
      if (result.type !== 'result') return;
      results[result.task_id] = { n: result.n, primes: result.primes };
      print(`${result.task_id}: ${result.primes} primes below ${result.n}`);
      // The reply lets the executor finish the task: a round trip in both directions.
      driver.sendFrameworkMessage(executorId, agentId, encode({ type: 'thanks', task_id: result.task_id }));
    },
    agentLost(_driver, agentId) {
      executorOn.delete(agentId.value);
    },
    executorLost(_driver, _executorId, agentId, status) {
      executorOn.delete(agentId.value);
      print(`Executor on ${agentId.value} exited with status ${status}`);
    },
    error(_driver, message) {
      error = message;
      print(`Error: ${message}`);
    },
  };

  const driver = new MesosSchedulerDriver(scheduler, { user: '', name: 'custom-executor-framework' }, options.master, options.driver ?? {});
  if ((await driver.run()) === 'DRIVER_ABORTED') {
    await driver.stop();
    error ??= 'the driver aborted';
  }
  return {
    frameworkId,
    total: options.tasks,
    finished: Object.values(states).filter((s) => s === 'TASK_FINISHED').length,
    results,
    states,
    ...(error !== undefined ? { error } : {}),
  };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('custom-executor-framework')
    .description('Counts primes in tasks run by a custom TypeScript executor that reports back with framework messages.')
    .requiredOption('--master <address>', 'the master, host:port or master@host:port')
    .option('--tasks <n>', 'how many tasks', '5')
    .option('--base <n>', 'task i counts the primes below base*(i+1)', '100000')
    .option('--executor-api <api>', 'what the executor speaks to its agent: v0 (actor) or v1 (HTTP)', 'v0')
    .parse();
  const o = program.opts<{ master: string; tasks: string; base: string; executorApi: string }>();
  if (o.executorApi !== 'v0' && o.executorApi !== 'v1') program.error(`--executor-api must be v0 or v1, not '${o.executorApi}'`);
  const summary = await runCustomExecutorFramework({ master: o.master, tasks: Number(o.tasks), base: Number(o.base), executorApi: o.executorApi as 'v0' | 'v1' });
  console.log(`${summary.finished}/${summary.total} finished`);
  process.exit(summary.error === undefined && summary.finished === summary.total ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
