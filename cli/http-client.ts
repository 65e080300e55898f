// How the commands speak HTTP to a master (or agent): `https://` when LIBPROCESS_SSL_ENABLED is
// set, verifying the server with LIBPROCESS_SSL_CA_FILE as LIBPROCESS_SSL_VERIFY_CERT says (the
// runtime's own reading of those variables, runtime/tls.ts), and HTTP Basic credentials when
// the user gave a principal and secret (--principal/--secret, or DEFAULT_PRINCIPAL and
// DEFAULT_SECRET as mesos-execute takes them). node:http(s) rather than fetch, because fetch
// takes no CA.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { clientTlsFromEnv, type ClientTlsOptions } from '../runtime/index.js';

export interface HttpResult {
  status: number;
  statusText: string;
  ok: boolean;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpCall {
  method?: string;
  body?: string | URLSearchParams;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Why a request got no answer: one line for the user. */
export class HttpClientError extends Error {}

export class HttpClient {
  readonly scheme: 'http' | 'https';

  constructor(
    private readonly tls: ClientTlsOptions | undefined,
    private readonly credential: { principal: string; secret: string } | undefined,
  ) {
    this.scheme = tls !== undefined ? 'https' : 'http';
  }

  /** The base URL of `host:port` under this client's scheme. */
  base(hostPort: string): string {
    return `${this.scheme}://${hostPort}`;
  }

  request(url: string, call: HttpCall = {}): Promise<HttpResult> {
    const u = new URL(url);
    const body = call.body === undefined ? undefined : String(call.body);
    const headers: Record<string, string> = {
      ...(call.body instanceof URLSearchParams ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...call.headers,
      ...(this.credential ? { authorization: `Basic ${Buffer.from(`${this.credential.principal}:${this.credential.secret}`).toString('base64')}` } : {}),
      ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    };
    const timeoutMs = call.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const options = { method: call.method ?? 'GET', headers, timeout: timeoutMs };
      const onResponse = (res: import('node:http').IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new HttpClientError(err.message)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve({ status, statusText: res.statusMessage ?? '', ok: status >= 200 && status < 300, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      };
      const req = u.protocol === 'https:'
        ? httpsRequest(u, { ...options, ...(this.tls?.ca ? { ca: this.tls.ca } : {}), ...(this.tls?.cert ? { cert: this.tls.cert, key: this.tls.key } : {}), rejectUnauthorized: this.tls?.verifyCert ?? true }, onResponse)
        : httpRequest(u, options, onResponse);
      req.on('timeout', () => req.destroy(new HttpClientError(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', (err: Error & { code?: string }) => reject(err instanceof HttpClientError ? err : new HttpClientError(err.code ?? err.message)));
      req.end(body);
    });
  }
}

/**
 * The client the environment and flags describe. A principal without a secret (or the
 * reverse) is an error naming the flag; bad LIBPROCESS_SSL_* values name their variable.
 */
export function httpClient(flags: { principal?: string | undefined; secret?: string | undefined }, env: NodeJS.ProcessEnv = process.env): HttpClient {
  const principal = flags.principal ?? env['DEFAULT_PRINCIPAL'];
  const secret = flags.secret ?? env['DEFAULT_SECRET'];
  if ((principal === undefined) !== (secret === undefined)) {
    throw new HttpClientError(principal === undefined ? '--secret is given without --principal (or DEFAULT_PRINCIPAL)' : '--principal is given without --secret (or DEFAULT_SECRET)');
  }
  if (principal !== undefined && principal.includes(':')) throw new HttpClientError(`--principal: '${principal}' cannot hold ':' (HTTP Basic)`);
  let tls: ClientTlsOptions | undefined;
  try {
    tls = clientTlsFromEnv(env);
  } catch (err) {
    throw new HttpClientError((err as Error).message);
  }
  return new HttpClient(tls, principal !== undefined && secret !== undefined ? { principal, secret } : undefined);
}
