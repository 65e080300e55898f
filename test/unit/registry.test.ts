// The master's registry as Mesos's registrar: one store in flight, the operations that arrive
// meanwhile stored together in the next one, each operation's promise resolved only once a
// store that contains it is on disk.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type RegistryState } from '../../master/registry.js';

const root = await mkdtemp(join(tmpdir(), 'mesos-ts-registry-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshWorkDir = (): string => join(root, `w${++n}`);
const onDisk = (dir: string): RegistryState => JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as RegistryState;
const admit = (id: string) => ({ type: 'admit' as const, agent: { id, hostname: `h-${id}` } });

test('operations applied while a store is in flight go together into the next store, and each resolves only once its store is on disk', async () => {
  const dir = freshWorkDir();
  const registry = new Registry(dir);
  registry.recover();
  const seen: string[] = [];
  const whenResolved = (label: string) => () => {
    // What is on disk at the moment the operation's promise resolves.
    seen.push(`${label}:${onDisk(dir).admitted.map((a) => a.id).join(',')}`);
  };
  const first = registry.apply(admit('a1')).then(whenResolved('a1'));
  // A turn later the first store has begun and is not done (it takes several file-system calls).
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(registry.stores, 0, 'the first store is still in flight');
  const rest = [registry.apply(admit('a2')).then(whenResolved('a2')), registry.apply({ type: 'markUnreachable', id: 'a1', hostname: 'h-a1', time_ms: 7 }).then(whenResolved('u1')), registry.apply(admit('a3')).then(whenResolved('a3'))];
  await Promise.all([first, ...rest]);
  assert.deepEqual(seen, ['a1:a1', 'a2:a2,a3', 'u1:a2,a3', 'a3:a2,a3']);
  assert.equal(registry.stores, 2, 'one store for the first operation, one for the three queued behind it');
  assert.deepEqual(onDisk(dir).unreachable, [{ id: 'a1', hostname: 'h-a1', time_ms: 7 }]);
  // What a master recovers after a restart.
  const again = new Registry(dir);
  assert.deepEqual(again.recover().admitted.map((a) => a.id), ['a2', 'a3']);
});

test('without a work_dir an operation resolves at once, but not synchronously', async () => {
  const registry = new Registry(undefined);
  const order: string[] = [];
  const p = registry.apply(admit('a1')).then(() => order.push('stored'));
  order.push('returned');
  await p;
  assert.deepEqual(order, ['returned', 'stored']);
  assert.equal(registry.stores, 0);
});

test('a store that fails rejects every operation it contained', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  const registry = new Registry(join(file, 'work'));
  const results = await Promise.allSettled([registry.apply(admit('a1')), registry.apply({ type: 'remove', id: 'a1' })]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
});
