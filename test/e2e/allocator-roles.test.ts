// Roles, quota, reservations and weights between real OS processes: a master and agents started
// as processes, frameworks in this process that hoard what they are offered with long tasks, and
// assertions on what an operator sees: offers, /quota, /roles, /weights, /state and the metrics.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Resources, type FrameworkInfo, type Offer, type OfferOperation, type TaskState } from '../../protocol/index.js';
import { MesosSchedulerDriver, type Scheduler, type SchedulerDriver } from '../../scheduler-driver/index.js';
import { fixture, startProcess, type Started } from '../fixtures/processes.js';

type Json = Record<string, unknown>;
type Metrics = Record<string, number>;
type LegacyResources = { cpus: number; mem: number; disk: number; [name: string]: number | string };

interface StateJson {
  activated_slaves: number;
  slaves: { id: string; resources: LegacyResources; reserved_resources: Record<string, LegacyResources> }[];
  frameworks: { id: string; name: string; role?: string; resources: LegacyResources; used_resources: LegacyResources; offered_resources: LegacyResources }[];
}
interface RolesJson {
  roles: { name: string; weight: number; quota: { guarantee: Partial<LegacyResources>; limit: Partial<LegacyResources>; consumed: LegacyResources }; reserved: LegacyResources; frameworks: string[] }[];
}

// ---------------------------------------------------------------------------------------------
// The cluster: OS processes started through the roles-node fixture.

const NODE = fixture('roles-node.ts');

class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'allocator-roles-'));
  master!: Started<{ address: string }>;
  readonly agents: Started<{ address: string }>[] = [];
  private readonly logs = new Map<Started<{ address: string }>, string[]>();
  private agentCount = 0;

  get address(): string {
    return this.master.ready.address;
  }

  async startMaster(options: Json): Promise<void> {
    this.master = await this.start(['master', JSON.stringify(options)]);
  }

  /** Starts agent processes; resolves once the master counts all agents started so far as active. */
  async startAgents(resources: string[]): Promise<void> {
    const started = await Promise.all(resources.map((r) => this.start(['agent', this.address, r, join(this.dir, `agent-${++this.agentCount}`)])));
    this.agents.push(...started);
    await poll(`${this.agents.length} active agents`, () => this.state(), (s) => s.activated_slaves === this.agents.length);
  }

  private async start(args: string[]): Promise<Started<{ address: string }>> {
    const p = await startProcess<{ address: string }>(NODE, args);
    const lines: string[] = [];
    p.child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    this.logs.set(p, lines);
    return p;
  }

  /** What the processes logged (warnings and worse), for failure messages. */
  logText(): string {
    return [...this.logs.values()].flat().join('').slice(-4000);
  }

  http(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    return request(method, `http://${this.address}${path}`, body);
  }
  async json<T>(path: string): Promise<T> {
    const r = await this.http('GET', path);
    assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
    return JSON.parse(r.text) as T;
  }
  state(): Promise<StateJson> {
    return this.json<StateJson>('/state');
  }
  metrics(): Promise<Metrics> {
    return this.json<Metrics>('/metrics/snapshot');
  }

  /** Resolves once the allocator has finished `n` more allocation runs: a logical clock for "nothing more came". */
  async allocationRuns(n: number): Promise<void> {
    const start = (await this.metrics())['allocator/mesos/allocation_runs']!;
    await poll(`${n} more allocation runs`, () => this.metrics(), (m) => m['allocator/mesos/allocation_runs']! >= start + n);
  }

  /** SIGTERM to every process (agents first, so that they kill their executors); each must exit 0. */
  async stop(): Promise<void> {
    const stopOne = async (p: Started<{ address: string }> | undefined): Promise<void> => {
      if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      const { code } = await p.exited;
      clearTimeout(timer);
      assert.equal(code, 0, `a node exited with ${code}: ${this.logText()}`);
    };
    await Promise.all(this.agents.map(stopOne));
    await stopOne(this.master);
    const left = processesMentioning(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no agent, executor or task of the cluster is left running');
  }
}

