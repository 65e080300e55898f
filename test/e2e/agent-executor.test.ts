// The agent with real executor processes: a custom executor (test/fixtures/agent-executor.ts,
// written on runtime/ and protocol/ only) launched as a child process over real WebSockets,
// killed from outside, shut down, and re-attached after an agent restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime, WebSocketTransport, type Envelope, type FilterSpec, type Message } from '../../runtime/index.js';
import { startAgent, type AgentHandle, type AgentOptions } from '../../agent/index.js';
import { detectCgroups } from '../../agent/containerizer/index.js';
import { testCgroupsRoot } from '../fixtures/leftovers.js';
import { executorHostCommand } from '../../executor/index.js';
import type { StatusUpdate, TaskStatusUpdate } from '../../protocol/index.js';
import { AGENT_ID, FRAMEWORK, Probe, getJson, validate } from '../fixtures/agent-probe.js';

const fixture = fileURLToPath(new URL('../fixtures/agent-executor.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

/** Waits for a real event (a message through a filter); the timer only guards against a hang. */
async function next(rt: Runtime, spec: Omit<FilterSpec, 'side'> & { side?: FilterSpec['side'] }, ms = 20_000): Promise<Envelope> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${String(spec.name)} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([rt.filters.await({ side: 'receive', ...spec }), guard]);
  } finally {
    clearTimeout(timer);
  }
}

interface World {
  masterRt: Runtime;
  master: Probe;
  workDir: string;
  agent: AgentHandle;
  start(extra?: Partial<AgentOptions>): Promise<AgentHandle>;
  close(): Promise<void>;
}

async function world(extra: Partial<AgentOptions> = {}): Promise<World> {
  const masterRt = await Runtime.start({ port: 0, transport: new WebSocketTransport(), validate });
  const master = masterRt.spawn(new Probe(), 'master');
  master.on('RegisterAgent', (_m, from) => master.sendTo(from as never, { name: 'AgentRegistered', agent_id: { value: AGENT_ID } } as Message));
  master.on('ReregisterAgent', (_m, from) => master.sendTo(from as never, { name: 'AgentReregistered', agent_id: { value: AGENT_ID } } as Message));
  const workDir = await mkdtemp(join(tmpdir(), 'mesos-ts-agent-exec-'));
  const start = async (more: Partial<AgentOptions> = {}): Promise<AgentHandle> => {
    const registeredMsg = next(masterRt, { name: /^(Re)?[Rr]egisterAgent$/ });
    const a = await startAgent({
      master: masterRt.address,
      port: 0,
      workDir,
      hostname: 'agent.test',
      resources: 'cpus:2;mem:1024;disk:2048;ports:[31000-31009]',
      registrationBackoffMs: 0,
      checkpointFsync: false,
      executorShutdownGracePeriodMs: 2000,
      executorReregistrationTimeoutMs: 1500,
      reattachedExecutorPollMs: 20,
      ...extra,
      ...more,
    });
    await registeredMsg;
    // The reply may already have arrived: look at the agent rather than wait for a message.
    const deadline = Date.now() + 20_000;
    while (a.agent.status !== 'RUNNING' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(a.agent.status, 'RUNNING');
    return a;
  };
  const w: World = {
    masterRt,
    master,
    workDir,
    agent: await start(),
    start,
    async close() {
      await w.agent.stop({ destroyAll: true });
      await masterRt.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
  return w;
}

function customTask(id: string, behaviour: string, executorId = 'e1'): Record<string, unknown> {
  return {
    name: behaviour,
    task_id: { value: id },
    agent_id: { value: AGENT_ID },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }],
    executor: {
      executor_id: { value: executorId },
      command: { shell: false, value: process.execPath, arguments: [process.execPath, '--import', tsx, fixture] },
      resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
    },
  };
}

function run(w: World, task: Record<string, unknown>, framework: Record<string, unknown> = FRAMEWORK): void {
  w.master.sendTo(w.agent.pid, { name: 'RunTask', framework, task, pid: '', launch_executor: true } as Message);
}

const body = (e: Envelope): TaskStatusUpdate => (e.body as StatusUpdate).update;

test('a custom executor runs as a real process with the MESOS_* environment, registers, gets its task, and its updates are relayed', async () => {
  const w = await world();
  try {
    const update = next(w.masterRt, { name: 'StatusUpdate' });
    run(w, customTask('t1', 'run'));
    const u = body(await update);
    assert.equal(u.status.state, 'TASK_RUNNING');
    assert.equal(u.status.source, 'SOURCE_EXECUTOR');
    assert.equal(u.executor_id?.value, 'e1');
    const acked = next(w.agent.runtime, { name: 'StatusUpdateAcknowledgement', from: 'master' });
    w.master.sendTo(w.agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, task_id: { value: 't1' }, uuid: u.uuid! } as Message);
    await acked;
    const state = (await getJson(w.agent, '/state')).body as { frameworks: { executors: { id: string; directory: string; tasks: { state: string }[] }[] }[] };
    const ex = state.frameworks[0]!.executors[0]!;
    assert.equal(ex.id, 'e1');
    assert.equal(ex.tasks[0]!.state, 'TASK_RUNNING');
    const stdout = await readFile(join(ex.directory, 'stdout'), 'utf8');
    assert.match(stdout, new RegExp(`env agent=${AGENT_ID} checkpoint=0 grace=2secs dir=true`));
    assert.match(stdout, /registered/);
    const read = (await getJson(w.agent, `/files/read?path=${encodeURIComponent('/frameworks/M1-0000/executors/e1/runs/latest/stdout')}&offset=0`)).body as { data: string };
    assert.match(read.data, /registered/);
  } finally {
    await w.close();
  }
});

