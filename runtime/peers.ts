// The runtime's side of the network: one connection per peer runtime, the handshake that
// proves who is at the other end (handshake.ts), batching of outgoing items, and the checks
// every incoming frame passes before an envelope reaches a mailbox. Nothing a peer sends can
// throw out of here: each refusal is a counted drop.

import type { Logger } from 'pino';
import type { Cancel, Clock } from './clock.js';
import { DEFAULT_LIMITS, newPackr, newUnpackr, plainProblem, type DecodeLimits } from './codec.js';
import { ProtocolError } from './errors.js';
import { AUTH, EXITED, HELLO, LINK, PROBE, PROBE_ACK, REJECT, newNonce, ownProofs, parseHello, verifyPeer, type AuthOptions, type Transcript } from './handshake.js';
import type { DropReason, Envelope, InspectionEvent } from './message.js';
import { pidAddress, type Pid } from './pid.js';
import type { Conn, Transport } from './transport.js';
import { MAX_BATCH, encodeFrame, newPeer, wireEnvelope, type ConnState, type Peer, type Wire } from './wire.js';

export const PROTOCOL_VERSION = 2;

/** What the peers need of their runtime. */
export interface PeerHost {
  address(): string;
  readonly incarnation: string;
  readonly clock: Clock;
  readonly log: Logger;
  drop(reason: DropReason, env: Envelope | undefined, detail: string, peer?: string): void;
  emit(event: InspectionEvent): void;
  deliver(env: Envelope): void;
  /** A message refused by the validator: its envelope (body unvalidated) and the reason. */
  invalid(env: Envelope, problem: string): void;
  notifyExited(linker: Pid, linkee: Pid): void;
  isAlive(p: Pid): boolean;
  opened(): void;
  closed(): void;
}

export interface PeerOptions {
  transport: Transport;
  auth: AuthOptions | undefined;
  validate: ((name: string, body: unknown) => string | undefined) | undefined;
  maxQueuedPerPeer: number;
  /** Bytes written to a peer and not yet taken by it before it is cut off. */
  maxOutboundBytes: number;
  /** How long a peer over the cap may take no bytes at all before it is cut. */
  outboundStallMs: number;
  handshakeTimeoutMs: number;
  limits: DecodeLimits;
}

const MAX_ENVELOPE_STRING = 4096;

export class Peers {
  readonly map = new Map<string, Peer>();
  flushScheduled = false;
  private readonly packr = newPackr();
  private readonly unpackr = newUnpackr();
  private readonly dirty: Peer[] = [];
  /** Nonces of this runtime's dials still in their handshake, for PROBEs to confirm. */
  private readonly pending = new Set<string>();
  private lastTo: Pid | undefined;
  private lastPeer: Peer | undefined;

  constructor(
    private readonly host: PeerHost,
    private readonly o: PeerOptions,
  ) {}

  /** The peer hosting `to`; consecutive sends to one actor skip the lookup. */
  peerOf(to: Pid): Peer {
    if (to !== this.lastTo || this.lastPeer === undefined) {
      this.lastPeer = this.peer(pidAddress(to));
      this.lastTo = to;
    }
    return this.lastPeer;
  }

  peer(address: string): Peer {
    let peer = this.map.get(address);
    if (!peer) {
      peer = newPeer(address);
      this.map.set(address, peer);
    }
    return peer;
  }

  /** The principal the runtime at `address` proved on its open connection. */
  principalOf(address: string): string | undefined {
    const peer = this.map.get(address);
    return peer?.state === 'open' ? peer.principal : undefined;
  }

  enqueue(peer: Peer, item: Wire | unknown[]): void {
    if (peer.state === 'open') {
      peer.outgoing.push(item);
      if (peer.outgoing.length === 1) this.dirty.push(peer);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
      return;
    }
    if (peer.waiting.length >= this.o.maxQueuedPerPeer) {
      if (typeof item[0] === 'string') this.host.drop('queue_full', wireEnvelope(item as Wire, 0), `more than ${peer.waiting.length} messages queued for ${peer.address}`);
      return;
    }
    peer.waiting.push(item);
    if (peer.state === 'idle') this.connect(peer);
  }

