// Quota and weights, as an operator sets them over HTTP (Mesos's v0 /quota and /weights):
// requests are parsed and validated into a ValidationError or a change, and a change is applied
// to the state and the allocator, rescinding offers so the next allocation follows it, and
// recorded in the registry, so a restarted or newly elected master has them as they were.
// Quota: only top-level roles, one POST per role until it is removed; the limit equals the
// guarantee unless the request gives one.

import { badRequest, json, ValidationError, type HttpRequest, type HttpResponse } from '../runtime/index.js';
import { checkRole, Resources, type Resource } from '../protocol/index.js';
import { forbidden } from '../protocol/index.js';
import { authorized } from '../protocol/index.js';
import { toAllocator, type MasterContext } from './context.js';
import { jsonp, methodNotAllowed, quotaRoleRoute } from './http.js';
import { rescindAllOffers } from './offers.js';
import { quotaStatus } from './operator-views.js';
import type { RegistryOperation, RegistryState } from './registry.js';
import type { QuotaRecord } from './state.js';

/** GET, POST and DELETE /quota, and DELETE /quota/<role>. */
export function quotaEndpoint(ctx: MasterContext, req: HttpRequest, pathRole: string | undefined, principal?: string): HttpResponse | Promise<HttpResponse> {
  if (req.method === 'GET' && pathRole === undefined) {
    return jsonp(req, json(quotaStatus(ctx.state)));
  }
  if (req.method === 'POST' && pathRole === undefined) {
    const quota = parseQuotaRequest(ctx, req);
    if (quota instanceof ValidationError) return badRequest(quota.message);
    if (!authorized(ctx.opts.acls, 'update_quotas', principal, quota.role)) return forbidden(`principal '${principal ?? ''}' may not set quota for role '${quota.role}'`);
    return setQuota(ctx, quota).then(() => ({ status: 200, body: '' }));
  }
  if (req.method === 'DELETE') {
    const role = pathRole ?? req.query.get('role') ?? '';
    if (role === '') return badRequest('DELETE /quota needs a role: DELETE /quota/<role>');
    if (!ctx.state.quotas.has(role)) return badRequest(`There is no quota for role '${role}'`);
    if (!authorized(ctx.opts.acls, 'update_quotas', principal, role)) return forbidden(`principal '${principal ?? ''}' may not remove quota of role '${role}'`);
    return removeQuota(ctx, role).then(() => ({ status: 200, body: '' }));
  }
  return methodNotAllowed(req, pathRole === undefined ? 'GET, POST, DELETE' : 'DELETE');
}

/** GET, PUT (and POST) /weights. */
export function weightsEndpoint(ctx: MasterContext, req: HttpRequest, principal?: string): HttpResponse | Promise<HttpResponse> {
  if (req.method === 'GET') return jsonp(req, json(Object.entries(ctx.state.weights).map(([role, weight]) => ({ role, weight }))));
  if (req.method !== 'PUT' && req.method !== 'POST') return methodNotAllowed(req, 'GET, PUT');
  const updates = parseWeightsRequest(ctx, req);
  if (updates instanceof ValidationError) return badRequest(updates.message);
  for (const role of Object.keys(updates)) {
    if (!authorized(ctx.opts.acls, 'update_weights', principal, role)) return forbidden(`principal '${principal ?? ''}' may not update the weight of role '${role}'`);
  }
  return updateWeights(ctx, updates).then(() => ({ status: 200, body: '' }));
}

