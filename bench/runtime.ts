// Runtime benchmark: remote actor→actor one-way throughput between two OS processes, beside
// the raw baseline of the same MessagePack batches over a bare ws socket; the same with tracing
// on in both processes, with authentication and with TLS; ping-pong round trips, beside a bare
// ws echo's; and in-process throughput. Every remote setup is open side by side and their rounds
// interleaved (raw, plain, traced, auth, TLS, raw, …), so a burst of load from elsewhere hits
// them alike: each ratio is the median of its per-cycle ratios, reported with their range and
// the load average. The round trips are measured in alternating blocks for the same reason.
// The last line is one JSON object.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import { execFileSync } from 'node:child_process';
import { Actor, Runtime, pid, startTrace, type Handlers, type Pid } from '../runtime/index.js';
import { secureOptions } from './runtime-secure.js';
import { median, percentile } from './stats.js';

const REMOTE_N = Number(process.env['BENCH_REMOTE_N'] ?? 400_000);
const LOCAL_N = Number(process.env['BENCH_LOCAL_N'] ?? 5_000_000);
const RTT_N = 5_000;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const BURST = 4096;
const payload = 'x'.repeat(60);

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function startPeer(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'runtime-peer.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { child, address: (JSON.parse(line) as { address: string }).address };
}

type Done = { name: 'Done'; count: number };
type Pong = { name: 'Pong'; seq: number };

class Driver extends Actor<Done | Pong> {
  onDone: () => void = () => {};
  rtts: number[] = [];
  private sentAt = 0;
  private echo: Pid | undefined;
  private remaining = 0;
  private onRtts: () => void = () => {};
  protected readonly handlers: Handlers<Done | Pong> = {
    Done: () => this.onDone(),
    // Ping-pong driven from the handler, as an actor would: the next Ping leaves with this batch.
    Pong: () => {
      this.rtts.push((performance.now() - this.sentAt) * 1000);
      if (--this.remaining > 0) this.ping();
      else this.onRtts();
    },
  };
  pingPong(echo: Pid, n: number): Promise<void> {
    this.echo = echo;
    this.remaining = n;
    this.rtts = [];
    return new Promise((resolve) => {
      this.onRtts = resolve;
      this.ping();
    });
  }
  private ping(): void {
    this.sentAt = performance.now();
    this.send(this.echo!, { name: 'Ping', seq: this.remaining });
  }
}

async function remoteRound(rt: Runtime, driver: Driver, sink: Pid): Promise<number> {
  const done = new Promise<void>((r) => (driver.onDone = r));
  const t0 = performance.now();
  for (let n = 1; n <= REMOTE_N; ) {
    for (const end = Math.min(REMOTE_N, n + BURST - 1); n <= end; n++) rt.send(driver.self, sink, { name: 'Seq', n, total: REMOTE_N, payload });
    await turn();
  }
  await done;
  return REMOTE_N / ((performance.now() - t0) / 1000);
}

type Secure = 'auth' | 'tls';

/** A driver runtime and its far peer, kept open so that rounds of several setups can interleave. */
interface RemotePair {
  round(): Promise<number>;
  rtts(n: number): Promise<number[]>;
  bytes: number;
  close(): Promise<void>;
}

async function openRemote(traceDir?: string, secure?: Secure): Promise<RemotePair> {
  const env = { ...process.env };
  if (secure) env['BENCH_SECURE'] = secure;
  else delete env['BENCH_SECURE'];
  const peer = await startPeer(['runtime', ...(traceDir ? [join(traceDir, 'peer.jsonl')] : [])], env);
  const rt = await Runtime.start(secureOptions(secure ?? ''));
  const tracer = traceDir ? startTrace(rt, join(traceDir, 'driver.jsonl')) : undefined;
  const driver = rt.spawn(new Driver(), 'driver');
  const sink = pid('sink', peer.address);
  // The connection first (one ping-pong): until it is open, the runtime holds at most
  // maxQueuedPerPeer messages for the peer and drops the rest, and a round would never end.
  await driver.pingPong(pid('echo', peer.address), 1);
  await remoteRound(rt, driver, sink); // warm-up
  return {
    round: () => remoteRound(rt, driver, sink),
    rtts: async (n) => {
      await driver.pingPong(pid('echo', peer.address), n);
      return driver.rtts.slice(n / 10);
    },
    bytes: new Packr({ useRecords: false }).pack([sink, driver.self, 'Seq', 'abcdef.1z2x', null, { name: 'Seq', n: 123456, total: REMOTE_N, payload }]).length,
    close: async () => {
      tracer?.stop();
      await rt.stop();
      peer.child.kill('SIGTERM');
    },
  };
}

