// A container as the POSIX containerizer sees it: one process group whose id is the executor's
// pid (spawned with setsid, as `detached: true` does). Signals go to the whole group, and
// liveness ignores zombies, which still hold their pid until some parent reaps them.

import { descendants, processGroupMembers, processTable, readEnviron, readProcStat, type ProcStat } from './proc.js';
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

/**
 * What an agent started, found from outside: the processes descended from `roots` (executors and
 * executor hosts of a previous incarnation), and any process whose environment names this agent
 * and a sandbox below its work_dir (a task whose parent is gone has been re-parented, but keeps
 * the MESOS_* variables it was started with). Command tasks lead process groups of their own,
 * which no signal to their executor's group reaches.
 */
export async function agentProcesses(o: { roots: readonly number[]; agentId: string; workDir: string }): Promise<ProcStat[]> {
  const table = await processTable();
  if (table === undefined) return [];
  const ours = descendants(table, o.roots.filter((pid) => table.some((s) => s.pid === pid)));
  const prefix = o.workDir.endsWith('/') ? o.workDir : `${o.workDir}/`;
  await Promise.all(
    table.map(async (s) => {
      if (ours.has(s.pid) || s.pid === process.pid || s.state === 'Z') return;
      const env = await readEnviron(s.pid);
      const agent = env?.get('MESOS_AGENT_ID') ?? env?.get('MESOS_SLAVE_ID');
      const sandbox = env?.get('MESOS_SANDBOX') ?? env?.get('MESOS_DIRECTORY') ?? '';
      if (agent === o.agentId && sandbox.startsWith(prefix)) ours.add(s.pid);
    }),
  );
  ours.delete(process.pid);
  return table.filter((s) => ours.has(s.pid) && s.state !== 'Z');
}

/**
 * SIGKILLs everything agentProcesses() finds, group by group, until a scan finds nothing left
 * (a process being forked at the first scan is caught by the next). Resolves with what could
 * not be killed within `maxWaitMs` (empty: all gone).
 */
export async function killAgentProcesses(o: { roots: readonly number[]; agentId: string; workDir: string }, maxWaitMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const left = await agentProcesses(o);
    if (left.length === 0) return [];
    if (Date.now() >= deadline) return left.map((s) => s.pid);
    const pids = new Set(left.map((s) => s.pid));
    for (const s of left) {
      // A group is signalled only when its leader is ours: never a stranger's group.
      if (pids.has(s.pgrp)) signalGroup(s.pgrp, 'SIGKILL');
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}
