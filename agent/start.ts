// startAgent: one runtime on the agent's port with the Agent actor as `slave(1)` (the id Mesos
// kept, so `/slave(1)/state` works), the previous incarnation's checkpoints read from work_dir
// (and, with --recover=cleanup, its executors killed), tracing, and a handle to stop it. What
// the CLI and mesos-local call; tests call it too.

import { mkdir } from 'node:fs/promises';
import { pid, ValidationError, type AuthOptions, type Credential, type Pid, type Runtime } from '../runtime/index.js';
import type { ExecutorTokens } from './executor-tokens.js';
import { Resources, startProtocolRuntime, type AgentInbox, type Resource } from '../protocol/index.js';
import { Agent } from './agent.js';
import { sandboxRunIds } from './containers.js';
import * as ckpt from './checkpoint.js';
import { Containerizer, Isolation, type CommandSpec } from './containerizer/index.js';
import { defaultExecutorCommand, executorHostCommand } from '../executor/index.js';
import { createDetector, isZooKeeperUrl } from '../detector/index.js';
import type { AgentMessage } from './context.js';
import { killAgentProcesses } from './containerizer/process-group.js';
import { agentConfig, type AgentConfig, type AgentOptions, type RestartMode } from './options.js';
import { vetRecoveredProcesses } from './recovery.js';

/** The agent actor's id: Mesos's, which the web UI and operators' scripts address. */
export const AGENT_ACTOR_ID = 'slave(1)';

export interface AgentHandle {
  runtime: Runtime;
  /** `slave(1)@host:port`. */
  pid: Pid<AgentInbox>;
  /** `host:port`. */
  address: string;
  agent: Agent;
  containerizer: Containerizer;
  /** Resolves with the reason once the agent has terminated (master Shutdown, fatal error, stop, cleanup). */
  terminated: Promise<string>;
  /**
   * Stops the agent. As Mesos on SIGTERM, executors keep running so that a restarted agent
   * recovers them — unless `destroyAll` (here, or AgentOptions.destroyAllOnStop) is set.
   */
  stop(options?: { destroyAll?: boolean }): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<AgentHandle> {
  await mkdir(options.workDir, { recursive: true });
  // First: a host that cannot isolate as asked refuses to start, before anything listens.
  const isolation = await Isolation.create({
    ...(options.isolation !== undefined ? { isolation: options.isolation } : {}),
    ...(options.cgroupsHierarchy !== undefined ? { hierarchy: options.cgroupsHierarchy } : {}),
    ...(options.cgroupsRoot !== undefined ? { root: options.cgroupsRoot } : {}),
    ...(options.cgroupsEnableCfs !== undefined ? { enableCfs: options.cgroupsEnableCfs } : {}),
    ...(options.launcher !== undefined ? { launcher: options.launcher } : {}),
    ...(options.oomCheckMs !== undefined ? { oomCheckMs: options.oomCheckMs } : {}),
  });
  const hostCommand = options.executorHostCommand ?? defaultExecutorHostCommand();
  const config = await agentConfig({ ...options, defaultExecutorCommand: options.defaultExecutorCommand ?? defaultExecutorCommand() }, hostCommand);
  const { runtime, tracer } = await startProtocolRuntime({
    ip: options.ip ?? '127.0.0.1',
    port: options.port ?? 5051,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.random ? { random: options.random } : {}),
    delegate: AGENT_ACTOR_ID,
    ...runtimeAuth(options.credential, config.executorTokens),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.testEndpoints ? { testEndpoints: true } : {}),
  });
  const containerizer = new Containerizer({
    workDir: options.workDir,
    isolation,
    ...(options.reattachedExecutorPollMs !== undefined ? { reattachPollMs: options.reattachedExecutorPollMs } : {}),
    ...(options.executorBaseEnv ? { baseEnv: options.executorBaseEnv } : {}),
  });

  let resolveTerminated!: (reason: string) => void;
  const terminated = new Promise<string>((r) => (resolveTerminated = r));
  let stopped = false;
  let stop = async (o: { destroyAll?: boolean } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    tracer?.stop();
    await runtime.stop();
    // SIGTERM first: an executor host then kills its command tasks, which run in process groups
    // of their own that no signal to the host's group reaches; SIGKILL after the grace period.
    if (o.destroyAll ?? options.destroyAllOnStop ?? false) await containerizer.destroyAll(config.executorShutdownGracePeriodMs);
    isolation.stop();
  };

  let checkpointed: ckpt.AgentCheckpoint | undefined;
  try {
    checkpointed = await readPreviousIncarnation(config, runtime.address, config.recover);
  } catch (err) {
    await runtime.stop();
    throw err;
  }
  if (checkpointed?.agentId !== undefined && config.recover === 'cleanup') {
    // Mesos's --recover=cleanup: kill what the previous incarnation left and exit unregistered.
    await cleanup(checkpointed, options.workDir);
    // Their cgroups too (every container this work_dir launched).
    const runs = await sandboxRunIds(options.workDir);
    await containerizer.recover([], (id) => runs.has(id)).catch(() => undefined);
    isolation.stop();
    await ckpt.forgetAgent(options.workDir);
    stopped = true;
    tracer?.stop();
    await runtime.stop();
    resolveTerminated('recover=cleanup: killed the executors of the previous agent');
    const agent = new Agent({ config, containerizer });
    return { runtime, pid: pid<AgentInbox>(AGENT_ACTOR_ID, runtime.address), address: runtime.address, agent, containerizer, terminated, stop };
  }
  if (checkpointed?.agentId === undefined) checkpointed = undefined;

  const resourcesInfo = await ckpt.readResourcesInfo(options.workDir);
  if (resourcesInfo.problem !== undefined) options.logger?.error({ problem: resourcesInfo.problem }, 'cannot read the checkpointed resources');
  const agent = new Agent({
    config,
    containerizer,
    checkpointed,
    checkpointedResources: resourcesInfo.resources as unknown as Resource[],
    onTerminated: (reason) => resolveTerminated(reason),
  });
  runtime.spawn(agent, AGENT_ACTOR_ID);
  if (isZooKeeperUrl(options.master)) {
    // `--master=zk://…`: every change of leader reaches the agent as a message of its own.
    const self = agent.self as Pid<AgentMessage>;
    const detector = createDetector(options.master, { sessionTimeoutMs: options.zkSessionTimeoutMs ?? 10_000, ...(options.logger ? { log: options.logger } : {}) });
    detector.listen({
      leader: (m) => runtime.send(self, self, { name: '_MasterDetected', pid: m?.pid }),
      failed: (error) => {
        options.logger?.error({ error: error.message }, 'master detection failed; stopping the agent');
        void stop().then(() => resolveTerminated(`master detection failed: ${error.message}`));
      },
    });
    const stopAgent = stop;
    stop = async (o) => {
      detector.close();
      await stopAgent(o);
    };
    void terminated.then(() => detector.close());
  }
  const bootId = await ckpt.readHostBootId();
  if (bootId !== undefined) await ckpt.checkpointBootId(options.workDir, bootId, { fsync: config.checkpointFsync }).catch(() => undefined);
  return { runtime, pid: agent.self, address: runtime.address, agent, containerizer, terminated, stop };
}

