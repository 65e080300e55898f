// What the agent checkpoints, and when (Mesos's Slave::checkpoint* calls): the identity on
// registration, a checkpointing framework's info with its first task and on UpdateFramework,
// each executor and run before launch and its pids once known, each task before delivery, every
// status update before the executor is acknowledged and every acknowledgement, a run's sentinel
// when it ends; and the garbage collection of finished executors and frameworks. The files
// themselves are checkpoint.ts's; writes go one after another, in the order the agent decided them.

import { bytesFromBase64, type ExecutorInbox, type TaskStatusUpdate } from '../protocol/index.js';
import type { Pid } from '../runtime/index.js';
import * as ckpt from './checkpoint.js';
import { readProcStat } from './containerizer/proc.js';
import type { AgentContext } from './context.js';
import { checkpointToken, EXECUTOR_HOST_ID } from './executor-tokens.js';
import { jsonReplacer } from './http.js';
import type { ExecutorState, FrameworkState } from './state.js';

/** Key added to a checkpointed executor.info to mark an ExecutorInfo the agent generated. */
export const GENERATED_MARK = 'mesos_ts_generated_for_command_task';

export class Checkpointer {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: AgentContext) {}

  /** slave.info, always written (Mesos does too): a restart then keeps its identity. */
  agentInfo(): void {
    const agentId = this.ctx.agentId!;
    const info = toJson(this.ctx.agentInfo());
    this.persist('agent info', () => ckpt.checkpointAgentInfo(this.workDir, agentId, info, this.options));
  }

  /** A restart after a master-requested shutdown must not come back as this agent. */
  forgetIdentity(): void {
    this.persist('forget identity', () => ckpt.forgetAgent(this.workDir));
  }

  framework(f: FrameworkState): void {
    const info = toJson(f.info);
    const pid = f.pid;
    this.persist('framework', () => ckpt.checkpointFramework(this.workDir, this.frameworkRef(f.id), info, pid, this.options));
  }

  /** executor.info and a new run without pids, before the launch (see checkpointExecutorRun). */
  executor(e: ExecutorState): void {
    const record = e.kind === 'command' ? { ...toJson(e.info), [GENERATED_MARK]: true } : toJson(e.info);
    const ref = this.runRef(e);
    this.persist('executor', async () => {
      await ckpt.checkpointExecutor(this.workDir, ref, record, this.options);
      await ckpt.checkpointExecutorRun(this.workDir, ref, {}, this.options);
    });
  }

  /**
   * forked.pid: the OS process that stands for the executor (its own, or its host's), with its
   * start time, so that a restarted agent never takes a later process with the same pid for it;
   * and the token it proves.
   */
  executorProcess(e: ExecutorState, pid: number): void {
    const ref = this.runRef(e);
    const token = this.ctx.config.executorTokens?.secretOf(e.frameworkId, e.kind === 'command' ? EXECUTOR_HOST_ID : e.id);
    this.persist('executor run', async () => {
      const startTicks = (await readProcStat(pid))?.startTicks;
      await ckpt.checkpointExecutorRun(this.workDir, ref, { pid, ...(startTicks !== undefined ? { pidStartTicks: startTicks } : {}) }, this.options);
      if (token !== undefined) await checkpointToken(ckpt.checkpointPaths.runDir(this.workDir, ref), token, this.options.fsync ?? true);
    });
  }

  /** libprocess.pid: where a restarted agent tells the executor to reconnect. */
  executorPid(e: ExecutorState, pid: Pid): void {
    this.persist('executor pid', () => ckpt.checkpointExecutorRun(this.workDir, this.runRef(e), { libprocessPid: pid }, this.options));
  }

  runCompleted(e: ExecutorState): void {
    this.persist('executor sentinel', () => ckpt.markExecutorRunCompleted(this.workDir, this.runRef(e), this.options));
  }

  task(e: ExecutorState, taskId: string, task: unknown): void {
    const record = toJson(task);
    this.persist('task', () => ckpt.checkpointTask(this.workDir, this.taskRef(e, taskId), record, this.options));
  }

  /** Durable before anyone is told: `_UpdateCheckpointed` follows the write. */
  statusUpdate(e: ExecutorState, update: TaskStatusUpdate, ackTo: Pid<ExecutorInbox> | undefined): void {
    const ref = this.taskRef(e, update.status.task_id.value);
    const record = toJson(update);
    const write = this.chain.then(() => ckpt.appendStatusUpdate(this.workDir, ref, record, this.options));
    this.chain = write.catch(() => {});
    this.ctx.pipeToSelf(
      write,
      () => ({ name: '_UpdateCheckpointed', update, ackTo }),
      (err) => ({ name: '_CheckpointWritten', what: 'status update', error: String(err) }),
    );
  }

  acknowledgement(e: ExecutorState, taskId: string, uuid: string): void {
    const ref = this.taskRef(e, taskId);
    this.persist('status acknowledgement', () => ckpt.appendStatusAcknowledgement(this.workDir, ref, uuid, this.options));
  }

  /** An executor is done and every update of its tasks acknowledged: nothing of it is left to recover. */
  removeExecutor(e: ExecutorState): void {
    const ref = this.executorRef(e);
    this.persist('remove executor', () => ckpt.removeExecutor(this.workDir, ref));
  }

  removeFramework(f: FrameworkState): void {
    const ref = this.frameworkRef(f.id);
    this.persist('remove framework', () => ckpt.removeFramework(this.workDir, ref));
  }

  /** A write's outcome: Mesos treats a failed checkpoint as fatal; see the comment below. */
  written(what: string, error: string | undefined): void {
    if (error === undefined) return;
    // An agent that cannot write its work_dir cannot promise recovery, but running tasks are
    // still better served by staying up.
    this.ctx.log.error({ what, error }, 'checkpoint write failed');
  }

  private persist(what: string, write: () => Promise<void>): void {
    const p = this.chain.then(write);
    this.chain = p.catch(() => {});
    // The outcome comes back as a message so that settle() waits for the write.
    this.ctx.pipeToSelf(
      p,
      () => ({ name: '_CheckpointWritten', what, error: undefined }),
      (err) => ({ name: '_CheckpointWritten', what, error: String(err) }),
    );
  }

  private get workDir(): string {
    return this.ctx.config.workDir;
  }

  private get options(): ckpt.CheckpointOptions {
    return { fsync: this.ctx.config.checkpointFsync };
  }

  private frameworkRef(frameworkId: string): ckpt.FrameworkRef {
    return { agentId: this.ctx.agentId!, frameworkId };
  }

  private executorRef(e: ExecutorState): ckpt.ExecutorRef {
    return { agentId: this.ctx.agentId!, frameworkId: e.frameworkId, executorId: e.id };
  }

  private runRef(e: ExecutorState): ckpt.RunRef {
    return { ...this.executorRef(e), containerId: e.containerId };
  }

  private taskRef(e: ExecutorState, taskId: string): ckpt.TaskRef {
    return { ...this.runRef(e), taskId };
  }
}

const BYTES_FIELDS = new Set(['uuid', 'data', 'status_update_uuid']);

/** A protocol object as checkpoint JSON: bytes fields as base64, as Mesos's JSON has them. */
export function toJson(v: unknown): ckpt.Json {
  return JSON.parse(JSON.stringify(v, jsonReplacer)) as ckpt.Json;
}

/** The inverse of toJson for the protocol's shapes (every bytes field is named uuid, data or status_update_uuid). */
export function fromJson<T>(v: ckpt.Json): T {
  return JSON.parse(JSON.stringify(v), (k, x: unknown) => (BYTES_FIELDS.has(k) && typeof x === 'string' ? bytesFromBase64(x) : x)) as T;
}
