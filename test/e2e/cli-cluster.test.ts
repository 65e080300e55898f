// The commands together, as a user runs them: mesos-local starts a master and two agents as
// processes, mesos-execute runs tasks that finish, fail and get killed, the master's /state and
// /metrics/snapshot tell the same story, mesos-trace renders it (checked in a real Chromium when
// one is installed), and Ctrl-C leaves no process behind.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alive, background, fileUrl, processesMentioning, run, type Background, type RunResult } from '../fixtures/cli-run.js';

const CHROMIUM = '/usr/bin/chromium';

interface Metrics {
  [name: string]: number;
}
interface StateTask {
  id: string;
  name: string;
  state: string;
  slave_id: string;
}
interface StateFramework {
  id: string;
  name: string;
  tasks: StateTask[];
  completed_tasks: StateTask[];
}
interface MasterState {
  activated_slaves: number;
  slaves: { id: string; pid: string; active: boolean }[];
  frameworks: StateFramework[];
  completed_frameworks: StateFramework[];
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

/** The lines mesos-execute prints for one update, as Mesos's mesos-execute prints them. */
const update = (state: string, task: string, extra: string[] = []): string => [`Received status update ${state} for task '${task}'`, ...extra.map((l) => `  ${l}`)].join('\n');

describe('a local cluster driven by the commands', { timeout: 150_000 }, () => {
  let dir: string;
  let local: Background;
  let master: string;
  let osPids: number[];
  const execs: Record<string, Promise<RunResult>> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-cluster-'));
    local = background('mesos-local', [
      '--num_agents=2',
      '--port=0',
      `--work_dir=${join(dir, 'work')}`,
      `--trace_dir=${join(dir, 'traces')}`,
      '--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31099]',
      '--allocation_interval=200ms',
      '--logging_level=WARNING',
    ]);
    await local.waitFor(/Press Ctrl-C to stop\./, 60_000);
    master = /Master\s+http:\/\/(\S+)/.exec(local.stdout())![1]!;
    osPids = [...local.stdout().matchAll(/OS pid (\d+)/g)].map((m) => Number(m[1]));
    // mesos-local turns authentication on and prints the framework credential it generated.
    const [, principal, secret] = /DEFAULT_PRINCIPAL=(\S+) DEFAULT_SECRET=(\S+)/.exec(local.stdout())!;
    // Three users at once: one command succeeds, one fails, one is killed after it runs.
    const exec = (name: string, command: string, more: string[] = []): Promise<RunResult> =>
      run('mesos-execute', [`--master=${master}`, `--name=${name}`, `--command=${command}`, '--resources=cpus:0.5;mem:64', `--principal=${principal}`, `--secret=${secret}`, ...more], { timeoutMs: 60_000 });
    execs['hello'] = exec('hello', 'echo "hello $GREETING"', ['--env={"GREETING":"world"}']);
    execs['fails'] = exec('fails', 'exit 3');
    execs['sleeper'] = exec('sleeper', 'sleep 60', ['--kill_after=1secs']);
  });

