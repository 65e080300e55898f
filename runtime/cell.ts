// An actor's cell: its mailbox and the bookkeeping the runtime keeps for it (timers, links,
// deliveries that can still be called off). Pure functions over a cell live here too, so the
// runtime's hot path stays short.

import type { Actor } from './actor.js';
import type { Cancel } from './clock.js';
import type { Envelope, Message } from './message.js';
import { pidId, type Pid } from './pid.js';

export class ExitNotice {
  /** Set by unlink() while the notice is still queued: it is then skipped. */
  retracted = false;
  constructor(readonly pid: Pid) {}
}

/** A keyed timer, or a linkWith exit message, whose delivery can still be called off. */
export interface Revocable {
  readonly key: string | undefined;
  readonly linkee: Pid | undefined;
  /** The clock timer while armed. */
  cancel: Cancel | undefined;
  /** Restarted, cancelled or unlinked: its message must not reach the handler. */
  stale: boolean;
}

export interface Cell {
  readonly actor: Actor;
  readonly pid: Pid;
  mailbox: (Envelope | ExitNotice)[];
  head: number;
  queued: boolean;
  state: 'running' | 'terminating' | 'terminated';
  timers: Set<Cancel>;
  /** What this actor is linked to, and how the exit arrives: as a message, or null for exited(). */
  links: Map<Pid, Message | null>;
  /** Keyed timers, armed or with their message still queued. */
  keyed: Map<string, Revocable> | undefined;
  /** Queued envelope id → the revocable delivery it carries; undefined when none (the hot path). */
  revocable: Map<string, Revocable> | undefined;
}

/** The envelope `id` was just sent to the cell's actor: if it was queued, it becomes revocable. */
export function trackQueued(cell: Cell, id: string, revocable: Revocable): boolean {
  const last = cell.mailbox[cell.mailbox.length - 1];
  if (last === undefined || last instanceof ExitNotice || last.id !== id) return false; // filtered
  (cell.revocable ??= new Map()).set(id, revocable);
  return true;
}

/** A revocable envelope is about to be handled: forgets it; true if it must be skipped. */
export function revoked(cell: Cell, env: Envelope): boolean {
  const r = cell.revocable!.get(env.id);
  if (!r) return false;
  cell.revocable!.delete(env.id);
  if (cell.revocable!.size === 0) cell.revocable = undefined;
  if (r.key !== undefined && cell.keyed?.get(r.key) === r) cell.keyed.delete(r.key);
  return r.stale;
}

/** Calls off a keyed timer: disarms it, or marks its queued message stale. */
export function cancelKeyed(cell: Cell, key: string): void {
  const timer = cell.keyed?.get(key);
  if (!timer) return;
  cell.keyed!.delete(key);
  timer.stale = true;
  if (timer.cancel) {
    cell.timers.delete(timer.cancel);
    timer.cancel();
    timer.cancel = undefined;
  }
}

/** Calls off the exit of `linkee` if it is already queued, as a notice or as a linkWith message. */
export function retractExit(cell: Cell, linkee: Pid): void {
  for (let i = cell.head; i < cell.mailbox.length; i++) {
    const item = cell.mailbox[i];
    if (item instanceof ExitNotice && item.pid === linkee) item.retracted = true;
  }
  for (const r of cell.revocable?.values() ?? []) if (r.linkee === linkee) r.stale = true;
}

/** What `/__processes__` shows of an actor: its id and the head of its mailbox. */
export function cellView(cell: Cell): { id: string; pid: Pid; queued: number; events: unknown[] } {
  return {
    id: pidId(cell.pid),
    pid: cell.pid,
    queued: cell.mailbox.length - cell.head,
    events: cell.mailbox.slice(cell.head, cell.head + 100).map((e) => (e instanceof ExitNotice ? { type: 'EXITED', pid: e.pid } : { type: 'MESSAGE', name: e.name, from: e.from, id: e.id })),
  };
}
