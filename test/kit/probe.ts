// The test probe: an actor that accepts every message, records each with its sender, answers by
// rules the test gives, and lets a test await a message on virtual time (Akka's TestProbe, on
// libprocess's paused clock). One class stands in for a master, an agent, a scheduler or an
// executor in every actor test.

import { Actor, ManualClock, type Handlers, type Message, type Pid, type Runtime } from '../../runtime/index.js';
import type { ProtocolMessage } from '../../protocol/index.js';
import { advanceUntil, settle } from './time.js';

/** One received message and who sent it ('' from outside any actor). */
export interface Received<In extends Message> {
  msg: In;
  from: Pid | '';
}

/** The message named N of an inbox; for an untyped inbox, any message with open fields. */
export type Named<In extends Message, N extends string> = string extends In['name'] ? In & Record<string, unknown> : Extract<In, { name: N }>;

/** What expectMessage looks for: a message name, or any test on the message and its sender. */
export type Match<In extends Message> = In['name'] | ((msg: In, from: Pid | '') => boolean);

export interface ProbeOptions {
  /**
   * The runtimes whose virtual time the probe advances and settles (all of the test's, so that
   * every actor gets to run). A live array: runtimes pushed later count too. Default: the probe's.
   */
  runtimes?: Runtime[];
}

type Rule<In extends Message> = (msg: In, from: Pid | '') => void;

export class Probe<In extends Message = ProtocolMessage> extends Actor<In> {
  /** Everything received, in order. */
  readonly received: Received<In>[] = [];
  /** Pids of linked actors that exited (see watch). */
  readonly exits: Pid[] = [];
  /** Runs for every message after it is recorded and after its rule (see on). */
  onMessage: Rule<In> | undefined;
  /** Runtimes advanced and settled by expectMessage / expectNoMessage. */
  runtimes: Runtime[] | undefined;
  private readonly rules = new Map<string, Rule<In>>();
  /** received[0..cursor) were consumed by expectMessage / expectNoMessage. */
  private cursor = 0;
  private waiters: (() => void)[] = [];

  constructor(options: ProbeOptions = {}) {
    super();
    this.runtimes = options.runtimes;
  }

  /** The probe's address, typed by what it accepts. */
  get pid(): Pid<In> {
    return this.self;
  }

  // Every message name has a handler: a proxy answers both lookups the runtime makes.
  private readonly record = (msg: In, from: Pid | ''): void => {
    this.received.push({ msg, from });
    this.rules.get(msg.name)?.(msg, from);
    this.onMessage?.(msg, from);
    this.wake();
  };

  protected readonly handlers = new Proxy({} as Handlers<In>, {
    get: () => this.record,
    getOwnPropertyDescriptor: () => ({ value: this.record, writable: false, enumerable: true, configurable: true }),
  });

  /** Runs `rule` for every message named `name`, after recording it (one rule per name). */
  on<N extends In['name']>(name: N, rule: (msg: Named<In, N>, from: Pid | '') => void): this {
    this.rules.set(name, rule as Rule<In>);
    return this;
  }

  /**
   * Sends `msg` to `to` as this probe. Deliberately loose (any message to any pid): a probe also
   * plays peers that misbehave, sending what the receiver's inbox does not list.
   */
  tell<T extends Message>(to: Pid<T>, msg: T | ProtocolMessage | Message): void {
    this.send(to as Pid, msg);
  }

  /** Links to pid; its exit is recorded in `exits`. */
  watch(pid: Pid): void {
    this.link(pid);
  }

  override exited(pid: Pid): void {
    this.exits.push(pid);
    this.wake();
  }

  stopSelf(): void {
    this.terminateSelf();
  }

  /** Every message named `name` received so far, in order. */
  all<N extends In['name']>(name: N): Named<In, N>[] {
    return this.received.filter((r) => r.msg.name === name).map((r) => r.msg as Named<In, N>);
  }

  /** The latest message named `name`, if any. */
  last<N extends In['name']>(name: N): Named<In, N> | undefined {
    const list = this.all(name);
    return list[list.length - 1];
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.received.length = 0;
    this.cursor = 0;
  }

  /** Names of everything received so far, in order (for failure messages). */
  names(): string[] {
    return this.received.map((r) => r.msg.name);
  }

  /**
   * Resolves with the first message not yet expected that matches, consuming it and whatever came
   * before it. On a manual clock, settles and then advances timer by timer for up to `within`
   * virtual ms (default 0: what arrives once everything settles), stopping where the message
   * arrived; on a real clock, waits up to `within` real ms. Fails listing what did arrive.
   */
  async expectMessage<N extends In['name']>(name: N, options?: { within?: number }): Promise<Named<In, N> & { from: Pid | '' }>;
  async expectMessage(match: (msg: In, from: Pid | '') => boolean, options?: { within?: number }): Promise<In & { from: Pid | '' }>;
  async expectMessage(match: Match<In>, options: { within?: number } = {}): Promise<In & { from: Pid | '' }> {
    const within = options.within ?? 0;
    const test = matcher(match);
    const find = (): number => this.received.findIndex((r, i) => i >= this.cursor && test(r.msg, r.from));
    const since = this.cursor;
    const found = (await this.wait(() => find() >= 0, within)) ? find() : -1;
    const hit = this.received[found];
    if (!hit) {
      const seen = this.received.slice(since).map((r) => r.msg.name);
      throw new Error(`${this.label()}: expected ${describe(match)} within ${within} ms; received ${seen.length ? seen.join(', ') : 'nothing'}`);
    }
    this.cursor = found + 1;
    return { ...hit.msg, from: hit.from };
  }

  /**
   * Lets `for` virtual ms pass (timer by timer, settling after each) and fails if a message not
   * yet expected arrived meanwhile: any message, or only those named `name`. Akka's
   * expectNoMessage: assert that nothing happens too early.
   */
  async expectNoMessage(name?: In['name'], options: { for?: number } = {}): Promise<void> {
    const period = options.for ?? 0;
    const pending = (): Received<In>[] => this.received.slice(this.cursor).filter((r) => name === undefined || r.msg.name === name);
    const rts = this.allRuntimes();
    if (rts[0]?.clock instanceof ManualClock) await advanceUntil(rts, () => false, period);
    else await new Promise<void>((r) => setTimeout(r, period));
    const got = pending();
    if (got.length) throw new Error(`${this.label()}: expected no ${name ?? 'message'} for ${period} ms; received ${got.map((r) => r.msg.name).join(', ')}`);
    if (name === undefined) this.cursor = this.received.length;
  }

  private async wait(done: () => boolean, within: number): Promise<boolean> {
    const rts = this.allRuntimes();
    if (rts[0]?.clock instanceof ManualClock) return advanceUntil(rts, done, within);
    await settle(rts).catch(() => undefined);
    const deadline = Date.now() + within;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return true;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `pred` holds, re-checked after every message and exit (for real-time tests). */
  async until(pred: () => boolean): Promise<void> {
    while (!pred()) await new Promise<void>((r) => this.waiters.push(r));
  }

  private allRuntimes(): Runtime[] {
    return this.runtimes ?? [this.runtime];
  }

  private label(): string {
    try {
      return `probe ${this.self}`;
    } catch {
      return 'probe';
    }
  }
}

function matcher<In extends Message>(match: Match<In>): (msg: In, from: Pid | '') => boolean {
  return typeof match === 'function' ? match : (msg) => msg.name === match;
}

function describe<In extends Message>(match: Match<In>): string {
  return typeof match === 'function' ? 'a message matching the predicate' : match;
}
