// `--agent_removal_rate_limit` (Mesos's slave removal RateLimiter): agents found unreachable —
// by their health checks, by staying disconnected past agent_reregister_timeout, or by not
// re-registering after a failover — are marked unreachable at most `permits` per `interval`,
// one permit every interval/permits, in the order they were found. An agent that comes back
// (a pong, a re-registration) while it waits for its permit is not marked, and counts as
// `master/slave_unreachable_canceled`; the permit goes to the next agent waiting. Without the
// flag every removal happens at once, as in Mesos.

import { ValidationError } from '../runtime/index.js';
import { tryParseDuration } from '../protocol/index.js';
import type { MasterContext } from './context.js';

/** `<number of agents>/<duration>`, e.g. `1/10mins`. */
export interface RemovalRate {
  permits: number;
  intervalMs: number;
}

/** Mesos's format and checks: two parts split by '/', a whole number of agents, a duration. */
export function parseRemovalRate(raw: string): RemovalRate {
  const format = `Invalid agent_removal_rate_limit: ${raw}. Format is <Number of agents>/<Duration>`;
  const parts = raw.split('/').filter((p) => p !== '');
  if (parts.length !== 2) throw new ValidationError(format);
  const permits = /^\s*\d+\s*$/.test(parts[0]!) ? Number(parts[0]) : NaN;
  if (!Number.isSafeInteger(permits) || permits < 1) throw new ValidationError(`${format}: '${parts[0]}' is not a positive whole number`);
  const intervalMs = tryParseDuration(parts[1]!.trim());
  if (intervalMs === undefined || !(intervalMs > 0)) throw new ValidationError(`${format}: '${parts[1]}' is not a positive duration`);
  return { permits, intervalMs };
}

interface Waiter {
  /** Whether the agent still qualifies when its permit comes. */
  still: () => boolean;
  act: () => void;
}

/** The limiter's queue and its last permit; the Master's timer `removal-permit` drives it. */
export class RemovalLimiter {
  /** Agents waiting for a permit, in the order they were found (a Map keeps insertion order). */
  readonly waiting = new Map<string, Waiter>();
  lastPermitMs = -Infinity;
  armed = false;

  constructor(readonly rate: RemovalRate) {}

  get spacingMs(): number {
    return this.rate.intervalMs / this.rate.permits;
  }
}

export const REMOVAL_PERMIT_TIMER = 'removal-permit';

/**
 * Marks an agent unreachable (`act`) once the limiter allows, if `still()` holds then; at once
 * without a limiter. An agent already waiting keeps its place.
 */
export function scheduleRemoval(ctx: MasterContext, agentId: string, still: () => boolean, act: () => void): void {
  const limiter = ctx.removals;
  if (limiter === undefined) return act();
  if (!limiter.waiting.has(agentId)) limiter.waiting.set(agentId, { still, act });
  grantPermits(ctx);
}

/** The agent came back while it waited for a permit: it is not marked (Mesos: slave_unreachable_canceled). */
export function cancelRemoval(ctx: MasterContext, agentId: string): void {
  if (ctx.removals?.waiting.delete(agentId)) {
    ctx.metrics.slaveUnreachableCanceled.inc();
    ctx.log.info({ agent: agentId }, 'canceled marking the agent unreachable: it came back while waiting for a removal permit');
  }
}

/** Timer `removal-permit`: the next permit is due. */
export function removalPermit(ctx: MasterContext): void {
  if (ctx.removals === undefined) return;
  ctx.removals.armed = false;
  grantPermits(ctx);
}

function grantPermits(ctx: MasterContext): void {
  const limiter = ctx.removals!;
  while (limiter.waiting.size > 0) {
    const due = limiter.lastPermitMs + limiter.spacingMs;
    const now = ctx.now();
    if (now < due) {
      if (!limiter.armed) {
        limiter.armed = true;
        ctx.startTimer(REMOVAL_PERMIT_TIMER, due - now, { name: '_RemovalPermit' });
      }
      return;
    }
    const [agentId, w] = limiter.waiting.entries().next().value as [string, Waiter];
    limiter.waiting.delete(agentId);
    if (!w.still()) {
      // Left or came back some other way meanwhile: the permit goes to the next one.
      ctx.metrics.slaveUnreachableCanceled.inc();
      continue;
    }
    limiter.lastPermitMs = now;
    w.act();
  }
}
