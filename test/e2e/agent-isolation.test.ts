// The containerizer's isolation on this machine's real cgroups, as a framework and an operator
// see it: a task over its memory limit is OOM-killed and fails with Mesos's limitation reason,
// cpu shares and the memory limit follow the task's resources, statistics match what the task
// holds, what cannot run here (DOCKER, images) is refused, tasks run as their user, completed
// and no cgroup or process is left behind (MesosContainerizer
// tests: MemoryIsolatorTest, CpuIsolatorTest, CgroupsIsolatorTest, SlaveTest.*User*).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detectCgroups } from '../../agent/containerizer/index.js';
import { testCgroupsRoot } from '../fixtures/leftovers.js';
import { commandTask, E2ECluster, getJson, RecordingScheduler, waitUntil, type AgentProcess, type AgentState } from '../fixtures/e2e-cluster.js';
import { run } from '../fixtures/cli-run.js';

const HIERARCHY = '/sys/fs/cgroup';
const ROOT = testCgroupsRoot('isolation');
const SUBSYSTEMS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];
const host = await detectCgroups(HIERARCHY);
const missing = SUBSYSTEMS.filter((s) => !host?.subsystems.has(s));
const noCgroups = host === undefined || host.version !== 'v1' || missing.length > 0
  ? `this host has no writable cgroups v1 hierarchy with ${SUBSYSTEMS.join(', ')} at ${HIERARCHY} (missing: ${missing.join(', ') || host?.version})`
  : false;
const isRoot = process.getuid?.() === 0;
const OPTIONS = { isolation: 'cgroups/cpu,cgroups/mem,cgroups/pids', cgroupsRoot: ROOT, oomCheckMs: 100, switchUser: true };

/** The container cgroups left under the test's root, per subsystem. */
function leftCgroups(): string[] {
  const out: string[] = [];
  for (const s of SUBSYSTEMS) {
    const dir = join(HIERARCHY, s, ROOT);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(join(dir, e.name));
  }
  return out;
}

function removeRoot(): void {
  for (const s of SUBSYSTEMS) {
    const dir = join(HIERARCHY, s, ROOT);
    for (const c of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) if (c.isDirectory()) rmdirSync(join(dir, c.name));
    if (existsSync(dir)) rmdirSync(dir);
  }
}

/** The container id of the executor running `taskId` (a command task's executor has its id). */
async function containerOf(cluster: E2ECluster, agent: AgentProcess, taskId: string): Promise<{ container: string; directory: string }> {
  return waitUntil(`the executor of ${taskId} in the agent's /state`, async () => {
    const state: AgentState = await cluster.agentState(agent);
    const e = [...state.frameworks, ...state.completed_frameworks].flatMap((f) => [...f.executors, ...f.completed_executors]).find((x) => x.id === taskId);
    return e && { container: e.container, directory: e.directory };
  });
}