async function request(method: string, url: string, body?: unknown): Promise<{ status: number; text: string }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}

/** Bounded polling of an HTTP view until `done` holds; fails naming what it waited for. */
async function poll<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Live OS processes whose command line or environment mentions `text` (Linux; [] elsewhere). */
function processesMentioning(text: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const e of entries) {
    try {
      if (/\) Z /.test(readFileSync(`/proc/${e}/stat`, 'utf8'))) continue;
      let env = '';
      try {
        env = readFileSync(`/proc/${e}/environ`, 'utf8');
      } catch {
        // another user's process
      }
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text) || env.includes(text)) found.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Frameworks: v0 schedulers in this process that record every offer and status.

type OfferPolicy = (fw: Framework, offers: Offer[]) => void;

class Framework implements Scheduler {
  readonly offers: Offer[] = [];
  readonly states = new Map<string, TaskState>();
  readonly errors: string[] = [];
  /** What its launched tasks hold. */
  held = Resources.EMPTY;
  /** Accepts that left something over, refused with a filter. */
  refusals = 0;
  id: string | undefined;
  readonly driver: MesosSchedulerDriver;
  private tasks = 0;
  /** Waiters of every framework: a condition may span several of them. */
  private static waiters: (() => boolean)[] = [];

  constructor(master: string, readonly info: Omit<FrameworkInfo, 'user'>, readonly policy: OfferPolicy) {
    this.driver = new MesosSchedulerDriver(this, { user: '', ...info }, master, { registrationBackoffFactorMs: 100 });
  }

  registered(_d: SchedulerDriver, id: { value: string }): void {
    this.id = id.value;
    this.changed();
  }
  reregistered(): void {}
  disconnected(): void {}
  resourceOffers(_d: SchedulerDriver, offers: Offer[]): void {
    this.offers.push(...offers);
    this.policy(this, offers);
    this.changed();
  }
  offerRescinded(): void {}
  statusUpdate(_d: SchedulerDriver, status: { task_id: { value: string }; state: TaskState }): void {
    this.states.set(status.task_id.value, status.state);
    this.changed();
  }
  frameworkMessage(): void {}
  agentLost(): void {}
  executorLost(): void {}
  error(_d: SchedulerDriver, message: string): void {
    this.errors.push(message);
    this.changed();
  }

  /** Launches one long task on `resources` of the offer; the rest is refused for `refuseSeconds`. */
  launch(offer: Offer, resources: Resources, refuseSeconds: number): void {
    const id = `${this.info.name}-${++this.tasks}`;
    this.held = this.held.add(resources);
    if (!Resources.fromJSON(offer.resources).subtract(resources).isEmpty() && refuseSeconds > 0) this.refusals++;
    this.driver.launchTasks([offer.id], [{ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: resources.toJSON(), command: { value: 'sleep 600', shell: true } }], { refuse_seconds: refuseSeconds });
  }

  accept(offer: Offer, operations: OfferOperation[], refuseSeconds: number): void {
    this.driver.acceptOffers([offer.id], operations, { refuse_seconds: refuseSeconds });
  }

  /** Tasks launched so far. */
  get launched(): number {
    return this.tasks;
  }

  get running(): number {
    return [...this.states.values()].filter((s) => s === 'TASK_RUNNING').length;
  }

  /** Resolves when `pred` holds after some callback; fails after `timeoutMs` naming `what`. */
  until(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.info.name}: timed out waiting for ${what} (held ${this.held.toString()}, errors ${this.errors.join('; ')})`)), timeoutMs);
      const check = (): boolean => {
        if (!pred()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      if (!check()) Framework.waiters.push(check);
    });
  }

  private changed(): void {
    Framework.waiters = Framework.waiters.filter((w) => !w());
  }
}

/** cpus and mem of an offer (reserved or not): what a hoarding framework takes. */
const cpusAndMem = (offer: Offer): Resources => Resources.fromJSON(offer.resources).filter((e) => e.name === 'cpus' || e.name === 'mem');

/** Takes every cpu and MB offered, with one long task per offer; disk and ports are refused for an hour. */
const hoard: OfferPolicy = (fw, offers) => {
  for (const o of offers) fw.launch(o, cpusAndMem(o), 3600);
};

const close = (actual: number | undefined, expected: number, what: string): void =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`);

