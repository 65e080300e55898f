// Persistent volumes (Mesos's CREATE and DESTROY, in an ACCEPT or from the operator's
// /create-volumes, /destroy-volumes, CREATE_VOLUMES and DESTROY_VOLUMES) and the agent's
// checkpointed resources: after every operation that changes an agent's dynamic reservations
// or volumes the agent is sent all of them (Mesos's CheckpointResourcesMessage), and an agent
// that (re-)registers brings them back, so that neither a restarted agent nor a restarted master
// loses them.

import {
  applyCheckpointedResources,
  authorized,
  checkpointedPart,
  Resources,
  stripVolumes,
  volumeProblems,
  type LaunchRejection,
  type OfferOperation,
  type Resource,
} from '../protocol/index.js';
import type { MasterContext } from './context.js';
import type { Outcome } from './reservations.js';
import { removeOffersOn } from './offers.js';
import type { AgentRecord, FrameworkRecord } from './state.js';

/** Tells the agent every dynamic reservation and persistent volume it has, as the master sees them. */
export function checkpointResources(ctx: MasterContext, agent: AgentRecord): void {
  if (!agent.connected) return; // it gets them again when it re-registers
  ctx.send(agent.pid, { name: 'CheckpointResources', resources: checkpointedPart(agent.total).toJSON() });
}

/** An agent's total from its static resources and the checkpointed ones it reports (its resources alone when they do not fit). */
export function agentTotal(ctx: MasterContext, agentId: string, resources: readonly Resource[], checkpointed: readonly Resource[] | undefined): Resources {
  const base = Resources.fromJSON(resources);
  if (checkpointed === undefined || checkpointed.length === 0) return base;
  const total = applyCheckpointedResources(base, Resources.fromJSON(checkpointed));
  if (typeof total === 'string') {
    ctx.log.warn({ agent: agentId, problem: total }, 'ignoring the agent\'s checkpointed resources');
    return base;
  }
  return total;
}

/**
 * A known agent re-registered: the master's view of its reservations and volumes wins (Mesos
 * sends its own), so the agent is told when its checkpoint differs.
 */
export function reconcileCheckpointed(ctx: MasterContext, agent: AgentRecord, reported: readonly Resource[] | undefined): void {
  let theirs: Resources;
  try {
    theirs = Resources.fromJSON(reported ?? []);
  } catch {
    theirs = Resources.EMPTY;
  }
  if (!theirs.equals(checkpointedPart(agent.total))) checkpointResources(ctx, agent);
}

/**
 * A task (or its executor) must use a persistent volume whole: Mesos's Resources never split a
 * volume. The rejection when it does not.
 */
export function volumeSplitProblem(agent: AgentRecord, resources: readonly Resource[]): LaunchRejection | undefined {
  const volumes = resources.filter((r) => r.disk?.persistence !== undefined);
  if (volumes.length === 0) return undefined;
  let wanted: Resources;
  try {
    wanted = Resources.fromJSON(volumes).unallocate();
  } catch {
    return undefined; // the launch validation says why
  }
  const have = checkpointedPart(agent.total);
  for (const e of wanted.entries()) {
    const whole = have.entries().find((h) => h.disk?.persistence?.id === e.disk!.persistence!.id && h.role === e.role);
    if (whole !== undefined && whole.millis !== e.millis) {
      return { state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: `Task uses ${e.toString()}, part of the persistent volume ${whole.toString()}: a volume is used whole` };
    }
  }
  return undefined;
}

/** A RESERVE or UNRESERVE may not name a persistent volume (Mesos: destroy it first). */
export function reservationOfVolume(resources: Resources, op: 'RESERVE' | 'UNRESERVE'): string | undefined {
  const v = resources.entries().find((e) => e.disk?.persistence !== undefined);
  return v === undefined ? undefined : `${op} cannot be applied to the persistent volume ${v.disk!.persistence!.id}; destroy it first`;
}

/** Why a DESTROY of `volumes` on the agent is invalid (Mesos's validate for Offer::Operation::Destroy). */
function destroyProblem(agent: AgentRecord, volumes: Resources): string | undefined {
  if (volumes.isEmpty()) return 'No persistent volumes specified';
  for (const e of volumes.entries()) if (e.disk?.persistence === undefined) return `Resource ${e.toString()} is not a persistent volume`;
  if (!checkpointedPart(agent.total).contains(volumes)) return `Persistent volumes ${volumes.toString()} not found on agent ${agent.id}`;
  const used = agent.used().unallocate();
  for (const e of volumes.entries()) {
    if (used.entries().some((u) => u.disk?.persistence?.id === e.disk!.persistence!.id && u.role === e.role)) {
      return `Persistent volumes in use: ${e.disk!.persistence!.id}`;
    }
  }
  return undefined;
}

function volumesOf(op: OfferOperation): readonly Resource[] {
  return (op.type === 'CREATE' ? op.create?.volumes : op.destroy?.volumes) ?? [];
}

