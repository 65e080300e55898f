// The agent's operator API, `POST /api/v1` (Mesos's Slave::Http::api and agent.proto): one
// table of calls, answered from what the v0 endpoints read (http.ts's state view, monitor.ts's
// container statistics, files.ts for LIST_FILES and READ_FILE), mapped to v1 shapes. Calls
// Mesos's agent has that this one does not (nested containers, attach, resource providers,
// image pruning) answer 501 with a message; a type Mesos does not know is 400.

import type { HttpHandler, HttpResponse } from '../runtime/index.js';
import { answer, authorized, BUILD, decodeOperatorCall, durationMs, forbidden, loggingLevel, nanos, newTask, plainText, setLoggingLevel, subMessage, type OperatorCall, type Task } from '../protocol/index.js';
import { browse, readBytes, type FileInfo } from './files.js';
import type { HttpSource } from './http.js';
import { containerStatistics } from './monitor.js';
import type { ExecutorState, FrameworkState } from './state.js';

type Json = Record<string, unknown>;
type Call = (src: HttpSource, call: OperatorCall, principal: string | undefined) => HttpResponse | Promise<HttpResponse>;

const bad = (message: string): HttpResponse => plainText(400, message);
const notImplemented = (type: string, why: string): Call => () => plainText(501, `${type} is not implemented by this agent: ${why}`);

function frameworkInfo(f: FrameworkState): Json {
  return { framework_info: { ...f.info, id: { value: f.id } } };
}

function executorInfo(e: ExecutorState): Json {
  return { executor_info: { ...e.info, framework_id: { value: e.frameworkId } } };
}

function frameworks(src: HttpSource): FrameworkState[] {
  return [...src.frameworks.values()];
}

function getFrameworks(src: HttpSource): Json {
  return { frameworks: frameworks(src).map(frameworkInfo), completed_frameworks: [...src.stateView().completedFrameworks].map(frameworkInfo) };
}

function getExecutors(src: HttpSource): Json {
  const executors: Json[] = [];
  const completed: Json[] = [];
  for (const f of [...frameworks(src), ...src.stateView().completedFrameworks]) {
    for (const e of f.executors.values()) executors.push(executorInfo(e));
    for (const e of f.completedExecutors) completed.push(executorInfo(e));
  }
  return { executors, completed_executors: completed };
}

function getTasks(src: HttpSource): Json {
  const queued: Task[] = [];
  const launched: Task[] = [];
  const terminated: Task[] = [];
  const completed: Task[] = [];
  for (const f of [...frameworks(src), ...src.stateView().completedFrameworks]) {
    for (const e of [...f.executors.values(), ...f.completedExecutors]) {
      for (const t of e.queuedTasks.values()) queued.push(newTask(t, e.frameworkId, 'TASK_STAGING', e.kind === 'command' ? undefined : e.id));
      launched.push(...e.launchedTasks.values());
      terminated.push(...e.terminatedTasks.values());
      completed.push(...e.completedTasks);
    }
  }
  return { pending_tasks: [], queued_tasks: queued, launched_tasks: launched, terminated_tasks: terminated, completed_tasks: completed };
}

function getAgent(src: HttpSource): Json {
  const v = src.stateView();
  return {
    agent_info: {
      hostname: v.hostname,
      port: v.port,
      resources: v.resources.toJSON(),
      attributes: v.attributes,
      ...(v.agentId !== undefined ? { id: { value: v.agentId } } : {}),
    },
    resource_providers: [],
  };
}

async function getContainers(src: HttpSource): Promise<Json> {
  return {
    containers: (await containerStatistics(src.frameworks, src.containerizer, src.hostContainers())).map((c) => ({
      framework_id: { value: c.framework_id },
      executor_id: { value: c.executor_id },
      executor_name: c.executor_name,
      container_id: { value: c.container_id },
      container_status: { container_id: { value: c.container_id }, ...(c.pid !== undefined ? { executor_pid: c.pid } : {}) },
      resource_statistics: c.statistics,
    })),
  };
}

/** v0's `mode` ("drwxr-xr-x") back to st_mode bits, as v1's FileInfo carries them. */
function modeBits(mode: string): number {
  const type = mode[0] === 'd' ? 0o040000 : mode[0] === 'l' ? 0o120000 : 0o100000;
  let bits = 0;
  for (let i = 1; i < 10; i++) if (mode[i] !== '-' && mode[i] !== undefined) bits |= 1 << (9 - i);
  return type | bits;
}

async function listFiles(src: HttpSource, call: OperatorCall): Promise<HttpResponse> {
  const path = subMessage(call)['path'];
  if (typeof path !== 'string') return bad("Expecting 'list_files.path' to be present");
  const r = await browse(src.files, { path });
  if (r.status !== 200) return plainText(r.status, r.message);
  const infos = (r as { json: FileInfo[] }).json;
  return answer(call, 'LIST_FILES', { file_infos: infos.map((f) => ({ path: f.path, nlink: f.nlink, size: f.size, mtime: nanos(f.mtime * 1000), mode: modeBits(f.mode), uid: f.uid, gid: f.gid })) });
}

