// The scheduler behind mesos-execute: launches one command task on the first offer that fits,
// prints what happens in Mesos's words, kills the task after --kill_after, and reports the end.
// A plain Scheduler, so tests and other commands can drive it with any MesosSchedulerDriver.

import { isTerminalState, Resources, type Offer, type TaskGroupInfo, type TaskInfo, type TaskState, type TaskStatus } from '../protocol/index.js';
import type { Scheduler, SchedulerDriver } from '../scheduler-driver/index.js';

export interface ExecuteTask {
  /** The task's name and ID. */
  name: string;
  command: string;
  /** `sh -c command`; false runs the first word as a program with the rest as its arguments. */
  shell: boolean;
  resources: Resources;
  role: string;
  env?: Readonly<Record<string, string>>;
  killAfterMs?: number;
  /** --task: launch this TaskInfo as given (its agent_id becomes the offer's); name, command and shell are then unused. */
  taskInfo?: TaskInfo;
  /** --task_group: launch these tasks with LAUNCH_GROUP on a DEFAULT executor; done once all are terminal. */
  taskGroup?: TaskGroupInfo;
}

/** What mesos-execute gives the DEFAULT executor of --task_group (Mesos's defaults for it). */
export const DEFAULT_EXECUTOR_RESOURCES = 'cpus:0.1;mem:32;disk:32';

export interface ExecuteResult {
  /** The process exit code, as Mesos's: 0 after any terminal state, 1 on an error, 130 when interrupted. */
  code: number;
  state?: TaskState;
}

export interface CommandSchedulerOptions {
  task: ExecuteTask;
  /** The master as given, for messages. */
  master: string;
  /** A line for stdout (what Mesos's mesos-execute prints). */
  out: (line: string) => void;
  /** A line for stderr (errors and hints). */
  warn: (line: string) => void;
  /** Called once, when the command should exit. */
  done: (result: ExecuteResult) => void;
  /** How long to wait for the master before saying so on stderr (default 5 s). */
  patienceMs?: number;
}

export interface CommandScheduler extends Scheduler {
  /** Whether the task has been sent to an agent. */
  readonly launched: boolean;
  /** Cancels the timers (kill_after, the master-unreachable notice); call before stopping the driver. */
  finished(): void;
}

