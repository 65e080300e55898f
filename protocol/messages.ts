// Every message between scheduler driver (S), master (M), agent (A) and executor driver (E): one
// TypeBox schema each, the TS types derived from them, compiled validators the runtime runs once
// per incoming remote message, and the ids a trace line carries.
//
// A message is `{ name: 'RunTask', ...fields }`. Names are Mesos's without the `Message` suffix
// and with agent for slave; fields are those of Mesos's messages.proto. Where Mesos's v0 driver
// sends a `scheduler.Call` (ACCEPT, DECLINE, SUPPRESS), the call becomes a message of its own.

import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TObject, type TLiteral, type TProperties, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { strictSchema, strip } from './strict.js';
import {
  AgentCapabilitySchema,
  AgentIDSchema,
  AgentInfoSchema,
  BytesSchema,
  CompletedFrameworkSchema,
  ExecutorIDSchema,
  ExecutorInfoSchema,
  FiltersSchema,
  FrameworkIDSchema,
  FrameworkInfoSchema,
  KillPolicySchema,
  MasterAgentConnectionSchema,
  MasterInfoSchema,
  OfferIDSchema,
  OfferOperationSchema,
  OfferSchema,
  ResourceRequestSchema,
  ResourceSchema,
  TaskIDSchema,
  TaskInfoSchema,
  TaskGroupInfoSchema,
  TaskReconciliationSchema,
  TaskSchema,
  TaskStatusSchema,
  TaskStatusUpdateSchema,
} from './types.js';

const Opt = Type.Optional;

function message<const N extends string, P extends TProperties>(name: N, properties: P): TObject<{ name: TLiteral<N> } & P> {
  return Type.Object({ name: Type.Literal(name), ...properties }) as TObject<{ name: TLiteral<N> } & P>;
}

// ---------------------------------------------------------------------------------------------
// Framework registration and lifecycle

/** S→M. RegisterFrameworkMessage (Call SUBSCRIBE without an id). */
export const RegisterFrameworkSchema = message('RegisterFramework', {
  framework: FrameworkInfoSchema,
  suppressed_roles: Opt(Type.Array(Type.String())),
});
export type RegisterFramework = Static<typeof RegisterFrameworkSchema>;

/** S→M. ReregisterFrameworkMessage (Call SUBSCRIBE with an id; `failover` is Call's `force`). */
export const ReregisterFrameworkSchema = message('ReregisterFramework', {
  framework: FrameworkInfoSchema,
  failover: Type.Boolean(),
  suppressed_roles: Opt(Type.Array(Type.String())),
});
export type ReregisterFramework = Static<typeof ReregisterFrameworkSchema>;

/** M→S. FrameworkRegisteredMessage. */
export const FrameworkRegisteredSchema = message('FrameworkRegistered', {
  framework_id: FrameworkIDSchema,
  master_info: MasterInfoSchema,
});
export type FrameworkRegistered = Static<typeof FrameworkRegisteredSchema>;

/** M→S. FrameworkReregisteredMessage. */
export const FrameworkReregisteredSchema = message('FrameworkReregistered', {
  framework_id: FrameworkIDSchema,
  master_info: MasterInfoSchema,
});
export type FrameworkReregistered = Static<typeof FrameworkReregisteredSchema>;

/** M→S. FrameworkErrorMessage: the driver aborts, then calls `error`. */
export const FrameworkErrorSchema = message('FrameworkError', {
  message: Type.String(),
});
export type FrameworkError = Static<typeof FrameworkErrorSchema>;

/** S→M. UnregisterFrameworkMessage (Call TEARDOWN): removes the framework. */
export const UnregisterFrameworkSchema = message('UnregisterFramework', {
  framework_id: FrameworkIDSchema,
});
export type UnregisterFramework = Static<typeof UnregisterFrameworkSchema>;

/** S→M. DeactivateFrameworkMessage, sent on driver abort. */
export const DeactivateFrameworkSchema = message('DeactivateFramework', {
  framework_id: FrameworkIDSchema,
});
export type DeactivateFramework = Static<typeof DeactivateFrameworkSchema>;

