// The v1 scheduler HTTP API, `POST /api/v1/scheduler` (Mesos's Master::Http::scheduler and
// docs/scheduler-http-api.md). SUBSCRIBE opens an event stream (scheduler-stream.ts) that becomes
// the framework's connection; every other call is checked at the edge (media type, body,
// framework, Mesos-Stream-Id, schema) and then handled by the same functions as the v0 messages,
// as sent from that connection. Status codes as Mesos's: 200 SUBSCRIBE and UPDATE_FRAMEWORK, 202
// other calls, 400 bad call, 403 not subscribed, 405 not POST, 406/415 media types, 501 UNKNOWN.

import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, Pid } from '../runtime/index.js';
import {
  acceptedMediaType,
  contentTypeOf,
  decodeMessage,
  notAcceptable,
  requestMediaType,
  validateMessage,
  type FrameworkInfo,
  type MasterInbox,
} from '../protocol/index.js';
import type { MasterContext } from './context.js';
import { senderOf } from './framework-connection.js';
import * as frameworks from './frameworks.js';
import * as launching from './launching.js';
import * as offers from './offers.js';
import { HttpSchedulerConnection } from './scheduler-stream.js';
import type { FrameworkRecord } from './state.js';
import * as tasks from './tasks.js';

/** A decoded `mesos.v1.scheduler.Call`: its type and the one field named after it. */
type Call = { type?: string | number; framework_id?: { value: string } } & Record<string, unknown>;
type Sub = Record<string, unknown>;

