// The agent's durable checkpoints under `<work_dir>/meta`, in Mesos's layout, so a restarted
// agent can find its identity, its frameworks, executors (with their pids), tasks and each
// task's status-update stream. Writes are atomic (temp file, fsync, rename, fsync directory);
// the update stream is an append-only log. Reads never throw on damage: they report it.
//
// Layout (ids are single path segments; `slaves/` is Mesos's on-disk name, kept for tools):
//   meta/boot_id                                          host boot id at the agent's last start
//   meta/resources/resources_info                         dynamic reservations and persistent volumes
//                                                          (JSON array of Resource; kept across identities, as Mesos)
//   meta/slaves/latest -> <agent_id>                      the current identity (symlink)
//   meta/slaves/<agent_id>/slave.info                     AgentInfo (JSON)
//   …/frameworks/<framework_id>/framework.info            FrameworkInfo (JSON)
//   …/frameworks/<framework_id>/framework.pid             scheduler pid (text; empty for HTTP)
//   …/executors/<executor_id>/executor.info               ExecutorInfo (JSON)
//   …/executors/<executor_id>/runs/latest -> <container_id>
//   …/runs/<container_id>/pids/forked.pid                 executor OS pid (text)
//   …/runs/<container_id>/pids/forked.start               its start time in clock ticks after boot (text;
//                                                          mesos-ts only: with the boot id it names one process)
//   …/runs/<container_id>/pids/libprocess.pid             executor actor address (text)
//   …/runs/<container_id>/executor.token                  its authentication token (0600; executor-tokens.ts)
//   …/runs/<container_id>/http.marker                     present for HTTP executors
//   …/runs/<container_id>/executor.sentinel               present once the run has ended
//   …/runs/<container_id>/tasks/<task_id>/task.info       Task (JSON)
//   …/runs/<container_id>/tasks/<task_id>/task.updates    JSON lines: {"type":"UPDATE","update":…}
//                                                          or {"type":"ACK","uuid":…}

