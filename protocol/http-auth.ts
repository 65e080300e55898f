// HTTP authentication of the master's and the agents' endpoints, as Mesos's basic
// authenticator: `Authorization: Basic base64(principal:secret)` checked against the same
// credentials as the runtime handshake. One guard wraps a whole route table, so an endpoint
// cannot be added unguarded.

import { timingSafeEqual } from 'node:crypto';
import type { HttpHandler, HttpRequest, HttpResponse } from '../runtime/index.js';

export interface HttpAuthOptions {
  /** principal → secret. */
  credentials: ReadonlyMap<string, string>;
  /** `--authenticate_http_readonly`: endpoints that only read (GET, HEAD). */
  readonly: boolean;
  /** `--authenticate_http_readwrite`: endpoints that change state (every other method). */
  readwrite: boolean;
}

/** The principal an `Authorization: Basic` header proves, undefined when absent or wrong. */
export function basicPrincipal(req: HttpRequest, credentials: ReadonlyMap<string, string>): string | undefined {
  const header = req.headers['authorization'];
  if (typeof header !== 'string' || header.length > 4096) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const principal = text.slice(0, colon);
  const want = credentials.get(principal);
  if (want === undefined) return undefined;
  const a = Buffer.from(want);
  const b = Buffer.from(text.slice(colon + 1));
  return a.length === b.length && timingSafeEqual(a, b) ? principal : undefined;
}

export function unauthorized(): HttpResponse {
  return { status: 401, headers: { 'www-authenticate': 'Basic realm="mesos"', 'content-type': 'text/plain; charset=utf-8' }, body: 'Unauthorized: this endpoint needs HTTP authentication' };
}

export function forbidden(message: string): HttpResponse {
  return { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `Forbidden: ${message}` };
}

/** Whether `req` must authenticate under `o`; `/health` never does. */
export function needsAuthentication(req: HttpRequest, o: HttpAuthOptions): boolean {
  if (req.path === '/health' || req.path.endsWith('/health')) return false;
  return req.method === 'GET' || req.method === 'HEAD' ? o.readonly : o.readwrite;
}

/**
 * Wraps a handler: a request that must authenticate and does not gets 401 with
 * `WWW-Authenticate`; otherwise the handler sees the principal (undefined: anonymous).
 */
export function guarded(o: HttpAuthOptions, handler: (req: HttpRequest, principal: string | undefined) => HttpResponse | Promise<HttpResponse>): HttpHandler {
  return (req) => {
    const principal = basicPrincipal(req, o.credentials);
    if (principal === undefined && needsAuthentication(req, o)) return unauthorized();
    return handler(req, principal);
  };
}