  readonly flush = (): void => {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    const peers = this.dirty.splice(0);
    for (const peer of peers) {
      const items = peer.outgoing;
      peer.outgoing = [];
      const conn = peer.conn;
      if (peer.state !== 'open' || !conn || items.length === 0) continue;
      const before = conn.buffered?.() ?? 0;
      for (let i = 0; i < items.length; i += MAX_BATCH) conn.send(this.encode(peer, items.slice(i, i + MAX_BATCH)));
      const buffered = conn.buffered?.() ?? 0;
      // A slow reader still takes bytes; one that takes none for a while, over the cap, is cut
      // (and anything four times over the cap, whatever its pace, to bound memory).
      const now = Date.now();
      if (before < peer.lastBuffered || buffered <= this.o.maxOutboundBytes) peer.drainedAt = now;
      peer.lastBuffered = buffered;
      if ((buffered > this.o.maxOutboundBytes && now - peer.drainedAt > this.o.outboundStallMs) || buffered > 4 * this.o.maxOutboundBytes) {
        this.host.drop('slow_peer', undefined, `${buffered} bytes written and not read by ${peer.address}`, peer.address);
        conn.terminate?.('peer is not reading') ?? conn.close('peer is not reading');
      }
    }
  };

  /** One frame; an item that cannot be encoded (a cycle a local actor sent) is dropped alone. */
  private encode(peer: Peer, items: (Wire | unknown[])[]): Uint8Array {
    try {
      return encodeFrame(this.packr, items);
    } catch {
      const ok = items.filter((item) => {
        try {
          this.packr.pack(item);
          return true;
        } catch (err) {
          if (typeof item[0] === 'string') this.host.drop('unencodable', wireEnvelope(item as Wire, 0), (err as Error).message, peer.address);
          return false;
        }
      });
      return encodeFrame(this.packr, ok);
    }
  }

  private newState(dialed: boolean, peer: Peer | undefined): ConnState {
    return { peer, dialed, phase: 'new', nonce: newNonce(), transcript: undefined, claimedPrincipal: undefined, timer: undefined };
  }

  connect(peer: Peer): void {
    peer.state = 'connecting';
    peer.dialedByMe = true;
    const conn = this.o.transport.dial(peer.address);
    const state = this.newState(true, peer);
    peer.conn = conn;
    conn.onOpen = () => {
      if (state.phase !== 'new') return;
      state.phase = 'hello-sent';
      this.pending.add(state.nonce);
      conn.send(this.packr.pack([HELLO, this.host.address(), this.host.incarnation, PROTOCOL_VERSION, state.nonce, this.o.auth?.credential?.principal ?? null]));
    };
    this.wire(conn, state);
  }

  accept(conn: Conn): void {
    this.wire(conn, this.newState(false, undefined));
  }

  private wire(conn: Conn, state: ConnState): void {
    state.timer = this.host.clock.setTimer(this.o.handshakeTimeoutMs, () => {
      state.timer = undefined;
      if (state.phase === 'open' || state.phase === 'closed') return;
      if (state.phase !== 'probe') this.host.drop('handshake_timeout', undefined, `no handshake within ${this.o.handshakeTimeoutMs} ms (${conn.remote})`, conn.remote);
      conn.close('handshake timeout');
    });
    conn.onFrame = (frame) => this.onFrame(conn, state, frame);
    conn.onClose = (reason) => {
      state.phase = 'closed';
      state.timer?.();
      state.timer = undefined;
      this.pending.delete(state.nonce);
      const peer = state.peer;
      if (reason === 'oversized frame') this.host.drop('oversized_frame', undefined, `from ${conn.remote}`, peer?.address ?? conn.remote);
      if (peer && peer.conn === conn) this.connectionLost(peer, reason);
    };
  }

  private refuse(conn: Conn, state: ConnState, reason: DropReason, detail: string): void {
    this.host.drop(reason, undefined, `${detail} (from ${conn.remote})`, state.peer?.address ?? conn.remote);
    if (state.phase !== 'closed') conn.close(detail);
  }

  private onFrame(conn: Conn, state: ConnState, frame: Uint8Array): void {
    if (state.phase === 'closed') return;
    const peer = state.peer;
    const established = state.phase === 'open' && peer !== undefined && peer.conn === conn && peer.state === 'open';
    try {
      this.unpackr.unpackMultiple(frame, (item: unknown, start?: number, end?: number) => {
        if (!Array.isArray(item)) throw new ProtocolError('frame item is not an array');
        if (typeof item[0] === 'number') return void this.control(conn, state, item);
        if (!established) throw new ProtocolError('message before handshake');
        this.arrive(peer, item, (end ?? 0) - (start ?? 0));
      });
    } catch (err) {
      this.host.drop('malformed_frame', undefined, `${(err as Error).message} (from ${conn.remote})`, peer?.address ?? conn.remote);
      // Before a handshake a bad frame means the peer does not speak our protocol.
      if (!established && (state.phase as ConnState['phase']) !== 'closed') conn.close('protocol error');
    }
  }

