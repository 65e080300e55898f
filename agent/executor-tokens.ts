// Per-executor secrets (Mesos's executor authentication tokens): the agent makes one for each
// executor (and executor host) it launches, hands it over in MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
// and its runtime verifies the executor's handshake against it, so only the process the agent
// started can register as that executor and speak for its tasks.

import { randomBytes } from 'node:crypto';
import { executorPrincipal } from '../executor/index.js';

export class ExecutorTokens {
  private readonly secrets = new Map<string, string>();

  /** A fresh secret for this executor, replacing any earlier one; its environment variable. */
  issue(frameworkId: string, executorId: string): Record<string, string> {
    const secret = randomBytes(24).toString('base64url');
    this.secrets.set(executorPrincipal(frameworkId, executorId), secret);
    return { MESOS_EXECUTOR_AUTHENTICATION_TOKEN: secret };
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
