// The master's launch validation (mesos-protocol.md §5) and framework validation (§1.4) as pure
// functions over plain inputs. Each answers undefined when all is well, or what the framework
// is told: the TaskStatus state, reason and a message saying exactly what was wrong.

import { checkIdValue } from './ids.js';
import { Resources } from './resources.js';
import { stateForFramework, taskStatus, type TaskState, type TaskStatusReason } from './task-states.js';
import {
  hasCapability,
  type AgentCapability,
  type AgentID,
  type AllocationInfo,
  type CheckInfo,
  type CommandInfo,
  type CommandURI,
  type ExecutorInfo,
  type FrameworkID,
  type FrameworkInfo,
  type HealthCheck,
  type OfferID,
  type OfferOperation,
  type Resource,
  type TaskInfo,
  type TaskStatus,
} from './types.js';

/** Why a task is not launched: the status the master sends for it (source MASTER, no uuid). */
export interface LaunchRejection {
  state: TaskState;
  reason: TaskStatusReason;
  message: string;
}

/** The master-generated TaskStatus for a rejected task. */
export function rejectionStatus(rejection: LaunchRejection, task: Pick<TaskInfo, 'task_id' | 'agent_id'>, timestamp: number): TaskStatus {
  return taskStatus({
    task_id: task.task_id,
    state: rejection.state,
    source: 'SOURCE_MASTER',
    reason: rejection.reason,
    message: rejection.message,
    agent_id: task.agent_id,
    timestamp,
  });
}

function invalidTask(message: string): LaunchRejection {
  return { state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message };
}

// ---------------------------------------------------------------------------------------------
// Offers

/** What the offer check needs of an outstanding offer (an `Offer` fits). */
export interface OfferView {
  framework_id: FrameworkID;
  agent_id: AgentID;
  allocation_info?: AllocationInfo;
}

export interface OfferCheck {
  offer_ids: readonly OfferID[];
  /** The framework making the call. */
  framework_id: FrameworkID;
  /** PARTITION_AWARE frameworks are told TASK_DROPPED, the others TASK_LOST. */
  partition_aware: boolean;
  /** The outstanding offer with this id, or undefined when it was used, rescinded or never existed. */
  lookupOffer: (id: string) => OfferView | undefined;
  /** Whether the agent is registered and connected. */
  agentConnected: (agentId: string) => boolean;
}

/**
 * Checks the offers of an ACCEPT (or launchTasks). Any failure fails the whole call: every task
 * in it gets the returned status, REASON_INVALID_OFFERS, and the caller discards the offers that
 * were still valid.
 */
export function validateOffers(check: OfferCheck): LaunchRejection | undefined {
  const problem = offersProblem(check);
  if (problem === undefined) return undefined;
  return {
    state: stateForFramework('TASK_DROPPED', check.partition_aware),
    reason: 'REASON_INVALID_OFFERS',
    message: `Task launched with invalid offers: ${problem}`,
  };
}

function offersProblem(check: OfferCheck): string | undefined {
  if (check.offer_ids.length === 0) return 'no offer ids were given';
  const seen = new Set<string>();
  for (const id of check.offer_ids) {
    if (seen.has(id.value)) return `offer ${id.value} is listed more than once`;
    seen.add(id.value);
  }
  let first: { id: string; offer: OfferView } | undefined;
  for (const { value: id } of check.offer_ids) {
    const offer = check.lookupOffer(id);
    if (offer === undefined) return `offer ${id} is no longer valid`;
    if (offer.framework_id.value !== check.framework_id.value) {
      return `offer ${id} belongs to framework ${offer.framework_id.value}, not ${check.framework_id.value}`;
    }
    if (first === undefined) {
      first = { id, offer };
      continue;
    }
    if (offer.agent_id.value !== first.offer.agent_id.value) {
      return `offers ${first.id} and ${id} are for different agents (${first.offer.agent_id.value} and ${offer.agent_id.value})`;
    }
    const a = first.offer.allocation_info?.role;
    const b = offer.allocation_info?.role;
    if (a !== b) return `offers ${first.id} and ${id} are allocated to different roles (${a ?? 'none'} and ${b ?? 'none'})`;
  }
  if (first !== undefined && !check.agentConnected(first.offer.agent_id.value)) {
    return `agent ${first.offer.agent_id.value} is not connected`;
  }
  return undefined;
}

