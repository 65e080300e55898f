// Actors as the renderers show them: one participant per pid, in order of first appearance,
// each with a short label — its id alone when that is unique, else the id with the port (or
// host:port) that tells apart, say, agent(1) on two agents; long ids are shortened.

import type { TraceMessage } from './types.js';

export interface Participant {
  readonly pid: string;
  readonly label: string;
}

/** Longest label before shortening; keeps `scheduler-<uuid>` readable as `scheduler-4f2c9e…`. */
const MAX_LABEL = 18;

export function participantsOf(messages: readonly TraceMessage[]): Participant[] {
  const pids: string[] = [];
  const seen = new Set<string>();
  for (const m of messages) {
    for (const pid of [m.from, m.to]) {
      if (!seen.has(pid)) {
        seen.add(pid);
        pids.push(pid);
      }
    }
  }
  const parts = pids.map(splitPid);
  const idCount = countBy(parts.map((p) => p.id));
  const portCount = countBy(parts.map((p) => `${p.id}@${p.port}`));
  return parts.map((p) => {
    const id = shorten(p.id, MAX_LABEL);
    let label = id;
    if ((idCount.get(p.id) ?? 0) > 1) {
      label = (portCount.get(`${p.id}@${p.port}`) ?? 0) > 1 ? `${id}@${p.host}:${p.port}` : `${id}@:${p.port}`;
    }
    return { pid: p.pid, label };
  });
}

function splitPid(pid: string): { pid: string; id: string; host: string; port: string } {
  const at = pid.lastIndexOf('@');
  if (at < 0) return { pid, id: pid, host: '', port: '' };
  const address = pid.slice(at + 1);
  const colon = address.lastIndexOf(':');
  return {
    pid,
    id: pid.slice(0, at),
    host: colon < 0 ? address : address.slice(0, colon),
    port: colon < 0 ? '' : address.slice(colon + 1),
  };
}

function countBy(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Cuts to `max` characters, marking the cut with an ellipsis. */
export function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  return `${s.slice(0, max - 1)}…`;
}

/** Milliseconds since the origin, fixed to microseconds so output never depends on float noise. */
export function formatMs(ms: number): string {
  return (Math.round(ms * 1000) / 1000).toFixed(3);
}
