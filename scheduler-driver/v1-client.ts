// A client of the v1 scheduler HTTP API (Mesos's src/scheduler/scheduler.cpp, in TypeScript):
// SUBSCRIBE opens the RecordIO event stream; calls go out one at a time, in order, on their own
// connection with the stream's Mesos-Stream-Id. When the stream breaks or falls silent for five
// heartbeat intervals, the client subscribes again (with the framework id it was given) after an
// exponential backoff; a 307 from a master that is not the leader moves it to the leader. Calls
// go over keep-alive connections of the client's own agent: a busy framework makes thousands
// of them a second (acknowledgements), and neither a new TCP connection nor fetch's stream
// machinery per call is something it can afford.

import { Agent, request as httpRequest } from 'node:http';
import {
  contentTypeOf,
  decodeMessage,
  encodeMessage,
  RecordIODecoder,
  type FrameworkInfo,
  type MediaType,
} from '../protocol/index.js';

/** A v1 scheduler Event, in mesos-ts's types (bytes as Uint8Array). */
export type V1Event = { type: string } & Record<string, unknown>;
/** A v1 scheduler Call; `framework_id` is filled in by the client. */
export type V1Call = { type: string } & Record<string, unknown>;

export interface V1SchedulerClientOptions {
  /** The master's `host:port`. */
  master: string;
  /** The media type of calls and events (default JSON). */
  contentType?: MediaType;
  /** Roles subscribed suppressed. */
  suppressedRoles?: string[];
  /** Backoff between subscription attempts: from `minBackoffMs`, doubling, to `maxBackoffMs` (defaults 100 ms, 10 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Heartbeat intervals without any event before the stream is taken for dead (default 5). */
  missedHeartbeats?: number;
  /** HTTP basic credentials, for masters with --authenticate_http_frameworks. */
  principal?: string;
  secret?: string;
  /** Largest event accepted (default 64 MiB). */
  maxEventBytes?: number;
  random?: () => number;
  onEvent: (event: V1Event) => void;
  /** The stream closed or failed; the client subscribes again unless stopped. */
  onDisconnected?: (why: string) => void;
  /** SUBSCRIBE was refused for good (4xx): the client stops. */
  onError?: (message: string) => void;
}

/**
 * Unordered calls (acknowledgements) in flight at once, each on a connection of its own: an
 * agent sends a task's next update only once the last is acknowledged, so this over the round
 * trip of a call bounds how many updates a second the framework can take (an actor driver's
 * acknowledgements are messages on one connection, with no such bound).
 */
const UNORDERED_IN_FLIGHT = 256;

export interface V1CallResult {
  status: number;
  body: string;
}

export class V1SchedulerClient {
  /** Where calls go: the master given, or the leader a 307 pointed at. */
  master: string;
  frameworkId: string | undefined;
  streamId: string | undefined;
  private readonly media: MediaType;
  private info: FrameworkInfo | undefined;
  private stopped = false;
  private abort: AbortController | undefined;
  private calls: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  /** Keep-alive connections for calls: one per call in flight, kept between calls. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: UNORDERED_IN_FLIGHT + 1 });

  constructor(private readonly o: V1SchedulerClientOptions) {
    this.master = o.master;
    this.media = o.contentType ?? 'json';
  }

  get subscribed(): boolean {
    return this.streamId !== undefined;
  }

  /** Starts subscribing (and re-subscribing) with `info`; resolves at once. */
  start(info: FrameworkInfo): void {
    this.info = info;
    if (info.id !== undefined) this.frameworkId = info.id.value;
    this.loop ??= this.subscribeLoop();
  }