/**
 * Reads the previous incarnation's checkpoints and decides whether to be it again. Mesos's
 * `equal` reconfiguration policy: the same hostname, port, resources and attributes keep the
 * identity; anything else refuses to start, unless the host rebooted (then start anew).
 */
async function readPreviousIncarnation(config: AgentConfig, address: string, mode: RestartMode): Promise<ckpt.AgentCheckpoint | undefined> {
  const state = await ckpt.readAgentState(config.workDir, { hostBootId: await ckpt.readHostBootId() });
  if (state.agentId === undefined || state.info === undefined) return state;
  // Before anything signals or waits for a checkpointed pid: it must still be the executor's.
  await vetRecoveredProcesses(state);
  if (mode === 'cleanup') return state;
  const info = state.info as { hostname?: string; port?: number; resources?: Resource[]; attributes?: unknown };
  const port = Number(address.split(':').pop());
  const problems: string[] = [];
  if (info.hostname !== config.hostname) problems.push(`hostname ${String(info.hostname)} → ${config.hostname}`);
  if (info.port !== undefined && info.port !== port) problems.push(`port ${info.port} → ${port}`);
  let sameResources = false;
  try {
    sameResources = Resources.fromJSON(info.resources ?? []).equals(config.resources);
  } catch {
    sameResources = false;
  }
  if (!sameResources) problems.push('resources changed');
  if (JSON.stringify(info.attributes ?? []) !== JSON.stringify(config.attributes)) problems.push('attributes changed');
  if (problems.length === 0) return state;
  if (state.rebooted) {
    // After a reboot no executor survived: start as a new agent.
    await ckpt.forgetAgent(config.workDir);
    return undefined;
  }
  throw new ValidationError(
    `The agent's configuration is incompatible with its checkpointed identity ${state.agentId} (${problems.join('; ')}). ` +
      `To start as a new agent, remove ${ckpt.checkpointPaths.latestAgent(config.workDir)}.`,
  );
}

/**
 * Mesos's --recover=cleanup: every process the previous incarnation started dies — executors,
 * executor hosts, and each command task's own process group with whatever it forked.
 */
async function cleanup(state: ckpt.AgentCheckpoint, workDir: string): Promise<void> {
  const roots: number[] = [];
  for (const f of state.frameworks) for (const e of f.executors) for (const run of e.runs) if (!run.completed && run.pid !== undefined) roots.push(run.pid);
  await killAgentProcesses({ roots, agentId: state.agentId!, workDir });
}

/** The executor host program that executor/ provides, when it can be found. */
function defaultExecutorHostCommand(): CommandSpec | undefined {
  try {
    return executorHostCommand();
  } catch {
    return undefined;
  }
}

/** The agent proves its --credential to the master, and verifies its executors' tokens. */
function runtimeAuth(credential: Credential | undefined, tokens: ExecutorTokens | undefined): { auth?: AuthOptions } {
  if (credential === undefined && tokens === undefined) return {};
  return { auth: { ...(credential !== undefined ? { credential } : {}), ...(tokens !== undefined ? { secrets: tokens.lookup } : {}) } };
}