// ---------------------------------------------------------------------------------------------

describe('two roles, a quota and reservations on a cluster of OS processes', { timeout: 60_000 }, () => {
  const c = new Cluster();
  let analytics: Framework;
  let web: Framework;
  /** The offer after web's RESERVE that carried the new reservation. */
  let reservedOffer: Offer | undefined;

  before(async () => {
    await c.startMaster({ roles: ['analytics', 'web'], allocationIntervalMs: 100 });
    // Agent A statically reserves 2 cpus and 512 MB for analytics; agent B has none.
    await c.startAgents([
      'cpus(analytics):2;mem(analytics):512;cpus:6;mem:4096;disk:1024;ports:[31000-31009]',
      'cpus:4;mem:2048;disk:1024;ports:[31010-31019]',
    ]);
  });

  after(async () => {
    for (const fw of [analytics, web]) if (fw !== undefined) await fw.driver.stop();
    await c.stop();
  });

  it('an operator sets a quota guarantee for web over HTTP and sees it in /quota, /roles and the metrics', async () => {
    const set = await c.http('POST', '/quota', { role: 'web', guarantee: Resources.parse('cpus:3;mem:1024').toJSON() });
    assert.equal(set.status, 200, set.text);
    const quota = await c.json<{ infos: { role: string; guarantee: { name: string; scalar: { value: number } }[] }[] }>('/quota');
    assert.deepEqual(
      quota.infos.map((i) => [i.role, Object.fromEntries(i.guarantee.map((g) => [g.name, g.scalar.value]))]),
      [['web', { cpus: 3, mem: 1024 }]],
    );
    const roles = await c.json<RolesJson>('/roles');
    const webRole = roles.roles.find((r) => r.name === 'web');
    assert.equal(webRole?.quota.guarantee.cpus, 3);
    assert.equal(webRole?.quota.guarantee.mem, 1024);
    const m = await c.metrics();
    assert.equal(m['allocator/mesos/quota/roles/web/resources/cpus/guarantee'], 3);
    assert.equal(m['allocator/mesos/quota/roles/web/resources/mem/guarantee'], 1024);
    assert.equal(m['allocator/mesos/quota/roles/web/resources/cpus/offered_or_allocated'], 0);
    // A second POST for the same role is refused with the master's reason.
    const again = await c.http('POST', '/quota', { role: 'web', guarantee: Resources.parse('cpus:1').toJSON() });
    assert.equal(again.status, 400);
    assert.match(again.text, /already set/);
  });

  it("analytics, first to come, gets its reserved resources but not what web's guarantee needs", async () => {
    analytics = new Framework(c.address, { name: 'analytics', role: 'analytics' }, hoard);
    await analytics.driver.start();
    await analytics.until('9 cpus in running tasks', () => analytics.held.cpus() >= 9 && analytics.running === analytics.launched);
    // Two more allocation runs offer nothing else: the rest is web's headroom.
    await c.allocationRuns(2);
    const state = await c.state();
    const fw = state.frameworks.find((f) => f.id === analytics.id)!;
    assert.equal(fw.resources.cpus, 9, 'analytics holds 2 reserved + 7 of the 10 unreserved cpus');
    assert.equal(fw.resources.mem, 512 + 6144 - 1024);
    assert.equal(analytics.held.reserved('analytics').cpus(), 2);
    assert.equal(analytics.held.reserved('analytics').mem(), 512);
    const reservedOffers = analytics.offers.filter((o) => Resources.fromJSON(o.resources).reserved('analytics').cpus() > 0);
    assert.equal(reservedOffers.length, 1, 'the static reservation is offered once, on agent A');
    const r = Resources.fromJSON(reservedOffers[0]!.resources).reserved('analytics').entries()[0]!;
    assert.equal(r.reservations[0]?.type, 'STATIC');
  });

  it('web gets its whole guarantee although analytics came first, and never sees analytics\'s reservation', async () => {
    let reserved = false;
    // Web reserves 1 cpu and 256 MB of its first offer dynamically and takes the rest as it comes.
    web = new Framework(c.address, { name: 'web', role: 'web', principal: 'web-ops' }, (fw, offers) => {
      for (const o of offers) {
        const res = Resources.fromJSON(o.resources);
        if (!reserved && res.unreserved().cpus() >= 1 && res.unreserved().mem() >= 256) {
          reserved = true;
          fw.accept(o, [{ type: 'RESERVE', reserve: { resources: Resources.parse('cpus:1;mem:256').reserve('web', { principal: 'web-ops' }).toJSON() } }], 0);
          continue;
        }
        if (reserved && reservedOffer === undefined && res.reserved('web').cpus() > 0) reservedOffer = o;
        fw.launch(o, cpusAndMem(o), 3600);
      }
    });
    await web.driver.start();
    await web.until('3 cpus in running tasks', () => web.held.cpus() >= 3 && web.running === web.launched);
    await c.allocationRuns(2);
    assert.equal(web.held.cpus(), 3, 'the guarantee, and no more: the /quota limit equals it');
    assert.equal(web.held.mem(), 1024);
    for (const o of web.offers) {
      assert.equal(Resources.fromJSON(o.resources).reserved('analytics').isEmpty(), true, `offer ${o.id.value} to web carries analytics's reservation`);
    }
    const state = await c.state();
    assert.equal(state.frameworks.find((f) => f.id === analytics.id)!.resources.cpus, 9, 'analytics kept what it had');
  });

  it('the offer after web\'s RESERVE carries the dynamic reservation, and /state shows both reservations', async () => {
    assert.ok(reservedOffer !== undefined, 'web was offered its reserved resources');
    const reservedToWeb = Resources.fromJSON(reservedOffer.resources).reserved('web');
    assert.equal(reservedToWeb.cpus(), 1);
    assert.equal(reservedToWeb.mem(), 256);
    const r = reservedToWeb.entries()[0]!.reservations[0]!;
    assert.deepEqual([r.type, r.role, r.principal], ['DYNAMIC', 'web', 'web-ops']);
    assert.equal(web.held.reserved('web').cpus(), 1, 'web runs a task on its reservation');

    const state = await c.state();
    const byRole = (role: string) => state.slaves.flatMap((s) => (s.reserved_resources[role] ? [{ agent: s.id, ...s.reserved_resources[role] }] : []));
    const analyticsReservations = byRole('analytics');
    const webReservations = byRole('web');
    assert.equal(analyticsReservations.length, 1);
    assert.deepEqual([analyticsReservations[0]!.cpus, analyticsReservations[0]!.mem], [2, 512]);
    assert.equal(webReservations.length, 1);
    assert.deepEqual([webReservations[0]!.cpus, webReservations[0]!.mem], [1, 256]);
    assert.equal(webReservations[0]!.agent, reservedOffer.agent_id.value);

    const roles = await c.json<RolesJson>('/roles');
    const role = (name: string) => roles.roles.find((x) => x.name === name)!;
    assert.deepEqual([role('analytics').reserved.cpus, role('web').reserved.cpus], [2, 1]);
    assert.equal(role('web').quota.consumed.cpus, 3, 'web consumes its guarantee');
    assert.deepEqual(role('web').frameworks, [web.id]);
  });

  it("the allocator's metrics agree with /state: totals, dominant shares, quota consumption and filters", async () => {
    const [state, m] = await Promise.all([c.state(), c.metrics()]);
    const total = (name: 'cpus' | 'mem' | 'disk'): number => state.slaves.reduce((s, a) => s + a.resources[name], 0);
    for (const name of ['cpus', 'mem', 'disk'] as const) {
      assert.equal(m[`allocator/mesos/resources/${name}/total`], total(name), `${name} total`);
      const held = state.frameworks.reduce((s, f) => s + f.resources[name], 0);
      assert.equal(m[`allocator/mesos/resources/${name}/offered_or_allocated`], held, `${name} offered or allocated`);
    }
    assert.equal(total('cpus'), 12);
    for (const fw of [analytics, web]) {
      const r = state.frameworks.find((f) => f.id === fw.id)!.resources;
      const share = Math.max(...(['cpus', 'mem', 'disk'] as const).map((n) => r[n] / total(n)));
      close(m[`allocator/mesos/roles/${fw.info.name}/shares/dominant`], share, `${fw.info.name}'s dominant share`);
    }
    // Web's quota counts its unreserved resources and its reservation: the whole guarantee.
    assert.equal(m['allocator/mesos/quota/roles/web/resources/cpus/offered_or_allocated'], 3);
    assert.equal(m['allocator/mesos/quota/roles/web/resources/mem/offered_or_allocated'], 1024);
    assert.equal(m['allocator/mesos/quota/roles/web/resources/cpus/guarantee'], 3);
    // Every accept that left disk and ports over refused them for an hour: one filter each.
    assert.ok(analytics.refusals > 0 && web.refusals > 0);
    assert.equal(m['allocator/mesos/offer_filters/roles/analytics/active'], analytics.refusals);
    assert.equal(m['allocator/mesos/offer_filters/roles/web/active'], web.refusals);
  });

  it("once analytics leaves, its reservation lies idle: web, at its quota limit, is never offered it", async () => {
    await analytics.driver.stop();
    await poll('analytics to be gone from /state', () => c.state(), (s) => s.frameworks.every((f) => f.id !== analytics.id));
    const offersBefore = web.offers.length;
    await c.allocationRuns(3);
    // Nothing web may take: the limit stops unreserved resources, the reservation stops the rest.
    assert.equal(web.offers.length, offersBefore, 'web gets no offer');
    for (const o of web.offers) assert.equal(Resources.fromJSON(o.resources).reserved('analytics').isEmpty(), true);
    // /roles still lists analytics: a role with a reservation is known without frameworks.
    const roles = await c.json<RolesJson>('/roles');
    const role = roles.roles.find((r) => r.name === 'analytics');
    assert.deepEqual([role?.reserved.cpus, role?.frameworks], [2, []], 'the reservation stays');
    const m = await c.metrics();
    assert.equal(m['allocator/mesos/resources/cpus/offered_or_allocated'], 3, "only web's 3 cpus are in use");
  });
});