/** A POST /quota body, checked against the roles this master allows and what the cluster has. */
export function parseQuotaRequest(ctx: MasterContext, req: HttpRequest): QuotaRecord | ValidationError {
  const body = parseJsonBody(req, 'quota');
  if (body instanceof ValidationError) return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return new ValidationError("Quota request must be a JSON object with 'role' and 'guarantee'");
  const { role, guarantee, limit, force } = body as { role?: unknown; guarantee?: unknown; limit?: unknown; force?: unknown };
  if (typeof role !== 'string') return new ValidationError("Quota request needs a 'role' string");
  const roleProblem = quotaRoleProblem(ctx, role);
  if (roleProblem !== undefined) return new ValidationError(roleProblem);
  if (ctx.state.quotas.has(role)) return new ValidationError(`Quota for role '${role}' is already set; remove it first`);
  const resources = quotaResources('guarantee', guarantee);
  if (resources instanceof ValidationError) return resources;
  // Beyond Mesos's v0 call (which sets the limit equal to the guarantee): an optional 'limit',
  // as v1 UPDATE_QUOTA has; names it leaves out are unlimited.
  const limits = limit === undefined ? resources : quotaResources('limit', limit);
  if (limits instanceof ValidationError) return limits;
  for (const name of resources.names()) {
    if (limits.names().includes(name) && resources.scalar(name) > limits.scalar(name)) {
      return new ValidationError(`Quota guarantee '${name}' (${resources.scalar(name)}) is above its limit (${limits.scalar(name)})`);
    }
  }
  if (force !== true) {
    const short = capacityProblem(ctx, role, resources);
    if (short !== undefined) return new ValidationError(short);
  }
  return { role, guarantee: resources, limit: limits };
}

/**
 * v1 UPDATE_QUOTA's `quota_configs` (Mesos 1.11's QuotaConfig: `guarantees` and `limits` as
 * maps of name to `{value}`), each checked as a v0 request is. A config with neither removes
 * the role's quota; a role that has one gets the new one in its place.
 */
export function parseQuotaConfigs(ctx: MasterContext, configs: unknown, force: boolean): QuotaRecord[] | ValidationError {
  if (!Array.isArray(configs)) return new ValidationError("UPDATE_QUOTA needs 'quota_configs': an array of {role, guarantees, limits}");
  const out: QuotaRecord[] = [];
  const seen = new Set<string>();
  for (const c of configs as { role?: unknown; guarantees?: unknown; limits?: unknown }[]) {
    if (typeof c !== 'object' || c === null || typeof c.role !== 'string') return new ValidationError("Each quota config needs a 'role' string");
    const role = c.role;
    const problem = quotaRoleProblem(ctx, role);
    if (problem !== undefined) return new ValidationError(problem);
    if (seen.has(role)) return new ValidationError(`Role '${role}' has more than one quota config`);
    seen.add(role);
    const guarantee = scalarMapResources('guarantees', c.guarantees);
    if (guarantee instanceof ValidationError) return guarantee;
    const limit = scalarMapResources('limits', c.limits);
    if (limit instanceof ValidationError) return limit;
    for (const name of guarantee.names()) {
      if (limit.names().includes(name) && guarantee.scalar(name) > limit.scalar(name)) {
        return new ValidationError(`Role '${role}': guarantee '${name}' (${guarantee.scalar(name)}) is above its limit (${limit.scalar(name)})`);
      }
    }
    if (!force) {
      const short = capacityProblem(ctx, role, guarantee);
      if (short !== undefined) return new ValidationError(short);
    }
    out.push({ role, guarantee, limit });
  }
  return out;
}

/** Applies checked configs: set (replacing what a role had), or removed when a config is empty. */
/** Resolves once every config is stored and applied, in order. */
export function applyQuotaConfigs(ctx: MasterContext, configs: readonly QuotaRecord[]): Promise<void> {
  const done: Promise<void>[] = [];
  for (const q of configs) {
    if (ctx.state.quotas.has(q.role)) done.push(removeQuota(ctx, q.role));
    if (!q.guarantee.isEmpty() || !q.limit.isEmpty()) done.push(setQuota(ctx, q));
  }
  return Promise.all(done).then(() => undefined);
}

function quotaRoleProblem(ctx: MasterContext, role: string): string | undefined {
  const roleProblem = checkRole(role);
  if (roleProblem !== undefined) return `Role '${role}' is invalid: ${roleProblem}`;
  if (role === '*') return "Quota cannot be set for the default role '*'";
  if (role.includes('/')) return `Quota can only be set for top-level roles, not '${role}'`;
  if (ctx.opts.roles !== undefined && !ctx.opts.roles.has(role)) return `Role '${role}' is not one of the roles this master allows (--roles)`;
  return undefined;
}

