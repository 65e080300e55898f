// Message tracing: one JSON line per send, receive and drop, appended to a file that
// `mesos-trace` merges with other processes' files. Lines are built by hand and written in one
// batch per event-loop turn, so tracing every message keeps most of the runtime's throughput;
// with no tracer subscribed, the runtime builds no events at all.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { InspectionEvent, Message } from './message.js';
import type { Runtime } from './runtime.js';

export interface TraceOptions {
  /** Ids a trace line should carry for filtering (framework_id, task_id, agent_id). */
  attributes?: (msg: Message) => Record<string, string | undefined>;
}

export interface Tracer {
  /** Writes out what is buffered and stops tracing. */
  stop(): void;
}

const str = JSON.stringify;
/**
 * At most this many routes and quoted strings are kept encoded, each at most this long: a peer
 * that makes up names and pids (up to 4,096 characters each) cannot grow the caches past about
 * 20 MB; what is not kept is encoded for its line.
 */
const MAX_CACHED = 10_000;
const MAX_CACHED_LENGTH = 512;

/**
 * A trace line's bytes, written straight into one reusable buffer: what recurs (the line's start
 * to the millisecond, and each route of direction, from, to and name) is JSON-quoted and
 * UTF-8-encoded once (not once per line), numbers are written as digits, and no string is built
 * for a line. Making and encoding a ~200-character string per message was most of what tracing
 * cost.
 */
class LineBuffer {
  buf = Buffer.allocUnsafe(1 << 20);
  used = 0;
  private readonly quoted = new Map<string, Buffer>();
  private readonly routes = new Map<string, Buffer>();
  private last: { dir: string; from: string; to: string; name: string; b: Buffer } = { dir: '', from: '', to: '', name: '', b: Buffer.alloc(0) };
  private lastMs = -1;
  private msBytes = Buffer.alloc(0);

  /** Room for `n` more bytes, flushing through `flush` first if need be. */
  reserve(n: number, flush: () => void): void {
    if (this.buf.length - this.used >= n) return;
    flush();
    if (this.buf.length < n) this.buf = Buffer.allocUnsafe(n);
  }

  bytes(b: Buffer): void {
    const { buf } = this;
    let u = this.used;
    if (b.length < 32) for (let i = 0; i < b.length; i++) buf[u++] = b[i]!;
    else {
      buf.set(b, u);
      u += b.length;
    }
    this.used = u;
  }

  /**
   * What a line holds between its timestamp and its id: its direction, from, to and name, with
   * their keys. The few distinct ones a process sees are encoded once each. Strings decoded from
   * the wire are new strings each time, whose hash a map must compute: `last` catches the common
   * run of equal ones with four comparisons.
   */
  route(dir: string, from: string, to: string, name: string): void {
    const { last } = this;
    if (dir !== last.dir || from !== last.from || to !== last.to || name !== last.name) {
      const key = `${dir}\u0000${from}\u0000${to}\u0000${name}`;
      let b = this.routes.get(key);
      if (b === undefined) {
        b = Buffer.from(`,"dir":"${dir}","from":${str(from)},"to":${str(to)},"name":${str(name)},"id":`);
        if (this.routes.size < MAX_CACHED && key.length <= MAX_CACHED_LENGTH) this.routes.set(key, b);
      }
      this.last = { dir, from, to, name, b };
    }
    this.bytes(this.last.b);
  }

  /** `s` as a JSON string; the few distinct ones a process sees (attribute keys and values) are encoded once. */
  quote(s: string): void {
    let b = this.quoted.get(s);
    if (b === undefined) {
      b = Buffer.from(str(s));
      if (this.quoted.size < MAX_CACHED && s.length <= MAX_CACHED_LENGTH) this.quoted.set(s, b);
    }
    this.bytes(b);
  }

