// The master's metrics under Mesos's names (`master/tasks_running`, `master/slaves_active`, …):
// gauges read from the state when a snapshot is taken, counters pushed by the master, and
// `master/messages_*` counted from the runtime's inspection stream as messages reach the master.

import type { Counter, Pid, Runtime } from '../runtime/index.js';
import type { TaskState, TaskStatusReason, TaskStatusSource } from '../protocol/index.js';
import type { MasterState } from './state.js';

/** Message name → Mesos's `master/messages_*` counter. */
const MESSAGE_METRICS: Readonly<Record<string, string>> = {
  RegisterFramework: 'register_framework',
  ReregisterFramework: 'reregister_framework',
  UnregisterFramework: 'unregister_framework',
  DeactivateFramework: 'deactivate_framework',
  KillTask: 'kill_task',
  StatusUpdateAcknowledgement: 'status_update_acknowledgement',
  ResourceRequest: 'resource_request',
  LaunchTasks: 'launch_tasks',
  Accept: 'launch_tasks',
  Decline: 'decline_offers',
  ReviveOffers: 'revive_offers',
  SuppressOffers: 'suppress_offers',
  ReconcileTasks: 'reconcile_tasks',
  FrameworkToExecutor: 'framework_to_executor',
  ExecutorToFramework: 'executor_to_framework',
  RegisterAgent: 'register_slave',
  ReregisterAgent: 'reregister_slave',
  UnregisterAgent: 'unregister_slave',
  StatusUpdate: 'status_update',
  ExitedExecutor: 'exited_executor',
};

const TERMINAL_COUNTERS: Partial<Record<TaskState, string>> = {
  TASK_FINISHED: 'master/tasks_finished',
  TASK_FAILED: 'master/tasks_failed',
  TASK_KILLED: 'master/tasks_killed',
  TASK_LOST: 'master/tasks_lost',
  TASK_ERROR: 'master/tasks_error',
  TASK_DROPPED: 'master/tasks_dropped',
  TASK_GONE: 'master/tasks_gone',
  TASK_GONE_BY_OPERATOR: 'master/tasks_gone_by_operator',
};

export class MasterMetrics {
  readonly slaveRegistrations: Counter;
  readonly slaveReregistrations: Counter;
  readonly slaveRemovals: Counter;
  readonly slaveRemovalsUnhealthy: Counter;
  readonly slaveRemovalsUnregistered: Counter;
  readonly slaveRemovalsRegistered: Counter;
  readonly slaveUnreachableScheduled: Counter;
  readonly slaveUnreachableCompleted: Counter;
  readonly slaveUnreachableCanceled: Counter;
  /** Agents from the registry that did not re-register within agent_reregister_timeout of a master restart. */
  readonly recoverySlaveRemovals: Counter;
  readonly validStatusUpdates: Counter;
  readonly invalidStatusUpdates: Counter;
  readonly validAcks: Counter;
  readonly invalidAcks: Counter;
  readonly droppedMessages: Counter;
  private readonly unsubscribe: () => void;
  private readonly droppedBy = new Map<string, Counter>();

  /** `master/dropped_messages/<cause>`: refusals by who sent them. */
  droppedFor(cause: string): void {
    let c = this.droppedBy.get(cause);
    if (c === undefined) this.droppedBy.set(cause, (c = this.runtime.metrics.counter(`master/dropped_messages/${cause}`)));
    c.inc();
  }

