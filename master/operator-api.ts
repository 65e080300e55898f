// The master's operator API, `POST /api/v1` (Mesos's Master::Http::api and master.proto): one
// table of calls. Every answer comes from what the v0 endpoints read (operator-views.ts over
// views.ts, quota-weights.ts, agent-gone.ts, reservations.ts), behind the same HTTP
// authentication and ACLs. Calls Mesos has that this master does not (maintenance, draining,
// volumes, operations) answer 501 with a message; a type Mesos does not know is 400.

import { operatorVolumes } from './volumes.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ValidationError, logControl, type Clock, type Counter, type HttpRequest, type HttpResponse } from '../runtime/index.js';
import { answer, authorized, decodeOperatorCall, durationMs, forbidden, loggingLevel, nanos, plainText, setLoggingLevel, subMessage, type OperatorCall } from '../protocol/index.js';
import { markAgentGone } from './agent-gone.js';
import type { MasterContext } from './context.js';
import { OperatorSubscribers } from './operator-events.js';
import { getAgents, getExecutors, getFrameworks, getMaster, getRoles, getState, getTasks, quotaStatus, versionInfo, visibility } from './operator-views.js';
import { applyQuotaConfigs, parseQuotaConfigs, updateWeights, validateWeights } from './quota-weights.js';
import { operatorReservation } from './reservations.js';

/** What the operator API needs beyond the master's context. */
export interface OperatorApiDeps {
  clock: Clock;
  metrics(): Record<string, number>;
  /** A counter of the runtime's metrics, by name. */
  counter(name: string): Counter;
}

type Call = (ctx: MasterContext, call: OperatorCall, principal: string | undefined) => HttpResponse | Promise<HttpResponse>;

const ok = (): HttpResponse => ({ status: 200, body: '' });
const accepted = (): HttpResponse => ({ status: 202, body: '' });
const bad = (message: string): HttpResponse => plainText(400, message);
const notImplemented = (type: string, why: string): Call => () => plainText(501, `${type} is not implemented by this master: ${why}`);

/** The `value` of an id field such as `agent_id: {value}`, if it is one. */
function idValue(v: unknown): string | undefined {
  const value = typeof v === 'object' && v !== null ? (v as { value?: unknown }).value : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function flagsAnswer(ctx: MasterContext, call: OperatorCall, principal: string | undefined): HttpResponse {
  if (!authorized(ctx.opts.acls, 'get_endpoints', principal, '/flags')) return forbidden(`principal '${principal ?? ''}' may not GET /flags`);
  return answer(call, 'GET_FLAGS', { flags: Object.entries(ctx.opts.flags).map(([name, value]) => ({ name, value })) });
}

/** The master serves one file, its own log (`/master/log`), as its /files/read does. */
const LOG_PATH = '/master/log';

function listFiles(call: OperatorCall): HttpResponse {
  const path = subMessage(call)['path'];
  if (typeof path !== 'string') return bad("Expecting 'list_files.path' to be present");
  const file = logControl()?.file();
  if (path.replace(/\/+$/, '') !== LOG_PATH || file === undefined) return plainText(404, `No such file or directory: '${path}'`);
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    return answer(call, 'LIST_FILES', { file_infos: [{ path: LOG_PATH, nlink: st.nlink, size: st.size, mtime: nanos(st.mtimeMs), mode: st.mode, uid: String(st.uid), gid: String(st.gid) }] });
  } finally {
    closeSync(fd);
  }
}

const MAX_READ = 64 * 1024;

function readFile(call: OperatorCall): HttpResponse {
  const sub = subMessage(call);
  const path = sub['path'];
  const offset = Number(sub['offset']);
  if (typeof path !== 'string') return bad("Expecting 'read_file.path' to be present");
  if (sub['offset'] === undefined || !Number.isInteger(offset) || offset < 0) return bad("Expecting 'read_file.offset' to be a non-negative integer");
  const length = sub['length'] === undefined ? MAX_READ : Number(sub['length']);
  if (!Number.isInteger(length) || length < 0) return bad("Expecting 'read_file.length' to be a non-negative integer");
  const file = logControl()?.file();
  if (path !== LOG_PATH || file === undefined) return plainText(404, `No such file or directory: '${path}'`);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, Math.min(length, MAX_READ, size - offset)));
    const n = buf.length > 0 ? readSync(fd, buf, 0, buf.length, offset) : 0;
    return answer(call, 'READ_FILE', { size, data: buf.subarray(0, n) });
  } finally {
    closeSync(fd);
  }
}