  private control(conn: Conn, state: ConnState, item: unknown[]): void {
    const [op, a] = item;
    switch (op) {
      case HELLO:
        return state.dialed ? this.helloReply(conn, state, item) : this.helloIncoming(conn, state, item);
      case AUTH:
        return this.authIncoming(conn, state, item);
      case PROBE:
        return this.probeIncoming(conn, state, item);
    }
    const peer = state.peer;
    if (!peer || peer.conn !== conn || peer.state !== 'open') {
      if (op === REJECT && state.dialed && state.phase === 'hello-sent' && peer?.conn === conn) return this.rejected(peer, conn, state);
      return;
    }
    if (op === LINK && typeof a === 'string' && a.length <= MAX_ENVELOPE_STRING) {
      const linkee = a as Pid;
      if (this.host.isAlive(linkee)) peer.watched.add(linkee);
      else this.enqueue(peer, [EXITED, linkee]);
    } else if (op === EXITED && typeof a === 'string') {
      const linkers = peer.links.get(a as Pid);
      peer.links.delete(a as Pid);
      for (const linker of linkers ?? []) this.host.notifyExited(linker, a as Pid);
    }
  }

  /** The acceptor's side: a runtime introduces itself; it must prove the address it claims. */
  private helloIncoming(conn: Conn, state: ConnState, item: unknown[]): void {
    if (state.phase !== 'new') return this.refuse(conn, state, 'duplicate_hello', 'a second hello on one connection');
    const h = parseHello(item);
    if (typeof h === 'string') return this.refuse(conn, state, 'malformed_frame', h);
    if (h.version !== PROTOCOL_VERSION) return this.refuse(conn, state, 'malformed_frame', `unsupported hello (protocol ${String(h.version)}, expected ${PROTOCOL_VERSION})`);
    const me = this.host.address();
    if (h.address === me) return this.refuse(conn, state, 'unproven_address', `hello claims this runtime's own address ${me}`);
    state.phase = 'probing';
    state.claimedPrincipal = h.principal;
    state.transcript = { dialer: h.address, acceptor: me, dialerIncarnation: h.incarnation, acceptorIncarnation: this.host.incarnation, dialerNonce: h.nonce, acceptorNonce: state.nonce };
    this.probe(h.address, h.nonce, (vouched, why) => {
      if (state.phase !== 'probing') return;
      if (!vouched) return this.refuse(conn, state, 'unproven_address', `${h.address} did not vouch for this connection: ${why}`);
      this.bindIncoming(conn, state, h.address, h.incarnation);
    });
  }

  /** The claimed address vouched: the connection becomes the peer's, subject to the tie-break. */
  private bindIncoming(conn: Conn, state: ConnState, address: string, incarnation: string): void {
    let peer = this.peer(address);
    if (peer.conn && peer.conn !== conn) {
      const old = peer.conn;
      // Both dialed at once: the connection dialed by the lower address wins, on both sides.
      const mineWins = peer.dialedByMe && this.host.address() < address && (peer.state !== 'open' || peer.incarnation === incarnation);
      if (mineWins) {
        conn.send(this.packr.pack([REJECT, 'duplicate connection']));
        state.phase = 'closed';
        return conn.close('duplicate connection');
      }
      if (peer.dialedByMe && peer.state !== 'open') {
        peer.conn = undefined; // our own dial lost the tie-break; its queue moves to this connection
        old.close('superseded');
      } else {
        // The runtime at this address itself vouched for the new connection: the old one is
        // from a process that no longer listens there, or one it has given up on.
        this.connectionLost(peer, 'replaced by a new connection from the peer');
        old.close('replaced');
        peer = this.peer(address);
      }
    }
    state.peer = peer;
    peer.conn = conn;
    peer.state = 'authenticating';
    peer.dialedByMe = false;
    state.phase = 'auth';
    const [proof, ack] = ownProofs(this.o.auth, 'acceptor', state.transcript!, state.claimedPrincipal);
    conn.send(this.packr.pack([HELLO, this.host.address(), this.host.incarnation, PROTOCOL_VERSION, state.nonce, this.o.auth?.credential?.principal ?? null, proof, ack]));
  }

