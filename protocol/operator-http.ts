// The transport half of Mesos's operator API (`POST /api/v1`), which master and agent share,
// on the v1 layer (protocol/v1: content negotiation, the protobuf schema and JSON mapping,
// RecordIO): the checks Mesos's `Http::api` makes, in its order (method, Content-Type, body,
// call type, Accept), answers in the negotiated media type, and the RecordIO stream SUBSCRIBE
// writes.

import { Readable } from 'node:stream';
import { logControl, type HttpRequest, type HttpResponse } from '../runtime/index.js';
import { acceptedMediaType, contentTypeOf, decodeMessage, encodeMessage, encodeRecord, extendSchema, notAcceptable, requestMediaType, type MediaType } from './v1/index.js';
import { OPERATOR_V1_SCHEMA } from './v1/operator-schema.js';

extendSchema(OPERATOR_V1_SCHEMA);

/** Which side's messages: the master's (`master.Call`, `master.Response`, `master.Event`) or an agent's. */
export type OperatorSide = 'master' | 'agent';

/** A call as decoded: its type, the whole message (the sub-message sits under the type in lower case), the answer's media type. */
export interface OperatorCall {
  type: string;
  body: Record<string, unknown>;
  side: OperatorSide;
  accept: MediaType;
}

export function text(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: message };
}

/**
 * Decodes a `POST /api/v1` request into a call, or the answer Mesos gives: 405 for another
 * method, 400 without Content-Type, 415 for a media type it does not read, 400 for a body that
 * does not decode or has no call type (an unknown type name leaves it unset, as Mesos's JSON
 * mapping does), 406 when the Accept header admits neither JSON nor protobuf.
 */
export function decodeOperatorCall(req: HttpRequest, side: OperatorSide, knownTypes: ReadonlySet<string>): OperatorCall | HttpResponse {
  if (req.method !== 'POST') return text(405, `Expecting a 'POST' request, received '${req.method}'`, { allow: 'POST' });
  const media = requestMediaType(req.headers);
  if (typeof media !== 'string') return text(media.status, media.message);
  const decoded = decodeMessage<Record<string, unknown>>(`${side}.Call`, media, req.body);
  if (!decoded.ok) return text(400, decoded.error);
  const body = decoded.value;
  const type = body['type'];
  if (typeof type !== 'string' || type === 'UNKNOWN') return text(400, `Failed to validate ${side}::Call: Expecting 'type' to be present`);
  if (!knownTypes.has(type)) return text(501, `${type} is not implemented by this ${side}`);
  const accept = acceptedMediaType(req.headers);
  if (accept === undefined) {
    const refused = notAcceptable();
    return text(refused.status, refused.message);
  }
  return { type, body, side, accept };
}

/** The sub-message of a call (`get_metrics` for GET_METRICS), or an empty one. */
export function subMessage(call: OperatorCall): Record<string, unknown> {
  const sub = call.body[call.type.toLowerCase()];
  return typeof sub === 'object' && sub !== null && !Array.isArray(sub) ? (sub as Record<string, unknown>) : {};
}

/** A Response (or Event) `{type, <type in lower case>: payload}`; HEARTBEAT-like types carry none. */
export function message(type: string, payload?: unknown): Record<string, unknown> {
  return payload === undefined ? { type } : { type, [type.toLowerCase()]: payload };
}

/** The 200 answer to `call`: a Response of `type` with `payload`, in the media the caller accepts. */
export function answer(call: OperatorCall, type: string, payload: unknown): HttpResponse {
  return { status: 200, headers: { 'content-type': contentTypeOf(call.accept) }, body: encodeMessage(`${call.side}.Response`, call.accept, message(type, payload)) };
}

/**
 * A SUBSCRIBE response body: Events pushed as they happen, one record per chunk, in the media
 * the subscriber accepts. A reader that does not keep up is cut once `maxBufferedBytes` wait
 * for it, so a stream opened and never read costs a bounded amount of memory.
 */
export class RecordIOStream {
  readonly stream = new Readable({ read() {} });
  private closed = false;

  constructor(
    private readonly media: MediaType,
    private readonly maxBufferedBytes: number,
  ) {
    this.stream.once('close', () => (this.closed = true));
  }

  /** Writes one Event; false (and the stream is closed) when the reader fell too far behind. */
  write(event: Record<string, unknown>): boolean {
    if (this.closed) return false;
    if (this.stream.readableLength > this.maxBufferedBytes) {
      this.close();
      return false;
    }
    this.stream.push(encodeRecord(encodeMessage('master.Event', this.media, event)));
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.push(null);
  }

  response(): HttpResponse {
    return { status: 200, headers: { 'content-type': contentTypeOf(this.media), 'cache-control': 'no-store' }, stream: this.stream };
  }
}

/** A protobuf Duration-like `{nanoseconds}` as milliseconds, or undefined when it is not one. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ns = Number((value as { nanoseconds?: unknown }).nanoseconds);
  return Number.isFinite(ns) && ns >= 0 ? ns / 1e6 : undefined;
}

/** Milliseconds as Mesos's TimeInfo/DurationInfo `{nanoseconds}`. */
export function nanos(ms: number): { nanoseconds: number } {
  return { nanoseconds: Math.round(ms * 1e6) };
}

/** GET_LOGGING_LEVEL: glog's VLOG level in force, as /logging/toggle sets it (0: the configured level, 1: debug, 2: trace). */
export function loggingLevel(call: OperatorCall): HttpResponse {
  const c = logControl();
  const now = c?.current();
  const level = c === undefined || now === undefined || now.level === c.level ? 0 : now.level === 'debug' ? 1 : now.level === 'trace' ? 2 : 0;
  return answer(call, 'GET_LOGGING_LEVEL', { level });
}

/** SET_LOGGING_LEVEL: the level for `duration`, then back to the configured one; 200 with no body, as Mesos answers. */
export function setLoggingLevel(call: OperatorCall): HttpResponse {
  const sub = subMessage(call);
  const level = Number(sub['level']);
  const ms = durationMs(sub['duration']);
  if (sub['level'] === undefined || !Number.isInteger(level) || level < 0) return text(400, "Expecting 'set_logging_level.level' to be a non-negative integer");
  if (ms === undefined) return text(400, "Expecting 'set_logging_level.duration' to be present: {\"nanoseconds\": …}");
  const c = logControl();
  if (c === undefined) return text(503, 'This process has no logger to set');
  c.toggle(level === 0 ? c.level : level === 1 ? 'debug' : 'trace', ms);
  return { status: 200, body: '' };
}