import { access, mkdir, open, readFile, readdir, readlink, rename, rm, symlink, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Checkpointed protocol objects; the agent validates them against the protocol schema. */
export type Json = Record<string, unknown>;

export interface CheckpointOptions {
  /** fsync files and their directories (default true). Off only where durability is moot (tests, tmpfs). */
  fsync?: boolean;
}

export interface FrameworkRef {
  agentId: string;
  frameworkId: string;
}
export interface ExecutorRef extends FrameworkRef {
  executorId: string;
}
export interface RunRef extends ExecutorRef {
  containerId: string;
}
export interface TaskRef extends RunRef {
  taskId: string;
}

export type StatusUpdateRecord = { type: 'UPDATE'; update: Json } | { type: 'ACK'; uuid: string };

export interface CheckpointProblem {
  path: string;
  /** missing: an expected file is absent; torn: a file or the log's last record is incomplete;
   *  corrupt: damage inside the log; unreadable: an I/O error other than absence. */
  kind: 'missing' | 'torn' | 'corrupt' | 'unreadable';
  detail: string;
  /** True when reading repaired it (a torn log tail truncated away). */
  repaired?: boolean;
}

export interface TaskCheckpoint {
  id: string;
  info?: Json;
  /** The status-update stream in the order it was written, for the update manager to replay. */
  records: StatusUpdateRecord[];
}

export interface ExecutorRunCheckpoint {
  containerId: string;
  pid?: number;
  /** The start time of `pid` when it was checkpointed (/proc/<pid>/stat field 22), if recorded. */
  pidStartTicks?: number;
  /**
   * Why the checkpointed pids were set aside: the host rebooted since (every process of the
   * previous boot is gone, and its pids name strangers now), or the pid names another process.
   */
  stale?: 'rebooted' | 'pid reused';
  libprocessPid?: string;
  /** The token the executor authenticates with (executor-tokens.ts writes it). */
  token?: string;
  http: boolean;
  /** The executor.sentinel exists: the run ended and needs no recovery. */
  completed: boolean;
  tasks: TaskCheckpoint[];
}

export interface ExecutorCheckpoint {
  id: string;
  info?: Json;
  latestRunId?: string;
  runs: ExecutorRunCheckpoint[];
}

export interface FrameworkCheckpoint {
  id: string;
  info?: Json;
  pid?: string;
  executors: ExecutorCheckpoint[];
}

export interface AgentCheckpoint {
  /** From `meta/slaves/latest`; undefined means start as a new agent. */
  agentId?: string;
  info?: Json;
  bootId?: string;
  /** The checkpointed boot id differs from the host's: no executor of the previous incarnation survived. */
  rebooted: boolean;
  frameworks: FrameworkCheckpoint[];
  problems: CheckpointProblem[];
}

// ---- paths --------------------------------------------------------------------------------

export function metaDir(workDir: string): string {
  return join(workDir, 'meta');
}

export const checkpointPaths = {
  bootId: (w: string) => join(metaDir(w), 'boot_id'),
  resourcesInfo: (w: string) => join(metaDir(w), 'resources', 'resources_info'),
  latestAgent: (w: string) => join(metaDir(w), 'slaves', 'latest'),
  agentDir: (w: string, agentId: string) => join(metaDir(w), 'slaves', seg(agentId, true)),
  agentInfo: (w: string, agentId: string) => join(checkpointPaths.agentDir(w, agentId), 'slave.info'),
  frameworkDir: (w: string, r: FrameworkRef) => join(checkpointPaths.agentDir(w, r.agentId), 'frameworks', seg(r.frameworkId)),
  executorDir: (w: string, r: ExecutorRef) => join(checkpointPaths.frameworkDir(w, r), 'executors', seg(r.executorId)),
  runDir: (w: string, r: RunRef) => join(checkpointPaths.executorDir(w, r), 'runs', seg(r.containerId, true)),
  taskDir: (w: string, r: TaskRef) => join(checkpointPaths.runDir(w, r), 'tasks', seg(r.taskId)),
};

function seg(id: string, besideLatest = false): string {
  // Ids come from frameworks; one must never name a path outside its own directory. Agent and
  // container ids share a directory with a `latest` link, so that name is theirs to avoid.
  if (id === '' || id === '.' || id === '..' || (besideLatest && id === 'latest') || id.includes('/') || id.includes('\0')) {
    throw new RangeError(`id ${JSON.stringify(id)} cannot be used as a checkpoint path segment`);
  }
  return id;
}

// ---- writes -------------------------------------------------------------------------------

/** Records the agent's identity and makes it the one a restart recovers. */
export async function checkpointAgentInfo(workDir: string, agentId: string, info: Json, o: CheckpointOptions = {}): Promise<void> {
  await writeAtomic(checkpointPaths.agentInfo(workDir, agentId), JSON.stringify(info), o);
  await linkAtomic(seg(agentId, true), checkpointPaths.latestAgent(workDir), o);
}

/** Forgets the current identity: the next start registers as a new agent (Mesos's advice: rm latest). */
export async function forgetAgent(workDir: string): Promise<void> {
  await rm(checkpointPaths.latestAgent(workDir), { force: true });
}

export async function checkpointBootId(workDir: string, bootId: string, o: CheckpointOptions = {}): Promise<void> {
  await writeAtomic(checkpointPaths.bootId(workDir), bootId, o);
}

/** This host's boot id (Linux), to tell an agent restart from a host reboot. */
export async function readHostBootId(): Promise<string | undefined> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** framework.info and framework.pid, written when the framework's first task arrives. */
export async function checkpointFramework(workDir: string, r: FrameworkRef, info: Json, pid: string, o: CheckpointOptions = {}): Promise<void> {
  const dir = checkpointPaths.frameworkDir(workDir, r);
  await writeAtomic(join(dir, 'framework.info'), JSON.stringify(info), o);
  await writeAtomic(join(dir, 'framework.pid'), pid, o);
}

export async function checkpointExecutor(workDir: string, r: ExecutorRef, info: Json, o: CheckpointOptions = {}): Promise<void> {
  await writeAtomic(join(checkpointPaths.executorDir(workDir, r), 'executor.info'), JSON.stringify(info), o);
}

/**
 * Starts a run of the executor (makes it `runs/latest`) and, once known, records its pids.
 * Call with `{}` before launching and again with the pid after, as a crash in between then
 * leaves a run without a pid: a container that was never (known to be) launched.
 */
export async function checkpointExecutorRun(
  workDir: string,
  r: RunRef,
  run: { pid?: number; pidStartTicks?: number; libprocessPid?: string; http?: boolean },
  o: CheckpointOptions = {},
): Promise<void> {
  const dir = checkpointPaths.runDir(workDir, r);
  await mkdir(dir, { recursive: true });
  await linkAtomic(seg(r.containerId, true), join(checkpointPaths.executorDir(workDir, r), 'runs', 'latest'), o);
  // The start time first: a crash between the two writes leaves a pid without one (unverifiable,
  // as before), never a start time that belongs to the pid of an earlier write.
  if (run.pid !== undefined) {
    const start = join(dir, 'pids', 'forked.start');
    if (run.pidStartTicks !== undefined) await writeAtomic(start, String(run.pidStartTicks), o);
    else await rm(start, { force: true });
    await writeAtomic(join(dir, 'pids', 'forked.pid'), String(run.pid), o);
  }
  if (run.libprocessPid !== undefined) await writeAtomic(join(dir, 'pids', 'libprocess.pid'), run.libprocessPid, o);
  if (run.http) await writeAtomic(join(dir, 'http.marker'), '', o);
}

/** Marks the run as ended: recovery skips it. */
export async function markExecutorRunCompleted(workDir: string, r: RunRef, o: CheckpointOptions = {}): Promise<void> {
  await writeAtomic(join(checkpointPaths.runDir(workDir, r), 'executor.sentinel'), '', o);
}

/** task.info, written before the task is handed to its executor. */
export async function checkpointTask(workDir: string, r: TaskRef, task: Json, o: CheckpointOptions = {}): Promise<void> {
  await writeAtomic(join(checkpointPaths.taskDir(workDir, r), 'task.info'), JSON.stringify(task), o);
}

/** Appends an UPDATE record; done before the executor is acknowledged. */
export async function appendStatusUpdate(workDir: string, r: TaskRef, update: Json, o: CheckpointOptions = {}): Promise<void> {
  await appendRecord(workDir, r, { type: 'UPDATE', update }, o);
}

/** Appends an ACK record; done before the next update of the stream is forwarded. */
export async function appendStatusAcknowledgement(workDir: string, r: TaskRef, uuid: string, o: CheckpointOptions = {}): Promise<void> {
  await appendRecord(workDir, r, { type: 'ACK', uuid }, o);
}

/** Garbage-collects a framework's checkpoints (its sandboxes are collected separately). */
export async function removeFramework(workDir: string, r: FrameworkRef): Promise<void> {
  await rm(checkpointPaths.frameworkDir(workDir, r), { recursive: true, force: true });
}

export async function removeExecutor(workDir: string, r: ExecutorRef): Promise<void> {
  await rm(checkpointPaths.executorDir(workDir, r), { recursive: true, force: true });
}

async function appendRecord(workDir: string, r: TaskRef, record: StatusUpdateRecord, o: CheckpointOptions): Promise<void> {
  const path = join(checkpointPaths.taskDir(workDir, r), 'task.updates');
  await mkdir(dirname(path), { recursive: true });
  // One write of one whole line: a crash leaves at worst a torn last line, which reading trims.
  const fh = await open(path, 'a');
  try {
    await fh.write(JSON.stringify(record) + '\n');
    if (o.fsync ?? true) await fh.sync();
  } finally {
    await fh.close();
  }
}

let tmpSeq = 0;

async function writeAtomic(path: string, data: string, o: CheckpointOptions): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp.${process.pid}.${++tmpSeq}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    if (o.fsync ?? true) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (o.fsync ?? true) await syncDir(dir);
}

