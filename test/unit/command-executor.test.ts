import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminalState, type CommandInfo, type FrameworkInfo, type TaskInfo, type TaskStatus } from '../../protocol/index.js';
import { CommandExecutor, ShellLauncher, SpawnLauncher, type ExecutorDriver, type Launcher } from '../../executor/index.js';
import type { Status } from '../../scheduler-driver/index.js';
import { AGENT_INFO } from '../fixtures/driver-fakes.js';

const root = await mkdtemp(join(tmpdir(), 'mesos-ts-command-executor-'));
const shell = new ShellLauncher();
after(() => {
  shell.close();
  return rm(root, { recursive: true, force: true });
});
let launcher: Launcher = new SpawnLauncher();
let seq = 0;

/** Records what the command executor sends; stands in for MesosExecutorDriver. */
class RecordingDriver implements ExecutorDriver {
  readonly updates: TaskStatus[] = [];
  stopped = false;
  private waiters: (() => void)[] = [];

  sendStatusUpdate(status: TaskStatus): Status {
    this.updates.push(status);
    for (const w of this.waiters.splice(0)) w();
    return 'DRIVER_RUNNING';
  }
  sendFrameworkMessage(): Status {
    return 'DRIVER_RUNNING';
  }
  async start(): Promise<Status> {
    return 'DRIVER_RUNNING';
  }
  async stop(): Promise<Status> {
    this.stopped = true;
    return 'DRIVER_STOPPED';
  }
  async abort(): Promise<Status> {
    return 'DRIVER_ABORTED';
  }
  async join(): Promise<Status> {
    return 'DRIVER_STOPPED';
  }
  async run(): Promise<Status> {
    return 'DRIVER_STOPPED';
  }

  states(): string[] {
    return this.updates.map((u) => u.state);
  }

