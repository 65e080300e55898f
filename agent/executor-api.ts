// The v1 executor HTTP API, `POST /api/v1/executor` on the agent (Mesos's Slave::Http::executor
// and docs/executor-http-api.md). SUBSCRIBE opens a RecordIO event stream that becomes the
// executor's connection (an ExecutorConnection, like a v0 driver's pid); UPDATE and MESSAGE are
// checked at the edge (media type, body, ids of an executor this agent launched, its token, the
// subscription) and then handled by the same functions as the v0 messages, as sent from that
// connection. Status codes as Mesos's: 200 SUBSCRIBE (a stream), 202 other calls, 400 bad call,
// 401 without the executor's token, 403 not subscribed, 405 not POST, 406/415 media types.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { HttpHandler, HttpRequest, HttpResponse, Pid } from '../runtime/index.js';
import {
  acceptedMediaType,
  contentTypeOf,
  decodeMessage,
  encodeMessage,
  encodeRecord,
  notAcceptable,
  requestMediaType,
  validateMessage,
  type ExecutorInbox,
  type ExecutorToFramework,
  type MediaType,
  type StatusUpdate,
  type TaskInfo,
  type TaskStatus,
  type TaskStatusUpdate,
} from '../protocol/index.js';
import { timers, type AgentContext, type ExecutorKey } from './context.js';
import type { ExecutorConnection } from './executor-connection.js';
import type { ExecutorState, FrameworkState } from './state.js';

/**
 * Seconds between HEARTBEAT events on an executor's stream. Mesos does not document the agent's
 * interval; mesos-ts uses the scheduler API's 15 s (see README).
 */
export const EXECUTOR_HEARTBEAT_INTERVAL_SECONDS = 15;
/** Bytes of events an executor may leave unread before the agent closes its stream. */
export const MAX_EXECUTOR_STREAM_BACKLOG_BYTES = 4 * 1024 * 1024;

/** A decoded `mesos.v1.executor.Call`. */
type Call = { type?: string | number; executor_id?: { value: string }; framework_id?: { value: string } } & Record<string, unknown>;
type Sub = Record<string, unknown>;
/** A v1 executor Event, in the shape of mesos-ts's types. */
export type ExecutorEvent = { type: string } & Record<string, unknown>;

export function executorEndpoint(ctx: AgentContext): HttpHandler {
  return (req) => handle(ctx, req);
}

function handle(ctx: AgentContext, req: HttpRequest): HttpResponse {
  if (req.method !== 'POST') return text(405, `Expecting 'POST', received '${req.method}'`, { allow: 'POST' });
  const media = requestMediaType(req.headers);
  if (typeof media !== 'string') return text(media.status, media.message);
  const accept = acceptedMediaType(req.headers);
  if (accept === undefined) return text(notAcceptable().status, notAcceptable().message);
  const decoded = decodeMessage<Call>('executor.Call', media, req.body);
  if (!decoded.ok) return text(400, decoded.error);
  const call = decoded.value;
  if (call.type === undefined) return text(400, "Expecting 'type' to be present");
  if (typeof call.type === 'number') return text(400, `Unknown call type ${call.type}`);
  if (call.type === 'UNKNOWN') return text(501, "Received 'UNKNOWN' call");
  const fid = call.framework_id?.value;
  const eid = call.executor_id?.value;
  if (fid === undefined || fid === '') return text(400, "Expecting 'framework_id' to be present");
  if (eid === undefined || eid === '') return text(400, "Expecting 'executor_id' to be present");
  // With executor authentication on, every call proves the token the agent handed this executor.
  const denied = unauthenticated(ctx, req, fid, eid);
  if (denied !== undefined) return denied;
  const f = ctx.frameworks.get(fid);
  if (f === undefined) return text(400, 'Framework cannot be found');
  const e = f.executors.get(eid);
  if (e === undefined) return text(400, 'Executor cannot be found');
  // Command executors are actors in the framework's executor host: nobody subscribes as one.
  if (e.kind === 'command') return text(403, `Executor ${eid} is a command executor run by the agent's executor host`);
  if (e.conn?.transport === 'actor') return text(403, `Executor ${eid} is connected through the v0 executor API`);

  switch (call.type) {
    case 'SUBSCRIBE':
      return subscribe(ctx, f, e, call, accept);
    case 'UPDATE':
    case 'MESSAGE':
    case 'HEARTBEAT': {
      const conn = e.conn;
      if (conn === undefined) return text(403, 'Executor is not subscribed');
      if (call.type === 'HEARTBEAT') return accepted();
      return call.type === 'UPDATE' ? update(ctx, e, call, conn.id) : message(ctx, e, call, conn.id);
    }
    default:
      return text(400, `Unknown call type ${call.type}`);
  }
}

