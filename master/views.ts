// The master's v0 JSON views (/state, /state-summary, /frameworks, /slaves, /tasks, /roles) in
// Mesos's legacy shapes (http-api.md §2.3): resources as flat objects, ids as plain strings,
// times in seconds. Pure functions of the master's state; the routes live in http.ts. The
// operator API's answers (operator-views.ts) are built from the same selections below
// (usedBy, offeredBy, roleViews), mapped to v1 shapes.

import { JsonText, pidAddress, parseAddress } from '../runtime/index.js';
import { BUILD, legacyResources, Resources, taskJSON, taskText, TASK_STATES, type Attribute, type ExecutorInfo, type Json, type Task } from '../protocol/index.js';
import type { AgentRecord, FrameworkRecord, MasterState, OfferRecord, QuotaRecord } from './state.js';

/** Which Mesos release's v0 API these views and the MasterInfo speak. */
export const MESOS_VERSION = '1.11.0';

export { legacyResources, taskJSON, taskText, type Json };

const secs = (ms: number): number => ms / 1000;

/**
 * A part of a view built when the answer is serialized, not when the view is: JSON.stringify
 * calls toJSON as it reaches the part, so a framework's task list is made a framework at a time
 * and dies young, once written. Its items are the tasks' kept texts (taskText), as the agents
 * are (agentText): each written anew only when what it shows changed since the last answer.
 */
function whenWritten(build: () => unknown): { toJSON(): unknown } {
  return { toJSON: build };
}

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
export function offeredBy(state: MasterState, holder: FrameworkRecord | AgentRecord): Resources {
  let r = Resources.EMPTY;
  for (const id of holder.offers) {
    const o = state.offers.get(id);
    if (o !== undefined) r = r.add(o.resources);
  }
  return r;
}

