import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, access, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Containerizer,
  ContainerLaunchError,
  executorEnvironment,
  formatDuration,
  groupAlive,
  processAlive,
  sandboxPath,
  type ContainerLaunchSpec,
} from '../../agent/containerizer/index.js';
import { processGroupMembers } from '../../agent/containerizer/proc.js';

const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-containerizer-'));
const containerizer = new Containerizer({ workDir });
let seq = 0;

after(async () => {
  await containerizer.destroyAll();
  await rm(workDir, { recursive: true, force: true });
});

function spec(command: ContainerLaunchSpec['command'], extra: Partial<ContainerLaunchSpec> = {}): ContainerLaunchSpec {
  const n = ++seq;
  return { containerId: `c${n}`, agentId: 'A1', frameworkId: 'F1', executorId: `e${n}`, command, ...extra };
}

/** Waits for a file the child writes once it has forked what the test needs (a real event). */
async function fileAppears(path: string): Promise<void> {
  for (;;) {
    try {
      await access(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

test('a launched command writes stdout and stderr to files in its sandbox and reports its exit status', async () => {
  const s = spec({ value: 'echo hi; echo err >&2; exit 3' });
  const c = await containerizer.launch(s);
  assert.equal(c.sandbox, sandboxPath(workDir, s));
  assert.ok(c.sandbox.endsWith(join('slaves', 'A1', 'frameworks', 'F1', 'executors', s.executorId, 'runs', s.containerId)));
  const t = await c.wait();
  assert.deepEqual(t, { exitCode: 3, signal: null, status: 'exited with status 3' });
  assert.equal(await readFile(join(c.sandbox, 'stdout'), 'utf8'), 'hi\n');
  assert.equal(await readFile(join(c.sandbox, 'stderr'), 'utf8'), 'err\n');
  assert.equal(containerizer.get(s.containerId), undefined);
});

test('the executor sees the given environment and runs in its sandbox', async () => {
  const env = executorEnvironment({
    frameworkId: 'F1', executorId: 'e', agentId: 'A1', agentPid: 'agent(1)@127.0.0.1:5051',
    sandbox: '/x', checkpoint: true, shutdownGracePeriodMs: 5000, recoveryTimeoutMs: 900_000,
  });
  assert.equal(env.MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, '5secs');
  assert.equal(env.MESOS_RECOVERY_TIMEOUT, '15mins');
  assert.equal(formatDuration(1500), '1500ms');
  const c = await containerizer.launch(spec({ value: 'echo "$FOO $MESOS_SLAVE_ID"; pwd' }, { env: { ...env, FOO: 'bar' } }));
  await c.wait();
  assert.equal(await readFile(join(c.sandbox, 'stdout'), 'utf8'), `bar A1\n${c.sandbox}\n`);
});

test('an argv command runs without a shell', async () => {
  const c = await containerizer.launch(spec({ shell: false, value: '/bin/echo', arguments: ['echo', 'a b', '$HOME'] }));
  assert.equal((await c.wait()).exitCode, 0);
  assert.equal(await readFile(join(c.sandbox, 'stdout'), 'utf8'), 'a b $HOME\n');
});

test('kill escalates to SIGKILL after the grace period for a group that ignores SIGTERM, grandchildren included', async () => {
  // The shell ignores TERM, and its children inherit the ignored disposition across exec.
  const c = await containerizer.launch(spec({ value: 'trap "" TERM; sleep 1000 & sleep 1000 & echo > ready; wait' }));
  await fileAppears(join(c.sandbox, 'ready'));
  const members = (await processGroupMembers(c.pid)) ?? [];
  assert.ok(members.length >= 3, `expected the shell and two sleeps, saw ${members.length}`);
  const t = await c.kill(200);
  assert.deepEqual(t, { exitCode: null, signal: 'SIGKILL', status: 'killed by signal SIGKILL' });
  assert.equal(await groupAlive(c.pid), false);
  for (const m of members) assert.equal(await processAlive(m.pid), false, `pid ${m.pid} survived`);
});

test('a process that exits on SIGTERM is reported as killed by SIGTERM', async () => {
  const c = await containerizer.launch(spec({ shell: false, value: 'sleep', arguments: ['sleep', '1000'] }));
  const t = await c.kill(60_000);
  assert.deepEqual(t, { exitCode: null, signal: 'SIGTERM', status: 'killed by signal SIGTERM' });
});

test('processes an executor leaves behind are destroyed with its container', async () => {
  const c = await containerizer.launch(spec({ value: 'sleep 1000 & echo $! > orphan; exit 0' }));
  assert.equal((await c.wait()).status, 'exited with status 0');
  const orphan = Number(await readFile(join(c.sandbox, 'orphan'), 'utf8'));
  assert.equal(await processAlive(orphan), false);
});

test('a launch that cannot start rejects with ContainerLaunchError and tracks nothing', async () => {
  const missing = spec({ shell: false, value: '/nonexistent/program' });
  await assert.rejects(containerizer.launch(missing), (e: unknown) => {
    assert.ok(e instanceof ContainerLaunchError);
    assert.equal(e.containerId, missing.containerId);
    assert.match(e.message, /\/nonexistent\/program/);
    return true;
  });
  const file = join(workDir, 'a-file');
  await writeFile(file, '');
  const badDir = spec({ value: 'true' }, { directory: join(file, 'sandbox') });
  await assert.rejects(containerizer.launch(badDir), (e: unknown) => e instanceof ContainerLaunchError && /ENOTDIR/.test(e.message));
  await assert.rejects(containerizer.launch(spec({ value: 'true' }, { executorId: '..' })), ContainerLaunchError);
  assert.equal(containerizer.get(missing.containerId), undefined);
  assert.equal(containerizer.get(badDir.containerId), undefined);
});

test('two launches with one container id: the second is refused', async () => {
  const s = spec({ value: 'sleep 1000' });
  const [a, b] = await Promise.allSettled([containerizer.launch(s), containerizer.launch(s)]);
  assert.equal(a.status, 'fulfilled');
  assert.equal(b.status, 'rejected');
  if (a.status === 'fulfilled') await a.value.kill();
});

test('reattach re-attaches to an executor from a previous agent and notices when it exits', async () => {
  // Stands in for an executor that an earlier agent process launched: a session and group of
  // its own, orphaned (its parent shell has exited), so it is not a child of this process.
  const out = await new Promise<string>((resolve) => {
    const sh = spawn('/bin/sh', ['-c', 'setsid sleep 1000 >/dev/null 2>&1 & echo $!'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    sh.stdout.on('data', (d: Buffer) => (text += d.toString()));
    sh.once('close', () => resolve(text));
  });
  const pid = Number(out.trim());
  assert.ok(pid > 0);
  assert.equal(await processAlive(pid), true);
  const fresh = new Containerizer({ workDir, reattachPollMs: 20 });
  const c = await fresh.reattach({ containerId: 'old', pid, sandbox: workDir });
  assert.equal(c.reattached, true);
  assert.equal(fresh.get('old'), c);
  process.kill(pid, 'SIGTERM');
  const t = await c.wait();
  assert.equal(t.exitCode, null);
  assert.match(t.status, /unknown/);
  assert.equal(fresh.containers().length, 0);
});

test('a re-attached executor can be killed with its whole group', async () => {
  const previous = spawn('/bin/sh', ['-c', 'trap "" TERM; sleep 1000 & echo > ready; wait'], {
    detached: true, stdio: 'ignore', cwd: workDir,
  });
  const pid = previous.pid;
  assert.ok(pid !== undefined);
  await fileAppears(join(workDir, 'ready'));
  const fresh = new Containerizer({ workDir });
  const c = await fresh.reattach({ containerId: 'old2', pid, sandbox: workDir });
  await c.kill(100);
  assert.equal(await groupAlive(pid), false);
});

test('re-attaching to a pid that is gone yields a container that has already terminated', async () => {
  const done = spawn('true', [], { detached: true, stdio: 'ignore' });
  const pid = done.pid;
  assert.ok(pid !== undefined);
  await new Promise((r) => done.once('exit', r));
  const fresh = new Containerizer({ workDir });
  const c = await fresh.reattach({ containerId: 'gone', pid, sandbox: workDir });
  assert.match((await c.wait()).status, /unknown/);
});

test('usage reports the process group and the recorded limits', async () => {
  const c = await containerizer.launch(spec({ value: 'sleep 1000 & sleep 1000 & echo > ready; wait' }, { limits: { cpus: 0.5, memBytes: 64 << 20 } }));
  await fileAppears(join(c.sandbox, 'ready'));
  const u = await containerizer.usage(c.containerId);
  assert.ok(u);
  assert.equal(u.processes, 3);
  assert.ok((u.mem_rss_bytes ?? 0) > 0);
  assert.equal(u.cpus_limit, 0.5);
  assert.equal(u.mem_limit_bytes, 64 << 20);
  await c.kill();
  assert.equal(await containerizer.usage(c.containerId), undefined);
});

test('destroyAll leaves no process of any container behind', async () => {
  const own = new Containerizer({ workDir });
  const cs = await Promise.all(
    [1, 2, 3].map((i) => own.launch({ ...spec({ value: 'trap "" TERM; sleep 1000 & sleep 1000 & wait' }), containerId: `d${i}` })),
  );
  // Launched and not yet awaited: destroyAll must also wait out launches in flight.
  const inFlight = own.launch(spec({ value: 'sleep 1000' }));
  await own.destroyAll(50);
  const late = await inFlight;
  assert.equal(own.containers().length, 0);
  for (const c of [...cs, late]) assert.equal(await groupAlive(c.pid), false);
});