/** Mesos's capacity heuristic: the cluster must be able to satisfy a guarantee, unless forced. */
function capacityProblem(ctx: MasterContext, role: string, guarantee: Resources): string | undefined {
  let total = Resources.EMPTY;
  for (const a of ctx.state.agents.values()) total = total.add(a.total.unreserved());
  for (const name of guarantee.names()) {
    if (guarantee.scalar(name) > total.scalar(name)) {
      return `Not enough resources in the cluster for quota of role '${role}': ${name} ${guarantee.scalar(name)} requested, ${total.scalar(name)} in total (use "force": true to set it anyway)`;
    }
  }
  return undefined;
}

function scalarMapResources(field: string, value: unknown): Resources | ValidationError {
  if (value === undefined || value === null) return Resources.EMPTY;
  if (typeof value !== 'object' || Array.isArray(value)) return new ValidationError(`Quota '${field}' must be an object of name to {"value": number}`);
  const list: Resource[] = [];
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const n = typeof v === 'object' && v !== null ? Number((v as { value?: unknown }).value) : NaN;
    if (!Number.isFinite(n) || n < 0) return new ValidationError(`Quota ${field} '${name}' must be {"value": a non-negative number}`);
    list.push({ name, type: 'SCALAR', scalar: { value: n } });
  }
  try {
    return Resources.fromJSON(list);
  } catch (e) {
    return new ValidationError(`Quota ${field} are invalid: ${(e as Error).message}`, { cause: e });
  }
}

/** Resolves once the registry has stored `op` and `apply` has run (Mesos's registrar, then _updateQuota/_updateWeights). */
function stored(ctx: MasterContext, op: RegistryOperation, apply: () => void): Promise<void> {
  return new Promise((resolve) => ctx.store(op, () => {
    apply();
    resolve();
  }));
}

export function setQuota(ctx: MasterContext, quota: QuotaRecord): Promise<void> {
  const { role, guarantee, limit } = quota;
  return stored(ctx, { type: 'updateQuota', role, quota: { role, guarantee: guarantee.toJSON(), limit: limit.toJSON() } }, () => applyQuota(ctx, quota));
}

function applyQuota(ctx: MasterContext, quota: QuotaRecord): void {
  const { role, guarantee, limit } = quota;
  ctx.state.quotas.set(role, quota);
  toAllocator(ctx, { name: 'AllocatorUpdateQuota', role, quota: { guarantees: guarantee.quantities(), limits: limit.quantities() } });
  quotaRoleRoute(ctx, role);
  // Mesos rescinds offers so the new guarantee can be met at the next allocation; this
  // master simply rescinds all of them (simpler, and quota changes are rare).
  rescindAllOffers(ctx);
  ctx.log.info({ role, guarantee: guarantee.toString() }, 'quota set');
}

export function removeQuota(ctx: MasterContext, role: string): Promise<void> {
  return stored(ctx, { type: 'updateQuota', role }, () => applyQuotaRemoval(ctx, role));
}

function applyQuotaRemoval(ctx: MasterContext, role: string): void {
  ctx.state.quotas.delete(role);
  toAllocator(ctx, { name: 'AllocatorUpdateQuota', role });
  ctx.log.info({ role }, 'quota removed');
}

/** A PUT /weights body: a JSON array of {role, weight}, each role valid and allowed, each weight positive. */
export function parseWeightsRequest(ctx: MasterContext, req: HttpRequest): Record<string, number> | ValidationError {
  const body = parseJsonBody(req, 'weights');
  if (body instanceof ValidationError) return body;
  return validateWeights(ctx, body);
}

