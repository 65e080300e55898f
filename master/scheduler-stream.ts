// The HTTP transport of a framework connection: a v1 SUBSCRIBE's RecordIO event stream. The
// master's messages to a scheduler become v1 Events (FrameworkRegistered → SUBSCRIBED,
// ResourceOffers → OFFERS, …), encoded in the media type the subscriber accepted, one record per
// write (one chunk, as Mesos writes them). Heartbeats run on the master's clock.

import { Readable } from 'node:stream';
import type { Pid } from '../runtime/index.js';
import { encodeMessage, encodeRecord, type MediaType, type SchedulerInbox } from '../protocol/index.js';
import { dropped, timerKeys, type MasterContext } from './context.js';
import type { FrameworkConnection } from './framework-connection.js';

/** Seconds between HEARTBEAT events (Mesos's DEFAULT_HEARTBEAT_INTERVAL, not configurable). */
export const HEARTBEAT_INTERVAL_SECONDS = 15;
/**
 * Bytes of events a subscriber may leave unread before the master gives up on it: a stream
 * opened and never read costs at most this, then it is closed and the framework disconnected.
 */
export const MAX_STREAM_BACKLOG_BYTES = 4 * 1024 * 1024;

/** A v1 scheduler Event, in the shape of mesos-ts's types. */
export type SchedulerEvent = { type: string } & Record<string, unknown>;

export class HttpSchedulerConnection implements FrameworkConnection {
  readonly transport = 'http';
  readonly id: string;
  readonly pid = undefined;
  readonly stream = new Readable({ read() {} });
  private frameworkId: string | undefined;
  private closed = false;

  constructor(
    private readonly ctx: MasterContext,
    readonly streamId: string,
    readonly media: MediaType,
    readonly principal: string | undefined,
  ) {
    this.id = `http:${streamId}`;
    // The subscriber went away (or the master ended the stream): the framework disconnects.
    this.stream.once('close', () => {
      this.closed = true;
      if (this.frameworkId !== undefined) ctx.send(ctx.self, { name: '_FrameworkExited', framework_id: this.frameworkId, pid: this.id as Pid });
    });
  }

  send(msg: SchedulerInbox): void {
    const event = toEvent(msg);
    if (event !== undefined) this.write(event);
    if (event?.type === 'SUBSCRIBED') this.heartbeat();
    if (msg.name === 'FrameworkError') this.close();
  }

  watch(frameworkId: string): void {
    this.frameworkId = frameworkId;
  }

  refuse(message: string): void {
    this.write({ type: 'ERROR', error: { message } });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.push(null);
  }

  /** Sends a HEARTBEAT and arms the next one. */
  heartbeat(): void {
    if (this.closed || this.frameworkId === undefined) return;
    this.write({ type: 'HEARTBEAT' });
    this.ctx.startTimer(timerKeys.heartbeat(this.frameworkId), HEARTBEAT_INTERVAL_SECONDS * 1000, { name: '_SchedulerHeartbeat', framework_id: this.frameworkId, connection: this.id });
  }

  private write(event: SchedulerEvent): void {
    if (this.closed) return;
    if (this.stream.readableLength > MAX_STREAM_BACKLOG_BYTES) {
      dropped(this.ctx, `scheduler event ${event.type}`, `the subscriber of stream ${this.streamId} left more than ${MAX_STREAM_BACKLOG_BYTES} bytes unread; closing it`);
      this.stream.destroy();
      return;
    }
    let payload: Buffer;
    try {
      payload = encodeMessage('scheduler.Event', this.media, event);
    } catch (err) {
      return dropped(this.ctx, `scheduler event ${event.type}`, `it cannot be encoded: ${(err as Error).message}`);
    }
    this.stream.push(encodeRecord(payload));
  }
}

/** The v1 event a master→scheduler message is (undefined: nothing to tell over HTTP). */
export function toEvent(msg: SchedulerInbox): SchedulerEvent | undefined {
  switch (msg.name) {
    case 'FrameworkRegistered':
    case 'FrameworkReregistered':
      return { type: 'SUBSCRIBED', subscribed: { framework_id: msg.framework_id, heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS, master_info: msg.master_info } };
    case 'FrameworkError':
      return { type: 'ERROR', error: { message: msg.message } };
    case 'ResourceOffers':
      return { type: 'OFFERS', offers: { offers: msg.offers } };
    case 'RescindResourceOffer':
      return { type: 'RESCIND', rescind: { offer_id: msg.offer_id } };
    case 'StatusUpdate': {
      const u = msg.update;
      // Updates the master makes up (no sender pid) are never acknowledged, so carry no uuid.
      const { uuid: _own, ...status } = u.status;
      const uuid = msg.pid === undefined || msg.pid === '' ? undefined : (u.status.uuid ?? u.uuid);
      return {
        type: 'UPDATE',
        update: {
          status: {
            ...status,
            ...(status.agent_id === undefined && u.agent_id !== undefined ? { agent_id: u.agent_id } : {}),
            ...(status.executor_id === undefined && u.executor_id !== undefined ? { executor_id: u.executor_id } : {}),
            ...(uuid !== undefined ? { uuid } : {}),
          },
        },
      };
    }
    case 'LostAgent':
      return { type: 'FAILURE', failure: { agent_id: msg.agent_id } };
    case 'ExitedExecutor':
      return { type: 'FAILURE', failure: { agent_id: msg.agent_id, executor_id: msg.executor_id, status: msg.status } };
    case 'ExecutorToFramework':
      return { type: 'MESSAGE', message: { agent_id: msg.agent_id, executor_id: msg.executor_id, data: msg.data } };
  }
}

/** Timer `heartbeat:<framework id>`: the next HEARTBEAT, if that stream is still the framework's. */
export function schedulerHeartbeat(ctx: MasterContext, frameworkId: string, connection: string): void {
  const fw = ctx.state.frameworks.get(frameworkId);
  if (fw === undefined || !fw.connected || fw.conn?.id !== connection || !(fw.conn instanceof HttpSchedulerConnection)) return;
  fw.conn.heartbeat();
}