/** The endpoint. `principal` is what HTTP authentication proved (undefined: none). */
export function schedulerEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined): HttpResponse {
  if (req.method !== 'POST') return text(405, `Expecting 'POST', received '${req.method}'`, { allow: 'POST' });
  const media = requestMediaType(req.headers);
  if (typeof media !== 'string') return text(media.status, media.message);
  const decoded = decodeMessage<Call>('scheduler.Call', media, req.body);
  if (!decoded.ok) return text(400, decoded.error);
  const call = decoded.value;
  if (call.type === undefined) return text(400, "Expecting 'type' to be present");
  if (typeof call.type === 'number') return text(400, `Unknown call type ${call.type}`);
  if (call.type === 'UNKNOWN') return text(501, "Received 'UNKNOWN' call");
  if (call.type === 'SUBSCRIBE') return subscribe(ctx, req, call, principal);

  if (call.framework_id === undefined) return text(400, "Expecting 'framework_id' to be present");
  const fw = ctx.state.frameworks.get(call.framework_id.value);
  if (fw === undefined) return text(400, 'Framework cannot be found');
  if (!fw.connected || fw.conn === undefined) return text(403, 'Framework is not subscribed');
  if (fw.conn.transport !== 'http') return text(403, 'Framework is not connected via HTTP');
  const streamId = req.headers['mesos-stream-id'];
  if (streamId === undefined) return text(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  if (`http:${streamId}` !== fw.conn.id) {
    return text(400, `The stream ID '${streamId}' included in this request didn't match the stream ID currently associated with framework ID ${fw.id}`);
  }
  if (principal !== undefined && principal !== fw.info.principal) return text(403, `Authenticated principal '${principal}' does not match the framework's principal '${fw.info.principal ?? ''}'`);
  const handle = CALLS[call.type];
  if (handle === undefined) return text(501, `Call ${call.type} is not supported`);
  return handle(ctx, fw, call, senderOf(fw.conn));
}

function subscribe(ctx: MasterContext, req: HttpRequest, call: Call, principal: string | undefined): HttpResponse {
  if (req.headers['mesos-stream-id'] !== undefined) return text(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
  const media = acceptedMediaType(req.headers);
  if (media === undefined) return text(notAcceptable().status, notAcceptable().message);
  const sub = call['subscribe'] as Sub | undefined;
  if (sub === undefined) return text(400, "Expecting 'subscribe' to be present");
  const info = sub['framework_info'] as FrameworkInfo | undefined;
  const id = info?.id?.value;
  if ((call.framework_id?.value ?? id) !== id) return text(400, "'framework_id' differs from 'subscribe.framework_info.id'");
  const suppressed = (sub['suppressed_roles'] as string[] | undefined) ?? [];
  const msg = id === undefined
    ? { name: 'RegisterFramework' as const, framework: info!, suppressed_roles: suppressed }
    : { name: 'ReregisterFramework' as const, framework: info!, failover: true, suppressed_roles: suppressed };
  const problem = validateMessage(msg);
  if (problem !== undefined) return text(400, `Invalid SUBSCRIBE call: ${problem.replace('/framework', '/subscribe/framework_info')}`);

  const streamId = randomUUID();
  const conn = new HttpSchedulerConnection(ctx, streamId, media, principal);
  // A refusal arrives on the stream as its first and only event, ERROR, as in Mesos.
  if (msg.name === 'RegisterFramework') frameworks.subscribe(ctx, msg, conn);
  else frameworks.resubscribe(ctx, msg, conn);
  return {
    status: 200,
    headers: { 'content-type': contentTypeOf(media), 'mesos-stream-id': streamId, 'cache-control': 'no-cache' },
    stream: conn.stream,
  };
}

type CallHandler = (ctx: MasterContext, fw: FrameworkRecord, call: Call, from: Pid) => HttpResponse;

/**
 * Each call as the message the master already handles. The message is validated against the
 * protocol schema before it reaches a handler, exactly as if it had come over the wire.
 */
const CALLS: Readonly<Record<string, CallHandler>> = {
  TEARDOWN: (ctx, fw, _c, from) => dispatch({ name: 'UnregisterFramework', framework_id: { value: fw.id } }, (m) => frameworks.unregisterFramework(ctx, m, from)),
  ACCEPT: (ctx, fw, c, from) =>
    withSub(c, 'accept', (s) => dispatch({ name: 'Accept', framework_id: { value: fw.id }, offer_ids: s['offer_ids'] ?? [], operations: s['operations'] ?? [], ...opt(s, 'filters') }, (m) => launching.accept(ctx, m, from))),
  DECLINE: (ctx, fw, c, from) =>
    withSub(c, 'decline', (s) => dispatch({ name: 'Decline', framework_id: { value: fw.id }, offer_ids: s['offer_ids'] ?? [], ...opt(s, 'filters') }, (m) => offers.decline(ctx, m, from))),
  REVIVE: (ctx, fw, c, from) => dispatch({ name: 'ReviveOffers', framework_id: { value: fw.id }, roles: sub(c, 'revive')['roles'] ?? [] }, (m) => offers.reviveOffers(ctx, m, from)),
  SUPPRESS: (ctx, fw, c, from) => dispatch({ name: 'SuppressOffers', framework_id: { value: fw.id }, roles: sub(c, 'suppress')['roles'] ?? [] }, (m) => offers.suppressOffers(ctx, m, from)),
  KILL: (ctx, fw, c, from) =>
    withSub(c, 'kill', (s) => dispatch({ name: 'KillTask', framework_id: { value: fw.id }, task_id: s['task_id'], ...opt(s, 'agent_id'), ...opt(s, 'kill_policy') }, (m) => tasks.killTask(ctx, m, from))),
  SHUTDOWN: (ctx, fw, c) => withSub(c, 'shutdown', (s) => shutdownExecutor(ctx, fw, s)),
  ACKNOWLEDGE: (ctx, fw, c, from) =>
    withSub(c, 'acknowledge', (s) => {
      const uuid = s['uuid'] as Uint8Array | undefined;
      if (uuid === undefined || uuid.length !== 16) return text(400, `Invalid 'acknowledge.uuid': expected the 16 bytes of a UUID, got ${uuid?.length ?? 0}`);
      return dispatch({ name: 'StatusUpdateAcknowledgement', framework_id: { value: fw.id }, agent_id: s['agent_id'], task_id: s['task_id'], uuid }, (m) => tasks.statusUpdateAcknowledgement(ctx, m, from));
    }),
  RECONCILE: (ctx, fw, c, from) => {
    const list = (sub(c, 'reconcile')['tasks'] as Sub[] | undefined) ?? [];
    const statuses = list.map((t) => ({ task_id: t['task_id'], state: 'TASK_STAGING', ...opt(t, 'agent_id') }));
    return dispatch({ name: 'ReconcileTasks', framework_id: { value: fw.id }, statuses }, (m) => tasks.reconcileTasks(ctx, m, from));
  },
  MESSAGE: (ctx, fw, c, from) =>
    withSub(c, 'message', (s) => dispatch({ name: 'FrameworkToExecutor', framework_id: { value: fw.id }, agent_id: s['agent_id'], executor_id: s['executor_id'], data: s['data'] ?? new Uint8Array() }, (m) => tasks.frameworkToExecutor(ctx, m, from))),
  REQUEST: (ctx, fw, c, from) => withSub(c, 'request', (s) => dispatch({ name: 'ResourceRequest', framework_id: { value: fw.id }, requests: s['requests'] ?? [] }, (m) => offers.resourceRequest(ctx, m, from))),
  UPDATE_FRAMEWORK: (ctx, fw, c) =>
    withSub(c, 'update_framework', (s) => {
      const info = s['framework_info'];
      const problem = validateMessage({ name: 'RegisterFramework', framework: info });
      if (problem !== undefined) return text(400, `Invalid UPDATE_FRAMEWORK call: ${problem.replace('/framework', '/update_framework/framework_info')}`);
      const error = frameworks.updateFramework(ctx, fw, info as FrameworkInfo, (s['suppressed_roles'] as string[] | undefined) ?? []);
      return error === undefined ? { status: 200, body: '' } : text(400, error);
    }),
  // Inverse offers come with maintenance, which mesos-ts does not have yet: none is ever outstanding.
  ACCEPT_INVERSE_OFFERS: () => accepted(),
  DECLINE_INVERSE_OFFERS: () => accepted(),
};

/** Validates `msg` as the protocol message it names, then hands it to `handle`: 202, or 400 with the schema's complaint. */
function dispatch<N extends MasterInbox['name']>(msg: { name: N } & Record<string, unknown>, handle: (m: Extract<MasterInbox, { name: N }>) => void): HttpResponse {
  const problem = validateMessage(msg);
  if (problem !== undefined) return text(400, `Invalid call: ${problem}`);
  handle(msg as unknown as Extract<MasterInbox, { name: N }>);
  return accepted();
}

function shutdownExecutor(ctx: MasterContext, fw: FrameworkRecord, s: Sub): HttpResponse {
  const agentId = (s['agent_id'] as { value?: string } | undefined)?.value;
  const executorId = (s['executor_id'] as { value?: string } | undefined)?.value;
  if (agentId === undefined || executorId === undefined) return text(400, "Expecting 'shutdown.agent_id' and 'shutdown.executor_id' to be present");
  const agent = ctx.state.agents.get(agentId);
  if (agent !== undefined && agent.connected) ctx.send(agent.pid, { name: 'ShutdownExecutor', framework_id: { value: fw.id }, executor_id: { value: executorId } });
  else ctx.log.warn({ framework: fw.id, agent: agentId }, 'SHUTDOWN of an executor on an agent that is not connected');
  return accepted();
}

function withSub(call: Call, field: string, then: (s: Sub) => HttpResponse): HttpResponse {
  const s = call[field] as Sub | undefined;
  return s === undefined ? text(400, `Expecting '${field}' to be present`) : then(s);
}

function sub(call: Call, field: string): Sub {
  return (call[field] as Sub | undefined) ?? {};
}

function opt(s: Sub, key: string): Sub {
  return s[key] !== undefined ? { [key]: s[key] } : {};
}

function accepted(): HttpResponse {
  return { status: 202, body: '' };
}

function text(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: message };
}
