// A v1 HTTP executor client (Mesos's src/executor/executor.cpp, in TypeScript) behind the same
// ExecutorDriver the v0 driver offers, so one Executor runs over either transport. SUBSCRIBE opens
// the agent's RecordIO event stream; events become the Executor's callbacks, one at a time; calls
// (UPDATE, MESSAGE) go out in order, each on its own request. Updates and launched tasks are kept
// until ACKNOWLEDGED and resent in the next SUBSCRIBE. When the stream breaks, a checkpointing
// framework's executor subscribes again (backoff up to MESOS_SUBSCRIPTION_BACKOFF_MAX) until
// MESOS_RECOVERY_TIMEOUT; any other executor shuts down, as Mesos's executor library does.

import { ValidationError } from '../runtime/index.js';
import {
  contentTypeOf,
  decodeMessage,
  encodeMessage,
  newUuid,
  RecordIODecoder,
  tryParseDuration,
  uuidToString,
  type AgentInfo,
  type ExecutorInfo,
  type FrameworkInfo,
  type KillPolicy,
  type MediaType,
  type TaskGroupInfo,
  type TaskID,
  type TaskInfo,
  type TaskStatus,
} from '../protocol/index.js';
import type { Status } from '../driver/index.js';
import { DEFAULT_RECOVERY_TIMEOUT_MS } from './driver.js';
import type { Executor, ExecutorDriver } from './executor.js';

export interface HttpExecutorDriverOptions {
  /** Where MESOS_* variables are read from; default process.env. Explicit options win. */
  env?: Record<string, string | undefined>;
  /** The agent's `host:port` (MESOS_AGENT_ENDPOINT). */
  agentEndpoint?: string;
  frameworkId?: string;
  executorId?: string;
  checkpoint?: boolean;
  recoveryTimeoutMs?: number;
  /** Bound of the backoff between subscription attempts (MESOS_SUBSCRIPTION_BACKOFF_MAX; default 2 s). */
  backoffMaxMs?: number;
  /** MESOS_EXECUTOR_AUTHENTICATION_TOKEN, sent as `Authorization: Bearer`. */
  token?: string;
  /** Media type of calls and events (default protobuf, as Mesos's executor library). */
  contentType?: MediaType;
  /** Largest event accepted (default 64 MiB). */
  maxEventBytes?: number;
}

type Event = { type: string } & Record<string, any>;

export class HttpExecutorDriver implements ExecutorDriver {
  status: Status = 'DRIVER_NOT_STARTED';
  private readonly endpoint: string;
  private readonly frameworkId: string;
  private readonly executorId: string;
  private readonly checkpoint: boolean;
  private readonly recoveryTimeoutMs: number;
  private readonly backoffMaxMs: number;
  private readonly token: string | undefined;
  private readonly media: MediaType;
  private readonly maxEventBytes: number;
  private agentId: { value: string } | undefined;
  private subscribedOnce = false;
  private connected = false;
  private stream: AbortController | undefined;
  /** Launched tasks and updates without an acknowledgement, resent on SUBSCRIBE. */
  private readonly tasks = new Map<string, TaskInfo>();
  private readonly updates = new Map<string, TaskStatus>();
  /** Callbacks run one at a time, in order. */
  private callbacks: Promise<void> = Promise.resolve();
  /** Calls go out one at a time, in order. */
  private calls: Promise<unknown> = Promise.resolve();
  private shuttingDown = false;
  private done!: (s: Status) => void;
  private readonly finished = new Promise<Status>((r) => (this.done = r));

  constructor(
    private readonly executor: Executor,
    options: HttpExecutorDriverOptions = {},
  ) {
    const env = options.env ?? process.env;
    const need = (explicit: string | undefined, name: string): string => {
      const v = explicit ?? env[name];
      if (v === undefined || v === '') throw new ValidationError(`missing ${name}: an HTTP executor must be launched by an agent`);
      return v;
    };
    const duration = (explicit: number | undefined, name: string, fallback: number): number => {
      if (explicit !== undefined) return explicit;
      const text = env[name];
      if (text === undefined || text === '') return fallback;
      const ms = tryParseDuration(text);
      if (ms === undefined) throw new ValidationError(`${name}='${text}' is not a duration such as 5secs`);
      return ms;
    };
    this.endpoint = need(options.agentEndpoint, 'MESOS_AGENT_ENDPOINT');
    this.frameworkId = need(options.frameworkId, 'MESOS_FRAMEWORK_ID');
    this.executorId = need(options.executorId, 'MESOS_EXECUTOR_ID');
    const cp = env['MESOS_CHECKPOINT'];
    this.checkpoint = options.checkpoint ?? (cp === '1' || cp === 'true');
    this.recoveryTimeoutMs = duration(options.recoveryTimeoutMs, 'MESOS_RECOVERY_TIMEOUT', DEFAULT_RECOVERY_TIMEOUT_MS);
    this.backoffMaxMs = duration(options.backoffMaxMs, 'MESOS_SUBSCRIPTION_BACKOFF_MAX', 2000);
    const token = options.token ?? env['MESOS_EXECUTOR_AUTHENTICATION_TOKEN'];
    this.token = token === '' ? undefined : token;
    this.media = options.contentType ?? 'protobuf';
    this.maxEventBytes = options.maxEventBytes ?? 64 * 1024 * 1024;
  }

