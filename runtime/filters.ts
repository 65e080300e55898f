// Test filters, on both sides of the wire. A filter matches envelopes by name, sender and
// receiver, and either drops them or resolves a promise when one passes (libprocess's
// DROP_MESSAGE and FUTURE_MESSAGE). Send-side filters run in the sending runtime, so a test can
// cut one message between two real OS processes, which libprocess's receive-only filters cannot.

import { ValidationError } from './errors.js';
import { badRequest, json, type HttpRequest, type HttpResponse } from './http.js';
import type { Envelope } from './message.js';
import { pidId } from './pid.js';

export type Side = 'send' | 'receive';

export interface FilterSpec {
  side: Side;
  /** Message name, or a RegExp over it. */
  name?: string | RegExp;
  /** A full pid, or just an actor id ('master', 'agent(1)'). */
  from?: string;
  to?: string;
  /** How many matching messages to drop; default all. */
  times?: number;
}

interface Entry {
  id: number;
  spec: FilterSpec;
  remaining: number;
  /** When set, the filter awaits instead of dropping. */
  resolve?: (env: Envelope) => void;
}

function matches(spec: FilterSpec, env: Envelope): boolean {
  if (spec.name !== undefined && (typeof spec.name === 'string' ? spec.name !== env.name : !spec.name.test(env.name))) return false;
  if (spec.from !== undefined && spec.from !== env.from && spec.from !== pidId(env.from)) return false;
  if (spec.to !== undefined && spec.to !== env.to && spec.to !== pidId(env.to)) return false;
  return true;
}

export class Filters {
  private entries: Entry[] = [];
  private nextId = 1;

  get active(): boolean {
    return this.entries.length > 0;
  }

  /** Drops matching messages (all of them, or `times` of them); returns the filter's id. */
  drop(spec: FilterSpec): number {
    if (spec.side !== 'send' && spec.side !== 'receive') throw new ValidationError(`filter side must be 'send' or 'receive', not '${String(spec.side)}'`);
    if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) throw new ValidationError('filter times must be a positive integer');
    const id = this.nextId++;
    this.entries.push({ id, spec, remaining: spec.times ?? Infinity });
    return id;
  }

  /** Resolves with the next matching envelope (which still goes through). */
  await(spec: FilterSpec): Promise<Envelope> {
    return new Promise((resolve) => this.entries.push({ id: this.nextId++, spec, remaining: 1, resolve }));
  }

  remove(id: number): void {
    this.entries = this.entries.filter((e) => e.id !== id);
  }

  clear(): void {
    this.entries = [];
  }

  list(): { id: number; side: Side; name?: string; from?: string; to?: string; remaining: number | null }[] {
    return this.entries.map((e) => ({
      id: e.id,
      side: e.spec.side,
      ...(e.spec.name !== undefined ? { name: String(e.spec.name) } : {}),
      ...(e.spec.from !== undefined ? { from: e.spec.from } : {}),
      ...(e.spec.to !== undefined ? { to: e.spec.to } : {}),
      remaining: Number.isFinite(e.remaining) ? e.remaining : null,
    }));
  }

  /** True if the envelope is to be dropped. Awaiters see it first and let it pass. */
  apply(side: Side, env: Envelope): boolean {
    let dropped = false;
    for (const e of this.entries) {
      if (e.spec.side !== side || e.remaining <= 0 || !matches(e.spec, env)) continue;
      if (e.resolve) {
        e.remaining = 0;
        e.resolve(env);
      } else if (!dropped) {
        e.remaining--;
        dropped = true;
      }
    }
    if (this.entries.some((e) => e.remaining <= 0)) this.entries = this.entries.filter((e) => e.remaining > 0);
    return dropped;
  }
}

/** Serves `/__filters__` (with --enable_test_endpoints): GET lists, POST adds a drop filter, DELETE clears. */
export function filterEndpoint(filters: Filters, req: HttpRequest): HttpResponse {
  if (req.method === 'GET') return json(filters.list());
  if (req.method === 'DELETE') {
    filters.clear();
    return json({ cleared: true });
  }
  let spec: FilterSpec;
  try {
    spec = JSON.parse(Buffer.from(req.body).toString('utf8')) as FilterSpec;
  } catch {
    return badRequest('body must be JSON: {"side":"send"|"receive","name"?,"from"?,"to"?,"times"?}');
  }
  try {
    return json({ id: filters.drop(spec) });
  } catch (err) {
    return badRequest((err as Error).message);
  }
}
