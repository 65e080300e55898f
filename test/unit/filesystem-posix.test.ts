// The filesystem/posix isolator on real files (Mesos's PosixFilesystemIsolatorTest and
// PersistentVolumeTest's symlink cases): a persistent volume becomes a link in the sandbox,
// handed to the sandbox's owner, removed (the volume's data kept) when the volume leaves the
// container; a shared volume another container uses keeps its owner; a link that points
// elsewhere is an error; a container path that is not a plain name is skipped with a warning.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chown, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerRefusal, lookupUser, PosixFilesystem, type VolumeLink } from '../../agent/containerizer/index.js';
import type { TaskInfo } from '../../protocol/index.js';

const dir = await mkdtemp(join(tmpdir(), 'mesos-ts-fs-posix-'));
after(() => rm(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

async function sandbox(name: string, owner?: { uid: number; gid: number }): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  if (owner) await chown(d, owner.uid, owner.gid);
  return d;
}

async function volume(id: string): Promise<VolumeLink & { hostPath: string }> {
  const hostPath = join(dir, 'volumes', id);
  await mkdir(hostPath, { recursive: true });
  return { id, hostPath, containerPath: 'data' };
}

test('filesystem/posix: a volume is linked at its container path and handed to the sandbox\'s user; it leaves, its data stays', { skip: isRoot ? false : 'chown to another user needs root' }, async () => {
  const nobody = await lookupUser('nobody');
  const fs = new PosixFilesystem();
  const box = await sandbox('c1', nobody);
  const v = await volume('v1');
  assert.deepEqual(await fs.linkVolumes('c1', box, [v]), []);
  assert.equal(await readlink(join(box, 'data')), v.hostPath);
  const owner = await stat(v.hostPath);
  assert.deepEqual([owner.uid, owner.gid], [nobody.uid, nobody.gid], 'the volume belongs to the task\'s user');
  await writeFile(join(box, 'data', 'written'), 'through the link');
  assert.equal(await readFile(join(v.hostPath, 'written'), 'utf8'), 'through the link');
  // Linked again (an agent restart forgets what it linked): the same link is accepted.
  assert.deepEqual(await new PosixFilesystem().linkVolumes('c1', box, [v]), []);
  await fs.linkVolumes('c1', box, []);
  await assert.rejects(lstat(join(box, 'data')), { code: 'ENOENT' });
  assert.equal(await readFile(join(v.hostPath, 'written'), 'utf8'), 'through the link', 'the volume outlives its link');
});

test('filesystem/posix: a shared volume in use keeps its owner; a root sandbox leaves it as it is', { skip: isRoot ? false : 'chown to another user needs root' }, async () => {
  const nobody = await lookupUser('nobody');
  const fs = new PosixFilesystem();
  const v = { ...(await volume('shared')), shared: true };
  await fs.linkVolumes('a', await sandbox('a'), [v]);
  assert.equal((await stat(v.hostPath)).uid, 0, 'a root container changes nothing');
  await fs.linkVolumes('b', await sandbox('b', nobody), [v]);
  assert.equal((await stat(v.hostPath)).uid, 0, 'in use by a: not handed to b\'s user');
  fs.cleanup('a');
  await fs.linkVolumes('c', await sandbox('c', nobody), [v]);
  assert.equal((await stat(v.hostPath)).uid, 0, 'still in use by b');
  fs.cleanup('b');
  fs.cleanup('c');
  await fs.linkVolumes('d', await sandbox('d', nobody), [v]);
  assert.equal((await stat(v.hostPath)).uid, nobody.uid, 'no other container uses it: d\'s user gets it');
});

test('filesystem/posix: a link to another target is an error; a container path that is not a plain name is skipped with a warning', async () => {
  const fs = new PosixFilesystem();
  const box = await sandbox('e');
  const v = await volume('v2');
  await symlink(join(dir, 'elsewhere'), join(box, 'data'));
  await mkdir(join(dir, 'elsewhere'));
  await assert.rejects(fs.linkVolumes('e', box, [v]), /The existing symlink '.*\/e\/data' points to '.*\/elsewhere' and the new target is '.*\/volumes\/v2'/);
  const warnings = await fs.linkVolumes('e2', await sandbox('e2'), [{ ...v, containerPath: 'a/b' }, { ...v, id: 'v3', containerPath: '..' }]);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /Skipping the symlink for persistent volume v2 of container e2: its container path 'a\/b' is not a plain name/);
  await assert.rejects(lstat(join(dir, 'e2', 'a')), { code: 'ENOENT' });
});

test('a ContainerInfo with volumes is refused: filesystem/posix cannot mount them', () => {
  const task: TaskInfo = { name: 't', task_id: { value: 't' }, agent_id: { value: 'a' }, resources: [], command: { value: 'true' }, container: { type: 'MESOS', volumes: [{ container_path: '/tmp', host_path: '/tmp', mode: 'RW' }] } };
  assert.match(containerRefusal(task) ?? '', /ContainerInfo has volumes, which the filesystem\/posix isolator does not support/);
});