/**
 * A CREATE or DESTROY inside an ACCEPT (Mesos's Master::_accept): the offered disk becomes the
 * volume (or the volume plain disk again) and stays offered for the rest of the call; the
 * allocator and the agent follow. Returns what remains offered, or why the operation is invalid.
 */
export function applyVolumeOperation(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, role: string, op: OfferOperation, remaining: Resources): Resources | string {
  const creating = op.type === 'CREATE';
  let volumes: Resources;
  try {
    volumes = Resources.fromJSON(volumesOf(op)).unallocate();
  } catch (err) {
    return `invalid resources: ${(err as Error).message}`;
  }
  const problem = creating ? volumeProblems(volumes, checkpointedPart(agent.total), fw.info.principal) : destroyProblem(agent, volumes);
  if (problem !== undefined) return problem;
  for (const e of volumes.entries()) if (e.role !== role) return `the volume's role '${e.role}' is not the offer's role '${role}'`;
  const action = creating ? 'create_volumes' : 'destroy_volumes';
  for (const e of volumes.entries()) {
    const object = creating ? e.role : e.disk?.persistence?.principal;
    if (!authorized(ctx.opts.acls, action, fw.info.principal, object)) return `Not authorized to ${creating ? 'create' : 'destroy'} persistent volume '${e.disk?.persistence?.id ?? ''}'`;
  }
  const consumed = creating ? stripVolumes(volumes) : volumes;
  const converted = creating ? volumes : stripVolumes(volumes);
  const offered = remaining.unallocate();
  if (!offered.contains(consumed)) return `${consumed.toString()} is not in the offered ${offered.toString()}`;
  agent.total = agent.total.subtract(consumed).add(converted);
  ctx.send(ctx.allocator, { name: 'AllocatorUpdateAllocation', framework_id: fw.id, agent_id: agent.id, role, operations: [{ type: creating ? 'CREATE' : 'DESTROY', resources: volumes.allocate(role) }] });
  ctx.log.info({ framework: fw.id, agent: agent.id, volumes: volumes.toString() }, creating ? 'created persistent volumes' : 'destroyed persistent volumes');
  checkpointResources(ctx, agent);
  return offered.subtract(consumed).add(converted).allocate(role);
}

/**
 * The operator's CREATE or DESTROY on unallocated resources (v0 /create-volumes and
 * /destroy-volumes, v1 CREATE_VOLUMES and DESTROY_VOLUMES); undefined when applied (202).
 */
export function operatorVolumes(ctx: MasterContext, agentId: string, given: unknown, principal: string | undefined, creating: boolean): Outcome | undefined {
  const op = creating ? 'CREATE' : 'DESTROY';
  const agent = ctx.state.agents.get(agentId);
  if (agent === undefined) return { status: 400, message: `No agent found with specified ID '${agentId}'` };
  if (!Array.isArray(given) || given.length === 0) return { status: 400, message: `Invalid ${op} operation: expecting 'volumes' to be a non-empty array of resources` };
  let volumes: Resources;
  try {
    volumes = Resources.fromJSON(given as Resource[]).unallocate();
  } catch (err) {
    return { status: 400, message: `Invalid ${op} operation: ${(err as Error).message}` };
  }
  const problem = creating ? volumeProblems(volumes, checkpointedPart(agent.total), principal) : destroyProblem(agent, volumes);
  if (problem !== undefined) return { status: problem.startsWith('Persistent volumes in use') ? 409 : 400, message: `Invalid ${op} operation: ${problem}` };
  for (const e of volumes.entries()) {
    const object = creating ? e.role : e.disk?.persistence?.principal;
    if (!authorized(ctx.opts.acls, creating ? 'create_volumes' : 'destroy_volumes', principal, object)) {
      return { status: 403, message: `Forbidden: principal '${principal ?? ''}' may not ${creating ? 'create' : 'destroy'} ${e.toString()}` };
    }
  }
  const consumed = creating ? stripVolumes(volumes) : volumes;
  const converted = creating ? volumes : stripVolumes(volumes);
  const unused = agent.total.subtract(agent.used().unallocate());
  if (!unused.contains(consumed)) return { status: 409, message: `Invalid ${op} operation: agent '${agentId}' does not have ${consumed.toString()} unallocated` };
  const offered = [...agent.offers].reduce((r, id) => r.add(ctx.state.offers.get(id)?.resources.unallocate() ?? Resources.EMPTY), Resources.EMPTY);
  if (!unused.subtract(offered).contains(consumed)) removeOffersOn(ctx, agent, true);
  agent.total = agent.total.subtract(consumed).add(converted);
  ctx.send(ctx.allocator, { name: 'AllocatorUpdateAvailable', agent_id: agent.id, operations: [{ type: op, resources: volumes }] });
  ctx.log.info({ agent: agent.id, volumes: volumes.toString(), principal }, creating ? 'persistent volumes created by the operator' : 'persistent volumes destroyed by the operator');
  checkpointResources(ctx, agent);
  return undefined;
}
