// The real transport: one Node HTTP server per runtime serves both HTTP routes and WebSocket
// connections on one port. Each connection is pinged; one that misses a pong within the
// heartbeat window is terminated, so a half-open peer (stopped, partitioned) is detected
// instead of waited out (libprocess needed 75 s of application pings for this).

import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { jsonNow, request as makeRequest, type HttpHandler, type HttpResponse } from './http.js';
import type { TlsOptions } from './tls.js';
import type { Conn, Transport, TransportHandlers } from './transport.js';

export interface WebSocketTransportOptions {
  /** How often each connection is pinged; a connection silent for two periods in a row is dead. */
  heartbeatMs?: number;
  /** Largest frame accepted; a larger one closes the connection. */
  maxFrameBytes?: number;
  /** Largest HTTP request body accepted. */
  maxHttpBodyBytes?: number;
  /** TLS: serve `https://` and `wss://` only, and dial `wss://`. */
  tls?: TlsOptions;
  /** A request whose headers have not all arrived by then is answered 408 and closed (10 s). */
  headersTimeoutMs?: number;
  /** A request not fully received by then is answered 408 and closed (60 s). */
  requestTimeoutMs?: number;
  /** Most open sockets (HTTP and WebSocket together); more are closed on arrival (4096). */
  maxConnections?: number;
}

class WsConn implements Conn {
  onOpen: () => void = () => {};
  onFrame: (frame: Uint8Array) => void = () => {};
  onClose: (reason: string) => void = () => {};
  alive = true;
  /** Given up at this end only (abandon): no heartbeat, no frames, no pongs. */
  abandoned = false;
  /** Consecutive heartbeat periods without a frame or pong from the peer. */
  missed = 0;
  private closed = false;
  private closeReason: string | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly remote: string,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => this.onOpen());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.abandoned) return;
      this.alive = true;
      // A text frame is not ours: hand over an empty frame, which fails to decode and is counted.
      this.onFrame(isBinary ? (data as Buffer) : Buffer.alloc(1, 0xc1));
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (err: Error & { code?: string }) => {
      this.closeReason ??= err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'oversized frame' : `error: ${err.message}`;
    });
    ws.on('close', (code: number, reason: Buffer) => this.finish(this.closeReason ?? (reason.length ? reason.toString() : `closed (${code})`)));
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary: true });
  }

  close(reason: string): void {
    this.closeReason ??= reason;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(4000, reason.slice(0, 120));
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  terminate(reason: string): void {
    this.closeReason ??= reason;
    this.ws.terminate();
  }

  abandon(reason: string): void {
    if (this.closed) return;
    this.abandoned = true;
    // ws answers pings by itself unless told not to; an abandoned end must stay silent.
    (this.ws as unknown as { _autoPong: boolean })._autoPong = false;
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(reason);
  }
}

export class WebSocketTransport implements Transport {
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly conns = new Set<WsConn>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  private lastBeat = 0;
  private readonly maxFrameBytes: number;
  private readonly maxHttpBodyBytes: number;
  private readonly options: WebSocketTransportOptions;

  constructor(options: WebSocketTransportOptions = {}) {
    this.options = options;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.maxFrameBytes = options.maxFrameBytes ?? 64 * 1024 * 1024;
    this.maxHttpBodyBytes = options.maxHttpBodyBytes ?? 8 * 1024 * 1024;
  }