describe('weights set over HTTP on a fresh cluster', { timeout: 60_000 }, () => {
  const c = new Cluster();
  const frameworks: Framework[] = [];

  before(async () => {
    await c.startMaster({ allocationIntervalMs: 50 });
  });

  after(async () => {
    for (const fw of frameworks) await fw.driver.stop();
    await c.stop();
  });

  it('PUT /weights is refused for a bad weight and shown by GET /weights once valid', async () => {
    const bad = await c.http('PUT', '/weights', [{ role: 'gold', weight: -1 }]);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /positive/);
    const ok = await c.http('PUT', '/weights', [
      { role: 'gold', weight: 3 },
      { role: 'silver', weight: 1 },
    ]);
    assert.equal(ok.status, 200, ok.text);
    const weights = await c.json<{ role: string; weight: number }[]>('/weights');
    assert.deepEqual(Object.fromEntries(weights.map((w) => [w.role, w.weight])), { gold: 3, silver: 1 });
  });

  it('roles weighted 3:1 split an agent 3:1 when their frameworks take one cpu per offer', async () => {
    // One task of 1 cpu and 1 GB per offer; the rest goes back at once (no filter), so every
    // allocation run re-sorts the roles by weighted dominant share.
    const oneTask: OfferPolicy = (fw, offers) => {
      for (const o of offers) {
        const res = Resources.fromJSON(o.resources);
        if (res.cpus() >= 1 && res.mem() >= 1024) fw.launch(o, Resources.parse('cpus:1;mem:1024'), 0);
        else fw.driver.declineOffer(o.id, { refuse_seconds: 0 });
      }
    };
    for (const role of ['gold', 'silver']) frameworks.push(new Framework(c.address, { name: role, role }, oneTask));
    await Promise.all(frameworks.map((fw) => fw.driver.start()));
    await Promise.all(frameworks.map((fw) => fw.until('registration', () => fw.id !== undefined)));
    // The agent comes last, so neither framework has a head start.
    await c.startAgents(['cpus:8;mem:8192;disk:1024;ports:[31020-31029]']);
    const [gold, silver] = frameworks as [Framework, Framework];
    const running = (): boolean => gold.running + silver.running === 8;
    await gold.until('8 running tasks in all', running).catch((err: Error) => {
      throw new Error(`${err.message}; launched ${gold.launched + silver.launched}; ${c.logText()}`);
    });
    await c.allocationRuns(2);
    assert.deepEqual([gold.held.cpus(), silver.held.cpus()], [6, 2]);
    const m = await c.metrics();
    close(m['allocator/mesos/roles/gold/shares/dominant'], 0.75, "gold's dominant share");
    close(m['allocator/mesos/roles/silver/shares/dominant'], 0.25, "silver's dominant share");
    const roles = await c.json<RolesJson>('/roles');
    assert.deepEqual(
      roles.roles.filter((r) => r.name === 'gold' || r.name === 'silver').map((r) => [r.name, r.weight, r.frameworks.length]),
      [
        ['gold', 3, 1],
        ['silver', 1, 1],
      ],
    );
  });
});

