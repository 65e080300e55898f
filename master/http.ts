// The master's v0 HTTP endpoints (Mesos's master/http.cpp): one table of routes, each served as
// /master/<path> and, through the runtime's delegate, as /<path>. The JSON comes from views.ts;
// quota and weights live in quota-weights.ts. Adding an endpoint is one line in ROUTES.

import { operatorVolumes } from './volumes.js';
import { badRequest, json, jsonNow, withJsonp, type HttpHandler, type HttpRequest, type HttpResponse } from '../runtime/index.js';
import { forbidden, guarded, type HttpAuthOptions } from '../protocol/index.js';
import { authorized } from '../protocol/index.js';
import type { Task } from '../protocol/index.js';
import type { MasterContext } from './context.js';
import { teardownFramework } from './frameworks.js';
import { killTaskEndpoint } from './operator-kill.js';
import { operatorApi, type OperatorApiDeps } from './operator-api.js';
import type { OperatorSubscribers } from './operator-events.js';
import { operatorReservation } from './reservations.js';
import { quotaEndpoint, weightsEndpoint } from './quota-weights.js';
import { schedulerEndpoint } from './scheduler-api.js';
import { agentText, frameworkJSON, rolesJSON, stateJSON, stateSummaryJSON, taskText, versionJSON, type MasterIdentity } from './views.js';

/** An endpoint sees the principal that authenticated the request (undefined: anonymous). */
type Endpoint = (ctx: MasterContext, req: HttpRequest, principal: string | undefined) => HttpResponse;
/** One that may answer once the registry has stored a change (quota, weights). */
type Answer = HttpResponse | Promise<HttpResponse>;
type AsyncEndpoint = (ctx: MasterContext, req: HttpRequest, principal: string | undefined) => Answer;

/** GET (and HEAD) endpoints: answered as JSON serialized at once (jsonNow), wrapped for `?jsonp=`; other methods get 405. */
const GET_ROUTES: Readonly<Record<string, Endpoint>> = {
  '/state': (ctx, _req, p) => json(visibleState(ctx, p, stateJSON(ctx.state, identity(ctx)))),
  '/state.json': (ctx, _req, p) => json(visibleState(ctx, p, stateJSON(ctx.state, identity(ctx)))),
  '/state-summary': (ctx) => json(stateSummaryJSON(ctx.state, identity(ctx))),
  '/frameworks': frameworksEndpoint,
  '/slaves': agentsEndpoint,
  '/tasks': tasksEndpoint,
  '/roles': (ctx) => json(rolesJSON(ctx.state, ctx.opts.roles)),
  '/flags': (ctx) => json({ flags: ctx.opts.flags }),
  '/version': () => json(versionJSON()),
};

/** Endpoints that answer every method themselves. */
const ROUTES: Readonly<Record<string, AsyncEndpoint>> = {
  '/health': () => ({ status: 200, body: '' }),
  '/redirect': redirectEndpoint,
  '/teardown': teardownEndpoint,
  '/tasks/kill': killTaskEndpoint,
  '/quota': (ctx, req, principal) => quotaEndpoint(ctx, req, undefined, principal),
  '/weights': weightsEndpoint,
  '/reserve': (ctx, req, p) => reservationEndpoint(ctx, req, p, true),
  '/unreserve': (ctx, req, p) => reservationEndpoint(ctx, req, p, false),
  '/create-volumes': (ctx, req, p) => volumesEndpoint(ctx, req, p, true),
  '/destroy-volumes': (ctx, req, p) => volumesEndpoint(ctx, req, p, false),
  '/api/v1/scheduler': schedulerEndpoint,
};

/** Endpoints `get_endpoints` ACLs guard, as Mesos's master does. */
const ACL_GUARDED_PATHS: ReadonlySet<string> = new Set(['/flags']);

/**
 * Every route goes through here: HTTP authentication (`--authenticate_http_readonly` for GET
 * and HEAD, `--authenticate_http_readwrite` for the rest; /health is always open), then the
 * `get_endpoints` ACL for the paths Mesos guards with it.
 */
function serve(ctx: MasterContext, path: string, endpoint: AsyncEndpoint): HttpHandler {
  return guarded(httpAuth(ctx), (req, principal) => {
    if (path !== '/health' && path !== '/redirect') {
      const notLeading = standbyAnswer(ctx, req);
      if (notLeading !== undefined) return notLeading;
    }
    if (ACL_GUARDED_PATHS.has(path) && !authorized(ctx.opts.acls, 'get_endpoints', principal, path)) return forbidden(`principal '${principal ?? ''}' may not GET ${path}`);
    return endpoint(ctx, req, principal);
  });
}

/** The runtime's own endpoints (`/metrics/snapshot`, `/__processes__`) behind the same authentication. */
export function guardedBuiltin(ctx: MasterContext, handler: HttpHandler): HttpHandler {
  return guarded(httpAuth(ctx), (req) => handler(req));
}

