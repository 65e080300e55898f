// The operator's day through the real entry points: mesos-master and mesos-agent writing logs
// to --log_dir (Mesos's file names, glog-like text, JSON with --log_format=json and no key
// twice), the logs served at /files/read?path=/master/log and /slave/log (after rotation too),
// /logging/toggle and its revert, the `mesos` command's tables and JSON over a task
// mesos-execute ran, and an operator's kill of running tasks (POST /tasks/kill, mesos task kill).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
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
    master = background('mesos-master', ['--port=0', `--log_dir=${logs.master}`], { env: cleanEnv({ MESOS_ZOOKEEPER: 'zk://nowhere:2181/mesos' }) });
    // The address is in the log; wait for the file's "Master started at" line.
    address = await waitForLog(logs.master, 'mesos-master', /Master started at master@([\d.]+:\d+)/);
    agent = background('mesos-agent', [`--master=${address}`, `--work_dir=${join(dir, 'work')}`, '--port=0', `--log_dir=${logs.agent}`, '--log_format=json', '--max_log_size=1KB', '--resources=cpus:1;mem:256;disk:64']);
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
    assert.match(master.stderr(), /warning: MESOS_ZOOKEEPER is set but mesos-master has no flag --zookeeper/);
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
    // Every file the agent wrote (--max_log_size=1KB rotates it), oldest first.
    const files = readdirSync(logs.agent).filter((f) => f !== 'mesos-agent.INFO').map((f) => join(logs.agent, f)).sort((x, y) => statSync(x).mtimeMs - statSync(y).mtimeMs);
    const lines = files.map((f) => readFileSync(f, 'utf8')).join('').trim().split('\n');
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

  it('lists agents, frameworks and tasks, shows a task log, refuses to kill a finished task', async () => {
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
    assert.match(kill.stderr, /^error: cannot kill task 'op-task': No task 'op-task' is known to the master/);
    const teardown = await run('mesos', ['framework', 'teardown', 'no-such-framework'], { env });
    assert.equal(teardown.code, 1);
    assert.match((await run('mesos', ['--version'])).stdout, /^mesos \d/);
  });

  it('serves the agent log being written at /slave/log, also after rotations', async () => {
    const files = readdirSync(logs.agent).filter((f) => f.startsWith('mesos-agent.') && f !== 'mesos-agent.INFO').sort();
    assert.ok(files.length > 1, `--max_log_size=1KB rotated the log (files: ${files.join(', ')})`);
    const agentBase = await agentUrl(address);
    const served = (await (await fetch(`${agentBase}/files/read?path=/slave/log&offset=0&length=65536`)).json()) as { data: string };
    const current = readFileSync(realpathSync(join(logs.agent, 'mesos-agent.INFO')), 'utf8');
    assert.ok(served.data.length > 0);
    assert.ok(current.startsWith(served.data), 'the served log is the file being written now, not the first one');
    assert.notEqual(readFileSync(join(logs.agent, files[0]!), 'utf8').slice(0, 200), served.data.slice(0, 200));
  });

  it("toggles the agent's log level for a while, then reverts", async () => {
    const agentBase = await agentUrl(address);
    const level = async (): Promise<{ level: number; logger_level: string; until?: string }> => (await (await fetch(`${agentBase}/logging/toggle`)).json()) as never;
    assert.deepEqual(await level(), { level: 0, logger_level: 'info', configured_level: 'info' });
    const toggled = await fetch(`${agentBase}/logging/toggle?level=1&duration=1secs`);
    assert.equal(toggled.status, 200);
    const on = await level();
    assert.equal(on.level, 1);
    assert.equal(on.logger_level, 'debug');
    assert.ok(Date.parse(on.until ?? '') > Date.now(), on.until);
    const deadline = Date.now() + 5000;
    while ((await level()).level !== 0) {
      assert.ok(Date.now() < deadline, 'the toggle reverts after its duration');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await fetch(`${agentBase}/logging/toggle?level=x&duration=1secs`)).status, 400);
  });

  it("kills running tasks for the operator: the framework sees TASK_KILLED, mesos-execute exits", async () => {
    const env = cleanEnv({ MESOS_MASTER: address });
    const start = (): Background => background('mesos-execute', ['--name=long-task', '--command=sleep 60', '--resources=cpus:0.2;mem:32'], { env });
    const [a, b] = [start(), start()];
    await Promise.all([a.waitFor(/TASK_RUNNING/, 90_000), b.waitFor(/TASK_RUNNING/, 90_000)]);
    const kill = (body: Record<string, string>): Promise<Response> => fetch(`http://${address}/tasks/kill`, { method: 'POST', body: new URLSearchParams(body) });
    assert.equal((await fetch(`http://${address}/tasks/kill?task_id=long-task`)).status, 405);
    const unknown = await kill({ task_id: 'no-such-task' });
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /No task 'no-such-task'/);
    const ambiguous = await kill({ task_id: 'long-task' });
    assert.equal(ambiguous.status, 400);
    assert.match(await ambiguous.text(), /used by 2 frameworks .*give 'framework_id'/);
    const ambiguousCli = await run('mesos', ['task', 'kill', 'long-task'], { env });
    assert.equal(ambiguousCli.code, 1);

    const state = (await (await fetch(`http://${address}/state`)).json()) as { frameworks: { id: string; tasks: { id: string }[] }[] };
    const ids = state.frameworks.filter((f) => f.tasks.some((t) => t.id === 'long-task')).map((f) => f.id);
    assert.equal(ids.length, 2);
    for (const id of ids) {
      const r = await run('mesos', ['task', 'kill', 'long-task', `--framework=${id}`], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Killing task long-task of framework ${id} on agent \\S+\n$`));
    }
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    for (const [p, e] of [[a, ea], [b, eb]] as const) {
      // sleep 60 would end TASK_FINISHED; killed, it ends TASK_KILLED and nothing after.
      assert.match(p.stdout(), /TASK_KILLED/, p.stdout());
      assert.doesNotMatch(p.stdout(), /TASK_FINISHED/);
      assert.notEqual(e.code, null);
    }
  });
});

/** The agent's base URL, from the master's /state. */
async function agentUrl(master: string): Promise<string> {
  const state = (await (await fetch(`http://${master}/state`)).json()) as { slaves: { pid: string }[] };
  return `http://${state.slaves[0]!.pid.split('@')[1]}`;
}

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