/** A LAUNCH operation must carry `launch` and no operation id (no feedback for launches). */
export function validateLaunchOperation(op: OfferOperation): LaunchRejection | undefined {
  if (op.type !== 'LAUNCH') return invalidTask(`Expected a LAUNCH operation, got ${op.type}`);
  if (op.id !== undefined) {
    return invalidTask(`The LAUNCH operation sets 'id' (${op.id.value}), but operation feedback is not supported for launches`);
  }
  if (op.launch === undefined) return invalidTask("The LAUNCH operation has no 'launch' field");
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tasks

/** Everything a launch is checked against, for the tasks of one ACCEPT on one agent. */
export interface LaunchContext {
  framework_id: FrameworkID;
  /** The agent of the offers. */
  agent_id: AgentID;
  agent_capabilities?: readonly AgentCapability[];
  /** The role the offers are allocated to; task resources without `allocation_info` get it, as Mesos injects it. */
  allocation_role: string;
  /** The offers' resources, all of them (with or without `allocation_info`). */
  offered: Resources;
  /** Ids of the framework's active and unreachable tasks. */
  task_ids_in_use: { has(id: string): boolean };
  /** The framework's executors already on the agent, by executor id. */
  executors: ReadonlyMap<string, ExecutorInfo>;
}

export type LaunchOutcome =
  | { ok: true; task: TaskInfo; launch_executor: boolean; resources: Resources }
  | { ok: false; task: TaskInfo; rejection: LaunchRejection };

export interface LaunchResult {
  /** One outcome per task, in order. Accepted tasks have their executor's `framework_id` filled in. */
  outcomes: LaunchOutcome[];
  /** What the accepted tasks (and their new executors) take, with `allocation_info`. */
  used: Resources;
  /** What is left of the offers, to be declined with the call's filters. */
  remaining: Resources;
}

/**
 * Validates the tasks of one LAUNCH in order (§5, checks 2–11; authorization is the master's).
 * Each accepted task reserves its id, its resources (plus its executor's when the executor is
 * new) and its executor id for the tasks after it, as Mesos does within one ACCEPT.
 */
export function validateLaunch(tasks: readonly TaskInfo[], ctx: LaunchContext): LaunchResult {
  const taken = new Set<string>();
  const inUse = { has: (id: string) => taken.has(id) || ctx.task_ids_in_use.has(id) };
  const newExecutors = new Map<string, ExecutorInfo>();
  const executors = { get: (id: string) => newExecutors.get(id) ?? ctx.executors.get(id) };
  let remaining = ctx.offered.hasAllocationInfo() ? ctx.offered : ctx.offered.allocate(ctx.allocation_role);
  let used = Resources.EMPTY;
  const outcomes: LaunchOutcome[] = [];

  for (const original of tasks) {
    const task = withExecutorFramework(original, ctx.framework_id);
    const checked = checkTask(task, ctx, inUse, executors, remaining);
    if ('rejection' in checked) {
      outcomes.push({ ok: false, task: original, rejection: checked.rejection });
      continue;
    }
    taken.add(task.task_id.value);
    if (checked.launch_executor && task.executor !== undefined) newExecutors.set(task.executor.executor_id.value, task.executor);
    remaining = remaining.subtract(checked.resources);
    used = used.add(checked.resources);
    outcomes.push({ ok: true, task, launch_executor: checked.launch_executor, resources: checked.resources });
  }
  return { outcomes, used, remaining };
}

/**
 * Validates one task against the context, as if it were the only task of its ACCEPT. Use
 * `validateLaunch` for several: it carries ids, executors and resources from task to task.
 */
export function validateTask(task: TaskInfo, ctx: LaunchContext): LaunchRejection | undefined {
  const filled = withExecutorFramework(task, ctx.framework_id);
  const offered = ctx.offered.hasAllocationInfo() ? ctx.offered : ctx.offered.allocate(ctx.allocation_role);
  const checked = checkTask(filled, ctx, ctx.task_ids_in_use, ctx.executors, offered);
  return 'rejection' in checked ? checked.rejection : undefined;
}

function withExecutorFramework(task: TaskInfo, frameworkId: FrameworkID): TaskInfo {
  if (task.executor === undefined || task.executor.framework_id !== undefined) return task;
  return { ...task, executor: { ...task.executor, framework_id: { value: frameworkId.value } } };
}

type Checked = { rejection: LaunchRejection } | { launch_executor: boolean; resources: Resources };

function checkTask(
  task: TaskInfo,
  ctx: LaunchContext,
  inUse: { has(id: string): boolean },
  executors: { get(id: string): ExecutorInfo | undefined },
  available: Resources,
): Checked {
  const fail = (message: string): Checked => ({ rejection: invalidTask(message) });
  const tid = task.task_id.value;

  // 2. Task id: valid, and unique among the framework's tasks.
  const idProblem = checkIdValue(tid);
  if (idProblem !== undefined) return fail(`Task ID '${tid}' is invalid: ${idProblem}`);
  if (inUse.has(tid)) return fail(`Task ID '${tid}' is already in use by another task of this framework`);

  // 3. Agent.
  if (task.agent_id.value !== ctx.agent_id.value) {
    return fail(`Task is for agent ${task.agent_id.value}, but the offers are for agent ${ctx.agent_id.value}`);
  }

  // 4. Durations.
  const grace = task.kill_policy?.grace_period?.nanoseconds;
  if (grace !== undefined && grace < 0) return fail(`Task's kill policy has a negative grace period (${grace} ns)`);
  const maxTime = task.max_completion_time?.nanoseconds;
  if (maxTime !== undefined && maxTime < 0) return fail(`Task's max_completion_time is negative (${maxTime} ns)`);

  // 5. Checks.
  if (task.health_check !== undefined) {
    const p = healthCheckProblem(task.health_check);
    if (p !== undefined) return fail(`Task's health check is invalid: ${p}`);
  }
  if (task.check !== undefined) {
    const p = checkProblem(task.check);
    if (p !== undefined) return fail(`Task's check is invalid: ${p}`);
  }

  // 6. Resources.
  const taskResources = task.resources ?? [];
  const rp = resourcesProblem(taskResources, ctx.allocation_role);
  if (rp !== undefined) return fail(`Task's resources are invalid: ${rp}`);
  let own: Resources;
  try {
    own = Resources.fromJSON(taskResources);
  } catch (e) {
    return fail(`Task's resources are invalid: ${(e as Error).message}`);
  }
  if (own.isEmpty()) return fail('Task uses no resources');

  // 7. Command (container details are left to the agent's containerizer).
  if (task.command !== undefined) {
    const p = commandProblem(task.command);
    if (p !== undefined) return fail(`Task's command is invalid: ${p}`);
  }

  // 8. Limits.
  if (task.limits !== undefined && Object.keys(task.limits).length > 0) {
    for (const [name, limit] of Object.entries(task.limits)) {
      if (name !== 'cpus' && name !== 'mem') return fail(`Task sets a limit for '${name}'; only 'cpus' and 'mem' may have limits`);
      const request = own.scalar(name);
      if (limit.value < request) return fail(`Task's limit for '${name}' (${limit.value}) is below its request (${request})`);
    }
    if (!(ctx.agent_capabilities ?? []).some((c) => c.type === 'TASK_RESOURCE_LIMITS')) {
      return fail(`Task sets resource limits, but agent ${ctx.agent_id.value} does not support them (no TASK_RESOURCE_LIMITS capability)`);
    }
  }

  // 9. Exactly one of command and executor.
  if ((task.command === undefined) === (task.executor === undefined)) {
    return fail(`Task must set exactly one of 'command' and 'executor', but it sets ${task.command === undefined ? 'neither' : 'both'}`);
  }

  // 10. Executor.
  let launchExecutor = false;
  let consumed = own;
  const executor = task.executor;
  if (executor !== undefined) {
    const eid = executor.executor_id.value;
    if (executor.type !== undefined && executor.type !== 'CUSTOM') {
      return fail(`Task's executor '${eid}' has type ${executor.type}; a task launched on its own needs a CUSTOM executor`);
    }
    const eidProblem = checkIdValue(eid);
    if (eidProblem !== undefined) return fail(`Task's executor ID '${eid}' is invalid: ${eidProblem}`);
    if (executor.command === undefined) return fail(`Task's executor '${eid}' has no 'command'`);
    const cp = commandProblem(executor.command);
    if (cp !== undefined) return fail(`Task's executor '${eid}' has an invalid command: ${cp}`);
    if (executor.framework_id !== undefined && executor.framework_id.value !== ctx.framework_id.value) {
      return fail(`Task's executor '${eid}' names framework ${executor.framework_id.value}, but the task is launched by framework ${ctx.framework_id.value}`);
    }
    const executorResources = executor.resources ?? [];
    const erp = resourcesProblem(executorResources, ctx.allocation_role);
    if (erp !== undefined) return fail(`Task's executor '${eid}' has invalid resources: ${erp}`);
    let execRes: Resources;
    try {
      execRes = Resources.fromJSON(executorResources);
    } catch (e) {
      return fail(`Task's executor '${eid}' has invalid resources: ${(e as Error).message}`);
    }
    if (execRes.hasShared()) return fail(`Task's executor '${eid}' uses shared resources, which executors may not`);
    const dup = duplicatePersistenceId([...taskResources, ...executorResources]);
    if (dup !== undefined) return fail(`Task and its executor '${eid}' both use persistent volume '${dup}'`);

    const existing = executors.get(eid);
    if (existing === undefined) {
      launchExecutor = true;
      consumed = own.add(execRes);
    } else if (!deepEqual(existing, executor)) {
      return fail(`Task's executor '${eid}' differs from the executor '${eid}' this framework already has on agent ${ctx.agent_id.value}`);
    }
  }

  // 11. Enough resources left in the offers.
  consumed = consumed.allocate(ctx.allocation_role);
  if (!available.contains(consumed)) {
    const what = launchExecutor ? 'Task and its new executor use' : 'Task uses';
    const left = available.unallocate().toString() || 'nothing';
    return fail(`${what} ${consumed.unallocate().toString()}, more than the offers have left: ${left}`);
  }
  return { launch_executor: launchExecutor, resources: consumed };
}

/** Advisory: Mesos logs a warning (and launches anyway) for executors below 0.01 cpus or 32 MB. */
export function executorResourceWarning(executor: ExecutorInfo): string | undefined {
  let res: Resources;
  try {
    res = Resources.fromJSON(executor.resources ?? []);
  } catch {
    return undefined;
  }
  const cpus = res.cpus();
  const mem = res.mem();
  if (cpus >= 0.01 && mem >= 32) return undefined;
  return `Executor '${executor.executor_id.value}' uses ${cpus} cpus and ${mem} MB of memory; at least 0.01 cpus and 32 MB are recommended`;
}

// ---------------------------------------------------------------------------------------------
// Pieces

/** Checks Mesos's Resource.validate does not leave to arithmetic: one value field per type, one allocation role, revocable mix. */
function resourcesProblem(resources: readonly Resource[], allocationRole: string): string | undefined {
  const revocableByName = new Map<string, boolean>();
  for (const r of resources) {
    if (r.name === '') return 'a resource has an empty name';
    const field = r.type === 'SCALAR' ? r.scalar : r.type === 'RANGES' ? r.ranges : r.set;
    if (field === undefined) return `'${r.name}' is of type ${r.type} but has no '${r.type.toLowerCase()}' value`;
    const extra = (r.type !== 'SCALAR' && r.scalar !== undefined) || (r.type !== 'RANGES' && r.ranges !== undefined) || (r.type !== 'SET' && r.set !== undefined);
    if (extra) return `'${r.name}' is of type ${r.type} but carries a value of another type`;
    if (r.type === 'SCALAR' && r.scalar !== undefined && r.scalar.value < 0) return `'${r.name}' has a negative value (${r.scalar.value})`;
    const role = r.allocation_info?.role;
    if (role !== undefined && role !== allocationRole) {
      return `'${r.name}' is allocated to role '${role}', but the offers are allocated to role '${allocationRole}'`;
    }
    const revocable = r.revocable !== undefined;
    const before = revocableByName.get(r.name);
    if (before !== undefined && before !== revocable) return `'${r.name}' mixes revocable and non-revocable resources`;
    revocableByName.set(r.name, revocable);
  }
  const dup = duplicatePersistenceId(resources);
  if (dup !== undefined) return `persistent volume '${dup}' is used more than once`;
  return undefined;
}

function duplicatePersistenceId(resources: readonly Resource[]): string | undefined {
  const ids = new Set<string>();
  for (const r of resources) {
    const id = r.disk?.persistence?.id;
    if (id === undefined) continue;
    if (ids.has(id)) return id;
    ids.add(id);
  }
  return undefined;
}

function commandProblem(command: CommandInfo): string | undefined {
  const shell = command.shell ?? true;
  if (command.value === undefined || command.value === '') {
    return shell ? "it has no 'value' to run with the shell" : "it has no 'value' (the executable to run)";
  }
  const uris = command.uris ?? [];
  if (uris.length > MAX_URIS) return `it has ${uris.length} URIs, more than the ${MAX_URIS} allowed`;
  for (const uri of uris) {
    const p = uriProblem(uri);
    if (p !== undefined) return p;
  }
  for (const v of command.environment?.variables ?? []) {
    if (v.name === '') return 'an environment variable has an empty name';
    if (v.type === 'SECRET') return `environment variable '${v.name}' is a SECRET, which is not supported`;
    if (v.type === 'UNKNOWN') return `environment variable '${v.name}' has type UNKNOWN`;
    if (v.value === undefined) return `environment variable '${v.name}' has no value`;
  }
  return undefined;
}

/** Bounds of what a task may ask the agent to fetch and probe (mesos-ts only; Mesos has none). */
export const MAX_URIS = 64;
export const MAX_URI_LENGTH = 4096;
/** A check's delays, intervals, timeouts and grace period: at most a day. */
export const MAX_CHECK_SECONDS = 86_400;
export const MAX_CONSECUTIVE_FAILURES = 1_000_000;

function uriProblem(uri: CommandURI): string | undefined {
  if (uri.value === '') return 'a URI is empty';
  if (uri.value.length > MAX_URI_LENGTH) return `a URI is ${uri.value.length} characters long, more than the ${MAX_URI_LENGTH} allowed`;
  const out = uri.output_file;
  if (out !== undefined) {
    // The fetched file lands inside the sandbox, never beside it.
    if (out === '' || out.startsWith('/') || out.split('/').includes('..') || out.length > MAX_URI_LENGTH) {
      return `URI '${uri.value}' has output_file '${out}', which is not a relative path inside the sandbox`;
    }
  }
  return undefined;
}

function negativeSeconds(fields: Record<string, number | undefined>): string | undefined {
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value < 0) return `'${name}' is negative (${value})`;
    if (value !== undefined && value > MAX_CHECK_SECONDS) return `'${name}' is ${value}, more than ${MAX_CHECK_SECONDS} seconds`;
  }
  return undefined;
}

