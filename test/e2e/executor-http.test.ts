// The v1 executor HTTP API against a master and an agent that are real OS processes (with
// executor authentication on): the agent launches a custom executor whose process never speaks
// itself, and the test speaks for it over raw HTTP with the token the agent handed it — every
// call and event, every status code, JSON and protobuf, events read one byte at a time (RecordIO
// split across chunks), a re-subscription carrying unacknowledged updates through an agent
// restart; then the example framework with the TypeScript HTTP executor client (Mesos's
// src/tests/executor_http_api_tests.cpp, slave_recovery_tests.cpp's HTTP executor cases).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { runCustomExecutorFramework } from '../../examples/custom-executor-framework.js';
import { countPrimesBelow } from '../../examples/custom-executor.js';
import { decodeMessage, encodeMessage, newUuid, RecordIODecoder, type MediaType, type Offer, type TaskStatus } from '../../protocol/index.js';
import { E2ECluster, waitUntil } from '../fixtures/e2e-cluster.js';
import { post, Subscription, type Event } from '../fixtures/v1-stream.js';

const quiet = (): void => {};
const typeOf = (media: MediaType): string => (media === 'json' ? 'application/json' : 'application/x-protobuf');

/** A raw SUBSCRIBE stream of the executor API, read one byte per decode so records always arrive split. */
class ExecutorStream {
  readonly events: Event[] = [];
  status = 0;
  contentType = '';
  ended = false;
  private readonly abort = new AbortController();

  static async open(agent: string, call: object, media: MediaType, token: string | undefined): Promise<ExecutorStream> {
    const s = new ExecutorStream();
    const res = await fetch(`http://${agent}/api/v1/executor`, {
      method: 'POST',
      headers: { 'content-type': typeOf(media), accept: typeOf(media), ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
      body: encodeMessage('executor.Call', media, { type: 'SUBSCRIBE', ...call }),
      signal: s.abort.signal,
    });
    s.status = res.status;
    s.contentType = res.headers.get('content-type') ?? '';
    if (res.status !== 200) {
      s.events.push({ type: 'HTTP_ERROR', text: await res.text() });
      s.ended = true;
      return s;
    }
    void s.read(res.body as unknown as AsyncIterable<Uint8Array>, media);
    return s;
  }

  private async read(body: AsyncIterable<Uint8Array>, media: MediaType): Promise<void> {
    const decoder = new RecordIODecoder();
    try {
      for await (const chunk of body) {
        for (let i = 0; i < chunk.length; i++) {
          for (const record of decoder.decode(chunk.subarray(i, i + 1))) {
            const d = decodeMessage<Event>('executor.Event', media, record);
            this.events.push(d.ok ? d.value : { type: 'UNDECODABLE', error: d.error });
          }
        }
      }
    } catch {
      // aborted
    }
    this.ended = true;
  }

  next(type: string, pred: (e: Event) => boolean = () => true, since = 0): Promise<Event> {
    return waitUntil(`executor event ${type} (got ${this.events.map((e) => e.type).join(', ')})`, () => this.events.slice(since).find((e) => e.type === type && pred(e)), 20_000, 20);
  }

  close(): void {
    this.abort.abort();
  }
}

describe('the v1 executor API on a cluster of OS processes', { timeout: 180_000 }, () => {
  let cluster: E2ECluster;
  let master: string;
  let agent: string;
  const open: { close(): void }[] = [];
  const schedulers: Subscription[] = [];

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048;disk:1024'], agent: { authenticateExecutors: true, executorReregistrationTimeoutMs: 4000 } });
    master = cluster.master.address;
    agent = cluster.agents[0]!.address;
  });