/** M→A. UpdateFrameworkMessage: new FrameworkInfo and scheduler pid after a (re)subscribe. */
export const UpdateFrameworkSchema = message('UpdateFramework', {
  framework_id: FrameworkIDSchema,
  pid: Type.String(),
  framework_info: FrameworkInfoSchema,
});
export type UpdateFramework = Static<typeof UpdateFrameworkSchema>;

/** M→A. ShutdownFrameworkMessage: shut down every executor of the framework. */
export const ShutdownFrameworkSchema = message('ShutdownFramework', {
  framework_id: FrameworkIDSchema,
});
export type ShutdownFramework = Static<typeof ShutdownFrameworkSchema>;

// ---------------------------------------------------------------------------------------------
// Offers

/** M→S. ResourceOffersMessage; `pids[i]` is the agent pid for `offers[i]`. */
export const ResourceOffersSchema = message('ResourceOffers', {
  offers: Type.Array(OfferSchema),
  pids: Type.Array(Type.String()),
});
export type ResourceOffers = Static<typeof ResourceOffersSchema>;

/** M→S. RescindResourceOfferMessage. */
export const RescindResourceOfferSchema = message('RescindResourceOffer', {
  offer_id: OfferIDSchema,
});
export type RescindResourceOffer = Static<typeof RescindResourceOfferSchema>;

/** S→M. LaunchTasksMessage: the driver's launchTasks, an ACCEPT with one LAUNCH operation. */
export const LaunchTasksSchema = message('LaunchTasks', {
  framework_id: FrameworkIDSchema,
  tasks: Type.Array(TaskInfoSchema),
  filters: Opt(FiltersSchema),
  offer_ids: Type.Array(OfferIDSchema),
});
export type LaunchTasks = Static<typeof LaunchTasksSchema>;

/** S→M. Call ACCEPT: apply operations to offers; unused resources are declined with `filters`. */
export const AcceptSchema = message('Accept', {
  framework_id: FrameworkIDSchema,
  offer_ids: Type.Array(OfferIDSchema),
  operations: Type.Array(OfferOperationSchema),
  filters: Opt(FiltersSchema),
});
export type Accept = Static<typeof AcceptSchema>;

/** S→M. Call DECLINE. */
export const DeclineSchema = message('Decline', {
  framework_id: FrameworkIDSchema,
  offer_ids: Type.Array(OfferIDSchema),
  filters: Opt(FiltersSchema),
});
export type Decline = Static<typeof DeclineSchema>;

/** S→M. ReviveOffersMessage (Call REVIVE): clear filters, un-suppress `roles` (all if empty). */
export const ReviveOffersSchema = message('ReviveOffers', {
  framework_id: FrameworkIDSchema,
  roles: Opt(Type.Array(Type.String())),
});
export type ReviveOffers = Static<typeof ReviveOffersSchema>;

/** S→M. Call SUPPRESS: stop offers for `roles` (all if empty). */
export const SuppressOffersSchema = message('SuppressOffers', {
  framework_id: FrameworkIDSchema,
  roles: Opt(Type.Array(Type.String())),
});
export type SuppressOffers = Static<typeof SuppressOffersSchema>;

/** S→M. ResourceRequestMessage (Call REQUEST); the allocator ignores it, as Mesos's does. */
export const ResourceRequestMessageSchema = message('ResourceRequest', {
  framework_id: FrameworkIDSchema,
  requests: Type.Array(ResourceRequestSchema),
});
export type ResourceRequestMessage = Static<typeof ResourceRequestMessageSchema>;

// ---------------------------------------------------------------------------------------------
// Tasks

/** M→A, A→E. RunTaskMessage. `pid` is the scheduler's (empty for HTTP frameworks); `launch_executor` only M→A. */
export const RunTaskSchema = message('RunTask', {
  framework: FrameworkInfoSchema,
  task: TaskInfoSchema,
  pid: Type.String(),
  launch_executor: Opt(Type.Boolean()),
});
export type RunTask = Static<typeof RunTaskSchema>;

/**
 * M→A, A→E. RunTaskGroupMessage (and the v1 executor API's LAUNCH_GROUP): tasks that start
 * together on one DEFAULT executor. `pid` and `launch_executor` as in RunTask.
 */
export const RunTaskGroupSchema = message('RunTaskGroup', {
  framework: FrameworkInfoSchema,
  executor: ExecutorInfoSchema,
  task_group: TaskGroupInfoSchema,
  pid: Type.String(),
  launch_executor: Opt(Type.Boolean()),
});
export type RunTaskGroup = Static<typeof RunTaskGroupSchema>;

