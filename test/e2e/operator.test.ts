// The operator's day through the real entry points: mesos-master and mesos-agent writing logs
// to --log_dir (Mesos's file names, glog-like text, JSON with --log_format=json and no key
// twice), the log served at /files/read?path=/master/log, /logging/toggle, and the `mesos`
// command's tables and JSON over a task mesos-execute ran.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { background, cleanEnv, run, type Background } from '../fixtures/cli-run.js';

describe('logs and the mesos command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-operator-'));
  const logs = { master: join(dir, 'master-logs'), agent: join(dir, 'agent-logs') };
  let master: Background;
  let agent: Background;
  let address = '';

  before(async () => {
    master = background('mesos-master', ['--port=0', `--log_dir=${logs.master}`], { env: cleanEnv({ MESOS_ZK: 'zk://nowhere:2181/mesos' }) });
    // The address is in the log; wait for the file's "Master started at" line.
    address = await waitForLog(logs.master, 'mesos-master', /Master started at master@([\d.]+:\d+)/);
    agent = background('mesos-agent', [`--master=${address}`, `--work_dir=${join(dir, 'work')}`, '--port=0', `--log_dir=${logs.agent}`, '--log_format=json', '--resources=cpus:1;mem:256;disk:64']);
    await waitForLog(logs.agent, 'mesos-agent', /registered/i);
    const r = await run('mesos-execute', ['--name=op-task', '--command=echo out-line; echo err-line >&2'], { env: cleanEnv({ MESOS_MASTER: address }) });
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    for (const p of [agent, master]) if (p && p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('names an unknown MESOS_* variable', () => {
    assert.match(master.stderr(), /warning: MESOS_ZK is set but mesos-master has no flag --zk/);
  });

  it('writes Mesos-named, glog-like text logs with task launches and status updates', () => {
    const files = readdirSync(logs.master);
    const target = readlinkSync(join(logs.master, 'mesos-master.INFO'));
    assert.match(target, /^mesos-master\.[^.]+\.[^.]+\.log\.INFO\.\d{8}-\d{6}\.\d+$/);
    assert.ok(files.includes(target));
    const text = readFileSync(join(logs.master, 'mesos-master.INFO'), 'utf8');
    for (const line of text.trim().split('\n')) assert.match(line, /^[IWEFD]\d{4} \d\d:\d\d:\d\d\.\d{3} \d+ [^\]]*\] /, line);
    assert.match(text, /Launching task op-task of framework \S+ with resources .* on agent \S+/);
    assert.match(text, /Status update TASK_FINISHED for task op-task/);
  });

  it('writes JSON lines with --log_format=json, the OS pid under pid, no key twice', () => {
    const lines = readFileSync(join(logs.agent, 'mesos-agent.INFO'), 'utf8').trim().split('\n');
    for (const line of lines) {
      const keys = [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]);
      const top = JSON.parse(line) as Record<string, unknown>;
      assert.equal(typeof top['pid'], 'number', line);
      assert.equal(new Set(Object.keys(top)).size, Object.keys(top).length);
      assert.ok(keys.filter((k) => k === 'pid').length <= 1, line);
    }
    assert.ok(lines.some((l) => l.includes("Got assigned task 'op-task'")));
    assert.ok(lines.some((l) => l.includes('Handling status update TASK_FINISHED for task op-task')));
  });

  it('serves its log and toggles its level over HTTP', async () => {
    const r = (await (await fetch(`http://${address}/files/read?path=/master/log&offset=0`)).json()) as { data: string };
    assert.match(r.data, /Launching task op-task/);
    assert.equal((await fetch(`http://${address}/logging/toggle?level=1&duration=1secs`)).status, 200);
    assert.equal((await fetch(`http://${address}/logging/toggle?level=x&duration=1secs`)).status, 400);
  });

  it('lists agents, frameworks and tasks, shows a task log, refuses kill honestly', async () => {
    const env = cleanEnv({ MESOS_MASTER: address });
    const agents = await run('mesos', ['agent', 'list'], { env });
    assert.equal(agents.code, 0, agents.stderr);
    assert.match(agents.stdout, /^ID\s+HOST\s+ACTIVE/);
    const tasks = await run('mesos', ['task', 'list', '--all', '--json'], { env });
    const list = JSON.parse(tasks.stdout) as { id: string; state: string }[];
    assert.deepEqual(list.map((t) => [t.id, t.state]), [['op-task', 'TASK_FINISHED']]);
    assert.doesNotMatch((await run('mesos', ['task', 'list'], { env })).stdout, /op-task/);
    assert.match((await run('mesos', [`--master=${address}`, 'framework', 'list', '--all'])).stdout, /mesos-execute instance\s+completed/);
    assert.equal((await run('mesos', ['task', 'log', 'op-task'], { env })).stdout, 'out-line\n');
    assert.equal((await run('mesos', ['task', 'log', 'op-task', '--file=stderr'], { env })).stdout, 'err-line\n');
    const kill = await run('mesos', ['task', 'kill', 'op-task'], { env });
    assert.equal(kill.code, 1);
    assert.match(kill.stderr, /^error: cannot kill task 'op-task': the master has no operator API/);
    const teardown = await run('mesos', ['framework', 'teardown', 'no-such-framework'], { env });
    assert.equal(teardown.code, 1);
    assert.match((await run('mesos', ['--version'])).stdout, /^mesos \d/);
  });
});

async function waitForLog(dir: string, name: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const m = pattern.exec(readFileSync(join(dir, `${name}.INFO`), 'utf8'));
      if (m) return m[1] ?? m[0];
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`no ${pattern} in ${dir}/${name}.INFO`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
