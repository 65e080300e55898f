// The agent's public surface: startAgent and its options for the CLI and mesos-local, the
// Agent actor, and the containerizer, checkpoint and files pieces tools may want on their own.

export { Agent, AGENT_VERSION, type AgentDeps, type AgentStateName } from './agent.js';
export { startAgent, AGENT_ACTOR_ID, type AgentHandle } from './start.js';
export { DEFAULTS as AGENT_DEFAULTS, agentResources, masterPidText, parseAttributes, type AgentConfig, type AgentOptions, type RestartMode } from './options.js';
export { StatusUpdateManager, TaskStream, type RetryPolicy, type StatusUpdateEffects } from './status-update-manager.js';
export { stateJson } from './http.js';
export { containerStatistics, containersJson, monitorStatisticsJson, type ContainerUsage } from './monitor.js';
export {
  Containerizer,
  ContainerLaunchError,
  executorEnvironment,
  formatDuration,
  parseDuration,
  sandboxPath,
  type CommandSpec,
  type Container,
  type ContainerizerOptions,
  type Termination,
  DEFAULT_ISOLATION,
  ISOLATORS,
  parseIsolation,
  Isolation,
  detectCgroups,
  type ResourceStatistics,
} from './containerizer/index.js';
export { readAgentState, forgetAgent, checkpointPaths, type AgentCheckpoint, type CheckpointProblem } from './checkpoint.js';
export { FileRoots, browse, read, download, filesQuery, type FileInfo, type FilesResult } from './files.js';