/** S→M, M→A, A→E. KillTaskMessage (Call KILL). `agent_id` only S→M, `kill_policy` overrides the task's. */
export const KillTaskSchema = message('KillTask', {
  framework_id: FrameworkIDSchema,
  task_id: TaskIDSchema,
  agent_id: Opt(AgentIDSchema),
  kill_policy: Opt(KillPolicySchema),
});
export type KillTask = Static<typeof KillTaskSchema>;

/** E→A, A→M, M→S. StatusUpdateMessage; `pid` is the sender's, '' (or absent) for master-generated updates, which are never acknowledged. */
export const StatusUpdateSchema = message('StatusUpdate', {
  update: TaskStatusUpdateSchema,
  pid: Opt(Type.String()),
});
export type StatusUpdate = Static<typeof StatusUpdateSchema>;

/** S→M, M→A, A→E. StatusUpdateAcknowledgementMessage (Call ACKNOWLEDGE); `uuid` is the update's 16 bytes. */
export const StatusUpdateAcknowledgementSchema = message('StatusUpdateAcknowledgement', {
  agent_id: AgentIDSchema,
  framework_id: FrameworkIDSchema,
  task_id: TaskIDSchema,
  uuid: BytesSchema,
});
export type StatusUpdateAcknowledgement = Static<typeof StatusUpdateAcknowledgementSchema>;

/** S→M. ReconcileTasksMessage (Call RECONCILE); only `task_id` and `agent_id` of each status are read; empty = implicit. */
export const ReconcileTasksSchema = message('ReconcileTasks', {
  framework_id: FrameworkIDSchema,
  statuses: Type.Array(TaskStatusSchema),
});
export type ReconcileTasks = Static<typeof ReconcileTasksSchema>;

// ---------------------------------------------------------------------------------------------
// Framework messages

/** S→A (or S→M→A), A→E. FrameworkToExecutorMessage (Call MESSAGE); best effort. */
export const FrameworkToExecutorSchema = message('FrameworkToExecutor', {
  agent_id: AgentIDSchema,
  framework_id: FrameworkIDSchema,
  executor_id: ExecutorIDSchema,
  data: BytesSchema,
});
export type FrameworkToExecutor = Static<typeof FrameworkToExecutorSchema>;

/** E→A, A→S (or A→M→S). ExecutorToFrameworkMessage; best effort. */
export const ExecutorToFrameworkSchema = message('ExecutorToFramework', {
  agent_id: AgentIDSchema,
  framework_id: FrameworkIDSchema,
  executor_id: ExecutorIDSchema,
  data: BytesSchema,
});
export type ExecutorToFramework = Static<typeof ExecutorToFrameworkSchema>;

// ---------------------------------------------------------------------------------------------
// Agents

/** A→M. RegisterSlaveMessage: `agent` has no id yet; `version` must be at least 1.0.0. */
export const RegisterAgentSchema = message('RegisterAgent', {
  agent: AgentInfoSchema,
  version: Type.String(),
  agent_capabilities: Opt(Type.Array(AgentCapabilitySchema)),
  checkpointed_resources: Opt(Type.Array(ResourceSchema)),
});
export type RegisterAgent = Static<typeof RegisterAgentSchema>;

/** A→M. ReregisterSlaveMessage: everything the agent runs, so a new master can rebuild its view. */
export const ReregisterAgentSchema = message('ReregisterAgent', {
  agent: AgentInfoSchema,
  version: Type.String(),
  agent_capabilities: Opt(Type.Array(AgentCapabilitySchema)),
  checkpointed_resources: Opt(Type.Array(ResourceSchema)),
  /** Custom executors only. */
  executor_infos: Type.Array(ExecutorInfoSchema),
  /** Launched and terminal-but-unacknowledged tasks, pending and queued ones as TASK_STAGING. */
  tasks: Type.Array(TaskSchema),
  frameworks: Type.Array(FrameworkInfoSchema),
  completed_frameworks: Type.Array(CompletedFrameworkSchema),
});
export type ReregisterAgent = Static<typeof ReregisterAgentSchema>;

