// The Runtime: one per OS process. It hosts actors, runs their mailboxes, and connects to other
// runtimes over one bidirectional connection per pair (handshake with address, incarnation and
// protocol version; frames carry batches of envelopes, flushed once per event-loop turn). It
// keeps libprocess's semantics — at-most-once, FIFO per sender→receiver, one exited() per link —
// and fixes its weak spots: bad input is counted instead of fatal, exits carry incarnations,
// dead letters are visible, and tests can filter on the send side too.

import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Actor } from './actor.js';
import { ExitNotice, cancelKeyed, cellView, retractExit, revoked, trackQueued, type Cell, type Revocable } from './cell.js';
import { RealClock, ManualClock, type Cancel, type Clock } from './clock.js';
import { ValidationError, IllegalStateError } from './errors.js';
import { badRequest, json, notFound, withJsonp, type HttpHandler, type HttpRequest, type HttpResponse } from './http.js';
import type { DropReason, Envelope, InspectionEvent, Inspector, Message } from './message.js';
import { Metrics, type Counter } from './metrics.js';
import { pid as makePid, pidAddress, pidId, type Accepts, type Pid } from './pid.js';
import { Filters } from './filters.js';
import { breakEndpoint, filterEndpoint, type BreakOutcome } from './test-endpoints.js';
import type { Random } from './random.js';
import type { Transport } from './transport.js';
import { WebSocketTransport } from './ws-transport.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './codec.js';
import { EXITED, LINK, type AuthOptions } from './handshake.js';
import { Peers, PROTOCOL_VERSION } from './peers.js';
import { wireEnvelope, type Wire } from './wire.js';
import type { TlsOptions } from './tls.js';