function healthCheckProblem(h: HealthCheck): string | undefined {
  if (h.type === undefined || h.type === 'UNKNOWN') return "it has no 'type'";
  const neg = negativeSeconds({
    delay_seconds: h.delay_seconds,
    interval_seconds: h.interval_seconds,
    timeout_seconds: h.timeout_seconds,
    grace_period_seconds: h.grace_period_seconds,
  });
  if (neg !== undefined) return neg;
  if (h.consecutive_failures !== undefined && (h.consecutive_failures < 1 || h.consecutive_failures > MAX_CONSECUTIVE_FAILURES)) {
    return `'consecutive_failures' is ${h.consecutive_failures}; it must be between 1 and ${MAX_CONSECUTIVE_FAILURES}`;
  }
  switch (h.type) {
    case 'COMMAND': {
      if (h.command === undefined) return "it is of type COMMAND but has no 'command'";
      const p = commandProblem(h.command);
      return p === undefined ? undefined : `its command is invalid: ${p}`;
    }
    case 'HTTP':
      if (h.http === undefined) return "it is of type HTTP but has no 'http'";
      if (h.http.scheme !== undefined && h.http.scheme !== 'http' && h.http.scheme !== 'https') {
        return `its HTTP scheme '${h.http.scheme}' is neither 'http' nor 'https'`;
      }
      if (h.http.path !== undefined && !h.http.path.startsWith('/')) return `its HTTP path '${h.http.path}' does not start with '/'`;
      return undefined;
    case 'TCP':
      return h.tcp === undefined ? "it is of type TCP but has no 'tcp'" : undefined;
  }
}

