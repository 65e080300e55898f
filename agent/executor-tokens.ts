// Per-executor secrets (Mesos's executor authentication tokens): the agent makes one for each
// executor (and executor host) it launches, hands it over in MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
// and its runtime verifies the executor's handshake against it, so only the process the agent
// started can register as that executor and speak for its tasks. A checkpointing framework's
// tokens are checkpointed in the executor's run directory (mode 0600), so a restarted agent can
// still tell its executors from impostors when they re-register.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { executorPrincipal } from '../executor/index.js';

/** The file in an executor's run directory (meta/…/runs/<container_id>/) that holds its token. */
export const TOKEN_FILE = 'executor.token';

/** The id command executors authenticate as: they speak through their framework's executor host. */
export const EXECUTOR_HOST_ID = 'executor-host';

export class ExecutorTokens {
  private readonly secrets = new Map<string, string>();

  /** A fresh secret for this executor, replacing any earlier one; its environment variable. */
  issue(frameworkId: string, executorId: string): Record<string, string> {
    const secret = randomBytes(24).toString('base64url');
    this.secrets.set(executorPrincipal(frameworkId, executorId), secret);
    return { MESOS_EXECUTOR_AUTHENTICATION_TOKEN: secret };
  }

  /** A checkpointed secret, for an executor recovered after an agent restart. */
  restore(frameworkId: string, executorId: string, secret: string): void {
    this.secrets.set(executorPrincipal(frameworkId, executorId), secret);
  }

  secretOf(frameworkId: string, executorId: string): string | undefined {
    return this.secrets.get(executorPrincipal(frameworkId, executorId));
  }

  /** For the runtime's handshake. */
  readonly lookup = (principal: string): string | undefined => this.secrets.get(principal);

  has(frameworkId: string, executorId: string): boolean {
    return this.secrets.has(executorPrincipal(frameworkId, executorId));
  }

  revokeFramework(frameworkId: string): void {
    for (const p of this.secrets.keys()) if (p.startsWith(`executor:${frameworkId}:`)) this.secrets.delete(p);
  }
}

/** Writes a run's token atomically, readable by the agent's user only (created 0600, never wider). */
export async function checkpointToken(runDir: string, secret: string, fsync: boolean): Promise<void> {
  await mkdir(runDir, { recursive: true });
  const path = join(runDir, TOKEN_FILE);
  const tmp = `${path}.tmp.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(secret);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** A run's checkpointed token; undefined when there is none (or it cannot be read). */
export async function readToken(runDir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(join(runDir, TOKEN_FILE), 'utf8')).trim();
    return /^[A-Za-z0-9_-]{16,128}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
