// The executor side: the Executor interface an executor program implements, MesosExecutorDriver
// which connects it to its agent, the built-in command executor, and the executor host that runs
// many command executors in one process.

import { fileURLToPath } from 'node:url';

export { MesosExecutorDriver, executorConfig, parseDuration, type ExecutorConfig, type ExecutorDriverOptions } from './driver.js';
export type { Executor, ExecutorDriver } from './executor.js';
export { CommandExecutor, DEFAULT_KILL_GRACE_MS, type CommandExecutorOptions } from './command-executor.js';
export { ExecutorHost, type ExecutorHostOptions } from './executor-host.js';

/**
 * How the agent starts an executor host: this Node binary with this process's own execArgv
 * (which carries `--import tsx` in development) and host-main next to this file — .ts when
 * running from source, .js from dist/. In the CommandInfo form with shell=false, `arguments`
 * is the whole argv, argv[0] included.
 */
export function executorHostCommand(): { value: string; arguments: string[]; shell: false } {
  const here = fileURLToPath(import.meta.url);
  const main = here.replace(/index\.(ts|js)$/, (_m, ext: string) => `host-main.${ext}`);
  // Flags that make sense only for this process: the test runner's, the debugger's.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test') && !a.startsWith('--inspect') && !a.startsWith('--experimental-test'));
  return { value: process.execPath, arguments: [process.execPath, ...execArgv, main], shell: false };
}
