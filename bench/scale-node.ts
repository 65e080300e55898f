// One process of the scale benchmark's simulated peers: `agents <master pid> <first> <count>
// <resources>` hosts that many SimAgents (agent i is hostname sim-<i>), `frameworks <master pid>
// <first> <count>` that many SimFrameworks. Commands arrive as JSON lines on stdin; every
// 200 ms the process writes its Tally as a JSON line on stdout (the first line is
// `{"address": …}` once it listens).

import { createInterface } from 'node:readline';
import { createLogger, parsePid, Runtime } from '../runtime/index.js';
import { Resources } from '../protocol/index.js';
import { SimAgent, SimFramework, Tally, type FrameworkMode } from './scale-sim.js';

const [role, masterText, firstText, countText, resources] = process.argv.slice(2);
const master = parsePid(masterText!);
const first = Number(firstText);
const count = Number(countText);
const spreadMs = Number(process.env['BENCH_SCALE_REGISTER_SPREAD_MS'] ?? 1000);

const runtime = await Runtime.start({ ip: '127.0.0.1', port: 0, logger: createLogger({ level: 'error', name: `scale-${role}` }), maxQueuedPerPeer: 1_000_000 });
const tally = new Tally();
const frameworks: SimFramework[] = [];

if (role === 'agents') {
  const total = Resources.parse(resources!).toJSON();
  for (let i = first; i < first + count; i++) {
    runtime.spawn(new SimAgent(master, { hostname: `sim-${i}`, port: 5051, resources: total, attributes: [] }, tally, Math.random() * spreadMs), `slave(${i})`);
  }
} else {
  for (let i = first; i < first + count; i++) {
    frameworks.push(runtime.spawn(new SimFramework(master, `fw${i}`, { cpus: 0.01, mem: 8 }, tally), `scheduler-${i}`));
  }
}

process.stdout.write(JSON.stringify({ address: runtime.address }) + '\n');
const report = (): void => {
  const { offerCycles, ...rest } = tally;
  const sorted = [...offerCycles].sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ ...rest, holding: frameworks.reduce((n, f) => n + f.holding, 0), offerCycleP50: sorted[Math.floor(sorted.length / 2)] ?? null, offerCycleCount: sorted.length }) + '\n');
};
const timer = setInterval(report, 200);

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { op: string; mode?: FrameworkMode; perFramework?: number };
  if (cmd.op === 'mode' && cmd.mode) {
    for (const f of frameworks) f.mode = cmd.mode.kind === 'hold' ? { kind: 'hold', target: cmd.mode.target } : cmd.mode;
    // An idle framework suppresses its offers, as a scheduler with nothing to run should; any other mode revives them.
    for (const f of frameworks) runtime.send('', f.self, { name: cmd.mode.kind === 'idle' ? '_Suppress' : '_Revive' });
  } else if (cmd.op === 'epoch') {
    tally.registeredSinceEpoch = 0;
    tally.offerCycles = [];
  } else if (cmd.op === 'stop') {
    clearInterval(timer);
    report();
    void runtime.stop().finally(() => process.exit(0));
  }
});
