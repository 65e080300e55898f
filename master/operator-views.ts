// The master's operator API answers in v1 shapes (Mesos's master.proto Response messages):
// GET_STATE and its parts, GET_ROLES, GET_MASTER. Built from the same records and selections as
// the v0 views (views.ts: usedBy, offeredBy, roleViews), so /state and GET_STATE cannot
// disagree; what a principal may see is decided by the same ACLs (view_frameworks, view_tasks).

import { authorized, type Task } from '../protocol/index.js';
import { nanos } from '../protocol/index.js';
import type { MasterContext } from './context.js';
import type { AgentRecord, FrameworkRecord, MasterState } from './state.js';
import { BUILD, MASTER_CAPABILITIES_LIST, MESOS_VERSION, offeredBy, roleViews, usedBy } from './views.js';

type Json = Record<string, unknown>;

/** What a principal may see of frameworks and their tasks (everything, without rules). */
export interface Visibility {
  framework(fw: FrameworkRecord): boolean;
  tasks(fw: FrameworkRecord): boolean;
}

export function visibility(ctx: MasterContext, principal: string | undefined): Visibility {
  const acls = ctx.opts.acls;
  if (acls.rules.view_frameworks === undefined && acls.rules.view_tasks === undefined && acls.permissive) return { framework: () => true, tasks: () => true };
  return {
    framework: (fw) => authorized(acls, 'view_frameworks', principal, fw.info.user),
    tasks: (fw) => authorized(acls, 'view_frameworks', principal, fw.info.user) && authorized(acls, 'view_tasks', principal, fw.info.user),
  };
}

export function agentV1(state: MasterState, a: AgentRecord): Json {
  return {
    agent_info: { ...a.info, id: { value: a.id } },
    active: a.active,
    deactivated: !a.active,
    version: a.version,
    pid: a.pid,
    registered_time: nanos(a.registeredTime),
    ...(a.reregisteredTime !== undefined ? { reregistered_time: nanos(a.reregisteredTime) } : {}),
    total_resources: a.total.toJSON(),
    allocated_resources: a.used().toJSON(),
    offered_resources: offeredBy(state, a).toJSON(),
    capabilities: a.capabilities,
  };
}

export function frameworkV1(state: MasterState, fw: FrameworkRecord): Json {
  return {
    framework_info: { ...fw.info, id: { value: fw.id } },
    active: fw.active,
    connected: fw.connected,
    recovered: fw.recovered,
    registered_time: nanos(fw.registeredTime),
    ...(fw.reregisteredTime !== undefined ? { reregistered_time: nanos(fw.reregisteredTime) } : {}),
    ...(fw.unregisteredTime !== undefined ? { unregistered_time: nanos(fw.unregisteredTime) } : {}),
    offers: [...fw.offers].flatMap((id) => {
      const o = state.offers.get(id);
      return o === undefined ? [] : [o.offer];
    }),
    inverse_offers: [],
    allocated_resources: usedBy(fw).toJSON(),
    offered_resources: offeredBy(state, fw).toJSON(),
  };
}

export function getAgents(state: MasterState): Json {
  return {
    agents: [...state.agents.values()].map((a) => agentV1(state, a)),
    recovered_agents: [...state.recoveredAgents.values()].map((a) => ({ id: { value: a.id }, hostname: a.hostname, port: a.port ?? 5051, resources: [], attributes: [] })),
  };
}

export function getFrameworks(state: MasterState, v: Visibility): Json {
  return {
    frameworks: [...state.frameworks.values()].filter(v.framework).map((f) => frameworkV1(state, f)),
    completed_frameworks: state.completedFrameworks.toArray().filter(v.framework).map((f) => frameworkV1(state, f)),
  };
}

export function getExecutors(state: MasterState, v: Visibility): Json {
  const executors: Json[] = [];
  for (const fw of state.frameworks.values()) {
    if (!v.tasks(fw)) continue;
    for (const [agentId, execs] of fw.executors) {
      for (const e of execs.values()) executors.push({ executor_info: { ...e.info, framework_id: { value: fw.id } }, agent_id: { value: agentId } });
    }
  }
  return { executors, orphan_executors: [] };
}

export function getTasks(state: MasterState, v: Visibility): Json {
  const tasks: Task[] = [];
  const unreachable: Task[] = [];
  const completed: Task[] = [];
  for (const fw of [...state.frameworks.values(), ...state.completedFrameworks.toArray()]) {
    if (!v.tasks(fw)) continue;
    for (const t of fw.tasks.values()) tasks.push(t.task);
    unreachable.push(...fw.unreachableTasks.values());
    completed.push(...fw.completedTasks.toArray());
  }
  return { pending_tasks: [], tasks, unreachable_tasks: unreachable, completed_tasks: completed, orphan_tasks: [] };
}

export function getState(state: MasterState, v: Visibility): Json {
  return { get_tasks: getTasks(state, v), get_executors: getExecutors(state, v), get_frameworks: getFrameworks(state, v), get_agents: getAgents(state) };
}

/** Quantities as Mesos's v1 Resource list: scalars, unreserved. */
function scalars(q: Record<string, number>): Json[] {
  return Object.entries(q).map(([name, value]) => ({ name, type: 'SCALAR', scalar: { value } }));
}

/** Quantities as QuotaConfig's map<string, Value.Scalar>. */
export function scalarMap(q: Record<string, number>): Record<string, { value: number }> {
  return Object.fromEntries(Object.entries(q).map(([name, value]) => [name, { value }]));
}

export function getRoles(state: MasterState, whitelist: Iterable<string> | undefined): Json {
  return {
    roles: roleViews(state, whitelist).map((r) => ({
      name: r.name,
      weight: r.weight,
      frameworks: r.frameworks.map((value) => ({ value })),
      resources: r.allocated.add(r.offered).toJSON(),
      allocated: r.allocated.toJSON(),
      offered: r.offered.toJSON(),
      reserved: r.reserved.toJSON(),
      quota: {
        role: r.name,
        guarantee: r.quota === undefined ? [] : scalars(r.quota.guarantee.quantities()),
        limit: r.quota === undefined ? [] : scalars(r.quota.limit.quantities()),
        consumed: scalars(r.allocated.quantities()),
      },
    })),
  };
}

/**
 * GET_QUOTA and v0 `/quota`: QuotaStatus with the deprecated `infos` (here with the limit too,
 * which Mesos's QuotaInfo lacks) and 1.11's `configs` (guarantees and limits by name).
 */
export function quotaStatus(state: MasterState): Json {
  const quotas = [...state.quotas.values()];
  return {
    infos: quotas.map((q) => ({ role: q.role, guarantee: q.guarantee.toJSON(), limit: q.limit.toJSON() })),
    configs: quotas.map((q) => ({ role: q.role, guarantees: scalarMap(q.guarantee.quantities()), limits: scalarMap(q.limit.quantities()) })),
  };
}

export function getMaster(ctx: MasterContext): Json {
  return {
    master_info: { ...ctx.info, capabilities: MASTER_CAPABILITIES_LIST.map((type) => ({ type })) },
    start_time: ctx.startedAt / 1000,
    elected_time: ctx.startedAt / 1000,
  };
}

export function versionInfo(): Json {
  return { version_info: { version: MESOS_VERSION, ...BUILD } };
}