/** `[{role, weight}]` (v0's body, v1's `update_weights.weight_infos`), each role valid and allowed, each weight positive. */
export function validateWeights(ctx: MasterContext, body: unknown): Record<string, number> | ValidationError {
  if (!Array.isArray(body)) return new ValidationError('Weights request must be a JSON array of {"role": …, "weight": …}');
  const updates: Record<string, number> = {};
  for (const w of body as { role?: unknown; weight?: unknown }[]) {
    if (typeof w !== 'object' || w === null || typeof w.role !== 'string') return new ValidationError("Each weight needs a 'role' string");
    const problem = checkRole(w.role);
    if (problem !== undefined) return new ValidationError(`Role '${w.role}' is invalid: ${problem}`);
    if (ctx.opts.roles !== undefined && w.role !== '*' && !ctx.opts.roles.has(w.role)) return new ValidationError(`Role '${w.role}' is not one of the roles this master allows (--roles)`);
    if (typeof w.weight !== 'number' || !(w.weight > 0) || !Number.isFinite(w.weight)) return new ValidationError(`Weight for role '${w.role}' must be a positive number`);
    updates[w.role] = w.weight;
  }
  return updates;
}

export function updateWeights(ctx: MasterContext, updates: Record<string, number>): Promise<void> {
  return stored(ctx, { type: 'updateWeights', weights: updates }, () => applyWeights(ctx, updates));
}

function applyWeights(ctx: MasterContext, updates: Record<string, number>): void {
  Object.assign(ctx.state.weights, updates);
  toAllocator(ctx, { name: 'AllocatorUpdateWeights', weights: updates });
  // Mesos rescinds every outstanding offer when a role with frameworks changes weight, so
  // the next allocation divides the cluster by the new weights.
  const touched = [...ctx.state.frameworks.values()].some((f) => f.roles.some((r) => r in updates));
  if (touched) rescindAllOffers(ctx);
  ctx.log.info({ weights: updates }, 'weights updated');
}

/**
 * After a restart or failover: the weights and quota the registry holds, back in the state and
 * the allocator. Weights in the registry win over `--weights`, as in Mesos (whose flag only
 * seeds a registry that has none).
 */
export function recoverRoles(ctx: MasterContext, state: RegistryState): void {
  if (state.weights.length > 0) {
    const weights = Object.fromEntries(state.weights.map((w) => [w.role, w.weight]));
    if (Object.keys(ctx.opts.weights).length > 0) ctx.log.warn('ignoring --weights: the registry holds weights set since');
    ctx.state.weights = { ...weights };
    toAllocator(ctx, { name: 'AllocatorUpdateWeights', weights });
  }
  for (const q of state.quotas) {
    let quota: QuotaRecord;
    try {
      quota = { role: q.role, guarantee: Resources.fromJSON(q.guarantee), limit: Resources.fromJSON(q.limit) };
    } catch (e) {
      ctx.log.warn({ role: q.role, error: (e as Error).message }, 'dropping an unreadable quota from the registry');
      continue;
    }
    ctx.state.quotas.set(q.role, quota);
    toAllocator(ctx, { name: 'AllocatorUpdateQuota', role: q.role, quota: { guarantees: quota.guarantee.quantities(), limits: quota.limit.quantities() } });
    quotaRoleRoute(ctx, q.role);
  }
}

function parseJsonBody(req: HttpRequest, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(req.body).toString('utf8'));
  } catch (e) {
    return new ValidationError(`Failed to parse the ${what} request: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** A quota's `guarantee` or `limit`: unreserved scalar resources, each name once. */
function quotaResources(field: string, value: unknown): Resources | ValidationError {
  if (!Array.isArray(value)) return new ValidationError(`Quota request needs '${field}': an array of scalar resources`);
  const seen = new Set<string>();
  for (const r of value as { name?: unknown; type?: unknown; reservations?: unknown; role?: unknown }[]) {
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string') return new ValidationError(`Each ${field} must be a resource object with a name`);
    if (r.type !== 'SCALAR') return new ValidationError(`Quota ${field} '${r.name}' must be a SCALAR resource`);
    if (r.reservations !== undefined || (r.role !== undefined && r.role !== '*')) return new ValidationError(`Quota ${field} '${r.name}' must not be reserved`);
    if (seen.has(r.name)) return new ValidationError(`Quota ${field} '${r.name}' is listed more than once`);
    seen.add(r.name);
  }
  try {
    return Resources.fromJSON(value as Resource[]);
  } catch (e) {
    return new ValidationError(`Quota ${field} is invalid: ${(e as Error).message}`, { cause: e });
  }
}
