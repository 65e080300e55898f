// A container as the POSIX containerizer sees it: one process group whose id is the executor's
// pid (spawned with setsid, as `detached: true` does). Signals go to the whole group, and
// liveness ignores zombies, which still hold their pid until some parent reaps them.

import { processGroupMembers, readProcStat } from './proc.js';
import { signalGroup } from '../../runtime/index.js';
export { signalGroup };

/** True while some member of the group is still running (zombies do not count). */
export async function groupAlive(pgid: number): Promise<boolean> {
  // One syscall answers the common case: nothing at all is left.
  if (!signalGroup(pgid, 0)) return false;
  const members = await processGroupMembers(pgid);
  // Without /proc the probe is all we have, and it counts zombies as alive.
  if (members === undefined) return true;
  return members.some((m) => m.state !== 'Z');
}

/** True while the process exists and is not a zombie. */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return false;
    if (errnoCode(e) !== 'EPERM') throw e;
  }
  const stat = await readProcStat(pid);
  // Without /proc, the successful probe has to be taken at its word.
  return stat === undefined ? true : stat.state !== 'Z';
}

/**
 * SIGKILLs whatever is left of the group and resolves once nothing of it runs. A container's
 * life ends with its leader (executor) as in Mesos: processes it left behind are destroyed
 * with it rather than leaked to init. Gives up after `maxWaitMs` (a member in uninterruptible
 * sleep can outlive SIGKILL for a while) and reports whether the group is gone.
 */
export async function killRemainingGroup(pgid: number, pollMs = 10, maxWaitMs = 10_000): Promise<boolean> {
  if (!signalGroup(pgid, 'SIGKILL')) return true;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    if (!(await groupAlive(pgid))) return true;
    if (Date.now() >= deadline) return false;
    // Members that survived the first SIGKILL were being forked at that instant; repeat it.
    signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}
