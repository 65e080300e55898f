// Keyed timers, linkWith/unlink, cause-keeping pipes and callbacks, injected randomness: one
// process, in-memory network, manual clock, settle() and advance(). No sleeps.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Actor, InMemoryNetwork, ManualClock, Runtime, advance, seededRandom, settle, type Envelope, type Handlers, type Pid, type Random } from '../../runtime/index.js';

type Fire = { name: '_Fire'; n: number };
type Gone = { name: '_Gone'; who: string };
type Kick = { name: 'Kick' };
type Piped = { name: '_Piped'; value: number };
type Called = { name: '_Called'; value: number };
type In = Fire | Gone | Kick | Piped | Called;

/** Exposes the protected runtime API to the tests. */
class Probe extends Actor<In> {
  fired: number[] = [];
  gone: string[] = [];
  exits: Pid[] = [];
  piped: number[] = [];
  called: number[] = [];
  onKick: () => void = () => {};
  protected readonly handlers: Handlers<In> = {
    _Fire: (m) => void this.fired.push(m.n),
    _Gone: (m) => void this.gone.push(m.who),
    Kick: () => this.onKick(),
    _Piped: (m) => void this.piped.push(m.value),
    _Called: (m) => void this.called.push(m.value),
  };
  override exited(p: Pid): void {
    this.exits.push(p);
  }
  start(key: string, ms: number, n: number): void {
    this.startTimer(key, ms, { name: '_Fire', n });
  }
  cancel(key: string): void {
    this.cancelTimer(key);
  }
  active(key: string): boolean {
    return this.isTimerActive(key);
  }
  watchWith(p: Pid, who: string): void {
    this.linkWith(p, { name: '_Gone', who });
  }
  forget(p: Pid): void {
    this.unlink(p);
  }
  pipe(promise: Promise<number>): void {
    this.pipeToSelf(promise, (value) => ({ name: '_Piped', value }), () => ({ name: '_Piped', value: -1 }));
  }
  wrap(): (value: number) => void {
    return this.callback((value: number) => ({ name: '_Called', value }));
  }
  draw(): number {
    return this.random();
  }
}

/** Does nothing; something to link to. */
class Idle extends Actor<Kick> {
  protected readonly handlers: Handlers<Kick> = { Kick: () => {} };
}

async function cluster(n: number, random?: Random): Promise<{ net: InMemoryNetwork; clock: ManualClock; rts: Runtime[] }> {
  const net = new InMemoryNetwork();
  const clock = new ManualClock();
  const rts: Runtime[] = [];
  for (let i = 0; i < n; i++) rts.push(await Runtime.start({ transport: net.transport(), clock, ...(random ? { random } : {}) }));
  return { net, clock, rts };
}

