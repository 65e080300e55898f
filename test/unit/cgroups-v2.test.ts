// cgroups v2 on this host's real cgroup2 mount (/sys/fs/cgroup/unified): detection, a
// container's cgroup created and removed, a process moved into it, cgroup.procs, cgroup.threads
// and cpu.stat read back, the container killed through cgroup.kill, and cgroups isolators that
// need controllers the mount does not offer refused with one line. Limits (cpu.weight, cpu.max,
// memory.max) are written on the real mount only where its cgroup.controllers offer cpu and
// memory; elsewhere that test is skipped saying what the host lacks, and the values are checked
// on a directory laid out as a cgroup2 mount (the files, not the kernel's reaction to them).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cgroups, Containerizer, detectCgroups, Isolation } from '../../agent/containerizer/index.js';
import { readProcStat } from '../../agent/containerizer/proc.js';
import { testCgroupsRoot } from '../fixtures/leftovers.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const ROOT = testCgroupsRoot('v2');
const host = await detectCgroups(UNIFIED);
const noV2 = host?.version === 'v2' ? false : `no writable cgroup2 mount at ${UNIFIED}`;
const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-cgroups-v2-'));

after(async () => {
  const root = join(UNIFIED, ROOT);
  if (existsSync(root)) rmdirSync(root);
  await rm(workDir, { recursive: true, force: true });
});

const gone = async (pid: number): Promise<boolean> => {
  const s = await readProcStat(pid);
  return s === undefined || s.state === 'Z';
};