  constructor(
    private readonly runtime: Runtime,
    self: Pid,
    state: MasterState,
    startedAt: number,
  ) {
    const m = runtime.metrics;
    const c = (name: string): Counter => m.counter(`master/${name}`);
    this.slaveRegistrations = c('slave_registrations');
    this.slaveReregistrations = c('slave_reregistrations');
    this.slaveRemovals = c('slave_removals');
    this.slaveRemovalsUnhealthy = c('slave_removals/reason_unhealthy');
    this.slaveRemovalsUnregistered = c('slave_removals/reason_unregistered');
    this.slaveRemovalsRegistered = c('slave_removals/reason_registered');
    this.slaveUnreachableScheduled = c('slave_unreachable_scheduled');
    this.slaveUnreachableCompleted = c('slave_unreachable_completed');
    this.slaveUnreachableCanceled = c('slave_unreachable_canceled');
    this.recoverySlaveRemovals = c('recovery_slave_removals');
    this.validStatusUpdates = c('valid_status_updates');
    this.invalidStatusUpdates = c('invalid_status_updates');
    this.validAcks = c('valid_status_update_acknowledgements');
    this.invalidAcks = c('invalid_status_update_acknowledgements');
    this.droppedMessages = c('dropped_messages');
    for (const name of Object.values(TERMINAL_COUNTERS)) m.counter(name);
    const messages = new Map<string, Counter>();
    for (const [msg, metric] of Object.entries(MESSAGE_METRICS)) messages.set(msg, m.counter(`master/messages_${metric}`));

    m.gaugeGroup('master', () => {
      const out: Record<string, number> = {};
      out['master/elected'] = 1;
      out['master/uptime_secs'] = (runtime.clock.now() - startedAt) / 1000;
      let active = 0, connected = 0, disconnected = 0, inactive = 0;
      for (const a of state.agents.values()) {
        if (a.connected) connected++;
        else disconnected++;
        if (a.active) active++;
        else inactive++;
      }
      out['master/slaves_active'] = active;
      out['master/slaves_inactive'] = inactive;
      out['master/slaves_connected'] = connected;
      out['master/slaves_disconnected'] = disconnected;
      out['master/slaves_unreachable'] = state.unreachableAgents.size;
      let fa = 0, fi = 0, fc = 0, fd = 0;
      for (const f of state.frameworks.values()) {
        if (f.active) fa++;
        else fi++;
        if (f.connected) fc++;
        else fd++;
      }
      out['master/frameworks_active'] = fa;
      out['master/frameworks_inactive'] = fi;
      out['master/frameworks_connected'] = fc;
      out['master/frameworks_disconnected'] = fd;
      out['master/outstanding_offers'] = state.offers.size;
      const byState: Partial<Record<TaskState, number>> = {};
      for (const t of state.tasks()) byState[t.task.state] = (byState[t.task.state] ?? 0) + 1;
      let unreachable = 0;
      for (const f of state.frameworks.values()) for (const t of f.unreachableTasks.values()) if (t.state === 'TASK_UNREACHABLE') unreachable++;
      out['master/tasks_staging'] = byState.TASK_STAGING ?? 0;
      out['master/tasks_starting'] = byState.TASK_STARTING ?? 0;
      out['master/tasks_running'] = byState.TASK_RUNNING ?? 0;
      out['master/tasks_killing'] = byState.TASK_KILLING ?? 0;
      out['master/tasks_unreachable'] = unreachable;
      // Cluster resources: totals of registered agents, used = what their tasks and executors take.
      const total: Record<string, number> = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
      const used: Record<string, number> = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
      for (const a of state.agents.values()) {
        const u = a.used();
        for (const name of ['cpus', 'mem', 'disk', 'gpus']) {
          total[name]! += a.total.scalar(name);
          used[name]! += u.scalar(name);
        }
      }
      for (const name of ['cpus', 'mem', 'disk', 'gpus']) {
        out[`master/${name}_total`] = total[name]!;
        out[`master/${name}_used`] = used[name]!;
        out[`master/${name}_percent`] = total[name]! > 0 ? used[name]! / total[name]! : 0;
      }
      return out;
    });

    this.unsubscribe = runtime.inspect((ev) => {
      if (ev.type !== 'receive' || ev.envelope.to !== self) return;
      const counter = messages.get(ev.envelope.name);
      if (counter !== undefined) counter.value++;
    });
  }

  /** A task reached a terminal state (or was refused one at launch): Mesos counts both. */
  terminal(state: TaskState, source: TaskStatusSource | undefined, reason: TaskStatusReason | undefined): void {
    const name = TERMINAL_COUNTERS[state];
    if (name === undefined) return;
    this.runtime.metrics.counter(name).inc();
    if (source !== undefined && reason !== undefined) {
      this.runtime.metrics.counter(`master/${state.toLowerCase()}/${source.toLowerCase()}/${reason.toLowerCase()}`).inc();
    }
  }

  stop(): void {
    this.unsubscribe();
    this.runtime.metrics.remove('master');
  }
}