function updateWeightsCall(ctx: MasterContext, call: OperatorCall, principal: string | undefined): HttpResponse | Promise<HttpResponse> {
  const updates = validateWeights(ctx, subMessage(call)['weight_infos']);
  if (updates instanceof ValidationError) return bad(updates.message);
  for (const role of Object.keys(updates)) {
    if (!authorized(ctx.opts.acls, 'update_weights', principal, role)) return forbidden(`principal '${principal ?? ''}' may not update the weight of role '${role}'`);
  }
  return updateWeights(ctx, updates).then(ok);
}

function updateQuotaCall(ctx: MasterContext, call: OperatorCall, principal: string | undefined): HttpResponse | Promise<HttpResponse> {
  const sub = subMessage(call);
  const configs = parseQuotaConfigs(ctx, sub['quota_configs'], sub['force'] === true);
  if (configs instanceof ValidationError) return bad(configs.message);
  for (const q of configs) {
    if (!authorized(ctx.opts.acls, 'update_quotas', principal, q.role)) return forbidden(`principal '${principal ?? ''}' may not set quota for role '${q.role}'`);
  }
  return applyQuotaConfigs(ctx, configs).then(ok);
}

function reservationCall(reserving: boolean): Call {
  return (ctx, call, principal) => {
    const sub = subMessage(call);
    const agentId = idValue(sub['agent_id']);
    if (agentId === undefined) return bad(`Expecting '${call.type.toLowerCase()}.agent_id' to be present`);
    const outcome = operatorReservation(ctx, agentId, sub['resources'], principal, reserving);
    return outcome === undefined ? accepted() : plainText(outcome.status, outcome.message);
  };
}

function volumesCall(creating: boolean): Call {
  return (ctx, call, principal) => {
    const sub = subMessage(call);
    const agentId = idValue(sub['agent_id']);
    if (agentId === undefined) return bad(`Expecting '${call.type.toLowerCase()}.agent_id' to be present`);
    const outcome = operatorVolumes(ctx, agentId, sub['volumes'], principal, creating);
    return outcome === undefined ? accepted() : plainText(outcome.status, outcome.message);
  };
}

function markAgentGoneCall(ctx: MasterContext, call: OperatorCall, principal: string | undefined): HttpResponse {
  const agentId = idValue(subMessage(call)['agent_id']);
  if (agentId === undefined) return bad("Expecting 'mark_agent_gone.agent_id' to be present");
  if (!authorized(ctx.opts.acls, 'mark_agents_gone', principal, agentId)) return forbidden(`principal '${principal ?? ''}' may not mark agents gone`);
  const problem = markAgentGone(ctx, agentId);
  return problem === undefined ? ok() : plainText(problem.status, problem.message);
}

const MAINTENANCE = 'maintenance (schedules, machine up/down, inverse offers) does not exist here yet';

