// Offers: turning the allocator's decisions into offers, their timeout, rescinding, decline,
// revive and suppress (Mesos's Master::offer, removeOffer, decline, revive, suppress).

import { parseAddress, pidAddress, pidId, type Pid } from '../runtime/index.js';
import {
  checkRole,
  formatOfferId,
  Resources,
  type Decline,
  type Offer,
  type ResourceRequestMessage,
  type ReviveOffers,
  type SuppressOffers,
} from '../protocol/index.js';
import { AgentRecord, FrameworkRecord, type OfferRecord } from './state.js';
import type { AllocatorOffers } from './allocator-process.js';
import { type MasterContext, callingFramework, dropped, recoverResources, timerKeys, toAllocator, toScheduler } from './context.js';

export function allocatorOffers(ctx: MasterContext, m: AllocatorOffers, from: Pid | ''): void {
  if (from !== ctx.allocator) return dropped(ctx, 'AllocatorOffers', `it is not from the allocator (${from})`);
  const byFramework = new Map<FrameworkRecord, OfferRecord[]>();
  for (const a of m.offers) {
    const fw = ctx.state.frameworks.get(a.framework_id);
    const agent = ctx.state.agents.get(a.agent_id);
    // The framework or agent changed while the allocator decided: give the resources back.
    if (fw === undefined || !fw.active || !fw.connected || fw.conn === undefined || agent === undefined || !agent.active || !agent.connected) {
      recoverResources(ctx, a.framework_id, a.agent_id, a.resources);
      continue;
    }
    const record = makeOffer(ctx, fw, agent, a.role, a.resources);
    let list = byFramework.get(fw);
    if (list === undefined) byFramework.set(fw, (list = []));
    list.push(record);
  }
  for (const [fw, records] of byFramework) {
    const pids: string[] = records.map((r) => ctx.state.agents.get(r.offer.agent_id.value)!.pid);
    toScheduler(fw, { name: 'ResourceOffers', offers: records.map((r) => r.offer), pids });
  }
}

export function makeOffer(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, role: string, resources: Resources): OfferRecord {
  const id = formatOfferId(ctx.id, ctx.ids.offer++);
  const address = parseAddress(pidAddress(agent.pid));
  // Frameworks without MULTI_ROLE get the offer without allocation_info (Mesos strips it);
  // the master knows the role and injects it back when they accept.
  const offer: Offer = {
    id: { value: id },
    framework_id: { value: fw.id },
    agent_id: { value: agent.id },
    hostname: agent.info.hostname,
    url: { scheme: 'http', address: { hostname: agent.info.hostname, ip: address.host, port: address.port }, path: `/${pidId(agent.pid)}` },
    resources: (fw.multiRole ? resources : resources.unallocate()).toJSON(),
    attributes: agent.info.attributes,
    executor_ids: [...(fw.executors.get(agent.id)?.values() ?? [])].map((e) => e.info.executor_id),
    ...(fw.multiRole ? { allocation_info: { role } } : {}),
    ...(agent.info.domain !== undefined ? { domain: agent.info.domain } : {}),
  };
  const record: OfferRecord = { offer, resources, role };
  if (ctx.opts.offerTimeoutMs !== undefined) ctx.startTimer(timerKeys.offer(id), ctx.opts.offerTimeoutMs, { name: '_OfferTimeout', offer_id: id });
  ctx.state.addOffer(record);
  return record;
}

/** Forgets an offer; with `rescind` the framework is told; with `recover` the allocator gets the resources back (no filter). */
export function removeOffer(ctx: MasterContext, record: OfferRecord, rescind: boolean, recover = true): void {
  const id = record.offer.id.value;
  if (ctx.state.removeOffer(id) === undefined) return;
  ctx.cancelTimer(timerKeys.offer(id));
  const fw = ctx.state.frameworks.get(record.offer.framework_id.value);
  if (rescind && fw !== undefined) toScheduler(fw, { name: 'RescindResourceOffer', offer_id: { value: id } });
  if (recover) recoverResources(ctx, record.offer.framework_id.value, record.offer.agent_id.value, record.resources);
}

