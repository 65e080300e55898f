#!/usr/bin/env node
// Generates docs/message-flows.md (`npm run docs:flows`): brings up a traced local cluster (a
// master and two agents, each its own OS process), drives Mesos's main flows against it with
// real frameworks, and renders each flow from the merged trace files with
// `mesos-trace --format=mermaid --follow=<id> --name=…`, so the page shows what the code does.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalCluster, type LocalCluster } from '../cli/local-cluster.js';
import { startFrameworkRuntime } from '../cli/framework-runtime.js';
import { followMessage, mergeTrace, readTraceFiles, type TraceHistory, type TraceMessage } from '../cli/trace/index.js';
import { MesosSchedulerDriver, type Scheduler, type SchedulerDriver } from '../scheduler-driver/index.js';
import { Resources, type Offer, type TaskStatus } from '../protocol/index.js';
import { runCustomExecutorFramework } from '../examples/custom-executor-framework.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs', 'message-flows.md');
const TSX = import.meta.resolve('tsx');

/** One flow of the page: where it starts in the trace, and what to say about it. */
export interface Flow {
  title: string;
  text: string;
  /** The message the flow starts from (its id is looked up in the trace). */
  start: (history: TraceHistory) => TraceMessage | undefined;
  /** Leave out the causes that led to `start` (default: keep them). */
  noAncestors?: boolean;
  /** Message names to leave out of the diagram besides internal (`_…`) ones. */
  hide?: readonly string[];
  /** Only these message names, when the flow runs on into others. */
  only?: readonly string[];
}

/** The names a followed flow shows: its protocol messages, not the actors' internal ones. */
export function shownNames(followed: TraceHistory, hide: readonly string[] = []): string[] {
  return [...new Set(followed.messages.map((m) => m.name))].filter((n) => !n.startsWith('_') && !hide.includes(n)).sort();
}

function mesosTrace(args: readonly string[]): string {
  return execFileSync(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'mesos-trace.ts'), ...args], { encoding: 'utf8' });
}

const first = (name: string, from?: (pid: string) => boolean) => (h: TraceHistory): TraceMessage | undefined =>
  h.messages.find((m) => m.name === name && (from === undefined || from(m.from)));
const fromScheduler = (pid: string): boolean => pid.startsWith('scheduler-');

/** A framework that launches one long task, reconciles it (explicitly and implicitly), kills it, and tears down. */
async function reconcileAndKill(master: string, trace: string): Promise<void> {
  const own = await startFrameworkRuntime({ trace });
  let launched = false;
  let reconciled = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const scheduler: Scheduler = {
    registered() {},
    reregistered() {},
    disconnected() {},
    resourceOffers(driver: SchedulerDriver, offers: Offer[]) {
      for (const offer of offers) {
        if (launched || !Resources.fromJSON(offer.resources).contains(Resources.parse('cpus:0.1;mem:32'))) {
          driver.declineOffer(offer.id);
          continue;
        }
        launched = true;
        driver.launchTasks([offer.id], [
          {
            name: 'sleeper',
            task_id: { value: 'sleeper' },
            agent_id: offer.agent_id,
            resources: Resources.parse('cpus:0.1;mem:32').toJSON(),
            command: { value: 'sleep 30' },
          },
        ]);
      }
    },
    offerRescinded() {},
    statusUpdate(driver: SchedulerDriver, status: TaskStatus) {
      if (status.state === 'TASK_RUNNING' && !reconciled) {
        reconciled = true;
        driver.reconcileTasks([{ task_id: status.task_id, state: status.state, ...(status.agent_id ? { agent_id: status.agent_id } : {}) }]);
        driver.reconcileTasks([]);
        setTimeout(() => driver.killTask(status.task_id), 500);
      }
      if (status.state === 'TASK_KILLED' || status.state === 'TASK_FAILED') setTimeout(done, 200);
    },
    frameworkMessage() {},
    agentLost() {},
    executorLost() {},
    error(_driver, message) {
      throw new Error(message);
    },
  };
  const driver = new MesosSchedulerDriver(scheduler, { user: '', name: 'reconcile-and-kill' }, master, { runtime: own.runtime });
  await driver.start();
  await finished;
  await driver.stop();
  await own.stop();
}

