// HTTP as the runtime sees it: a request and a response as plain values, so the same handlers
// serve real sockets (the WebSocket transport's HTTP server) and in-process tests.

import { Readable } from 'node:stream';
import { jsonPieces, jsonText } from './json-text.js';

export interface HttpRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/master/state`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string or bytes as is; anything else is sent as JSON. */
  body?: unknown;
  /** For large downloads: streamed instead of `body`. */
  stream?: Readable;
}

export type HttpHandler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export function json(body: unknown, status = 200): HttpResponse {
  return { status, body };
}

/**
 * A JSON answer serialized now: for a view whose parts are built as it is written (toJSON), so
 * that it shows the state of this instant and not of whenever the transport writes it. Written
 * by jsonText, so parts kept as JSON text (JsonText) are copied in, not rebuilt. An answer of
 * one piece is sent as UTF-8 bytes, encoded once and not again by the socket; one with kept
 * texts is streamed from its pieces as the socket takes them. Those are all strings made
 * already, so the answer is still of this instant, and a 70 MB `/state` is never one string
 * or one buffer (each of which would set off a collection of the whole heap).
 */
export function jsonNow(res: HttpResponse): HttpResponse {
  if (res.body === undefined || typeof res.body === 'string' || res.body instanceof Uint8Array || res.stream !== undefined) return res;
  const pieces = jsonPieces(res.body);
  const headers = { 'content-type': 'application/json', ...res.headers };
  if (pieces.length === 1) return { ...res, headers, body: Buffer.from(pieces[0]!) };
  return { status: res.status, headers, stream: Readable.from(inChunks(pieces)) };
}

/** Pieces joined into chunks of about CHUNK characters (a longer piece is a chunk by itself). */
function* inChunks(pieces: readonly string[]): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  for (const p of pieces) {
    batch.push(p);
    size += p.length;
    if (size >= CHUNK) {
      yield batch.length === 1 ? p : batch.join('');
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield batch.join('');
}

const CHUNK = 64 * 1024;

export function badRequest(message: string): HttpResponse {
  return { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}

export function notFound(message = 'Not found'): HttpResponse {
  return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}

export function request(method: string, url: string, body?: unknown): HttpRequest {
  const u = new URL(url, 'http://local');
  const bytes = body === undefined ? new Uint8Array() : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { method, path: u.pathname, query: u.searchParams, headers: {}, body: bytes };
}

/**
 * `?jsonp=NAME` wraps a JSON answer as `NAME(<json>);` with `text/javascript`, as libprocess
 * does for every JSON endpoint (Mesos's web UI reads everything this way); a callback that is
 * not a plain JavaScript name gets 400.
 */
export function withJsonp(req: HttpRequest, res: HttpResponse): HttpResponse {
  const fn = req.query.get('jsonp');
  if (fn === null || res.status !== 200 || res.stream !== undefined || res.body === undefined || res.body === '') return res;
  if (!/^[A-Za-z_$][\w$.]*$/.test(fn)) return badRequest(`Invalid jsonp callback '${fn.slice(0, 64)}'`);
  const contentType = res.headers?.['content-type'];
  if (contentType !== undefined && !contentType.startsWith('application/json')) return res;
  const body = typeof res.body === 'string' ? res.body : res.body instanceof Uint8Array ? Buffer.from(res.body).toString('utf8') : jsonText(res.body);
  return { status: 200, headers: { ...res.headers, 'content-type': 'text/javascript' }, body: `${fn}(${body});` };
}
