// The master's operator API in one process on a manual clock: MARK_AGENT_GONE (tasks
// TASK_GONE_BY_OPERATOR or TASK_LOST by partition awareness, the agent shut down and refused
// afterwards, an unreachable agent too), SUBSCRIBE's heartbeats on virtual time, and the
// logging calls over a real log file, behind HTTP authentication and ACLs. Mesos's
// counterparts: MasterAPITest.MarkRegisteredAgentGone, MarkUnreachableAgentGone,
// MasterAPITest.Heartbeat.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, request } from '../../runtime/index.js';
import { parseAcls, RecordIODecoder, Resources, type Offer } from '../../protocol/index.js';
import { commandTask, World, type SchedulerStub } from './master-harness.js';

async function api(w: World, body: unknown): Promise<{ status: number; body: unknown; stream?: NodeJS.ReadableStream }> {
  const req = { ...request('POST', '/api/v1', body), headers: { 'content-type': 'application/json' } };
  const res = await w.network.http(w.master.address)(req);
  const text = res.body instanceof Uint8Array ? Buffer.from(res.body).toString('utf8') : res.body;
  return { status: res.status, body: text, ...(res.stream !== undefined ? { stream: res.stream } : {}) };
}

async function launch(w: World, s: SchedulerStub, taskId: string): Promise<Offer> {
  const offer = s.peer.all('ResourceOffers').at(-1)!.offers[0]!;
  s.peer.tell(w.master.pid, { name: 'LaunchTasks', framework_id: { value: s.id }, offer_ids: [offer.id], tasks: [commandTask(taskId, offer, 'cpus:1;mem:128')], filters: { refuse_seconds: 0 } });
  await w.settle();
  return offer;
}

test('MARK_AGENT_GONE: TASK_GONE_BY_OPERATOR for a PARTITION_AWARE framework, TASK_LOST for another, Shutdown, and no re-registration', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const aware = await w.scheduler({ name: 'aware', capabilities: [{ type: 'PARTITION_AWARE' }] });
  await w.pass(1000);
  await launch(w, aware, 'a1');
  const plain = await w.scheduler({ name: 'plain' });
  await w.pass(1000);
  await launch(w, plain, 'p1');
  assert.equal((await api(w, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.id } } })).status, 200);
  await w.settle();
  assert.equal(a.peer.last('Shutdown')?.message, 'Agent has been marked gone');
  const goneUpdate = aware.peer.all('StatusUpdate').find((u) => u.update.status.task_id.value === 'a1')!.update.status;
  assert.deepEqual([goneUpdate.state, goneUpdate.reason, goneUpdate.source], ['TASK_GONE_BY_OPERATOR', 'REASON_AGENT_REMOVED_BY_OPERATOR', 'SOURCE_MASTER']);
  assert.equal(plain.peer.all('StatusUpdate').find((u) => u.update.status.task_id.value === 'p1')?.update.status.state, 'TASK_LOST');
  assert.ok(aware.peer.last('LostAgent'));
  const state = await w.state();
  assert.equal(state.slaves.length, 0);
  assert.equal(state.frameworks.find((f: any) => f.id === aware.id).completed_tasks[0].state, 'TASK_GONE_BY_OPERATOR');
  // Marking it again is no error; re-registering under its id is refused.
  assert.equal((await api(w, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.id } } })).status, 200);
  a.peer.clear();
  a.peer.tell(w.master.pid, {
    name: 'ReregisterAgent',
    agent: { hostname: a.address.split(':')[0]!, port: 5051, resources: Resources.parse('cpus:4;mem:4096').toJSON(), attributes: [], id: { value: a.id } },
    version: '1.11.0',
    executor_infos: [],
    tasks: [],
    frameworks: [],
    completed_frameworks: [],
  });
  await w.settle();
  assert.equal(a.peer.last('Shutdown')?.message, 'Agent has been marked gone');
  assert.equal(a.peer.all('AgentReregistered').length, 0);
  assert.equal((await w.state()).slaves.length, 0);
  await w.stop();
});

test('MARK_AGENT_GONE on an unreachable agent completes its unreachable tasks as TASK_GONE_BY_OPERATOR', async () => {
  const w = await World.start();
  const a = await w.agent('cpus:4;mem:4096');
  const s = await w.scheduler({ capabilities: [{ type: 'PARTITION_AWARE' }] });
  await w.pass(1000);
  await launch(w, s, 't1');
  a.peer.autoPong = false;
  while ((await w.state()).unreachable_slaves === 0) await w.pass(5000);
  assert.equal(s.peer.all('StatusUpdate').at(-1)?.update.status.state, 'TASK_UNREACHABLE');
  assert.equal((await api(w, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.id } } })).status, 200);
  await w.settle();
  assert.equal(s.peer.all('StatusUpdate').at(-1)?.update.status.state, 'TASK_GONE_BY_OPERATOR');
  const state = await w.state();
  assert.equal(state.unreachable_slaves, 0);
  const fw = state.frameworks.find((f: any) => f.id === s.id);
  assert.deepEqual([fw.unreachable_tasks.length, fw.completed_tasks[0]?.state], [0, 'TASK_GONE_BY_OPERATOR']);
  assert.equal((await api(w, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'nobody' } } })).status, 404);
  await w.stop();
});