async function linkAtomic(target: string, link: string, o: CheckpointOptions): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  const tmp = `${link}.tmp.${process.pid}.${++tmpSeq}`;
  await symlink(target, tmp);
  await rename(tmp, link);
  if (o.fsync ?? true) await syncDir(dirname(link));
}

/** Makes a rename durable: the new directory entry is only on disk once the directory is. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The agent's checkpointed resources (CheckpointResources from the master), replaced atomically. */
export async function checkpointResourcesInfo(workDir: string, resources: readonly Json[], o: CheckpointOptions = {}): Promise<void> {
  await writeAtomic(checkpointPaths.resourcesInfo(workDir), JSON.stringify(resources), o);
}

/** The checkpointed resources: none when the file is absent; damage is reported, never thrown. */
export async function readResourcesInfo(workDir: string): Promise<{ resources: Json[]; problem?: CheckpointProblem }> {
  const path = checkpointPaths.resourcesInfo(workDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (code(e) === 'ENOENT') return { resources: [] };
    return { resources: [], problem: problem(path, 'unreadable', e) };
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v) || !v.every(isJsonObject)) return { resources: [], problem: { path, kind: 'corrupt', detail: 'not a JSON array of resources' } };
    return { resources: v };
  } catch (e) {
    return { resources: [], problem: { path, kind: 'torn', detail: (e as Error).message } };
  }
}