/** M→A. SlaveRegisteredMessage. */
export const AgentRegisteredSchema = message('AgentRegistered', {
  agent_id: AgentIDSchema,
  connection: Opt(MasterAgentConnectionSchema),
});
export type AgentRegistered = Static<typeof AgentRegisteredSchema>;

/** M→A. SlaveReregisteredMessage; the agent answers each reconciled task it does not know with DROPPED/LOST. */
export const AgentReregisteredSchema = message('AgentReregistered', {
  agent_id: AgentIDSchema,
  reconciliations: Opt(Type.Array(TaskReconciliationSchema)),
  connection: Opt(MasterAgentConnectionSchema),
});
export type AgentReregistered = Static<typeof AgentReregisteredSchema>;

/**
 * M→A. CheckpointResourcesMessage: every dynamic reservation and persistent volume on the agent,
 * sent after each operation that changes them; the agent checkpoints them and creates (or
 * removes) the volumes' directories.
 */
export const CheckpointResourcesSchema = message('CheckpointResources', {
  resources: Type.Array(ResourceSchema),
});
export type CheckpointResources = Static<typeof CheckpointResourcesSchema>;

/** A→M. UnregisterSlaveMessage, on graceful agent exit. */
export const UnregisterAgentSchema = message('UnregisterAgent', {
  agent_id: AgentIDSchema,
});
export type UnregisterAgent = Static<typeof UnregisterAgentSchema>;

/** M→A. PingSlaveMessage; `connected` is whether the master thinks the agent's socket is up. */
export const PingAgentSchema = message('PingAgent', {
  connected: Type.Boolean(),
});
export type PingAgent = Static<typeof PingAgentSchema>;

/** A→M. PongSlaveMessage, sent back to the pinging pid. */
export const PongAgentSchema = message('PongAgent', {});
export type PongAgent = Static<typeof PongAgentSchema>;

/** M→S. LostSlaveMessage: the agent was removed or became unreachable. */
export const LostAgentSchema = message('LostAgent', {
  agent_id: AgentIDSchema,
});
export type LostAgent = Static<typeof LostAgentSchema>;

/** M→A. ShutdownMessage: the agent kills its executors and exits. */
export const ShutdownSchema = message('Shutdown', {
  message: Opt(Type.String()),
});
export type Shutdown = Static<typeof ShutdownSchema>;

// ---------------------------------------------------------------------------------------------
// Executors

/** E→A. RegisterExecutorMessage, sent once after launch. */
export const RegisterExecutorSchema = message('RegisterExecutor', {
  framework_id: FrameworkIDSchema,
  executor_id: ExecutorIDSchema,
});
export type RegisterExecutor = Static<typeof RegisterExecutorSchema>;

/** A→E. ExecutorRegisteredMessage. */
export const ExecutorRegisteredSchema = message('ExecutorRegistered', {
  executor_info: ExecutorInfoSchema,
  framework_id: FrameworkIDSchema,
  framework_info: FrameworkInfoSchema,
  agent_id: AgentIDSchema,
  agent_info: AgentInfoSchema,
});
export type ExecutorRegistered = Static<typeof ExecutorRegisteredSchema>;

/** A→E. ReconnectExecutorMessage, from a restarted agent that recovered the executor. */
export const ReconnectExecutorSchema = message('ReconnectExecutor', {
  agent_id: AgentIDSchema,
});
export type ReconnectExecutor = Static<typeof ReconnectExecutorSchema>;

/** E→A. ReregisterExecutorMessage: the unacknowledged tasks and updates, resent to a restarted agent. */
export const ReregisterExecutorSchema = message('ReregisterExecutor', {
  framework_id: FrameworkIDSchema,
  executor_id: ExecutorIDSchema,
  tasks: Type.Array(TaskInfoSchema),
  updates: Type.Array(TaskStatusUpdateSchema),
});
export type ReregisterExecutor = Static<typeof ReregisterExecutorSchema>;

/** A→E. ExecutorReregisteredMessage. */
export const ExecutorReregisteredSchema = message('ExecutorReregistered', {
  agent_id: AgentIDSchema,
  agent_info: AgentInfoSchema,
});
export type ExecutorReregistered = Static<typeof ExecutorReregisteredSchema>;

