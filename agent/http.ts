// The agent's HTTP endpoints and their JSON in Mesos's legacy shapes — `/state` (what the web UI
// reads from `/slave(1)/state`: frameworks, executors with their directory and tasks), resources
// as flat objects, `/flags`, `/health`, `/files/*` over sandboxes, `/monitor/statistics` — plus
// `?jsonp=` wrapping. The JSON is built by pure functions of agent state.

import type { HttpHandler, HttpRequest, HttpResponse } from '../runtime/index.js';
import { BUILD, bytesToBase64, frameworkRoles, hasCapability, legacyResources, Resources, safeResources, taskJSON, type Acls, type Attribute, type TaskInfo } from '../protocol/index.js';
import { agentOperatorApi } from './operator-api.js';
import { attributeValue } from './options.js';
import type { ExecutorState, FrameworkState } from './state.js';
import { browse, download, filesQuery, read, type FileRoots, type FilesResult } from './files.js';
import type { Containerizer } from './containerizer/index.js';
import type { HostContainer } from './executor-hosts.js';
import { containersJson, containerStatistics, monitorStatisticsJson } from './monitor.js';

/** What the endpoints read, at the time of each request. */
export interface HttpSource {
  stateView(): StateView;
  readonly flags: Record<string, string>;
  readonly files: FileRoots;
  readonly frameworks: ReadonlyMap<string, FrameworkState>;
  readonly containerizer: Containerizer;
  /** The executor hosts' containers, beside the executors' in the statistics. */
  hostContainers(): HostContainer[];
  /** The runtime's metrics, as /metrics/snapshot serves them. */
  metrics(): Record<string, number>;
  /** The ACLs and the principal a request authenticated as, for the operator API's calls. */
  readonly acls: Acls;
  principalOf(req: HttpRequest): string | undefined;
}

/** The agent's routes, relative to its actor id (`/slave(1)/state`; `/state` through the runtime's delegate). */
export function agentRoutes(src: HttpSource): [string, HttpHandler][] {
  const state: HttpHandler = (req) => jsonResponse(req, stateJson(src.stateView()));
  const readFile: HttpHandler = async (req) => filesResponse(req, await read(src.files, filesQuery(req.query)));
  return [
    ['/state', state],
    ['/state.json', state],
    ['/flags', (req) => jsonResponse(req, { flags: src.flags })],
    ['/health', () => ({ status: 200, body: '' })],
    ['/files/browse', async (req) => filesResponse(req, await browse(src.files, filesQuery(req.query)))],
    ['/files/read', readFile],
    ['/files/read.json', readFile],
    ['/files/download', async (req) => filesResponse(req, await download(src.files, filesQuery(req.query)))],
    ['/monitor/statistics', async (req) => jsonResponse(req, monitorStatisticsJson(await containerStatistics(src.frameworks, src.containerizer, src.hostContainers())))],
    ['/monitor/statistics.json', async (req) => jsonResponse(req, monitorStatisticsJson(await containerStatistics(src.frameworks, src.containerizer, src.hostContainers())))],
    ['/containers', async (req) => jsonResponse(req, containersJson(await containerStatistics(src.frameworks, src.containerizer, src.hostContainers())))],
    ['/version', (req) => jsonResponse(req, versionJson(src.stateView().version))],
    ['/api/v1', agentOperatorApi(src)],
  ];
}

/** Mesos's `/version`: the release this agent speaks and its build. */
export function versionJson(version: string): Record<string, unknown> {
  return { version, ...BUILD };
}

export interface StateView {
  version: string;
  startTime: number;
  agentId: string | undefined;
  pid: string;
  hostname: string;
  port: number;
  resources: Resources;
  attributes: Attribute[];
  masterHostname: string | undefined;
  frameworks: Iterable<FrameworkState>;
  completedFrameworks: Iterable<FrameworkState>;
  flags: Record<string, string>;
}

function roleOf(r: Resources): string | undefined {
  const roles = r.reservationRoles();
  return roles.length === 1 ? roles[0] : undefined;
}

function queuedTaskJson(t: TaskInfo, e: ExecutorState): Record<string, unknown> {
  const resources = safeResources(t.resources);
  return {
    id: t.task_id.value,
    name: t.name,
    framework_id: e.frameworkId,
    executor_id: e.kind === 'command' ? '' : e.id,
    slave_id: t.agent_id.value,
    state: 'TASK_STAGING',
    resources: legacyResources(resources),
    statuses: [],
  };
}