describe('isolation on real cgroups', { timeout: 120_000, skip: noCgroups }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let fw: RecordingScheduler;

  before(async () => {
    cluster = await E2ECluster.start({ agents: [] });
    agent = await cluster.startAgent('cpus:4;mem:2048;disk:1024', OPTIONS);
    fw = new RecordingScheduler(cluster.master.address, { name: 'isolation' });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    const left = await cluster?.stop();
    const cgroups = leftCgroups();
    removeRoot();
    assert.deepEqual(left, [], 'no executor or task outlives the cluster');
    assert.deepEqual(cgroups, [], `no container cgroup is left under ${ROOT}`);
  });

  it('a task over its memory limit is killed: TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY, from the agent, naming limit and usage', async () => {
    // 32 MB for the task and Mesos's 32 MB for its command executor: a 64 MB container.
    await fw.launch((offer) => [commandTask('hog', offer, 'tail /dev/zero', 'cpus:0.1;mem:32')]);
    const failed = await fw.status('hog', 'TASK_FAILED');
    assert.equal(failed.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
    assert.equal(failed.source, 'SOURCE_AGENT');
    assert.match(failed.message ?? '', /^Memory limit exceeded: Requested: 64MB Maximum Used: \d+(\.\d+)?MB/);
    const { container } = await containerOf(cluster, agent, 'hog');
    await waitUntil('the OOM-killed container\'s cgroups to be removed', () => !existsSync(join(HIERARCHY, 'memory', ROOT, container)));
  });

  it('cpu shares and the memory limit follow the task\'s resources, and the task runs inside its cgroups', async () => {
    await fw.launch((offer) => [commandTask('shares', offer, 'sleep 60', 'cpus:0.5;mem:64')], { needs: 'cpus:0.5;mem:64' });
    await fw.status('shares', 'TASK_RUNNING');
    const { container } = await containerOf(cluster, agent, 'shares');
    const read = (s: string, f: string): string => readFileSync(join(HIERARCHY, s, ROOT, container, f), 'utf8').trim();
    // (0.5 + the executor's 0.1) × 1024.
    assert.equal(read('cpu', 'cpu.shares'), String(Math.floor(0.6 * 1024)));
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(96 * 1024 * 1024));
    const pids = read('freezer', 'cgroup.procs').split('\n').filter((l) => l !== '');
    assert.ok(pids.length >= 1, 'the task is in its freezer cgroup');
    for (const s of ['cpu', 'cpuacct', 'memory', 'pids']) assert.deepEqual(read(s, 'cgroup.procs').split('\n').filter((l) => l !== ''), pids, `the same processes in ${s}`);
    assert.match(readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8'), /sleep/);
    fw.driver.killTask({ value: 'shares' });
    await fw.status('shares', 'TASK_KILLED');
    await waitUntil('the killed task\'s cgroups to be removed', () => SUBSYSTEMS.every((s) => !existsSync(join(HIERARCHY, s, ROOT, container))));
  });

  it('/monitor/statistics and /containers report what the task holds (rss ≥ the 60 MB it allocated)', async () => {
    const script = "const b = Buffer.alloc(60 << 20, 1); require('fs').writeFileSync('ready', ''); setInterval(() => b[0]++, 1000);";
    await fw.launch((offer) => [commandTask('stats', offer, `exec '${process.execPath}' -e "${script}"`, 'cpus:0.2;mem:256')], { needs: 'cpus:0.2;mem:256' });
    await fw.status('stats', 'TASK_RUNNING');
    const { container, directory } = await containerOf(cluster, agent, 'stats');
    await waitUntil('the task to have allocated its memory', () => existsSync(join(directory, 'ready')));
    type Entry = { executor_id: string; framework_id: string; container_id?: string; statistics: Record<string, number> };
    const monitor = await getJson<Entry[]>(`http://${agent.address}/monitor/statistics`);
    const containers = await getJson<(Entry & { status: { container_id: { value: string } } })[]>(`http://${agent.address}/containers`);
    const m = monitor.find((e) => e.executor_id === 'stats');
    const c = containers.find((e) => e.executor_id === 'stats');
    assert.ok(m && c, 'the command task is in both');
    assert.equal(c.container_id, container);
    assert.equal(c.status.container_id.value, container);
    assert.equal(m.framework_id, fw.frameworkId);
    for (const s of [m.statistics, c.statistics]) {
      assert.ok(s['mem_rss_bytes']! >= 60 * 1024 * 1024, `rss ${s['mem_rss_bytes']} ≥ 60 MB`);
      assert.ok(s['mem_total_bytes']! >= s['mem_rss_bytes']!);
      assert.equal(s['mem_limit_bytes'], (256 + 32) * 1024 * 1024);
      assert.ok(Math.abs(s['cpus_limit']! - 0.3) < 1e-9);
      assert.ok(s['processes']! >= 1 && s['threads']! >= s['processes']!);
      assert.ok(s['cpus_user_time_secs']! + s['cpus_system_time_secs']! > 0);
      assert.ok(Math.abs(s['timestamp']! - Date.now() / 1000) < 60);
    }
    fw.driver.killTask({ value: 'stats' });
    await fw.status('stats', 'TASK_KILLED');
  });

  it('a DOCKER container, and a MESOS container with an image, are refused with a reason and never run', async () => {
    await fw.launch((offer) => [
      { ...commandTask('docker', offer, 'touch /tmp/should-not-run'), container: { type: 'DOCKER', docker: { image: 'alpine' } } },
      { ...commandTask('image', offer, 'true'), container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'alpine' } } } } },
    ], { needs: 'cpus:0.2;mem:64' });
    const docker = await fw.status('docker', 'TASK_FAILED');
    assert.equal(docker.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
    assert.equal(docker.source, 'SOURCE_AGENT');
    assert.match(docker.message ?? '', /type DOCKER, which this agent cannot run/);
    const image = await fw.status('image', 'TASK_FAILED');
    assert.match(image.message ?? '', /has an image, which this agent cannot provision/);
    assert.ok(!fw.statusesOf('docker').some((s) => s.state === 'TASK_RUNNING'));
  });

  it('a task runs as its CommandInfo.user (nobody), and an unknown user fails the task with the reason', { skip: isRoot ? false : 'the agent must run as root to switch users' }, async () => {
    await fw.launch((offer) => [
      { ...commandTask('as-nobody', offer, 'id -un; touch mine && stat -c %U mine'), command: { value: 'id -un; touch mine && stat -c %U mine', shell: true, user: 'nobody' } },
      { ...commandTask('as-nobody-user', offer, 'true'), command: { value: 'true', shell: true, user: 'no-such-user-mesos' } },
    ], { needs: 'cpus:0.2;mem:64' });
    await fw.status('as-nobody', 'TASK_FINISHED');
    const { directory } = await containerOf(cluster, agent, 'as-nobody');
    assert.equal(readFileSync(join(directory, 'stdout'), 'utf8'), 'nobody\nnobody\n');
    const unknown = await fw.status('as-nobody-user', 'TASK_FAILED');
    assert.equal(unknown.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
    assert.match(unknown.message ?? '', /Failed to get user information for 'no-such-user-mesos'/);
  });

  it('a restarted agent destroys the cgroups its killed predecessor left', async () => {
    await fw.launch((offer) => [commandTask('orphan', offer, 'sleep 60')]);
    await fw.status('orphan', 'TASK_RUNNING');
    const { container } = await containerOf(cluster, agent, 'orphan');
    const cgroup = join(HIERARCHY, 'memory', ROOT, container);
    assert.ok(existsSync(cgroup));
    agent.child.kill('SIGKILL');
    await agent.exited;
    cluster.killLeftovers(agent);
    agent = await cluster.restartAgent(agent, OPTIONS);
    await waitUntil('the orphan container\'s cgroups to be destroyed', () => SUBSYSTEMS.every((s) => !existsSync(join(HIERARCHY, s, ROOT, container))));
  });

  it('a restarted agent keeps the executor host\'s container of a checkpointing framework, whose task still runs', async () => {
    // The last test here: the first framework lets the agent's resources go to this one.
    fw.declineOffers();
    const cp = new RecordingScheduler(cluster.master.address, { name: 'isolation-checkpoint', checkpoint: true });
    await cp.start();
    try {
      await cp.launch((offer) => [commandTask('survivor', offer, 'sleep 60')]);
      await cp.status('survivor', 'TASK_RUNNING');
      type Entry = { executor_id: string; framework_id: string; container_id: string; status: { executor_pid?: number } };
      const hostOf = async (): Promise<Entry | undefined> => (await getJson<Entry[]>(`http://${agent.address}/containers`)).find((e) => e.executor_id === 'executor-host' && e.framework_id === cp.frameworkId);
      const host = await waitUntil('the executor host in /containers', hostOf);
      const hostPid = host.status.executor_pid!;
      const procs = (): number[] => readFileSync(join(HIERARCHY, 'freezer', ROOT, host.container_id, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
      assert.ok(procs().includes(hostPid), 'the executor host runs in its own cgroup');
      agent.child.kill('SIGKILL');
      await agent.exited;
      agent = await cluster.restartAgent(agent, OPTIONS);
      // The recovered agent does not take the host's cgroup for an orphan: the host and its task live on.
      const state = await waitUntil('the survivor task recovered', async () => {
        const st: AgentState = await cluster.agentState(agent);
        return st.frameworks.find((f) => f.id === cp.frameworkId)?.executors.find((e) => e.id === 'survivor');
      });
      assert.ok(state);
      assert.ok(existsSync(join(HIERARCHY, 'freezer', ROOT, host.container_id)), 'the host\'s cgroup survives the agent\'s restart');
      assert.ok(procs().includes(hostPid), 'with the host in it');
      cp.driver.killTask({ value: 'survivor' });
      await cp.status('survivor', 'TASK_KILLED');
      // The agent watches the old host's process: when it ends, so does its cgroup.
      process.kill(hostPid, 'SIGKILL');
      await waitUntil('the old executor host\'s cgroup to be removed once it is gone', () => SUBSYSTEMS.every((s) => !existsSync(join(HIERARCHY, s, ROOT, host.container_id))));
    } finally {
      await cp.stop();
    }
  });
});

describe('an agent on a host without the cgroups it is asked for', () => {
  it('refuses --isolation=cgroups/mem at start with a one-line error naming the flag', async () => {
    const r = await run('mesos-agent', ['--master=127.0.0.1:1', '--work_dir=/tmp/mesos-ts-no-cgroups', '--isolation=cgroups/mem', '--cgroups_hierarchy=/nonexistent-cgroups', '--port=0']);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /--isolation=cgroups\/mem needs cgroups, but no writable cgroups hierarchy is mounted at \/nonexistent-cgroups/);
  });
});
