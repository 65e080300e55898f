// The agent's peers' addresses, typed by what each accepts. Pids that arrive as plain text —
// the configured master, a scheduler's pid in RunTask and UpdateFramework, an executor's pid
// read back from its checkpoint — become typed here and nowhere else.

import { parsePid, type Pid } from '../runtime/index.js';
import type { ExecutorInbox, MasterInbox, SchedulerInbox } from '../protocol/index.js';

/** The master, from the configured `master@host:port`; throws a ValidationError if malformed. */
export function masterPid(text: string): Pid<MasterInbox> {
  return parsePid(text);
}

/** No master known (a detector that sees no leader): nothing is sent to it, nothing accepted from it. */
export const NO_MASTER = 'master@0.0.0.0:0' as Pid<MasterInbox>;

/**
 * A framework's scheduler, from the pid RunTask or UpdateFramework carries. '' (an HTTP
 * framework) is none: what goes to its scheduler goes through the master.
 */
export function schedulerPid(text: string): Pid<SchedulerInbox> | undefined {
  return text === '' ? undefined : (text as Pid<SchedulerInbox>);
}

/** An executor, from the libprocess pid its run checkpointed; throws a ValidationError if malformed. */
export function executorPid(text: string): Pid<ExecutorInbox> {
  return parsePid(text);
}