test('an executor killed from outside fails its unfinished task with REASON_EXECUTOR_TERMINATED and the master hears ExitedExecutor', async () => {
  const w = await world();
  try {
    const running = next(w.masterRt, { name: 'StatusUpdate' });
    run(w, customTask('t1', 'run'));
    const r = body(await running);
    const acked = next(w.agent.runtime, { name: 'StatusUpdateAcknowledgement', from: 'master' });
    w.master.sendTo(w.agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, task_id: { value: 't1' }, uuid: r.uuid! } as Message);
    await acked;
    const failed = next(w.masterRt, { name: 'StatusUpdate' });
    const exited = next(w.masterRt, { name: 'ExitedExecutor' });
    const container = w.agent.containerizer.containers()[0]!;
    process.kill(-container.pid, 'SIGKILL');
    const u = body(await failed);
    assert.equal(u.status.state, 'TASK_FAILED');
    assert.equal(u.status.reason, 'REASON_EXECUTOR_TERMINATED');
    assert.equal(u.status.source, 'SOURCE_AGENT');
    const e = (await exited).body as unknown as { executor_id: { value: string }; status: number };
    assert.equal(e.executor_id.value, 'e1');
    assert.equal(e.status, 9, 'the wait status of a SIGKILL');
  } finally {
    await w.close();
  }
});