export function executorJson(e: ExecutorState): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: e.id,
    name: e.info.name ?? '',
    source: e.info.source ?? '',
    container: e.containerId,
    directory: e.directory,
    resources: legacyResources(e.resources()),
    tasks: [...e.launchedTasks.values(), ...e.terminatedTasks.values()].map(taskJSON),
    queued_tasks: [...e.queuedTasks.values()].map((t) => queuedTaskJson(t, e)),
    completed_tasks: e.completedTasks.map(taskJSON),
  };
  if (e.info.type !== undefined) out['type'] = e.info.type;
  if (e.info.labels !== undefined) out['labels'] = e.info.labels.labels;
  const role = roleOf(e.resources());
  if (role !== undefined) out['role'] = role;
  return out;
}

export function frameworkJson(f: FrameworkState): Record<string, unknown> {
  const info = f.info;
  const out: Record<string, unknown> = {
    id: f.id,
    name: info.name,
    user: info.user,
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    hostname: info.hostname ?? '',
    capabilities: (info.capabilities ?? []).map((c) => c.type ?? 'UNKNOWN'),
    executors: [...f.executors.values()].map(executorJson),
    completed_executors: f.completedExecutors.map(executorJson),
  };
  if (hasCapability(info, 'MULTI_ROLE')) out['roles'] = frameworkRoles(info);
  else out['role'] = info.role ?? '*';
  if (info.principal !== undefined) out['principal'] = info.principal;
  if (info.webui_url !== undefined) out['webui_url'] = info.webui_url;
  return out;
}

export function stateJson(v: StateView): Record<string, unknown> {
  const reserved: Record<string, unknown> = {};
  for (const role of v.resources.reservationRoles()) reserved[role] = legacyResources(v.resources.reserved(role));
  // What the executors (and their tasks) hold, as Mesos's totalResourcesAllocated.
  const frameworks = [...v.frameworks];
  let allocated = Resources.EMPTY;
  for (const f of frameworks) for (const e of f.executors.values()) allocated = allocated.add(e.resources());
  allocated = allocated.unallocate();
  const out: Record<string, unknown> = {
    version: v.version,
    ...BUILD,
    start_time: v.startTime / 1000,
    id: v.agentId ?? '',
    pid: v.pid,
    hostname: v.hostname,
    port: v.port,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
    resources: legacyResources(v.resources),
    reserved_resources: reserved,
    unreserved_resources: legacyResources(v.resources.unreserved()),
    reserved_resources_full: Object.fromEntries(v.resources.reservationRoles().map((r) => [r, v.resources.reserved(r).toJSON()])),
    unreserved_resources_full: v.resources.unreserved().toJSON(),
    reserved_resources_allocated: Object.fromEntries(allocated.reservationRoles().map((r) => [r, legacyResources(allocated.reserved(r))])),
    unreserved_resources_allocated: legacyResources(allocated.unreserved()),
    attributes: Object.fromEntries(v.attributes.map((a) => [a.name, attributeValue(a)])),
    frameworks: frameworks.map(frameworkJson),
    completed_frameworks: [...v.completedFrameworks].map(frameworkJson),
    flags: v.flags,
    resource_providers: [],
  };
  if (v.masterHostname !== undefined) out['master_hostname'] = v.masterHostname;
  return out;
}

/** Mesos's legacy GETs take `?jsonp=NAME` (the web UI uses it for every request). */
export function jsonResponse(req: HttpRequest, body: unknown): HttpResponse {
  const callback = req.query.get('jsonp');
  if (callback === null) return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body, jsonReplacer) };
  if (!/^[A-Za-z_$][\w$.]*$/.test(callback)) return { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `Invalid jsonp callback '${callback}'` };
  return { status: 200, headers: { 'content-type': 'text/javascript' }, body: `${callback}(${JSON.stringify(body, jsonReplacer)});` };
}

/**
 * bytes fields are base64 in JSON, as Mesos prints them. The holder's own value is checked,
 * because a Buffer's toJSON runs before a replacer sees it.
 */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  return original instanceof Uint8Array ? bytesToBase64(original) : value;
}

export function filesResponse(req: HttpRequest, r: FilesResult): HttpResponse {
  if (r.status !== 200) return { status: r.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: r.message };
  if ('json' in r) return jsonResponse(req, r.json);
  return {
    status: 200,
    headers: {
      'content-type': r.contentType,
      'content-length': String(r.size),
      'content-disposition': `attachment; filename="${r.filename.replace(/"/g, '')}"`,
    },
    stream: r.stream,
  };
}