  /** The acceptor's side, last step: the dialer's proofs. */
  private authIncoming(conn: Conn, state: ConnState, item: unknown[]): void {
    const peer = state.peer;
    if (state.dialed || state.phase !== 'auth' || !peer || peer.conn !== conn) return this.refuse(conn, state, 'malformed_frame', 'auth out of order');
    const t = state.transcript!;
    const v = verifyPeer(this.o.auth, 'dialer', t, state.claimedPrincipal, item[1], item[2]);
    if (typeof v === 'string') return this.refuse(conn, state, 'authentication_failed', v);
    state.phase = 'open';
    peer.principal = v.principal;
    this.opened(peer, conn, state, t.dialerIncarnation);
  }

  /** The dialer's side: the runtime we dialed answered. */
  private helloReply(conn: Conn, state: ConnState, item: unknown[]): void {
    if (state.phase !== 'hello-sent') return this.refuse(conn, state, 'duplicate_hello', 'a second hello on one connection');
    const peer = state.peer!;
    if (peer.conn !== conn) return conn.close('superseded');
    const h = parseHello(item);
    if (typeof h === 'string') return this.refuse(conn, state, 'malformed_frame', h);
    if (h.version !== PROTOCOL_VERSION) return this.refuse(conn, state, 'malformed_frame', `unsupported hello (protocol ${String(h.version)}, expected ${PROTOCOL_VERSION})`);
    this.pending.delete(state.nonce);
    const t: Transcript = { dialer: this.host.address(), acceptor: h.address, dialerIncarnation: this.host.incarnation, acceptorIncarnation: h.incarnation, dialerNonce: state.nonce, acceptorNonce: h.nonce };
    const v = verifyPeer(this.o.auth, 'acceptor', t, h.principal, item[6], item[7]);
    if (typeof v === 'string') return this.refuse(conn, state, 'authentication_failed', v);
    const [proof, ack] = ownProofs(this.o.auth, 'dialer', t, h.principal);
    conn.send(this.packr.pack([AUTH, proof, ack]));
    state.phase = 'open';
    peer.principal = v.principal;
    this.opened(peer, conn, state, h.incarnation);
  }

  /** Asks the runtime listening at `address` whether it sent `nonce`; a fresh connection of its own. */
  private probe(address: string, nonce: string, done: (vouched: boolean, why: string) => void): void {
    let finished = false;
    let cancel: Cancel = () => {};
    const conn = this.o.transport.dial(address);
    const finish = (vouched: boolean, why: string): void => {
      if (finished) return;
      finished = true;
      cancel();
      conn.close('probe done');
      done(vouched, why);
    };
    cancel = this.host.clock.setTimer(this.o.handshakeTimeoutMs, () => finish(false, 'no answer'));
    conn.onOpen = () => conn.send(this.packr.pack([PROBE, nonce, this.host.address()]));
    conn.onFrame = (frame) => {
      try {
        this.unpackr.unpackMultiple(frame, (r: unknown) => {
          if (Array.isArray(r) && r[0] === PROBE_ACK && r[1] === nonce) finish(r[2] === true, 'it did not send that nonce');
        });
      } catch {
        finish(false, 'malformed answer');
      }
    };
    conn.onClose = (reason) => finish(false, reason);
  }

  /** Someone asks whether this runtime sent a nonce on one of its dials still in handshake. */
  private probeIncoming(conn: Conn, state: ConnState, item: unknown[]): void {
    if (state.dialed || state.phase !== 'new') return this.refuse(conn, state, 'malformed_frame', 'probe out of order');
    state.phase = 'probe';
    const nonce = item[1];
    const vouched = typeof nonce === 'string' && this.pending.has(nonce);
    conn.send(this.packr.pack([PROBE_ACK, typeof nonce === 'string' ? nonce.slice(0, 64) : null, vouched]));
  }

  private rejected(peer: Peer, conn: Conn, state: ConnState): void {
    // The peer's own dial to us wins; it will introduce itself. If it never does, give up.
    state.phase = 'closed';
    this.pending.delete(state.nonce);
    conn.close('duplicate connection');
    peer.conn = undefined;
    peer.state = 'awaiting';
    peer.awaitTimer = this.host.clock.setTimer(10_000, () => {
      peer.awaitTimer = undefined;
      if (peer.state === 'awaiting') this.connectionLost(peer, 'peer did not connect back');
    });
  }

