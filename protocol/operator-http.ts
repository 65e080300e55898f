// The transport half of Mesos's operator API (`POST /api/v1`), which master and agent share:
// the checks Mesos's `Http::api` makes, in its order (method, Content-Type, body, call type,
// Accept), answers in the negotiated media type, and the RecordIO stream SUBSCRIBE writes.
// Only JSON bodies are decoded here; application/x-protobuf is answered 415 until the
// operator messages have a protobuf schema.

import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse } from '../runtime/index.js';
import { bytesToBase64 } from './types.js';

export const APPLICATION_JSON = 'application/json';
export const APPLICATION_PROTOBUF = 'application/x-protobuf';

/** A call as decoded: its type and the whole JSON object (the sub-message sits under the type in lower case). */
export interface OperatorCall {
  type: string;
  body: Record<string, unknown>;
}

export function text(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: message };
}

/**
 * Whether an `Accept` header admits `type` (libprocess's Request::acceptsMediaType): a missing
 * header admits anything; otherwise the most specific matching range decides, and q=0 refuses.
 */
export function accepts(header: string | undefined, type: string): boolean {
  if (header === undefined || header.trim() === '') return true;
  const [main] = type.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim());
    const r = range.toLowerCase();
    const specificity = r === type ? 3 : r === `${main}/*` ? 2 : r === '*/*' ? 1 : 0;
    if (specificity === 0) continue;
    const qParam = params.find((p) => p.toLowerCase().startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (best === undefined || specificity > best.specificity) best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best !== undefined && best.q > 0;
}

/**
 * Decodes a `POST /api/v1` request into a call, or the answer Mesos gives: 405 for another
 * method, 400 without Content-Type, 415 for a media type it does not read, 400 for a body that
 * is not a JSON object or has no call type (an unknown type name leaves it unset, as Mesos's
 * JSON mapping does), 406 when the Accept header admits no JSON.
 */
export function decodeOperatorCall(req: HttpRequest, knownTypes: ReadonlySet<string>): OperatorCall | HttpResponse {
  if (req.method !== 'POST') return text(405, `Expecting a 'POST' request, received '${req.method}'`, { allow: 'POST' });
  const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType === undefined || contentType === '') return text(400, "Expecting 'Content-Type' to be present");
  if (contentType === APPLICATION_PROTOBUF) return text(415, `Content-Type '${APPLICATION_PROTOBUF}' is not supported by this operator API yet; use '${APPLICATION_JSON}'`);
  if (contentType !== APPLICATION_JSON) return text(415, `Expecting 'Content-Type' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(req.body).toString('utf8'));
  } catch (err) {
    return text(400, `Failed to parse body into JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return text(400, 'Failed to convert JSON into Call protobuf: expecting a JSON object');
  const body = parsed as Record<string, unknown>;
  const type = body['type'];
  if (type === undefined || type === null) return text(400, "Failed to validate master::Call: Expecting 'type' to be present");
  if (typeof type !== 'string') return text(400, "Failed to convert JSON into Call protobuf: 'type' must be a string");
  if (!knownTypes.has(type)) return text(400, `Failed to validate master::Call: Expecting 'type' to be present (unknown call type '${type.slice(0, 64)}')`);
  if (!accepts(req.headers['accept'], APPLICATION_JSON)) return text(406, `Expecting 'Accept' to allow '${APPLICATION_JSON}' or '${APPLICATION_PROTOBUF}'`);
  return { type, body };
}

/** The sub-message of a call (`get_metrics` for GET_METRICS), or an empty one. */
export function subMessage(call: OperatorCall): Record<string, unknown> {
  const sub = call.body[call.type.toLowerCase()];
  return typeof sub === 'object' && sub !== null && !Array.isArray(sub) ? (sub as Record<string, unknown>) : {};
}

/** bytes fields are base64 in Mesos's JSON mapping. The holder's value is checked because a Buffer's toJSON runs before a replacer sees it. */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  return original instanceof Uint8Array ? bytesToBase64(original) : value;
}

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** A Response (or Event) `{type, <type in lower case>: payload}`; HEARTBEAT-like types carry none. */
export function message(type: string, payload?: unknown): Record<string, unknown> {
  return payload === undefined ? { type } : { type, [type.toLowerCase()]: payload };
}

export function jsonAnswer(type: string, payload: unknown): HttpResponse {
  return { status: 200, headers: { 'content-type': APPLICATION_JSON }, body: encodeJson(message(type, payload)) };
}

/** One RecordIO record: the payload's length in bytes, a newline, the payload. */
export function recordio(payload: string): Buffer {
  const bytes = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length}\n`), bytes]);
}

/**
 * A SUBSCRIBE response body: records pushed as they happen, one chunk each. A reader that does
 * not keep up is cut once `maxBufferedBytes` wait for it, so a stream opened and never read
 * costs a bounded amount of memory.
 */
export class RecordIOStream {
  readonly stream = new Readable({ read() {} });
  private closed = false;

  constructor(private readonly maxBufferedBytes: number) {
    this.stream.once('close', () => (this.closed = true));
  }

  get open(): boolean {
    return !this.closed;
  }

  /** Writes one record; false (and the stream is closed) when the reader fell too far behind. */
  write(value: unknown): boolean {
    if (this.closed) return false;
    if (this.stream.readableLength > this.maxBufferedBytes) {
      this.close();
      return false;
    }
    this.stream.push(recordio(encodeJson(value)));
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.push(null);
  }

  response(): HttpResponse {
    return { status: 200, headers: { 'content-type': APPLICATION_JSON, 'cache-control': 'no-store' }, stream: this.stream };
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