function unauthenticated(ctx: AgentContext, req: HttpRequest, fid: string, eid: string): HttpResponse | undefined {
  const tokens = ctx.config.executorTokens;
  if (tokens === undefined) return undefined;
  const challenge = { 'www-authenticate': 'Bearer realm="mesos-agent-executor"' };
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers['authorization'] ?? '');
  if (m === null) return text(401, "Expecting 'Authorization: Bearer <MESOS_EXECUTOR_AUTHENTICATION_TOKEN>'", challenge);
  const secret = tokens.secretOf(fid, eid);
  const given = Buffer.from(m[1]!);
  if (secret === undefined || given.length !== Buffer.byteLength(secret) || !timingSafeEqual(given, Buffer.from(secret))) {
    ctx.counters.droppedBy.set('unauthenticated', (ctx.counters.droppedBy.get('unauthenticated') ?? 0) + 1);
    return text(401, `The token does not authenticate executor ${eid} of framework ${fid}`, challenge);
  }
  return undefined;
}

function subscribe(ctx: AgentContext, f: FrameworkState, e: ExecutorState, call: Call, media: MediaType): HttpResponse {
  const sub = call['subscribe'] as Sub | undefined;
  if (sub === undefined) return text(400, "Expecting 'subscribe' to be present");
  const tasks = (sub['unacknowledged_tasks'] as TaskInfo[] | undefined) ?? [];
  const updates: TaskStatusUpdate[] = [];
  for (const u of (sub['unacknowledged_updates'] as Sub[] | undefined) ?? []) {
    const built = statusUpdateOf(ctx, e, u['status'] as TaskStatus | undefined);
    if (typeof built === 'string') return text(400, `Invalid 'subscribe.unacknowledged_updates': ${built}`);
    updates.push(built);
  }
  for (const t of tasks) if (typeof t.task_id?.value !== 'string') return text(400, "Invalid 'subscribe.unacknowledged_tasks': a task without 'task_id'");

  const conn = new HttpExecutorConnection(ctx, randomUUID(), media);
  const response: HttpResponse = { status: 200, headers: { 'content-type': contentTypeOf(media), 'cache-control': 'no-cache' }, stream: conn.stream };
  const first = e.state === 'REGISTERING' && !e.awaitingReregistration;
  // Mesos shuts down an executor it does not expect: being shut down, or with nothing to run.
  const refusal =
    f.state === 'TERMINATING' || e.state === 'TERMINATING' || e.state === 'TERMINATED'
      ? 'the executor is being shut down'
      : first && e.queuedTasks.size === 0 && e.launchedTasks.size === 0
        ? 'the executor has no tasks to run'
        : undefined;
  if (refusal !== undefined) {
    ctx.log.warn({ framework_id: f.id, executor_id: e.id, why: refusal }, 'shutting down an unexpected HTTP executor');
    conn.refuse(`Subscription refused: ${refusal}`);
    return response;
  }
  const resubscribed = !first;
  ctx.cancelTimer(timers.executorRegistration(e.containerId));
  e.awaitingReregistration = false;
  ctx.parts.executors.attach(e, conn);
  conn.write({
    type: 'SUBSCRIBED',
    subscribed: { executor_info: e.info, framework_info: { ...f.info, id: { value: f.id } }, agent_info: ctx.agentInfo(), container_id: { value: e.containerId } },
  });
  conn.heartbeat();
  ctx.log.info({ framework_id: f.id, executor_id: e.id, resubscribed, tasks: tasks.length, updates: updates.length }, resubscribed ? 'HTTP executor re-subscribed' : 'HTTP executor subscribed');
  if (resubscribed) ctx.parts.recovery.resumed(f, e, tasks, updates);
  ctx.parts.executors.flushQueued(f, e);
  return response;
}

