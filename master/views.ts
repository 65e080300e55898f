// The master's v0 JSON views (/state, /state-summary, /frameworks, /slaves, /tasks, /roles) in
// Mesos's legacy shapes (http-api.md §2.3): resources as flat objects, ids as plain strings,
// times in seconds. Pure functions of the master's state; the routes live in master.ts.

import { pidAddress, parseAddress } from '../runtime/index.js';
import { legacyResources, Resources, taskJSON, TASK_STATES, type Attribute, type ExecutorInfo, type Json, type Task } from '../protocol/index.js';
import type { AgentRecord, FrameworkRecord, MasterState, OfferRecord } from './state.js';

/** Which Mesos release's v0 API these views and the MasterInfo speak. */
export const MESOS_VERSION = '1.11.0';

export { legacyResources, taskJSON, type Json };

const secs = (ms: number): number => ms / 1000;

function attributesJSON(attributes: readonly Attribute[]): Json {
  const out: Json = {};
  for (const a of attributes) {
    if (a.type === 'SCALAR') out[a.name] = a.scalar?.value ?? 0;
    else if (a.type === 'TEXT') out[a.name] = a.text?.value ?? '';
    else if (a.type === 'RANGES') out[a.name] = `[${(a.ranges?.range ?? []).map((x) => `${x.begin}-${x.end}`).join(', ')}]`;
    else out[a.name] = `{${(a.set?.item ?? []).join(', ')}}`;
  }
  return out;
}

function offerJSON(o: OfferRecord): Json {
  return {
    id: o.offer.id.value,
    framework_id: o.offer.framework_id.value,
    allocation_info: { role: o.role },
    slave_id: o.offer.agent_id.value,
    resources: legacyResources(o.resources),
  };
}

/** What a framework's or an agent's outstanding offers hold. */
function offeredBy(state: MasterState, holder: FrameworkRecord | AgentRecord): Resources {
  let r = Resources.EMPTY;
  for (const id of holder.offers) {
    const o = state.offers.get(id);
    if (o !== undefined) r = r.add(o.resources);
  }
  return r;
}

function usedBy(fw: FrameworkRecord): Resources {
  let r = Resources.EMPTY;
  for (const t of fw.tasks.values()) if (!t.recovered) r = r.add(t.resources);
  for (const execs of fw.executors.values()) for (const e of execs.values()) r = r.add(e.resources);
  return r;
}

function executorsJSON(fw: FrameworkRecord): Json[] {
  const out: Json[] = [];
  for (const [agentId, execs] of fw.executors) for (const e of execs.values()) out.push({ ...executorInfoJSON(e.info), slave_id: agentId });
  return out;
}

function executorInfoJSON(e: ExecutorInfo): Json {
  const { data: _data, ...rest } = e;
  return { ...rest, executor_id: e.executor_id.value, ...(e.framework_id !== undefined ? { framework_id: e.framework_id.value } : {}) };
}

function frameworkSummaryJSON(state: MasterState, fw: FrameworkRecord): Json {
  const used = usedBy(fw);
  const offered = offeredBy(state, fw);
  return {
    id: fw.id,
    name: fw.info.name,
    ...(fw.pid !== undefined ? { pid: fw.pid } : {}),
    used_resources: legacyResources(used),
    offered_resources: legacyResources(offered),
    capabilities: fw.info.capabilities ?? [],
    hostname: fw.info.hostname ?? '',
    webui_url: fw.info.webui_url ?? '',
    active: fw.active,
    connected: fw.connected,
    recovered: fw.recovered,
  };
}

export function frameworkJSON(state: MasterState, fw: FrameworkRecord): Json {
  const used = usedBy(fw);
  const offered = offeredBy(state, fw);
  return {
    ...frameworkSummaryJSON(state, fw),
    resources: legacyResources(used.add(offered)),
    user: fw.info.user,
    failover_timeout: fw.info.failover_timeout ?? 0,
    checkpoint: fw.info.checkpoint ?? false,
    registered_time: secs(fw.registeredTime),
    unregistered_time: fw.unregisteredTime === undefined ? 0 : secs(fw.unregisteredTime),
    ...(fw.reregisteredTime !== undefined ? { reregistered_time: secs(fw.reregisteredTime) } : {}),
    ...(fw.info.principal !== undefined ? { principal: fw.info.principal } : {}),
    ...(fw.multiRole ? { roles: fw.roles } : { role: fw.info.role ?? '*' }),
    tasks: [...fw.tasks.values()].map((t) => taskJSON(t.task)),
    unreachable_tasks: [...fw.unreachableTasks.values()].map(taskJSON),
    completed_tasks: fw.completedTasks.toArray().map(taskJSON),
    offers: [...fw.offers].flatMap((id) => {
      const o = state.offers.get(id);
      return o === undefined ? [] : [offerJSON(o)];
    }),
    executors: executorsJSON(fw),
    ...(fw.info.labels !== undefined ? { labels: fw.info.labels.labels } : {}),
    offer_constraints: {},
  };
}

function agentPort(agent: AgentRecord): number {
  try {
    return parseAddress(pidAddress(agent.pid)).port;
  } catch {
    return agent.info.port ?? 5051;
  }
}