async function driveFlows(cluster: LocalCluster, traceDir: string): Promise<{ hello: string; kill: string; custom: string }> {
  const hello = join(traceDir, 'mesos-execute.trace.jsonl');
  execFileSync(process.execPath, ['--import', TSX, join(ROOT, 'cli', 'mesos-execute.ts'), `--master=${cluster.master}`, '--name=hello', '--command=echo hello', `--trace=${hello}`], { stdio: 'ignore' });
  const kill = join(traceDir, 'reconcile-and-kill.trace.jsonl');
  await reconcileAndKill(cluster.master, kill);
  const custom = join(traceDir, 'custom-executor-framework.trace.jsonl');
  const own = await startFrameworkRuntime({ trace: custom });
  await runCustomExecutorFramework({ master: cluster.master, tasks: 1, base: 1000, print: () => {}, driver: { runtime: own.runtime } });
  await own.stop();
  return { hello, kill, custom };
}

/** The flows, each found in the trace of the framework that drove it. */
function flows(own: { hello: TraceHistory; kill: TraceHistory; custom: TraceHistory }): Array<Flow & { history: TraceHistory }> {
  return [
    {
      title: 'Agent registration and health checks',
      text: "An agent registers with the master (`RegisterAgent` → `AgentRegistered`), which adds its resources to the allocator; from then on the master's agent observer pings it (`PingAgent` → `PongAgent`) and marks it unreachable after missed pongs, as Mesos's `SlaveObserver` does.",
      history: own.hello,
      start: first('RegisterAgent'),
      hide: ['AllocatorOffers', 'ResourceOffers', 'RescindResourceOffer', 'AllocatorRecoverResources'],
    },
    {
      title: 'Framework registration and the first offer',
      text: "A scheduler driver registers its framework (`RegisterFramework` → `FrameworkRegistered`, Mesos's `RegisterFrameworkMessage` and `FrameworkRegisteredMessage`); the master adds it to the allocator, whose next allocation offers it resources (`AllocatorOffers` inside the master's process, `ResourceOffers` on the wire).",
      history: own.hello,
      start: first('RegisterFramework', fromScheduler),
      only: ['RegisterFramework', 'FrameworkRegistered', 'AllocatorAddFramework', 'AllocatorOffers', 'ResourceOffers', 'Decline', 'LaunchTasks'],
    },
    {
      title: 'Launch → TASK_RUNNING → TASK_FINISHED, with acknowledgements',
      text: "`mesos-execute` accepts an offer (`LaunchTasks`); the master validates the task and sends `RunTask` to the agent, which starts (once per framework) an executor host that registers (`RegisterExecutorHost`) and runs a command executor (`LaunchExecutor`, `RegisterExecutor`, `ExecutorRegistered`, `RunTask`). Each `StatusUpdate` goes executor → agent → master → scheduler; the agent acknowledges it to the executor at once, and its status-update manager forwards the next update only after the scheduler's `StatusUpdateAcknowledgement` came back through the master, as Mesos's does.",
      history: own.hello,
      start: first('LaunchTasks', fromScheduler),
      noAncestors: true,
      hide: ['UnregisterFramework', 'ShutdownFramework', 'ShutdownExecutorHost', 'AllocatorRemoveFramework'],
    },
    {
      title: 'Reconciliation',
      text: 'The scheduler asks for the state of a task it knows (`ReconcileTasks` with statuses: explicit reconciliation); the master answers with a `StatusUpdate` per task from what it knows, without asking the agent, as Mesos does. An empty `ReconcileTasks` (implicit reconciliation) is answered with every task of the framework.',
      history: own.kill,
      start: first('ReconcileTasks', fromScheduler),
      noAncestors: true,
    },
    {
      title: 'Killing a task',
      text: 'The scheduler kills a task (`KillTask`, Mesos\'s `KillTaskMessage`); the master forwards it to the agent and the agent to the executor, which signals the task\'s process group and reports `TASK_KILLED`, acknowledged like any update.',
      history: own.kill,
      start: first('KillTask', fromScheduler),
      noAncestors: true,
    },
    {
      title: 'Framework teardown',
      text: 'Stopping the driver unregisters the framework (`UnregisterFramework`); the master removes it from the allocator and tells every agent to shut its executors down (`ShutdownFramework`), which ends the executor host (`ShutdownExecutorHost`).',
      history: own.kill,
      start: first('UnregisterFramework', fromScheduler),
      noAncestors: true,
    },
    {
      title: 'A custom executor with framework messages',
      text: "examples/custom-executor-framework.ts launches a task with its own `ExecutorInfo`: the agent starts that program as a process of its own, whose `MesosExecutorDriver` registers (`RegisterExecutor` → `ExecutorRegistered`) and gets the task (`RunTask`). The executor reports its result as a framework message (`ExecutorToFramework`, Mesos's `ExecutorToFrameworkMessage`), which the agent sends straight to the scheduler, and the scheduler's reply (`FrameworkToExecutor`) goes straight to the agent, not through the master, as in Mesos.",
      history: own.custom,
      start: first('LaunchTasks', fromScheduler),
      noAncestors: true,
      hide: ['UnregisterFramework', 'ShutdownFramework', 'AllocatorRemoveFramework'],
    },
  ];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'message-flows-'));
  const traceDir = join(dir, 'traces');
  try {
    const cluster = await startLocalCluster({ numAgents: 2, traceDir, workDir: join(dir, 'work'), resources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31100]' });
    let framework: { hello: string; kill: string; custom: string };
    try {
      framework = await driveFlows(cluster, traceDir);
    } finally {
      await cluster.stop();
    }
    const files = [...new Set([...cluster.traceFiles, framework.hello, framework.kill, framework.custom])];
    const all = mergeTrace((await readTraceFiles(files)).events);
    // Each flow's start is looked up among the messages its own framework's trace holds.
    const of = async (file: string): Promise<TraceHistory> => {
      const ids = new Set(mergeTrace((await readTraceFiles([file])).events).messages.map((m) => m.id));
      return { ...all, messages: all.messages.filter((m) => ids.has(m.id) || !fromScheduler(m.from)) };
    };
    const own = { hello: await of(framework.hello), kill: await of(framework.kill), custom: await of(framework.custom) };

    const out: string[] = [
      '# Message flows',
      '',
      '<!-- Generated by `npm run docs:flows` (scripts/message-flows.ts): do not edit by hand. -->',
      '',
      "Mesos's main protocol flows as mesos-ts runs them, rendered from real traces: a master and two",
      'agents as separate OS processes, each writing `--trace` files, driven by `mesos-execute`, a small',
      'framework that reconciles and kills a task, and `examples/custom-executor-framework.ts`. Each',
      'diagram is `mesos-trace --format=mermaid --follow=<id> --name=<its messages>` over the merged',
      "files: the message, what it caused transitively (through every process), and — unless noted —",
      'the causes that led to it. Actors\' internal messages (`_…`: timers, async results) are left out.',
      'Message names are Mesos\'s without the `Message` suffix, "agent" for "slave".',
      '',
    ];
    for (const flow of flows(own)) {
      const start = flow.start(flow.history);
      if (start === undefined) throw new Error(`no start message for the flow '${flow.title}'`);
      const followed = followMessage(all, start.id, { ancestors: flow.noAncestors !== true });
      const names = shownNames(followed, flow.hide).filter((n) => flow.only === undefined || flow.only.includes(n));
      const args = ['--format=mermaid', `--follow=${start.id}`, ...(flow.noAncestors ? ['--no-ancestors'] : []), `--name=${names.join(',')}`];
      const diagram = mesosTrace([...args, ...files]);
      out.push(`## ${flow.title}`, '', flow.text, '', `Messages: ${names.map((n) => `\`${n}\``).join(', ')}.`, '', '```mermaid', diagram.trimEnd(), '```', '');
    }
    writeFileSync(OUT, out.join('\n'));
    console.log(`wrote ${OUT}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
