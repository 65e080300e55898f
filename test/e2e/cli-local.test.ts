// mesos-local, mesos-master and mesos-agent at the edges: a port already taken, a mesos-local
// killed outright (its children notice and take their tasks with them), and the daemons run on
// their own, configured through MESOS_* variables, stopping with exit 0 on SIGTERM.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alive, background, cleanEnv, processesMentioning, run, type Background } from '../fixtures/cli-run.js';

interface Metrics {
  [name: string]: number;
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

describe('mesos-local when a process cannot start', { timeout: 60_000 }, () => {
  let busy: Server;
  let port: number;
  before(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    port = (busy.address() as { port: number }).port;
  });
  after(() => busy.close());

  it('exits 1 with one line saying why, and leaves nothing running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-local-busy-'));
    try {
      const r = await run('mesos-local', [`--port=${port}`, `--work_dir=${dir}`, '--num_agents=1']);
      assert.equal(r.code, 1, r.stderr);
      const last = r.stderr.trimEnd().split('\n').at(-1)!;
      assert.match(last, new RegExp(`^error: master exited before it started \\(exit code 1\\): cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
      assert.deepEqual(processesMentioning(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mesos-local killed outright', { timeout: 90_000 }, () => {
  it('takes its master, agents and running tasks with it: the children notice their parent is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-local-killed-'));
    const local = background('mesos-local', ['--num_agents=1', '--port=0', `--work_dir=${dir}`, '--allocation_interval=200ms', '--logging_level=WARNING']);
    try {
      await local.waitFor(/Press Ctrl-C to stop\./, 60_000);
      const master = /Master\s+http:\/\/(\S+)/.exec(local.stdout())![1]!;
      const osPids = [...local.stdout().matchAll(/OS pid (\d+)/g)].map((m) => Number(m[1]));
      const [, principal, secret] = /DEFAULT_PRINCIPAL=(\S+) DEFAULT_SECRET=(\S+)/.exec(local.stdout())!;
      const exec = background('mesos-execute', [`--master=${master}`, '--name=long', '--command=sleep 120', '--resources=cpus:0.1;mem:32', `--principal=${principal}`, `--secret=${secret}`]);
      await exec.waitFor(/TASK_RUNNING/, 45_000);
      assert.ok(processesMentioning(dir).length > osPids.length, 'the task runs under the work dir');
      local.child.kill('SIGKILL');
      await local.exited;
      await poll(async () => (osPids.every((p) => !alive(p)) && processesMentioning(dir).length === 0 ? true : undefined), 30_000);
      exec.child.kill('SIGKILL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mesos-master and mesos-agent run on their own', { timeout: 90_000 }, () => {
  it('start, register (the agent configured through MESOS_* variables), and stop on SIGTERM with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-daemons-'));
    try {
      const m = background('mesos-master', ['--port=0', '--allocation_interval=250ms', '--logging_level=INFO']);
      const address = await waitForStderr(m, /Master started at master@(127\.0\.0\.1:\d+)/);
      const a = background('mesos-agent', ['--port=0'], {
        env: cleanEnv({ MESOS_MASTER: address, MESOS_WORK_DIR: join(dir, 'agent'), MESOS_RESOURCES: 'cpus:1;mem:256', MESOS_ATTRIBUTES: 'rack:r1' }),
      });
      await waitForStderr(a, /Agent started at slave\(1\)@127\.0\.0\.1:\d+/);
      const state = await poll(async () => {
        const s = await getJson<{ slaves: unknown[]; flags: Record<string, string> }>(`http://${address}/state`);
        return s.slaves.length === 1 ? s : undefined;
      });
      assert.equal(state.flags['allocation_interval'], '250ms');
      assert.equal(state.flags['port'], '0');
      const metrics = await getJson<Metrics>(`http://${address}/metrics/snapshot`);
      assert.equal(metrics['master/slaves_active'], 1);
      a.child.kill('SIGTERM');
      assert.equal((await a.exited).code, 0, a.stderr());
      m.child.kill('SIGTERM');
      assert.equal((await m.exited).code, 0, m.stderr());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mesos-master refuses a port in use with one line', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await run('mesos-master', [`--port=${port}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr.trimEnd().split('\n').at(-1)!, new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
    } finally {
      busy.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

async function waitForStderr(p: Background, pattern: RegExp, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(p.stderr());
    if (m !== null) return m[1] ?? m[0];
    if (p.child.exitCode !== null) throw new Error(`exited before logging ${pattern}: ${p.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} in stderr: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