/** The baseline: a bare ws socket to a peer that decodes the same MessagePack batches and echoes text frames. */
async function openRaw(): Promise<Omit<RemotePair, 'bytes'>> {
  const peer = await startPeer(['raw']);
  const ws = new WebSocket(`ws://${peer.address}/`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  const packr = new Packr({ useRecords: false });
  const round = async (): Promise<number> => {
    const done = new Promise((r) => ws.once('message', r));
    const t0 = performance.now();
    for (let n = 1; n <= REMOTE_N; ) {
      const batch: unknown[] = [];
      for (const end = Math.min(REMOTE_N, n + 1023); n <= end; n++) batch.push(['sink@127.0.0.1:1', 'driver@127.0.0.1:2', 'Seq', `abcdef.${n.toString(36)}`, null, { name: 'Seq', n, total: REMOTE_N, payload }]);
      const packed = packr.pack(batch);
      ws.send(packed.subarray(packed[0]! <= 0x9f ? 1 : packed[0] === 0xdc ? 3 : 5));
      if (n % BURST < 1024) await turn();
    }
    await done;
    return REMOTE_N / ((performance.now() - t0) / 1000);
  };
  await round(); // warm-up
  return {
    round,
    // A bare ws text frame echoed by the peer, n times in turn.
    rtts: async (n) => {
      const rtts: number[] = [];
      for (let i = 0; i < n; i++) {
        const back = new Promise((r) => ws.once('message', r));
        const t0 = performance.now();
        ws.send('ping');
        await back;
        rtts.push((performance.now() - t0) * 1000);
      }
      return rtts.slice(n / 10);
    },
    close: async () => {
      ws.close();
      peer.child.kill('SIGTERM');
    },
  };
}

type Count = { name: 'Count'; n: number };
type Go = { name: 'Go' };

class Consumer extends Actor<Count> {
  count = 0;
  onDone: () => void = () => {};
  protected readonly handlers: Handlers<Count> = {
    Count: (m) => {
      if (++this.count === m.n) this.onDone();
    },
  };
}

// Sends in bursts and re-arms itself with a message, so mailboxes stay short as in a real system.
class Producer extends Actor<Go> {
  private sent = 0;
  constructor(private readonly to: Pid) {
    super();
  }
  protected readonly handlers: Handlers<Go> = {
    Go: () => {
      for (let i = 0; i < 1000 && this.sent < LOCAL_N; i++, this.sent++) this.send(this.to, { name: 'Count', n: LOCAL_N });
      if (this.sent < LOCAL_N) this.send(this.self, { name: 'Go' });
    },
  };
}

async function local(): Promise<number> {
  const rt = await Runtime.start();
  const rates: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const consumer = rt.spawn(new Consumer(), rt.generateId('consumer'));
    const producer = rt.spawn(new Producer(consumer.self), rt.generateId('producer'));
    const done = new Promise<void>((r) => (consumer.onDone = r));
    const t0 = performance.now();
    rt.send('', producer.self, { name: 'Go' });
    await done;
    if (round > 0) rates.push(LOCAL_N / ((performance.now() - t0) / 1000));
    rt.terminate(consumer.self);
    rt.terminate(producer.self);
  }
  await rt.stop();
  return median(rates);
}

