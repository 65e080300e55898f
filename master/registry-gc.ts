// The registry's garbage collection (Mesos's Master::doRegistryGc and the Prune operation):
// every --registry_gc_interval the leading master forgets the unreachable and the gone agents
// that are older than --registry_max_agent_age, and the oldest of each list beyond
// --registry_max_agent_count, first in the registry and then — once that is stored — in its
// memory, with the unreachable tasks of each forgotten agent. A forgotten agent that comes
// back is admitted like an unknown one.

import type { MasterContext } from './context.js';

export const REGISTRY_GC_TIMER = 'registry-gc';

export function startRegistryGc(ctx: MasterContext): void {
  ctx.startTimer(REGISTRY_GC_TIMER, ctx.opts.registryGcIntervalMs, { name: '_RegistryGc' });
}

/** Timer `registry-gc`. */
export function registryGc(ctx: MasterContext): void {
  startRegistryGc(ctx);
  const now = ctx.now();
  const unreachable = expired(ctx, now, [...ctx.state.unreachableAgents].map(([id, u]) => [id, u.timeMs]));
  const gone = expired(ctx, now, [...ctx.state.goneAgents]);
  if (unreachable.length === 0 && gone.length === 0) return;
  ctx.store({ type: 'prune', unreachable, gone }, () => {
    let forgotten = 0;
    for (const id of unreachable) {
      // One that re-registered meanwhile is admitted again, not unreachable: nothing to forget.
      if (!ctx.state.unreachableAgents.delete(id)) continue;
      ctx.state.forgetUnreachableTasksOn(id);
      forgotten++;
    }
    for (const id of gone) ctx.state.goneAgents.delete(id);
    ctx.log.info({ unreachable: forgotten, gone: gone.length }, 'garbage collected agents from the registry');
  });
}

/** The ids to forget: beyond the count (oldest first), then older than the age. */
function expired(ctx: MasterContext, now: number, entries: [string, number][]): string[] {
  const { registryMaxAgentAgeMs: maxAge, registryMaxAgentCount: maxCount } = ctx.opts;
  entries.sort((a, b) => a[1] - b[1]);
  const out: string[] = [];
  for (const [id, time] of entries) {
    if (entries.length - out.length > maxCount || now - time > maxAge) out.push(id);
  }
  return out;
}
