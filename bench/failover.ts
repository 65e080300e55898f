// `npm run bench:failover`: master failover through a real ZooKeeper with 1,000 simulated
// agents (4 processes of the scale benchmark's SimAgents) and 10 frameworks, all following
// the leader through ZooKeeper. Two `mesos-master --zk` processes; once everything is
// registered and offered, the leader is SIGKILLed. Measured from the kill: (a) the standby
// elected, (b) every agent re-registered, (c) every framework re-subscribed and offered again;
// and the registry's store latency per batch on the new leader. Baseline in the same run: the
// cold start's registration of the same 1,000 agents. One JSON line at the end.

import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { startZooKeeper } from '../detector/index.js';

const AGENTS = Number(process.env['BENCH_FAILOVER_AGENTS'] ?? 1000);
const FRAMEWORKS = 10;
const PROCS = 4;
const ROOT = join(import.meta.dirname, '..');
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

function tsx(script: string, args: string[]): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  children.push(c);
  return c;
}

async function master(zk: string): Promise<{ child: ChildProcess; address: string }> {
  const child = tsx('cli/mesos-master.ts', ['--port=0', `--zk=${zk}`, '--zk_session_timeout=2secs', '--agent_reregister_timeout=60secs', '--allocation_interval=200ms', '--agent_ping_timeout=30secs']);
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (l) => {
      const m = /address=(\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`mesos-master exited (${code})`)));
  });
  return { child, address };
}

type Tally = { registered: number; reregistered: number; frameworksRegistered: number; resubscribed: number; reoffered: number; offers: number };
const tallies = new Map<ChildProcess, Tally>();
function sims(zk: string, role: 'agents' | 'frameworks', first: number, count: number): ChildProcess {
  const c = tsx('bench/failover-node.ts', [role, zk, String(first), String(count), 'cpus:4;mem:8192']);
  createInterface({ input: c.stdout! }).on('line', (l) => {
    const t = JSON.parse(l) as Partial<Tally>;
    if (t.registered !== undefined) tallies.set(c, t as Tally);
  });
  return c;
}
const sum = (k: keyof Tally): number => [...tallies.values()].reduce((n, t) => n + t[k], 0);

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await done()) return performance.now();
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const metrics = async (address: string): Promise<Record<string, number>> => (await fetch(`http://${address}/metrics/snapshot`)).json() as Promise<Record<string, number>>;

const zk = await startZooKeeper();
try {
  const url = `zk://${zk.connect}/mesos`;
  const m1 = await master(url);
  await until('a leader', async () => (await metrics(m1.address).catch(() => ({}) as Record<string, number>))['master/elected'] === 1);
  const m2 = await master(url);
  const coldStart = performance.now();
  const per = Math.ceil(AGENTS / PROCS);
  for (let p = 0; p < PROCS; p++) sims(url, 'agents', p * per, Math.min(per, AGENTS - p * per));
  const registeredAt = await until('the agents to register', () => sum('registered') >= AGENTS);
  sims(url, 'frameworks', 0, FRAMEWORKS);
  await until('the frameworks to be offered', () => sum('frameworksRegistered') >= FRAMEWORKS && sum('offers') > 0);
  await new Promise((r) => setTimeout(r, 1000));

  const load = loadavg()[0]!;
  const killedAt = performance.now();
  m1.child.kill('SIGKILL');
  const electedAt = await until('the standby to lead', async () => (await metrics(m2.address).catch(() => ({}) as Record<string, number>))['master/elected'] === 1);
  const agentsAt = await until('every agent to re-register', () => sum('reregistered') >= AGENTS);
  const frameworksAt = await until('every framework to re-subscribe and be offered', () => sum('resubscribed') >= FRAMEWORKS && sum('reoffered') >= FRAMEWORKS);
  const m = await metrics(m2.address);
  const result = {
    agents: AGENTS,
    frameworks: FRAMEWORKS,
    elect_ms: Math.round(electedAt - killedAt),
    agents_reregistered_ms: Math.round(agentsAt - killedAt),
    frameworks_resubscribed_ms: Math.round(frameworksAt - killedAt),
    registry_store_p50_ms: m['registrar/state_store_ms/p50'],
    registry_store_p99_ms: m['registrar/state_store_ms/p99'],
    registry_stores: m['registrar/state_store_ms/count'],
    baseline_cold_register_ms: Math.round(registeredAt - coldStart),
    reregister_vs_cold_ratio: Number(((agentsAt - killedAt) / (registeredAt - coldStart)).toFixed(2)),
    zk_session_timeout_ms: 2000,
    load_avg_1m: Number(load.toFixed(2)),
    target_met: agentsAt - killedAt < 15_000,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await zk.stop();
}
process.exit(0);
