// Allocator benchmarks after Mesos's HierarchicalAllocator_BENCHMARK_Test.DeclineOffers and
// LargeAndSmallQuota: prints per-case figures and ends with one JSON line of the headline numbers.

import { Resources } from '../protocol/index.js';
import { HierarchicalAllocator, seededRandom, type FrameworkOffers } from '../master/allocator/index.js';


const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

interface Outstanding { fw: string; agent: string; r: Resources }

function declineOffers(agents: number, frameworks: number, rounds: number): number {
  const clock = { t: 0, now: () => clock.t };
  let outstanding: Outstanding[] = [];
  const allocator = new HierarchicalAllocator({
    clock,
    random: seededRandom(7),
    offer: (fw: string, offers: FrameworkOffers) => {
      for (const byAgent of offers.values()) for (const [agent, r] of byAgent) outstanding.push({ fw, agent, r });
    },
  });
  let t0 = performance.now();
  for (let i = 0; i < frameworks; i++) allocator.addFramework(`framework-${i}`, { role: '*' });
  const addFw = performance.now() - t0;
  const total = Resources.parse('cpus:24;mem:4096;disk:4096;ports:[31000-32000]');
  const used = Resources.parse('cpus:16;mem:2014;disk:1024').allocate('*');
  t0 = performance.now();
  for (let i = 0; i < agents; i++) allocator.addAgent(`agent-${i}`, total, new Map([[`framework-${i % frameworks}`, used]]));
  const addAgents = performance.now() - t0;
  console.log(`DeclineOffers ${agents} agents x ${frameworks} frameworks: added frameworks in ${fmt(addFw)}, agents in ${fmt(addAgents)}`);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Decline everything outstanding with a very long filter, then time one periodic run.
    for (const o of outstanding) allocator.recoverResources(o.fw, o.agent, o.r, { refuse_seconds: 2 ** 31 - 1 });
    outstanding = [];
    clock.t += 1000;
    const start = performance.now();
    const res = allocator.allocate();
    const ms = performance.now() - start;
    times.push(ms);
    console.log(`  round ${round} allocate() took ${fmt(ms)} to make ${res.offers} offers after filtering ${allocator.metrics()['allocator/mesos/offer_filters/roles/*/active'] ?? 0} offers`);
  }
  const med = median(times);
  console.log(`  median ${fmt(med)}`);
  return med;
}

function largeAndSmallQuota(smallRoles: number, largeRoles: number): number {
  const clock = { t: 0, now: () => clock.t };
  let offers = 0;
  const allocator = new HierarchicalAllocator({ clock, random: seededRandom(11), offer: (_fw, o) => { for (const b of o.values()) offers += b.size; } });
  const agentCount = smallRoles / 5 + 5 * largeRoles;
  const small = { cpus: 1, mem: 1024, disk: 1024 };
  const large = { cpus: 4, mem: 4096, disk: 4096 };
  let t0 = performance.now();
  const roles: string[] = [];
  for (let i = 0; i < smallRoles; i++) { const r = `small-role-${i}`; roles.push(r); allocator.setQuota(r, { guarantees: small, limits: small }); }
  for (let i = 0; i < largeRoles; i++) { const r = `large-role-${i}`; roles.push(r); allocator.setQuota(r, { guarantees: large, limits: large }); }
  for (const [i, r] of roles.entries()) allocator.addFramework(`framework-${i}`, { role: r });
  const addFw = performance.now() - t0;
  const total = Resources.parse('cpus:2;mem:2048;disk:2048');
  t0 = performance.now();
  for (let i = 0; i < agentCount; i++) allocator.addAgent(`agent-${i}`, total);
  const addAgents = performance.now() - t0;
  console.log(`LargeAndSmallQuota ${agentCount} agents, ${roles.length} quota roles/frameworks: set up roles+frameworks in ${fmt(addFw)}, agents in ${fmt(addAgents)}`);
  let start = performance.now();
  allocator.allocate();
  const first = performance.now() - start;
  console.log(`  made ${offers} allocations in ${fmt(first)}`);
  offers = 0;
  start = performance.now();
  allocator.allocate();
  console.log(`  made ${offers} allocations in ${fmt(performance.now() - start)} (second, empty run)`);
  return first;
}

const only = process.argv[2];
const result: Record<string, number> = {};
if (!only || only === 'decline') {
  result.decline_1k_100_ms = declineOffers(1_000, 100, 10);
  result.decline_10k_1k_ms = declineOffers(10_000, 1_000, 7);
  result.decline_20k_2k_ms = declineOffers(20_000, 2_000, 5);
}
if (!only || only === 'quota') result.quota_3k_ms = largeAndSmallQuota(2_500, 500);
const round1 = (x: number | undefined): number | null => (x === undefined ? null : Math.round(x * 10) / 10);
console.log(JSON.stringify({
  decline_1k_100_ms: round1(result.decline_1k_100_ms),
  decline_10k_1k_ms: round1(result.decline_10k_1k_ms),
  decline_20k_2k_ms: round1(result.decline_20k_2k_ms),
  quota_3k_ms: round1(result.quota_3k_ms),
}));
