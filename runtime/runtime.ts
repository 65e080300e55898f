// The Runtime: one per OS process. It hosts actors, runs their mailboxes, and connects to other
// runtimes over one bidirectional connection per pair (handshake with address, incarnation and
// protocol version; frames carry batches of envelopes, flushed once per event-loop turn). It
// keeps libprocess's semantics — at-most-once, FIFO per sender→receiver, one exited() per link —
// and fixes its weak spots: bad input is counted instead of fatal, exits carry incarnations,
// dead letters are visible, and tests can filter on the send side too.

import { randomBytes } from 'node:crypto';
import { Packr, Unpackr } from 'msgpackr';
import { pino, type Logger } from 'pino';
import type { Actor } from './actor.js';
import { ExitNotice, cancelKeyed, cellView, retractExit, revoked, trackQueued, type Cell, type Revocable } from './cell.js';
import { RealClock, ManualClock, type Cancel, type Clock } from './clock.js';
import { ProtocolError, ValidationError, IllegalStateError } from './errors.js';
import { badRequest, json, notFound, type HttpHandler, type HttpRequest, type HttpResponse } from './http.js';
import type { DropReason, Envelope, InspectionEvent, Inspector, Message } from './message.js';
import { Metrics, type Counter } from './metrics.js';
import { pid as makePid, pidAddress, pidId, type Accepts, type Pid } from './pid.js';
import { Filters, filterEndpoint } from './filters.js';
import type { Random } from './random.js';
import type { Conn, Transport } from './transport.js';
import { WebSocketTransport } from './ws-transport.js';
import { EXITED, HELLO, LINK, MAX_BATCH, REJECT, encodeFrame, newPeer, wireEnvelope, type ConnState, type Peer, type Wire } from './wire.js';

export const PROTOCOL_VERSION = 1;

// Kept here too for code that imports them from this module; they live in settle.ts.
export { settle, advance } from './settle.js';

export interface RuntimeOptions {
  /** Address to listen on; default 127.0.0.1. */
  ip?: string;
  /** Port; 0 (the default) picks a free one, reported as `runtime.address`. */
  port?: number;
  transport?: Transport;
  clock?: Clock;
  /** Uniform random numbers in [0, 1) for the actors (jitter, shuffles); Math.random by default. */
  random?: Random;
  logger?: Logger;
  /** Checks every message that arrives from another runtime; returns why it is invalid, or undefined. */
  validate?: (name: string, body: unknown) => string | undefined;
  /** Actor id that also serves un-prefixed HTTP paths (`/state` → `/master/state`). */
  delegate?: string;
  /** Serves `/__filters__` so tests can inject faults into this process from outside. */
  testEndpoints?: boolean;
  /** Most messages queued for one peer while it is not connected. */
  maxQueuedPerPeer?: number;
}

