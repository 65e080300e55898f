// Signalling a process group: how a launcher reaches every process of a task or executor that
// was started in a session of its own (setsid, or spawn's `detached: true`).

/** Sends `signal` to every process of the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (code === 'ESRCH') return false;
    // EPERM: a member belongs to someone else; the group exists but is not ours to signal.
    if (code === 'EPERM') return true;
    throw e;
  }
}
