// Where an executor run's sandbox lives under the agent's work_dir. The on-disk layout is
// Mesos's own, `slaves/` included (the old word is kept on disk only, here and in the
// checkpoints' layout), so that operators' scripts, log shippers and the web UI's paths keep
// working against a mesos-ts agent.

import { join } from 'node:path';

export interface SandboxIds {
  agentId: string;
  frameworkId: string;
  executorId: string;
  containerId: string;
}

/** `<work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/<container_id>` */
export function sandboxPath(workDir: string, ids: SandboxIds): string {
  return join(
    workDir, 'slaves', safeSegment(ids.agentId),
    'frameworks', safeSegment(ids.frameworkId),
    'executors', safeSegment(ids.executorId),
    'runs', safeSegment(ids.containerId),
  );
}

/**
 * Ids come from frameworks (executor ids, task ids), so an id must not be able to climb out of
 * its directory. Mesos rejects such ids in master validation; this is the agent's own guard.
 */
export function safeSegment(id: string): string {
  if (id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\0')) {
    throw new RangeError(`id ${JSON.stringify(id)} cannot be used as a path segment`);
  }
  return id;
}