  // A failed case leaves no framework (and no executor process) behind for the next.
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.call(master, { type: 'TEARDOWN' }).catch(() => undefined);
    for (const s of open.splice(0)) s.close();
    await waitUntil('the agent to have no frameworks', async () => (await cluster.agentState(cluster.agents[0]!)).frameworks.length === 0, 30_000);
  });

  after(async () => {
    assert.deepEqual(await cluster?.stop(), [], 'no executor or task outlives the cluster');
  });

  const call = (media: MediaType, body: object, token: string | undefined, to = agent) =>
    post(to, encodeMessage('executor.Call', media, body), { 'content-type': typeOf(media), ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) }, '/api/v1/executor');

  /**
   * A scheduler (v1, auto-acknowledging) that launches one task under a custom executor whose
   * process writes its token and environment into its sandbox and then only sleeps.
   */
  async function launchSilentExecutor(name: string, checkpoint = false) {
    const sched = await Subscription.open(master, { subscribe: { framework_info: { user: 'tester', name, checkpoint, failover_timeout: 60 } } });
    open.push(sched);
    schedulers.push(sched);
    await sched.next('SUBSCRIBED');
    const offer = (sched.events.find((e) => e.type === 'OFFERS') ?? (await sched.next('OFFERS')))['offers'].offers[0] as Offer;
    const executorId = `${name}-executor`;
    const task = {
      name: 't',
      task_id: { value: `${name}-task` },
      agent_id: offer.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
      data: Buffer.from('payload').toString('base64'),
      executor: {
        executor_id: { value: executorId },
        type: 'CUSTOM',
        command: { value: 'env > env.txt; printf %s "$MESOS_EXECUTOR_AUTHENTICATION_TOKEN" > token.tmp && mv token.tmp token; exec sleep 120' },
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
      },
    };
    const r = await sched.call(master, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }], filters: { refuse_seconds: 0 } } });
    assert.equal(r.status, 202, r.text);
    const dir = await waitUntil('the executor sandbox', async () => {
      const st = await cluster.agentState(cluster.agents[0]!);
      return st.frameworks.find((f) => f.id === sched.frameworkId)?.executors.find((e) => e.id === executorId)?.directory;
    });
    const token = await waitUntil('the executor wrote its token', () => {
      try {
        return readFileSync(join(dir, 'token'), 'utf8') || undefined;
      } catch {
        return undefined;
      }
    });
    const ids = { framework_id: { value: sched.frameworkId }, executor_id: { value: executorId } };
    return { sched, ids, token, dir, taskId: task.task_id, agentId: offer.agent_id };
  }

  const statusOf = (e: Event): TaskStatus => e['update'].status as TaskStatus;
  const update = (taskId: { value: string }, state: string, uuid = newUuid()) => ({ status: { task_id: taskId, state, uuid, source: 'SOURCE_EXECUTOR' } });

  it('answers each status code as Mesos does, with a message, and bad input costs nothing else', async () => {
    const x = await launchSilentExecutor('codes');
    const base = { ...x.ids };
    const bad: [string, Promise<{ status: number; text: string }>, number, RegExp][] = [
      ['GET', fetch(`http://${agent}/api/v1/executor`).then(async (r) => ({ status: r.status, text: await r.text() })), 405, /POST/],
      ['no Content-Type', post(agent, Buffer.from('{}'), {}, '/api/v1/executor'), 400, /Content-Type/],
      ['text/plain', post(agent, '{}', { 'content-type': 'text/plain' }, '/api/v1/executor'), 415, /application\/json/],
      ['accepting only HTML', post(agent, '{}', { 'content-type': 'application/json', accept: 'text/html' }, '/api/v1/executor'), 406, /Accept/],
      ['malformed JSON', post(agent, '{"type":', { 'content-type': 'application/json' }, '/api/v1/executor'), 400, /JSON/],
      ['malformed protobuf', post(agent, Buffer.from([0x0a, 0xff, 0x01]), { 'content-type': 'application/x-protobuf' }, '/api/v1/executor'), 400, /protobuf/],
      ['an unknown call type', call('json', { ...base, type: 'LAUNCH_ROCKETS' }, x.token), 400, /'type'/],
      ['UNKNOWN', call('json', { ...base, type: 'UNKNOWN' }, x.token), 501, /UNKNOWN/],
      ['no executor_id', call('json', { framework_id: base.framework_id, type: 'HEARTBEAT' }, x.token), 400, /executor_id/],
      ['no token', call('json', { ...base, type: 'HEARTBEAT' }, undefined), 401, /Bearer/],
      ['a wrong token', call('json', { ...base, type: 'HEARTBEAT' }, 'A'.repeat(32)), 401, /does not authenticate/],
      ['another executor\'s id with this token', call('json', { ...base, executor_id: { value: 'nope' }, type: 'HEARTBEAT' }, x.token), 401, /does not authenticate/],
      ['UPDATE before SUBSCRIBE', call('json', { ...base, type: 'UPDATE', update: update(x.taskId, 'TASK_RUNNING') }, x.token), 403, /not subscribed/],
      ['SUBSCRIBE without subscribe', call('json', { ...base, type: 'SUBSCRIBE' }, x.token), 400, /'subscribe'/],
      ['a body above the bound', post(agent, Buffer.alloc(9 * 1024 * 1024, 0x20), { 'content-type': 'application/json' }, '/api/v1/executor'), 413, /larger/],
    ];
    for (const [what, res, code, text] of bad) {
      const r = await res;
      assert.equal(r.status, code, `${what}: ${r.status} ${r.text}`);
      assert.match(r.text, text, what);
    }
    const m = await cluster.metrics(cluster.agents[0]!);
    assert.ok((m['slave/dropped_messages/unauthenticated'] ?? 0) >= 2, 'wrong tokens are counted');
    // Nothing of that disturbed the executor: it subscribes and gets its task.
    const s = await ExecutorStream.open(agent, { ...base, subscribe: {} }, 'json', x.token);
    open.push(s);
    assert.equal(s.status, 200);
    await s.next('LAUNCH');
    const st = await call('json', { ...base, type: 'UPDATE', update: update(x.taskId, 'TASK_STAGING') }, x.token);
    assert.equal(st.status, 400);
    assert.match(st.text, /TASK_STAGING/);
    const short = await call('json', { ...base, type: 'UPDATE', update: { status: { task_id: x.taskId, state: 'TASK_RUNNING', uuid: Buffer.from('short').toString('base64') } } }, x.token);
    assert.equal(short.status, 400);
    assert.match(short.text, /uuid/);
    assert.equal((await fetch(`http://${agent}/health`)).status, 200);
    assert.equal((await x.sched.call(master, { type: 'TEARDOWN' })).status, 202);
  });

  it('an executor that subscribes and never reads its stream is cut off past the bound; the agent and the executor go on', async () => {
    const x = await launchSilentExecutor('unread');
    // The SUBSCRIBE over a raw socket that is never read: the kernel's buffers fill, then the agent's.
    const body = encodeMessage('executor.Call', 'json', { ...x.ids, type: 'SUBSCRIBE', subscribe: {} });
    const [host, port] = agent.split(':') as [string, string];
    const sock = connect(Number(port), host);
    open.push({ close: () => sock.destroy() });
    sock.pause();
    sock.write(`POST /api/v1/executor HTTP/1.1\r\nHost: ${agent}\r\nContent-Type: application/json\r\nAccept: application/json\r\nAuthorization: Bearer ${x.token}\r\nContent-Length: ${body.length}\r\n\r\n`);
    sock.write(body);
    await waitUntil('the executor to be subscribed', async () => (await cluster.agentState(cluster.agents[0]!)).frameworks.find((f) => f.id === x.sched.frameworkId)?.executors.find((e) => e.id === x.ids.executor_id.value)?.tasks.length === 1);
    const dropped = async (): Promise<number> => (await cluster.metrics(cluster.agents[0]!))['slave/dropped_messages'] ?? 0;
    const before = await dropped();
    const messagesBefore = (await cluster.metrics(cluster.agents[0]!))['slave/valid_framework_messages'] ?? 0;
    // MESSAGE events of 1 MiB (1.4 MB as JSON) until the agent gives up on the stream.
    const data = Buffer.alloc(1024 * 1024, 7).toString('base64');
    let sent = 0;
    while ((await dropped()) === before) {
      assert.ok(sent < 60, `the agent still holds the stream after ${sent} MiB of unread events`);
      assert.equal((await x.sched.call(master, { type: 'MESSAGE', message: { agent_id: x.agentId, executor_id: x.ids.executor_id, data } })).status, 202);
      sent++;
      await waitUntil('the message to reach the agent', async () => ((await cluster.metrics(cluster.agents[0]!))['slave/valid_framework_messages'] ?? 0) >= sent + messagesBefore, 20_000);
    }
    // Past the bound (4 MiB held by the agent, whatever the kernel held before): not after the first few.
    assert.ok(sent >= 3, `cut off after ${sent} MiB`);
    assert.equal((await fetch(`http://${agent}/health`)).status, 200);
    // The executor subscribes again and is served: nothing of the task or its sandbox was lost.
    const again = await ExecutorStream.open(agent, { ...x.ids, subscribe: { unacknowledged_tasks: [], unacknowledged_updates: [] } }, 'json', x.token);
    open.push(again);
    await again.next('SUBSCRIBED');
    assert.equal((await x.sched.call(master, { type: 'MESSAGE', message: { agent_id: x.agentId, executor_id: x.ids.executor_id, data: Buffer.from('after').toString('base64') } })).status, 202);
    assert.equal(Buffer.from((await again.next('MESSAGE'))['message'].data).toString(), 'after');
  });

  for (const media of ['json', 'protobuf'] as const) {
    it(`every call and event in ${media}: SUBSCRIBED, HEARTBEAT, LAUNCH, UPDATE, ACKNOWLEDGED, MESSAGE both ways, KILL, re-SUBSCRIBE, SHUTDOWN`, async () => {
      const x = await launchSilentExecutor(`events-${media}`);
      const env = readFileSync(join(x.dir, 'env.txt'), 'utf8');
      for (const name of ['MESOS_AGENT_ENDPOINT', 'MESOS_FRAMEWORK_ID', 'MESOS_EXECUTOR_ID', 'MESOS_DIRECTORY', 'MESOS_SANDBOX', 'MESOS_CHECKPOINT', 'MESOS_RECOVERY_TIMEOUT', 'MESOS_SUBSCRIPTION_BACKOFF_MAX', 'MESOS_HTTP_COMMAND_EXECUTOR']) {
        assert.match(env, new RegExp(`^${name}=.+$`, 'm'), name);
      }
      assert.match(env, new RegExp(`^MESOS_AGENT_ENDPOINT=${agent.replace(/\./g, '\\.')}$`, 'm'));

      const s = await ExecutorStream.open(agent, { ...x.ids, subscribe: {} }, media, x.token);
      open.push(s);
      assert.equal(s.status, 200);
      assert.equal(s.contentType, typeOf(media));
      const sub = (await s.next('SUBSCRIBED'))['subscribed'];
      assert.equal(sub.executor_info.executor_id.value, x.ids.executor_id.value);
      assert.equal(sub.framework_info.id.value, x.ids.framework_id.value);
      assert.equal(sub.agent_info.id.value, x.agentId.value);
      assert.match(sub.container_id.value, /^[0-9a-f-]{36}$/);
      assert.equal(s.events[1]?.type, 'HEARTBEAT', 'a HEARTBEAT right after SUBSCRIBED');
      const task = (await s.next('LAUNCH'))['launch'].task;
      assert.equal(task.task_id.value, x.taskId.value);
      assert.equal(Buffer.from(task.data).toString(), 'payload');

      // UPDATE reaches the scheduler; its acknowledgement comes back as ACKNOWLEDGED with the uuid.
      const running = update(x.taskId, 'TASK_RUNNING');
      assert.equal((await call(media, { ...x.ids, type: 'UPDATE', update: running }, x.token)).status, 202);
      const seen = statusOf(await x.sched.next('UPDATE', (e) => statusOf(e).state === 'TASK_RUNNING'));
      assert.equal(seen.source, 'SOURCE_EXECUTOR');
      assert.equal(seen.executor_id?.value, x.ids.executor_id.value);
      const acked = (await s.next('ACKNOWLEDGED'))['acknowledged'];
      assert.deepEqual(Buffer.from(acked.uuid), Buffer.from(running.status.uuid));

      // MESSAGE both ways.
      assert.equal((await x.sched.call(master, { type: 'MESSAGE', message: { agent_id: x.agentId, executor_id: x.ids.executor_id, data: Buffer.from('down').toString('base64') } })).status, 202);
      assert.equal(Buffer.from((await s.next('MESSAGE'))['message'].data).toString(), 'down');
      assert.equal((await call(media, { ...x.ids, type: 'MESSAGE', message: { data: media === 'json' ? Buffer.from('up').toString('base64') : Buffer.from('up') } }, x.token)).status, 202);
      assert.equal(Buffer.from((await x.sched.next('MESSAGE'))['message'].data).toString(), 'up');
      assert.equal((await call(media, { ...x.ids, type: 'HEARTBEAT' }, x.token)).status, 202);

      // A second SUBSCRIBE replaces the first connection, whose stream ends.
      const again = await ExecutorStream.open(agent, { ...x.ids, subscribe: { unacknowledged_tasks: [], unacknowledged_updates: [] } }, media, x.token);
      open.push(again);
      await again.next('SUBSCRIBED');
      await waitUntil('the first stream to end', () => s.ended);

      // KILL, answered with TASK_KILLED on the new connection.
      assert.equal((await x.sched.call(master, { type: 'KILL', kill: { task_id: x.taskId, agent_id: x.agentId } })).status, 202);
      assert.equal((await again.next('KILL'))['kill'].task_id.value, x.taskId.value);
      assert.equal((await call(media, { ...x.ids, type: 'UPDATE', update: update(x.taskId, 'TASK_KILLED') }, x.token)).status, 202);
      await x.sched.next('UPDATE', (e) => statusOf(e).state === 'TASK_KILLED');

      // SHUTDOWN from the scheduler; the executor's process (which ignores it) is destroyed after the grace period.
      assert.equal((await x.sched.call(master, { type: 'SHUTDOWN', shutdown: { executor_id: x.ids.executor_id, agent_id: x.agentId } })).status, 202);
      await again.next('SHUTDOWN');
      await waitUntil('the executor to terminate', async () => {
        const st = await cluster.agentState(cluster.agents[0]!);
        const f = st.frameworks.find((fw) => fw.id === x.ids.framework_id.value);
        return f === undefined || f.executors.every((e) => e.id !== x.ids.executor_id.value);
      }, 30_000);
      // A terminated executor subscribing again is told why and to shut down, or is unknown.
      const late = await ExecutorStream.open(agent, { ...x.ids, subscribe: {} }, media, x.token);
      assert.ok(late.status === 400 || late.status === 401 || (await late.next('SHUTDOWN')) !== undefined, `${late.status}`);
      late.close();
      assert.equal((await x.sched.call(master, { type: 'TEARDOWN' })).status, 202);
    });
  }

  it('an HTTP executor of a checkpointing framework survives an agent restart and re-subscribes with its unacknowledged updates', async () => {
    const x = await launchSilentExecutor('restart', true);
    const s = await ExecutorStream.open(agent, { ...x.ids, subscribe: {} }, 'protobuf', x.token);
    open.push(s);
    const task = (await s.next('LAUNCH'))['launch'].task;

    const old = cluster.agents[0]!;
    old.child.kill('SIGKILL');
    await old.exited;
    await waitUntil('the stream to break', () => s.ended);
    // The update the executor could not send while the agent was away.
    const running = update(x.taskId, 'TASK_RUNNING');
    const restarted = cluster.restartAgent(old);
    // The restarted agent waits for its executors before registering: re-subscribe now.
    const again = await waitUntil('the re-subscription', async () => {
      try {
        const r = await ExecutorStream.open(agent, { ...x.ids, subscribe: { unacknowledged_tasks: [task], unacknowledged_updates: [running] } }, 'protobuf', x.token);
        if (r.status === 200) return r;
        r.close();
      } catch {
        // not listening yet
      }
      return undefined;
    }, 30_000, 100);
    open.push(again);
    await again.next('SUBSCRIBED');
    await restarted;
    const seen = statusOf(await x.sched.next('UPDATE', (e) => statusOf(e).state === 'TASK_RUNNING'));
    assert.deepEqual(Buffer.from(seen.uuid!), Buffer.from(running.status.uuid), 'the update carried by SUBSCRIBE');
    await again.next('ACKNOWLEDGED');
    const st = await cluster.agentState(cluster.agents[0]!);
    const e = st.frameworks.find((f) => f.id === x.ids.framework_id.value)?.executors.find((ex) => ex.id === x.ids.executor_id.value);
    assert.equal(e?.tasks[0]?.state, 'TASK_RUNNING');
    const m = await cluster.metrics(cluster.agents[0]!);
    assert.equal(m['slave/executors_running'], 1);
    assert.equal((await x.sched.call(master, { type: 'TEARDOWN' })).status, 202);
    await waitUntil('the executor to go', async () => (await cluster.agentState(cluster.agents[0]!)).frameworks.length === 0, 30_000);
  });

  it('the example framework runs its tasks with the TypeScript HTTP executor client, framework messages both ways', async () => {
    const summary = await runCustomExecutorFramework({ master, tasks: 3, base: 10_000, print: quiet, executorApi: 'v1' });
    assert.equal(summary.error, undefined);
    assert.equal(summary.finished, 3);
    assert.deepEqual(summary.results, Object.fromEntries([0, 1, 2].map((i) => [`primes-${i}`, { n: 10_000 * (i + 1), primes: countPrimesBelow(10_000 * (i + 1)) }])));
    const done = await waitUntil('the agent to complete the framework', async () => (await cluster.agentState(cluster.agents[0]!)).completed_frameworks.find((f) => f.id === summary.frameworkId), 30_000);
    assert.deepEqual(done.completed_executors.map((e) => e.id), ['prime-executor']);
  });
});