test('a custom executor whose program cannot start fails its task with REASON_CONTAINER_LAUNCH_FAILED', async () => {
  const w = await world();
  try {
    const failed = next(w.masterRt, { name: 'StatusUpdate' });
    const task = customTask('t1', 'run');
    (task['executor'] as { command: unknown }).command = { shell: false, value: '/nonexistent/executor' };
    run(w, task);
    const u = body(await failed);
    assert.equal(u.status.state, 'TASK_FAILED');
    assert.equal(u.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
    assert.equal(((await getJson(w.agent, '/metrics/snapshot')).body as Record<string, number>)['slave/container_launch_errors'], 1);
  } finally {
    await w.close();
  }
});

test('ShutdownFramework shuts a custom executor down and its process exits', async () => {
  const w = await world();
  try {
    const running = next(w.masterRt, { name: 'StatusUpdate' });
    run(w, customTask('t1', 'run'));
    await running;
    const gone = next(w.agent.runtime, { name: '_ContainerTerminated' });
    w.master.sendTo(w.agent.pid, { name: 'ShutdownFramework', framework_id: FRAMEWORK.id } as Message);
    await gone;
    assert.equal(w.agent.containerizer.containers().length, 0);
    const state = (await getJson(w.agent, '/state')).body as { frameworks: unknown[]; completed_frameworks: { id: string }[] };
    assert.equal(state.frameworks.length, 0);
    assert.deepEqual(state.completed_frameworks.map((f) => f.id), ['M1-0000']);
  } finally {
    await w.close();
  }
});

test('a restarted agent re-attaches to a checkpointing framework\'s executor, which re-registers, and the unacknowledged update is sent again', async () => {
  const w = await world();
  try {
    const framework = { ...FRAMEWORK, checkpoint: true };
    const running = next(w.masterRt, { name: 'StatusUpdate' });
    run(w, customTask('t1', 'run'), framework);
    const first = body(await running);
    const port = Number(w.agent.address.split(':').pop());
    await w.agent.stop();
    assert.equal(w.agent.containerizer.containers().length, 1, 'the executor outlives the agent');

    const resent = next(w.masterRt, { name: 'StatusUpdate' });
    const reregistered = next(w.masterRt, { name: 'ReregisterAgent' });
    w.agent = await w.start({ port });
    const rereg = (await reregistered).body as unknown as { agent: { id: { value: string } }; tasks: { task_id: { value: string }; state: string }[]; executor_infos: unknown[] };
    assert.equal(rereg.agent.id.value, AGENT_ID);
    assert.deepEqual(rereg.tasks.map((t) => [t.task_id.value, t.state]), [['t1', 'TASK_RUNNING']]);
    assert.equal(rereg.executor_infos.length, 1);
    const again = body(await resent);
    assert.deepEqual(Buffer.from(again.uuid!), Buffer.from(first.uuid!), 'the same update, replayed from the checkpoint');
    const state = (await getJson(w.agent, '/state')).body as { frameworks: { executors: { tasks: { state: string }[] }[] }[] };
    assert.equal(state.frameworks[0]!.executors[0]!.tasks[0]!.state, 'TASK_RUNNING');
    const m = (await getJson(w.agent, '/metrics/snapshot')).body as Record<string, number>;
    assert.equal(m['slave/executors_running'], 1, 'the executor re-registered');
  } finally {
    await w.close();
  }
});

test('a command task runs through the real executor host and finishes', async () => {
  // The host runs in its sandbox, where a bare `--import tsx` does not resolve: point it at tsx.
  const host = executorHostCommand();
  const args = host.arguments.map((a) => (a === 'tsx' ? tsx : a === '--import=tsx' ? `--import=${tsx}` : a));
  const w = await world({ executorHostCommand: { ...host, arguments: args } });
  try {
    const updates: TaskStatusUpdate[] = [];
    w.master.on('StatusUpdate', (m) => {
      const u = (m as unknown as StatusUpdate).update;
      updates.push(u);
      w.master.sendTo(w.agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, task_id: u.status.task_id, uuid: u.uuid! } as Message);
    });
    const task = { name: 'echo', task_id: { value: 'c1' }, agent_id: { value: AGENT_ID }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], command: { value: 'echo hello-from-c1' } };
    const deadline = Date.now() + 30_000;
    run(w, task);
    while (!updates.some((u) => u.status.state === 'TASK_FINISHED') && Date.now() < deadline) await next(w.masterRt, { name: 'StatusUpdate' }, 30_000);
    assert.deepEqual(updates.map((u) => u.status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'].filter((s) => updates.some((u) => u.status.state === s)));
    assert.ok(updates.some((u) => u.status.state === 'TASK_FINISHED'));
    const state = (await getJson(w.agent, '/state')).body as { frameworks: { executors: { directory: string }[]; completed_executors: { directory: string }[] }[]; completed_frameworks: { completed_executors: { directory: string }[] }[] };
    const dir = state.frameworks[0]?.executors[0]?.directory ?? state.frameworks[0]?.completed_executors[0]?.directory ?? state.completed_frameworks[0]?.completed_executors[0]?.directory;
    assert.ok(dir);
    assert.match(await readFile(join(dir, 'stdout'), 'utf8'), /hello-from-c1/);
  } finally {
    await w.close();
  }
});

// Every container in cgroups v1 (Mesos's MesosContainerizer update() on a task's arrival and end;
// CgroupsIsolatorTest): a custom executor's container holds the executor's and its live tasks'
// resources, growing when a task is added and shrinking when one ends (the memory hard limit only
// grows, as Mesos avoids an OOM kill); the executor host has a container of its own; both are in
// /monitor/statistics; no cgroup is left once the agent is gone.
const CG_ROOT = testCgroupsRoot('exec');
const CG_SUBSYSTEMS = ['cpu', 'cpuacct', 'memory', 'freezer'];
const cgHost = await detectCgroups('/sys/fs/cgroup');
const cgSkip = cgHost?.version === 'v1' && CG_SUBSYSTEMS.every((s) => cgHost.subsystems.has(s)) ? false : `no writable cgroups v1 hierarchy with ${CG_SUBSYSTEMS.join(', ')} at /sys/fs/cgroup`;

test('an executor\'s container grows with each task and shrinks when one ends; the executor host has its own; no cgroup is left', { skip: cgSkip }, async () => {
  const host = executorHostCommand();
  const args = host.arguments.map((a) => (a === 'tsx' ? tsx : a === '--import=tsx' ? `--import=${tsx}` : a));
  const w = await world({ isolation: 'cgroups/cpu,cgroups/mem', cgroupsRoot: CG_ROOT, executorHostCommand: { ...host, arguments: args } });
  const cg = (s: string, ...rest: string[]): string => join('/sys/fs/cgroup', s, CG_ROOT, ...rest);
  const read = (s: string, id: string, f: string): string => readFileSync(cg(s, id, f), 'utf8').trim();
  const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });
  let closed = false;
  try {
    const acked = new Map<string, string>();
    w.master.on('StatusUpdate', (m) => {
      const u = (m as unknown as StatusUpdate).update;
      acked.set(u.status.task_id.value, u.status.state);
      w.master.sendTo(w.agent.pid, { name: 'StatusUpdateAcknowledgement', agent_id: { value: AGENT_ID }, framework_id: FRAMEWORK.id, task_id: u.status.task_id, uuid: u.uuid! } as Message);
    });
    const until = async (what: string, probe: () => boolean): Promise<void> => {
      for (let i = 0; i < 2000 && !probe(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(probe(), what);
    };
    const t1 = { ...customTask('t1', 'run'), resources: [scalar('cpus', 0.5), scalar('mem', 64)] };
    run(w, t1);
    await until('t1 running', () => acked.get('t1') === 'TASK_RUNNING');
    const e1 = w.agent.containerizer.containers().find((c) => !c.containerId.startsWith('host-'));
    assert.ok(e1, 'the executor\'s container');
    const MB = 1024 * 1024;
    // The executor's 32 MB and t1's 0.5 cpus and 64 MB.
    assert.equal(read('cpu', e1.containerId, 'cpu.shares'), '512');
    assert.equal(read('memory', e1.containerId, 'memory.limit_in_bytes'), String(96 * MB));
    assert.ok(read('freezer', e1.containerId, 'cgroup.procs').split('\n').map(Number).includes(e1.pid), 'the executor is in its cgroup');

    const t2 = { ...customTask('t2', 'run'), resources: [scalar('cpus', 1), scalar('mem', 128)] };
    w.master.sendTo(w.agent.pid, { name: 'RunTask', framework: FRAMEWORK, task: t2, pid: '', launch_executor: false } as Message);
    await until('t2 running', () => acked.get('t2') === 'TASK_RUNNING');
    await until('the container grows by t2', () => read('cpu', e1.containerId, 'cpu.shares') === '1536' && read('memory', e1.containerId, 'memory.limit_in_bytes') === String(224 * MB));

    w.master.sendTo(w.agent.pid, { name: 'KillTask', framework_id: FRAMEWORK.id, task_id: { value: 't2' } } as Message);
    await until('t2 killed', () => acked.get('t2') === 'TASK_KILLED');
    await until('the container shrinks back to t1\'s share', () => read('cpu', e1.containerId, 'cpu.shares') === '512' && read('memory', e1.containerId, 'memory.soft_limit_in_bytes') === String(96 * MB));
    assert.equal(read('memory', e1.containerId, 'memory.limit_in_bytes'), String(224 * MB), 'the hard limit is not lowered under what runs');

    run(w, { name: 'sleep', task_id: { value: 'c1' }, agent_id: { value: AGENT_ID }, resources: [scalar('cpus', 0.1), scalar('mem', 32)], command: { value: 'sleep 30' } });
    await until('c1 running', () => acked.get('c1') === 'TASK_RUNNING');
    const hostContainer = w.agent.containerizer.containers().find((c) => c.containerId.startsWith('host-'));
    assert.ok(hostContainer, 'the executor host runs in a container');
    for (const s of CG_SUBSYSTEMS) assert.ok(read(s, hostContainer.containerId, 'cgroup.procs').split('\n').map(Number).includes(hostContainer.pid), `the executor host is in its ${s} cgroup`);
    // Its command task is not: it is in its own container.
    const c1Container = w.agent.containerizer.containerIds().find((d) => d !== e1.containerId && d !== hostContainer.containerId);
    assert.ok(c1Container && !read('freezer', c1Container, 'cgroup.procs').split('\n').map(Number).includes(hostContainer.pid));

    type Entry = { executor_id: string; statistics: Record<string, number> };
    const stats = (await getJson(w.agent, '/monitor/statistics')).body as unknown as Entry[];
    const e1Stats = stats.find((s) => s.executor_id === 'e1')?.statistics;
    const hostStats = stats.find((s) => s.executor_id === 'executor-host')?.statistics;
    assert.ok(e1Stats && hostStats && stats.some((s) => s.executor_id === 'c1'), 'the executor, the command task and the host are listed');
    assert.equal(e1Stats['cpus_limit'], 0.5);
    assert.equal(e1Stats['mem_limit_bytes'], 96 * MB);
    assert.ok(e1Stats['processes']! >= 1 && e1Stats['mem_total_bytes']! > 0);
    assert.ok(hostStats['processes']! >= 1 && hostStats['threads']! >= hostStats['processes']! && hostStats['mem_rss_bytes']! > 0);
    assert.ok(hostStats['cpus_user_time_secs']! > 0, 'the host\'s CPU time, from its cgroup');
    const containers = (await getJson(w.agent, '/containers')).body as unknown as { container_id: string }[];
    assert.ok(containers.some((c) => c.container_id === hostContainer.containerId));

    await w.close();
    closed = true;
    const left = CG_SUBSYSTEMS.flatMap((s) => (existsSync(cg(s)) ? readdirSync(cg(s)).filter((d) => statSync(cg(s, d)).isDirectory()).map((d) => cg(s, d)) : []));
    assert.deepEqual(left, [], 'no container cgroup outlives the agent');
    assert.equal(processAlive(hostContainer.pid) || processAlive(e1.pid), false, 'no executor or host process outlives the agent');
  } finally {
    if (!closed) await w.close();
    for (const s of CG_SUBSYSTEMS) {
      for (const d of existsSync(cg(s)) ? readdirSync(cg(s)) : []) if (statSync(cg(s, d)).isDirectory()) rmdirSync(cg(s, d));
      if (existsSync(cg(s))) rmdirSync(cg(s));
    }
  }
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
