// The master at scale: one real master process (from dist/), N simulated agents hosted many to a
// process and F simulated frameworks (bench/scale-sim.ts) speaking the real protocol. For each
// (N, F) it measures: the time for all agents to register; sustained task launches per second
// while every framework launches tasks that finish at once (RunTask → RUNNING → FINISHED, each
// update acknowledged); the master's CPU per task, read from /proc/<pid>/stat (and the
// simulators', which share the machine); the offer cycle
// (an agent's offer to that framework's next offer of it); `/state` latency and size with
// BENCH_SCALE_STATE_TASKS tasks kept running (the first answer, which writes every task's text,
// and the median of five polled after it, which copy the texts kept); the master's RSS per agent
// and per task; and the time for all agents to re-register after the master is restarted on the
// same work_dir.
// One JSON line per run; the last run is the 10,000-agent one.
//
// Env: BENCH_SCALE_RUNS="50000:1000,10000:100" (agents:frameworks, comma-separated),
// BENCH_SCALE_SECONDS (churn, default 10), BENCH_SCALE_STATE_TASKS (default 100000),
// BENCH_SCALE_TASKS_PER_OFFER (default 10), BENCH_SCALE_INFLIGHT (churn tasks launched and not
// yet finished, across all frameworks, default 20000), BENCH_SCALE_AGENT_PROCS (default 2),
// BENCH_SCALE_FRAMEWORK_PROCS (default 1), BENCH_SCALE_PROFILE=DIR (master --cpu-prof there),
// BENCH_SCALE_MASTER_NODE_FLAGS (the master's Node flags, default MASTER_NODE_FLAGS; '' for Node's defaults).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { distIsFresh } from '../executor/index.js';
import { MASTER_NODE_FLAGS } from '../master/index.js';
import type { FrameworkMode } from './scale-sim.js';
import { median } from './stats.js';

const env = process.env;
const RUNS = (env['BENCH_SCALE_RUNS'] ?? '50000:1000,10000:100').split(',').map((r) => r.split(':').map(Number) as [number, number]);
const CHURN_S = Number(env['BENCH_SCALE_SECONDS'] ?? 10);
const STATE_TASKS = Number(env['BENCH_SCALE_STATE_TASKS'] ?? 100_000);
const STATE_POLLS = 5;
const TASKS_PER_OFFER = Number(env['BENCH_SCALE_TASKS_PER_OFFER'] ?? 10);
const INFLIGHT = Number(env['BENCH_SCALE_INFLIGHT'] ?? 20_000);
const AGENT_PROCS = Number(env['BENCH_SCALE_AGENT_PROCS'] ?? 2);
const FRAMEWORK_PROCS = Number(env['BENCH_SCALE_FRAMEWORK_PROCS'] ?? 1);
const PROFILE = env['BENCH_SCALE_PROFILE'];
const AGENT_RESOURCES = 'cpus:16;mem:65536';
const ROOT = join(import.meta.dirname, '..');
const CLK_TCK = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) of a process. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      say(`  (gave up waiting for ${what} after ${timeoutMs} ms)`);
      return false;
    }
    await sleep(50);
  }
  return true;
}

interface Master {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
}

async function startMaster(port: number, workDir: string): Promise<Master> {
  const args = [
    ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []),
    '--max-old-space-size=4096',
    ...(env['BENCH_SCALE_MASTER_NODE_FLAGS'] ?? MASTER_NODE_FLAGS.join(' ')).split(' ').filter((f) => f !== ''),
    join(ROOT, 'dist', 'cli', 'mesos-master.js'),
    '--ip=127.0.0.1',
    `--port=${port}`,
    `--work_dir=${workDir}`,
    '--logging_level=ERROR',
    '--allocation_interval=1secs',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the master did not start');
    await sleep(20);
  }
  return { child, pid: child.pid!, exited };
}

interface TallyLine {
  registered: number;
  reregistered: number;
  registeredSinceEpoch: number;
  lastRegisteredAt: number;
  launched: number;
  running: number;
  holdRunning: number;
  finished: number;
  killed: number;
  otherTerminal: number;
  offers: number;
  frameworksRegistered: number;
  reconnects: number;
  holding: number;
  offerCycleP50: number | null;
  offerCycleCount: number;
}

interface Sim {
  child: ChildProcess;
  last: TallyLine | undefined;
  exited: Promise<void>;
  send(cmd: { op: string; mode?: FrameworkMode }): void;
}