function checkProblem(c: CheckInfo): string | undefined {
  if (c.type === undefined || c.type === 'UNKNOWN') return "it has no 'type'";
  const neg = negativeSeconds({ delay_seconds: c.delay_seconds, interval_seconds: c.interval_seconds, timeout_seconds: c.timeout_seconds });
  if (neg !== undefined) return neg;
  switch (c.type) {
    case 'COMMAND': {
      if (c.command === undefined) return "it is of type COMMAND but has no 'command'";
      const p = commandProblem(c.command.command);
      return p === undefined ? undefined : `its command is invalid: ${p}`;
    }
    case 'HTTP':
      if (c.http === undefined) return "it is of type HTTP but has no 'http'";
      if (c.http.path !== undefined && !c.http.path.startsWith('/')) return `its HTTP path '${c.http.path}' does not start with '/'`;
      return undefined;
    case 'TCP':
      return c.tcp === undefined ? "it is of type TCP but has no 'tcp'" : undefined;
  }
}

/** Structural equality for protocol values (plain objects, arrays, Uint8Array); undefined properties count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Roles and frameworks

/**
 * Checks a role name: non-empty; '*' alone or a '/'-separated path of segments, none empty, '.',
 * '..' or starting with '-', and no whitespace, control characters or backslash.
 */
