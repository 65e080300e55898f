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

/** Our own ids (`<hex tag>.<counter>`) need no escaping; anything a peer made up is quoted properly. */
const SAFE_ID = /^[0-9a-z]{1,16}\.[0-9]{1,16}$/;
const id = (s: string): string => (SAFE_ID.test(s) ? `"${s}"` : str(s));

/** JSON-quotes the few distinct pids and names a process sees once, not per line. */
function quoter(): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let q = cache.get(s);
    if (q === undefined) {
      q = str(s);
      if (cache.size < 10_000) cache.set(s, q);
    }
    return q;
  };
}

/**
 * Milliseconds since the epoch with microseconds, as text. Formatting a large fractional double
 * is the costliest part of a line, so the whole milliseconds are formatted once per millisecond
 * and the microseconds appended as a small integer.
 */
function stamper(): () => string {
  let lastMs = -1;
  let msText = '';
  return () => {
    const now = performance.timeOrigin + performance.now();
    const ms = Math.floor(now);
    if (ms !== lastMs) {
      lastMs = ms;
      msText = `${ms}.`;
    }
    const us = Math.floor((now - ms) * 1000);
    return msText + (us < 10 ? '00' : us < 100 ? '0' : '') + us;
  };
}

export function startTrace(runtime: Runtime, file: string, options: TraceOptions = {}): Tracer {
  const fd = openSync(file, 'a');
  const prefix = `{"runtime":${str(runtime.address)},"ts":`;
  // Lines are encoded straight into one reusable buffer and written with one call per turn.
  let out = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (used === 0) return;
    writeSync(fd, out, 0, used);
    used = 0;
  };
  const append = (line: string): void => {
    if (out.length - used < line.length * 3) {
      flush();
      if (out.length < line.length * 3) out = Buffer.allocUnsafe(line.length * 3);
    }
    used += out.write(line, used);
  };
  const attrs = options.attributes;
  const stamp = stamper();
  const q = quoter();
  const inspector = (ev: InspectionEvent): void => {
    let dir: string;
    let extra = '';
    if (ev.type === 'send') dir = 'send';
    else if (ev.type === 'receive') dir = 'recv';
    else if (ev.type === 'drop') {
      dir = 'drop';
      extra = `,"reason":${str(ev.reason)}${ev.detail ? `,"detail":${str(ev.detail)}` : ''}`;
    } else return;
    const e = ev.envelope;
    if (!e) return;
    if (attrs) {
      const a = attrs(e.body);
      for (const k in a) if (a[k] !== undefined) extra += `,${q(k)}:${q(a[k])}`;
    }
    append(
      `${prefix}${stamp()},"dir":"${dir}","from":${q(e.from)},"to":${q(e.to)},"name":${q(e.name)},"id":${id(e.id)},"cause":${e.cause === null ? 'null' : id(e.cause)},"bytes":${e.bytes}${extra}}\n`,
    );
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
