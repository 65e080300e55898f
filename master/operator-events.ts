// The operator API's SUBSCRIBE streams (Mesos's Master::Subscribers): each subscriber gets
// SUBSCRIBED with the whole state, an immediate HEARTBEAT, then every change as it is made
// (the state's observer) and a HEARTBEAT every 15 s. Events are filtered per subscriber by the
// same ACLs as GET_STATE. A subscriber whose reader falls behind is cut and counted.

import type { Cancel, Clock, Counter, HttpResponse } from '../runtime/index.js';
import { message, RecordIOStream, type OperatorCall, type TaskStatus } from '../protocol/index.js';
import type { MasterContext } from './context.js';
import { agentV1, frameworkV1, getState, visibility, type Visibility } from './operator-views.js';
import type { AgentRecord, FrameworkRecord, StateObserver, TaskEntry } from './state.js';

/** DEFAULT_HEARTBEAT_INTERVAL in Mesos's master/constants.hpp; not configurable there either. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** What may wait for a slow reader beyond the record being written (the first is the whole state) before it is cut. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface Subscriber {
  out: RecordIOStream;
  can: Visibility;
}

export class OperatorSubscribers implements StateObserver {
  private readonly subscribers = new Set<Subscriber>();
  private cancelHeartbeat: Cancel | undefined;
  constructor(
    private readonly ctx: MasterContext,
    private readonly clock: Clock,
    /** `master/operator_api/subscribers_cut`: streams ended because their reader fell behind. */
    private readonly cuts: Counter,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** A new stream, in the media `call` accepts: SUBSCRIBED with the state the principal may see, then a HEARTBEAT. */
  subscribe(call: OperatorCall, principal: string | undefined): HttpResponse {
    const can = visibility(this.ctx, principal);
    const sub: Subscriber = { out: new RecordIOStream(call.accept, MAX_BUFFERED_BYTES), can };
    sub.out.write(message('SUBSCRIBED', { get_state: getState(this.ctx.state, can), heartbeat_interval_seconds: HEARTBEAT_INTERVAL_MS / 1000 }));
    sub.out.write(message('HEARTBEAT'));
    this.subscribers.add(sub);
    sub.out.stream.once('close', () => this.remove(sub));
    this.armHeartbeat();
    this.ctx.log.info({ principal, subscribers: this.subscribers.size }, 'operator API subscriber added');
    return sub.out.response();
  }

  /** Ends every stream (the master is stopping). */
  close(): void {
    for (const s of [...this.subscribers]) s.out.close();
    this.subscribers.clear();
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = undefined;
  }

  taskAdded(entry: TaskEntry): void {
    this.send((s) => this.seesTasksOf(s, entry.frameworkId), () => message('TASK_ADDED', { task: entry.task }));
  }

  taskUpdated(entry: TaskEntry, status: TaskStatus): void {
    this.send(
      (s) => this.seesTasksOf(s, entry.frameworkId),
      () => message('TASK_UPDATED', { framework_id: entry.task.framework_id, status, state: entry.task.state }),
    );
  }

  frameworkAdded(fw: FrameworkRecord): void {
    this.send((s) => s.can.framework(fw), () => message('FRAMEWORK_ADDED', { framework: frameworkV1(this.ctx.state, fw) }));
  }

  frameworkUpdated(fw: FrameworkRecord): void {
    this.send((s) => s.can.framework(fw), () => message('FRAMEWORK_UPDATED', { framework: frameworkV1(this.ctx.state, fw) }));
  }

  frameworkRemoved(fw: FrameworkRecord): void {
    this.send((s) => s.can.framework(fw), () => message('FRAMEWORK_REMOVED', { framework_info: { ...fw.info, id: { value: fw.id } } }));
  }

  agentAdded(agent: AgentRecord): void {
    this.send(() => true, () => message('AGENT_ADDED', { agent: agentV1(this.ctx.state, agent) }));
  }

  agentRemoved(agent: AgentRecord): void {
    this.send(() => true, () => message('AGENT_REMOVED', { agent_id: { value: agent.id } }));
  }

  private seesTasksOf(s: Subscriber, frameworkId: string): boolean {
    const fw = this.ctx.state.frameworks.get(frameworkId);
    return fw !== undefined && s.can.tasks(fw);
  }

  /** The event is built once, for the first subscriber that may see it, and never throws into the state's mutation. */
  private send(may: (s: Subscriber) => boolean, build: () => Record<string, unknown>): void {
    if (this.subscribers.size === 0) return;
    let event: Record<string, unknown> | undefined;
    try {
      for (const s of [...this.subscribers]) {
        if (!may(s)) continue;
        event ??= build();
        if (!s.out.write(event)) this.cut(s);
      }
    } catch (err) {
      this.ctx.log.error({ err }, 'operator API event not sent');
    }
  }

  private cut(s: Subscriber): void {
    this.cuts.value++;
    this.ctx.log.warn({ subscribers: this.subscribers.size - 1 }, 'operator API subscriber cut: its reader fell behind');
    this.remove(s);
  }

  private remove(s: Subscriber): void {
    if (!this.subscribers.delete(s)) return;
    s.out.close();
    if (this.subscribers.size === 0) {
      this.cancelHeartbeat?.();
      this.cancelHeartbeat = undefined;
    }
  }

  private armHeartbeat(): void {
    if (this.cancelHeartbeat !== undefined) return;
    this.cancelHeartbeat = this.clock.setTimer(HEARTBEAT_INTERVAL_MS, () => {
      this.cancelHeartbeat = undefined;
      if (this.subscribers.size === 0) return;
      this.send(() => true, () => message('HEARTBEAT'));
      this.armHeartbeat();
    });
  }
}
