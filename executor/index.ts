// The executor side: the Executor interface an executor program implements, MesosExecutorDriver
// which connects it to its agent, the built-in command executor, and the executor host that runs
// many command executors in one process.

import { fileURLToPath } from 'node:url';
import { programArguments } from './program.js';

export { MesosExecutorDriver, executorConfig, executorCredential, executorPrincipal, type ExecutorConfig, type ExecutorDriverOptions } from './driver.js';
export type { Executor, ExecutorDriver } from './executor.js';
export { HttpExecutorDriver, type HttpExecutorDriverOptions } from './http-executor.js';
export type { CallbackResult, Status } from '../driver/index.js';
/** Mesos's duration text (`5secs`) as milliseconds, undefined if malformed; the protocol's tryParseDuration under this package's old name. */
export { tryParseDuration as parseDuration } from '../protocol/index.js';
export { CommandExecutor, DEFAULT_KILL_GRACE_MS, type CommandExecutorOptions } from './command-executor.js';
export { ShellLauncher, SpawnLauncher, type Launcher, type LaunchSpec, type Launched, type Exit } from './launcher.js';
export { ExecutorHost, type ExecutorHostOptions } from './executor-host.js';
export { DefaultExecutor, type DefaultExecutorOptions } from './default-executor.js';
export { distIsFresh, programArguments } from './program.js';

/**
 * A CommandInfo that runs a TypeScript or JavaScript program with this Node binary, from any
 * working directory — for ExecutorInfo.command of executors written in TypeScript. A .js file
 * runs without loaders; a .ts file of this package runs as its compiled twin in dist/ when that
 * build is up to date, else through this process's loader (tsx in development). In the
 * shell=false form `arguments` is the whole argv, argv[0] included.
 */
export function nodeCommand(program: string, args: readonly string[] = []): { value: string; arguments: string[]; shell: false } {
  return { value: process.execPath, arguments: [process.execPath, ...programArguments(program), ...args], shell: false };
}

/** How the agent starts an executor host: host-main next to this file (.js from dist/, and from source when dist/ is up to date). */
export function executorHostCommand(): { value: string; arguments: string[]; shell: false } {
  return nodeCommand(fileURLToPath(import.meta.url).replace(/index\.(ts|js)$/, (_m, ext: string) => `host-main.${ext}`));
}

/** How the agent starts a DEFAULT executor (task groups): default-executor-main next to this file. */
export function defaultExecutorCommand(): { value: string; arguments: string[]; shell: false } {
  return nodeCommand(fileURLToPath(import.meta.url).replace(/index\.(ts|js)$/, (_m, ext: string) => `default-executor-main.${ext}`));
}
