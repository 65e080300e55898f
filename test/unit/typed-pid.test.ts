// Typed pids: a send to a typed pid is checked against the receiver's inbox by tsc, while an
// untyped Pid takes any message. The `@ts-expect-error` lines make `tsc --noEmit` fail if a
// misspelt send ever compiles; the runtime assertions let node:test count the file.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { Actor, IllegalStateError, InvariantError, ProtocolError, ValidationError, invariant, pid, setInvariantHandler, type Handlers, type Pid } from '../../runtime/index.js';

type Ping = { name: 'Ping'; seq: number };
type Stop = { name: 'Stop' };
type EchoInbox = Ping | Stop;
type Other = { name: 'Other'; text: string };

class Sender extends Actor<Other> {
  protected readonly handlers: Handlers<Other> = { Other: () => {} };
  checks(to: Pid<EchoInbox>, untyped: Pid, other: Pid<Other>): void {
    this.send(to, { name: 'Ping', seq: 1 });
    this.send(to, { name: 'Stop' });
    // @ts-expect-error: misspelt message name
    this.send(to, { name: 'Pnig', seq: 1 });
    // @ts-expect-error: misspelt field
    this.send(to, { name: 'Ping', sqe: 1 });
    // @ts-expect-error: a field of the wrong type
    this.send(to, { name: 'Ping', seq: '1' });
    // @ts-expect-error: a message of another inbox
    this.send(to, { name: 'Other', text: '' });
    this.send(untyped, { name: 'Anything', at: 'all' });
    this.send(this.self, { name: 'Other', text: 'self is typed too' });
    // @ts-expect-error: self only takes its own inbox
    this.send(this.self, { name: 'Ping', seq: 1 });
    const widened: Pid = to; // a typed pid still goes wherever a Pid goes
    const narrowed: Pid<EchoInbox> = untyped; // and an untyped one can be given a type
    // @ts-expect-error: pids of unrelated inboxes do not convert
    const mixed: Pid<EchoInbox> = other;
    void widened, narrowed, mixed;
  }
}

describe('typed pids and named errors', () => {
  it('a typed pid is the same string on the wire as an untyped one', () => {
    const typed: Pid<EchoInbox> = pid<EchoInbox>('echo', '127.0.0.1:5050');
    assert.equal(typed, 'echo@127.0.0.1:5050');
    assert.equal(typeof Sender.prototype.checks, 'function');
  });

  it('every named error carries its cause', () => {
    const cause = new Error('root');
    for (const E of [ProtocolError, ValidationError, IllegalStateError, InvariantError]) {
      const err = new E('wrapped', { cause });
      assert.equal(err.cause, cause);
      assert.equal(err.name, E.name);
    }
  });

  it('a broken invariant throws an InvariantError once a test asks for it, and the handler can be replaced', () => {
    const original = setInvariantHandler('throw');
    try {
      assert.throws(() => invariant(false, 'must hold'), (e: unknown) => e instanceof InvariantError && e.message === 'must hold');
    } finally {
      setInvariantHandler(original);
    }
    invariant(true, 'holds');
    const seen: string[] = [];
    const previous = setInvariantHandler((e) => {
      seen.push(e.message);
      throw e;
    });
    try {
      assert.throws(() => invariant(0, () => 'lazy message'), InvariantError);
    } finally {
      setInvariantHandler(previous);
    }
    assert.deepEqual(seen, ['lazy message']);
  });

  it('a broken invariant exits with status 70 by default, even in a process started by a test', () => {
    // The child inherits NODE_TEST_CONTEXT from this test process, as a daemon under test does.
    const script = `import { invariant } from ${JSON.stringify(new URL('../../runtime/index.ts', import.meta.url).href)}; invariant(false, 'must hold'); console.log('survived');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: 'child-v8' } });
    assert.equal(r.status, 70);
    assert.doesNotMatch(r.stdout, /survived/);
    assert.match(r.stderr, /invariant broken: InvariantError: must hold/);
  });
});
