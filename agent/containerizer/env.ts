// The environment an executor is launched with: the MESOS_* variables the executor driver reads
// to find its agent (names and formats as Mesos sets them, so unmodified executors work).

export interface ExecutorEnvironmentOptions {
  frameworkId: string;
  executorId: string;
  agentId: string;
  /** The agent actor's address, `slave(1)@host:port`. */
  agentPid: string;
  sandbox: string;
  checkpoint: boolean;
  shutdownGracePeriodMs: number;
  recoveryTimeoutMs: number;
}

export function executorEnvironment(o: ExecutorEnvironmentOptions): Record<string, string> {
  return {
    MESOS_FRAMEWORK_ID: o.frameworkId,
    MESOS_EXECUTOR_ID: o.executorId,
    // The old names are the ones executor drivers read; they are part of the executor ABI.
    MESOS_SLAVE_ID: o.agentId,
    MESOS_SLAVE_PID: o.agentPid,
    // The v1 names, for executors written against the newer API.
    MESOS_AGENT_ID: o.agentId,
    MESOS_AGENT_PID: o.agentPid,
    MESOS_DIRECTORY: o.sandbox,
    // The containerizer's name for the same directory (what task commands usually read).
    MESOS_SANDBOX: o.sandbox,
    MESOS_CHECKPOINT: o.checkpoint ? '1' : '0',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: formatDuration(o.shutdownGracePeriodMs),
    MESOS_RECOVERY_TIMEOUT: formatDuration(o.recoveryTimeoutMs),
  };
}

/** Mesos's duration text (`5secs`, `15mins`, `100ms`): the largest unit that divides evenly. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['days', 86_400_000], ['hrs', 3_600_000], ['mins', 60_000], ['secs', 1000]];
  for (const [name, size] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${name}`;
  }
  return `${ms}ms`;
}

/** Inverse of formatDuration, accepting the units Mesos accepts; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|secs|mins|hrs|days|weeks)$/.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const perUnit: Record<string, number> = {
    ns: 1e-6, us: 1e-3, ms: 1, secs: 1000, mins: 60_000, hrs: 3_600_000, days: 86_400_000, weeks: 604_800_000,
  };
  const size = perUnit[m[2]];
  return size === undefined ? undefined : Number(m[1]) * size;
}