/** A→E (empty), M→A (v1 Call SHUTDOWN, with ids). ShutdownExecutorMessage. */
export const ShutdownExecutorSchema = message('ShutdownExecutor', {
  executor_id: Opt(ExecutorIDSchema),
  framework_id: Opt(FrameworkIDSchema),
});
export type ShutdownExecutor = Static<typeof ShutdownExecutorSchema>;

/** A→M, M→S. ExitedExecutorMessage: a custom executor terminated; `status` is its wait status. */
export const ExitedExecutorSchema = message('ExitedExecutor', {
  agent_id: AgentIDSchema,
  framework_id: FrameworkIDSchema,
  executor_id: ExecutorIDSchema,
  status: Type.Integer(),
});
export type ExitedExecutor = Static<typeof ExitedExecutorSchema>;

// --- executor host
// mesos-ts's departure from Mesos for speed: command tasks do not each get a process. Per
// (framework, agent) one long-lived executor host process runs every command executor of the
// framework as an actor; each of those registers with the agent like any executor.

/** H→A. The executor host of a framework announces itself to its agent. */
export const RegisterExecutorHostSchema = message('RegisterExecutorHost', {
  framework_id: FrameworkIDSchema,
});
export type RegisterExecutorHost = Static<typeof RegisterExecutorHostSchema>;

/** A→H. Start a command executor for `executor_info` in `directory`; it registers with the agent itself. */
export const LaunchExecutorSchema = message('LaunchExecutor', {
  framework_id: FrameworkIDSchema,
  agent_id: AgentIDSchema,
  executor_info: ExecutorInfoSchema,
  directory: Type.String(),
  /** The task's container: the cgroup.procs files its process joins, and the user it runs as. */
  container: Opt(
    Type.Object({
      cgroups: Type.Array(Type.String(), { maxItems: 16 }),
      user: Opt(Type.Object({ name: Type.String(), uid: Type.Integer({ minimum: 0 }), gid: Type.Integer({ minimum: 0 }) })),
    }),
  ),
});
export type LaunchExecutor = Static<typeof LaunchExecutorSchema>;

/** A→H. Shut down the host and every command executor it runs. */
export const ShutdownExecutorHostSchema = message('ShutdownExecutorHost', {
  framework_id: FrameworkIDSchema,
});
export type ShutdownExecutorHost = Static<typeof ShutdownExecutorHostSchema>;

// ---------------------------------------------------------------------------------------------
// The whole protocol

/** Every message schema by name; the key always equals the schema's `name` literal. */
export const messageSchemas = {
  RegisterFramework: RegisterFrameworkSchema,
  ReregisterFramework: ReregisterFrameworkSchema,
  FrameworkRegistered: FrameworkRegisteredSchema,
  FrameworkReregistered: FrameworkReregisteredSchema,
  FrameworkError: FrameworkErrorSchema,
  UnregisterFramework: UnregisterFrameworkSchema,
  DeactivateFramework: DeactivateFrameworkSchema,
  UpdateFramework: UpdateFrameworkSchema,
  ShutdownFramework: ShutdownFrameworkSchema,
  ResourceOffers: ResourceOffersSchema,
  RescindResourceOffer: RescindResourceOfferSchema,
  LaunchTasks: LaunchTasksSchema,
  Accept: AcceptSchema,
  Decline: DeclineSchema,
  ReviveOffers: ReviveOffersSchema,
  SuppressOffers: SuppressOffersSchema,
  ResourceRequest: ResourceRequestMessageSchema,
  RunTask: RunTaskSchema,
  RunTaskGroup: RunTaskGroupSchema,
  KillTask: KillTaskSchema,
  StatusUpdate: StatusUpdateSchema,
  StatusUpdateAcknowledgement: StatusUpdateAcknowledgementSchema,
  ReconcileTasks: ReconcileTasksSchema,
  FrameworkToExecutor: FrameworkToExecutorSchema,
  ExecutorToFramework: ExecutorToFrameworkSchema,
  RegisterAgent: RegisterAgentSchema,
  ReregisterAgent: ReregisterAgentSchema,
  AgentRegistered: AgentRegisteredSchema,
  AgentReregistered: AgentReregisteredSchema,
  UnregisterAgent: UnregisterAgentSchema,
  CheckpointResources: CheckpointResourcesSchema,
  PingAgent: PingAgentSchema,
  PongAgent: PongAgentSchema,
  LostAgent: LostAgentSchema,
  Shutdown: ShutdownSchema,
  RegisterExecutor: RegisterExecutorSchema,
  ExecutorRegistered: ExecutorRegisteredSchema,
  ReconnectExecutor: ReconnectExecutorSchema,
  ReregisterExecutor: ReregisterExecutorSchema,
  ExecutorReregistered: ExecutorReregisteredSchema,
  ShutdownExecutor: ShutdownExecutorSchema,
  ExitedExecutor: ExitedExecutorSchema,
  RegisterExecutorHost: RegisterExecutorHostSchema,
  LaunchExecutor: LaunchExecutorSchema,
  ShutdownExecutorHost: ShutdownExecutorHostSchema,
} as const;