// ---- reads --------------------------------------------------------------------------------

/**
 * Everything a restarting agent needs. Damage is reported in `problems`, never thrown: the
 * agent decides (Mesos's --strict makes any problem fatal). With `repair` (default true) a torn
 * last record of an update log is truncated away on disk, so later appends start on a clean
 * line, as Mesos does during recovery.
 */
export async function readAgentState(workDir: string, opts: { repair?: boolean; hostBootId?: string | undefined } = {}): Promise<AgentCheckpoint> {
  const repair = opts.repair ?? true;
  const problems: CheckpointProblem[] = [];
  const state: AgentCheckpoint = { frameworks: [], problems, rebooted: false };

  const bootId = await readText(checkpointPaths.bootId(workDir), problems, false);
  if (bootId !== undefined) state.bootId = bootId;
  state.rebooted = bootId !== undefined && opts.hostBootId !== undefined && bootId !== opts.hostBootId;

  let agentId: string;
  try {
    agentId = await readlink(checkpointPaths.latestAgent(workDir));
  } catch (e) {
    if (code(e) !== 'ENOENT') problems.push(problem(checkpointPaths.latestAgent(workDir), 'unreadable', e));
    return state;
  }
  const info = await readJson(checkpointPaths.agentInfo(workDir, agentId), problems);
  // Without slave.info the identity was never confirmed by a master: start as a new agent.
  if (info === undefined) return state;
  state.agentId = agentId;
  state.info = info;

  const frameworksDir = join(checkpointPaths.agentDir(workDir, agentId), 'frameworks');
  for (const frameworkId of await listDirs(frameworksDir, problems)) {
    const fr = { agentId, frameworkId };
    const dir = checkpointPaths.frameworkDir(workDir, fr);
    const fw: FrameworkCheckpoint = { id: frameworkId, executors: [] };
    const fwInfo = await readJson(join(dir, 'framework.info'), problems);
    if (fwInfo !== undefined) fw.info = fwInfo;
    const pid = await readText(join(dir, 'framework.pid'), problems, true);
    if (pid !== undefined) fw.pid = pid;
    for (const executorId of await listDirs(join(dir, 'executors'), problems)) {
      fw.executors.push(await readExecutor(workDir, { ...fr, executorId }, problems, repair, state.rebooted));
    }
    state.frameworks.push(fw);
  }
  return state;
}

async function readExecutor(workDir: string, r: ExecutorRef, problems: CheckpointProblem[], repair: boolean, rebooted: boolean): Promise<ExecutorCheckpoint> {
  const dir = checkpointPaths.executorDir(workDir, r);
  const ex: ExecutorCheckpoint = { id: r.executorId, runs: [] };
  const info = await readJson(join(dir, 'executor.info'), problems);
  if (info !== undefined) ex.info = info;
  try {
    ex.latestRunId = await readlink(join(dir, 'runs', 'latest'));
  } catch (e) {
    if (code(e) !== 'ENOENT') problems.push(problem(join(dir, 'runs', 'latest'), 'unreadable', e));
  }
  for (const containerId of await listDirs(join(dir, 'runs'), problems)) {
    const rr = { ...r, containerId };
    const runDir = checkpointPaths.runDir(workDir, rr);
    const run: ExecutorRunCheckpoint = {
      containerId,
      http: await exists(join(runDir, 'http.marker')),
      completed: await exists(join(runDir, 'executor.sentinel')),
      tasks: [],
    };
    if (rebooted) {
      // Every pid of the previous boot now names nobody, or a stranger. As Mesos, they are
      // removed, so that a restart after this recovery does not read them either.
      if (!run.completed && (await exists(join(runDir, 'pids', 'forked.pid')))) run.stale = 'rebooted';
      await rm(join(runDir, 'pids'), { recursive: true, force: true });
    } else {
      // A run without a pid is one whose launch never completed; not an error unless it is live.
      const pidText = await readText(join(runDir, 'pids', 'forked.pid'), run.completed ? [] : problems, true);
      if (pidText !== undefined) {
        const pid = Number(pidText);
        if (Number.isInteger(pid) && pid > 0) run.pid = pid;
        else problems.push({ path: join(runDir, 'pids', 'forked.pid'), kind: 'torn', detail: `not a pid: ${JSON.stringify(pidText)}` });
      }
      const startText = await readText(join(runDir, 'pids', 'forked.start'), [], false);
      if (run.pid !== undefined && startText !== undefined && /^\d+$/.test(startText)) run.pidStartTicks = Number(startText);
      const lp = await readText(join(runDir, 'pids', 'libprocess.pid'), problems, false);
      if (lp !== undefined) run.libprocessPid = lp;
    }
    const token = await readText(join(runDir, 'executor.token'), problems, false);
    if (token !== undefined && /^[A-Za-z0-9_-]{16,128}$/.test(token)) run.token = token;
    for (const taskId of await listDirs(join(runDir, 'tasks'), problems)) {
      const taskDir = checkpointPaths.taskDir(workDir, { ...rr, taskId });
      const task: TaskCheckpoint = { id: taskId, records: await readUpdates(join(taskDir, 'task.updates'), problems, repair) };
      const taskInfo = await readJson(join(taskDir, 'task.info'), problems);
      if (taskInfo !== undefined) task.info = taskInfo;
      run.tasks.push(task);
    }
    ex.runs.push(run);
  }
  return ex;
}

