import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendStatusAcknowledgement,
  appendStatusUpdate,
  checkpointAgentInfo,
  checkpointBootId,
  checkpointExecutor,
  checkpointExecutorRun,
  checkpointFramework,
  checkpointPaths,
  checkpointTask,
  forgetAgent,
  markExecutorRunCompleted,
  readAgentState,
  readHostBootId,
  removeFramework,
} from '../../agent/checkpoint.js';

const root = await mkdtemp(join(tmpdir(), 'mesos-ts-checkpoint-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshWorkDir = (): string => join(root, `w${++n}`);

const run = { agentId: 'A-S0', frameworkId: 'F-0000', executorId: 'task1', containerId: 'c-1' };
const task = { ...run, taskId: 'task1' };

async function writeEverything(workDir: string): Promise<void> {
  await checkpointAgentInfo(workDir, run.agentId, { id: { value: run.agentId }, hostname: 'h', port: 5051 });
  await checkpointBootId(workDir, 'boot-1');
  await checkpointFramework(workDir, run, { id: { value: run.frameworkId }, name: 'f', checkpoint: true }, 'scheduler-1@127.0.0.1:4000');
  await checkpointExecutor(workDir, run, { executor_id: { value: run.executorId } });
  await checkpointExecutorRun(workDir, run, {});
  await checkpointExecutorRun(workDir, run, { pid: 4242, libprocessPid: 'executor(1)@127.0.0.1:4001' });
  await checkpointTask(workDir, task, { task_id: { value: 'task1' }, state: 'TASK_STAGING' });
  await appendStatusUpdate(workDir, task, { status: { state: 'TASK_RUNNING', uuid: 'u1' } });
  await appendStatusUpdate(workDir, task, { status: { state: 'TASK_FINISHED', uuid: 'u2' } });
  await appendStatusAcknowledgement(workDir, task, 'u1');
}

test('a checkpointed agent reads back with its frameworks, executor runs, tasks and update streams', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  const state = await readAgentState(workDir);
  assert.deepEqual(state, {
    bootId: 'boot-1',
    agentId: 'A-S0',
    info: { id: { value: 'A-S0' }, hostname: 'h', port: 5051 },
    problems: [],
    rebooted: false,
    frameworks: [{
      id: 'F-0000',
      info: { id: { value: 'F-0000' }, name: 'f', checkpoint: true },
      pid: 'scheduler-1@127.0.0.1:4000',
      executors: [{
        id: 'task1',
        info: { executor_id: { value: 'task1' } },
        latestRunId: 'c-1',
        runs: [{
          containerId: 'c-1',
          pid: 4242,
          libprocessPid: 'executor(1)@127.0.0.1:4001',
          http: false,
          completed: false,
          tasks: [{
            id: 'task1',
            info: { task_id: { value: 'task1' }, state: 'TASK_STAGING' },
            records: [
              { type: 'UPDATE', update: { status: { state: 'TASK_RUNNING', uuid: 'u1' } } },
              { type: 'UPDATE', update: { status: { state: 'TASK_FINISHED', uuid: 'u2' } } },
              { type: 'ACK', uuid: 'u1' },
            ],
          }],
        }],
      }],
    }],
  });
  // The layout is Mesos's.
  await stat(join(workDir, 'meta/slaves/A-S0/frameworks/F-0000/executors/task1/runs/c-1/pids/forked.pid'));
  await stat(join(workDir, 'meta/slaves/A-S0/frameworks/F-0000/executors/task1/runs/c-1/tasks/task1/task.updates'));
});

test('an empty work_dir means a new agent, with nothing to report', async () => {
  const state = await readAgentState(freshWorkDir());
  assert.deepEqual(state, { frameworks: [], problems: [], rebooted: false });
});

test('a forgotten identity starts a new agent', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  await forgetAgent(workDir);
  const state = await readAgentState(workDir);
  assert.equal(state.agentId, undefined);
  assert.deepEqual(state.frameworks, []);
});

