// Peers and the frame format between runtimes: control items and envelopes, MessagePack-encoded, many
// per frame. Envelopes are arrays whose first element is a string; control items start with a
// number.

import type { Packr } from 'msgpackr';
import type { Cancel } from './clock.js';
import type { Transcript } from './handshake.js';
import type { Envelope, Message } from './message.js';
import type { Pid } from './pid.js';
import type { Conn } from './transport.js';

export { HELLO, LINK, EXITED, REJECT, AUTH, PROBE, PROBE_ACK } from './handshake.js';
/** Envelopes per frame: large enough to amortise, small enough to stay far below frame limits. */
export const MAX_BATCH = 1024;

export type Wire = [to: string, from: string, name: string, id: string, cause: string | null, body: Message];

export function wireEnvelope(w: Wire, bytes: number): Envelope {
  return { to: w[0] as Pid, from: w[1] as Pid | '', name: w[2], id: w[3], cause: w[4], body: w[5], bytes };
}

/** A frame is a concatenation of MessagePack values: one array, packed, without its header. */
export function encodeFrame(packr: Packr, items: (Wire | unknown[])[]): Uint8Array {
  const packed = packr.pack(items);
  return packed.subarray(packed[0]! <= 0x9f ? 1 : packed[0] === 0xdc ? 3 : 5);
}

// A peer runtime and the one connection to it.
export type PeerState = 'idle' | 'connecting' | 'awaiting' | 'authenticating' | 'open';

export interface Peer {
  readonly address: string;
  /** `@address`: what the pids of its actors end with. */
  readonly suffix: string;
  state: PeerState;
  conn: Conn | undefined;
  dialedByMe: boolean;
  incarnation: string | undefined;
  /** The principal the peer proved at the handshake of its open connection, if any. */
  principal: string | undefined;
  /** Messages waiting for the connection to open, in order. */
  waiting: (Wire | unknown[])[];
  /** Items to go out with the next flush. */
  outgoing: (Wire | unknown[])[];
  /** Remote linkee → local linkers. */
  links: Map<Pid, Set<Pid>>;
  /** Local actors the peer's actors are linked to. */
  watched: Set<Pid>;
  awaitTimer: Cancel | undefined;
  /** The connection's buffered bytes after the last flush, and when they last went down. */
  lastBuffered: number;
  drainedAt: number;
}

export interface ConnState {
  peer: Peer | undefined;
  dialed: boolean;
  /** new → (dialer) hello-sent → open; (acceptor) probing → auth → open; or probe: answers one PROBE. */
  phase: 'new' | 'hello-sent' | 'probing' | 'auth' | 'open' | 'probe' | 'closed';
  /** This side's nonce for the handshake. */
  nonce: string;
  transcript: Transcript | undefined;
  /** The principal the other side claims, until it is proven. */
  claimedPrincipal: string | undefined;
  timer: Cancel | undefined;
}

export function newPeer(address: string): Peer {
  return { address, suffix: `@${address}`, state: 'idle', conn: undefined, dialedByMe: false, incarnation: undefined, principal: undefined, waiting: [], outgoing: [], links: new Map(), watched: new Set(), awaitTimer: undefined, lastBuffered: 0, drainedAt: 0 };
}
