// The agent's status-update manager: one stream per (framework, task), only the head of each
// in flight to the master, retried with a doubling backoff until the master acknowledges it,
// duplicates recognised by uuid, sending paused while the agent is not registered. A plain
// class: the Agent actor does the sending and the timers through effects; the checkpoint
// writes are the checkpointer's.

import { isTerminalState, uuidToString, type TaskState, type TaskStatusUpdate } from '../protocol/index.js';

export interface StatusUpdateEffects {
  /** Sends the head of a stream to the master (latest_state already set). */
  forward(update: TaskStatusUpdate): void;
  /**
   * Arms the retry timer of a stream, replacing the one it had; the actor calls retry() when
   * it fires. A timer replaced or cancelled never fires.
   */
  startRetry(ms: number, frameworkId: string, taskId: string): void;
  cancelRetry(frameworkId: string, taskId: string): void;
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
}

export class TaskStream {
  /** Updates accepted and not yet acknowledged by the master; [0] is in flight. */
  readonly pending: TaskStatusUpdate[] = [];
  readonly received = new Set<string>();
  readonly acknowledged = new Set<string>();
  /** The state of the newest update accepted: forwarded as latest_state. */
  latestState: TaskState | undefined;
  backoffMs: number;

  constructor(
    readonly frameworkId: string,
    readonly taskId: string,
    readonly checkpointed: boolean,
    initialBackoffMs: number,
  ) {
    this.backoffMs = initialBackoffMs;
  }

  get head(): TaskStatusUpdate | undefined {
    return this.pending[0];
  }
}

export function updateUuid(update: TaskStatusUpdate): string {
  const bytes = update.uuid ?? update.status.uuid;
  return bytes === undefined ? '' : uuidToString(bytes);
}

export class StatusUpdateManager {
  private readonly streams = new Map<string, TaskStream>();
  private paused = true;

  constructor(
    private readonly effects: StatusUpdateEffects,
    private readonly policy: RetryPolicy,
  ) {}

  get(frameworkId: string, taskId: string): TaskStream | undefined {
    return this.streams.get(key(frameworkId, taskId));
  }

  /** Has an update with this uuid already been received on the task's stream? */
  isDuplicate(update: TaskStatusUpdate): boolean {
    const s = this.get(update.framework_id.value, update.status.task_id.value);
    const u = updateUuid(update);
    return s !== undefined && (s.received.has(u) || s.acknowledged.has(u));
  }

  /**
   * Accepts a new update: it is marked received at once (so a duplicate arriving while it is
   * being checkpointed is recognised) and returned with its stream. The caller enqueues it
   * (enqueue) once it is durable, or at once for streams that are not checkpointed.
   */
  receive(update: TaskStatusUpdate, checkpointed: boolean): TaskStream {
    const fid = update.framework_id.value;
    const tid = update.status.task_id.value;
    let s = this.streams.get(key(fid, tid));
    if (!s) this.streams.set(key(fid, tid), (s = new TaskStream(fid, tid, checkpointed, this.policy.initialMs)));
    s.received.add(updateUuid(update));
    s.latestState = update.status.state;
    return s;
  }

  /** Queues an accepted update; forwards it at once if it is the head and sending is on. */
  enqueue(stream: TaskStream, update: TaskStatusUpdate): void {
    stream.pending.push(update);
    if (stream.pending.length === 1 && !this.paused) this.send(stream, true);
  }

  /**
   * The master acknowledged `uuid`. Only the head's uuid counts (Mesos ignores acks of older or
   * unknown updates); returns the acknowledged update, after popping it and forwarding the next.
   */
  acknowledge(frameworkId: string, taskId: string, uuid: string): TaskStatusUpdate | undefined {
    const s = this.get(frameworkId, taskId);
    const head = s?.head;
    if (!s || !head || updateUuid(head) !== uuid) return undefined;
    s.pending.shift();
    s.acknowledged.add(uuid);
    s.received.delete(uuid);
    this.effects.cancelRetry(frameworkId, taskId);
    s.backoffMs = this.policy.initialMs;
    // An acknowledged terminal update with nothing behind it closes the stream.
    if (isTerminalState(head.status.state) && s.pending.length === 0) this.streams.delete(key(frameworkId, taskId));
    else if (s.pending.length > 0 && !this.paused) this.send(s, true);
    return head;
  }

  /**
   * The retry timer of a stream fired: resend the head, doubling the interval. The timer is
   * armed only while that head is in flight, so it never fires for an acknowledged update.
   */
  retry(frameworkId: string, taskId: string): void {
    const s = this.get(frameworkId, taskId);
    if (!s || !s.head || this.paused) return;
    s.backoffMs = Math.min(s.backoffMs * 2, this.policy.maxMs);
    this.send(s, false);
  }

  /** Disconnected from the master: nothing is sent until resume(). */
  pause(): void {
    this.paused = true;
    for (const s of this.streams.values()) this.effects.cancelRetry(s.frameworkId, s.taskId);
  }

  /** (Re)registered: every head is resent now and its backoff starts over. */
  resume(): void {
    this.paused = false;
    this.flush();
  }

  /** Resends the heads (of one framework's streams, or all) at once, e.g. after UpdateFramework. */
  flush(frameworkId?: string): void {
    if (this.paused) return;
    for (const s of this.streams.values()) {
      if (frameworkId !== undefined && s.frameworkId !== frameworkId) continue;
      if (s.head) this.send(s, true);
    }
  }

  /** Forgets a framework's streams (the framework was shut down: nothing more is delivered). */
  cleanup(frameworkId: string): void {
    for (const [k, s] of this.streams) {
      if (s.frameworkId !== frameworkId) continue;
      this.effects.cancelRetry(s.frameworkId, s.taskId);
      this.streams.delete(k);
    }
  }

  /**
   * Restores a stream from its checkpointed records (agent recovery); nothing is sent yet. A
   * task with no update recorded has no stream (as in Mesos): an empty one would read as "the
   * executor had it", and a task that never reached its executor would stay STAGING forever.
   */
  replay(frameworkId: string, taskId: string, records: readonly ({ type: 'UPDATE'; update: TaskStatusUpdate } | { type: 'ACK'; uuid: string })[]): TaskStream | undefined {
    if (!records.some((r) => r.type === 'UPDATE')) return undefined;
    const s = new TaskStream(frameworkId, taskId, true, this.policy.initialMs);
    for (const r of records) {
      if (r.type === 'UPDATE') {
        const u = updateUuid(r.update);
        if (s.received.has(u) || s.acknowledged.has(u)) continue;
        s.received.add(u);
        s.pending.push(r.update);
        s.latestState = r.update.status.state;
      } else if (s.head && updateUuid(s.head) === r.uuid) {
        s.pending.shift();
        s.received.delete(r.uuid);
        s.acknowledged.add(r.uuid);
      }
    }
    const last = s.acknowledged.size > 0 && s.pending.length === 0;
    if (last && s.latestState !== undefined && isTerminalState(s.latestState)) return undefined;
    this.streams.set(key(frameworkId, taskId), s);
    return s;
  }

  private send(s: TaskStream, resetBackoff: boolean): void {
    const head = s.head;
    if (!head) return;
    if (resetBackoff) s.backoffMs = this.policy.initialMs;
    const latest = s.latestState;
    this.effects.forward(latest === undefined ? head : { ...head, latest_state: latest });
    this.effects.startRetry(s.backoffMs, s.frameworkId, s.taskId);
  }
}

function key(frameworkId: string, taskId: string): string {
  return `${frameworkId}\u0000${taskId}`;
}
