// The agent's metrics under Mesos's names (`slave/…`, kept for tools and dashboards): counters
// the agent's parts bump as things happen, and gauges computed from its state when
// /metrics/snapshot is read.

import { Resources, type TaskState } from '../protocol/index.js';
import type { Metrics } from '../runtime/index.js';
import type { AgentStateName } from './context.js';
import type { ExecutorState, FrameworkState } from './state.js';

export class AgentCounters {
  validStatusUpdates = 0;
  invalidStatusUpdates = 0;
  validFrameworkMessages = 0;
  invalidFrameworkMessages = 0;
  executorsTerminated = 0;
  containerLaunchErrors = 0;
  recoveryErrors = 0;
  droppedMessages = 0;
  /** Refusals by who sent them, as `slave/dropped_messages/<reason>`. */
  readonly droppedBy = new Map<string, number>();
  readonly terminalTasks = new Map<TaskState, number>();

  terminalTask(state: TaskState): void {
    this.terminalTasks.set(state, (this.terminalTasks.get(state) ?? 0) + 1);
  }
}

export interface MetricsSource {
  readonly counters: AgentCounters;
  readonly frameworks: ReadonlyMap<string, FrameworkState>;
  readonly total: Resources;
  readonly state: AgentStateName;
  uptimeSecs(): number;
}

export function installAgentMetrics(metrics: Metrics, source: () => MetricsSource): void {
  metrics.gaugeGroup('slave', () => {
    const s = source();
    const c = s.counters;
    const executors: ExecutorState[] = [...s.frameworks.values()].flatMap((f) => [...f.executors.values()]);
    const tasksIn = (state: TaskState): number => {
      let n = 0;
      for (const e of executors) {
        if (state === 'TASK_STAGING') n += e.queuedTasks.size;
        for (const t of e.launchedTasks.values()) if (t.state === state) n++;
      }
      return n;
    };
    const used = executors.reduce((r, e) => (e.state === 'TERMINATED' ? r : r.add(e.resources())), Resources.EMPTY);
    const out: Record<string, number> = {
      'slave/registered': s.state === 'RUNNING' ? 1 : 0,
      'slave/uptime_secs': s.uptimeSecs(),
      'slave/frameworks_active': s.frameworks.size,
      'slave/tasks_staging': tasksIn('TASK_STAGING'),
      'slave/tasks_starting': tasksIn('TASK_STARTING'),
      'slave/tasks_running': tasksIn('TASK_RUNNING'),
      'slave/tasks_killing': tasksIn('TASK_KILLING'),
      'slave/executors_registering': executors.filter((e) => e.state === 'REGISTERING').length,
      'slave/executors_running': executors.filter((e) => e.state === 'RUNNING').length,
      'slave/executors_terminating': executors.filter((e) => e.state === 'TERMINATING').length,
      'slave/executors_terminated': c.executorsTerminated,
      'slave/valid_status_updates': c.validStatusUpdates,
      'slave/invalid_status_updates': c.invalidStatusUpdates,
      'slave/valid_framework_messages': c.validFrameworkMessages,
      'slave/invalid_framework_messages': c.invalidFrameworkMessages,
      'slave/container_launch_errors': c.containerLaunchErrors,
      'slave/recovery_errors': c.recoveryErrors,
      'slave/dropped_messages': c.droppedMessages,
    };
    for (const [reason, n] of c.droppedBy) out[`slave/dropped_messages/${reason}`] = n;
    for (const t of ['FINISHED', 'FAILED', 'KILLED', 'LOST', 'ERROR', 'DROPPED', 'GONE', 'GONE_BY_OPERATOR'] as const) {
      out[`slave/tasks_${t.toLowerCase()}`] = c.terminalTasks.get(`TASK_${t}`) ?? 0;
    }
    for (const r of ['cpus', 'mem', 'disk', 'gpus']) {
      const t = s.total.scalar(r);
      const x = used.scalar(r);
      out[`slave/${r}_total`] = t;
      out[`slave/${r}_used`] = x;
      out[`slave/${r}_percent`] = t > 0 ? x / t : 0;
    }
    return out;
  });
}