const loadBefore = loadavg();
const traceDir = mkdtempSync(join(tmpdir(), 'mesos-bench-trace-'));
const certDir = mkdtempSync(join(tmpdir(), 'mesos-bench-tls-'));
process.env['BENCH_TLS_CERT'] = join(certDir, 'cert.pem');
process.env['BENCH_TLS_KEY'] = join(certDir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', process.env['BENCH_TLS_KEY'], '-out', process.env['BENCH_TLS_CERT'], '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
const rawPair = await openRaw();
const plain = await openRemote();
const traced = await openRemote(traceDir);
const authed = await openRemote(undefined, 'auth');
const tlsPair = await openRemote(undefined, 'tls');
const rates = { raw: [] as number[], plain: [] as number[], traced: [] as number[], auth: [] as number[], tls: [] as number[] };
const ratios = { remote: [] as number[], traced: [] as number[], auth: [] as number[], tls: [] as number[] };
for (let i = 0; i < ROUNDS; i++) {
  const r = await rawPair.round();
  const p = await plain.round();
  const t = await traced.round();
  const a = await authed.round();
  const s = await tlsPair.round();
  rates.raw.push(r);
  rates.plain.push(p);
  rates.traced.push(t);
  rates.auth.push(a);
  rates.tls.push(s);
  ratios.remote.push(p / r);
  ratios.traced.push(t / p);
  ratios.auth.push(a / p);
  ratios.tls.push(s / p);
}
const rawRtts: number[] = [];
const rtt: number[] = [];
for (let i = 0; i < 5; i++) {
  rawRtts.push(...(await rawPair.rtts(RTT_N / 5)));
  rtt.push(...(await plain.rtts(RTT_N / 5)));
}
const bytes = plain.bytes;
await Promise.all([rawPair.close(), plain.close(), traced.close(), authed.close(), tlsPair.close()]);
rmSync(traceDir, { recursive: true, force: true });
rmSync(certDir, { recursive: true, force: true });
const localRate = await local();
const loadAfter = loadavg();

const range = (xs: number[]): [number, number] => [+Math.min(...xs).toFixed(3), +Math.max(...xs).toFixed(3)];
const result = {
  remote_msgs_per_s: Math.round(median(rates.plain)),
  raw_ws_msgs_per_s: Math.round(median(rates.raw)),
  remote_ratio: +median(ratios.remote).toFixed(3),
  rtt_p50_us: Math.round(percentile(rtt, 0.5)),
  rtt_p99_us: Math.round(percentile(rtt, 0.99)),
  raw_ws_rtt_p50_us: Math.round(percentile(rawRtts, 0.5)),
  local_msgs_per_s: Math.round(localRate),
  remote_traced_msgs_per_s: Math.round(median(rates.traced)),
  trace_on_ratio: +median(ratios.traced).toFixed(3),
  remote_auth_msgs_per_s: Math.round(median(rates.auth)),
  auth_ratio: +median(ratios.auth).toFixed(3),
  remote_tls_msgs_per_s: Math.round(median(rates.tls)),
  tls_ratio: +median(ratios.tls).toFixed(3),
  rounds: ROUNDS,
  remote_ratio_range: range(ratios.remote),
  trace_on_ratio_range: range(ratios.traced),
  auth_ratio_range: range(ratios.auth),
  tls_ratio_range: range(ratios.tls),
  loadavg_1m_before: +loadBefore[0]!.toFixed(2),
  loadavg_1m_after: +loadAfter[0]!.toFixed(2),
};
console.log(`message size on the wire: ${bytes} bytes; ${REMOTE_N} messages per remote round, ${ROUNDS} rounds, medians`);
console.log(`remote actor→actor   ${result.remote_msgs_per_s.toLocaleString()} msgs/s`);
console.log(`raw ws + msgpackr    ${result.raw_ws_msgs_per_s.toLocaleString()} msgs/s   (remote's ratio ${result.remote_ratio}, per-cycle ${result.remote_ratio_range.join('–')})`);
console.log(`remote, tracing on   ${result.remote_traced_msgs_per_s.toLocaleString()} msgs/s   (ratio ${result.trace_on_ratio}, per-cycle ${result.trace_on_ratio_range.join('–')})`);
console.log(`remote, auth on      ${result.remote_auth_msgs_per_s.toLocaleString()} msgs/s   (ratio ${result.auth_ratio}, per-cycle ${result.auth_ratio_range.join('–')})`);
console.log(`remote, TLS on       ${result.remote_tls_msgs_per_s.toLocaleString()} msgs/s   (ratio ${result.tls_ratio}, per-cycle ${result.tls_ratio_range.join('–')})`);
console.log(`load average (1 min) ${result.loadavg_1m_before} before, ${result.loadavg_1m_after} after; raw, plain, traced, auth and TLS rounds interleaved`);
console.log(`ping-pong rtt        p50 ${result.rtt_p50_us} µs, p99 ${result.rtt_p99_us} µs (a bare ws text echo, in alternating blocks: p50 ${result.raw_ws_rtt_p50_us} µs)`);
console.log(`in-process           ${result.local_msgs_per_s.toLocaleString()} msgs/s`);
console.log(JSON.stringify(result));
