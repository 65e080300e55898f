// An example framework written only against the public API: it runs N shell commands as tasks,
// launching as many as each offer allows, prints every status update, and ends with a summary.
// Run: tsx examples/command-framework.ts --master 127.0.0.1:5050 --tasks 10 --command 'echo hi'

import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { MesosSchedulerDriver, type Scheduler, type SchedulerDriver, type SchedulerDriverOptions } from '../scheduler-driver/index.js';
import { isTerminalState, Resources, type FrameworkID, type Offer, type TaskInfo, type TaskState, type TaskStatus } from '../protocol/index.js';

export interface CommandFrameworkOptions {
  /** `host:port` or `master@host:port`. */
  master: string;
  /** How many tasks to run. */
  tasks: number;
  /** A shell command (`sh -c`). */
  command: string;
  /** Per task; default `cpus:0.1;mem:32`. */
  resources?: string;
  name?: string;
  role?: string;
  /** Where status lines go; default console.log. Pass () => {} for silence. */
  print?: (line: string) => void;
  /** Passed to the driver (a runtime, transport or clock for tests, implicit acks, …). */
  driver?: SchedulerDriverOptions;
}

export interface CommandFrameworkSummary {
  frameworkId: string | undefined;
  total: number;
  finished: number;
  failed: number;
  /** Terminal states other than FINISHED and FAILED (KILLED, LOST, ERROR, DROPPED, …). */
  other: number;
  /** The final state of each task. */
  states: Record<string, TaskState>;
  elapsedMs: number;
  /** Set when the driver aborted (FrameworkError or a failure here). */
  error?: string;
}

/** Runs the framework to completion and resolves with what happened to every task. */
export async function runCommandFramework(options: CommandFrameworkOptions): Promise<CommandFrameworkSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const perTask = Resources.parse(options.resources ?? 'cpus:0.1;mem:32');
  const started = Date.now();
  const states: Record<string, TaskState> = {};
  let next = 0; // the next task index to launch
  let done = 0;
  let frameworkId: FrameworkID | undefined;
  let error: string | undefined;

  const finish = (driver: SchedulerDriver): void => {
    if (done === options.tasks) void driver.stop();
  };

  const scheduler: Scheduler = {
    registered(driver, id) {
      frameworkId = id;
      print(`Registered with framework id ${id.value}`);
      if (options.tasks === 0) void driver.stop();
    },
    reregistered() {
      print('Re-registered');
    },
    disconnected() {
      print('Disconnected from the master; waiting to re-register');
    },
    resourceOffers(driver, offers) {
      for (const offer of offers) {
        const tasks = next < options.tasks ? fill(offer) : [];
        if (tasks.length === 0) {
          // Nothing left to launch: refuse this agent for a long while.
          driver.declineOffer(offer.id, { refuse_seconds: next < options.tasks ? 5 : 3600 });
          continue;
        }
        driver.launchTasks([offer.id], tasks);
      }
      if (next >= options.tasks) driver.suppressOffers();
    },
    offerRescinded() {},
    statusUpdate(driver, status: TaskStatus) {
      const id = status.task_id.value;
      const why = [status.message, status.reason].filter(Boolean).join(' / ');
      print(`${id} ${status.state}${why ? ` (${why})` : ''}`);
      if (isTerminalState(status.state) && (states[id] === undefined || !isTerminalState(states[id]))) done++;
      states[id] = status.state;
      finish(driver);
    },
    frameworkMessage() {},
    agentLost(_driver, agentId) {
      print(`Agent ${agentId.value} lost`);
    },
    executorLost() {},
    error(_driver, message) {
      error = message;
      print(`Error: ${message}`);
    },
  };

  /** As many tasks as the offer holds, while tasks remain. */
  function fill(offer: Offer): TaskInfo[] {
    let remaining = Resources.fromJSON(offer.resources);
    const need = remaining.hasAllocationInfo() ? perTask.allocate(offer.allocation_info?.role ?? options.role ?? '*') : perTask;
    const tasks: TaskInfo[] = [];
    while (next < options.tasks && remaining.contains(need)) {
      const id = `task-${next++}`;
      tasks.push({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: need.toJSON(), command: { value: options.command, shell: true } });
      remaining = remaining.subtract(need);
    }
    return tasks;
  }

  // As Mesos's example frameworks: a credential from DEFAULT_PRINCIPAL and DEFAULT_SECRET.
  const principal = options.driver?.principal ?? process.env['DEFAULT_PRINCIPAL'];
  const secret = options.driver?.secret ?? process.env['DEFAULT_SECRET'];
  const driver = new MesosSchedulerDriver(
    scheduler,
    { user: '', name: options.name ?? 'command-framework', ...(options.role ? { role: options.role } : {}), ...(principal ? { principal } : {}) },
    options.master,
    { ...options.driver, ...(principal && secret ? { principal, secret } : {}) },
  );
  const status = await driver.run();
  if (status === 'DRIVER_ABORTED') {
    await driver.stop();
    error ??= 'the driver aborted';
  }
  const values = Object.values(states);
  const summary: CommandFrameworkSummary = {
    frameworkId: frameworkId?.value,
    total: options.tasks,
    finished: values.filter((s) => s === 'TASK_FINISHED').length,
    failed: values.filter((s) => s === 'TASK_FAILED').length,
    other: values.filter((s) => isTerminalState(s) && s !== 'TASK_FINISHED' && s !== 'TASK_FAILED').length,
    states,
    elapsedMs: Date.now() - started,
    ...(error !== undefined ? { error } : {}),
  };
  return summary;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('command-framework')
    .description('Runs N shell commands as Mesos tasks and prints their status updates.')
    .requiredOption('--master <address>', 'the master, host:port or master@host:port')
    .option('--tasks <n>', 'how many tasks', '10')
    .option('--command <cmd>', 'the shell command each task runs', 'echo hello from $MESOS_TASK_ID')
    .option('--resources <res>', 'resources per task', 'cpus:0.1;mem:32')
    .option('--name <name>', 'framework name', 'command-framework')
    .option('--role <role>', 'role to register with')
    .parse();
  const o = program.opts<{ master: string; tasks: string; command: string; resources: string; name: string; role?: string }>();
  const summary = await runCommandFramework({
    master: o.master,
    tasks: Number(o.tasks),
    command: o.command,
    resources: o.resources,
    name: o.name,
    ...(o.role ? { role: o.role } : {}),
  });
  const seconds = (summary.elapsedMs / 1000).toFixed(2);
  console.log(`${summary.finished}/${summary.total} finished, ${summary.failed} failed, ${summary.other} otherwise ended, in ${seconds}s`);
  process.exit(summary.error === undefined && summary.finished === summary.total ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