async function readFile(src: HttpSource, call: OperatorCall): Promise<HttpResponse> {
  const sub = subMessage(call);
  const path = sub['path'];
  if (typeof path !== 'string') return bad("Expecting 'read_file.path' to be present");
  if (sub['offset'] === undefined) return bad("Expecting 'read_file.offset' to be present");
  const r = await readBytes(src.files, { path, offset: String(sub['offset']), ...(sub['length'] !== undefined ? { length: String(sub['length']) } : {}) });
  if (r.status !== 200) return plainText(r.status, r.message);
  return answer(call, 'READ_FILE', { size: r.size, data: r.data ?? Buffer.alloc(0) });
}

const NESTED = 'nested and standalone containers do not exist here yet';
const PROVIDERS = 'resource providers do not exist here yet';

const CALLS: Readonly<Record<string, Call>> = {
  GET_HEALTH: (_src, call) => answer(call, 'GET_HEALTH', { healthy: true }),
  GET_FLAGS: (src, call, p) => {
    if (!authorized(src.acls, 'get_endpoints', p, '/flags')) return forbidden(`principal '${p ?? ''}' may not GET /flags`);
    return answer(call, 'GET_FLAGS', { flags: Object.entries(src.flags).map(([name, value]) => ({ name, value })) });
  },
  GET_VERSION: (src, call) => answer(call, 'GET_VERSION', { version_info: { version: src.stateView().version, ...BUILD } }),
  GET_METRICS: (src, call) => {
    const timeout = subMessage(call)['timeout'];
    if (timeout !== undefined && durationMs(timeout) === undefined) return bad("Expecting 'get_metrics.timeout' to be a duration: {\"nanoseconds\": …}");
    return answer(call, 'GET_METRICS', { metrics: Object.entries(src.metrics()).map(([name, value]) => ({ name, value })) });
  },
  GET_LOGGING_LEVEL: (_src, call) => loggingLevel(call),
  SET_LOGGING_LEVEL: (_src, call) => setLoggingLevel(call),
  LIST_FILES: (src, call) => listFiles(src, call),
  READ_FILE: (src, call) => readFile(src, call),
  GET_STATE: (src, call) => answer(call, 'GET_STATE', { get_tasks: getTasks(src), get_executors: getExecutors(src), get_frameworks: getFrameworks(src) }),
  GET_CONTAINERS: async (src, call) => answer(call, 'GET_CONTAINERS', await getContainers(src)),
  GET_FRAMEWORKS: (src, call) => answer(call, 'GET_FRAMEWORKS', getFrameworks(src)),
  GET_EXECUTORS: (src, call) => answer(call, 'GET_EXECUTORS', getExecutors(src)),
  GET_TASKS: (src, call) => answer(call, 'GET_TASKS', getTasks(src)),
  GET_AGENT: (src, call) => answer(call, 'GET_AGENT', getAgent(src)),
  GET_OPERATIONS: notImplemented('GET_OPERATIONS', 'offer operation feedback does not exist here yet'),
  GET_RESOURCE_PROVIDERS: notImplemented('GET_RESOURCE_PROVIDERS', PROVIDERS),
  ADD_RESOURCE_PROVIDER_CONFIG: notImplemented('ADD_RESOURCE_PROVIDER_CONFIG', PROVIDERS),
  UPDATE_RESOURCE_PROVIDER_CONFIG: notImplemented('UPDATE_RESOURCE_PROVIDER_CONFIG', PROVIDERS),
  REMOVE_RESOURCE_PROVIDER_CONFIG: notImplemented('REMOVE_RESOURCE_PROVIDER_CONFIG', PROVIDERS),
  MARK_RESOURCE_PROVIDER_GONE: notImplemented('MARK_RESOURCE_PROVIDER_GONE', PROVIDERS),
  PRUNE_IMAGES: notImplemented('PRUNE_IMAGES', 'container images do not exist here'),
  LAUNCH_NESTED_CONTAINER: notImplemented('LAUNCH_NESTED_CONTAINER', NESTED),
  WAIT_NESTED_CONTAINER: notImplemented('WAIT_NESTED_CONTAINER', NESTED),
  KILL_NESTED_CONTAINER: notImplemented('KILL_NESTED_CONTAINER', NESTED),
  REMOVE_NESTED_CONTAINER: notImplemented('REMOVE_NESTED_CONTAINER', NESTED),
  LAUNCH_NESTED_CONTAINER_SESSION: notImplemented('LAUNCH_NESTED_CONTAINER_SESSION', NESTED),
  ATTACH_CONTAINER_INPUT: notImplemented('ATTACH_CONTAINER_INPUT', NESTED),
  ATTACH_CONTAINER_OUTPUT: notImplemented('ATTACH_CONTAINER_OUTPUT', NESTED),
  LAUNCH_CONTAINER: notImplemented('LAUNCH_CONTAINER', NESTED),
  WAIT_CONTAINER: notImplemented('WAIT_CONTAINER', NESTED),
  KILL_CONTAINER: notImplemented('KILL_CONTAINER', NESTED),
  REMOVE_CONTAINER: notImplemented('REMOVE_CONTAINER', NESTED),
};

const TYPES: ReadonlySet<string> = new Set(Object.keys(CALLS));

/** `/api/v1` on the agent (`/slave(1)/api/v1`); authentication is the route guard's, as for every agent endpoint. */
export function agentOperatorApi(src: HttpSource): HttpHandler {
  return (req) => {
    const call = decodeOperatorCall(req, 'agent', TYPES);
    if ('status' in call) return call;
    return CALLS[call.type]!(src, call, src.principalOf(req));
  };
}