function calls(deps: OperatorApiDeps, subscribers: OperatorSubscribers): Readonly<Record<string, Call>> {
  return {
    GET_HEALTH: (_ctx, call) => answer(call, 'GET_HEALTH', { healthy: true }),
    GET_FLAGS: (ctx, call, p) => flagsAnswer(ctx, call, p),
    GET_VERSION: (_ctx, call) => answer(call, 'GET_VERSION', versionInfo()),
    GET_METRICS: (_ctx, call) => {
      const timeout = subMessage(call)['timeout'];
      if (timeout !== undefined && durationMs(timeout) === undefined) return bad("Expecting 'get_metrics.timeout' to be a duration: {\"nanoseconds\": …}");
      return answer(call, 'GET_METRICS', { metrics: Object.entries(deps.metrics()).map(([name, value]) => ({ name, value })) });
    },
    GET_LOGGING_LEVEL: (_ctx, call) => loggingLevel(call),
    SET_LOGGING_LEVEL: (_ctx, call) => setLoggingLevel(call),
    LIST_FILES: (_ctx, call) => listFiles(call),
    READ_FILE: (_ctx, call) => readFile(call),
    GET_STATE: (ctx, call, p) => answer(call, 'GET_STATE', getState(ctx.state, visibility(ctx, p))),
    GET_AGENTS: (ctx, call) => answer(call, 'GET_AGENTS', getAgents(ctx.state)),
    GET_FRAMEWORKS: (ctx, call, p) => answer(call, 'GET_FRAMEWORKS', getFrameworks(ctx.state, visibility(ctx, p))),
    GET_EXECUTORS: (ctx, call, p) => answer(call, 'GET_EXECUTORS', getExecutors(ctx.state, visibility(ctx, p))),
    GET_TASKS: (ctx, call, p) => answer(call, 'GET_TASKS', getTasks(ctx.state, visibility(ctx, p))),
    GET_ROLES: (ctx, call) => answer(call, 'GET_ROLES', getRoles(ctx.state, ctx.opts.roles)),
    GET_WEIGHTS: (ctx, call) => answer(call, 'GET_WEIGHTS', { weight_infos: Object.entries(ctx.state.weights).map(([role, weight]) => ({ role, weight })) }),
    UPDATE_WEIGHTS: updateWeightsCall,
    GET_MASTER: (ctx, call) => answer(call, 'GET_MASTER', getMaster(ctx)),
    GET_QUOTA: (ctx, call) => answer(call, 'GET_QUOTA', { status: quotaStatus(ctx.state) }),
    UPDATE_QUOTA: updateQuotaCall,
    RESERVE_RESOURCES: reservationCall(true),
    UNRESERVE_RESOURCES: reservationCall(false),
    MARK_AGENT_GONE: markAgentGoneCall,
    SUBSCRIBE: (_ctx, call, p) => subscribers.subscribe(call, p),
    GET_MAINTENANCE_STATUS: notImplemented('GET_MAINTENANCE_STATUS', MAINTENANCE),
    GET_MAINTENANCE_SCHEDULE: notImplemented('GET_MAINTENANCE_SCHEDULE', MAINTENANCE),
    UPDATE_MAINTENANCE_SCHEDULE: notImplemented('UPDATE_MAINTENANCE_SCHEDULE', MAINTENANCE),
    START_MAINTENANCE: notImplemented('START_MAINTENANCE', MAINTENANCE),
    STOP_MAINTENANCE: notImplemented('STOP_MAINTENANCE', MAINTENANCE),
    DRAIN_AGENT: notImplemented('DRAIN_AGENT', 'agent draining does not exist here yet'),
    DEACTIVATE_AGENT: notImplemented('DEACTIVATE_AGENT', 'agent draining does not exist here yet'),
    REACTIVATE_AGENT: notImplemented('REACTIVATE_AGENT', 'agent draining does not exist here yet'),
    GET_OPERATIONS: notImplemented('GET_OPERATIONS', 'offer operation feedback does not exist here yet'),
    CREATE_VOLUMES: volumesCall(true),
    DESTROY_VOLUMES: volumesCall(false),
    GROW_VOLUME: notImplemented('GROW_VOLUME', 'resizing persistent volumes does not exist in this master yet'),
    SHRINK_VOLUME: notImplemented('SHRINK_VOLUME', 'resizing persistent volumes does not exist in this master yet'),
    SET_QUOTA: notImplemented('SET_QUOTA', 'deprecated in Mesos 1.11; use UPDATE_QUOTA'),
    REMOVE_QUOTA: notImplemented('REMOVE_QUOTA', 'deprecated in Mesos 1.11; use UPDATE_QUOTA with an empty config'),
    TEARDOWN: notImplemented('TEARDOWN', 'use POST /teardown'),
  };
}

/**
 * Serves `/api/v1` (and `/master/api/v1`); `guard` is the authentication the v0 routes use.
 * The subscribers are returned so the master can end their streams when it stops.
 */
export function operatorApi(ctx: MasterContext, deps: OperatorApiDeps): { handler: (req: HttpRequest, principal: string | undefined) => HttpResponse | Promise<HttpResponse>; subscribers: OperatorSubscribers } {
  const subscribers = new OperatorSubscribers(ctx, deps.clock, deps.counter('master/operator_api/subscribers_cut'));
  ctx.state.observer = subscribers;
  const table = calls(deps, subscribers);
  const types = new Set(Object.keys(table));
  const handler = (req: HttpRequest, principal: string | undefined): HttpResponse | Promise<HttpResponse> => {
    const call = decodeOperatorCall(req, 'master', types);
    if ('status' in call) return call;
    return table[call.type]!(ctx, call, principal);
  };
  return { handler, subscribers };
}