test('SUBSCRIBE sends SUBSCRIBED and a HEARTBEAT at once, then a HEARTBEAT every 15 s of virtual time', async () => {
  const w = await World.start();
  const res = await api(w, { type: 'SUBSCRIBE' });
  assert.equal(res.status, 200);
  const types: string[] = [];
  const decoder = new RecordIODecoder();
  res.stream!.on('data', (chunk: Buffer) => {
    for (const r of decoder.decode(chunk)) types.push((JSON.parse(r.toString()) as { type: string }).type);
  });
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  await flush();
  assert.deepEqual(types, ['SUBSCRIBED', 'HEARTBEAT']);
  await w.pass(14_999);
  await flush();
  assert.deepEqual(types, ['SUBSCRIBED', 'HEARTBEAT'], 'nothing too early');
  await w.pass(1);
  await flush();
  assert.deepEqual(types, ['SUBSCRIBED', 'HEARTBEAT', 'HEARTBEAT']);
  await w.agent();
  await w.pass(15_000);
  await flush();
  assert.deepEqual(types.slice(2), ['HEARTBEAT', 'AGENT_ADDED', 'HEARTBEAT']);
  (res.stream as unknown as { destroy(): void }).destroy();
  await w.stop();
});

test('GET_LOGGING_LEVEL, SET_LOGGING_LEVEL, LIST_FILES and READ_FILE act on the process log, as /logging/toggle and /files/read do', async () => {
  const w = await World.start();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-operator-log-'));
  try {
    const logger = createLogger({ level: 'warn', name: 'mesos-master', format: 'json', logDir: dir });
    logger.warn('a line for READ_FILE');
    const level = async (): Promise<unknown> => ((await api(w, { type: 'GET_LOGGING_LEVEL' })).body as string).match(/"level":(\d+)/)?.[1];
    assert.equal(await level(), '0');
    assert.equal((await api(w, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 1, duration: { nanoseconds: 60e9 } } })).status, 200);
    assert.equal(await level(), '1');
    assert.equal((await w.get('/logging/toggle')).body.level, 1, '/logging/toggle sees the same level');
    assert.equal((await api(w, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 1 } })).status, 400, 'no duration');
    assert.equal((await api(w, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 0, duration: { nanoseconds: 1e9 } } })).status, 200);
    assert.equal(await level(), '0');
    const list = JSON.parse((await api(w, { type: 'LIST_FILES', list_files: { path: '/master/log' } })).body as string);
    assert.equal(list.list_files.file_infos[0].path, '/master/log');
    assert.ok(list.list_files.file_infos[0].size > 0);
    const read = JSON.parse((await api(w, { type: 'READ_FILE', read_file: { path: '/master/log', offset: 0 } })).body as string);
    assert.equal(read.read_file.size, list.list_files.file_infos[0].size);
    assert.match(Buffer.from(read.read_file.data, 'base64').toString(), /a line for READ_FILE/);
    assert.equal((await api(w, { type: 'READ_FILE', read_file: { path: '/etc/passwd', offset: 0 } })).status, 404);
    assert.equal((await api(w, { type: 'READ_FILE', read_file: { path: '/master/log' } })).status, 400, 'no offset');
  } finally {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the operator API sits behind the v0 endpoints\' HTTP authentication and ACLs', async () => {
  const acls = parseAcls({
    permissive: true,
    view_frameworks: [{ principals: { values: ['ops'] }, users: { type: 'NONE' } }],
    update_weights: [{ principals: { values: ['ops'] }, roles: { type: 'NONE' } }],
    get_endpoints: [{ principals: { values: ['ops'] }, paths: { values: ['/flags'] } }, { principals: { type: 'ANY' }, paths: { type: 'NONE' } }],
  });
  const w = await World.start({ credentials: new Map([['ops', 'secret'], ['admin', 'root']]), authenticateHttpReadwrite: true, acls });
  await w.scheduler({ user: 'alice' });
  const as = async (who: string | undefined, body: unknown): Promise<{ status: number; body: string }> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(who !== undefined ? { authorization: `Basic ${Buffer.from(who).toString('base64')}` } : {}) };
    const res = await w.network.http(w.master.address)({ ...request('POST', '/api/v1', body), headers });
    return { status: res.status, body: res.body instanceof Uint8Array ? Buffer.from(res.body).toString() : String(res.body ?? '') };
  };
  assert.equal((await as(undefined, { type: 'GET_HEALTH' })).status, 401);
  assert.equal((await as('ops:wrong', { type: 'GET_HEALTH' })).status, 401);
  assert.equal((await as('ops:secret', { type: 'GET_HEALTH' })).status, 200);
  // view_frameworks: ops sees no framework, admin sees it.
  const frameworks = async (who: string): Promise<number> => (JSON.parse((await as(who, { type: 'GET_FRAMEWORKS' })).body).get_frameworks.frameworks ?? []).length;
  assert.deepEqual([await frameworks('ops:secret'), await frameworks('admin:root')], [0, 1]);
  assert.equal((await as('ops:secret', { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'dev', weight: 2 }] } })).status, 403);
  assert.equal((await as('admin:root', { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'dev', weight: 2 }] } })).status, 200);
  assert.equal((await as('ops:secret', { type: 'GET_FLAGS' })).status, 200);
  assert.equal((await as('admin:root', { type: 'GET_FLAGS' })).status, 403);
  await w.stop();
});
