import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerRefusal, Isolation, joinScript, parseIsolation, taskUser } from '../../agent/containerizer/index.js';
import type { TaskInfo } from '../../protocol/index.js';

test('--isolation takes Mesos\'s isolator names and names the one it does not know', () => {
  assert.deepEqual(parseIsolation('posix/cpu, posix/mem,posix/cpu'), ['posix/cpu', 'posix/mem']);
  assert.deepEqual(parseIsolation('cgroups/cpu,cgroups/mem,cgroups/pids,filesystem/posix'), ['cgroups/cpu', 'cgroups/mem', 'cgroups/pids', 'filesystem/posix']);
  assert.throws(() => parseIsolation('cgroups/cpu,docker/runtime'), /Unknown or unsupported isolator 'docker\/runtime'/);
});

test('the default isolation is posix/cpu,posix/mem with the posix launcher, needing no cgroups', async () => {
  const iso = await Isolation.create({ hierarchy: '/nonexistent' });
  assert.deepEqual(iso.names, ['posix/cpu', 'posix/mem']);
  assert.equal(iso.launcher, 'posix');
  assert.equal(iso.cgroups, undefined);
  assert.deepEqual(await iso.prepare('c1', { cpus: 1, memBytes: 1 << 20 }), []);
  assert.equal(iso.memoryLimited('c1'), false);
});

test('a hierarchy without cgroups refuses cgroups isolators and the linux launcher with one line each', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mesos-ts-no-cgroups-'));
  try {
    await assert.rejects(Isolation.create({ isolation: 'cgroups/mem', hierarchy: dir }), (e: Error) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.message, `--isolation=cgroups/mem needs cgroups, but no writable cgroups hierarchy is mounted at ${dir} (--cgroups_hierarchy)`);
      return true;
    });
    await assert.rejects(Isolation.create({ launcher: 'linux', hierarchy: dir }), /--launcher=linux needs cgroups/);
    await assert.rejects(Isolation.create({ isolation: 'cgroups/cpu', root: '../escape' }), /--cgroups_root '\.\.\/escape'/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a container\'s first process joins every cgroup, then becomes its user, then executes', () => {
  assert.equal(joinScript({ cgroups: ["/sys/fs/cgroup/memory/m/c'1/cgroup.procs"] }), `echo $$ > '/sys/fs/cgroup/memory/m/c'\\''1/cgroup.procs' && exec`);
  assert.equal(joinScript({ cgroups: ['/a', '/b'], user: { name: 'nobody', uid: 65534, gid: 65534 } }), "echo $$ > '/a' && echo $$ > '/b' && exec setpriv --reuid=65534 --regid=65534 --init-groups --");
});

test('DOCKER containers and MESOS images are refused with a reason; a plain MESOS container is not', () => {
  const task = (container?: TaskInfo['container']): TaskInfo => ({ name: 't', task_id: { value: 't' }, agent_id: { value: 'a' }, resources: [], command: { value: 'true' }, ...(container ? { container } : {}) });
  assert.match(containerRefusal(task({ type: 'DOCKER', docker: { image: 'alpine' } })) ?? '', /type DOCKER, which this agent cannot run/);
  assert.match(containerRefusal(task({ type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'alpine' } } } })) ?? '', /has an image/);
  assert.equal(containerRefusal(task({ type: 'MESOS' })), undefined);
  assert.equal(containerRefusal(task()), undefined);
});

test('the task\'s user is CommandInfo.user, else the framework\'s, and only with --switch_user on a root agent', () => {
  const root = process.getuid?.() === 0;
  assert.equal(taskUser(false, 'alice', 'bob'), undefined);
  assert.equal(taskUser(true, 'alice', 'bob'), root ? 'alice' : undefined);
  assert.equal(taskUser(true, undefined, 'bob'), root ? 'bob' : undefined);
  assert.equal(taskUser(true, '', ''), undefined);
  assert.equal(taskUser(true, undefined, 'root'), undefined);
});