export function agentJSON(state: MasterState, agent: AgentRecord): Json {
  const reserved: Json = {};
  for (const role of agent.total.reservationRoles()) reserved[role] = legacyResources(agent.total.reserved(role));
  return {
    id: agent.id,
    hostname: agent.info.hostname,
    port: agent.info.port ?? agentPort(agent),
    attributes: attributesJSON(agent.info.attributes),
    pid: agent.pid,
    registered_time: secs(agent.registeredTime),
    ...(agent.reregisteredTime !== undefined ? { reregistered_time: secs(agent.reregisteredTime) } : {}),
    resources: legacyResources(agent.total),
    used_resources: legacyResources(agent.used().unallocate()),
    offered_resources: legacyResources(offeredBy(state, agent).unallocate()),
    reserved_resources: reserved,
    unreserved_resources: legacyResources(agent.total.unreserved()),
    active: agent.active,
    deactivated: !agent.active,
    version: agent.version,
    capabilities: agent.capabilities.flatMap((c) => (c.type !== undefined ? [c.type] : [])),
  };
}

export interface MasterIdentity {
  id: string;
  pid: string;
  hostname: string;
  port: number;
  startTimeMs: number;
  flags: Readonly<Record<string, string>>;
}

export function versionJSON(): Json {
  return { version: MESOS_VERSION, build_date: '', build_time: 0, build_user: 'mesos-ts' };
}

export function stateJSON(state: MasterState, me: MasterIdentity): Json {
  let activated = 0;
  for (const a of state.agents.values()) if (a.active) activated++;
  return {
    ...versionJSON(),
    start_time: secs(me.startTimeMs),
    elected_time: secs(me.startTimeMs),
    id: me.id,
    pid: me.pid,
    hostname: me.hostname,
    capabilities: [],
    activated_slaves: activated,
    deactivated_slaves: state.agents.size - activated,
    unreachable_slaves: state.unreachableAgents.size,
    leader: me.pid,
    leader_info: { id: me.id, pid: me.pid, port: me.port, hostname: me.hostname },
    flags: me.flags,
    slaves: [...state.agents.values()].map((a) => agentJSON(state, a)),
    recovered_slaves: [...state.recoveredAgents.values()].map((a) => ({ id: a.id, hostname: a.hostname, port: a.port ?? 5051, attributes: {} })),
    frameworks: [...state.frameworks.values()].map((f) => frameworkJSON(state, f)),
    completed_frameworks: state.completedFrameworks.toArray().map((f) => frameworkJSON(state, f)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

function stateCounts(tasks: Iterable<Task>): Json {
  const counts: Record<string, number> = {};
  for (const s of TASK_STATES) if (s !== 'TASK_UNKNOWN') counts[s] = 0;
  for (const t of tasks) if (counts[t.state] !== undefined) counts[t.state]!++;
  return counts;
}

export function stateSummaryJSON(state: MasterState, me: MasterIdentity): Json {
  const frameworkTasks = (fw: FrameworkRecord): Task[] => [
    ...[...fw.tasks.values()].map((t) => t.task),
    ...fw.unreachableTasks.values(),
    ...fw.completedTasks.toArray(),
  ];
  return {
    hostname: me.hostname,
    slaves: [...state.agents.values()].map((a) => {
      const tasks = a.allTasks().map((t) => t.task);
      return { ...agentJSON(state, a), ...stateCounts(tasks), framework_ids: [...a.tasks.keys()].filter((id) => (a.tasks.get(id)?.size ?? 0) > 0) };
    }),
    frameworks: [...state.frameworks.values()].map((f) => {
      const tasks = frameworkTasks(f);
      return { ...frameworkSummaryJSON(state, f), ...stateCounts(tasks), slave_ids: [...new Set([...f.tasks.values()].map((t) => t.agentId))] };
    }),
  };
}

/** `/roles`: every role on the `--roles` whitelist (when there is one), with frameworks, a weight or a quota, as Mesos lists them. */
export function rolesJSON(state: MasterState, whitelist: Iterable<string> = []): Json {
  const names = new Set<string>([...whitelist, ...Object.keys(state.weights), ...state.quotas.keys()]);
  for (const fw of state.frameworks.values()) for (const r of fw.roles) names.add(r);
  const roles = [...names].sort().map((name) => {
    let allocated = Resources.EMPTY;
    let offered = Resources.EMPTY;
    const frameworks: string[] = [];
    for (const fw of state.frameworks.values()) {
      if (fw.roles.includes(name)) frameworks.push(fw.id);
    }
    for (const t of state.tasks()) if (!t.recovered) allocated = allocated.add(t.resources.filter((e) => e.allocationRole === name));
    for (const o of state.offers.values()) if (o.role === name) offered = offered.add(o.resources);
    let reserved = Resources.EMPTY;
    for (const a of state.agents.values()) reserved = reserved.add(a.total.reserved(name));
    const quota = state.quotas.get(name);
    return {
      name,
      weight: state.weights[name] ?? 1,
      quota: {
        role: name,
        guarantee: quota === undefined ? {} : legacyResources(quota.guarantee),
        // Only the names that have a limit: a name left out is unlimited, not limited to 0.
        limit: quota === undefined ? {} : quota.limit.quantities(),
        consumed: legacyResources(allocated.unallocate()),
      },
      resources: legacyResources(allocated.add(offered).unallocate()),
      allocated: legacyResources(allocated.unallocate()),
      offered: legacyResources(offered.unallocate()),
      reserved: legacyResources(reserved),
      frameworks,
    };
  });
  return { roles };
}