export function removeOffersOf(ctx: MasterContext, fw: FrameworkRecord, rescind: boolean, recover = true): void {
  for (const id of [...fw.offers]) {
    const record = ctx.state.offers.get(id);
    if (record !== undefined) removeOffer(ctx, record, rescind, recover);
  }
}

/** Every outstanding offer on the agent, rescinded; with `recover` the allocator gets the resources back. */
export function removeOffersOn(ctx: MasterContext, agent: AgentRecord, recover: boolean): void {
  for (const id of [...agent.offers]) {
    const record = ctx.state.offers.get(id);
    if (record !== undefined) removeOffer(ctx, record, true, recover);
  }
}

/** Fired only for an offer still outstanding: removing an offer cancels its timer. */
export function offerTimeout(ctx: MasterContext, offerId: string): void {
  const record = ctx.state.offers.get(offerId);
  if (record === undefined) return;
  ctx.log.info({ offer: offerId }, 'offer timed out; rescinding it');
  removeOffer(ctx, record, true);
}

export function decline(ctx: MasterContext, m: Decline, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'Decline', m.framework_id.value, from, true);
  if (fw === undefined) return;
  for (const { value: id } of m.offer_ids) {
    const record = ctx.state.offers.get(id);
    if (record === undefined || record.offer.framework_id.value !== fw.id) {
      ctx.log.warn({ framework: fw.id, offer: id }, 'ignoring decline of an offer that is no longer valid');
      continue;
    }
    removeOffer(ctx, record, false, false);
    recoverResources(ctx, fw.id, record.offer.agent_id.value, record.resources, m.filters ?? {});
  }
}

export function reviveOffers(ctx: MasterContext, m: ReviveOffers, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'ReviveOffers', m.framework_id.value, from, true);
  if (fw === undefined) return;
  const roles = checkCallRoles(ctx, fw, 'ReviveOffers', m.roles ?? []);
  if (roles === undefined) return;
  for (const r of roles.length === 0 ? fw.roles : roles) fw.suppressedRoles.delete(r);
  toAllocator(ctx, { name: 'AllocatorReviveOffers', framework_id: fw.id, roles });
}

export function suppressOffers(ctx: MasterContext, m: SuppressOffers, from: Pid | ''): void {
  const fw = callingFramework(ctx, 'SuppressOffers', m.framework_id.value, from, true);
  if (fw === undefined) return;
  const roles = checkCallRoles(ctx, fw, 'SuppressOffers', m.roles ?? []);
  if (roles === undefined) return;
  for (const r of roles.length === 0 ? fw.roles : roles) fw.suppressedRoles.add(r);
  toAllocator(ctx, { name: 'AllocatorSuppressOffers', framework_id: fw.id, roles });
}

/** Mesos drops the whole REVIVE/SUPPRESS when any role is invalid or not the framework's. */
export function checkCallRoles(ctx: MasterContext, fw: FrameworkRecord, call: string, roles: readonly string[]): string[] | undefined {
  for (const r of roles) {
    if (checkRole(r) !== undefined || !fw.roles.includes(r)) {
      dropped(ctx, call, `role '${r}' is not one of framework ${fw.id}'s roles`);
      return undefined;
    }
  }
  return [...roles];
}

export function resourceRequest(ctx: MasterContext, m: ResourceRequestMessage, from: Pid | ''): void {
  // Mesos's allocator ignores requests; so does this one.
  callingFramework(ctx, 'ResourceRequest', m.framework_id.value, from, true);
}

export function rescindAllOffers(ctx: MasterContext): void {
  for (const r of [...ctx.state.offers.values()]) removeOffer(ctx, r, true);
}
