// One process of the failover benchmark's simulated peers: `agents <zk url> <first> <count>
// <resources>` or `frameworks <zk url> <first> <count>`, the scale benchmark's SimAgents and
// SimFrameworks, told of each new leader by a ZooKeeper detector (a `_Follow` to every one).
// Writes its Tally as a JSON line every 50 ms (the first line is `{"address": …}`).

import { createDetector } from '../detector/index.js';
import { Resources } from '../protocol/index.js';
import { createLogger, parsePid, Runtime, type Pid } from '../runtime/index.js';
import { SimAgent, SimFramework, Tally } from './scale-sim.js';

const [role, zk, firstText, countText, resources] = process.argv.slice(2);
const first = Number(firstText);
const count = Number(countText);
const detector = createDetector(zk!, { sessionTimeoutMs: 2000 });
const leader = await detector.detect();
if (leader === undefined) throw new Error('no leading master');
const master = parsePid(leader.pid);

const runtime = await Runtime.start({ ip: '127.0.0.1', port: 0, logger: createLogger({ level: 'error', name: `failover-${role}` }), maxQueuedPerPeer: 1_000_000 });
const tally = new Tally();
const sims: Pid[] = [];
if (role === 'agents') {
  const total = Resources.parse(resources!).toJSON();
  for (let i = first; i < first + count; i++) sims.push(runtime.spawn(new SimAgent(master, { hostname: `sim-${i}`, port: 5051, resources: total, attributes: [] }, tally, Math.random() * 500), `slave(${i})`).self);
} else {
  for (let i = first; i < first + count; i++) sims.push(runtime.spawn(new SimFramework(master, `fw${i}`, { cpus: 0.01, mem: 8 }, tally), `scheduler-${i}`).self);
}
let current = leader.pid;
detector.listen({
  leader: (m) => {
    if (m === undefined || m.pid === current) return;
    current = m.pid;
    const pid = parsePid(m.pid);
    for (const s of sims) runtime.send(s, s as Pid<{ name: '_Follow'; pid: Pid }>, { name: '_Follow', pid });
  },
});

process.stdout.write(JSON.stringify({ address: runtime.address }) + '\n');
const timer = setInterval(() => process.stdout.write(JSON.stringify({ registered: tally.registered, reregistered: tally.reregistered, frameworksRegistered: tally.frameworksRegistered, resubscribed: tally.resubscribed, reoffered: tally.reoffered, offers: tally.offers }) + '\n'), 50);
process.on('SIGTERM', () => {
  clearInterval(timer);
  detector.close();
  void runtime.stop().then(() => process.exit(0));
});
