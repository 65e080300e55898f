// Which user a task runs as (Mesos's --switch_user): CommandInfo.user, else FrameworkInfo.user,
// looked up through the host's name service (getent, so LDAP users resolve too), and the
// sandbox handed to that user. Only an agent running as root can switch.

import { execFile } from 'node:child_process';
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface UserIds {
  name: string;
  uid: number;
  gid: number;
}

export class UnknownUserError extends Error {
  override name = 'UnknownUserError';
  constructor(readonly user: string) {
    // Mesos's words (stout's os::getpwnam failure, as the agent reports it).
    super(`Failed to get user information for '${user}'`);
  }
}

const cache = new Map<string, Promise<UserIds>>();

/** The user's ids; rejects with UnknownUserError when the host does not know the name. */
export function lookupUser(name: string): Promise<UserIds> {
  let p = cache.get(name);
  if (p === undefined) {
    p = getent(name);
    cache.set(name, p);
    // A failed lookup is not remembered: the user may be created later.
    p.catch(() => cache.delete(name));
  }
  return p;
}

function getent(name: string): Promise<UserIds> {
  return new Promise((resolve, reject) => {
    if (name === '' || name.includes(':') || name.includes('\n') || name.startsWith('-')) return reject(new UnknownUserError(name));
    execFile('getent', ['passwd', name], { timeout: 5000 }, (err, stdout) => {
      const fields = err ? undefined : stdout.split('\n')[0]?.split(':');
      const uid = Number(fields?.[2]);
      const gid = Number(fields?.[3]);
      if (!fields || !Number.isInteger(uid) || !Number.isInteger(gid)) return reject(new UnknownUserError(name));
      resolve({ name: fields[0] ?? name, uid, gid });
    });
  });
}

/** The user a task or executor should run as, or undefined to run as the agent's own user. */
export function taskUser(switchUser: boolean, commandUser: string | undefined, frameworkUser: string | undefined): string | undefined {
  if (!switchUser || process.getuid?.() !== 0) return undefined;
  const user = commandUser || frameworkUser || '';
  // root needs no switch, and an empty user means the agent's.
  return user === '' || user === 'root' ? undefined : user;
}

/** Hands the sandbox (and what is already in it, such as stdout and stderr) to the user, as Mesos chowns it. */
export async function chownSandbox(directory: string, user: UserIds): Promise<void> {
  await chown(directory, user.uid, user.gid);
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const p = join(directory, entry.name);
    if (entry.isDirectory()) await chownSandbox(p, user);
    else if (entry.isFile()) await chown(p, user.uid, user.gid);
  }
}
