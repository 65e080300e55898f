// The agent's containerizer: executors as process groups in sandboxes under work_dir, killed
// group-wide with SIGTERM→SIGKILL, re-attached after an agent restart, and accounted for by
// the POSIX isolator. Plain async functions and classes; the Agent actor drives them.

export {
  Containerizer,
  ContainerLaunchError,
  describeExit,
  joinScript,
  shellQuote,
  type CommandSpec,
  type Container,
  type ContainerizerOptions,
  type ContainerJoin,
  type ContainerLaunchSpec,
  type ReattachSpec,
  type Termination,
} from './containerizer.js';
export { executorEnvironment, formatDuration, parseDuration, type ExecutorEnvironmentOptions } from './env.js';
export { groupAlive, processAlive, signalGroup } from './process-group.js';
export type { ContainerLimits, ResourceStatistics } from './posix-isolator.js';
export { Isolation, ISOLATORS, DEFAULT_ISOLATION, parseIsolation, type IsolationOptions, type IsolatorName, type LauncherName, type Limitation } from './isolation.js';
export { detectCgroups, Cgroups, type CgroupsHost, type CgroupsVersion } from './cgroups.js';
export { chownSandbox, lookupUser, taskUser, UnknownUserError, type UserIds } from './users.js';
export { containerRefusal } from './refusals.js';
export { readProcStat, type ProcStat } from './proc.js';
export { sandboxPath, safeSegment, type SandboxIds } from './sandbox.js';
export { PosixFilesystem, type VolumeLink } from './filesystem-posix.js';