describe('runtime timers, links and causes', () => {
  it('restarting a timer key cancels the earlier timer: one delivery, at the restarted deadline', async () => {
    const { rts } = await cluster(1);
    const p = rts[0]!.spawn(new Probe(), 'probe');
    p.start('t', 1000, 1);
    await advance(rts, 500);
    p.start('t', 1000, 2);
    await advance(rts, 900);
    assert.deepEqual(p.fired, [], 'nothing at the first deadline');
    await advance(rts, 100);
    assert.deepEqual(p.fired, [2]);
    assert.equal(p.active('t'), false);
    await advance(rts, 5000);
    assert.deepEqual(p.fired, [2]);
  });

  it('a cancelled timer key never delivers', async () => {
    const { rts } = await cluster(1);
    const p = rts[0]!.spawn(new Probe(), 'probe');
    p.start('t', 1000, 1);
    assert.equal(p.active('t'), true);
    await advance(rts, 10);
    p.cancel('t');
    assert.equal(p.active('t'), false);
    await advance(rts, 5000);
    assert.deepEqual(p.fired, []);
  });

  it('a timer message already queued is dropped as stale when its key is restarted or cancelled', async () => {
    const { clock, rts } = await cluster(1);
    const rt = rts[0]!;
    const drops: string[] = [];
    rt.inspect((e) => void (e.type === 'drop' && e.reason === 'stale' && drops.push(e.envelope!.name)));
    const p = rt.spawn(new Probe(), 'probe');
    p.start('a', 1000, 1);
    p.start('b', 1000, 2);
    // Fire both timers without letting the mailbox run: their messages are queued, not handled.
    clock.advance(1000);
    p.cancel('a');
    p.start('b', 1000, 3);
    await settle(rts);
    assert.deepEqual(p.fired, [], 'both queued deliveries were stale');
    assert.deepEqual(drops, ['_Fire', '_Fire']);
    await advance(rts, 1000);
    assert.deepEqual(p.fired, [3]);
  });

  it('the timers of a terminated actor are all cancelled', async () => {
    const { clock, rts } = await cluster(1);
    const p = rts[0]!.spawn(new Probe(), 'probe');
    p.start('a', 1000, 1);
    p.start('b', 2000, 2);
    rts[0]!.terminate(p.self);
    assert.equal(clock.nextDeadline(), undefined);
    await advance(rts, 5000);
    assert.deepEqual(p.fired, []);
  });

  it('linkWith delivers its message once when a local actor terminates', async () => {
    const { rts } = await cluster(1);
    const rt = rts[0]!;
    const p = rt.spawn(new Probe(), 'probe');
    const idle = rt.spawn(new Idle(), 'idle');
    p.watchWith(idle.self, 'idle');
    p.watchWith(idle.self, 'idle');
    rt.terminate(idle.self);
    await settle(rts);
    assert.deepEqual(p.gone, ['idle']);
    assert.deepEqual(p.exits, [], 'no exited() for a linkWith');
    p.watchWith(idle.self, 'late'); // linking to an actor that is gone delivers at once
    await settle(rts);
    assert.deepEqual(p.gone, ['idle', 'late']);
  });

  it('linkWith delivers its message once when the connection to a remote actor is lost', async () => {
    const { net, rts } = await cluster(2);
    const [a, b] = rts as [Runtime, Runtime];
    const idle = b.spawn(new Idle(), 'idle');
    const p = a.spawn(new Probe(), 'probe');
    p.watchWith(idle.self, 'remote');
    await settle(rts);
    net.disconnect(a.address, b.address);
    await settle(rts);
    assert.deepEqual(p.gone, ['remote']);
    b.terminate(idle.self);
    await settle(rts);
    assert.deepEqual(p.gone, ['remote'], 'one delivery per link');
  });

  it('unlink retracts an exit, even one already queued', async () => {
    const { rts } = await cluster(1);
    const rt = rts[0]!;
    const p = rt.spawn(new Probe(), 'probe');
    const x = rt.spawn(new Idle(), 'x');
    const y = rt.spawn(new Idle(), 'y');
    p.watchWith(x.self, 'x');
    rt.link(p.self, y.self);
    // Both exits are queued in the same turn; the handler of the first unlinks the second.
    p.onKick = () => p.forget(y.self);
    rt.send('', p.self, { name: 'Kick' });
    rt.terminate(x.self);
    rt.terminate(y.self);
    await settle(rts);
    assert.deepEqual(p.gone, ['x']);
    assert.deepEqual(p.exits, []);
  });

  it('pipeToSelf and callback deliver with the cause of the message being handled when they were made', async () => {
    const { rts } = await cluster(1);
    const rt = rts[0]!;
    const received: Envelope[] = [];
    rt.inspect((e) => void (e.type === 'receive' && received.push(e.envelope)));
    const p = rt.spawn(new Probe(), 'probe');
    let later!: (v: number) => void;
    p.onKick = () => {
      p.pipe(Promise.resolve(7));
      later = p.wrap();
    };
    rt.send('', p.self, { name: 'Kick' });
    await settle(rts);
    const kick = received.find((e) => e.name === 'Kick')!;
    later(8); // called from outside any handler, as a child process's exit would be
    await settle(rts);
    assert.deepEqual(p.piped, [7]);
    assert.deepEqual(p.called, [8]);
    assert.equal(received.find((e) => e.name === '_Piped')!.cause, kick.id);
    assert.equal(received.find((e) => e.name === '_Called')!.cause, kick.id);
    rt.terminate(p.self);
    later(9); // a no-op once the actor is gone
    await settle(rts);
    assert.equal(received.filter((e) => e.name === '_Called').length, 1);
  });

  it('a seeded random source makes actors draw the same numbers', async () => {
    const draws = async (seed: number): Promise<number[]> => {
      const { rts } = await cluster(1, seededRandom(seed));
      const p = rts[0]!.spawn(new Probe(), 'probe');
      const out = [p.draw(), p.draw(), p.draw()];
      await rts[0]!.stop();
      return out;
    };
    const first = await draws(42);
    assert.deepEqual(await draws(42), first);
    assert.notDeepEqual(await draws(43), first);
    for (const x of first) assert.ok(x >= 0 && x < 1);
  });
});
