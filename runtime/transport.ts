// The seam between the runtime and the network. A transport moves opaque frames over
// connections and serves HTTP; the runtime does the handshake, batching, links and everything
// else above it, so the WebSocket transport and the in-memory one behave the same.

import type { HttpHandler } from './http.js';

export interface Conn {
  /** Sends one frame; frames arrive in order or not at all. */
  send(frame: Uint8Array): void;
  /** Closes the connection; onClose fires once, on both sides. */
  close(reason: string): void;
  onOpen: () => void;
  onFrame: (frame: Uint8Array) => void;
  onClose: (reason: string) => void;
  /** Bytes written and not yet taken by the network (ws bufferedAmount); 0 if unknown. */
  buffered?(): number;
  /** Cuts the connection at once, dropping what is unsent. */
  terminate?(reason: string): void;
  /**
   * For tests: onClose fires here at once, but the far end is not told: the socket stays open,
   * what arrives on it is discarded and pings go unanswered, until the far end closes it.
   */
  abandon?(reason: string): void;
  /** For logs: who is at the other end, as the transport sees it. */
  readonly remote: string;
}

export interface TransportHandlers {
  connection(conn: Conn): void;
  http: HttpHandler;
}

export interface Transport {
  /** Starts listening; resolves with the bound address `host:port`. */
  listen(host: string, port: number, handlers: TransportHandlers): Promise<string>;
  /** Dials a runtime; the returned connection calls onOpen, or onClose if it cannot connect. */
  dial(address: string): Conn;
  close(): Promise<void>;
  /** True when no frame is in flight inside the transport (the in-memory one can tell). */
  idle(): boolean;
}
