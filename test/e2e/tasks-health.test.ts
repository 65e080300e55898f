// Health checks and checks of command tasks on a cluster of OS processes (Mesos's
// HealthCheckTest and CheckTest): a failing COMMAND check kills the task after
// consecutive_failures, a passing one reports healthy, and HTTP and TCP checks probe a server
// the task itself runs; the master's /state keeps what the updates said.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { commandTask, E2ECluster, RecordingScheduler, waitUntil } from '../fixtures/e2e-cluster.js';
import type { Offer, TaskInfo, TaskStatus } from '../../protocol/index.js';

/** A port nothing listens on right now, for a task's server. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A task that serves HTTP on `port` (200 on /ok, 503 elsewhere). */
const server = (port: number): string =>
  `exec node -e "require('http').createServer((q,s)=>{s.statusCode=q.url==='/ok'?200:503;s.end()}).listen(${port},'127.0.0.1')"`;

const fast = { delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 5, grace_period_seconds: 0 };

const seen = (s: TaskStatus): Record<string, unknown> => ({ state: s.state, healthy: s.healthy, reason: s.reason });

describe('health checks and checks', { timeout: 60_000 }, () => {
  let cluster: E2ECluster;
  let fw: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048'] });
    fw = new RecordingScheduler(cluster.master.address, { name: 'health' });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    const left = await cluster?.stop();
    assert.deepEqual(left, [], 'no task or check process outlives the cluster');
  });

  const launch = (task: (offer: Offer) => TaskInfo): Promise<Offer> => fw.launch((offer) => [task(offer)]);

  it('a COMMAND health check that always fails kills the task after consecutive_failures: TASK_KILLED with healthy=false', async () => {
    await launch((offer) => ({
      ...commandTask('sick', offer, 'sleep 60'),
      health_check: { type: 'COMMAND', command: { value: 'exit 1' }, consecutive_failures: 3, ...fast },
    }));
    const killed = await fw.status('sick', 'TASK_KILLED');
    assert.equal(killed.healthy, false);
    const updates = fw.statusesOf('sick').map(seen);
    assert.deepEqual(updates, [
      { state: 'TASK_STARTING', healthy: undefined, reason: undefined },
      { state: 'TASK_RUNNING', healthy: undefined, reason: undefined },
      { state: 'TASK_RUNNING', healthy: false, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' },
      { state: 'TASK_RUNNING', healthy: false, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' },
      { state: 'TASK_RUNNING', healthy: false, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' },
      { state: 'TASK_KILLED', healthy: false, reason: undefined },
    ]);
    assert.match(fw.statusesOf('sick')[2]!.message ?? '', /COMMAND health check failed: Command exited with status 1/);
  });

  it('a passing COMMAND health check reports healthy once, visible in /state, and a kill ends the task as usual', async () => {
    await launch((offer) => ({
      ...commandTask('well', offer, 'touch ready; sleep 60'),
      health_check: { type: 'COMMAND', command: { value: 'test -f ready' }, consecutive_failures: 1, ...fast, grace_period_seconds: 10 },
    }));
    const healthy = await fw.status('well', 'TASK_RUNNING', { pred: (s) => s.healthy === true });
    assert.equal(healthy.reason, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
    const task = await waitUntil('the healthy status in /state', async () => {
      const f = (await cluster.masterState()).frameworks.find((x) => x.id === fw.frameworkId);
      const t = f?.tasks.find((x) => x.id === 'well') as { statuses: { healthy?: boolean }[]; health_check?: unknown } | undefined;
      return t?.statuses.some((s) => s.healthy === true) ? t : undefined;
    });
    assert.equal((task.health_check as { type: string }).type, 'COMMAND');
    // Several intervals pass: a health that does not change is not reported again.
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(fw.statusesOf('well').filter((s) => s.healthy !== undefined).length, 1);
    fw.driver.killTask({ value: 'well' });
    const killed = await fw.status('well', 'TASK_KILLED');
    assert.equal(killed.healthy, undefined);
  });

  it('HTTP health check and HTTP check against the server the task runs: healthy, check_status 200', async () => {
    const port = await freePort();
    await launch((offer) => ({
      ...commandTask('web', offer, server(port)),
      health_check: { type: 'HTTP', http: { port, path: '/ok' }, consecutive_failures: 100, ...fast, grace_period_seconds: 20 },
      check: { type: 'HTTP', http: { port, path: '/other' }, delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 5 },
    }));
    const first = await fw.status('web', 'TASK_RUNNING');
    assert.deepEqual(first.check_status, { type: 'HTTP', http: {} }, 'the first TASK_RUNNING carries the check, with no result yet');
    await fw.status('web', 'TASK_RUNNING', { pred: (s) => s.healthy === true });
    const checked = await fw.status('web', 'TASK_RUNNING', { pred: (s) => s.check_status?.http?.status_code !== undefined });
    assert.equal(checked.reason, 'REASON_TASK_CHECK_STATUS_UPDATED');
    assert.equal(checked.check_status?.http?.status_code, 503);
    fw.driver.killTask({ value: 'web' });
    await fw.status('web', 'TASK_KILLED');
  });

  it('a TCP health check fails while nothing listens and kills the task; one against a listening port is healthy', async () => {
    const port = await freePort();
    await launch((offer) => ({
      ...commandTask('deaf', offer, 'sleep 60'),
      health_check: { type: 'TCP', tcp: { port }, consecutive_failures: 2, ...fast },
    }));
    const port2 = await freePort();
    await launch((offer) => ({
      ...commandTask('listens', offer, server(port2)),
      health_check: { type: 'TCP', tcp: { port: port2 }, consecutive_failures: 100, ...fast, grace_period_seconds: 20 },
      check: { type: 'TCP', tcp: { port: port2 }, delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 5 },
    }));
    const killed = await fw.status('deaf', 'TASK_KILLED');
    assert.equal(killed.healthy, false);
    assert.match(fw.statusesOf('deaf').find((s) => s.healthy === false)?.message ?? '', /TCP health check failed: Failed to connect to 127\.0\.0\.1/);
    await fw.status('listens', 'TASK_RUNNING', { pred: (s) => s.healthy === true });
    await fw.status('listens', 'TASK_RUNNING', { pred: (s) => s.check_status?.tcp?.succeeded === true });
    fw.driver.killTask({ value: 'listens' });
    await fw.status('listens', 'TASK_KILLED');
  });
});
