// A hostile peer that speaks the runtime's frame format by hand (runtime/wire.ts,
// runtime/handshake.ts) over a raw `ws` client: it listens at an address of its own so it can
// answer the return-routability probe for the nonces it sent, or claim someone else's address.

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Packr, unpackMultiple } from 'msgpackr';
import { WebSocket, WebSocketServer } from 'ws';
import { AUTH, HELLO, PROBE, PROBE_ACK } from '../../runtime/handshake.js';
import { PROTOCOL_VERSION } from '../../runtime/index.js';

export const packr = new Packr({ useRecords: false });

/** A frame as the runtime writes it: concatenated MessagePack values. */
export function frame(...items: unknown[]): Buffer {
  return Buffer.concat(items.map((i) => packr.pack(i)));
}

export interface RawPeer {
  /** The address it listens at (and answers probes on). */
  address: string;
  ws: WebSocket;
  /** Resolves once the target answered HELLO (undefined if it closed instead) and AUTH went out. */
  opened: Promise<boolean>;
  closed: Promise<string>;
  received: unknown[];
  send(...items: unknown[]): void;
  stop(): Promise<void>;
}

/**
 * Dials `target`; introduces itself as `claim` (its own address by default). Its listener
 * vouches only for its own nonces, so a claim of another address is for the target to check.
 */
export async function rawPeer(target: string, opts: { claim?: string; version?: number } = {}): Promise<RawPeer> {
  const nonce = randomBytes(18).toString('base64url');
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('connection', (s) => {
    s.on('message', (data: Buffer) => {
      unpackMultiple(data, (item: unknown) => {
        const it = item as unknown[];
        if (it[0] === PROBE) s.send(frame([PROBE_ACK, it[1], it[1] === nonce]));
      });
    });
  });
  const ws = new WebSocket(`ws://${target}/`, { perMessageDeflate: false });
  const received: unknown[] = [];
  let onHello: (ok: boolean) => void = () => {};
  const opened = new Promise<boolean>((r) => (onHello = r));
  const closed = new Promise<string>((r) => ws.once('close', (code, reason) => r(`${code} ${reason.toString()}`)));
  void closed.then(() => onHello(false));
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => {
    try {
      unpackMultiple(data, (item: unknown) => {
        const it = item as unknown[];
        if (it[0] === HELLO) {
          ws.send(frame([AUTH, null, null]));
          onHello(true);
        } else received.push(item);
      });
    } catch {
      /* not ours to judge */
    }
  });
  ws.once('open', () => ws.send(frame([HELLO, opts.claim ?? address, randomBytes(8).toString('hex'), opts.version ?? PROTOCOL_VERSION, nonce, null])));
  return {
    address,
    ws,
    opened,
    closed,
    received,
    send: (...items) => ws.send(frame(...items)),
    stop: async () => {
      ws.terminate();
      await new Promise((r) => server.close(r));
    },
  };
}

/** An envelope as [to, from, name, id, cause, body]. */
export function envelope(to: string, from: string, body: { name: string } & Record<string, unknown>): unknown[] {
  return [to, from, body.name, `${randomBytes(3).toString('hex')}.1`, null, body];
}

export async function metrics(address: string): Promise<Record<string, number>> {
  const r = await fetch(`http://${address}/metrics/snapshot`);
  return (await r.json()) as Record<string, number>;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