type Schemas = typeof messageSchemas;
export type MessageName = keyof Schemas;
/** The union of every message. */
export type ProtocolMessage = { [K in MessageName]: Static<Schemas[K]> }[MessageName];
/** The message type for a name: `MessageOf<'RunTask'>` is `RunTask`. */
export type MessageOf<N extends MessageName> = Static<Schemas[N]>;

export const MESSAGE_NAMES = Object.keys(messageSchemas) as MessageName[];

export function isMessageName(name: string): name is MessageName {
  return Object.prototype.hasOwnProperty.call(messageSchemas, name);
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Checks one body: undefined when valid, else a short description of the first error. */
export type MessageValidator = (body: unknown) => string | undefined;

function describe(error: ValueError): string {
  const path = error.path === '' ? '/' : error.path;
  if (error.value === undefined && error.message.startsWith('Expected required property')) return `${path}: required field is missing`;
  const constant: unknown = (error.schema as { const?: unknown }).const;
  if (constant !== undefined) return `${path}: expected ${show(constant)}, got ${show(error.value)}`;
  const options = literalOptions(error.schema);
  if (options !== undefined) return `${path}: expected one of ${options}, got ${show(error.value)}`;
  return `${path}: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}, got ${show(error.value)}`;
}

function literalOptions(schema: TSchema): string | undefined {
  const anyOf: unknown = (schema as { anyOf?: unknown }).anyOf;
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined;
  const consts: string[] = [];
  for (const s of anyOf) {
    const c: unknown = (s as { const?: unknown }).const;
    if (typeof c !== 'string') return undefined;
    consts.push(c);
  }
  return consts.length > 6 ? `${consts.slice(0, 6).join('|')}|… (${consts.length} values)` : consts.join('|');
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

const HERE = fileURLToPath(import.meta.url);
/** Where the build put the precompiled validators: dist/validators/, beside dist/protocol/ (and the bundles' dist/executor/). */
const PRECOMPILED = HERE.endsWith('.ts') ? undefined : new URL('../validators/', import.meta.url);
let schemasBuiltMs: number | undefined;

/**
 * The strict check of message `name` from the build (scripts/precompile-validators.mjs), when
 * it is at least as new as the compiled schemas; else undefined, and it is compiled here.
 */
function precompiled(name: string): { Check(value: unknown): boolean } | undefined {
  if (PRECOMPILED === undefined) return undefined;
  try {
    schemasBuiltMs ??= statSync(fileURLToPath(new URL('../protocol/messages.js', PRECOMPILED))).mtimeMs;
    const file = fileURLToPath(new URL(`${name}.cjs`, PRECOMPILED));
    if (statSync(file).mtimeMs < schemasBuiltMs) return undefined;
    const check = (createRequire(HERE)(file) as () => (value: unknown) => boolean)();
    return typeof check === 'function' ? { Check: check } : undefined;
  } catch {
    return undefined;
  }
}

function compile(name: string, schema: TSchema): MessageValidator {
  // Compiled on first use, not at module load: a process meets only a few of the message names,
  // and compiling all of them would add a few hundred milliseconds to every process start (an
  // executor host's start is on the path of a framework's first task). From dist/, the strict
  // check was compiled by the build.
  let check: TypeCheck<TSchema> | undefined;
  let exact: { Check(value: unknown): boolean } | undefined;
  return (body) => {
    exact ??= precompiled(name) ?? TypeCompiler.Compile(strictSchema(schema));
    if (exact.Check(body)) return undefined;
    check ??= TypeCompiler.Compile(schema);
    if (check.Check(body)) {
      // Valid, with properties the schema does not name: they go before any handler sees them.
      strip(schema, body);
      return undefined;
    }
    const first = check.Errors(body).First();
    return first === undefined ? 'invalid' : describe(first);
  };
}

/**
 * One compiled validator per message name; the body includes `name`. A valid body is returned
 * with every property its schema does not name removed (in place). Each compiles on its first
 * call: the runtime calls these on every incoming remote message. A null-prototype object, so that a
 * peer sending `name: 'toString'` finds no validator rather than Object's method.
 */
export const messageValidators: Readonly<Record<string, MessageValidator>> = Object.freeze(
  Object.assign(
    Object.create(null) as Record<string, MessageValidator>,
    Object.fromEntries(MESSAGE_NAMES.map((n) => [n, compile(n, messageSchemas[n])])),
  ),
);

/** Validates any body by its `name`: undefined when it is a valid protocol message. */
export function validateMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return `/: expected a message object, got ${show(body)}`;
  const name: unknown = (body as { name?: unknown }).name;
  if (typeof name !== 'string') return '/name: required field is missing';
  const validator = isMessageName(name) ? messageValidators[name] : undefined;
  if (validator === undefined) return `/name: unknown message ${show(name)}`;
  return validator(body);
}

// ---------------------------------------------------------------------------------------------
// Tracing

export interface TraceAttributes {
  framework_id?: string;
  task_id?: string;
  agent_id?: string;
}

type Loose = Record<string, unknown> | undefined;

function obj(v: unknown): Loose {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function idOf(v: unknown): string | undefined {
  const value = obj(v)?.['value'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The framework, task and agent ids a trace line for this message should carry, taken from the
 * top level or the well-known nested places (task.task_id, update.status.task_id, framework.id,
 * a single offer or a single launched task). Cheap and total: never throws, even on malformed
 * bodies, so it can describe dropped messages too.
 */
export function traceAttributes(msg: unknown): TraceAttributes {
  const m = obj(msg);
  const out: TraceAttributes = {};
  if (m === undefined) return out;

  const task = obj(m['task']);
  const update = obj(m['update']);
  const status = obj(update?.['status']);

  let framework = idOf(m['framework_id']) ?? idOf(obj(m['framework'])?.['id']) ?? idOf(update?.['framework_id']);
  let taskId = idOf(m['task_id']) ?? idOf(task?.['task_id']) ?? idOf(status?.['task_id']);
  let agent =
    idOf(m['agent_id']) ??
    idOf(task?.['agent_id']) ??
    idOf(update?.['agent_id']) ??
    idOf(status?.['agent_id']) ??
    idOf(obj(m['agent'])?.['id']);

  if (framework === undefined) framework = idOf(obj(m['framework_info'])?.['id']);

  // ResourceOffers: the framework always, the agent when there is one offer.
  const offers = m['offers'];
  if (Array.isArray(offers) && offers.length > 0) {
    const first = obj(offers[0]);
    framework ??= idOf(first?.['framework_id']);
    if (offers.length === 1) agent ??= idOf(first?.['agent_id']);
  }

  // LaunchTasks / Accept with a single task: its id and agent.
  if (taskId === undefined) {
    let tasks: unknown = m['tasks'];
    if (tasks === undefined && Array.isArray(m['operations']) && m['operations'].length === 1) {
      tasks = obj(obj(m['operations'][0])?.['launch'])?.['task_infos'];
    }
    if (m['name'] !== 'ReregisterAgent' && m['name'] !== 'ReregisterExecutor' && Array.isArray(tasks) && tasks.length === 1) {
      const only = obj(tasks[0]);
      taskId = idOf(only?.['task_id']);
      agent ??= idOf(only?.['agent_id']);
    }
  }

  // ReconcileTasks with a single status.
  if (taskId === undefined && Array.isArray(m['statuses']) && m['statuses'].length === 1) {
    taskId = idOf(obj(m['statuses'][0])?.['task_id']);
  }

  if (framework !== undefined) out.framework_id = framework;
  if (taskId !== undefined) out.task_id = taskId;
  if (agent !== undefined) out.agent_id = agent;
  return out;
}
