// Operator reservations (Mesos's /reserve, /unreserve and the operator API's RESERVE_RESOURCES,
// UNRESERVE_RESOURCES): dynamic reservations made on an agent's unallocated resources, outside
// any offer. Offers on the agent are rescinded when they hold what the operation needs, as
// Mesos does; the master's view of the agent and the allocator's follow, and the agent is sent
// its checkpointed resources (volumes.ts).

import { authorized, checkRole, Resources, type Resource } from '../protocol/index.js';
import type { MasterContext } from './context.js';
import { removeOffersOn } from './offers.js';
import { checkpointResources, reservationOfVolume } from './volumes.js';

export type Outcome = { status: number; message: string };

/**
 * Applies a RESERVE (or UNRESERVE) of `given` on the agent for `principal`; undefined when
 * accepted (202), otherwise the status and message Mesos answers with.
 */
export function operatorReservation(ctx: MasterContext, agentId: string, given: unknown, principal: string | undefined, reserving: boolean): Outcome | undefined {
  const op = reserving ? 'RESERVE' : 'UNRESERVE';
  const agent = ctx.state.agents.get(agentId);
  if (agent === undefined) return { status: 400, message: `No agent found with specified ID '${agentId}'` };
  if (!Array.isArray(given) || given.length === 0) return { status: 400, message: `Invalid ${op} operation: expecting 'resources' to be a non-empty array of resources` };
  let resources: Resources;
  try {
    resources = Resources.fromJSON(given as Resource[]).unallocate();
  } catch (err) {
    return { status: 400, message: `Invalid ${op} operation: ${(err as Error).message}` };
  }
  const volume = reservationOfVolume(resources, op);
  if (volume !== undefined) return { status: 400, message: `Invalid ${op} operation: ${volume}` };
  for (const e of resources.entries()) {
    const last = e.reservations[e.reservations.length - 1];
    if (last === undefined || last.type !== 'DYNAMIC') return { status: 400, message: `Invalid ${op} operation: ${e.toString()} is not dynamically reserved` };
    const roleProblem = checkRole(last.role);
    if (roleProblem !== undefined) return { status: 400, message: `Invalid ${op} operation: role '${last.role}' is invalid: ${roleProblem}` };
    if (reserving && last.principal !== undefined && principal !== undefined && last.principal !== principal) {
      return { status: 400, message: `Invalid ${op} operation: authenticated principal '${principal}' does not match the reservation's principal '${last.principal}'` };
    }
    const allowed = reserving ? authorized(ctx.opts.acls, 'reserve_resources', principal, last.role) : authorized(ctx.opts.acls, 'unreserve_resources', principal, last.principal);
    if (!allowed) return { status: 403, message: `Forbidden: principal '${principal ?? ''}' may not ${op.toLowerCase()} ${e.toString()}` };
  }
  const consumed = reserving ? resources.unreserve() : resources;
  const converted = reserving ? resources : resources.unreserve();
  const unused = agent.total.subtract(agent.used().unallocate());
  if (!unused.contains(consumed)) return { status: 409, message: `Invalid ${op} operation: agent '${agentId}' does not have ${consumed.toString()} unallocated` };
  // What the operation needs may be in outstanding offers: they go back first (Mesos rescinds them too).
  const offered = [...agent.offers].reduce((r, id) => r.add(ctx.state.offers.get(id)?.resources.unallocate() ?? Resources.EMPTY), Resources.EMPTY);
  if (!unused.subtract(offered).contains(consumed)) removeOffersOn(ctx, agent, true);
  agent.total = agent.total.subtract(consumed).add(converted);
  ctx.send(ctx.allocator, { name: 'AllocatorUpdateAvailable', agent_id: agent.id, operations: [{ type: op, resources }] });
  ctx.log.info({ agent: agent.id, resources: resources.toString(), principal }, reserving ? 'reserved by the operator' : 'unreserved by the operator');
  checkpointResources(ctx, agent);
  return undefined;
}