function update(ctx: AgentContext, e: ExecutorState, call: Call, from: Pid): HttpResponse {
  const u = call['update'] as Sub | undefined;
  if (u === undefined) return text(400, "Expecting 'update' to be present");
  const built = statusUpdateOf(ctx, e, u['status'] as TaskStatus | undefined);
  if (typeof built === 'string') return text(400, `Invalid UPDATE call: ${built}`);
  const msg = { name: 'StatusUpdate', update: built, pid: from } as const;
  const problem = validateMessage(msg);
  if (problem !== undefined) return text(400, `Invalid UPDATE call: ${problem}`);
  ctx.parts.tasks.statusUpdate(msg as StatusUpdate, from);
  return accepted();
}

function message(ctx: AgentContext, e: ExecutorState, call: Call, from: Pid): HttpResponse {
  const data = (call['message'] as Sub | undefined)?.['data'] as Uint8Array | undefined;
  if (data === undefined) return text(400, "Expecting 'message.data' to be present");
  const msg: ExecutorToFramework = { name: 'ExecutorToFramework', agent_id: { value: ctx.agentId ?? '' }, framework_id: { value: e.frameworkId }, executor_id: { value: e.id }, data };
  const problem = validateMessage(msg);
  if (problem !== undefined) return text(400, `Invalid MESSAGE call: ${problem}`);
  ctx.parts.tasks.executorToFramework(msg, from);
  return accepted();
}

/** A v1 UPDATE's status as the agent's TaskStatusUpdate, or what is wrong with it (Mesos's executor call validation). */
function statusUpdateOf(ctx: AgentContext, e: ExecutorState, status: TaskStatus | undefined): TaskStatusUpdate | string {
  if (status === undefined) return "Expecting 'status' to be present";
  if (status.task_id?.value === undefined) return "Expecting 'status.task_id' to be present";
  if (status.state === undefined) return "Expecting 'status.state' to be present";
  const uuid = status.uuid;
  if (uuid === undefined) return "Expecting 'uuid' to be present";
  if (uuid.length !== 16) return `'uuid' is not a valid UUID: expected 16 bytes, got ${uuid.length}`;
  if (status.state === 'TASK_STAGING') return 'Received TASK_STAGING from executor';
  if (status.source !== undefined && status.source !== 'SOURCE_EXECUTOR') return `Received Call from executor with invalid source '${status.source}'`;
  if (status.executor_id !== undefined && status.executor_id.value !== e.id) return `ExecutorID in Call ${e.id} does not match ExecutorID in TaskStatus ${status.executor_id.value}`;
  const timestamp = status.timestamp ?? ctx.now() / 1000;
  const agentId = { value: ctx.agentId ?? '' };
  return {
    framework_id: { value: e.frameworkId },
    executor_id: { value: e.id },
    agent_id: agentId,
    status: { ...status, executor_id: { value: e.id }, source: 'SOURCE_EXECUTOR', timestamp },
    timestamp,
    uuid,
  };
}

/**
 * The HTTP transport of an executor connection: a SUBSCRIBE's RecordIO event stream. The agent's
 * messages to an executor become v1 Events (RunTask → LAUNCH, KillTask → KILL, …), one record
 * per write, in the media type the executor accepted; heartbeats run on the agent's clock.
 */
export class HttpExecutorConnection implements ExecutorConnection {
  readonly transport = 'http';
  readonly id: Pid<ExecutorInbox>;
  readonly stream = new Readable({ read() {} });
  private key: ExecutorKey | undefined;
  private closed = false;

