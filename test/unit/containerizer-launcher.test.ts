// The linux launcher on this host's real cgroups, v1 (the freezer) and v2 (the unified mount,
// cgroup.kill): a process that leaves its container's process group with setsid still belongs
// to the container and dies with it, and the container's cgroup goes too (Mesos's
// LinuxLauncherTest). Skipped, saying why, where the host has no such hierarchy.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Containerizer, detectCgroups, Isolation } from '../../agent/containerizer/index.js';
import { readProcStat } from '../../agent/containerizer/proc.js';
import { testCgroupsRoot } from '../fixtures/leftovers.js';

const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-launcher-'));
const ROOT = testCgroupsRoot('launcher');
const roots: string[] = [];

after(async () => {
  for (const r of roots) if (existsSync(r)) rmdirSync(r);
  await rm(workDir, { recursive: true, force: true });
});

const hierarchies = [
  { name: 'v1', hierarchy: '/sys/fs/cgroup', dir: (id: string) => join('/sys/fs/cgroup/freezer', ROOT, id) },
  { name: 'v2', hierarchy: '/sys/fs/cgroup/unified', dir: (id: string) => join('/sys/fs/cgroup/unified', ROOT, id) },
];

for (const h of hierarchies) {
  const host = await detectCgroups(h.hierarchy);
  const skip = host?.version === h.name && host.subsystems.has('freezer') ? false : `no writable cgroups ${h.name} hierarchy with a freezer at ${h.hierarchy}`;
  test(`linux launcher (cgroups ${h.name}): a process that escaped the process group dies with its container, and the cgroup is removed`, { skip }, async () => {
    const isolation = await Isolation.create({ launcher: 'linux', hierarchy: h.hierarchy, root: ROOT });
    roots.push(h.dir(''));
    const containerizer = new Containerizer({ workDir, isolation });
    try {
      const c = await containerizer.launch({ containerId: `c-${h.name}`, agentId: 'A', frameworkId: 'F', executorId: 'e', command: { value: 'setsid sleep 300 & echo $! > escaped; sleep 300' } });
      const escapedFile = join(c.sandbox, 'escaped');
      // The shell creates the file before it writes the pid: wait for the whole line.
      const written = (): boolean => existsSync(escapedFile) && readFileSync(escapedFile, 'utf8').endsWith('\n');
      for (let i = 0; i < 500 && !written(); i++) await new Promise((r) => setTimeout(r, 10));
      const escaped = Number(readFileSync(escapedFile, 'utf8'));
      for (let i = 0; i < 500 && (await readProcStat(escaped))?.session !== escaped; i++) await new Promise((r) => setTimeout(r, 10));
      const stat = await readProcStat(escaped);
      assert.ok(stat && stat.pgrp !== c.pid, 'the escaped process left the container\'s process group');
      const procs = readFileSync(join(h.dir(c.containerId), 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
      assert.ok(procs.includes(c.pid) && procs.includes(escaped), 'both are in the container\'s cgroup');
      await c.kill(0);
      const gone = await readProcStat(escaped);
      assert.ok(gone === undefined || gone.state === 'Z', 'the escaped process is gone');
      assert.equal(existsSync(h.dir(c.containerId)), false, 'the container\'s cgroup is removed');
    } finally {
      await containerizer.destroyAll();
    }
  });
}