export { PROTOCOL_VERSION };

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
  /** Authentication at the handshake: this runtime's credential and the peers' secrets. */
  auth?: AuthOptions;
  /** TLS for the default WebSocket transport (`wss://`, `https://`); see tlsFromEnv(). */
  tls?: TlsOptions;
  /**
   * Bytes written to a peer and not yet read by it (64 MiB): over this, a peer that reads
   * nothing for outboundStallMs (5 s) is cut, and any peer at four times this.
   */
  maxOutboundBytes?: number;
  outboundStallMs?: number;
  /** Most unhandled messages from other runtimes in one actor's mailbox (100,000). */
  maxMailbox?: number;
  /** How long a connection may take to complete its handshake (10 s). */
  handshakeTimeoutMs?: number;
  /** Bounds on what a decoded message may hold. */
  limits?: Partial<DecodeLimits>;
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
  private readonly peers: Peers;
  private readonly maxMailbox: number;
  private readonly invalidListeners: ((env: Envelope, problem: string) => void)[] = [];
  private readonly localLinks = new Map<Pid, Set<Pid>>();
  private readonly routes = new Map<string, { owner: Pid | undefined; handler: HttpHandler }>();
  private builtinGuard: ((handler: HttpHandler) => HttpHandler) | undefined;
  private readonly inspectors: Inspector[] = [];
  private runQueue: Cell[] = [];
  private runHead = 0;
  private runScheduled = false;
  private messageCounter = 0;
  private currentCause: string | null = null;
  private pendingAsync = 0;
  private stopped = false;
  private readonly c: Record<'sent' | 'received' | 'dropped' | 'deadLetters' | 'opened' | 'closed' | 'handlerErrors' | 'delayed', Counter>;
  /** Messages a test filter holds, to release or forget on stop. */
  private readonly held = new Set<Cancel>();
  private readonly dropCounters = new Map<DropReason, Counter>();

  private constructor(options: RuntimeOptions) {
    this.options = options;
    this.clock = options.clock ?? new RealClock();
    this.random = options.random ?? Math.random;
    this.transport = options.transport ?? new WebSocketTransport(options.tls ? { tls: options.tls } : {});
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
      delayed: m.counter('runtime/messages_delayed'),
    };
    this.maxMailbox = options.maxMailbox ?? 100_000;
    this.peers = new Peers(
      {
        address: () => this.address_,
        incarnation: this.incarnation,
        clock: this.clock,
        log: this.log,
        drop: (reason, env, detail, peer) => this.drop(reason, env, detail, peer),
        emit: (event) => this.emit(event),
        deliver: (env) => this.receive(env, true),
        invalid: (env, problem) => {
          for (const fn of this.invalidListeners) {
            try {
              fn(env, problem);
            } catch (err) {
              this.log.error({ err }, 'invalid-message listener threw');
            }
          }
        },
        notifyExited: (linker, linkee) => this.notifyExited(linker, linkee),
        isAlive: (p) => this.isAlive(p),
        opened: () => void this.c.opened.value++,
        closed: () => void this.c.closed.value++,
      },
      {
        transport: this.transport,
        auth: options.auth,
        validate: options.validate,
        maxQueuedPerPeer: options.maxQueuedPerPeer ?? 100_000,
        maxOutboundBytes: options.maxOutboundBytes ?? 64 * 1024 * 1024,
        outboundStallMs: options.outboundStallMs ?? 5000,
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
        limits: { ...DEFAULT_LIMITS, ...options.limits },
      },
    );
    m.gauge('runtime/connections_active', () => [...this.peers.map.values()].filter((p) => p.state === 'open').length);
    m.gauge('runtime/peers', () => this.peers.map.size);
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
      connection: (conn) => rt.peers.accept(conn),
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
      if (this.filters.active) {
        const verdict = this.filters.apply('send', env);
        if (verdict === 'drop') return this.drop('filtered', env, 'send-side filter'), id;
        if (verdict !== 'pass') return this.hold(verdict, () => this.sendLocal(env)), id;
      }
      this.sendLocal(env);
      return id;
    }
    const wire: Wire = [to, from, msg.name, id, cause, msg];
    // The hot remote path builds no envelope object unless a filter or an inspector wants one.
    if (this.filters.active) {
      const env = wireEnvelope(wire, 0);
      const verdict = this.filters.apply('send', env);
      if (verdict === 'drop') return this.drop('filtered', env, 'send-side filter'), id;
      if (verdict !== 'pass') return this.hold(verdict, () => this.sendRemote(wire, env)), id;
    }
    this.sendRemote(wire, undefined);
    return id;
  }

  private sendLocal(env: Envelope): void {
    this.c.sent.value++;
    if (this.inspectors.length) this.emit({ type: 'send', envelope: env, remote: false });
    this.receive(env, false);
  }

  private sendRemote(wire: Wire, env: Envelope | undefined): void {
    if (this.inspectors.length) this.emit({ type: 'send', envelope: env ?? wireEnvelope(wire, 0), remote: true });
    this.c.sent.value++;
    this.peers.enqueue(this.peers.peerOf(wire[0] as Pid), wire);
  }

  /** A message a delaying filter holds: it goes on, past the filters of its side, after `ms`. */
  private hold(ms: number, release: () => void): void {
    this.c.delayed.value++;
    const cancel = this.clock.setTimer(ms, () => {
      this.held.delete(cancel);
      if (!this.stopped) release();
    });
    this.held.add(cancel);
  }

  private nextId(): string {
    return this.idPrefix + ++this.messageCounter;
  }

  /** A message arriving at a local actor, from this runtime or a remote one. */
  private receive(env: Envelope, remote: boolean): void {
    if (this.filters.active) {
      const verdict = this.filters.apply('receive', env);
      if (verdict === 'drop') return this.drop('filtered', env, 'receive-side filter');
      if (verdict !== 'pass') return this.hold(verdict, () => this.enqueueFor(env, remote));
    }
    this.enqueueFor(env, remote);
  }

  /** Into the receiver's mailbox, if it is still there and has room. */
  private enqueueFor(env: Envelope, remote: boolean): void {
    const cell = this.cells.get(env.to);
    if (!cell || cell.state !== 'running') {
      this.c.deadLetters.value++;
      return this.drop('dead_letter', env, `no actor ${pidId(env.to)} here`);
    }
    if (remote && cell.mailbox.length - cell.head >= this.maxMailbox) return this.drop('mailbox_full', env, `${pidId(env.to)} has ${this.maxMailbox} messages waiting`);
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
    if (this.peers.flushScheduled) this.peers.flush();
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
    for (const peer of this.peers.map.values()) {
      if (peer.watched.delete(cell.pid)) this.peers.enqueue(peer, [EXITED, cell.pid]);
    }
    // Links this actor held to others are forgotten: only those it holds (cell.links), not a
    // scan of every link in the runtime, which made each termination O(links) — a master
    // removing many agents terminates one observer per agent.
    for (const linkee of cell.links.keys()) {
      const local = this.localLinks.get(linkee);
      if (local?.delete(cell.pid) && local.size === 0) this.localLinks.delete(linkee);
      const remote = this.peers.map.get(pidAddress(linkee))?.links;
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
    const remote = this.peers.map.get(pidAddress(linkee))?.links;
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
    const peer = this.peers.peer(address);
    let set = peer.links.get(linkee);
    if (!set) peer.links.set(linkee, (set = new Set()));
    if (set.has(linker)) return;
    const first = set.size === 0;
    set.add(linker);
    // One LINK per remote actor: its runtime tells us if it does not exist or when it terminates.
    if (first) this.peers.enqueue(peer, [LINK, linkee, linker]);
    else if (peer.state === 'idle') this.peers.connect(peer);
  }

  // ---------------------------------------------------------------- peers

  /**
   * Hears of every message from another runtime that its validator refused (after it is counted
   * as dropped), so an actor can answer it (a launch with a bad number gets TASK_ERROR, not
   * silence). The envelope's from is checked; its body is NOT valid: read it defensively.
   */
  onInvalid(listener: (env: Envelope, problem: string) => void): () => void {
    this.invalidListeners.push(listener);
    return () => {
      const i = this.invalidListeners.indexOf(listener);
      if (i >= 0) this.invalidListeners.splice(i, 1);
    };
  }

  /**
   * The principal that `p`'s runtime proved at the handshake of its open connection to this one;
   * for a local pid, this runtime's own; undefined when no principal was proven.
   */
  principalOf(p: Pid | ''): string | undefined {
    if (p === '') return undefined;
    if (p.endsWith(this.localSuffix)) return this.options.auth?.credential?.principal;
    return this.peers.principalOf(pidAddress(p));
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
  /**
   * Puts this runtime's own endpoints, all but `/health`, behind the check its actors' routes use
   * (HTTP authentication), so that an unauthenticated client learns nothing but liveness.
   */
  guardBuiltins(wrap: (handler: HttpHandler) => HttpHandler): void {
    this.builtinGuard = wrap;
  }

  async http(req: HttpRequest): Promise<HttpResponse> {
    if (this.isBuiltin(req.path)) {
      const serve: HttpHandler = (r) => this.builtin(r) ?? notFound(`No endpoint ${r.path}`);
      return req.path !== '/health' && this.builtinGuard ? this.builtinGuard(serve)(req) : serve(req);
    }
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

  private isBuiltin(path: string): boolean {
    return path === '/metrics/snapshot' || path === '/health' || path === '/__processes__' || ((path === '/__filters__' || path === '/__connections__/break') && this.options.testEndpoints === true);
  }

  private builtin(req: HttpRequest): HttpResponse | undefined {
    switch (req.path) {
      case '/metrics/snapshot': {
        // libprocess validates `timeout` (how long to wait for gauges; every value here is at hand).
        const timeout = req.query.get('timeout');
        if (timeout !== null && !/^\d+(\.\d+)?(ns|us|ms|secs|mins|hrs|days|weeks)$/.test(timeout)) {
          return badRequest(`Invalid timeout '${timeout.slice(0, 64)}': expecting a duration such as 5secs`);
        }
        return withJsonp(req, json(this.metrics.snapshot()));
      }
      case '/health':
        return { status: 200, body: '' };
      case '/__processes__':
        return withJsonp(req, json([...this.cells.values()].map(cellView)));
      case '/__filters__':
        if (!this.options.testEndpoints) return undefined;
        return filterEndpoint(this.filters, req);
      case '/__connections__/break':
        if (!this.options.testEndpoints) return undefined;
        return breakEndpoint((peer) => this.breakConnection(peer), req);
      default:
        return undefined;
    }
  }

  /**
   * For tests: this end drops its connection to the runtime at `address` as if the socket had
   * closed (links to that runtime's actors fire, what was queued for it is dropped, the next
   * send dials afresh), without telling the far end. The far end keeps the connection open: its
   * messages are read and discarded, its pings get no pong, so its heartbeat cuts the connection
   * within two heartbeat periods; or, sooner, a new connection from this end (which this end's
   * address vouches for) replaces the old one there. Until then it sees nothing.
   */
  breakConnection(address: string): BreakOutcome {
    return this.peers.breakConnection(address, 'broken at this end by a test');
  }

  // ---------------------------------------------------------------- quiet and shutdown

  /** True when no mailbox has work, nothing is queued or in flight, and no timer is due. */
  idle(): boolean {
    if (this.runScheduled || this.peers.flushScheduled || this.pendingAsync > 0) return false;
    if (this.clock instanceof ManualClock && this.clock.hasDueTimers()) return false;
    for (const peer of this.peers.map.values()) if (peer.state === 'connecting' || peer.state === 'authenticating' || peer.waiting.length > 0) return false;
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
    for (const cancel of this.held) cancel();
    this.held.clear();
    this.peers.flush();
    this.stopped = true;
    await this.transport.close();
  }
}

