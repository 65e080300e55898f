// A framework's connection to the master, whatever carries it: a v0 scheduler driver's actor
// pid, or a v1 HTTP event stream (scheduler-http.ts). The master's handlers speak to a framework
// only through this, so offers, updates, errors and failover are written once for both.

import type { Pid } from '../runtime/index.js';
import type { SchedulerInbox } from '../protocol/index.js';
import type { MasterContext } from './context.js';

export interface FrameworkConnection {
  readonly transport: 'actor' | 'http';
  /**
   * Who calls on this connection come from: the scheduler's pid, or `http:<Mesos-Stream-Id>`
   * for an HTTP subscription. A call is the framework's only if it comes from its current
   * connection (Mesos's `framework->pid == from`, and the stream id check).
   */
  readonly id: string;
  /** The v0 scheduler's pid (RunTask.pid, UpdateFramework.pid); undefined over HTTP. */
  readonly pid: Pid<SchedulerInbox> | undefined;
  /** The principal the connection proved (handshake or HTTP authentication). */
  readonly principal: string | undefined;
  /** Delivers a message to the scheduler; over HTTP, as the matching v1 event. */
  send(msg: SchedulerInbox): void;
  /** From now on, the connection breaking disconnects `frameworkId` (a `_FrameworkExited`). */
  watch(frameworkId: string): void;
  /**
   * A subscription refused without an answer on the actor transport (the driver retries);
   * an HTTP stream, which must be answered, gets an ERROR event and is closed.
   */
  refuse(message: string): void;
  /** Ends the connection from the master's side (failover, removal). */
  close(): void;
}

/** The connection of a v0 scheduler driver: its pid, linked to. */
export function actorConnection(ctx: MasterContext, pid: Pid<SchedulerInbox>): FrameworkConnection {
  return {
    transport: 'actor',
    id: pid,
    pid,
    principal: ctx.principalOf(pid),
    send: (msg) => ctx.send(pid, msg),
    watch: (frameworkId) => ctx.linkWith(pid, { name: '_FrameworkExited', framework_id: frameworkId, pid }),
    refuse: () => undefined,
    close: () => undefined,
  };
}

/** The sender id calls arriving on `conn` are handled as (the handlers compare it to the framework's connection). */
export function senderOf(conn: FrameworkConnection): Pid {
  return conn.id as Pid;
}