  /** Resolves once an update satisfying `pred` has been sent (the child process's own pace). */
  async until(pred: (s: TaskStatus) => boolean): Promise<TaskStatus> {
    for (;;) {
      const found = this.updates.find(pred);
      if (found) return found;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  terminal(): Promise<TaskStatus> {
    return this.until((s) => isTerminalState(s.state));
  }
}

async function launch(command: CommandInfo, extra: Partial<TaskInfo> = {}, framework: Partial<FrameworkInfo> = {}) {
  const dir = await mkdtemp(join(root, `task${++seq}-`));
  const executor = new CommandExecutor({ directory: dir, launcher });
  const driver = new RecordingDriver();
  executor.registered(driver, { executor_id: { value: `e${seq}` } }, { user: 'u', name: 'f', ...framework }, AGENT_INFO);
  const task: TaskInfo = { name: 't', task_id: { value: `t${seq}` }, agent_id: { value: 'S0' }, command, ...extra };
  executor.launchTask(driver, task);
  return { dir, executor, driver, task };
}

/** Waits for a file the command writes once it is ready (a real event, polled). */
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

// Every behaviour holds whichever way the process is started: a fork of this process per task,
// or the executor host's shared /bin/sh.
for (const [kind, make] of [['spawned', () => new SpawnLauncher()], ['shell-launched', () => shell]] as const) {
describe(`${kind} commands`, () => {
  test('use this launcher', () => {
    launcher = make();
  });

  test('a command that exits 0 is reported TASK_RUNNING then TASK_FINISHED', async () => {
    const { driver } = await launch({ value: 'exit 0' });
    const last = await driver.terminal();
    assert.deepEqual(driver.states(), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    assert.equal(last.message, 'Command exited with status 0');
    assert.equal(last.source, 'SOURCE_EXECUTOR');
  });

  test('a command that exits 3 is reported TASK_FAILED with its exit status', async () => {
    const { driver } = await launch({ value: 'exit 3' });
    const last = await driver.terminal();
    assert.deepEqual(driver.states(), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
    assert.equal(last.message, 'Command exited with status 3');
  });

  test('the task writes stdout and stderr to files in its sandbox, with its environment and working directory', async () => {
    const { driver, dir } = await launch({
      value: 'echo "hello $GREETING from $(pwd)"; echo oops >&2',
      environment: { variables: [{ name: 'GREETING', value: 'mesos' }] },
    });
    await driver.terminal();
    assert.equal(await readFile(join(dir, 'stdout'), 'utf8'), `hello mesos from ${dir}\n`);
    assert.equal(await readFile(join(dir, 'stderr'), 'utf8'), 'oops\n');
  });

  test('a command given as argv runs without a shell', async () => {
    const { driver, dir } = await launch({ shell: false, value: '/bin/echo', arguments: ['echo', 'a b', '$HOME'] });
    assert.equal((await driver.terminal()).state, 'TASK_FINISHED');
    assert.equal(await readFile(join(dir, 'stdout'), 'utf8'), 'a b $HOME\n', 'arguments reach the program untouched');
  });

  test('an argv command whose program does not exist fails the task', async () => {
    const { driver } = await launch({ shell: false, value: '/nonexistent/program', arguments: ['program'] });
    const last = await driver.terminal();
    assert.equal(last.state, 'TASK_FAILED');
    // A fork fails to exec at once; the shell's exec exits 127, as a shell reports 'not found'.
    assert.match(last.message ?? '', /Failed to launch the command|Command exited with status 127/);
  });

  test('killing a command that traps SIGTERM escalates to SIGKILL after the grace period and reports TASK_KILLED', async () => {
    const { driver, executor, dir, task } = await launch(
      { value: 'trap "" TERM; touch ready; while true; do sleep 0.05; done' },
      { kill_policy: { grace_period: { nanoseconds: 200e6 } } },
    );
    await driver.until((s) => s.state === 'TASK_RUNNING');
    await fileAppears(join(dir, 'ready'));
    executor.killTask(driver, task.task_id);
    const last = await driver.terminal();
    assert.equal(last.state, 'TASK_KILLED');
    assert.equal(last.message, 'Command terminated with signal SIGKILL');
  });

  test('a kill request’s own policy overrides the task’s, and a command that honours SIGTERM is killed at once', async () => {
    const { driver, executor, task } = await launch({ value: 'sleep 30' }, { kill_policy: { grace_period: { nanoseconds: 3600e9 } } });
    await driver.until((s) => s.state === 'TASK_RUNNING');
    executor.killTask(driver, task.task_id, { grace_period: { nanoseconds: 100e6 } });
    const last = await driver.terminal();
    assert.equal(last.state, 'TASK_KILLED');
    assert.equal(last.message, 'Command terminated with signal SIGTERM');
  });

  test('a framework with TASK_KILLING_STATE is told TASK_KILLING before TASK_KILLED', async () => {
    const { driver, executor, task } = await launch({ value: 'sleep 30' }, {}, { capabilities: [{ type: 'TASK_KILLING_STATE' }] });
    await driver.until((s) => s.state === 'TASK_RUNNING');
    executor.killTask(driver, task.task_id);
    await driver.terminal();
    assert.deepEqual(driver.states(), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
  });

  test('the command executor stops its driver once the terminal update is acknowledged', async () => {
    const { driver, executor, task } = await launch({ value: 'true' });
    await driver.terminal();
    assert.equal(driver.stopped, false);
    executor.acknowledged(driver);
    executor.acknowledged(driver);
    assert.equal(driver.stopped, false, 'STARTING and RUNNING acknowledged, FINISHED not yet');
    executor.acknowledged(driver);
    assert.equal(driver.stopped, true);
    assert.equal(task.task_id.value.length > 0, true);
  });

  test('shutdown kills the running task and resolves once it is gone', async () => {
    const { driver, executor } = await launch({ value: 'sleep 30' });
    await driver.until((s) => s.state === 'TASK_RUNNING');
    await executor.shutdown(driver);
    assert.deepEqual(driver.states(), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED']);
  });

  test('shutdown while the command is still starting kills it as soon as it runs', async () => {
    const { dir, driver, executor } = await launch({ value: 'echo $$ > pid; exec sleep 30' });
    await executor.shutdown(driver);
    assert.equal(driver.states().at(-1), 'TASK_KILLED');
    const pid = Number((await readFile(join(dir, 'pid'), 'utf8').catch(() => '0')).trim());
    if (pid > 0) assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the command outlived the shutdown');
  });

  test('a second task for the same command executor fails', async () => {
    const { driver, executor } = await launch({ value: 'sleep 30' });
    executor.launchTask(driver, { name: 'x', task_id: { value: 'other' }, agent_id: { value: 'S0' }, command: { value: 'true' } });
    const failed = await driver.until((s) => s.task_id.value === 'other');
    assert.equal(failed.state, 'TASK_FAILED');
    await executor.shutdown(driver);
  });
});
}
