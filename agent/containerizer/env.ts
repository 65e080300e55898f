// The environment an executor is launched with: the MESOS_* variables the executor driver reads
// to find its agent (names and formats as Mesos sets them, so unmodified executors work).

import { formatDuration } from '../../protocol/index.js';
export { formatDuration, tryParseDuration as parseDuration } from '../../protocol/index.js';

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