  async listen(host: string, port: number, handlers: TransportHandlers): Promise<string> {
    const headersTimeout = this.options.headersTimeoutMs ?? 10_000;
    const serverOptions: ServerOptions = {
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, this.options.requestTimeoutMs ?? 60_000),
      // How often those timeouts are checked; Node's default of 30 s would let them overshoot.
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      keepAliveTimeout: 5000,
    };
    const serve = (req: IncomingMessage, res: ServerResponse): void => void this.serveHttp(req, res, handlers.http);
    const tls = this.options.tls;
    const server: Server = tls
      ? createTlsServer({ ...serverOptions, cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.verifyCert || tls.requireCert, rejectUnauthorized: tls.requireCert }, serve)
      : createServer(serverOptions, serve);
    server.maxConnections = this.options.maxConnections ?? 4096;
    // A client that breaks the TLS or HTTP framing only loses its own socket.
    server.on('clientError', (_err, socket) => socket.destroy());
    server.on('tlsClientError', () => {});
    const wss = new WebSocketServer({ server, maxPayload: this.maxFrameBytes, perMessageDeflate: false });
    wss.on('connection', (ws, req) => {
      const conn = this.track(new WsConn(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
      handlers.connection(conn);
    });
    wss.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.wss = wss;
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    const bound = server.address() as AddressInfo;
    return `${host}:${bound.port}`;
  }

  dial(address: string): Conn {
    const tls = this.options.tls;
    const ws = tls
      ? new WebSocket(`wss://${address}/`, { perMessageDeflate: false, maxPayload: this.maxFrameBytes, handshakeTimeout: 10_000, cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), rejectUnauthorized: tls.verifyCert })
      : new WebSocket(`ws://${address}/`, { perMessageDeflate: false, maxPayload: this.maxFrameBytes, handshakeTimeout: 10_000 });
    return this.track(new WsConn(ws, address));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const c of this.conns) c.terminate('runtime stopped');
    this.wss?.close();
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  idle(): boolean {
    return true;
  }

  private track(conn: WsConn): WsConn {
    this.conns.add(conn);
    conn.ws.on('close', () => this.conns.delete(conn));
    return conn;
  }

  /**
   * One heartbeat period. A connection is dead after two periods in a row with nothing from
   * the peer. Judged after this turn's I/O (setImmediate): a timer that comes due while the loop
   * is busy runs before the sockets are read, and a pong already received must count. A beat
   * that comes late (this process was starved: a loaded machine, a long GC) judges nobody: the
   * peers' silence was ours.
   */
  private beat(): void {
    const now = performance.now();
    const starved = this.lastBeat !== 0 && now - this.lastBeat > 1.5 * this.heartbeatMs;
    this.lastBeat = now;
    setImmediate(() => {
      for (const conn of this.conns) {
        if (conn.ws.readyState !== WebSocket.OPEN || conn.abandoned) continue;
        conn.missed = conn.alive || starved ? 0 : conn.missed + 1;
        if (conn.missed >= 2) {
          conn.terminate('heartbeat timeout: no pong from peer');
          continue;
        }
        conn.alive = false;
        conn.ws.ping();
      }
    });
  }

  private async serveHttp(req: IncomingMessage, res: ServerResponse, handler: HttpHandler): Promise<void> {
    let response: HttpResponse;
    try {
      const body = await readBody(req, this.maxHttpBodyBytes);
      if (body === undefined) {
        response = { status: 413, body: `request body larger than ${this.maxHttpBodyBytes} bytes` };
      } else {
        const r = makeRequest(req.method ?? 'GET', req.url ?? '/');
        response = await handler({ ...r, headers: req.headers as Record<string, string | undefined>, body });
      }
    } catch (err) {
      response = { status: 500, body: `internal error: ${(err as Error).message}` };
    }
    try {
      writeResponse(res, response);
    } catch (err) {
      // A body that cannot be serialized, or a header value that is not valid: still an answer.
      response.stream?.destroy();
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`internal error: ${(err as Error).message}`);
    }
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function writeResponse(res: ServerResponse, r: HttpResponse): void {
  // JSON as bytes, or as a stream of its pieces (jsonNow).
  const answer = jsonNow(r);
  if (answer.stream) {
    res.writeHead(answer.status, { ...answer.headers });
    // A client that goes away ends the stream too (pipe alone would leave it open: an fd, an event source).
    const stream = answer.stream;
    res.once('close', () => stream.destroy());
    stream.once('error', () => res.destroy());
    stream.pipe(res);
    return;
  }
  const headers: Record<string, string> = { ...answer.headers };
  const payload = (answer.body ?? '') as string | Uint8Array;
  if (typeof payload === 'string') headers['content-type'] ??= 'text/plain; charset=utf-8';
  res.writeHead(answer.status, headers);
  res.end(payload);
}