function httpAuth(ctx: MasterContext): HttpAuthOptions {
  return { credentials: ctx.opts.credentials, readonly: ctx.opts.authenticateHttpReadonly, readwrite: ctx.opts.authenticateHttpReadwrite };
}

/** Installs every route; the operator API's SUBSCRIBE streams are returned so the master can end them. */
export function installRoutes(ctx: MasterContext, deps: OperatorApiDeps): OperatorSubscribers {
  for (const [path, endpoint] of Object.entries(GET_ROUTES)) {
    ctx.route(path, serve(ctx, path, (c, req, p) => (req.method === 'GET' || req.method === 'HEAD' ? jsonNow(jsonp(req, endpoint(c, req, p))) : methodNotAllowed(req, 'GET'))));
  }
  // Every JSON answer takes `?jsonp=`, as libprocess wraps them all.
  for (const [path, endpoint] of Object.entries(ROUTES)) {
    ctx.route(path, serve(ctx, path, (c, req, p) => {
      const answer = endpoint(c, req, p);
      return answer instanceof Promise ? answer.then((r) => withJsonp(req, r)) : withJsonp(req, answer);
    }));
  }
  for (const role of ctx.state.quotas.keys()) quotaRoleRoute(ctx, role);
  const api = operatorApi(ctx, deps);
  ctx.route('/api/v1', serve(ctx, '/api/v1', (_c, req, p) => api.handler(req, p)));
  return api.subscribers;
}

/** `/quota/<role>`, served once a role has quota. */
export function quotaRoleRoute(ctx: MasterContext, role: string): void {
  ctx.route(`/quota/${role}`, serve(ctx, `/quota/${role}`, (c, req, p) => quotaEndpoint(c, req, role, p)));
}

function identity(ctx: MasterContext): MasterIdentity {
  return { id: ctx.id, pid: ctx.self, hostname: ctx.opts.hostname, port: ctx.info.port, startTimeMs: ctx.startedAt, flags: ctx.opts.flags };
}

/**
 * `view_frameworks` and `view_tasks` (object: the framework's user) decide what a principal
 * sees; with permissive ACLs and no rules, everything. Frameworks a principal may not view are
 * left out of /state, /frameworks and /tasks together with their tasks.
 */
function mayView(ctx: MasterContext, principal: string | undefined, user: string | undefined, what: 'view_frameworks' | 'view_tasks'): boolean {
  return authorized(ctx.opts.acls, what, principal, user);
}

type FrameworkView = { user?: string; tasks?: unknown[] };

function visibleState<J>(ctx: MasterContext, principal: string | undefined, json: J): J {
  const acls = ctx.opts.acls;
  if (acls.rules.view_frameworks === undefined && acls.rules.view_tasks === undefined && acls.permissive) return json;
  const s = json as unknown as { frameworks: FrameworkView[]; completed_frameworks: FrameworkView[] };
  const keep = (list: FrameworkView[]): FrameworkView[] =>
    list.filter((f) => mayView(ctx, principal, f.user, 'view_frameworks')).map((f) => (mayView(ctx, principal, f.user, 'view_tasks') ? f : { ...f, tasks: [] }));
  return { ...s, frameworks: keep(s.frameworks ?? []), completed_frameworks: keep(s.completed_frameworks ?? []) } as unknown as J;
}

function frameworksEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined): HttpResponse {
  const only = req.query.get('framework_id');
  const keep = (f: { id: string; info: { user: string } }): boolean => (only === null || f.id === only) && mayView(ctx, principal, f.info.user, 'view_frameworks');
  return json({
    frameworks: [...ctx.state.frameworks.values()].filter(keep).map((f) => frameworkJSON(ctx.state, f)),
    completed_frameworks: ctx.state.completedFrameworks.toArray().filter(keep).map((f) => frameworkJSON(ctx.state, f)),
    unregistered_frameworks: [],
  });
}

function agentsEndpoint(ctx: MasterContext, req: HttpRequest): HttpResponse {
  const only = req.query.get('slave_id');
  return json({
    slaves: [...ctx.state.agents.values()].filter((a) => only === null || a.id === only).map((a) => agentText(ctx.state, a)),
    recovered_slaves: [],
  });
}

function tasksEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined): HttpResponse {
  const q = req.query;
  const limit = q.get('limit') === null ? 100 : Number(q.get('limit'));
  const offset = q.get('offset') === null ? 0 : Number(q.get('offset'));
  const order = q.get('order') ?? 'des';
  if (!Number.isInteger(limit) || limit < 0) return badRequest(`'limit' must be a non-negative integer, got '${q.get('limit')}'`);
  if (!Number.isInteger(offset) || offset < 0) return badRequest(`'offset' must be a non-negative integer, got '${q.get('offset')}'`);
  if (order !== 'asc' && order !== 'des') return badRequest(`'order' must be 'asc' or 'des', got '${order}'`);
  const fwId = q.get('framework_id');
  const taskId = q.get('task_id');
  const tasks: Task[] = [];
  const frameworks = [...ctx.state.frameworks.values(), ...ctx.state.completedFrameworks.toArray()];
  for (const fw of frameworks) {
    if (fwId !== null && fw.id !== fwId) continue;
    if (!mayView(ctx, principal, fw.info.user, 'view_tasks')) continue;
    for (const t of fw.tasks.values()) tasks.push(t.task);
    tasks.push(...fw.unreachableTasks.values(), ...fw.completedTasks.toArray());
  }
  const filtered = tasks.filter((t) => taskId === null || t.task_id.value === taskId);
  const time = (t: Task): number => t.statuses[0]?.timestamp ?? 0;
  filtered.sort((a, b) => (order === 'asc' ? time(a) - time(b) : time(b) - time(a)));
  return json({ tasks: filtered.slice(offset, offset + limit).map(taskText) });
}

function teardownEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined): HttpResponse {
  if (req.method !== 'POST') return methodNotAllowed(req, 'POST');
  const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
  const id = form.get('frameworkId');
  if (id === null || id === '') return badRequest("Missing 'frameworkId' in the request body");
  const fw = ctx.state.frameworks.get(id);
  if (fw === undefined) return badRequest(`No framework found with ID '${id}'`);
  if (!authorized(ctx.opts.acls, 'teardown_frameworks', principal, fw.info.principal)) return forbidden(`principal '${principal ?? ''}' may not tear down framework ${id}`);
  teardownFramework(ctx, fw);
  return { status: 200, body: '' };
}

/**
 * A master that does not lead answers 307 to the leader (503 when none is known); a leader that
 * has not recovered the registry yet answers 503, as Mesos's master does.
 */
function standbyAnswer(ctx: MasterContext, req: HttpRequest): HttpResponse | undefined {
  const role = ctx.leadership.role();
  if (role === 'leading') return undefined;
  if (role === 'recovering') return unavailable('Master has not finished recovery');
  const leader = ctx.leadership.leader();
  if (leader === undefined) return unavailable('No leader elected');
  const query = req.query.toString();
  return { status: 307, headers: { location: `//${leader}${req.path}${query === '' ? '' : `?${query}`}` }, body: '' };
}

/** `/master/redirect`: 307 to the leading master's `/master/redirect`-less root, 503 when none is known. */
function redirectEndpoint(ctx: MasterContext): HttpResponse {
  const leader = ctx.leadership.role() === 'standby' ? ctx.leadership.leader() : `${ctx.info.address?.ip ?? ctx.opts.ip}:${ctx.info.port}`;
  if (leader === undefined) return unavailable('No leader elected');
  return { status: 307, headers: { location: `//${leader}` }, body: '' };
}

function unavailable(message: string): HttpResponse {
  return { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}

export function methodNotAllowed(req: HttpRequest, allowed: string): HttpResponse {
  return { status: 405, headers: { allow: allowed, 'content-type': 'text/plain; charset=utf-8' }, body: `Expecting ${allowed} for ${req.path}, got ${req.method}` };
}

/** `?jsonp=fn` wraps a JSON answer as `fn(<json>)`, which Mesos's web UI relies on. */
export const jsonp = withJsonp;

/** v0 `/reserve` and `/unreserve`: a form body `slaveId=…&resources=<JSON array>`; 202 once applied to the master's view. */
function reservationEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined, reserving: boolean): HttpResponse {
  if (req.method !== 'POST') return methodNotAllowed(req, 'POST');
  const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
  const agentId = form.get('slaveId');
  const raw = form.get('resources');
  if (agentId === null || agentId === '') return badRequest("Missing 'slaveId' query parameter in the request body");
  if (raw === null) return badRequest("Missing 'resources' query parameter in the request body");
  let resources: unknown;
  try {
    resources = JSON.parse(raw);
  } catch (err) {
    return badRequest(`Error in parsing 'resources' query parameter in the request body: ${(err as Error).message}`);
  }
  const outcome = operatorReservation(ctx, agentId, resources, principal, reserving);
  if (outcome === undefined) return { status: 202, body: '' };
  return { status: outcome.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: outcome.message };
}

/** v0 `/create-volumes` and `/destroy-volumes`: a form body `slaveId=…&volumes=<JSON array>`; 202 once applied to the master's view. */
function volumesEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined, creating: boolean): HttpResponse {
  if (req.method !== 'POST') return methodNotAllowed(req, 'POST');
  const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
  const agentId = form.get('slaveId');
  const raw = form.get('volumes');
  if (agentId === null || agentId === '') return badRequest("Missing 'slaveId' query parameter in the request body");
  if (raw === null) return badRequest("Missing 'volumes' query parameter in the request body");
  let volumes: unknown;
  try {
    volumes = JSON.parse(raw);
  } catch (err) {
    return badRequest(`Error in parsing 'volumes' query parameter in the request body: ${(err as Error).message}`);
  }
  const outcome = operatorVolumes(ctx, agentId, volumes, principal, creating);
  if (outcome === undefined) return { status: 202, body: '' };
  return { status: outcome.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: outcome.message };
}
