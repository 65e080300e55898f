// The operator API (`POST /api/v1`) and the v0 endpoints as Mesos writes them, against a real
// master and two agents: every master and agent call answers, the SUBSCRIBE stream (RecordIO)
// sees a framework arrive, its task run and finish, and an agent marked gone with its task
// TASK_GONE_BY_OPERATOR; bad requests get Mesos's status codes. Mesos's counterparts:
// master_http_api_tests.cpp (GetAgents, GetFrameworks, GetState, Subscribe, MarkAgentGone,
// UpdateWeights, UpdateQuota…), agent_http_api_tests.cpp, master_quota_tests.cpp,
// reservation_endpoints_tests.cpp, metrics_tests (jsonp, timeout).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, encodeMessage, RecordIODecoder, Resources, type TaskStatus } from '../../protocol/index.js';
import { commandTask, E2ECluster, getJson, RecordingScheduler, waitUntil, type AgentProcess } from '../fixtures/e2e-cluster.js';

type Json = Record<string, any>;

const DISCOVERY = { visibility: 'FRAMEWORK' as const, name: 'quick-svc', ports: { ports: [{ number: 8080, name: 'http', protocol: 'tcp' }] } };

async function call(address: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: Json | undefined; type: string | null }> {
  const res = await fetch(`http://${address}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type') };
}

/** A SUBSCRIBE stream read as RecordIO, its events kept in order. */
class Subscription {
  readonly events: Json[] = [];
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  contentType: string | null = null;

  static async open(address: string): Promise<Subscription> {
    const s = new Subscription();
    const res = await fetch(`http://${address}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'SUBSCRIBE' }), signal: s.abort.signal });
    assert.equal(res.status, 200);
    s.contentType = res.headers.get('content-type');
    const decoder = new RecordIODecoder();
    void (async () => {
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          for (const record of decoder.decode(chunk)) s.events.push(JSON.parse(record.toString('utf8')) as Json);
          s.wake?.();
        }
      } catch {
        // aborted at the end of the test
      }
    })();
    return s;
  }

  async next(pred: (e: Json) => boolean, what: string, timeoutMs = 20_000): Promise<Json> {
    return waitUntil(what, () => this.events.find(pred), timeoutMs, 20);
  }

  close(): void {
    this.abort.abort();
  }
}