  async start(): Promise<Status> {
    if (this.status !== 'DRIVER_NOT_STARTED') return this.status;
    this.status = 'DRIVER_RUNNING';
    void this.subscribeLoop();
    return this.status;
  }

  async stop(): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING' && this.status !== 'DRIVER_ABORTED') return this.status;
    const wasAborted = this.status === 'DRIVER_ABORTED';
    this.status = 'DRIVER_STOPPED';
    this.stream?.abort();
    await this.calls.catch(() => undefined);
    this.done(wasAborted ? 'DRIVER_ABORTED' : 'DRIVER_STOPPED');
    return this.status;
  }

  async abort(): Promise<Status> {
    return this.abortDriver();
  }

  private async abortDriver(): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING') return this.status;
    this.status = 'DRIVER_ABORTED';
    this.stream?.abort();
    this.done('DRIVER_ABORTED');
    return this.status;
  }

  join(): Promise<Status> {
    return this.status === 'DRIVER_NOT_STARTED' ? Promise.resolve(this.status) : this.finished;
  }

  async run(): Promise<Status> {
    await this.start();
    return this.join();
  }

  sendStatusUpdate(status: TaskStatus): Status {
    if (this.status !== 'DRIVER_RUNNING') return this.status;
    if (status.state === 'TASK_STAGING') {
      this.userError('sendStatusUpdate', new ValidationError('an executor must not send TASK_STAGING'));
      return this.status;
    }
    const uuid = newUuid();
    const full: TaskStatus = {
      ...status,
      uuid,
      timestamp: status.timestamp ?? Date.now() / 1000,
      source: 'SOURCE_EXECUTOR',
      executor_id: { value: this.executorId },
      ...(this.agentId !== undefined ? { agent_id: this.agentId } : {}),
    };
    this.updates.set(uuidToString(uuid), full);
    // Sent while subscribed; otherwise the next SUBSCRIBE carries it.
    this.post({ type: 'UPDATE', update: { status: full } });
    return this.status;
  }

  sendFrameworkMessage(data: Uint8Array): Status {
    if (this.status !== 'DRIVER_RUNNING') return this.status;
    this.post({ type: 'MESSAGE', message: { data } });
    return this.status;
  }

  // ------------------------------------------------------------------ transport

  private url(): string {
    return `http://${this.endpoint}/api/v1/executor`;
  }

  private headers(): Record<string, string> {
    const type = contentTypeOf(this.media);
    return { 'content-type': type, accept: type, ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  private post(call: Record<string, unknown>): void {
    const body = encodeMessage('executor.Call', this.media, { executor_id: { value: this.executorId }, framework_id: { value: this.frameworkId }, ...call });
    const send = async (): Promise<void> => {
      if (!this.connected || this.status !== 'DRIVER_RUNNING') return;
      try {
        const res = await fetch(this.url(), { method: 'POST', headers: this.headers(), body });
        const text = await res.text();
        if (res.status !== 202) process.emitWarning(`executor call ${String(call['type'])} answered ${res.status} ${text}`);
      } catch {
        // The stream's end says the agent is gone; unacknowledged updates go out again on SUBSCRIBE.
      }
    };
    this.calls = this.calls.then(send);
  }

  private async subscribeLoop(): Promise<void> {
    let attempt = 0;
    let lostAt: number | undefined;
    while (this.status === 'DRIVER_RUNNING' && !this.shuttingDown) {
      const why = await this.subscribeOnce(() => {
        attempt = 0;
        lostAt = undefined;
      });
      if (this.status !== 'DRIVER_RUNNING' || this.shuttingDown) return;
      const wasConnected = this.connected;
      this.connected = false;
      // Refused (a 4xx: unknown, unauthenticated, not expected), or lost without checkpointing:
      // nothing will recover this executor.
      if (/^SUBSCRIBE answered 4/.test(why)) return this.shutdown(why);
      if (!this.checkpoint && (this.subscribedOnce || attempt > 20)) return this.shutdown(`lost the agent (${why})`);
      if (this.subscribedOnce) {
        lostAt ??= Date.now();
        if (wasConnected) this.callback('disconnected', () => this.executor.disconnected(this));
        if (Date.now() - lostAt > this.recoveryTimeoutMs) return this.shutdown('the agent did not come back within the recovery timeout');
      }
      const bound = Math.min(this.backoffMaxMs, 100 * 2 ** attempt++);
      await new Promise((r) => setTimeout(r, bound / 2 + Math.random() * (bound / 2)));
    }
  }

  /** One subscription until its stream ends; why it ended. */
  private async subscribeOnce(onSubscribed: () => void): Promise<string> {
    const abort = (this.stream = new AbortController());
    const call = {
      type: 'SUBSCRIBE',
      executor_id: { value: this.executorId },
      framework_id: { value: this.frameworkId },
      subscribe: { unacknowledged_tasks: [...this.tasks.values()], unacknowledged_updates: [...this.updates.values()].map((status) => ({ status })) },
    };
    try {
      const res = await fetch(this.url(), { method: 'POST', headers: this.headers(), body: encodeMessage('executor.Call', this.media, call), signal: abort.signal });
      if (res.status !== 200 || res.body === null) return `SUBSCRIBE answered ${res.status} ${await res.text()}`;
      const media: MediaType = (res.headers.get('content-type') ?? '').startsWith('application/x-protobuf') ? 'protobuf' : 'json';
      const decoder = new RecordIODecoder(this.maxEventBytes);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const record of decoder.decode(chunk)) {
          const decoded = decodeMessage<Event>('executor.Event', media, record);
          if (!decoded.ok) return `undecodable event: ${decoded.error}`;
          if (decoded.value.type === 'SUBSCRIBED') onSubscribed();
          this.event(decoded.value);
        }
      }
      return 'the stream ended';
    } catch (err) {
      return (err as Error).message;
    }
  }

  private event(e: Event): void {
    switch (e.type) {
      case 'SUBSCRIBED': {
        const s = e['subscribed'] as { executor_info: ExecutorInfo; framework_info: FrameworkInfo; agent_info: AgentInfo };
        this.agentId = s.agent_info.id;
        this.connected = true;
        const again = this.subscribedOnce;
        this.subscribedOnce = true;
        // What waited for the subscription was carried by it: the agent has those updates now.
        if (again) this.callback('reregistered', () => this.executor.reregistered(this, s.agent_info));
        else this.callback('registered', () => this.executor.registered(this, s.executor_info, s.framework_info, s.agent_info));
        return;
      }
      case 'LAUNCH': {
        const task = (e['launch'] as { task: TaskInfo }).task;
        this.tasks.set(task.task_id.value, task);
        return this.callback('launchTask', () => this.executor.launchTask(this, task));
      }
      case 'LAUNCH_GROUP': {
        const group = (e['launch_group'] as { task_group: TaskGroupInfo }).task_group;
        for (const t of group.tasks) this.tasks.set(t.task_id.value, t);
        const launchGroup = this.executor.launchTaskGroup;
        if (launchGroup) return this.callback('launchTaskGroup', () => launchGroup.call(this.executor, this, group));
        for (const t of group.tasks) this.sendStatusUpdate({ task_id: t.task_id, state: 'TASK_FAILED', message: 'This executor does not run task groups (no launchTaskGroup)' });
        return;
      }
      case 'KILL': {
        const k = e['kill'] as { task_id: TaskID; kill_policy?: KillPolicy };
        return this.callback('killTask', () => (k.kill_policy ? this.executor.killTask(this, k.task_id, k.kill_policy) : this.executor.killTask(this, k.task_id)));
      }
      case 'ACKNOWLEDGED': {
        const a = e['acknowledged'] as { task_id: TaskID; uuid: Uint8Array };
        const key = uuidToString(a.uuid);
        const update = this.updates.get(key);
        if (update === undefined) return;
        this.updates.delete(key);
        // The agent has an update of the task: it knows the task reached this executor.
        this.tasks.delete(a.task_id.value);
        const acknowledged = this.executor.acknowledged;
        if (acknowledged) this.callback('acknowledged', () => acknowledged.call(this.executor, this, a.task_id, a.uuid));
        return;
      }
      case 'MESSAGE': {
        const data = (e['message'] as { data: Uint8Array }).data;
        return this.callback('frameworkMessage', () => this.executor.frameworkMessage(this, data));
      }
      case 'SHUTDOWN':
        return this.shutdown('the agent asked');
      case 'ERROR': {
        const message = (e['error'] as { message?: string } | undefined)?.message ?? '';
        return this.callback('error', () => this.executor.error(this, message));
      }
      default:
        // HEARTBEAT, and event types of later Mesos releases.
        return;
    }
  }

  /** shutdown() once; when it has returned (or resolved), the driver stops. */
  private shutdown(_why: string): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.callback('shutdown', () => this.executor.shutdown(this));
    // Updates the shutdown sent go out before the stream closes.
    void this.callbacks.then(() => this.calls).then(() => this.stop());
  }

  private callback(name: string, run: () => unknown): void {
    this.callbacks = this.callbacks.then(async () => {
      if (this.status !== 'DRIVER_RUNNING' && name !== 'error') return;
      try {
        await run();
      } catch (err) {
        this.userError(name, err);
      }
    });
  }

  private userError(callback: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const message = callback === 'sendStatusUpdate' ? `sendStatusUpdate: ${reason}` : `Executor callback ${callback} threw: ${reason}`;
    if (callback === 'error') return;
    void this.abortDriver();
    void Promise.resolve()
      .then(() => this.executor.error(this, message))
      .catch(() => undefined);
  }
}
