// Resource statistics of every container on the agent (Mesos's ResourceMonitor): one function
// that both the legacy endpoints — `/monitor/statistics` and `/containers` — and the operator
// API (GET_CONTAINERS) build on; each isolator adds its part of ResourceStatistics.

import type { ResourceStatistics } from './containerizer/index.js';
import type { Containerizer } from './containerizer/index.js';
import type { FrameworkState } from './state.js';
import type { HostContainer } from './executor-hosts.js';
import { EXECUTOR_HOST_ID } from './executor-tokens.js';

export interface ContainerUsage {
  framework_id: string;
  executor_id: string;
  executor_name: string;
  source: string;
  container_id: string;
  /** The OS pid standing for the container: a custom executor's, or a command task's process. */
  pid: number | undefined;
  statistics: ResourceStatistics;
}

/**
 * Usage of every live executor's container, and of every executor host's (mesos-ts only: the
 * process that runs a framework's command executors, listed under the executor id
 * `executor-host`); one that ends while it is being read is left out.
 */
export async function containerStatistics(frameworks: ReadonlyMap<string, FrameworkState>, containerizer: Containerizer, hosts: readonly HostContainer[] = []): Promise<ContainerUsage[]> {
  const runs: Promise<ContainerUsage | undefined>[] = [];
  for (const h of hosts) {
    runs.push(
      containerizer.usage(h.containerId).then(
        (statistics) =>
          statistics && {
            framework_id: h.frameworkId,
            executor_id: EXECUTOR_HOST_ID,
            executor_name: 'mesos-ts executor host',
            source: '',
            container_id: h.containerId,
            pid: h.pid,
            statistics,
          },
        () => undefined,
      ),
    );
  }
  for (const f of frameworks.values()) {
    for (const e of f.executors.values()) {
      if (e.state === 'TERMINATED') continue;
      runs.push(
        containerizer.usage(e.containerId).then(
          (statistics) =>
            statistics && {
              framework_id: f.id,
              executor_id: e.id,
              executor_name: e.info.name ?? '',
              source: e.info.source ?? '',
              container_id: e.containerId,
              pid: e.kind === 'custom' ? e.container?.pid : containerizer.pidOf(e.containerId),
              statistics,
            },
          () => undefined,
        ),
      );
    }
  }
  return (await Promise.all(runs)).filter((u): u is ContainerUsage => u !== undefined);
}

/** `/monitor/statistics`: Mesos's legacy shape, one entry per executor. */
export function monitorStatisticsJson(usages: readonly ContainerUsage[]): unknown[] {
  return usages.map((u) => ({ framework_id: u.framework_id, executor_id: u.executor_id, executor_name: u.executor_name, source: u.source, statistics: u.statistics }));
}

/** `/containers`: Mesos's shape, with the container's id and status. */
export function containersJson(usages: readonly ContainerUsage[]): unknown[] {
  return usages.map((u) => ({
    framework_id: u.framework_id,
    executor_id: u.executor_id,
    executor_name: u.executor_name,
    source: u.source,
    container_id: u.container_id,
    statistics: u.statistics,
    status: { container_id: { value: u.container_id }, ...(u.pid !== undefined ? { executor_pid: u.pid } : {}) },
  }));
}