async function startSim(args: string[]): Promise<Sim> {
  const child = spawn(process.execPath, [...process.execArgv, '--max-old-space-size=4096', join(import.meta.dirname, 'scale-node.ts'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sim: Sim = {
    child,
    last: undefined,
    exited: new Promise((r) => child.once('exit', () => r())),
    send: (cmd) => void child.stdin!.write(JSON.stringify(cmd) + '\n'),
  };
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let first = true;
    lines.on('line', (line) => {
      if (first) {
        first = false;
        return resolve();
      }
      sim.last = JSON.parse(line) as TallyLine;
    });
    child.once('exit', (code) => reject(new Error(`simulator ${args[0]} exited with ${code}`)));
  });
  return sim;
}

const sum = (sims: Sim[], key: keyof TallyLine): number => sims.reduce((n, s) => n + Number(s.last?.[key] ?? 0), 0);

/** One `/state`: its latency, its size, and the master's CPU time meanwhile (less noisy than latency on a busy machine). */
async function stateOnce(port: number, pid: number): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  const c = cpuSeconds(pid);
  const t = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/state`);
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t, cpuMs: (cpuSeconds(pid) - c) * 1000, bytes: body.byteLength };
}

async function runOnce(agents: number, frameworks: number): Promise<Record<string, number | null>> {
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-bench-scale-'));
  const port = await freePort();
  const masterPid = `master@127.0.0.1:${port}`;
  let master = await startMaster(port, workDir);
  const sims: Sim[] = [];
  try {
    const rss0 = rssMb(master.pid);
    say(`N=${agents} F=${frameworks}: master up (pid ${master.pid}, ${rss0.toFixed(0)} MB); load ${load()}`);

    // Registration.
    const t0 = Date.now();
    const agentSims: Sim[] = [];
    const per = Math.ceil(agents / AGENT_PROCS);
    for (let p = 0, first = 0; first < agents; p++, first += per) {
      agentSims.push(await startSim(['agents', masterPid, String(first), String(Math.min(per, agents - first)), AGENT_RESOURCES]));
    }
    sims.push(...agentSims);
    await until('registrations', () => sum(agentSims, 'registered') >= agents, 300_000);
    const registerAllMs = Math.max(...agentSims.map((s) => s.last?.lastRegisteredAt ?? 0)) - t0;
    await sleep(500);
    const rssAgents = rssMb(master.pid);
    say(`  ${sum(agentSims, 'registered')} agents registered in ${registerAllMs} ms (simulators started at +0); master RSS ${rssAgents.toFixed(0)} MB; load ${load()}`);

    const fwSims: Sim[] = [];
    const perF = Math.ceil(frameworks / FRAMEWORK_PROCS);
    for (let first = 0; first < frameworks; first += perF) fwSims.push(await startSim(['frameworks', masterPid, String(first), String(Math.min(perF, frameworks - first))]));
    sims.push(...fwSims);
    await until('framework registrations', () => sum(fwSims, 'frameworksRegistered') >= frameworks, 60_000);

    // Churn: every offer gets TASKS_PER_OFFER tasks that finish at once.
    for (const s of fwSims) s.send({ op: 'mode', mode: { kind: 'churn', tasksPerOffer: TASKS_PER_OFFER, inflight: Math.max(1, Math.floor(INFLIGHT / frameworks)) } });
    await sleep(4000); // warm-up
    for (const s of fwSims) s.send({ op: 'epoch' });
    await sleep(300);
    const f0 = sum(fwSims, 'finished');
    const l0 = sum(fwSims, 'launched');
    const o0 = sum(fwSims, 'offers');
    const simCpu = (): number => sims.reduce((t, s) => t + cpuSeconds(s.child.pid!), 0);
    const c0 = cpuSeconds(master.pid);
    const s0 = simCpu();
    const w0 = performance.now();
    await sleep(CHURN_S * 1000);
    const f1 = sum(fwSims, 'finished');
    const c1 = cpuSeconds(master.pid);
    const s1 = simCpu();
    const w1 = performance.now();
    const offerCycle = median(fwSims.map((s) => s.last?.offerCycleP50 ?? NaN).filter((x) => !Number.isNaN(x)));
    const snapshot = (await (await fetch(`http://127.0.0.1:${port}/metrics/snapshot`)).json()) as Record<string, number>;
    const tasks = f1 - f0;
    const launchesPerS = tasks / ((w1 - w0) / 1000);
    const cpuUsPerTask = ((c1 - c0) * 1e6) / Math.max(1, tasks);
    const masterCpuShare = (c1 - c0) / ((w1 - w0) / 1000);
    // The simulated agents and frameworks share the machine with the master: their CPU per task
    // says how much of the machine is left for it.
    const simCpuUsPerTask = ((s1 - s0) * 1e6) / Math.max(1, tasks);
    say(`  churn ${CHURN_S}s: ${sum(fwSims, 'offers') - o0} offers, ${sum(fwSims, 'launched') - l0} tasks launched, ${tasks} finished, ${launchesPerS.toFixed(0)} launches/s, master ${cpuUsPerTask.toFixed(0)} µs CPU per task (${(masterCpuShare * 100).toFixed(0)}% of a core), simulators ${simCpuUsPerTask.toFixed(0)} µs, offer cycle p50 ${offerCycle.toFixed(0)} ms, allocation run p50 ${snapshot['allocator/mesos/allocation_run_ms/p50']?.toFixed(1)} ms, ${sum(fwSims, 'reconnects')} framework reconnections so far; load ${load()}`);

    // Stop churning, let the last tasks finish, then keep STATE_TASKS tasks running.
    for (const s of fwSims) s.send({ op: 'mode', mode: { kind: 'idle' } });
    let prev = -1;
    await until('churn to drain', () => {
      const done = sum(fwSims, 'finished') + sum(fwSims, 'otherTerminal');
      const settled = done === prev && done >= sum(fwSims, 'launched') - 0;
      prev = done;
      return settled;
    }, 30_000);
    await sleep(500);
    const rssBeforeHold = rssMb(master.pid);
    const tHold = Date.now();
    for (const s of fwSims) s.send({ op: 'mode', mode: { kind: 'hold', target: Math.ceil(STATE_TASKS / frameworks) } });
    await until(`${STATE_TASKS} running tasks`, () => sum(fwSims, 'holdRunning') >= STATE_TASKS, 300_000);
    for (const s of fwSims) s.send({ op: 'mode', mode: { kind: 'idle' } });
    await sleep(1000);
    const holdRunning = sum(fwSims, 'holdRunning');
    const rssHold = rssMb(master.pid);
    say(`  ${holdRunning} tasks running after ${Date.now() - tHold} ms; master RSS ${rssHold.toFixed(0)} MB; load ${load()}`);
    // The first answer writes every task's text; the polled ones after it copy the texts kept.
    const states: { ms: number; cpuMs: number; bytes: number }[] = [];
    for (let i = 0; i < 1 + STATE_POLLS; i++) states.push(await stateOnce(port, master.pid));
    const polled = states.slice(1);
    const stateMs = median(polled.map((s) => s.ms));
    const stateCpuMs = median(polled.map((s) => s.cpuMs));
    const stateBytes = states[states.length - 1]!.bytes;
    say(`  /state: first ${states[0]!.ms.toFixed(0)} ms, polled ${polled.map((s) => s.ms.toFixed(0)).join(', ')} ms (master CPU ${states[0]!.cpuMs.toFixed(0)}; ${polled.map((s) => s.cpuMs.toFixed(0)).join(', ')} ms), ${(stateBytes / 1e6).toFixed(1)} MB; load ${load()}`);

    // Master restart on the same work_dir: every agent re-registers with its tasks.
    for (const s of agentSims) s.send({ op: 'epoch' });
    await sleep(300);
    master.child.kill('SIGTERM');
    await master.exited;
    const tRestart = Date.now();
    master = await startMaster(port, workDir);
    const listening = Date.now() - tRestart;
    await until('re-registrations', () => sum(agentSims, 'registeredSinceEpoch') >= agents, 300_000);
    const reregisterAllMs = Math.max(...agentSims.map((s) => s.last?.lastRegisteredAt ?? 0)) - tRestart;
    const rssAfter = rssMb(master.pid);
    say(`  master restarted (listening after ${listening} ms): ${sum(agentSims, 'registeredSinceEpoch')} agents re-registered ${reregisterAllMs} ms after the restart; master RSS ${rssAfter.toFixed(0)} MB; load ${load()}`);

    return {
      agents,
      frameworks,
      task_launches_per_s: Math.round(launchesPerS),
      // No task finished in the window (a starved machine): no figure, rather than CPU / 1.
      master_cpu_us_per_task: tasks > 0 ? Math.round(cpuUsPerTask) : null,
      sim_cpu_us_per_task: tasks > 0 ? Math.round(simCpuUsPerTask) : null,
      offer_cycle_ms: +offerCycle.toFixed(1),
      state_ms: Math.round(stateMs),
      state_first_ms: Math.round(states[0]!.ms),
      state_first_cpu_ms: Math.round(states[0]!.cpuMs),
      state_bytes: stateBytes,
      state_cpu_ms: Math.round(stateCpuMs),
      rss_mb: Math.round(rssHold),
      reregister_all_ms: reregisterAllMs,
      register_all_ms: registerAllMs,
      rss_kb_per_agent: +(((rssAgents - rss0) * 1024) / agents).toFixed(1),
      rss_kb_per_task: +(((rssHold - rssBeforeHold) * 1024) / Math.max(1, holdRunning)).toFixed(2),
      state_tasks: holdRunning,
    };
  } finally {
    for (const s of sims) s.send({ op: 'stop' });
    await Promise.race([Promise.all(sims.map((s) => s.exited)), sleep(10_000)]);
    for (const s of sims) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    master.child.kill('SIGTERM');
    await Promise.race([master.exited, sleep(20_000)]);
    if (master.child.exitCode === null) master.child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (!distIsFresh()) {
  say('building dist/ (the master runs from it)…');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
for (const [agents, frameworks] of RUNS) {
  const result = await runOnce(agents, frameworks);
  console.log(JSON.stringify({ ...result, load: load() }));
}