export function checkRole(role: string): string | undefined {
  if (role === '') return 'it is empty';
  if (role === '*') return undefined;
  for (let i = 0; i < role.length; i++) {
    const c = role.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return `it contains ${c === 0x20 ? 'a space' : 'a whitespace or control character'} at position ${i}`;
    if (c === 0x5c) return `it contains '\\' at position ${i}`;
  }
  for (const segment of role.split('/')) {
    if (segment === '') return "it has an empty segment (leading, trailing or doubled '/')";
    if (segment === '.' || segment === '..') return `'${segment}' is not allowed as a segment`;
    if (segment === '*') return "'*' is only allowed as the whole role";
    if (segment.startsWith('-')) return `segment '${segment}' starts with '-'`;
  }
  return undefined;
}

/** Failover timeouts must fit int64 nanoseconds, as Mesos stores them as a Duration. */
export const MAX_FAILOVER_TIMEOUT_SECONDS = 9_223_372_036;

export interface FrameworkCheckOptions {
  /** The master's `--roles` whitelist; undefined = any valid role. */
  allowed_roles?: ReadonlySet<string> | undefined;
  /** The master's `--root_submissions` (default true). */
  root_submissions?: boolean | undefined;
}

/**
 * Checks a FrameworkInfo at (re-)subscription (§1.4). Returns the FrameworkError message, or
 * undefined. Authentication, authorization and "Framework has been removed" are the master's.
 */
