// Starting a runtime that speaks the Mesos protocol: every message from another runtime is
// checked against the one schema before any handler sees it, and, when asked, every message is
// traced with the framework, task and agent ids it concerns. Masters, agents, drivers and the
// commands all start theirs here.

import { Runtime, startTrace, tlsFromEnv, type RuntimeOptions, type Tracer } from '../runtime/index.js';
import { traceAttributes, validateMessage } from './messages.js';

export interface ProtocolRuntimeOptions extends Omit<RuntimeOptions, 'validate'> {
  /** Appends one JSON line per send, delivery and drop to this file (`--trace`, MESOS_TRACE). */
  trace?: string;
}

export interface ProtocolRuntime {
  runtime: Runtime;
  /** Present when `trace` was given; stop it before the runtime to flush the last lines. */
  tracer: Tracer | undefined;
}

export async function startProtocolRuntime(options: ProtocolRuntimeOptions = {}): Promise<ProtocolRuntime> {
  const { trace, ...runtimeOptions } = options;
  // LIBPROCESS_SSL_* as Mesos reads them: every process started here speaks wss:// and https:// when set.
  const tls = runtimeOptions.tls ?? (runtimeOptions.transport === undefined ? tlsFromEnv() : undefined);
  const runtime = await Runtime.start({ ...runtimeOptions, ...(tls !== undefined ? { tls } : {}), validate: (_name, body) => validateMessage(body) });
  const tracer = trace !== undefined ? startTrace(runtime, trace, { attributes: (m) => ({ ...traceAttributes(m) }) }) : undefined;
  return { runtime, tracer };
}
