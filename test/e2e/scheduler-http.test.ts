// The v1 scheduler HTTP API against a master and an agent that are real OS processes, spoken to
// as a stranger would (raw HTTP, JSON and protobuf) and through the project's own client: every
// call and event, every status code, failover, reconciliation, and a v0 framework beside HTTP
// ones (Mesos's src/tests/http_api_tests.cpp, scheduler_http_api_tests.cpp, master_tests.cpp).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before, describe, it } from 'node:test';
import { encodeMessage, Resources, type Offer, type TaskStatus } from '../../protocol/index.js';
import { HttpSchedulerDriver } from '../../scheduler-driver/index.js';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil } from '../fixtures/e2e-cluster.js';
import { run } from '../fixtures/cli-run.js';
import { fixture } from '../fixtures/processes.js';
import { jsonCall, post, Subscription, type Event } from '../fixtures/v1-stream.js';

const fwInfo = (name: string, extra: object = {}): object => ({ user: 'tester', name, ...extra });

describe('the v1 scheduler API on a cluster of OS processes', { timeout: 120_000 }, () => {
  let cluster: E2ECluster;
  let master: string;
  const open: Subscription[] = [];
  const subscribe = async (...args: Parameters<typeof Subscription.open>): Promise<Subscription> => {
    const s = await Subscription.open(...args);
    open.push(s);
    return s;
  };

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:8;mem:4096;disk:1024'] });
    master = cluster.master.address;
  });

  // A failed case leaves no framework holding the agent's offers.
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  after(async () => {
    const left = await cluster?.stop();
    assert.deepEqual(left, [], 'no executor or task outlives the cluster');
  });

  const frameworkInState = async (id: string) => (await cluster.masterState()).frameworks.find((f) => f.id === id);
  const offerOf = (e: Event): Offer => (e['offers'].offers as Offer[])[0]!;
  const launch = (s: Subscription, offer: Offer, id: string, command: string) =>
    s.call(master, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask(id, offer, command)] } }], filters: { refuse_seconds: 0 } } });
  const status = (e: Event): TaskStatus => e['update'].status as TaskStatus;
  const updateOf = (s: Subscription, task: string, state: string) => s.next('UPDATE', (e) => status(e).task_id.value === task && status(e).state === state).then(status);
  const ack = (s: Subscription, st: TaskStatus) => s.call(master, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: st.agent_id, task_id: st.task_id, uuid: st.uuid } });

  it('answers each status code as Mesos does, with a message, and bad input costs nothing else', async () => {
    const bad: [string, Promise<{ status: number; text: string }>, number, RegExp][] = [
      ['GET', fetch(`http://${master}/api/v1/scheduler`).then(async (r) => ({ status: r.status, text: await r.text() })), 405, /POST/],
      ['no Content-Type', post(master, Buffer.from('{}'), {}), 400, /Content-Type/],
      ['text/plain', post(master, '{}', { 'content-type': 'text/plain' }), 415, /application\/json/],
      ['malformed JSON', post(master, '{"type":', { 'content-type': 'application/json' }), 400, /JSON/],
      ['malformed protobuf', post(master, Buffer.from([0x12, 0xff, 0x01]), { 'content-type': 'application/x-protobuf' }), 400, /protobuf/],
      ['an unknown call type', jsonCall(master, { type: 'LAUNCH_ROCKETS' }), 400, /'type'/],
      ['UNKNOWN', jsonCall(master, { type: 'UNKNOWN' }), 501, /UNKNOWN/],
      ['SUBSCRIBE without subscribe', jsonCall(master, { type: 'SUBSCRIBE' }), 400, /'subscribe'/],
      ['SUBSCRIBE without framework_info.user', jsonCall(master, { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'x' } } }), 400, /user/],
      ['SUBSCRIBE with a stream id', jsonCall(master, { type: 'SUBSCRIBE', subscribe: { framework_info: fwInfo('x') } }, { 'mesos-stream-id': 'abc' }), 400, /Mesos-Stream-Id/],
      ['SUBSCRIBE accepting only HTML', jsonCall(master, { type: 'SUBSCRIBE', subscribe: { framework_info: fwInfo('x') } }, { accept: 'text/html' }), 406, /Accept/],
      ['SUBSCRIBE with two ids', jsonCall(master, { type: 'SUBSCRIBE', framework_id: { value: 'a' }, subscribe: { framework_info: fwInfo('x', { id: { value: 'b' } }) } }), 400, /differs/],
      ['a call without framework_id', jsonCall(master, { type: 'REVIVE' }), 400, /framework_id/],
      ['a call of an unknown framework', jsonCall(master, { type: 'REVIVE', framework_id: { value: 'nope' } }), 400, /cannot be found/],
      ['a body above the bound', post(master, Buffer.alloc(9 * 1024 * 1024, 0x20), { 'content-type': 'application/json' }), 413, /larger/],
    ];
    for (const [what, res, code, text] of bad) {
      const r = await res;
      assert.equal(r.status, code, `${what}: ${r.status} ${r.text}`);
      assert.match(r.text, text, what);
    }

    const s = await subscribe(master, { subscribe: { framework_info: fwInfo('codes', { failover_timeout: 30 }) } });
    assert.equal(s.status, 200);
    assert.match(s.streamId, /^[0-9a-f-]{36}$/);
    await s.next('SUBSCRIBED');
    const id = s.frameworkId;
    const revive = { type: 'REVIVE', framework_id: { value: id } };
    assert.equal((await jsonCall(master, revive)).status, 400, 'no stream id');
    assert.match((await jsonCall(master, revive, { 'mesos-stream-id': '00000000-0000-0000-0000-000000000000' })).text, /didn't match/);
    assert.equal((await s.call(master, { type: 'REVIVE' })).status, 202);
    assert.equal((await s.call(master, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: Buffer.from('short').toString('base64') } })).status, 400);
    assert.equal((await s.call(master, { type: 'ACCEPT' })).status, 400, 'ACCEPT without accept');
    // Also at /master/api/v1/scheduler, as the C++ scheduler library posts.
    assert.equal((await post(master, JSON.stringify({ ...revive }), { 'content-type': 'application/json', 'mesos-stream-id': s.streamId }, '/master/api/v1/scheduler')).status, 202);
    s.close();
    await waitUntil('the framework disconnected', async () => (await frameworkInState(id))?.connected === false);
    assert.equal((await jsonCall(master, revive, { 'mesos-stream-id': s.streamId })).status, 403, 'not subscribed');
    const health = await fetch(`http://${master}/health`);
    assert.equal(health.status, 200);
  });

  it('SUBSCRIBED, an immediate HEARTBEAT, OFFERS; ACCEPT launches; UPDATEs carry a uuid until ACKNOWLEDGEd; /state shows the framework', async () => {
    const s = await subscribe(master, { subscribe: { framework_info: fwInfo('json', { capabilities: [{ type: 'MULTI_ROLE' }], roles: ['*'] }) } });
    const subscribed = await s.next('SUBSCRIBED');
    assert.equal(subscribed['subscribed'].heartbeat_interval_seconds, 15);
    assert.equal(subscribed['subscribed'].master_info.port, Number(master.split(':')[1]));
    assert.equal(s.events[1]?.type, 'HEARTBEAT', 'a HEARTBEAT right after SUBSCRIBED');
    const offer = offerOf(await s.next('OFFERS'));
    assert.equal(offer.url?.address.port, Number(cluster.agents[0]!.address.split(':')[1]));
    s.autoAck = false;
    assert.equal((await launch(s, offer, 'j1', 'true')).status, 202);
    // Each update waits for the acknowledgement of the one before it.
    for (let seen = 0, last = ''; last !== 'TASK_FINISHED'; ) {
      const e = await s.next('UPDATE', (x) => status(x).task_id.value === 'j1', seen);
      seen = s.events.indexOf(e) + 1;
      const st = status(e);
      last = st.state;
      assert.equal(st.uuid?.length, 16, `${last} carries a uuid`);
      assert.equal(st.source, 'SOURCE_EXECUTOR');
      assert.equal((await ack(s, st)).status, 202);
    }
    const fw = await waitUntil('the task completed in /state', async () => {
      const f = await frameworkInState(s.frameworkId);
      return f?.completed_tasks.some((t) => t.id === 'j1' && t.state === 'TASK_FINISHED') ? f : undefined;
    });
    assert.equal(fw.pid, undefined, 'an HTTP framework has no pid');
    assert.equal(fw.active, true);
    assert.equal(fw.connected, true);
    assert.equal((await s.call(master, { type: 'TEARDOWN' })).status, 202);
    await s.untilEnded();
    await waitUntil('the framework completed', async () => (await cluster.masterState()).completed_frameworks.some((f) => f.id === s.frameworkId));
  });

  it('speaks protobuf to a protobuf subscriber: DECLINE, SUPPRESS, REVIVE, REQUEST, UPDATE_FRAMEWORK, inverse offers, TEARDOWN', async () => {
    const s = await subscribe(master, { subscribe: { framework_info: fwInfo('proto') } }, 'protobuf');
    assert.equal(s.status, 200);
    const offer = offerOf(await s.next('OFFERS'));
    assert.ok(Resources.fromJSON(offer.resources).contains(Resources.parse('cpus:1')));
    assert.equal((await s.call(master, { type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } })).status, 202);
    assert.equal((await s.call(master, { type: 'SUPPRESS', suppress: { roles: [] } })).status, 202);
    const since = s.events.length;
    assert.equal((await s.call(master, { type: 'REVIVE', revive: { roles: [] } })).status, 202);
    await s.next('OFFERS', () => true, since); // revive clears the decline's filter
    assert.equal((await s.call(master, { type: 'REQUEST', request: { requests: [{ resources: Resources.parse('cpus:1').toJSON() }] } })).status, 202);
    assert.equal((await s.call(master, { type: 'ACCEPT_INVERSE_OFFERS', accept_inverse_offers: { inverse_offer_ids: [] } })).status, 202);
    assert.equal((await s.call(master, { type: 'DECLINE_INVERSE_OFFERS', decline_inverse_offers: { inverse_offer_ids: [] } })).status, 202);
    const update = await s.call(master, { type: 'UPDATE_FRAMEWORK', update_framework: { framework_info: fwInfo('proto-renamed', { id: { value: s.frameworkId } }) } });
    assert.equal(update.status, 200, update.text);
    assert.equal((await frameworkInState(s.frameworkId))?.name, 'proto-renamed');
    const refused = await s.call(master, { type: 'UPDATE_FRAMEWORK', update_framework: { framework_info: { user: 'someone-else', name: 'x', id: { value: s.frameworkId } } } });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /user/);
    assert.equal((await s.call(master, { type: 'TEARDOWN' })).status, 202);
    await s.untilEnded();
  });

  it('KILL, implicit and explicit reconciliation (unknown tasks are TASK_LOST), MESSAGE and SHUTDOWN', async () => {
    const s = await subscribe(master, { subscribe: { framework_info: fwInfo('kill') } });
    const offer = offerOf(await s.next('OFFERS'));
    await launch(s, offer, 'k1', 'sleep 60');
    await updateOf(s, 'k1', 'TASK_RUNNING');
    let since = s.events.length;
    assert.equal((await s.call(master, { type: 'RECONCILE', reconcile: { tasks: [] } })).status, 202);
    const implicit = status(await s.next('UPDATE', (e) => status(e).task_id.value === 'k1', since));
    assert.equal(implicit.state, 'TASK_RUNNING');
    assert.equal(implicit.reason, 'REASON_RECONCILIATION');
    assert.equal(implicit.uuid, undefined, 'reconciliation updates are not acknowledged');
    since = s.events.length;
    await s.call(master, { type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'nope' } }] } });
    assert.equal(status(await s.next('UPDATE', (e) => status(e).task_id.value === 'nope', since)).state, 'TASK_LOST');
    assert.equal((await s.call(master, { type: 'MESSAGE', message: { agent_id: offer.agent_id, executor_id: { value: 'none' }, data: 'aGk=' } })).status, 202);
    assert.equal((await s.call(master, { type: 'SHUTDOWN', shutdown: { agent_id: offer.agent_id, executor_id: { value: 'none' } } })).status, 202);
    assert.equal((await s.call(master, { type: 'KILL', kill: { task_id: { value: 'k1' }, agent_id: offer.agent_id } })).status, 202);
    await updateOf(s, 'k1', 'TASK_KILLED');
    await s.call(master, { type: 'TEARDOWN' });
  });

  it('fails over: the stream breaks, the framework waits out failover_timeout with its tasks, a subscription with its id takes it back', async () => {
    const s1 = await subscribe(master, { subscribe: { framework_info: fwInfo('failover', { failover_timeout: 60 }) } });
    const offer = offerOf(await s1.next('OFFERS'));
    s1.autoAck = false;
    await launch(s1, offer, 'f1', 'sleep 60');
    let running = await s1.next('UPDATE').then(status);
    if (running.state === 'TASK_STARTING') {
      await ack(s1, running);
      running = await updateOf(s1, 'f1', 'TASK_RUNNING');
    }
    assert.equal(running.state, 'TASK_RUNNING');
    const id = s1.frameworkId;
    s1.close(); // the scheduler dies before acknowledging TASK_RUNNING
    await waitUntil('disconnected, not removed', async () => {
      const f = await frameworkInState(id);
      return f !== undefined && !f.connected && !f.active && f.tasks.some((t) => t.id === 'f1' && t.state === 'TASK_RUNNING');
    });
    const s2 = await subscribe(master, { framework_id: { value: id }, subscribe: { framework_info: fwInfo('failover', { failover_timeout: 60, id: { value: id } }) } });
    assert.equal((await s2.next('SUBSCRIBED'))['subscribed'].framework_id.value, id);
    // The agent resends the unacknowledged update to the new instance.
    const again = await updateOf(s2, 'f1', 'TASK_RUNNING');
    assert.deepEqual(again.uuid, running.uuid);
    const f = await frameworkInState(id);
    assert.equal(f?.connected, true);
    assert.equal(f?.active, true);
    // A stranger with the id, unauthenticated, cannot take a connected framework over.
    const s3 = await subscribe(master, { framework_id: { value: id }, subscribe: { framework_info: fwInfo('failover', { id: { value: id } }) } });
    assert.match((await s3.next('ERROR'))['error'].message, /principal/);
    await s3.untilEnded();
    assert.equal((await s2.call(master, { type: 'REVIVE' })).status, 202, 'the first subscriber keeps it');
    await s2.call(master, { type: 'TEARDOWN' });
    await s2.untilEnded();
  });

  it('an HTTP framework (JSON and protobuf) and a v0 framework side by side share the cluster', async () => {
    const v0 = new RecordingScheduler(master, { name: 'v0' });
    const http = new RecordingScheduler(master, { name: 'http-json' });
    const pb = new RecordingScheduler(master, { name: 'http-proto' });
    const drivers = [
      new HttpSchedulerDriver(http, { user: '', name: 'http-json' }, master, { contentType: 'json' }),
      new HttpSchedulerDriver(pb, { user: '', name: 'http-proto' }, master, { contentType: 'protobuf' }),
    ];
    try {
      await v0.start();
      for (const d of drivers) await d.start();
      await http.next('registered');
      await pb.next('registered');
      const run = async (rec: RecordingScheduler, driver: { launchTasks: RecordingScheduler['driver']['launchTasks'] }, task: string): Promise<void> => {
        const offer = await rec.takeOffer((o) => Resources.fromJSON(o.resources).contains(Resources.parse('cpus:0.1;mem:32')));
        driver.launchTasks([offer.id], [commandTask(task, offer, 'echo hi')], { refuse_seconds: 0 });
        await rec.status(task, 'TASK_FINISHED');
      };
      await Promise.all([run(v0, v0.driver, 'side-v0'), run(http, drivers[0]!, 'side-json'), run(pb, drivers[1]!, 'side-proto')]);
      const state = await cluster.masterState();
      for (const name of ['v0', 'http-json', 'http-proto']) assert.ok(state.frameworks.some((f) => f.name === name && f.active), name);
      assert.ok(state.frameworks.find((f) => f.name === 'v0')?.pid?.startsWith('scheduler-'));
    } finally {
      await v0.stop();
      for (const d of drivers) await d.stop();
    }
  });

  it('a stream opened and never read holds no one up', async () => {
    const stalled = await new Promise<import('node:http').ClientRequest>((resolve) => {
      const req = httpRequest(`http://${master}/api/v1/scheduler`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
        res.pause(); // never read
        resolve(req);
      });
      req.end(encodeMessage('scheduler.Call', 'protobuf', { type: 'SUBSCRIBE', subscribe: { framework_info: fwInfo('stalled'), suppressed_roles: ['*'] } }));
    });
    try {
      const s = await subscribe(master, { subscribe: { framework_info: fwInfo('reader') } });
      const offer = offerOf(await s.next('OFFERS'));
      await launch(s, offer, 'r1', 'true');
      await updateOf(s, 'r1', 'TASK_FINISHED');
      await s.call(master, { type: 'TEARDOWN' });
      assert.ok((await cluster.masterState()).frameworks.some((f) => f.name === 'stalled' && f.connected));
    } finally {
      stalled.destroy();
    }
  });

  it('an unmodified third-party v1 client from npm (mesos-framework) subscribes, launches a task and sees it finish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-third-party-'));
    const [host, port] = master.split(':');
    const child = spawn(process.execPath, [fixture('third-party-scheduler.cjs'), host!, port!], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: { event: string; [k: string]: unknown }[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l));
      } catch {
        // its own log lines
      }
    });
    try {
      const [code] = (await Promise.race([once(child, 'exit'), new Promise((_, reject) => setTimeout(() => reject(new Error(`no exit; saw ${JSON.stringify(lines)}`)), 30_000))])) as [number];
      assert.equal(code, 0, JSON.stringify(lines));
      const id = lines.find((l) => l.event === 'subscribed')?.['frameworkId'] as string;
      assert.ok(id, JSON.stringify(lines));
      assert.deepEqual(lines.filter((l) => l.event === 'update').map((l) => l['state']).slice(-2), ['TASK_RUNNING', 'TASK_FINISHED']);
      await waitUntil('its teardown', async () => (await cluster.masterState()).completed_frameworks.some((f) => f.id === id && f.name === 'third-party'));
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mesos-execute --api=v1 runs a command through /api/v1/scheduler, in protobuf (its default) and JSON', async () => {
    const runs = await Promise.all(
      ['protobuf', 'json'].map((ct) => run('mesos-execute', [`--master=${master}`, `--name=exec-${ct}`, '--command=echo v1', '--resources=cpus:0.1;mem:32', '--api=v1', `--content_type=${ct}`], { timeoutMs: 30_000 })),
    );
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Subscribed with ID \S+-\d{4}$/m);
      assert.match(r.stdout, new RegExp(`Received status update TASK_FINISHED for task 'exec-${i === 0 ? 'protobuf' : 'json'}'`));
    }
    const state = await cluster.masterState();
    assert.ok(!state.frameworks.some((f) => f.name === 'mesos-execute instance'), 'each is torn down as it exits');
  });
});