/** Parses an update log; a missing log is an empty stream (no update was ever received). */
export async function readUpdates(path: string, problems: CheckpointProblem[], repair = true): Promise<StatusUpdateRecord[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') problems.push(problem(path, 'unreadable', e));
    return [];
  }
  const records: StatusUpdateRecord[] = [];
  // Byte offsets, not string offsets, so a torn multi-byte character cannot skew truncation.
  // JSON text never holds a raw newline, so each record is exactly one line.
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(0x0a, offset);
    const record = end < 0 ? undefined : parseRecord(bytes.subarray(offset, end).toString('utf8'));
    if (record !== undefined) {
      records.push(record);
    } else if (end < 0 || end === bytes.length - 1) {
      // The last record is incomplete or damaged: a crash mid-append. Drop it: the append
      // precedes every acknowledgement, so nobody was ever told of this update.
      const p: CheckpointProblem = { path, kind: 'torn', detail: `incomplete last record at byte ${offset}` };
      if (repair) {
        await truncate(path, offset);
        p.repaired = true;
      }
      problems.push(p);
      break;
    } else {
      problems.push({ path, kind: 'corrupt', detail: `unparsable record at byte ${offset}; skipped` });
    }
    offset = end < 0 ? bytes.length : end + 1;
  }
  return records;
}

function parseRecord(line: string): StatusUpdateRecord | undefined {
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Record<string, unknown>;
    if (r.type === 'UPDATE' && isJsonObject(r.update)) return { type: 'UPDATE', update: r.update };
    if (r.type === 'ACK' && typeof r.uuid === 'string') return { type: 'ACK', uuid: r.uuid };
    return undefined;
  } catch {
    return undefined;
  }
}

async function readJson(path: string, problems: CheckpointProblem[]): Promise<Json | undefined> {
  const text = await readText(path, problems, true);
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (isJsonObject(v)) return v;
  } catch {
    // Falls through to the report below.
  }
  problems.push({ path, kind: 'torn', detail: 'not a complete JSON object' });
  return undefined;
}

async function readText(path: string, problems: CheckpointProblem[], required: boolean): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if (code(e) === 'ENOENT') {
      if (required) problems.push({ path, kind: 'missing', detail: 'expected checkpoint file is absent' });
    } else {
      problems.push(problem(path, 'unreadable', e));
    }
    return undefined;
  }
}

/** Subdirectories, skipping the `latest` link and temporaries left by a crash mid-write. */
async function listDirs(dir: string, problems: CheckpointProblem[]): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    const names: string[] = [];
    for (const e of entries) {
      // Never a temporary (`*.tmp.*`): those are leftovers of a crash between write and rename.
      if (e.isDirectory() && !e.name.includes('.tmp.')) {
        names.push(e.name);
      }
    }
    return names.sort();
  } catch (e) {
    if (code(e) !== 'ENOENT') problems.push(problem(dir, 'unreadable', e));
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isJsonObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function code(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

function problem(path: string, kind: CheckpointProblem['kind'], e: unknown): CheckpointProblem {
  return { path, kind, detail: e instanceof Error ? e.message : String(e) };
}