  /**
   * An id: ours (`<hex tag>.<counter>`: up to 16 of [0-9a-z], a dot, up to 16 digits) copied as
   * it is while it is checked; anything else JSON-quoted.
   */
  id(s: string): void {
    const { buf } = this;
    const start = this.used;
    const n = s.length;
    let u = start;
    buf[u++] = 0x22;
    let dot = -1;
    let ok = n >= 3 && n <= 33;
    for (let i = 0; ok && i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x2e) {
        ok = dot < 0 && i >= 1 && i <= 16;
        dot = i;
      } else ok = (c >= 0x30 && c <= 0x39) || (dot < 0 && c >= 0x61 && c <= 0x7a);
      buf[u++] = c;
    }
    if (ok && dot > 0 && n - dot - 1 >= 1 && n - dot - 1 <= 16) {
      buf[u++] = 0x22;
      this.used = u;
    } else {
      this.used = start;
      this.text(JSON.stringify(s));
    }
  }

  text(s: string): void {
    this.used += this.buf.write(s, this.used);
  }

  /** A non-negative integer, as digits. */
  int(n: number): void {
    if (!(n >= 0 && n < 1e15 && Number.isInteger(n))) return this.text(String(n));
    const { buf } = this;
    if (n < 10) {
      buf[this.used++] = 48 + n;
      return;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    let u = this.used + digits;
    this.used = u;
    for (let m = n; digits-- > 0; m = Math.floor(m / 10)) buf[--u] = 48 + (m % 10);
  }

  /**
   * The line's start: `{"runtime":…,"ts":` and milliseconds since the epoch with microseconds.
   * Formatting a large fractional double is costly, so the start up to the whole milliseconds is
   * encoded once per millisecond and the microseconds appended as three digits.
   */
  start(prefix: string): void {
    const now = performance.timeOrigin + performance.now();
    const ms = Math.floor(now);
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.msBytes = Buffer.from(`${prefix}${ms}.`);
    }
    this.bytes(this.msBytes);
    const us = Math.min(999, Math.floor((now - ms) * 1000));
    const { buf } = this;
    buf[this.used++] = 48 + Math.floor(us / 100);
    buf[this.used++] = 48 + (Math.floor(us / 10) % 10);
    buf[this.used++] = 48 + (us % 10);
  }
}

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const DIR = { send: 'send', receive: 'recv', drop: 'drop' } as const;
const CAUSE = ascii(',"cause":');
const NULL_CAUSE_BYTES = ascii(',"cause":null,"bytes":');
const BYTES = ascii(',"bytes":');

export function startTrace(runtime: Runtime, file: string, options: TraceOptions = {}): Tracer {
  const fd = openSync(file, 'a');
  const prefix = `{"runtime":${str(runtime.address)},"ts":`;
  const prefixBytes = Buffer.byteLength(prefix);
  // Lines are encoded straight into one reusable buffer and written with one call per turn.
  const out = new LineBuffer();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (out.used === 0) return;
    writeSync(fd, out.buf, 0, out.used);
    out.used = 0;
  };
  const attrs = options.attributes;
  const inspector = (ev: InspectionEvent): void => {
    let extra = '';
    if (ev.type === 'drop') extra = `,"reason":${str(ev.reason)}${ev.detail ? `,"detail":${str(ev.detail)}` : ''}`;
    else if (ev.type !== 'send' && ev.type !== 'receive') return;
    const e = ev.envelope;
    if (!e) return;
    const a = attrs?.(e.body);
    let attrLength = 0;
    if (a) for (const k in a) attrLength += k.length + (a[k]?.length ?? 0) + 4;
    // Everything but the pids, names and extras is ASCII of bounded length; those are counted at
    // UTF-8's worst (3 bytes a UTF-16 unit, 6 once JSON-escaped).
    out.reserve(prefixBytes + 200 + 6 * (e.from.length + e.to.length + e.name.length + e.id.length + (e.cause?.length ?? 0) + extra.length + attrLength), flush);
    out.start(prefix);
    out.route(DIR[ev.type], e.from, e.to, e.name);
    out.id(e.id);
    if (e.cause === null) out.bytes(NULL_CAUSE_BYTES);
    else {
      out.bytes(CAUSE);
      out.id(e.cause);
      out.bytes(BYTES);
    }
    out.int(e.bytes);
    if (extra) out.text(extra);
    if (a) {
      for (const k in a) {
        const v = a[k];
        if (v === undefined) continue;
        out.buf[out.used++] = 0x2c; // ,
        out.quote(k);
        out.buf[out.used++] = 0x3a; // :
        out.quote(v);
      }
    }
    out.buf[out.used++] = 0x7d; // }
    out.buf[out.used++] = 0x0a; // \n
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const unsubscribe = runtime.inspect(inspector);
  const onExit = (): void => flush();
  process.on('exit', onExit);
  return {
    stop() {
      unsubscribe();
      flush();
      process.off('exit', onExit);
      closeSync(fd);
    },
  };
}