export function validateFrameworkInfo(info: FrameworkInfo, opts: FrameworkCheckOptions = {}): string | undefined {
  const multiRole = hasCapability(info, 'MULTI_ROLE');
  if (!multiRole && info.roles !== undefined && info.roles.length > 0) {
    return "FrameworkInfo sets 'roles' without the MULTI_ROLE capability (use 'role', or add the capability)";
  }
  if (multiRole && info.role !== undefined) {
    return "FrameworkInfo sets 'role' with the MULTI_ROLE capability (use 'roles')";
  }
  const roles = multiRole ? (info.roles ?? []) : [info.role ?? '*'];
  const seen = new Set<string>();
  for (const role of roles) {
    const p = checkRole(role);
    if (p !== undefined) return `Role '${role}' is invalid: ${p}`;
    if (seen.has(role)) return `Role '${role}' is listed more than once in 'roles'`;
    seen.add(role);
    if (opts.allowed_roles !== undefined && role !== '*' && !opts.allowed_roles.has(role)) {
      return `Role '${role}' is not one of the roles this master allows (--roles)`;
    }
  }
  if (info.id !== undefined) {
    const p = checkIdValue(info.id.value);
    if (p !== undefined) return `Framework ID '${info.id.value}' is invalid: ${p}`;
  }
  const ft = info.failover_timeout;
  if (ft !== undefined && (ft < 0 || ft > MAX_FAILOVER_TIMEOUT_SECONDS)) {
    return `failover_timeout ${ft} is out of range (0 to ${MAX_FAILOVER_TIMEOUT_SECONDS} seconds)`;
  }
  if (info.user === 'root' && opts.root_submissions === false) {
    return "User 'root' may not run frameworks on this master (--root_submissions=false)";
  }
  return undefined;
}
