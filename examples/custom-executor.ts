// An example executor written only against the public API. Each task's data names a number n;
// the executor counts the primes below n, sends the count to its scheduler as a framework
// message, and finishes the task once the scheduler's reply (a framework message) arrives.

import { fileURLToPath, pathToFileURL } from 'node:url';
import { HttpExecutorDriver, MesosExecutorDriver, nodeCommand, type Executor, type ExecutorDriver } from '../executor/index.js';
import type { TaskID, TaskInfo } from '../protocol/index.js';

/** executor → scheduler: a task's result. */
export interface ResultMessage {
  type: 'result';
  task_id: string;
  n: number;
  primes: number;
}

/** scheduler → executor: the result was recorded; the task may finish. */
export interface ThanksMessage {
  type: 'thanks';
  task_id: string;
}

export function encode(message: ResultMessage | ThanksMessage | { n: number }): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

export function decode<T>(data: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(data)) as T;
}

export function countPrimesBelow(n: number): number {
  if (n < 3) return 0;
  const composite = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

export class PrimeExecutor implements Executor {
  /** Tasks whose result was sent and which wait for the scheduler's thanks. */
  private readonly waiting = new Set<string>();

  registered(): void {}
  reregistered(): void {}
  disconnected(): void {}

  launchTask(driver: ExecutorDriver, task: TaskInfo): void {
    driver.sendStatusUpdate({ task_id: task.task_id, state: 'TASK_RUNNING' });
    const { n } = task.data ? decode<{ n: number }>(task.data) : { n: 0 };
    const primes = countPrimesBelow(n);
    this.waiting.add(task.task_id.value);
    driver.sendFrameworkMessage(encode({ type: 'result', task_id: task.task_id.value, n, primes }));
  }

  frameworkMessage(driver: ExecutorDriver, data: Uint8Array): void {
    const msg = decode<ThanksMessage>(data);
    if (msg.type !== 'thanks' || !this.waiting.delete(msg.task_id)) return;
    driver.sendStatusUpdate({ task_id: { value: msg.task_id }, state: 'TASK_FINISHED', message: 'result delivered' });
  }

  killTask(driver: ExecutorDriver, taskId: TaskID): void {
    this.waiting.delete(taskId.value);
    driver.sendStatusUpdate({ task_id: taskId, state: 'TASK_KILLED' });
  }

  shutdown(driver: ExecutorDriver): void {
    for (const id of this.waiting) driver.sendStatusUpdate({ task_id: { value: id }, state: 'TASK_KILLED', message: 'executor shut down' });
    this.waiting.clear();
  }

  error(_driver: ExecutorDriver, message: string): void {
    console.error(`executor error: ${message}`);
  }
}

/**
 * How an agent runs this executor: this Node binary, its loader flags, and this file; with
 * `v1`, it speaks the v1 executor HTTP API instead of the v0 (actor) protocol.
 */
export function customExecutorCommand(api: 'v0' | 'v1' = 'v0'): { value: string; arguments: string[]; shell: false } {
  return nodeCommand(fileURLToPath(import.meta.url), api === 'v1' ? ['--api=v1'] : []);
}

async function main(): Promise<void> {
  // The agent's MESOS_* environment tells the driver where to register (or subscribe).
  const executor = new PrimeExecutor();
  const driver = process.argv.includes('--api=v1') ? new HttpExecutorDriver(executor) : new MesosExecutorDriver(executor);
  const status = await driver.run();
  process.exit(status === 'DRIVER_STOPPED' ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
