// The scale benchmark's simulated peers against a real master process: 50 SimAgents and two
// SimFrameworks in this process register, launch tasks that run and finish with every update
// acknowledged, keep some running, and re-register all agents (with their running tasks) after
// the master restarts on the same work_dir.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, parsePid, Runtime } from '../../runtime/index.js';
import { Resources } from '../../protocol/index.js';
import { SimAgent, SimFramework, Tally } from '../../bench/scale-sim.js';
import { background, type Background } from '../fixtures/cli-run.js';

const AGENTS = 50;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startMaster(port: number, workDir: string): Background {
  return background('mesos-master', ['--ip=127.0.0.1', `--port=${port}`, `--work_dir=${workDir}`, '--allocation_interval=100ms', '--quiet']);
}

async function waitHealthy(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('the master did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metrics(port: number): Promise<Record<string, number>> {
  return (await (await fetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>;
}

test('simulated agents and frameworks speak the protocol with a real master, and re-register after it restarts', { timeout: 60_000 }, async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'scale-sim-'));
  const port = await freePort();
  let master = startMaster(port, workDir);
  await waitHealthy(port);
  const masterPid = parsePid(`master@127.0.0.1:${port}`);
  const runtime = await Runtime.start({ ip: '127.0.0.1', port: 0, logger: createLogger({ level: 'error' }) });
  try {
    const tally = new Tally();
    const total = Resources.parse('cpus:1;mem:1024').toJSON();
    for (let i = 0; i < AGENTS; i++) runtime.spawn(new SimAgent(masterPid, { hostname: `sim-${i}`, resources: total, attributes: [] }, tally, Math.random() * 200), `slave(${i})`);
    await until('all agents to register', () => tally.registered === AGENTS);
    assert.equal((await metrics(port))['master/slaves_active'], AGENTS);

    const fwTally = new Tally();
    const frameworks = [0, 1].map((i) => runtime.spawn(new SimFramework(masterPid, `fw${i}`, { cpus: 0.1, mem: 8 }, fwTally), `scheduler-${i}`));
    await until('the frameworks to register', () => fwTally.frameworksRegistered === 2);
    for (const f of frameworks) f.mode = { kind: 'churn', tasksPerOffer: 2, inflight: 50 };
    await until('200 tasks to finish', () => fwTally.finished >= 200, 20_000);
    for (const f of frameworks) f.mode = { kind: 'idle' };
    await until('the churn to drain', () => frameworks.every((f) => f.churning === 0));
    assert.equal(fwTally.otherTerminal, 0, 'no task failed or was lost');

    for (const f of frameworks) f.mode = { kind: 'hold', target: 20 };
    for (const f of frameworks) runtime.send('', f.self, { name: '_Revive' });
    await until('40 tasks to run', () => fwTally.holdRunning >= 40);
    for (const f of frameworks) f.mode = { kind: 'idle' };
    const m = await metrics(port);
    assert.equal(m['master/tasks_running'], 40);
    assert.equal(m['master/tasks_finished'], fwTally.finished);
    assert.equal(m['master/invalid_status_updates'], 0);
    assert.equal(m['master/invalid_status_update_acknowledgements'] ?? 0, 0);

    // The master restarts on its work_dir; every agent re-registers with its running tasks.
    tally.registeredSinceEpoch = 0;
    master.child.kill('SIGTERM');
    await master.exited;
    master = startMaster(port, workDir);
    await waitHealthy(port);
    await until('all agents to re-register', () => tally.registeredSinceEpoch === AGENTS, 20_000);
    assert.equal(tally.reregistered, AGENTS);
    const after = await metrics(port);
    assert.equal(after['master/slaves_active'], AGENTS);
    assert.equal(after['master/tasks_running'], 40, 'the re-registered agents reported their running tasks');
  } finally {
    await runtime.stop();
    master.child.kill('SIGTERM');
    await master.exited;
    rmSync(workDir, { recursive: true, force: true });
  }
});