  /** Closes the stream and stops reconnecting. Calls already queued still go out. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
    // Idle kept-alive sockets are unref'd by the agent; these go once the queued calls are out.
    void this.calls.finally(() => this.agent.destroy());
  }

  /**
   * Sends a call after every ordered call made before it (the master sees them in order).
   * `ordered: false` is for calls whose order does not matter (acknowledgements, each naming its
   * update): up to UNORDERED_IN_FLIGHT of them go out at once, beside the ordered ones. Resolves
   * with the master's answer; a call without a subscription resolves with status 0.
   */
  call(call: V1Call, o: { ordered?: boolean } = {}): Promise<V1CallResult> {
    const run = async (): Promise<V1CallResult> => {
      if (this.frameworkId === undefined || this.streamId === undefined) return { status: 0, body: 'not subscribed' };
      const body = { ...call, framework_id: { value: this.frameworkId } };
      const res = await this.post(encodeMessage('scheduler.Call', this.media, body), { 'mesos-stream-id': this.streamId });
      if (res.status === 307) this.redirected(res.location ?? null);
      return { status: res.status, body: res.body };
    };
    if (o.ordered === false) return this.unordered(run);
    const next = this.calls.then(run);
    this.calls = next.catch(() => undefined);
    return next;
  }

  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  private async unordered<T>(run: () => Promise<T>): Promise<T> {
    if (this.inFlight >= UNORDERED_IN_FLIGHT) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
    try {
      return await run();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  /** One call on a kept-alive connection; status 0 with the error when there is no answer. */
  private post(payload: Buffer, extra: Record<string, string>): Promise<V1CallResult & { location?: string }> {
    const [host, port] = splitHostPort(this.master);
    return new Promise((resolve) => {
      const req = httpRequest(
        { host, port, method: 'POST', path: '/api/v1/scheduler', agent: this.agent, headers: { ...this.headers(extra), 'content-length': String(payload.byteLength) } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            const location = res.headers['location'];
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), ...(location !== undefined ? { location } : {}) });
          });
          res.on('error', (err) => resolve({ status: 0, body: err.message }));
        },
      );
      req.on('error', (err) => resolve({ status: 0, body: err.message }));
      req.end(payload);
    });
  }

  private url(): string {
    return `http://${this.master}/api/v1/scheduler`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const auth = this.o.principal !== undefined ? { authorization: `Basic ${Buffer.from(`${this.o.principal}:${this.o.secret ?? ''}`).toString('base64')}` } : {};
    return { 'content-type': contentTypeOf(this.media), accept: contentTypeOf(this.media), ...auth, ...extra };
  }

  /** Location is protocol-relative (`//host:port/path`), as Mesos writes it. */
  private redirected(location: string | null): void {
    const m = location === null ? null : /^(?:https?:)?\/\/([^/]+)/.exec(location);
    if (m !== null) this.master = m[1]!;
  }

  private async subscribeLoop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const why = await this.subscribeOnce(() => (attempt = 0));
      this.streamId = undefined;
      if (this.stopped) break;
      if (why === 'redirect') continue;
      this.o.onDisconnected?.(why);
      const min = this.o.minBackoffMs ?? 100;
      const max = this.o.maxBackoffMs ?? 10_000;
      const bound = Math.min(max, min * 2 ** attempt++);
      await new Promise((r) => setTimeout(r, bound / 2 + (this.o.random ?? Math.random)() * (bound / 2)));
    }
  }

  /** One subscription, until its stream ends; why it ended. */
  private async subscribeOnce(onSubscribed: () => void): Promise<string> {
    const abort = (this.abort = new AbortController());
    const info = this.frameworkId !== undefined ? { ...this.info!, id: { value: this.frameworkId } } : this.info!;
    const call = {
      type: 'SUBSCRIBE',
      ...(this.frameworkId !== undefined ? { framework_id: { value: this.frameworkId } } : {}),
      subscribe: { framework_info: info, suppressed_roles: this.o.suppressedRoles ?? [] },
    };
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (ms: number): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => abort.abort(new Error(`no event for ${ms} ms`)), ms);
    };
    try {
      const res = await fetch(this.url(), { method: 'POST', headers: this.headers(), body: encodeMessage('scheduler.Call', this.media, call), redirect: 'manual', signal: abort.signal });
      if (res.status === 307) {
        await res.text();
        this.redirected(res.headers.get('location'));
        return 'redirect';
      }
      if (res.status !== 200 || res.body === null) {
        const text = await res.text();
        if (res.status >= 400 && res.status < 500) {
          this.stopped = true;
          this.o.onError?.(`SUBSCRIBE: ${res.status} ${text}`);
        }
        return `SUBSCRIBE answered ${res.status} ${text}`;
      }
      const streamId = res.headers.get('mesos-stream-id') ?? undefined;
      const decoder = new RecordIODecoder(this.o.maxEventBytes ?? 64 * 1024 * 1024);
      const media: MediaType = (res.headers.get('content-type') ?? '').startsWith('application/x-protobuf') ? 'protobuf' : 'json';
      let heartbeatMs = 15_000;
      arm(heartbeatMs * (this.o.missedHeartbeats ?? 5));
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const record of decoder.decode(chunk)) {
          const decoded = decodeMessage<V1Event>('scheduler.Event', media, record);
          if (!decoded.ok) throw new Error(`undecodable event: ${decoded.error}`);
          const event = decoded.value;
          if (event.type === 'SUBSCRIBED') {
            const s = event['subscribed'] as { framework_id: { value: string }; heartbeat_interval_seconds?: number };
            this.frameworkId = s.framework_id.value;
            this.streamId = streamId;
            heartbeatMs = (s.heartbeat_interval_seconds ?? 15) * 1000;
            onSubscribed();
          }
          arm(heartbeatMs * (this.o.missedHeartbeats ?? 5));
          this.o.onEvent(event);
          if (event.type === 'ERROR') return `ERROR: ${(event['error'] as { message?: string } | undefined)?.message ?? ''}`;
        }
      }
      return 'the master closed the event stream';
    } catch (err) {
      const reason = abort.signal.reason as Error | undefined;
      return reason instanceof Error ? reason.message : (err as Error).message;
    } finally {
      clearTimeout(watchdog);
      abort.abort();
    }
  }
}

/** `host:port` (an IPv6 host in brackets) as its parts. */
function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(address.slice(i + 1))];
}