export class Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly metrics = new Metrics();
  readonly filters = new Filters();
  readonly incarnation = randomBytes(8).toString('hex');
  private readonly idPrefix = `${randomBytes(3).toString('hex')}.`;
  private address_ = '';
  private localSuffix = '\0';
  private readonly transport: Transport;
  private readonly options: RuntimeOptions;
  private readonly cells = new Map<string, Cell>();
  private readonly idCounters = new Map<string, number>();
  private readonly peers = new Map<string, Peer>();
  private readonly localLinks = new Map<Pid, Set<Pid>>();
  private readonly routes = new Map<string, { owner: Pid | undefined; handler: HttpHandler }>();
  private readonly inspectors: Inspector[] = [];
  // Records: each frame defines an object shape once and then writes only values, which makes
  // frames of like messages much smaller and faster to decode. Frames stay self-contained.
  private readonly packr = new Packr({ useRecords: true, moreTypes: false });
  private readonly unpackr = new Unpackr({ useRecords: true, mapsAsObjects: true });
  private runQueue: Cell[] = [];
  private runHead = 0;
  private runScheduled = false;
  private flushScheduled = false;
  private readonly dirtyPeers: Peer[] = [];
  private messageCounter = 0;
  private currentCause: string | null = null;
  private pendingAsync = 0;
  private stopped = false;
  private lastTo: Pid | undefined;
  private lastPeer: Peer | undefined;
  private readonly c: Record<'sent' | 'received' | 'dropped' | 'deadLetters' | 'opened' | 'closed' | 'handlerErrors', Counter>;
  private readonly dropCounters = new Map<DropReason, Counter>();

  private constructor(options: RuntimeOptions) {
    this.options = options;
    this.clock = options.clock ?? new RealClock();
    this.random = options.random ?? Math.random;
    this.transport = options.transport ?? new WebSocketTransport();
    this.log = options.logger ?? pino({ level: 'silent' });
    const m = this.metrics;
    this.c = {
      sent: m.counter('runtime/messages_sent'),
      received: m.counter('runtime/messages_received'),
      dropped: m.counter('runtime/messages_dropped'),
      deadLetters: m.counter('runtime/dead_letters'),
      opened: m.counter('runtime/connections_opened'),
      closed: m.counter('runtime/connections_closed'),
      handlerErrors: m.counter('runtime/handler_errors'),
    };
    m.gauge('runtime/connections_active', () => [...this.peers.values()].filter((p) => p.state === 'open').length);
    m.gauge('runtime/actors', () => this.cells.size);
    m.gauge('runtime/mailbox_messages', () => {
      let n = 0;
      for (const cell of this.cells.values()) n += cell.mailbox.length - cell.head;
      return n;
    });
  }

  /** Starts a runtime listening on options.ip:options.port. */
  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const rt = new Runtime(options);
    rt.address_ = await rt.transport.listen(options.ip ?? '127.0.0.1', options.port ?? 0, {
      connection: (conn) => rt.accept(conn),
      http: (req) => rt.http(req),
    });
    rt.localSuffix = `@${rt.address_}`;
    rt.log.debug({ address: rt.address_, incarnation: rt.incarnation }, 'runtime started');
    return rt;
  }

  /** `host:port` this runtime listens on. */
  get address(): string {
    return this.address_;
  }

  // ---------------------------------------------------------------- actors

  /** Makes an id unique in this runtime: `agent` → `agent(1)`, `agent(2)`, … */
  generateId(prefix: string): string {
    const n = (this.idCounters.get(prefix) ?? 0) + 1;
    this.idCounters.set(prefix, n);
    return `${prefix}(${n})`;
  }

  spawn<A extends Actor<never>>(actor: A, id: string): A {
    if (this.stopped) throw new IllegalStateError('runtime is stopped');
    if (!id || /[@\s/]/.test(id)) throw new ValidationError(`'${id}' is not a valid actor id`);
    const p = makePid(id, this.address_);
    if (this.cells.has(p)) throw new IllegalStateError(`an actor with id '${id}' already runs here`);
    const cell: Cell = { actor: actor as unknown as Actor, pid: p, mailbox: [], head: 0, queued: false, state: 'running', timers: new Set(), links: new Map(), keyed: undefined, revocable: undefined };
    this.cells.set(p, cell);
    actor.bind(this, p, this.log.child({ actor: p }));
    this.emit({ type: 'spawn', pid: p });
    this.guard(cell, () => cell.actor.initialize());
    return actor;
  }

  /** Terminates a local actor: queued messages are discarded, finalize() runs, linkers hear of it. */
  terminate(target: Pid): void {
    const cell = this.cells.get(target);
    if (!cell || cell.state !== 'running') return;
    cell.state = 'terminating';
    if (this.runningCell === cell) return; // finished once its current handler returns
    this.finishTerminate(cell);
  }

  isAlive(target: Pid): boolean {
    return this.cells.get(target)?.state === 'running';
  }

  // ---------------------------------------------------------------- messaging

  /** Sends msg from `from` ('' for outside any actor) to `to`, local or remote; checked against a typed pid's inbox. */
  send<T extends Message, M extends Message = T>(from: Pid | '', to: Pid<T>, msg: Accepts<T, M>): void {
    this.sendWithCause(from, to, msg, this.currentCause);
  }

  /** Delivers msg to `to` after ms on the runtime's clock; the timer dies with the actor. */
  delay(owner: Pid, ms: number, msg: Message): Cancel {
    const cell = this.cells.get(owner);
    if (!cell) return () => {};
    const cause = this.currentCause;
    const cancel = this.clock.setTimer(ms, () => {
      cell.timers.delete(cancel);
      if (cell.state === 'running') this.sendWithCause(owner, owner, msg, cause);
    });
    cell.timers.add(cancel);
    return () => {
      cell.timers.delete(cancel);
      cancel();
    };
  }

  /** Delivers msg to `owner` after ms unless timer `key` is restarted or cancelled first (Akka's TimerScheduler). */
  startTimer(owner: Pid, key: string, ms: number, msg: Message): void {
    const cell = this.cells.get(owner);
    if (!cell || cell.state !== 'running') return;
    this.cancelTimer(owner, key);
    const cause = this.currentCause;
    const timer: Revocable = { key, linkee: undefined, cancel: undefined, stale: false };
    const cancel = this.clock.setTimer(ms, () => {
      cell.timers.delete(cancel);
      timer.cancel = undefined;
      if (cell.state !== 'running' || timer.stale) return;
      if (!this.sendRevocable(cell, msg, cause, timer) && cell.keyed?.get(key) === timer) cell.keyed.delete(key);
    });
    timer.cancel = cancel;
    cell.timers.add(cancel);
    (cell.keyed ??= new Map()).set(key, timer);
  }

  /** Cancels `owner`'s timer `key`: neither its firing nor its already queued message reaches the handler. */
  cancelTimer(owner: Pid, key: string): void {
    const cell = this.cells.get(owner);
    if (cell) cancelKeyed(cell, key);
  }

  /** True while `owner`'s timer `key` is armed or its message is queued, unhandled. */
  isTimerActive(owner: Pid, key: string): boolean {
    return this.cells.get(owner)?.keyed?.has(key) ?? false;
  }

  /** Sends msg to the cell's actor from itself; true if it was queued, and then it can be revoked. */
  private sendRevocable(cell: Cell, msg: Message, cause: string | null, revocable: Revocable): boolean {
    return trackQueued(cell, this.sendWithCause(cell.pid, cell.pid, msg, cause), revocable);
  }

  /**
   * Wraps a function for code outside any handler: calling the result delivers fn(...args) to
   * `owner`, caused by the message being handled now; it does nothing once owner terminated.
   */
  callback<A extends unknown[]>(owner: Pid, fn: (...args: A) => Message): (...args: A) => void {
    const cell = this.cells.get(owner);
    const cause = this.currentCause;
    return (...args: A): void => {
      if (!cell || cell.state !== 'running') return;
      let msg: Message;
      try {
        msg = fn(...args);
      } catch (err) {
        this.log.error({ err, actor: owner }, 'callback mapping threw');
        return;
      }
      this.sendWithCause(owner, owner, msg, cause);
    };
  }

  /** The id of the message being handled now (null outside handlers): the cause of what is sent now. */
  get cause(): string | null {
    return this.currentCause;
  }

  /** Runs fn, outside any handler, as if handling message `cause` (e.g. a parent process's): what it sends counts it as cause. */
  withCause<T>(cause: string | null, fn: () => T): T {
    if (this.runningCell !== undefined) return fn(); // inside a handler, its own message is the truer cause
    const previous = this.currentCause;
    this.currentCause = cause;
    try {
      return fn();
    } finally {
      this.currentCause = previous;
    }
  }

  /** Brings a promise's outcome back to `owner` as a message; settle() waits for it. */
  pipe<T>(owner: Pid, promise: Promise<T>, ok: (value: T) => Message, fail: (error: unknown) => Message): void {
    const cause = this.currentCause;
    this.pendingAsync++;
    const back = (make: () => Message): void => {
      this.pendingAsync--;
      if (!this.isAlive(owner)) return;
      let msg: Message;
      try {
        msg = make();
      } catch (err) {
        this.log.error({ err, actor: owner }, 'pipeToSelf mapping threw');
        return;
      }
      this.sendWithCause(owner, owner, msg, cause);
    };
    promise.then(
      (v) => back(() => ok(v)),
      (e) => back(() => fail(e)),
    );
  }

  /** Returns the message's id. */
  private sendWithCause(from: Pid | '', to: Pid, msg: Message, cause: string | null): string {
    const id = this.nextId();
    if (to.endsWith(this.localSuffix)) {
      const env: Envelope = { to, from, name: msg.name, id, cause, body: msg, bytes: 0 };
      if (this.filters.active && this.filters.apply('send', env)) return this.drop('filtered', env, 'send-side filter'), id;
      this.c.sent.value++;
      if (this.inspectors.length) this.emit({ type: 'send', envelope: env, remote: false });
      this.receive(env, false);
      return id;
    }
    const wire: Wire = [to, from, msg.name, id, cause, msg];
    // The hot remote path builds no envelope object unless a filter or an inspector wants one.
    if (this.filters.active || this.inspectors.length) {
      const env = wireEnvelope(wire, 0);
      if (this.filters.active && this.filters.apply('send', env)) return this.drop('filtered', env, 'send-side filter'), id;
      if (this.inspectors.length) this.emit({ type: 'send', envelope: env, remote: true });
    }
    this.c.sent.value++;
    this.enqueue(this.peerOf(to), wire);
    return id;
  }

  /** The peer hosting `to`; consecutive sends to one actor skip the lookup. */
  private peerOf(to: Pid): Peer {
    if (to !== this.lastTo) {
      this.lastPeer = this.peer(pidAddress(to));
      this.lastTo = to;
    }
    return this.lastPeer!;
  }

  private nextId(): string {
    return this.idPrefix + ++this.messageCounter;
  }

  /** A message arriving at a local actor, from this runtime or a remote one. */
  private receive(env: Envelope, remote: boolean): void {
    const cell = this.cells.get(env.to);
    if (!cell || cell.state !== 'running') {
      this.c.deadLetters.value++;
      return this.drop('dead_letter', env, `no actor ${pidId(env.to)} here`);
    }
    if (this.filters.active && this.filters.apply('receive', env)) return this.drop('filtered', env, 'receive-side filter');
    this.c.received.value++;
    if (this.inspectors.length) this.emit({ type: 'receive', envelope: env, remote });
    cell.mailbox.push(env);
    this.schedule(cell);
  }

  // ---------------------------------------------------------------- mailboxes

  private runningCell: Cell | undefined;

  private schedule(cell: Cell): void {
    if (!cell.queued) {
      cell.queued = true;
      this.runQueue.push(cell);
    }
    if (!this.runScheduled) {
      this.runScheduled = true;
      queueMicrotask(this.run);
    }
  }

  // Gives each ready actor a turn in FIFO order; yields to I/O after a budget so busy actors
  // cannot starve sockets and timers.
  private readonly run = (): void => {
    let budget = 20_000;
    while (this.runHead < this.runQueue.length) {
      const cell = this.runQueue[this.runHead++]!;
      cell.queued = false;
      // Only what is queued now: messages that arrive meanwhile wait for the actor's next turn,
      // so an actor that messages itself cannot starve the others.
      const end = cell.mailbox.length;
      while (cell.head < end && cell.state === 'running') {
        if (budget-- <= 0) {
          cell.queued = true;
          this.runQueue = [cell, ...this.runQueue.slice(this.runHead)];
          this.runHead = 0;
          setImmediate(this.run);
          return;
        }
        const item = cell.mailbox[cell.head]!;
        cell.mailbox[cell.head++] = undefined as never;
        this.dispatch(cell, item);
      }
      if (cell.head === cell.mailbox.length) {
        cell.mailbox = [];
        cell.head = 0;
      } else if (cell.head > 1024 && cell.head * 2 > cell.mailbox.length) {
        cell.mailbox = cell.mailbox.slice(cell.head);
        cell.head = 0;
      }
    }
    this.runQueue = [];
    this.runHead = 0;
    this.runScheduled = false;
    // What the handlers sent goes out now, as one batch per peer, rather than a turn later.
    if (this.flushScheduled) this.flush();
  };

  private dispatch(cell: Cell, item: Envelope | ExitNotice): void {
    this.runningCell = cell;
    if (item instanceof ExitNotice) {
      this.currentCause = null;
      if (!item.retracted) {
        this.emit({ type: 'exited', linker: cell.pid, linkee: item.pid });
        this.guard(cell, () => cell.actor.exited(item.pid));
      }
    } else if (cell.revocable !== undefined && revoked(cell, item)) {
      this.drop('stale', item, 'timer restarted or cancelled, or link removed');
    } else {
      this.currentCause = item.id;
      // The hot path: no closure per message, unlike guard().
      try {
        if (!cell.actor.handle(item.body, item.from)) this.drop('unknown_message', item, `${pidId(cell.pid)} has no handler for ${item.name}`);
      } catch (err) {
        this.handlerThrew(cell, err, item);
      }
    }
    this.currentCause = null;
    this.runningCell = undefined;
    if (cell.state === 'terminating') this.finishTerminate(cell);
  }

  /** Runs actor code; a throw is logged with its envelope and counted, never fatal. */
  private guard(cell: Cell, fn: () => void, env?: Envelope): void {
    try {
      fn();
    } catch (err) {
      this.handlerThrew(cell, err, env);
    }
  }

  private handlerThrew(cell: Cell, err: unknown, env: Envelope | undefined): void {
    this.c.handlerErrors.value++;
    this.log.error({ err, actor: cell.pid, message: env && { name: env.name, from: env.from, id: env.id } }, 'handler threw');
    if (env) this.drop('handler_error', env, String((err as Error)?.message ?? err));
  }

  private finishTerminate(cell: Cell): void {
    if (cell.state === 'terminated') return;
    cell.state = 'terminated';
    for (let i = cell.head; i < cell.mailbox.length; i++) {
      const item = cell.mailbox[i];
      if (item && !(item instanceof ExitNotice)) this.drop('terminated', item, `${pidId(cell.pid)} terminated`);
    }
    cell.mailbox = [];
    cell.head = 0;
    for (const cancel of cell.timers) cancel();
    cell.timers.clear();
    cell.keyed = undefined;
    cell.revocable = undefined;
    this.guard(cell, () => cell.actor.finalize());
    this.cells.delete(cell.pid);
    for (const [path, r] of this.routes) if (r.owner === cell.pid) this.routes.delete(path);
    this.emit({ type: 'terminate', pid: cell.pid });
    const linkers = this.localLinks.get(cell.pid);
    this.localLinks.delete(cell.pid);
    for (const linker of linkers ?? []) this.notifyExited(linker, cell.pid);
    for (const peer of this.peers.values()) {
      if (peer.watched.delete(cell.pid)) this.enqueue(peer, [EXITED, cell.pid]);
    }
    // Links this actor held to others are forgotten: only those it holds (cell.links), not a
    // scan of every link in the runtime, which made each termination O(links) — a master
    // removing many agents terminates one observer per agent.
    for (const linkee of cell.links.keys()) {
      const local = this.localLinks.get(linkee);
      if (local?.delete(cell.pid) && local.size === 0) this.localLinks.delete(linkee);
      const remote = this.peers.get(pidAddress(linkee))?.links;
      const set = remote?.get(linkee);
      if (set?.delete(cell.pid) && set.size === 0) remote!.delete(linkee);
    }
    cell.links.clear();
  }

  private notifyExited(linker: Pid, linkee: Pid): void {
    const cell = this.cells.get(linker);
    if (!cell || cell.state !== 'running') return;
    // The linker's own record makes the notice exactly-once, whichever path reports the exit.
    const how = cell.links.get(linkee);
    if (how === undefined) return;
    cell.links.delete(linkee);
    if (how === null) {
      cell.mailbox.push(new ExitNotice(linkee));
      this.schedule(cell);
      return;
    }
    this.emit({ type: 'exited', linker, linkee });
    this.sendRevocable(cell, how, null, { key: undefined, linkee, cancel: undefined, stale: false });
  }

  // ---------------------------------------------------------------- links

  /** linker gets exactly one exited(linkee) when linkee terminates or its runtime becomes unreachable. */
  link(linker: Pid, linkee: Pid): void {
    this.linkAs(linker, linkee, null);
  }

  /** As link, but the exit reaches linker as `msg`, through its handler table. */
  linkWith(linker: Pid, linkee: Pid, msg: Message): void {
    this.linkAs(linker, linkee, msg);
  }

  /** Forgets linker's link to linkee, including an exit already queued for it. */
  unlink(linker: Pid, linkee: Pid): void {
    const cell = this.cells.get(linker);
    if (!cell) return;
    cell.links.delete(linkee);
    this.localLinks.get(linkee)?.delete(linker);
    const remote = this.peers.get(pidAddress(linkee))?.links;
    const set = remote?.get(linkee);
    if (set?.delete(linker) && set.size === 0) remote!.delete(linkee);
    retractExit(cell, linkee);
  }

  private linkAs(linker: Pid, linkee: Pid, how: Message | null): void {
    const cell = this.cells.get(linker);
    if (cell?.state === 'running') cell.links.set(linkee, how);
    const address = pidAddress(linkee);
    this.emit({ type: 'link', linker, linkee });
    if (address === this.address_) {
      if (!this.isAlive(linkee)) return this.notifyExited(linker, linkee);
      let set = this.localLinks.get(linkee);
      if (!set) this.localLinks.set(linkee, (set = new Set()));
      set.add(linker);
      return;
    }
    const peer = this.peer(address);
    let set = peer.links.get(linkee);
    if (!set) peer.links.set(linkee, (set = new Set()));
    if (set.has(linker)) return;
    const first = set.size === 0;
    set.add(linker);
    // One LINK per remote actor: its runtime tells us if it does not exist or when it terminates.
    if (first) this.enqueue(peer, [LINK, linkee, linker]);
    else if (peer.state === 'idle') this.connect(peer);
  }

  // ---------------------------------------------------------------- peers and wire

  private peer(address: string): Peer {
    let peer = this.peers.get(address);
    if (!peer) {
      peer = newPeer(address);
      this.peers.set(address, peer);
    }
    return peer;
  }

  private enqueue(peer: Peer, item: Wire | unknown[]): void {
    if (peer.state === 'open') {
      peer.outgoing.push(item);
      if (peer.outgoing.length === 1) this.dirtyPeers.push(peer);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
      return;
    }
    if (peer.waiting.length >= (this.options.maxQueuedPerPeer ?? 100_000)) {
      if (typeof item[0] === 'string') this.drop('queue_full', wireEnvelope(item as Wire, 0), `more than ${peer.waiting.length} messages queued for ${peer.address}`);
      return;
    }
    peer.waiting.push(item);
    if (peer.state === 'idle') this.connect(peer);
  }

  private readonly flush = (): void => {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    const peers = this.dirtyPeers.splice(0);
    for (const peer of peers) {
      const items = peer.outgoing;
      peer.outgoing = [];
      if (peer.state !== 'open' || !peer.conn || items.length === 0) continue;
      for (let i = 0; i < items.length; i += MAX_BATCH) peer.conn.send(encodeFrame(this.packr, items.slice(i, i + MAX_BATCH)));
    }
  };

  private connect(peer: Peer): void {
    peer.state = 'connecting';
    peer.dialedByMe = true;
    const conn = this.transport.dial(peer.address);
    const state: ConnState = { peer, dialed: true };
    peer.conn = conn;
    conn.onOpen = () => conn.send(this.helloFrame());
    this.wire(conn, state);
  }

  private accept(conn: Conn): void {
    this.wire(conn, { peer: undefined, dialed: false });
  }

  private helloFrame(): Uint8Array {
    return this.packr.pack([HELLO, this.address_, this.incarnation, PROTOCOL_VERSION]);
  }

  private wire(conn: Conn, state: ConnState): void {
    conn.onFrame = (frame) => this.onFrame(conn, state, frame);
    conn.onClose = (reason) => {
      const peer = state.peer;
      if (reason === 'oversized frame') this.drop('oversized_frame', undefined, `from ${conn.remote}`, peer?.address ?? conn.remote);
      if (peer && peer.conn === conn) this.connectionLost(peer, reason);
    };
  }

  private onFrame(conn: Conn, state: ConnState, frame: Uint8Array): void {
    const peer = state.peer;
    const established = peer !== undefined && peer.conn === conn && peer.state === 'open';
    try {
      this.unpackr.unpackMultiple(frame, (item: unknown, start?: number, end?: number) => {
        if (!Array.isArray(item)) throw new ProtocolError('frame item is not an array');
        if (typeof item[0] === 'number') return void this.control(conn, state, item);
        if (!established) throw new ProtocolError('message before handshake');
        this.arrive(peer, item, (end ?? 0) - (start ?? 0));
      });
    } catch (err) {
      this.drop('malformed_frame', undefined, `${(err as Error).message} (from ${conn.remote})`, peer?.address ?? conn.remote);
      // Before a handshake a bad frame means the peer does not speak our protocol.
      if (!state.peer) conn.close('protocol error');
    }
  }

  private control(conn: Conn, state: ConnState, item: unknown[]): void {
    const [op, a, b, c] = item;
    if (op === HELLO) {
      if (typeof a !== 'string' || typeof b !== 'string' || c !== PROTOCOL_VERSION) {
        conn.close(`unsupported hello (protocol ${String(c)}, expected ${PROTOCOL_VERSION})`);
        throw new ProtocolError('bad hello');
      }
      return state.dialed ? this.helloReply(conn, state, b) : this.helloIncoming(conn, state, a, b);
    }
    const peer = state.peer;
    if (!peer || peer.conn !== conn || peer.state !== 'open') {
      if (op === REJECT && state.dialed && peer?.conn === conn) return this.rejected(peer);
      return;
    }
    if (op === LINK && typeof a === 'string') {
      const linkee = a as Pid;
      if (this.isAlive(linkee)) peer.watched.add(linkee);
      else this.enqueue(peer, [EXITED, linkee]);
    } else if (op === EXITED && typeof a === 'string') {
      const linkers = peer.links.get(a as Pid);
      peer.links.delete(a as Pid);
      for (const linker of linkers ?? []) this.notifyExited(linker, a as Pid);
    }
  }

  /** The dialer's side: the peer answered our hello. */
  private helloReply(conn: Conn, state: ConnState, incarnation: string): void {
    const peer = state.peer!;
    if (peer.conn !== conn) return conn.close('superseded');
    this.opened(peer, conn, incarnation);
  }

  /** The acceptor's side: a runtime introduced itself. */
  private helloIncoming(conn: Conn, state: ConnState, address: string, incarnation: string): void {
    const peer = this.peer(address);
    if (peer.conn && peer.conn !== conn) {
      const old = peer.conn;
      // Both dialed at once: the connection dialed by the lower address wins, on both sides.
      const mineWins = peer.dialedByMe && this.address_ < address && (peer.state !== 'open' || peer.incarnation === incarnation);
      if (mineWins) {
        conn.send(this.packr.pack([REJECT, 'duplicate connection']));
        return conn.close('duplicate connection');
      }
      if (peer.dialedByMe && peer.state !== 'open') {
        peer.conn = undefined; // our own dial lost the tie-break; its queue moves to this connection
        old.close('superseded');
      } else {
        this.connectionLost(peer, 'replaced by a new connection from the peer');
        old.close('replaced');
      }
    }
    state.peer = peer;
    peer.dialedByMe = false;
    conn.send(this.helloFrame());
    this.opened(peer, conn, incarnation);
  }

  private rejected(peer: Peer): void {
    // The peer's own dial to us wins; it will introduce itself. If it never does, give up.
    peer.conn = undefined;
    peer.state = 'awaiting';
    peer.awaitTimer = this.clock.setTimer(10_000, () => {
      peer.awaitTimer = undefined;
      if (peer.state === 'awaiting') this.connectionLost(peer, 'peer did not connect back');
    });
  }

  private opened(peer: Peer, conn: Conn, incarnation: string): void {
    peer.awaitTimer?.();
    peer.awaitTimer = undefined;
    peer.conn = conn;
    peer.state = 'open';
    peer.incarnation = incarnation;
    this.c.opened.value++;
    this.emit({ type: 'connection', peer: peer.address, state: 'open', incarnation });
    this.log.debug({ peer: peer.address, incarnation }, 'connection open');
    const waiting = peer.waiting;
    peer.waiting = [];
    for (const item of waiting) this.enqueue(peer, item);
  }

  /**
   * The connection to a peer is gone: what was queued for it is dropped (at-most-once), every
   * link to its actors fires once, and the next send dials afresh.
   */
  private connectionLost(peer: Peer, reason: string): void {
    const wasOpen = peer.state === 'open';
    const lost = [...peer.waiting, ...peer.outgoing];
    peer.waiting = [];
    peer.outgoing = [];
    peer.state = 'idle';
    peer.conn = undefined;
    peer.dialedByMe = false;
    const incarnation = peer.incarnation;
    peer.incarnation = undefined;
    peer.awaitTimer?.();
    peer.awaitTimer = undefined;
    for (const item of lost) if (typeof item[0] === 'string') this.drop('connection_lost', wireEnvelope(item as Wire, 0), reason, peer.address);
    if (wasOpen) this.c.closed.value++;
    this.emit({ type: 'connection', peer: peer.address, state: 'closed', reason, ...(incarnation ? { incarnation } : {}) });
    this.log.debug({ peer: peer.address, reason }, 'connection lost');
    const links = peer.links;
    peer.links = new Map();
    peer.watched.clear();
    for (const [linkee, linkers] of links) for (const linker of linkers) this.notifyExited(linker, linkee);
  }

  /** An envelope from a peer: checked at the edge, then delivered like a local message. */
  private arrive(peer: Peer, item: unknown[], bytes: number): void {
    if (item.length !== 6 || typeof item[1] !== 'string' || typeof item[2] !== 'string' || typeof item[3] !== 'string' || (item[4] !== null && typeof item[4] !== 'string')) {
      return this.drop('malformed_envelope', undefined, 'not [to, from, name, id, cause, body]', peer.address);
    }
    const env = wireEnvelope(item as Wire, bytes);
    const body = item[5] as { name?: unknown } | null;
    if (typeof body !== 'object' || body === null || body.name !== env.name) return this.drop('malformed_envelope', env, 'body is not a message named like its envelope', peer.address);
    if (!env.to.endsWith(this.localSuffix)) return this.drop('misaddressed', env, `${env.to} is not on ${this.address_}`, peer.address);
    if (env.from !== '' && !env.from.endsWith(peer.suffix)) return this.drop('spoofed_sender', env, `${env.from} did not come from ${peer.address}`, peer.address);
    const validate = this.options.validate;
    if (validate) {
      const problem = validate(env.name, body);
      if (problem !== undefined) return this.drop(problem.startsWith('unknown message') ? 'unknown_message' : 'invalid_body', env, problem, peer.address);
    }
    this.receive(env, true);
  }

  // ---------------------------------------------------------------- inspection

  /** Subscribes to the inspection stream; returns the unsubscribe function. */
  inspect(inspector: Inspector): () => void {
    this.inspectors.push(inspector);
    return () => {
      const i = this.inspectors.indexOf(inspector);
      if (i >= 0) this.inspectors.splice(i, 1);
    };
  }

  private emit(event: InspectionEvent): void {
    for (const inspector of this.inspectors) {
      try {
        inspector(event);
      } catch (err) {
        this.log.error({ err }, 'inspector threw');
      }
    }
  }

  private drop(reason: DropReason, env: Envelope | undefined, detail: string, peer?: string): void {
    this.c.dropped.value++;
    let counter = this.dropCounters.get(reason);
    if (!counter) this.dropCounters.set(reason, (counter = this.metrics.counter(`runtime/messages_dropped/${reason}`)));
    counter.value++;
    if (reason !== 'filtered' && reason !== 'terminated' && reason !== 'stale') {
      this.log.warn({ reason, detail, message: env && { name: env.name, from: env.from, to: env.to, id: env.id }, peer }, 'dropped message');
    }
    if (this.inspectors.length) this.emit({ type: 'drop', reason, detail, ...(env ? { envelope: env } : {}), ...(peer ? { peer } : {}) });
  }

  // ---------------------------------------------------------------- HTTP

  route(owner: Pid, path: string, handler: HttpHandler): void {
    this.routes.set(`/${pidId(owner)}${path}`, { owner, handler });
  }

  /** Serves a request (the transport calls this; tests may too). */
  async http(req: HttpRequest): Promise<HttpResponse> {
    const builtin = this.builtin(req);
    if (builtin) return builtin;
    let r = this.routes.get(req.path);
    if (!r && this.options.delegate) r = this.routes.get(`/${this.options.delegate}${req.path}`);
    if (!r) return notFound(`No endpoint ${req.path}`);
    try {
      return await r.handler(req);
    } catch (err) {
      if (err instanceof ValidationError) return badRequest(err.message);
      this.log.error({ err, path: req.path }, 'HTTP handler threw');
      return { status: 500, body: `internal error: ${(err as Error).message}` };
    }
  }

  private builtin(req: HttpRequest): HttpResponse | undefined {
    switch (req.path) {
      case '/metrics/snapshot':
        return json(this.metrics.snapshot());
      case '/health':
        return { status: 200, body: '' };
      case '/__processes__':
        return json([...this.cells.values()].map(cellView));
      case '/__filters__':
        if (!this.options.testEndpoints) return undefined;
        return filterEndpoint(this.filters, req);
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- quiet and shutdown

  /** True when no mailbox has work, nothing is queued or in flight, and no timer is due. */
  idle(): boolean {
    if (this.runScheduled || this.flushScheduled || this.pendingAsync > 0) return false;
    if (this.clock instanceof ManualClock && this.clock.hasDueTimers()) return false;
    for (const peer of this.peers.values()) if (peer.state === 'connecting' || peer.waiting.length > 0) return false;
    return this.transport.idle();
  }

  /** Fires timers already due on a manual clock; true if any fired. */
  fireDueTimers(): boolean {
    return this.clock instanceof ManualClock ? this.clock.fireDue() : false;
  }

  /** Stops the runtime: terminates every actor and closes every connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const cell of [...this.cells.values()]) this.terminate(cell.pid);
    this.flush();
    this.stopped = true;
    await this.transport.close();
  }
}

