// The allocator actor inside a real master process: a call with invalid input is dropped and
// counted while the master carries on; a call that contradicts the allocator's books is a
// broken invariant, and the process stops loudly with status 70 instead of carrying on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, startProcess } from '../fixtures/processes.js';

test("an allocator call with invalid input is dropped and counted; one its books contradict ends the master with status 70", { timeout: 30_000 }, async () => {
  const node = await startProcess<{ address: string; dropped: number }>(fixture('allocator-calls.ts'));
  let stderr = '';
  node.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    assert.equal(node.ready.dropped, 1);
    const metrics = (await (await fetch(`http://${node.ready.address}/metrics/snapshot`)).json()) as Record<string, number>;
    assert.equal(metrics['allocator/mesos/dropped_calls'], 1, 'the master still serves, and counts the drop');

    node.child.kill('SIGUSR2');
    const { code, signal } = await node.exited;
    assert.deepEqual([code, signal], [70, null]);
    assert.match(stderr, /invariant broken: InvariantError: allocator AllocatorAddAgent failed: agent agent-1 is already added/);
  } finally {
    node.child.kill('SIGKILL');
  }
});
