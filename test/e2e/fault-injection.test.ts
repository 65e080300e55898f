// Fault injection from outside real processes, through the endpoints --enable_test_endpoints
// serves: a real mesos-agent drops the first TASK_RUNNING update it sends (the framework hears
// it from the status-update retry instead), a real scheduler driver holds the first TASK_RUNNING
// it receives past the retry (so it hears the update twice), and a runtime breaks its
// connection to another at its own end only (a one-way partition) while the other end notices
// only when its heartbeat goes unanswered.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, Runtime, WebSocketTransport, type Handlers, type Pid } from '../../runtime/index.js';
import type { TaskInfo } from '../../protocol/index.js';
import { background, type Background } from '../fixtures/cli-run.js';
import { RecordingScheduler, getJson, processesUnder, waitUntil, type MasterState } from '../fixtures/e2e-cluster.js';
import type { E2ENodeReady } from '../fixtures/e2e-node.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';

const post = async (url: string, body: unknown): Promise<{ status: number; body: unknown }> => {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
};
const metrics = (address: string) => getJson<Record<string, number>>(`http://${address}/metrics/snapshot`);

describe('fault injection into a real agent and a real scheduler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-faults-'));
  let master: Started<E2ENodeReady>;
  let agent: Background;
  let agentAddress: string;
  let fw: RecordingScheduler;
  let schedulerAddress: string;

  const task = (id: string, agentId: string): TaskInfo => ({
    name: id,
    task_id: { value: id },
    agent_id: { value: agentId },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 16 } }],
    command: { value: 'sleep 30' },
  });

  before(async () => {
    master = await startProcess<E2ENodeReady>(fixture('e2e-node.ts'), ['master', '{}']);
    agent = background('mesos-agent', [
      `--master=${master.ready.address}`, '--port=0', `--work_dir=${join(dir, 'agent')}`, '--resources=cpus:1;mem:256',
      '--registration_backoff_factor=10ms', '--status_update_retry_interval=200ms', '--destroy_executors_on_stop', '--enable_test_endpoints', '--quiet',
    ]);
    const state = await waitUntil('the agent to register', async () => {
      const s = await getJson<MasterState>(`http://${master.ready.address}/state`);
      return s.slaves.length === 1 && s;
    });
    agentAddress = state.slaves[0]!.pid.split('@')[1]!;
    fw = new RecordingScheduler(master.ready.address, { name: 'faults' }, { testEndpoints: true });
    await fw.start();
    const s = await getJson<MasterState>(`http://${master.ready.address}/state`);
    schedulerAddress = s.frameworks[0]!.pid!.split('@')[1]!;
  });

  after(async () => {
    await fw?.driver.stop();
    agent?.child.kill('SIGTERM');
    await agent?.exited;
    master?.child.kill('SIGTERM');
    await master?.exited;
    for (const pid of processesUnder(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("the agent drops only the first TASK_RUNNING of t1 (matched on the body); the framework hears it from the agent's retry", async () => {
    const added = await post(`http://${agentAddress}/__filters__`, { side: 'send', name: 'StatusUpdate', times: 1, match: { 'update.status.task_id.value': 't1', 'update.status.state': 'TASK_RUNNING' } });
    assert.equal(added.status, 200, String(added.body));
    const before = (await metrics(agentAddress))['runtime/messages_dropped/filtered'] ?? 0;
    await fw.launch((o) => [task('t1', o.agent_id.value)]);
    await fw.status('t1', 'TASK_RUNNING');
    assert.equal((await metrics(agentAddress))['runtime/messages_dropped/filtered'], before + 1, 'the first copy was dropped');
    assert.equal(fw.statusesOf('t1').filter((s) => s.state === 'TASK_RUNNING').length, 1, 'heard once, from the retry');
    assert.deepEqual(await getJson(`http://${agentAddress}/__filters__`), [], 'a spent filter is gone');
    // The agent passed the switch on to the executor host it started for the framework.
    const host = processesUnder(join(dir, 'agent')).find((pid) => readlinkSync(`/proc/${pid}/cwd`).includes('/executor-host/runs/'));
    assert.ok(host !== undefined && readFileSync(`/proc/${host}/environ`, 'utf8').split('\0').includes('MESOS_ENABLE_TEST_ENDPOINTS=true'));
  });

  it('the scheduler holds the first TASK_RUNNING of t2 past the retry: it hears the retry, then the held original', async () => {
    const added = await post(`http://${schedulerAddress}/__filters__`, { side: 'receive', name: 'StatusUpdate', times: 1, delay_ms: 3000, match: { '**.task_id.value': 't2', 'update.status.state': 'TASK_RUNNING' } });
    assert.equal(added.status, 200, String(added.body));
    await fw.launch((o) => [task('t2', o.agent_id.value)]);
    const first = await fw.status('t2', 'TASK_RUNNING');
    const since = fw.mark();
    const second = await fw.status('t2', 'TASK_RUNNING', { since });
    assert.deepEqual(Buffer.from(second.uuid!), Buffer.from(first.uuid!), 'the same update twice: the held one arrived after the retry');
    assert.equal((await metrics(schedulerAddress))['runtime/messages_delayed'], 1);
  });

  it('filters are removed one at a time by id', async () => {
    const url = `http://${agentAddress}/__filters__`;
    const a = (await post(url, { side: 'send', name: 'KillTask' })).body as { id: number };
    const b = (await post(url, { side: 'receive', name_regex: '^Run' })).body as { id: number };
    assert.equal((await fetch(`${url}?id=${a.id}`, { method: 'DELETE' })).status, 200);
    assert.deepEqual((await getJson<{ id: number }[]>(url)).map((f) => f.id), [b.id]);
    assert.equal((await fetch(`${url}?id=${a.id}`, { method: 'DELETE' })).status, 404);
    assert.equal((await post(url, { side: 'send', match: { '__proto__.x': 1 } })).status, 400);
    await fetch(url, { method: 'DELETE' });
    assert.deepEqual(await getJson(url), []);
  });
});

type Ping = { name: 'Ping'; n: number };

/** Records the pings it gets and the exits of what it links to. */
class Watcher extends Actor<Ping> {
  pings: number[] = [];
  exits: string[] = [];
  protected readonly handlers: Handlers<Ping> = { Ping: (m) => void this.pings.push(m.n) };
  watch(p: Pid): void {
    this.link(p);
  }
  override exited(p: Pid): void {
    this.exits.push(p);
  }
}

describe('breaking a connection at one end only', () => {
  let a: Runtime;
  let b: Runtime;

  before(async () => {
    a = await Runtime.start({ port: 0, transport: new WebSocketTransport({ heartbeatMs: 300 }), testEndpoints: true });
    b = await Runtime.start({ port: 0, transport: new WebSocketTransport({ heartbeatMs: 300 }) });
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));

  it("the breaking end sees the close at once; the far end's messages are lost until its heartbeat notices", async () => {
    const wa = a.spawn(new Watcher(), 'wa');
    const wb = b.spawn(new Watcher(), 'wb');
    wa.watch(wb.self);
    wb.watch(wa.self);
    b.send(wb.self, wa.self, { name: 'Ping', n: 1 });
    await waitUntil('the connection to carry a ping', () => wa.pings.length === 1);
    const closedAtB = (await metrics(b.address))['runtime/connections_closed'] ?? 0;

    assert.equal((await post(`http://${a.address}/__connections__/break`, { peer: '127.0.0.1:1' })).status, 404);
    const broken = await post(`http://${a.address}/__connections__/break`, { peer: b.address });
    assert.deepEqual(broken, { status: 200, body: { broken: b.address } });
    assert.deepEqual(wa.exits, [wb.self], 'the breaking end: its link fired at once');
    assert.deepEqual(wb.exits, [], 'the far end was not told');
    assert.equal((await metrics(b.address))['runtime/connections_closed'] ?? 0, closedAtB);

    // Sent into the half-open connection: read and discarded at the breaking end.
    b.send(wb.self, wa.self, { name: 'Ping', n: 2 });
    await waitUntil("the far end's heartbeat to notice", () => wb.exits.length === 1, 10_000);
    assert.deepEqual(wa.pings, [1], 'what the far end sent meanwhile was lost');
    b.send(wb.self, wa.self, { name: 'Ping', n: 3 });
    await waitUntil('a new connection to carry a ping', () => wa.pings.includes(3));
    assert.equal((await fetch(`http://${b.address}/__connections__/break`, { method: 'POST', body: '{}' })).status, 404, 'off unless enabled');
  });
});
