// The Actor base class. An actor owns a mailbox and a handler table typed by its inbox union,
// so leaving a message out is a compile error. Handlers run one at a time and synchronously;
// async work comes back into the actor as a message (pipeToSelf), timers likewise (delay).

import type { Logger } from 'pino';
import type { Cancel } from './clock.js';
import type { HttpHandler } from './http.js';
import type { Message } from './message.js';
import type { Pid } from './pid.js';
import type { Runtime } from './runtime.js';
import { IllegalStateError } from './errors.js';

/** One handler per message name of the inbox; `from` is the sender's pid ('' from outside). */
export type Handlers<In extends Message> = {
  readonly [K in In['name']]: (msg: Extract<In, { name: K }>, from: Pid | '') => void;
};

export abstract class Actor<In extends Message = Message> {
  protected abstract readonly handlers: Handlers<In>;
  private bound: { runtime: Runtime; self: Pid; log: Logger } | undefined;

  get self(): Pid {
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

  protected send<M extends Message>(to: Pid, msg: M): void {
    this.runtime.send(this.self, to, msg);
  }

  /** Asks for exactly one exited(pid) when pid terminates or becomes unreachable. */
  protected link(pid: Pid): void {
    this.runtime.link(this.self, pid);
  }

  /** Delivers msg to this actor after ms of the runtime's clock. */
  protected delay(ms: number, msg: In): Cancel {
    return this.runtime.delay(this.self, ms, msg);
  }

  /** Brings a promise's outcome back into the actor as a message. */
  protected pipeToSelf<T>(promise: Promise<T>, ok: (value: T) => In, fail: (error: unknown) => In): void {
    this.runtime.pipe(this.self, promise, ok, fail);
  }

  /** Serves GET/POST `/<actor id><path>` on the runtime's port. */
  protected route(path: string, handler: HttpHandler): void {
    this.runtime.route(this.self, path, handler);
  }

  protected now(): number {
    return this.runtime.clock.now();
  }

  protected terminateSelf(): void {
    this.runtime.terminate(this.self);
  }

  /** Internal: the runtime calls this once, at spawn. */
  bind(runtime: Runtime, self: Pid, log: Logger): void {
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

  private binding(): { runtime: Runtime; self: Pid; log: Logger } {
    if (!this.bound) throw new IllegalStateError('actor is not spawned yet');
    return this.bound;
  }
}