/** What a framework's tasks (not yet terminal) and executors use. */
export function usedBy(fw: FrameworkRecord): Resources {
  const parts: Resources[] = [];
  for (const t of fw.tasks.values()) if (!t.recovered) parts.push(t.resources);
  for (const execs of fw.executors.values()) for (const e of execs.values()) parts.push(e.resources);
  return Resources.sum(parts);
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

function frameworkSummaryJSON(state: MasterState, fw: FrameworkRecord, used = usedBy(fw), offered = offeredBy(state, fw)): Json {
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
    ...frameworkSummaryJSON(state, fw, used, offered),
    resources: legacyResources(used.add(offered)),
    user: fw.info.user,
    failover_timeout: fw.info.failover_timeout ?? 0,
    checkpoint: fw.info.checkpoint ?? false,
    registered_time: secs(fw.registeredTime),
    unregistered_time: fw.unregisteredTime === undefined ? 0 : secs(fw.unregisteredTime),
    ...(fw.reregisteredTime !== undefined ? { reregistered_time: secs(fw.reregisteredTime) } : {}),
    ...(fw.info.principal !== undefined ? { principal: fw.info.principal } : {}),
    ...(fw.multiRole ? { roles: fw.roles } : { role: fw.info.role ?? '*' }),
    tasks: whenWritten(() => [...fw.tasks.values()].map((t) => taskText(t.task))),
    unreachable_tasks: whenWritten(() => [...fw.unreachableTasks.values()].map(taskText)),
    completed_tasks: whenWritten(() => fw.completedTasks.toArray().map(taskText)),
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

/**
 * The fields of an agent's view that follow from its total alone, made once per total: an
 * agent's total is a value replaced on every change (a reservation, a volume, re-registration),
 * so the view kept with it holds while the total is the same object.
 */
function totalJSON(agent: AgentRecord): Json {
  const total = agent.total;
  let view = agent.totalView?.total === total ? agent.totalView.json : undefined;
  if (view === undefined) {
    const reserved: Json = {};
    const reservedFull: Json = {};
    for (const role of total.reservationRoles()) {
      reserved[role] = legacyResources(total.reserved(role));
      reservedFull[role] = total.reserved(role).toJSON();
    }
    view = {
      resources: legacyResources(total),
      reserved_resources: reserved,
      unreserved_resources: legacyResources(total.unreserved()),
      reserved_resources_full: reservedFull,
      unreserved_resources_full: total.unreserved().toJSON(),
    };
    agent.totalView = { total, json: view };
  }
  return view;
}

/** An agent as Mesos's v0 endpoints show it; what it uses and is offered may be given, summed already. */
export function agentJSON(state: MasterState, agent: AgentRecord, usedAllocated = agent.used(), offeredAllocated = offeredBy(state, agent)): Json {
  const used = usedAllocated.unallocate();
  const offered = offeredAllocated.unallocate();
  return {
    id: agent.id,
    hostname: agent.info.hostname,
    port: agent.info.port ?? agentPort(agent),
    attributes: attributesJSON(agent.info.attributes),
    pid: agent.pid,
    registered_time: secs(agent.registeredTime),
    ...(agent.reregisteredTime !== undefined ? { reregistered_time: secs(agent.reregisteredTime) } : {}),
    ...totalJSON(agent),
    used_resources: legacyResources(used),
    offered_resources: legacyResources(offered),
    used_resources_full: used.toJSON(),
    offered_resources_full: offered.toJSON(),
    active: agent.active,
    deactivated: !agent.active,
    version: agent.version,
    capabilities: agent.capabilities.flatMap((c) => (c.type !== undefined ? [c.type] : [])),
  };
}

/**
 * What of an agent its view shows, besides what it uses and is offered. Each is replaced, never
 * changed in place: a new total after a reservation, a new pid and capabilities on re-registration.
 */
const agentFields = (a: AgentRecord): readonly unknown[] => [a.info, a.pid, a.version, a.capabilities, a.total, a.active, a.registeredTime, a.reregisteredTime];

/** An agent's view as JSON text, and what it was written from. */
class AgentText extends JsonText {
  constructor(
    text: string,
    readonly used: Resources,
    readonly offered: Resources,
    readonly fields: readonly unknown[],
  ) {
    super(text);
  }
}

const agentTexts = new WeakMap<AgentRecord, AgentText>();

/**
 * agentJSON as text, kept with the agent while what it was written from is the same: its fields
 * (agentFields), and what it uses and is offered, summed anew and compared by value. `/state`
 * polled at 10,000 agents then writes most of them by copying their text.
 */
export function agentText(state: MasterState, agent: AgentRecord): JsonText {
  const used = agent.used();
  const offered = offeredBy(state, agent);
  const fields = agentFields(agent);
  const kept = agentTexts.get(agent);
  if (kept !== undefined && kept.used.equals(used) && kept.offered.equals(offered) && kept.fields.every((f, i) => f === fields[i])) return kept;
  const made = new AgentText(JSON.stringify(agentJSON(state, agent, used, offered)), used, offered, fields);
  agentTexts.set(agent, made);
  return made;
}

export interface MasterIdentity {
  id: string;
  pid: string;
  hostname: string;
  port: number;
  startTimeMs: number;
  flags: Readonly<Record<string, string>>;
}

export { BUILD };

/** What this master can do beyond Mesos 1.0, as MasterInfo.capabilities: QUOTA_V2 (UPDATE_QUOTA with limits). */
export const MASTER_CAPABILITIES_LIST = ['QUOTA_V2'] as const;

export function versionJSON(): Json {
  return { version: MESOS_VERSION, ...BUILD };
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
    capabilities: [...MASTER_CAPABILITIES_LIST],
    activated_slaves: activated,
    deactivated_slaves: state.agents.size - activated,
    unreachable_slaves: state.unreachableAgents.size,
    leader: me.pid,
    leader_info: { id: me.id, pid: me.pid, port: me.port, hostname: me.hostname },
    flags: me.flags,
    slaves: [...state.agents.values()].map((a) => agentText(state, a)),
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

/** A role as the master accounts it, for `/roles` and GET_ROLES alike. */
export interface RoleView {
  name: string;
  weight: number;
  frameworks: string[];
  allocated: Resources;
  offered: Resources;
  reserved: Resources;
  quota: QuotaRecord | undefined;
}

/** Every role on the `--roles` whitelist (when there is one), with frameworks, a weight or a quota, as Mesos lists them. */
export function roleViews(state: MasterState, whitelist: Iterable<string> = []): RoleView[] {
  const names = new Set<string>([...whitelist, ...Object.keys(state.weights), ...state.quotas.keys()]);
  for (const fw of state.frameworks.values()) for (const r of fw.roles) names.add(r);
  return [...names].sort().map((name) => {
    let allocated = Resources.EMPTY;
    let offered = Resources.EMPTY;
    let reserved = Resources.EMPTY;
    const frameworks: string[] = [];
    for (const fw of state.frameworks.values()) if (fw.roles.includes(name)) frameworks.push(fw.id);
    for (const t of state.tasks()) if (!t.recovered) allocated = allocated.add(t.resources.filter((e) => e.allocationRole === name));
    for (const o of state.offers.values()) if (o.role === name) offered = offered.add(o.resources);
    for (const a of state.agents.values()) reserved = reserved.add(a.total.reserved(name));
    return { name, weight: state.weights[name] ?? 1, frameworks, allocated: allocated.unallocate(), offered: offered.unallocate(), reserved, quota: state.quotas.get(name) };
  });
}

/**
 * `/roles`. As Mesos 1.11 writes them, its resource fields are quantities: only the names
 * present, never a zero for what the role does not hold.
 */
export function rolesJSON(state: MasterState, whitelist: Iterable<string> = []): Json {
  const roles = roleViews(state, whitelist).map((r) => ({
    name: r.name,
    weight: r.weight,
    quota: {
      role: r.name,
      guarantee: r.quota === undefined ? {} : r.quota.guarantee.quantities(),
      // Only the names that have a limit: a name left out is unlimited, not limited to 0.
      limit: r.quota === undefined ? {} : r.quota.limit.quantities(),
      consumed: r.allocated.quantities(),
    },
    resources: r.allocated.add(r.offered).quantities(),
    allocated: r.allocated.quantities(),
    offered: r.offered.quantities(),
    reserved: r.reserved.quantities(),
    frameworks: r.frameworks,
  }));
  return { roles };
}