describe('the operator API and the v0 endpoints', () => {
  let c: E2ECluster;
  let m = '';
  let sub: Subscription;
  let fw: RecordingScheduler;
  let a0: AgentProcess;
  let a1: AgentProcess;

  before(async () => {
    c = await E2ECluster.start({ agents: ['cpus:2;mem:512;disk:64', 'cpus:2;mem:512;disk:64'] });
    m = c.master.address;
    [a0, a1] = c.agents as [AgentProcess, AgentProcess];
    sub = await Subscription.open(m);
    fw = new RecordingScheduler(m, { name: 'operator-api', capabilities: [{ type: 'PARTITION_AWARE' }] });
    await fw.start();
  });

  after(async () => {
    sub?.close();
    await fw?.stop().catch(() => undefined);
    await c?.stop();
  });

  it('SUBSCRIBE streams SUBSCRIBED with the state, a HEARTBEAT, FRAMEWORK_ADDED and a task from TASK_ADDED to TASK_FINISHED', async () => {
    assert.equal(sub.contentType, 'application/json');
    assert.equal(sub.events[0]?.type, 'SUBSCRIBED');
    assert.equal(sub.events[0]?.subscribed.heartbeat_interval_seconds, 15);
    assert.equal(sub.events[0]?.subscribed.get_state.get_agents.agents.length, 2);
    assert.equal(sub.events[1]?.type, 'HEARTBEAT');
    const added = await sub.next((e) => e.type === 'FRAMEWORK_ADDED', 'FRAMEWORK_ADDED');
    assert.equal(added.framework_added.framework.framework_info.id.value, fw.frameworkId);
    await fw.launch((offer) => [{ ...commandTask('quick', offer, 'echo hi'), discovery: DISCOVERY }], { agentId: a0.id });
    const taskAdded = await sub.next((e) => e.type === 'TASK_ADDED' && e.task_added.task.task_id.value === 'quick', 'TASK_ADDED');
    assert.equal(taskAdded.task_added.task.state, 'TASK_STAGING');
    const finished = await sub.next((e) => e.type === 'TASK_UPDATED' && e.task_updated.state === 'TASK_FINISHED', 'TASK_UPDATED to TASK_FINISHED');
    assert.equal(finished.task_updated.framework_id.value, fw.frameworkId);
    assert.equal(finished.task_updated.status.task_id.value, 'quick');
    // Earlier TASK_UPDATEDs depend on timing: an update that arrives with a terminal latest_state
    // moves the task straight to it, as Mesos's master does.
  });

  it('answers every master call from the same state as /state', async () => {
    const expected: Record<string, (r: Json) => void> = {
      GET_HEALTH: (r) => assert.equal(r.get_health.healthy, true),
      GET_FLAGS: (r) => assert.ok(r.get_flags.flags.some((f: Json) => f.name === 'port')),
      GET_VERSION: (r) => {
        assert.equal(r.get_version.version_info.version, '1.11.0');
        assert.ok(r.get_version.version_info.build_time > 0);
      },
      GET_METRICS: (r) => assert.ok(r.get_metrics.metrics.some((x: Json) => x.name === 'master/slaves_active' && x.value === 2)),
      GET_LOGGING_LEVEL: (r) => assert.equal(typeof r.get_logging_level.level, 'number'),
      GET_STATE: (r) => assert.equal(r.get_state.get_frameworks.frameworks[0].framework_info.id.value, fw.frameworkId),
      GET_AGENTS: (r) => assert.deepEqual(r.get_agents.agents.map((x: Json) => x.agent_info.id.value).sort(), [a0.id, a1.id].sort()),
      GET_FRAMEWORKS: (r) => assert.equal(r.get_frameworks.frameworks.length, 1),
      GET_EXECUTORS: (r) => assert.ok(Array.isArray(r.get_executors.executors)),
      GET_TASKS: (r) => assert.ok([...r.get_tasks.tasks, ...r.get_tasks.completed_tasks].some((t: Json) => t.task_id.value === 'quick')),
      GET_ROLES: (r) => assert.ok(r.get_roles.roles.some((x: Json) => x.name === '*')),
      GET_WEIGHTS: (r) => assert.ok(Array.isArray(r.get_weights.weight_infos)),
      GET_MASTER: (r) => {
        assert.equal(r.get_master.master_info.port, Number(m.split(':')[1]));
        assert.deepEqual(r.get_master.master_info.capabilities, [{ type: 'QUOTA_V2' }]);
      },
      GET_QUOTA: (r) => assert.ok(Array.isArray(r.get_quota.status.configs ?? [])),
    };
    const state = await c.masterState();
    // The task's DiscoveryInfo is kept, in /state (v0) and GET_TASKS (v1) alike.
    const legacyTask = [...state.frameworks[0]!.tasks, ...state.frameworks[0]!.completed_tasks].find((t) => t.id === 'quick') as unknown as Json;
    assert.deepEqual(legacyTask.discovery, DISCOVERY);
    const v1Tasks = (await call(m, { type: 'GET_TASKS' })).json!.get_tasks;
    assert.deepEqual([...v1Tasks.tasks, ...v1Tasks.completed_tasks].find((t: Json) => t.task_id.value === 'quick').discovery, DISCOVERY);
    for (const [type, check] of Object.entries(expected)) {
      const r = await call(m, { type });
      assert.equal(r.status, 200, `${type}: ${r.text}`);
      assert.equal(r.type, 'application/json');
      assert.equal(r.json?.type, type);
      check(r.json!);
    }
    const agents = (await call(m, { type: 'GET_AGENTS' })).json!.get_agents.agents as Json[];
    for (const a of agents) {
      const legacy = state.slaves.find((s) => s.id === a.agent_info.id.value)!;
      assert.deepEqual(Resources.fromJSON(a.total_resources).quantities(), Object.fromEntries(Object.entries(legacy.resources).filter(([k, v]) => typeof v === 'number' && v > 0)));
    }
  });

  it('answers every agent call', async () => {
    const types = ['GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_METRICS', 'GET_LOGGING_LEVEL', 'GET_STATE', 'GET_CONTAINERS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_TASKS', 'GET_AGENT'];
    for (const type of types) {
      const r = await call(a0.address, { type });
      assert.equal(r.status, 200, `${type}: ${r.text}`);
      assert.equal(r.json?.type, type);
    }
    const agent = (await call(a0.address, { type: 'GET_AGENT' })).json!;
    assert.equal(agent.get_agent.agent_info.id.value, a0.id);
    const tasks = (await call(a0.address, { type: 'GET_TASKS' })).json!.get_tasks;
    const quick = [...tasks.completed_tasks, ...tasks.terminated_tasks, ...tasks.launched_tasks].find((t: Json) => t.task_id.value === 'quick');
    assert.ok(quick, JSON.stringify(tasks));
    // The sandbox, through LIST_FILES and READ_FILE (the /files code).
    const state = await c.agentState(a0);
    const dir = [...state.frameworks, ...state.completed_frameworks].flatMap((f: any) => [...f.executors, ...f.completed_executors]).find((e: any) => e.id === 'quick')?.directory as string;
    const list = await call(a0.address, { type: 'LIST_FILES', list_files: { path: dir } });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json!.list_files.file_infos.some((f: Json) => f.path.endsWith('/stdout')));
    const read = await waitUntil('stdout to hold the output', async () => {
      const r = await call(a0.address, { type: 'READ_FILE', read_file: { path: `${dir}/stdout`, offset: 0 } });
      return r.status === 200 && Buffer.from(r.json!.read_file.data, 'base64').toString().includes('hi') ? r : undefined;
    });
    assert.ok(read.json!.read_file.size > 0);
    const gone = await call(a0.address, { type: 'READ_FILE', read_file: { path: '/nowhere', offset: 0 } });
    assert.equal(gone.status, 404);
  });

  it('speaks protobuf: calls, answers and a SUBSCRIBE stream in application/x-protobuf', async () => {
    const protobuf = { 'content-type': 'application/x-protobuf', accept: 'application/x-protobuf' };
    const post = async (address: string, side: 'master' | 'agent', body: Json): Promise<Json> => {
      const res = await fetch(`http://${address}/api/v1`, { method: 'POST', headers: protobuf, body: encodeMessage(`${side}.Call`, 'protobuf', body) });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
      const decoded = decodeMessage<Json>(`${side}.Response`, 'protobuf', new Uint8Array(await res.arrayBuffer()));
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
      return decoded.value;
    };
    assert.deepEqual(await post(m, 'master', { type: 'GET_HEALTH' }), { type: 'GET_HEALTH', get_health: { healthy: true } });
    const state = await post(m, 'master', { type: 'GET_STATE' });
    assert.equal(state.get_state.get_frameworks.frameworks[0].framework_info.id.value, fw.frameworkId);
    assert.ok(state.get_state.get_agents.agents.every((a: Json) => a.total_resources.length > 0));
    const tasks = await post(m, 'master', { type: 'GET_TASKS' });
    assert.ok([...(tasks.get_tasks.tasks ?? []), ...(tasks.get_tasks.completed_tasks ?? [])].some((t: Json) => t.task_id.value === 'quick' && t.statuses.length > 0));
    const read = await post(m, 'master', { type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 1e9 } } });
    assert.ok(read.get_metrics.metrics.length > 10);
    const agentTasks = await post(a0.address, 'agent', { type: 'GET_TASKS' });
    assert.ok(Object.values(agentTasks.get_tasks).flat().some((t: any) => t.task_id.value === 'quick'));
    assert.equal((await post(a0.address, 'agent', { type: 'GET_AGENT' })).get_agent.agent_info.id.value, a0.id);
    // SUBSCRIBE in protobuf: RecordIO records of master.Event.
    const abort = new AbortController();
    const res = await fetch(`http://${m}/api/v1`, { method: 'POST', headers: protobuf, body: encodeMessage('master.Call', 'protobuf', { type: 'SUBSCRIBE' }), signal: abort.signal });
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    const decoder = new RecordIODecoder();
    const events: Json[] = [];
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    while (events.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const r of decoder.decode(value)) {
        const e = decodeMessage<Json>('master.Event', 'protobuf', r);
        assert.ok(e.ok);
        events.push(e.value);
      }
    }
    abort.abort();
    assert.deepEqual(events.map((e) => e.type), ['SUBSCRIBED', 'HEARTBEAT']);
    assert.equal(events[0]!.subscribed.heartbeat_interval_seconds, 15);
    assert.equal(events[0]!.subscribed.get_state.get_agents.agents.length, 2);
    // A protobuf body that is not a Call is refused with a message.
    const garbage = await fetch(`http://${m}/api/v1`, { method: 'POST', headers: protobuf, body: new Uint8Array([0xff, 0xff, 0xff, 0xff]) });
    assert.equal(garbage.status, 400);
    assert.match(await garbage.text(), /protobuf/);
  });

  it('answers bad requests as Mesos does', async () => {
    const get = await fetch(`http://${m}/api/v1`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await call(m, '{"type": "GET_HEALTH"', {})).status, 400, 'malformed JSON');
    assert.equal((await call(m, { type: 'NO_SUCH_CALL' })).status, 400, 'unknown call type');
    assert.equal((await call(m, {})).status, 400, 'no type');
    assert.equal((await call(m, { type: 'GET_HEALTH' }, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await call(m, { type: 'GET_HEALTH' }, { accept: 'text/html' })).status, 406);
    const maintenance = await call(m, { type: 'GET_MAINTENANCE_SCHEDULE' });
    assert.equal(maintenance.status, 501);
    assert.match(maintenance.text, /maintenance/);
    const huge = await call(m, JSON.stringify({ type: 'GET_HEALTH', pad: 'x'.repeat(9 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
    assert.equal((await call(a0.address, { type: 'LAUNCH_NESTED_CONTAINER' })).status, 501);
    assert.equal((await call(a0.address, { type: 'BOGUS' })).status, 400);
    // The master still answers.
    assert.equal((await call(m, { type: 'GET_HEALTH' })).status, 200);
  });

  it('UPDATE_WEIGHTS and UPDATE_QUOTA change what GET_WEIGHTS, GET_QUOTA, /weights, /quota and /roles show', async () => {
    assert.equal((await call(m, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'dev', weight: 2.5 }] } })).status, 200);
    assert.deepEqual((await call(m, { type: 'GET_WEIGHTS' })).json!.get_weights.weight_infos, [{ role: 'dev', weight: 2.5 }]);
    assert.deepEqual(await getJson(`http://${m}/weights`), [{ role: 'dev', weight: 2.5 }]);
    assert.equal((await call(m, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'dev', weight: -1 }] } })).status, 400);
    const update = { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'dev', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 }, mem: { value: 256 } } }] } };
    assert.equal((await call(m, update)).status, 200);
    const status = (await call(m, { type: 'GET_QUOTA' })).json!.get_quota.status;
    assert.deepEqual(status.configs, [{ role: 'dev', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 }, mem: { value: 256 } } }]);
    assert.deepEqual((await getJson<Json>(`http://${m}/quota`)).configs, status.configs);
    const role = (await getJson<Json>(`http://${m}/roles`)).roles.find((r: Json) => r.name === 'dev');
    assert.deepEqual([role.weight, role.quota.guarantee, role.quota.limit, role.allocated], [2.5, { cpus: 1 }, { cpus: 2, mem: 256 }, {}]);
    const above = { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'dev', guarantees: { cpus: { value: 3 } }, limits: { cpus: { value: 2 } } }] } };
    assert.equal((await call(m, above)).status, 400);
    // An empty config removes the quota.
    assert.equal((await call(m, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'dev' }] } })).status, 200);
    assert.deepEqual((await call(m, { type: 'GET_QUOTA' })).json!.get_quota.status.configs, []);
  });

  it('reserves and unreserves on an agent (RESERVE_RESOURCES, /reserve, /unreserve), shown in /slaves *_resources_full', async () => {
    const reserved = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'dev' }] }];
    const r = await call(m, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: a0.id }, resources: reserved } });
    assert.equal(r.status, 202, r.text);
    const slave = async (): Promise<Json> => (await getJson<Json>(`http://${m}/slaves`)).slaves.find((s: Json) => s.id === a0.id);
    let s = await slave();
    assert.equal(s.reserved_resources.dev.cpus, 1);
    assert.deepEqual(Resources.fromJSON(s.reserved_resources_full.dev).quantities(), { cpus: 1 });
    assert.equal(Resources.fromJSON(s.unreserved_resources_full).cpus(), 1);
    assert.ok(Array.isArray(s.used_resources_full) && Array.isArray(s.offered_resources_full));
    const form = (resources: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ slaveId: a0.id, resources: JSON.stringify(resources) }).toString() });
    assert.equal((await fetch(`http://${m}/unreserve`, form(reserved))).status, 202);
    s = await slave();
    assert.deepEqual(s.reserved_resources, {});
    assert.equal((await fetch(`http://${m}/reserve`, form(reserved))).status, 202);
    assert.equal((await fetch(`http://${m}/master/unreserve`, form(reserved))).status, 202);
    const tooMuch = [{ ...reserved[0], scalar: { value: 99 } }];
    assert.equal((await fetch(`http://${m}/reserve`, form(tooMuch))).status, 409);
    assert.equal((await fetch(`http://${m}/reserve`, { method: 'POST', body: 'resources=[]' })).status, 400);
    assert.equal((await fetch(`http://${m}/create-volumes`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ slaveId: a0.id, volumes: '[]' }).toString() })).status, 400);
  });

  it('serves ?jsonp= on every endpoint, validates /metrics/snapshot?timeout=, and has /redirect, agent /version and /containers', async () => {
    for (const url of [`http://${m}/metrics/snapshot`, `http://${m}/master/state`, `http://${m}/quota`, `http://${m}/roles`, `http://${a0.address}/metrics/snapshot`, `http://${a0.address}/containers`, `http://${a0.address}/version`]) {
      const res = await fetch(`${url}?jsonp=cb`);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get('content-type'), 'text/javascript', url);
      assert.match(await res.text(), /^cb\(.*\);$/s, url);
    }
    assert.equal((await fetch(`http://${m}/metrics/snapshot?timeout=5secs`)).status, 200);
    const badTimeout = await fetch(`http://${m}/metrics/snapshot?timeout=soon`);
    assert.equal(badTimeout.status, 400);
    assert.match(await badTimeout.text(), /Invalid timeout 'soon'/);
    const redirect = await fetch(`http://${m}/master/redirect`, { redirect: 'manual' });
    assert.equal(redirect.status, 307);
    assert.match(redirect.headers.get('location') ?? '', /^\/\/[^/]+:\d+$/);
    const version = await getJson<Json>(`http://${a0.address}/version`);
    assert.equal(version.version, '1.11.0');
    assert.ok(version.build_time > 0 && typeof version.build_user === 'string' && /^\d{4}-\d\d-\d\d /.test(version.build_date));
    const state = await getJson<Json>(`http://${m}/master/state`);
    assert.deepEqual(state.capabilities, ['QUOTA_V2']);
    assert.equal(state.build_time, version.build_time === 0 ? 0 : state.build_time);
    const agentState = await getJson<Json>(`http://${a0.address}/state`);
    assert.ok('reserved_resources_allocated' in agentState && 'unreserved_resources_allocated' in agentState);
    assert.ok(Array.isArray(await getJson(`http://${a0.address}/containers`)));
  });

  it('MARK_AGENT_GONE removes the agent: AGENT_REMOVED, its task TASK_GONE_BY_OPERATOR, and it is not admitted again', async () => {
    await fw.launch((offer) => [commandTask('doomed', offer, 'sleep 60')], { agentId: a1.id });
    await fw.status('doomed', 'TASK_RUNNING');
    const since = fw.mark();
    const r = await call(m, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a1.id } } });
    assert.equal(r.status, 200, r.text);
    await sub.next((e) => e.type === 'AGENT_REMOVED' && e.agent_removed.agent_id.value === a1.id, 'AGENT_REMOVED');
    const updated = await sub.next((e) => e.type === 'TASK_UPDATED' && e.task_updated.status.task_id.value === 'doomed' && e.task_updated.state === 'TASK_GONE_BY_OPERATOR', 'TASK_GONE_BY_OPERATOR');
    assert.equal(updated.task_updated.status.reason, 'REASON_AGENT_REMOVED_BY_OPERATOR');
    const status: TaskStatus = await fw.status('doomed', 'TASK_GONE_BY_OPERATOR', { since });
    assert.equal(status.source, 'SOURCE_MASTER');
    // The agent was told to shut down: its actor stopped (its endpoints are gone), and the master keeps it out.
    await waitUntil('the gone agent to shut down', async () => (await fetch(`http://${a1.address}/slave(1)/state`)).status === 404, 20_000);
    const state = await c.masterState();
    assert.ok(!state.slaves.some((s) => s.id === a1.id));
    assert.equal((await call(m, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'no-such-agent' } } })).status, 404);
  });
});
