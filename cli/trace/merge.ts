// Merging: pairs the send/recv/drop lines of each message id into one record and orders the
// records into one causal history. Clocks of different processes disagree slightly, so raw
// timestamps are corrected just enough that no effect is sent before its cause arrived.

import type { DeliveryStatus, TraceEvent, TraceHistory, TraceMessage } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Omit<Mutable<TraceMessage>, 'status' | 'at' | 'depth' | 'latencyMs'>;

const OPTIONAL_IDS = ['framework_id', 'task_id', 'agent_id'] as const;

export function mergeTrace(events: readonly TraceEvent[]): TraceHistory {
  const drafts = new Map<string, Draft>();
  let duplicates = 0;
  for (const e of events) {
    let d = drafts.get(e.id);
    if (d === undefined) {
      d = { id: e.id, cause: e.cause, name: e.name, from: e.from, to: e.to };
      drafts.set(e.id, d);
    }
    if (!record(d, e)) {
      duplicates++;
      continue;
    }
    // The first line seen fixes from/to/name/cause; later lines only fill gaps, since a
    // receiver may know ids (or the size) its sender's line left out.
    if (d.cause === null && e.cause !== null) d.cause = e.cause;
    // Only the receiving runtime knows the encoded size; a send line says 0.
    if (e.bytes !== undefined && (d.bytes === undefined || e.bytes > d.bytes)) d.bytes = e.bytes;
    for (const key of OPTIONAL_IDS) {
      const v = e[key];
      if (d[key] === undefined && v !== undefined) d[key] = v;
    }
  }

  const messages = orderCausally([...drafts.values()]);
  return { messages, origin: messages[0]?.at ?? 0, duplicates };
}

/** Stores the event's timestamp in its slot; false when that slot was already filled. */
function record(d: Draft, e: TraceEvent): boolean {
  switch (e.dir) {
    case 'send':
      if (d.sentAt !== undefined) return false;
      d.sentAt = e.ts;
      return true;
    case 'recv':
      if (d.receivedAt !== undefined) return false;
      d.receivedAt = e.ts;
      return true;
    case 'drop':
      if (d.droppedAt !== undefined) return false;
      d.droppedAt = e.ts;
      if (e.reason !== undefined) d.dropReason = e.reason;
      if (e.detail !== undefined) d.dropDetail = e.detail;
      return true;
  }
}

function rawStart(d: Draft): number {
  if (d.sentAt !== undefined) return d.sentAt;
  // A message always has at least one line, so one of these is set.
  return Math.min(d.receivedAt ?? Infinity, d.droppedAt ?? Infinity);
}

function rawEnd(d: Draft): number {
  return d.receivedAt ?? d.droppedAt ?? rawStart(d);
}

/**
 * at(m) = max(rawStart(m), end(cause)), end(c) = max(rawEnd(c), at(c)): the handler that sent
 * m ran after its cause arrived. Computed iteratively (cause chains can be long) and with a
 * guard against cycles, which only corrupt input could contain.
 */
function orderCausally(drafts: readonly Draft[]): TraceMessage[] {
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const done = new Map<string, TraceMessage>();
  const causeOf = (d: Draft): Draft | undefined => (d.cause === null ? undefined : byId.get(d.cause));

  for (const start of drafts) {
    const chain: Draft[] = [];
    const onChain = new Set<string>();
    let cur: Draft | undefined = start;
    while (cur !== undefined && !done.has(cur.id) && !onChain.has(cur.id)) {
      chain.push(cur);
      onChain.add(cur.id);
      cur = causeOf(cur);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const d = chain[i]!;
      const c = causeOf(d);
      const parent = c === undefined ? undefined : done.get(c.id);
      const at = parent === undefined ? rawStart(d) : Math.max(rawStart(d), rawEnd(c!), parent.at);
      const depth = parent === undefined ? 0 : parent.depth + 1;
      done.set(d.id, finish(d, at, depth));
    }
  }

  // Equal `at` between a cause and its effect is possible; depth breaks that tie the right way,
  // and the id makes the order total, hence deterministic.
  return [...done.values()].sort((a, b) => a.at - b.at || a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function finish(d: Draft, at: number, depth: number): TraceMessage {
  const status: DeliveryStatus =
    d.droppedAt !== undefined ? 'dropped' : d.receivedAt !== undefined ? 'delivered' : 'unconfirmed';
  const m: Mutable<TraceMessage> = { ...d, status, at, depth };
  if (d.sentAt !== undefined && d.receivedAt !== undefined) m.latencyMs = d.receivedAt - d.sentAt;
  return m;
}