  private opened(peer: Peer, conn: Conn, state: ConnState, incarnation: string): void {
    state.timer?.();
    state.timer = undefined;
    peer.awaitTimer?.();
    peer.awaitTimer = undefined;
    peer.conn = conn;
    peer.state = 'open';
    peer.incarnation = incarnation;
    this.host.opened();
    this.host.emit({ type: 'connection', peer: peer.address, state: 'open', incarnation });
    this.host.log.debug({ peer: peer.address, incarnation, principal: peer.principal }, 'connection open');
    const waiting = peer.waiting;
    peer.waiting = [];
    for (const item of waiting) this.enqueue(peer, item);
  }

  /**
   * The connection to a peer is gone: what was queued for it is dropped (at-most-once), every
   * link to its actors fires once, and the peer's record is freed; the next send dials afresh.
   */
  connectionLost(peer: Peer, reason: string): void {
    const wasOpen = peer.state === 'open';
    const lost = [...peer.waiting, ...peer.outgoing];
    peer.waiting = [];
    peer.outgoing = [];
    peer.state = 'idle';
    peer.conn = undefined;
    peer.dialedByMe = false;
    peer.principal = undefined;
    const incarnation = peer.incarnation;
    peer.incarnation = undefined;
    peer.awaitTimer?.();
    peer.awaitTimer = undefined;
    if (this.map.get(peer.address) === peer) this.map.delete(peer.address);
    if (this.lastPeer === peer) {
      this.lastPeer = undefined;
      this.lastTo = undefined;
    }
    for (const item of lost) if (typeof item[0] === 'string') this.host.drop('connection_lost', wireEnvelope(item as Wire, 0), reason, peer.address);
    if (wasOpen) this.host.closed();
    this.host.emit({ type: 'connection', peer: peer.address, state: 'closed', reason, ...(incarnation ? { incarnation } : {}) });
    this.host.log.debug({ peer: peer.address, reason }, 'connection lost');
    const links = peer.links;
    peer.links = new Map();
    peer.watched.clear();
    for (const [linkee, linkers] of links) for (const linker of linkers) this.host.notifyExited(linker, linkee);
  }

  /** See Runtime.breakConnection. */
  breakConnection(address: string, reason: string): 'broken' | 'no_connection' | 'unsupported' {
    const peer = this.map.get(address);
    const conn = peer?.conn;
    if (!peer || !conn || peer.state !== 'open') return 'no_connection';
    if (!conn.abandon) return 'unsupported';
    conn.abandon(reason);
    return 'broken';
  }

  /** An envelope from a peer: checked at the edge, then delivered like a local message. */
  private arrive(peer: Peer, item: unknown[], bytes: number): void {
    if (item.length !== 6 || !envString(item[0]) || !envString(item[1]) || !envString(item[2]) || !envString(item[3]) || (item[4] !== null && !envString(item[4]))) {
      return this.host.drop('malformed_envelope', undefined, 'not [to, from, name, id, cause, body]', peer.address);
    }
    const env = wireEnvelope(item as Wire, bytes);
    const body = item[5] as { name?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || body.name !== env.name) return this.host.drop('malformed_envelope', env, 'body is not a message named like its envelope', peer.address);
    if (!env.to.endsWith(`@${this.host.address()}`)) return this.host.drop('misaddressed', env, `${env.to} is not on ${this.host.address()}`, peer.address);
    if (env.from !== '' && !env.from.endsWith(peer.suffix)) return this.host.drop('spoofed_sender', env, `${env.from} did not come from ${peer.address}`, peer.address);
    const unsafe = plainProblem(body, this.o.limits);
    if (unsafe !== undefined) return this.host.drop('unsafe_value', env, unsafe, peer.address);
    const validate = this.o.validate;
    if (validate) {
      const problem = validate(env.name, body);
      if (problem !== undefined) {
        this.host.drop(problem.startsWith('unknown message') ? 'unknown_message' : 'invalid_body', env, problem, peer.address);
        return this.host.invalid(env, problem);
      }
    }
    this.host.deliver(env);
  }
}

function envString(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_ENVELOPE_STRING;
}

export { DEFAULT_LIMITS };
