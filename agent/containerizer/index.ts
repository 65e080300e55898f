// The agent's containerizer: executors as process groups in sandboxes under work_dir, killed
// group-wide with SIGTERM→SIGKILL, re-attached after an agent restart, and accounted for by
// the POSIX isolator. Plain async functions and classes; the Agent actor drives them.

export {
  Containerizer,
  ContainerLaunchError,
  describeExit,
  type CommandSpec,
  type Container,
  type ContainerizerOptions,
  type ContainerLaunchSpec,
  type ReattachSpec,
  type Termination,
} from './containerizer.js';
export { executorEnvironment, formatDuration, parseDuration, type ExecutorEnvironmentOptions } from './env.js';
export { groupAlive, processAlive, signalGroup } from './process-group.js';
export type { ContainerLimits, ResourceStatistics } from './posix-isolator.js';
export { readProcStat, type ProcStat } from './proc.js';
export { sandboxPath, safeSegment, type SandboxIds } from './sandbox.js';
