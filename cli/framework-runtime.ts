// A runtime for a framework's scheduler driver that the command owns, so that it can trace:
// the driver borrows it (SchedulerDriverOptions.runtime), and the command stops both at the end.

import type { Credential, Logger, Runtime } from '../runtime/index.js';
import { startProtocolRuntime } from '../protocol/index.js';

export interface FrameworkRuntime {
  runtime: Runtime;
  /** Flushes the trace and stops the runtime (after the driver has stopped). */
  stop(): Promise<void>;
}

export async function startFrameworkRuntime(options: { trace?: string; logger?: Logger; ip?: string; credential?: Credential; testEndpoints?: boolean }): Promise<FrameworkRuntime> {
  const { runtime, tracer } = await startProtocolRuntime({
    ip: options.ip ?? '127.0.0.1',
    port: 0,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.trace !== undefined ? { trace: options.trace } : {}),
    ...(options.credential !== undefined ? { auth: { credential: options.credential } } : {}),
    ...(options.testEndpoints ? { testEndpoints: true } : {}),
  });
  return {
    runtime,
    async stop() {
      // Let the last sends (acknowledgement, teardown) leave before the connections close.
      await new Promise((r) => setTimeout(r, 50));
      tracer?.stop();
      await runtime.stop();
    },
  };
}