test('cgroups v2: detected from cgroup.controllers, with the controllers the mount offers (and the core freezer)', { skip: noV2 }, async () => {
  assert.equal(host!.version, 'v2');
  const offered = readFileSync(join(UNIFIED, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter((s) => s !== '');
  for (const c of offered) assert.ok(host!.subsystems.has(c), `${c} is offered`);
  assert.ok(host!.subsystems.has('freezer'), 'cgroup.freeze is part of every v2 cgroup');
  assert.equal(host!.subsystems.has('cpu'), offered.includes('cpu'));
  assert.equal(host!.subsystems.has('memory'), offered.includes('memory'));
  // The same mount seen as v1 has no per-subsystem directories: not a v1 hierarchy.
  assert.equal((await detectCgroups(join(UNIFIED, 'nonexistent'))), undefined);
});

test('cgroups v2: isolators needing controllers the mount does not offer are refused with one line naming them', { skip: noV2 }, async (t) => {
  const lacking = ['memory', 'cpu'].filter((c) => !host!.subsystems.has(c));
  if (lacking.length === 0) return t.skip(`${UNIFIED} offers cpu and memory: nothing to refuse`);
  const isolation = lacking.includes('memory') ? 'cgroups/mem' : 'cgroups/cpu';
  await assert.rejects(Isolation.create({ isolation, hierarchy: UNIFIED, root: ROOT }), (e: Error) => {
    assert.equal(e.name, 'ValidationError');
    assert.match(e.message, new RegExp(`^--isolation=${isolation.replace('/', '\\/')} needs the cgroups subsystem\\(s\\) .*${lacking.includes('memory') ? 'memory' : 'cpu'}.*, which ${UNIFIED} \\(cgroups v2\\) does not offer$`));
    return true;
  });
});

test('cgroups v2: a cgroup is created, a running process moved into it, procs/threads/cpu.stat read, and destroy kills it and removes the cgroup', { skip: noV2 }, async () => {
  const cg = new Cgroups(host!, ROOT, ['freezer']);
  await cg.prepareRoot();
  await cg.create('moved');
  const dir = join(UNIFIED, ROOT, 'moved');
  assert.ok(existsSync(join(dir, 'cgroup.procs')), 'the kernel made the cgroup');
  // A process that burns 200 ms of CPU in its own threads, started outside, then moved in.
  const child = spawn(process.execPath, ['-e', 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 200_000); setInterval(() => {}, 1000);'], { stdio: 'ignore' });
  try {
    await writeFile(join(dir, 'cgroup.procs'), String(child.pid));
    assert.deepEqual(await cg.pids('moved'), [child.pid]);
    // Node starts its worker threads moments after exec; each joins its process's cgroup.
    for (let i = 0; i < 500 && (await cg.pids('moved', true)).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const threads = await cg.pids('moved', true);
    assert.ok(threads.length > 1 && threads.includes(child.pid!), 'node\'s threads are all in the cgroup');
    const tasks = (await readdir(`/proc/${child.pid}/task`)).map(Number);
    assert.ok(tasks.every((tid) => threads.includes(tid)), 'every thread in /proc is in cgroup.threads');
    assert.match(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), new RegExp(`^0::/${ROOT}/moved$`, 'm'));
    for (let i = 0; i < 1000 && ((await cg.readKeyed('', 'moved', 'cpu.stat')).get('usage_usec') ?? 0) < 100_000; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(((await cg.readKeyed('', 'moved', 'cpu.stat')).get('usage_usec') ?? 0) >= 100_000, 'cpu.stat counts the CPU it used after the move');
    assert.deepEqual(await cg.list(), ['moved']);
    await cg.destroy('moved');
    assert.ok(await gone(child.pid!), 'cgroup.kill ended it');
    assert.equal(existsSync(dir), false, 'the cgroup is removed');
  } finally {
    child.kill('SIGKILL');
    await cg.destroy('moved');
  }
});

test('cgroups v2: the linux launcher\'s container reports processes, threads and CPU time from its cgroup', { skip: noV2 }, async () => {
  const isolation = await Isolation.create({ launcher: 'linux', hierarchy: UNIFIED, root: ROOT });
  const containerizer = new Containerizer({ workDir, isolation });
  try {
    const script = "const t = process.cpuUsage(); while (process.cpuUsage(t).user < 200_000); require('fs').writeFileSync('busy', ''); setInterval(() => {}, 1000);";
    const c = await containerizer.launch({ containerId: 'stats-v2', agentId: 'A', frameworkId: 'F', executorId: 'e', command: { value: `sleep 300 & exec '${process.execPath}' -e "${script}"` } });
    for (let i = 0; i < 2000 && !existsSync(join(c.sandbox, 'busy')); i++) await new Promise((r) => setTimeout(r, 10));
    const u = await containerizer.usage('stats-v2');
    assert.ok(u, 'usage of the container');
    const procs = readFileSync(join(UNIFIED, ROOT, 'stats-v2', 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '');
    assert.equal(u.processes, procs.length);
    assert.ok(u.processes! >= 2, 'node and the sleep it started');
    assert.ok(u.threads! > u.processes!);
    assert.ok(u.cpus_user_time_secs! >= 0.2, `user time ${u.cpus_user_time_secs} ≥ the 0.2 s it burned`);
    await c.kill(0);
    assert.equal(existsSync(join(UNIFIED, ROOT, 'stats-v2')), false, 'the container\'s cgroup is removed');
  } finally {
    await containerizer.destroyAll();
  }
});

test('cgroups v2 limits on the real mount: cpu.weight, cpu.max and memory.max', async (t) => {
  if (noV2) return t.skip(noV2);
  // Enabling needs the controllers at the mount's root; a controller bound to a v1 hierarchy cannot be.
  const wanted = ['cpu', 'memory'];
  const enable = (): string | undefined => {
    try {
      writeFileSync(join(UNIFIED, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
      return undefined;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code;
    }
  };
  const failed = enable();
  if (failed !== undefined) {
    const offered = readFileSync(join(UNIFIED, 'cgroup.controllers'), 'utf8').trim() || 'none';
    return t.skip(`${UNIFIED} offers the controllers [${offered}]; cpu and memory are not among them (bound to the v1 hierarchies here; enabling them: ${failed})`);
  }
  const isolation = await Isolation.create({ isolation: 'cgroups/cpu,cgroups/mem', hierarchy: UNIFIED, root: ROOT, enableCfs: true });
  try {
    await isolation.prepare('limits-v2', { cpus: 0.5, memBytes: 64 << 20 });
    const read = (f: string): string => readFileSync(join(UNIFIED, ROOT, 'limits-v2', f), 'utf8').trim();
    assert.equal(read('cpu.weight'), '20');
    assert.equal(read('cpu.max'), '50000 100000');
    assert.equal(read('memory.max'), String(64 << 20));
  } finally {
    await isolation.cleanup('limits-v2');
  }
});

test('cgroups v2 limit files, on a directory laid out as a cgroup2 mount with cpu, memory and pids', async () => {
  const fake = await mkdtemp(join(tmpdir(), 'mesos-ts-cgroup2-layout-'));
  try {
    await writeFile(join(fake, 'cgroup.controllers'), 'cpu memory pids\n');
    const detected = await detectCgroups(fake);
    assert.equal(detected?.version, 'v2');
    assert.deepEqual([...detected!.subsystems].sort(), ['cpu', 'cpuacct', 'freezer', 'memory', 'pids']);
    const isolation = await Isolation.create({ isolation: 'cgroups/cpu,cgroups/mem,cgroups/pids', hierarchy: fake, root: 'mesos', enableCfs: true });
    // The controllers are delegated down to the containers' parent.
    assert.equal(await readFile(join(fake, 'cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
    assert.equal(await readFile(join(fake, 'mesos', 'cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
    const files = await isolation.prepare('c', { cpus: 1.5, memBytes: 96 << 20 });
    assert.deepEqual(files, [join(fake, 'mesos', 'c', 'cgroup.procs')], 'one cgroup holds every controller');
    const read = (f: string): Promise<string> => readFile(join(fake, 'mesos', 'c', f), 'utf8');
    // 1.5 cpus = 1536 shares, mapped onto 1..10000 as Mesos's v2 cpu controller maps them.
    assert.equal(await read('cpu.weight'), String(Math.round(1 + ((1536 - 2) * 9999) / 262142)));
    assert.equal(await read('cpu.max'), '150000 100000');
    assert.equal(await read('memory.max'), String(96 << 20));
    // A task ended: the CPU follows, the memory hard limit is not lowered under what runs.
    await isolation.update('c', { cpus: 0.5, memBytes: 64 << 20 });
    assert.equal(await read('cpu.weight'), '20');
    assert.equal(await read('cpu.max'), '50000 100000');
    assert.equal(await read('memory.max'), String(96 << 20));
    await isolation.update('c', { cpus: 0.5, memBytes: 128 << 20 });
    assert.equal(await read('memory.max'), String(128 << 20), 'a larger one is written');
    // Below Mesos's minimum, the minimum.
    await isolation.prepare('small', { memBytes: 1 << 20 });
    assert.equal(await readFile(join(fake, 'mesos', 'small', 'memory.max'), 'utf8'), String(32 << 20));
    isolation.stop();
  } finally {
    await rm(fake, { recursive: true, force: true });
  }
});