  after(() => {
    if (local.child.exitCode === null && local.child.signalCode === null) local.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('mesos-local prints the master, the agents and how to run a task', () => {
    const out = local.stdout();
    assert.match(out, /^mesos-local: a master and 2 agents are running\./);
    assert.match(out, /State\s+http:\/\/127\.0\.0\.1:\d+\/state/);
    assert.match(out, /agent-1\s+http:\/\/127\.0\.0\.1:\d+\/state\s+\(id \S+-S\d+, OS pid \d+\)/);
    assert.match(out, /agent-2\s+http:\/\/127\.0\.0\.1:\d+\/state/);
    assert.match(out, new RegExp(`mesos-execute(\\.ts)? --master=${master.replace(/\./g, '\\.')} --name=hello`));
    assert.equal(osPids.length, 3);
  });

  it('mesos-execute runs a command to TASK_FINISHED and exits 0, printing what Mesos prints', async () => {
    const r = await execs['hello']!;
    assert.equal(r.code, 0, r.stderr);
    const expected = new RegExp(
      [
        '^Subscribed with ID \\S+-\\d{4}',
        "Submitted task 'hello' to agent '\\S+-S\\d+'",
        `(${escape(update('TASK_STARTING', 'hello', ['source: SOURCE_EXECUTOR']))}\\n)?${escape(update('TASK_RUNNING', 'hello', ['source: SOURCE_EXECUTOR']))}`,
        escape(update('TASK_FINISHED', 'hello', ["message: 'Command exited with status 0'", 'source: SOURCE_EXECUTOR'])),
        '$',
      ].join('\\n'),
    );
    assert.match(r.stdout, expected);
  });

  it('mesos-execute reports TASK_FAILED when the command fails, and exits 0 as Mesos does after a terminal state', async () => {
    const r = await execs['fails']!;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith(`${update('TASK_FAILED', 'fails', ["message: 'Command exited with status 3'", 'source: SOURCE_EXECUTOR'])}\n`), r.stdout);
  });

  it('mesos-execute --kill_after kills the running task: TASK_KILLED, exit 0', async () => {
    const r = await execs['sleeper']!;
    assert.equal(r.code, 0, r.stderr);
    const agent = /Submitted task 'sleeper' to agent '(\S+)'/.exec(r.stdout)?.[1];
    assert.ok(agent, r.stdout);
    assert.ok(r.stdout.includes(`Asked to kill task 'sleeper' on agent '${agent}'`), r.stdout);
    assert.ok(r.stdout.indexOf('TASK_RUNNING') < r.stdout.indexOf('Asked to kill'), 'the kill comes after TASK_RUNNING');
    assert.match(r.stdout, /Received status update TASK_KILLED for task 'sleeper'\n(  .*\n)*$/);
  });

  it("the master's /state and /metrics/snapshot show the agents and what happened to the tasks", async () => {
    await Promise.all(Object.values(execs));
    const [state, metrics] = await Promise.all([getJson<MasterState>(`http://${master}/state`), getJson<Metrics>(`http://${master}/metrics/snapshot`)]);
    assert.equal(metrics['master/slaves_active'], 2);
    assert.equal(state.activated_slaves, 2);
    assert.equal(state.slaves.filter((s) => s.active).length, 2);
    assert.equal(metrics['master/tasks_finished'], 1);
    assert.equal(metrics['master/tasks_failed'], 1);
    assert.equal(metrics['master/tasks_killed'], 1);
    assert.equal(metrics['master/tasks_running'], 0);
    // Each mesos-execute framework is gone once its command exits.
    assert.equal(metrics['master/frameworks_active'], 0);
    assert.equal(state.frameworks.length, 0);
    const done = new Map(state.completed_frameworks.flatMap((f) => f.completed_tasks.map((t) => [t.id, { state: t.state, framework: f.name, agent: t.slave_id }] as const)));
    assert.equal(done.get('hello')?.state, 'TASK_FINISHED');
    assert.equal(done.get('fails')?.state, 'TASK_FAILED');
    assert.equal(done.get('sleeper')?.state, 'TASK_KILLED');
    assert.equal(done.get('hello')?.framework, 'mesos-execute instance');
    const agentIds = new Set(state.slaves.map((s) => s.id));
    for (const t of done.values()) assert.ok(agentIds.has(t.agent), `task ran on a known agent ${t.agent}`);
  });

  it('Ctrl-C stops mesos-local, its master, its agents and their executors', async () => {
    await Promise.all(Object.values(execs));
    local.child.kill('SIGINT');
    const { code } = await local.exited;
    assert.equal(code, 0, local.stderr());
    assert.match(local.stdout(), /mesos-local: stopped\./);
    for (const pid of osPids) assert.equal(alive(pid), false, `process ${pid} is gone`);
    assert.deepEqual(processesMentioning(join(dir, 'work')), [], 'no process (executor or task) of the cluster is left');
  });

  it('mesos-trace renders the cluster as text, Mermaid and HTML', async () => {
    const traces = join(dir, 'traces');
    const files = ['master', 'agent-1', 'agent-2'].map((n) => join(traces, `${n}.trace.jsonl`));
    for (const f of files) assert.ok(existsSync(f), `${f} was written`);
    const executors = ['agent-1', 'agent-2'].map((n) => join(traces, `${n}-executors.trace.jsonl`)).filter((f) => existsSync(f));
    assert.ok(executors.length > 0, 'the executors traced too');
    const all = [...files, ...executors];
    const html = join(dir, 'hello.html');
    const [text, mermaid, page] = await Promise.all([
      run('mesos-trace', ['--task=hello', ...all]),
      run('mesos-trace', ['--format=mermaid', '--task=sleeper', ...all]),
      run('mesos-trace', ['--format=html', '--task=hello', '-o', html, ...all]),
    ]);
    assert.equal(text.code, 0, text.stderr);
    for (const name of ['RunTask', 'StatusUpdate', 'StatusUpdateAcknowledgement', 'master']) assert.ok(text.stdout.includes(name), `text shows ${name}`);
    assert.equal(mermaid.code, 0, mermaid.stderr);
    assert.match(mermaid.stdout, /^sequenceDiagram/m);
    assert.match(mermaid.stdout, /KillTask/);
    assert.equal(page.code, 0, page.stderr);
    const body = readFileSync(html, 'utf8');
    assert.match(body, /^<!doctype html>/i);
    assert.match(body, /<svg/);
  });

  it('the HTML page renders in a real headless Chromium: actors, arrows, no script errors', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)` }, async () => {
    const html = join(dir, 'hello.html');
    assert.ok(existsSync(html), 'the previous test wrote the page');
    const { dom, stderr } = await dumpDom(html);
    const consoleLines = stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l));
    assert.deepEqual(consoleLines, [], 'no console messages (errors) from the page');
    assert.match(dom, /<svg[^>]*class="actors"/);
    assert.match(dom, /<svg[^>]*class="flow"/);
    const actors = dom.match(/<g class="actor"/g)?.length ?? 0;
    const arrows = dom.match(/<polygon class="head"/g)?.length ?? 0;
    assert.ok(actors >= 3, `at least scheduler, master and agent lanes (got ${actors})`);
    assert.ok(arrows >= 5, `arrows for the messages (got ${arrows})`);
    for (const text of ['master', 'RunTask', 'StatusUpdate']) assert.ok(dom.includes(text), `the page shows ${text}`);
  });
});

// ---------------------------------------------------------------------------------------------

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Chromium's rendering of a page after its scripts ran, and what Chromium logged. */
function dumpDom(file: string): Promise<{ dom: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'cli-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
    '--dump-dom',
    fileUrl(file),
  ];
  return new Promise((resolve, reject) => {
    const c = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let dom = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (dom += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.once('error', reject);
    c.once('close', (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`chromium exited ${code}: ${stderr}`));
      else resolve({ dom, stderr });
    });
  });
}