test('a torn last update record is reported, dropped and truncated so later appends stay readable', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  const log = join(checkpointPaths.taskDir(workDir, task), 'task.updates');
  const intact = await readFile(log);
  await appendFile(log, '{"type":"UPDATE","upd');
  const state = await readAgentState(workDir);
  const records = state.frameworks[0]?.executors[0]?.runs[0]?.tasks[0]?.records;
  assert.equal(records?.length, 3);
  assert.deepEqual(state.problems.map((p) => [p.path, p.kind, p.repaired]), [[log, 'torn', true]]);
  assert.deepEqual(await readFile(log), intact);

  await appendStatusAcknowledgement(workDir, task, 'u2');
  const again = await readAgentState(workDir);
  assert.deepEqual(again.problems, []);
  assert.deepEqual(again.frameworks[0]?.executors[0]?.runs[0]?.tasks[0]?.records.at(-1), { type: 'ACK', uuid: 'u2' });
});

test('without repair a torn log is reported and left as it is', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  const log = join(checkpointPaths.taskDir(workDir, task), 'task.updates');
  await appendFile(log, '{"ty');
  const before = await readFile(log);
  const state = await readAgentState(workDir, { repair: false });
  assert.equal(state.problems[0]?.kind, 'torn');
  assert.equal(state.problems[0]?.repaired, undefined);
  assert.deepEqual(await readFile(log), before);
});

test('a torn or missing info file is reported and the rest is still recovered', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  const fwDir = checkpointPaths.frameworkDir(workDir, run);
  await writeFile(join(fwDir, 'framework.info'), '{"id": {"val');
  await rm(join(checkpointPaths.taskDir(workDir, task), 'task.info'));
  const state = await readAgentState(workDir);
  assert.deepEqual(state.problems.map((p) => p.kind).sort(), ['missing', 'torn']);
  const fw = state.frameworks[0];
  assert.equal(fw?.info, undefined);
  assert.equal(fw?.pid, 'scheduler-1@127.0.0.1:4000');
  assert.equal(fw?.executors[0]?.runs[0]?.pid, 4242);
  assert.equal(fw?.executors[0]?.runs[0]?.tasks[0]?.records.length, 3);
});

test('a completed run is marked, and a new run becomes the latest', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  await markExecutorRunCompleted(workDir, run);
  await checkpointExecutorRun(workDir, { ...run, containerId: 'c-2' }, { pid: 777, http: true });
  const ex = (await readAgentState(workDir)).frameworks[0]?.executors[0];
  assert.equal(ex?.latestRunId, 'c-2');
  assert.deepEqual(ex?.runs.map((r) => [r.containerId, r.completed, r.http, r.pid]), [
    ['c-1', true, false, 4242],
    ['c-2', false, true, 777],
  ]);
});

test('removing a framework garbage-collects its checkpoints', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  await removeFramework(workDir, run);
  const state = await readAgentState(workDir);
  assert.equal(state.agentId, 'A-S0');
  assert.deepEqual(state.frameworks, []);
  assert.deepEqual(await readdir(join(checkpointPaths.agentDir(workDir, 'A-S0'), 'frameworks')), []);
});

test('atomic writes leave no temporaries behind and ids cannot escape their directory', async () => {
  const workDir = freshWorkDir();
  await writeEverything(workDir);
  const fwDir = checkpointPaths.frameworkDir(workDir, run);
  assert.deepEqual((await readdir(fwDir)).sort(), ['executors', 'framework.info', 'framework.pid']);
  await assert.rejects(checkpointTask(workDir, { ...task, taskId: '../../x' }, {}), RangeError);
  await assert.rejects(checkpointExecutorRun(workDir, { ...run, containerId: 'latest' }, {}), RangeError);
});

test('the host boot id is readable on Linux', async () => {
  const id = await readHostBootId();
  if (process.platform === 'linux') assert.match(id ?? '', /^[0-9a-f-]{36}$/);
});
