// The Actor base class. An actor owns a mailbox and a handler table typed by its inbox union,
// so leaving a message out is a compile error. Handlers run one at a time and synchronously;
// async work comes back into the actor as a message (pipeToSelf, callback), timers likewise
// (startTimer, delay), and so do exits of linked actors (exited, linkWith).

import type { Logger } from 'pino';
import type { Cancel } from './clock.js';
import type { HttpHandler } from './http.js';
import type { Message } from './message.js';
import type { Accepts, Pid } from './pid.js';
import type { Runtime } from './runtime.js';
import { IllegalStateError } from './errors.js';

/** One handler per message name of the inbox; `from` is the sender's pid ('' from outside). */
export type Handlers<In extends Message> = {
  readonly [K in In['name']]: (msg: Extract<In, { name: K }>, from: Pid | '') => void;
};

export abstract class Actor<In extends Message = Message> {
  protected abstract readonly handlers: Handlers<In>;
  private bound: { runtime: Runtime; self: Pid<In>; log: Logger } | undefined;

  get self(): Pid<In> {
    return this.binding().self;
  }

  get runtime(): Runtime {
    return this.binding().runtime;
  }

  protected get log(): Logger {
    return this.binding().log;
  }

  /** Runs once, before any message is handled. */
  initialize(): void {}

  /** Runs once, when the actor terminates. */
  finalize(): void {}

  /** A linked actor terminated, or the connection to its runtime was lost. Once per link. */
  exited(_pid: Pid): void {}

  /** Sends msg to `to`: to a typed pid only what its inbox accepts; to an untyped one, any message. */
  protected send<T extends Message, M extends Message = T>(to: Pid<T>, msg: Accepts<T, M>): void {
    this.runtime.send(this.self, to, msg);
  }

  /** Asks for exactly one exited(pid) when pid terminates or becomes unreachable. */
  protected link(pid: Pid): void {
    this.runtime.link(this.self, pid);
  }

  /**
   * As link, but the exit arrives as `msg`, through the handler table, instead of exited(pid)
   * (Akka's watchWith): the message can name what died. Exactly once per link.
   */
  protected linkWith(pid: Pid, msg: In): void {
    this.runtime.linkWith(this.self, pid, msg);
  }

  /** Forgets a link: no exit of pid reaches this actor afterwards, even one already queued. */
  protected unlink(pid: Pid): void {
    this.runtime.unlink(this.self, pid);
  }

  /** Delivers msg to this actor after ms of the runtime's clock. Prefer startTimer. */
  protected delay(ms: number, msg: In): Cancel {
    return this.runtime.delay(this.self, ms, msg);
  }

  /**
   * Delivers msg once, after ms of the runtime's clock, unless the timer `key` is restarted or
   * cancelled first. Restarting a key cancels its previous timer; a cancelled or replaced
   * timer's message never reaches a handler, even if it was already queued.
   */
  protected startTimer(key: string, ms: number, msg: In): void {
    this.runtime.startTimer(this.self, key, ms, msg);
  }

  /** Cancels the timer `key`, if any: its message will not be handled. */
  protected cancelTimer(key: string): void {
    this.runtime.cancelTimer(this.self, key);
  }

  /** True while the timer `key` is armed or its message is queued, unhandled. */
  protected isTimerActive(key: string): boolean {
    return this.runtime.isTimerActive(this.self, key);
  }

  /** Brings a promise's outcome back into the actor as a message, caused by the message being handled now. */
  protected pipeToSelf<T>(promise: Promise<T>, ok: (value: T) => In, fail: (error: unknown) => In): void {
    this.runtime.pipe(this.self, promise, ok, fail);
  }

  /**
   * Wraps a callback for code outside the actor (a child process's exit, a socket's events, a
   * user's callback): calling it later delivers fn(...args) to this actor, caused by the
   * message being handled now; after the actor terminated it does nothing. Unlike pipeToSelf,
   * it is not work in progress for settle(): it may never be called.
   */
  protected callback<A extends unknown[]>(fn: (...args: A) => In): (...args: A) => void {
    return this.runtime.callback(this.self, fn);
  }

  /**
   * Wraps actor code that something outside will call directly, later (a driver method called
   * from a user's promise continuation): it runs at once, not through the mailbox, and what it
   * sends is caused by the message being handled now, so a trace can follow the flow through.
   */
  protected causal<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const runtime = this.runtime;
    const cause = runtime.cause;
    return (...args: A): R => runtime.withCause(cause, () => fn(...args));
  }

  /** Serves GET/POST `/<actor id><path>` on the runtime's port. */
  protected route(path: string, handler: HttpHandler): void {
    this.runtime.route(this.self, path, handler);
  }

  protected now(): number {
    return this.runtime.clock.now();
  }

  /** A uniform random number in [0, 1) from the runtime's injected source. */
  protected random(): number {
    return this.runtime.random();
  }

  protected terminateSelf(): void {
    this.runtime.terminate(this.self);
  }

  /** Internal: the runtime calls this once, at spawn. */
  bind(runtime: Runtime, self: Pid<In>, log: Logger): void {
    if (this.bound) throw new IllegalStateError(`actor ${this.bound.self} is already spawned`);
    this.bound = { runtime, self, log };
  }

  /** Internal: the runtime's entry into the handler table. */
  handle(msg: Message, from: Pid | ''): boolean {
    const handler = (this.handlers as unknown as Record<string, ((m: Message, f: Pid | '') => void) | undefined>)[msg.name];
    if (!handler || !Object.hasOwn(this.handlers, msg.name)) return false;
    handler.call(this, msg, from);
    return true;
  }

  private binding(): { runtime: Runtime; self: Pid<In>; log: Logger } {
    if (!this.bound) throw new IllegalStateError('actor is not spawned yet');
    return this.bound;
  }
}
