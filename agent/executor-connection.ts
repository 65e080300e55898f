// An executor's connection to the agent, whatever carries it: a v0 executor driver's actor pid,
// or a v1 HTTP SUBSCRIBE stream (executor-api.ts). The agent's parts speak to an executor only
// through this, so launches, kills, acknowledgements, messages and shutdown are written once for
// both transports.

import type { Pid } from '../runtime/index.js';
import type { ExecutorInbox } from '../protocol/index.js';
import type { AgentContext, ExecutorKey } from './context.js';

export interface ExecutorConnection {
  readonly transport: 'actor' | 'http';
  /**
   * Who calls on this connection come from: the executor's pid, or `http:<stream id>` for an HTTP
   * subscription. A message is the executor's only if it comes from its current connection.
   */
  readonly id: Pid<ExecutorInbox>;
  /** Delivers a message to the executor; over HTTP, as the matching v1 event. */
  send(msg: ExecutorInbox): void;
  /** From now on, the connection breaking arrives as `_ExecutorExited` for this run. */
  watch(key: ExecutorKey): void;
  /** The agent is done with this connection: no exit of it arrives afterwards; a stream is ended. */
  close(): void;
}

/** The connection of a v0 executor driver: its pid, linked to. */
export function actorConnection(ctx: AgentContext, pid: Pid<ExecutorInbox>): ExecutorConnection {
  return {
    transport: 'actor',
    id: pid,
    send: (msg) => ctx.send(pid, msg),
    watch: (key) => ctx.linkWith(pid, { name: '_ExecutorExited', ...key, pid }),
    close: () => ctx.unlink(pid),
  };
}

/** Whether a sender id names an HTTP subscription (which no message can be sent to as a pid). */
export function isHttpConnectionId(id: string): boolean {
  return id.startsWith('http:');
}
