// The master's v0 HTTP endpoints (Mesos's master/http.cpp): one table of routes, each served as
// /master/<path> and, through the runtime's delegate, as /<path>. The JSON comes from views.ts;
// quota and weights live in quota-weights.ts. Adding an endpoint is one line in ROUTES.

import { badRequest, json, type HttpRequest, type HttpResponse } from '../runtime/index.js';
import type { Task } from '../protocol/index.js';
import type { MasterContext } from './context.js';
import { removeFramework } from './frameworks.js';
import { killTaskEndpoint } from './operator-kill.js';
import { quotaEndpoint, weightsEndpoint } from './quota-weights.js';
import { agentJSON, frameworkJSON, rolesJSON, stateJSON, stateSummaryJSON, taskJSON, versionJSON, type MasterIdentity } from './views.js';

type Endpoint = (ctx: MasterContext, req: HttpRequest) => HttpResponse;

/** GET (and HEAD) endpoints: answered as JSON, wrapped for `?jsonp=`; other methods get 405. */
const GET_ROUTES: Readonly<Record<string, Endpoint>> = {
  '/state': (ctx) => json(stateJSON(ctx.state, identity(ctx))),
  '/state.json': (ctx) => json(stateJSON(ctx.state, identity(ctx))),
  '/state-summary': (ctx) => json(stateSummaryJSON(ctx.state, identity(ctx))),
  '/frameworks': frameworksEndpoint,
  '/slaves': agentsEndpoint,
  '/tasks': tasksEndpoint,
  '/roles': (ctx) => json(rolesJSON(ctx.state, ctx.opts.roles)),
  '/flags': (ctx) => json({ flags: ctx.opts.flags }),
  '/version': () => json(versionJSON()),
};

/** Endpoints that answer every method themselves. */
const ROUTES: Readonly<Record<string, Endpoint>> = {
  '/health': () => ({ status: 200, body: '' }),
  '/teardown': teardownEndpoint,
  '/tasks/kill': killTaskEndpoint,
  '/quota': (ctx, req) => quotaEndpoint(ctx, req, undefined),
  '/weights': weightsEndpoint,
};

export function installRoutes(ctx: MasterContext): void {
  for (const [path, endpoint] of Object.entries(GET_ROUTES)) {
    ctx.route(path, (req) => (req.method === 'GET' || req.method === 'HEAD' ? jsonp(req, endpoint(ctx, req)) : methodNotAllowed(req, 'GET')));
  }
  for (const [path, endpoint] of Object.entries(ROUTES)) ctx.route(path, (req) => endpoint(ctx, req));
  for (const role of ctx.state.quotas.keys()) quotaRoleRoute(ctx, role);
}

/** `/quota/<role>`, served once a role has quota. */
export function quotaRoleRoute(ctx: MasterContext, role: string): void {
  ctx.route(`/quota/${role}`, (req) => quotaEndpoint(ctx, req, role));
}

function identity(ctx: MasterContext): MasterIdentity {
  return { id: ctx.id, pid: ctx.self, hostname: ctx.opts.hostname, port: ctx.info.port, startTimeMs: ctx.startedAt, flags: ctx.opts.flags };
}

function frameworksEndpoint(ctx: MasterContext, req: HttpRequest): HttpResponse {
  const only = req.query.get('framework_id');
  const keep = (f: { id: string }): boolean => only === null || f.id === only;
  return json({
    frameworks: [...ctx.state.frameworks.values()].filter(keep).map((f) => frameworkJSON(ctx.state, f)),
    completed_frameworks: ctx.state.completedFrameworks.toArray().filter(keep).map((f) => frameworkJSON(ctx.state, f)),
    unregistered_frameworks: [],
  });
}

function agentsEndpoint(ctx: MasterContext, req: HttpRequest): HttpResponse {
  const only = req.query.get('slave_id');
  return json({
    slaves: [...ctx.state.agents.values()].filter((a) => only === null || a.id === only).map((a) => agentJSON(ctx.state, a)),
    recovered_slaves: [],
  });
}

function tasksEndpoint(ctx: MasterContext, req: HttpRequest): HttpResponse {
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
    for (const t of fw.tasks.values()) tasks.push(t.task);
    tasks.push(...fw.unreachableTasks.values(), ...fw.completedTasks.toArray());
  }
  const filtered = tasks.filter((t) => taskId === null || t.task_id.value === taskId);
  const time = (t: Task): number => t.statuses[0]?.timestamp ?? 0;
  filtered.sort((a, b) => (order === 'asc' ? time(a) - time(b) : time(b) - time(a)));
  return json({ tasks: filtered.slice(offset, offset + limit).map(taskJSON) });
}

function teardownEndpoint(ctx: MasterContext, req: HttpRequest): HttpResponse {
  if (req.method !== 'POST') return methodNotAllowed(req, 'POST');
  const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
  const id = form.get('frameworkId');
  if (id === null || id === '') return badRequest("Missing 'frameworkId' in the request body");
  const fw = ctx.state.frameworks.get(id);
  if (fw === undefined) return badRequest(`No framework found with ID '${id}'`);
  removeFramework(ctx, fw);
  return { status: 200, body: '' };
}

export function methodNotAllowed(req: HttpRequest, allowed: string): HttpResponse {
  return { status: 405, headers: { allow: allowed, 'content-type': 'text/plain; charset=utf-8' }, body: `Expecting ${allowed} for ${req.path}, got ${req.method}` };
}

/** `?jsonp=fn` wraps a JSON answer as `fn(<json>)`, which Mesos's web UI relies on. */
export function jsonp(req: HttpRequest, res: HttpResponse): HttpResponse {
  const fn = req.query.get('jsonp');
  if (fn === null || res.status !== 200 || !/^[A-Za-z_$][\w$.]*$/.test(fn)) return res;
  return { status: 200, headers: { 'content-type': 'text/javascript' }, body: `${fn}(${JSON.stringify(res.body)});` };
}