  constructor(
    private readonly ctx: AgentContext,
    readonly streamId: string,
    readonly media: MediaType,
  ) {
    this.id = `http:${streamId}` as Pid<ExecutorInbox>;
    // The executor went away (or the agent ended the stream): the agent hears it as an exit.
    this.stream.once('close', () => {
      this.closed = true;
      if (this.key !== undefined) ctx.send(ctx.self, { name: '_ExecutorExited', ...this.key, pid: this.id });
    });
  }

  send(msg: ExecutorInbox): void {
    const event = toEvent(msg);
    if (event !== undefined) this.write(event);
  }

  watch(key: ExecutorKey): void {
    this.key = key;
  }

  /** An unexpected executor: ERROR says why, SHUTDOWN tells it to go, and the stream ends. */
  refuse(message: string): void {
    this.write({ type: 'ERROR', error: { message } });
    this.write({ type: 'SHUTDOWN' });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.key !== undefined) this.ctx.cancelTimer(timers.executorHeartbeat(this.key.containerId));
    this.stream.push(null);
  }

  /** Sends a HEARTBEAT and arms the next one. */
  heartbeat(): void {
    if (this.closed || this.key === undefined) return;
    this.write({ type: 'HEARTBEAT' });
    this.ctx.startTimer(timers.executorHeartbeat(this.key.containerId), EXECUTOR_HEARTBEAT_INTERVAL_SECONDS * 1000, { name: '_ExecutorHeartbeat', ...this.key, connection: this.id });
  }

  write(event: ExecutorEvent): void {
    if (this.closed) return;
    if (this.stream.readableLength > MAX_EXECUTOR_STREAM_BACKLOG_BYTES) {
      this.ctx.dropped(`executor event ${event.type}`, '', `the executor left more than ${MAX_EXECUTOR_STREAM_BACKLOG_BYTES} bytes of stream ${this.streamId} unread; closing it`);
      this.stream.destroy();
      return;
    }
    let payload: Buffer;
    try {
      payload = encodeMessage('executor.Event', this.media, event);
    } catch (err) {
      return this.ctx.dropped(`executor event ${event.type}`, '', `it cannot be encoded: ${(err as Error).message}`);
    }
    this.stream.push(encodeRecord(payload));
  }
}

/** Timer `executor-heartbeat <container id>`: the next HEARTBEAT, if that stream is still the executor's. */
export function executorHeartbeat(ctx: AgentContext, key: ExecutorKey, connection: string): void {
  const e = ctx.parts.executors.get(key);
  if (e?.conn?.id !== connection || !(e.conn instanceof HttpExecutorConnection)) return;
  e.conn.heartbeat();
}

/** The v1 event an agent→executor message is (undefined: nothing to tell over HTTP). */
export function toEvent(msg: ExecutorInbox): ExecutorEvent | undefined {
  switch (msg.name) {
    case 'RunTask':
      return { type: 'LAUNCH', launch: { task: msg.task } };
    case 'RunTaskGroup':
      return { type: 'LAUNCH_GROUP', launch_group: { task_group: msg.task_group } };
    case 'KillTask':
      return { type: 'KILL', kill: { task_id: msg.task_id, ...(msg.kill_policy !== undefined ? { kill_policy: msg.kill_policy } : {}) } };
    case 'StatusUpdateAcknowledgement':
      return { type: 'ACKNOWLEDGED', acknowledged: { task_id: msg.task_id, uuid: msg.uuid } };
    case 'FrameworkToExecutor':
      return { type: 'MESSAGE', message: { data: msg.data } };
    case 'ShutdownExecutor':
      return { type: 'SHUTDOWN' };
    // SUBSCRIBED is written by the subscription itself; an HTTP executor re-subscribes unasked.
    case 'ExecutorRegistered':
    case 'ExecutorReregistered':
    case 'ReconnectExecutor':
      return undefined;
  }
}

function accepted(): HttpResponse {
  return { status: 202, body: '' };
}

function text(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: message };
}