describe('a priority role on a cluster of OS processes', { timeout: 60_000 }, () => {
  const c = new Cluster();
  let low: Framework;
  let high: Framework;

  before(async () => {
    await c.startMaster({ rolePolicies: { batch: 'priority' }, allocationIntervalMs: 50 });
  });

  after(async () => {
    for (const fw of [low, high]) if (fw !== undefined) await fw.driver.stop();
    await c.stop();
  });

  it('serves the framework labelled priority=10 before one registered earlier, and the next in line once it leaves', async () => {
    const oneTask: OfferPolicy = (fw, offers) => {
      for (const o of offers) {
        const res = Resources.fromJSON(o.resources);
        if (res.cpus() >= 1 && res.mem() >= 1024) fw.launch(o, Resources.parse('cpus:1;mem:1024'), 0);
        else fw.driver.declineOffer(o.id, { refuse_seconds: 0 });
      }
    };
    const labelled = (name: string, priority: number): Omit<FrameworkInfo, 'user'> => ({ name, role: 'batch', labels: { labels: [{ key: 'priority', value: String(priority) }] } });
    low = new Framework(c.address, labelled('low', 1), oneTask);
    await low.driver.start();
    await low.until('registration', () => low.id !== undefined);
    high = new Framework(c.address, labelled('high', 10), oneTask);
    await high.driver.start();
    await high.until('registration', () => high.id !== undefined);
    await c.startAgents(['cpus:3;mem:3072;disk:1024;ports:[31040-31049]']);
    await high.until('3 running tasks', () => high.running === 3);
    await c.allocationRuns(2);
    assert.equal(low.offers.length, 0, 'the lower priority framework is not offered anything while the higher one wants it all');
    // The higher priority framework leaves: what it held goes to the next in line.
    await high.driver.stop();
    await low.until('3 running tasks', () => low.running === 3);
    assert.equal(low.held.cpus(), 3);
  });
});
