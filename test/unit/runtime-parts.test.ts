// The runtime's plain parts: pids, the manual clock, filters and metrics.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Filters, ManualClock, Metrics, ValidationError, parsePid, pidAddress, pidId, type Envelope, type Pid } from '../../runtime/index.js';

const env = (name: string, from: string, to: string): Envelope => ({ name, from: from as Pid, to: to as Pid, id: 'a.1', cause: null, body: { name }, bytes: 0 });

describe('pids', () => {
  it('split into id and address at the first @', () => {
    const p = parsePid('slave(1)@127.0.0.1:5051');
    assert.equal(pidId(p), 'slave(1)');
    assert.equal(pidAddress(p), '127.0.0.1:5051');
  });
  it('without an id, or with a bad port, are refused with a message that names the text', () => {
    assert.throws(() => parsePid('@127.0.0.1:5050'), ValidationError);
    assert.throws(() => parsePid('master@127.0.0.1:99999'), /'127.0.0.1:99999' is not an address/);
    assert.throws(() => parsePid('master'), /'master' is not a pid/);
  });
});

describe('the manual clock', () => {
  it('fires due timers in deadline order, each at its own deadline, and never early', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`c@${clock.now()}`));
    clock.setTimer(100, () => fired.push(`a@${clock.now()}`));
    const cancel = clock.setTimer(200, () => fired.push('cancelled'));
    clock.setTimer(100, () => fired.push(`b@${clock.now()}`));
    cancel();
    clock.advance(99);
    assert.deepEqual(fired, []);
    clock.advance(201);
    assert.deepEqual(fired, ['a@100', 'b@100', 'c@300']);
    assert.equal(clock.now(), 300);
    assert.equal(clock.nextDeadline(), undefined);
  });
});

describe('filters', () => {
  it('drop a given number of matches by name, sender id and receiver', () => {
    const f = new Filters();
    f.drop({ side: 'send', name: 'Pong', from: 'echo', times: 2 });
    const pong = env('Pong', 'echo@h:1', 'probe@h:2');
    assert.equal(f.apply('receive', pong), 'pass', 'other side untouched');
    assert.equal(f.apply('send', env('Pong', 'other@h:1', 'probe@h:2')), 'pass');
    assert.equal(f.apply('send', pong), 'drop');
    assert.equal(f.apply('send', pong), 'drop');
    assert.equal(f.apply('send', pong), 'pass', 'spent after two');
    assert.equal(f.active, false);
  });
  it('await resolves with the next match and lets it pass', async () => {
    const f = new Filters();
    const next = f.await({ side: 'receive', name: /^Status/ });
    assert.equal(f.apply('receive', env('StatusUpdate', 'a@h:1', 'b@h:2')), 'pass');
    assert.equal((await next).name, 'StatusUpdate');
  });
  it('refuse a bad side or count with a message', () => {
    const f = new Filters();
    assert.throws(() => f.drop({ side: 'up' as 'send' }), /side must be 'send' or 'receive'/);
    assert.throws(() => f.drop({ side: 'send', times: 0 }), /positive integer/);
  });
});

describe('metrics', () => {
  it('snapshot counters, gauges and gauge groups as one flat sorted object', () => {
    const m = new Metrics();
    m.counter('b/count').inc(2);
    m.gauge('a/gauge', () => 7);
    m.gaugeGroup('alloc', () => ({ 'c/x': 1 }));
    assert.deepEqual(Object.entries(m.snapshot()), [['a/gauge', 7], ['b/count', 2], ['c/x', 1]]);
    m.remove('alloc');
    assert.equal(m.snapshot()['c/x'], undefined);
  });
});