export function commandScheduler(o: CommandSchedulerOptions): CommandScheduler {
  const { task, out, warn } = o;
  let launched = false;
  let ended = false;
  let killTimer: NodeJS.Timeout | undefined;
  const toldAgents = new Set<string>();
  const taskIds = new Set(task.taskGroup ? task.taskGroup.tasks.map((t) => t.task_id.value) : [task.taskInfo?.task_id.value ?? task.name]);
  const finishedIds = new Set<string>();
  const patienceMs = o.patienceMs ?? 5000;
  let patience: NodeJS.Timeout | undefined = setTimeout(function notice() {
    warn(`No answer from the master at ${o.master} yet; still trying (Ctrl-C to give up)`);
    patience = setTimeout(notice, 4 * patienceMs);
  }, patienceMs);
  const calm = (): void => {
    clearTimeout(patience);
    patience = undefined;
  };

  const finish = (result: ExecuteResult): void => {
    if (ended) return;
    ended = true;
    clearTimeout(killTimer);
    calm();
    o.done(result);
  };

  const taskInfo = (offer: Offer, resources: Resources): TaskInfo => {
    if (task.taskInfo) return { ...task.taskInfo, agent_id: offer.agent_id };
    const words = task.command.trim().split(/\s+/);
    const command: NonNullable<TaskInfo['command']> = task.shell
      ? { shell: true, value: task.command }
      : { shell: false, value: words[0] ?? '', arguments: words };
    if (task.env !== undefined) command.environment = { variables: Object.entries(task.env).map(([name, value]) => ({ name, value })) };
    return { name: task.name, task_id: { value: task.name }, agent_id: offer.agent_id, resources: resources.toJSON(), command };
  };

  /** What of the offer to use for the task: its role's reservations first, then unreserved. */
  const fit = (offer: Offer): Resources | undefined => {
    const offered = Resources.fromJSON(offer.resources);
    const role = offer.allocation_info?.role ?? task.role;
    const want = offered.hasAllocationInfo() ? task.resources.allocate(role) : task.resources;
    if (offered.contains(want)) return want;
    if (task.role !== '*' && task.resources.reserved().isEmpty()) {
      const reserved = offered.reserved(task.role);
      const asReserved = Resources.fromJSON(want.toJSON().map((r) => ({ ...r, reservations: [{ type: 'STATIC' as const, role: task.role }] })));
      if (reserved.contains(asReserved)) return asReserved;
    }
    return undefined;
  };

  const describe = (status: TaskStatus): void => {
    out(`Received status update ${status.state} for task '${status.task_id.value}'`);
    if (status.message !== undefined) out(`  message: '${status.message}'`);
    if (status.source !== undefined) out(`  source: ${status.source}`);
    if (status.reason !== undefined) out(`  reason: ${status.reason}`);
    if (status.healthy !== undefined) out(`  healthy?: ${status.healthy}`);
    if (status.check_status !== undefined) out(`  check status: ${JSON.stringify(status.check_status)}`);
    if (status.limitation?.resources !== undefined) out(`  resource limit violation: ${Resources.fromJSON(status.limitation.resources).toString()}`);
  };

  return {
    get launched() {
      return launched;
    },
    finished() {
      ended = true;
      clearTimeout(killTimer);
      calm();
    },
    registered(_driver, frameworkId) {
      calm();
      out(`Subscribed with ID ${frameworkId.value}`);
    },
    reregistered() {
      calm();
    },
    disconnected() {
      warn(`Disconnected from the master at ${o.master}; waiting to re-register`);
    },
    resourceOffers(driver: SchedulerDriver, offers: Offer[]) {
      for (const offer of offers) {
        const resources = launched ? undefined : fit(offer);
        if (resources === undefined) {
          if (!launched && !toldAgents.has(offer.agent_id.value)) {
            toldAgents.add(offer.agent_id.value);
            const offered = Resources.fromJSON(offer.resources).unallocate().toString();
            warn(`Offer from agent '${offer.agent_id.value}' (${offered}) does not fit --resources=${task.resources.toString()}; waiting for another`);
          }
          // Unlike Mesos's mesos-execute, no SUPPRESS here: a bigger offer may still come.
          driver.declineOffer(offer.id, launched ? { refuse_seconds: 3600 } : {});
          continue;
        }
        if (task.taskGroup) {
          const tasks = task.taskGroup.tasks.map((t) => ({ ...t, agent_id: offer.agent_id }));
          const executor = { type: 'DEFAULT' as const, executor_id: { value: 'default-executor' }, name: 'default', resources: Resources.parse(DEFAULT_EXECUTOR_RESOURCES).toJSON() };
          driver.acceptOffers([offer.id], [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks } } }]);
          out(`Submitted task group with tasks [ ${[...taskIds].join(', ')} ] to agent '${offer.agent_id.value}'`);
        } else {
          const info = taskInfo(offer, resources);
          driver.launchTasks([offer.id], [info]);
          out(`Submitted task '${info.task_id.value}' to agent '${offer.agent_id.value}'`);
        }
        launched = true;
      }
      if (launched) driver.suppressOffers();
    },
    offerRescinded() {},
    statusUpdate(driver, status) {
      if (!taskIds.has(status.task_id.value)) return;
      describe(status);
      if (status.state === 'TASK_RUNNING' && task.killAfterMs !== undefined && killTimer === undefined && !ended) {
        const agent = status.agent_id?.value ?? '';
        killTimer = setTimeout(() => {
          for (const id of taskIds) {
            out(`Asked to kill task '${id}' on agent '${agent}'`);
            driver.killTask({ value: id });
          }
        }, task.killAfterMs);
      }
      if (isTerminalState(status.state)) finishedIds.add(status.task_id.value);
      if (isTerminalState(status.state) && finishedIds.size === taskIds.size) {
        const state = status.state;
        // After this callback returns the driver acknowledges the update; exit after that.
        setImmediate(() => finish({ code: 0, state }));
      }
    },
    frameworkMessage() {},
    agentLost() {},
    executorLost() {},
    error(_driver, message) {
      warn(`Received an ERROR event: ${message}`);
      finish({ code: 1 });
    },
  };
}
