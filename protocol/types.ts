// The data types every message is made of, as TypeBox schemas with their TS types derived from
// them. They mirror Mesos's v1 JSON: snake_case fields, `{value}` ids, enum names as strings,
// mem/disk in MB, "agent" wherever the v0 protobufs say "slave".
//
// Conventions (the rest of the project relies on them):
// - A field Mesos declares `required` is required here. `optional` fields are optional.
// - `repeated` fields are optional (v1 JSON omits empty lists) in types that users write
//   (FrameworkInfo, TaskInfo, ExecutorInfo, CommandInfo, TaskStatus...). In records only mesos-ts
//   components produce and always fill (Offer, Task, AgentInfo) they are required, so handlers
//   need no `?? []`.
// - Unknown properties are accepted and ignored, as protobuf parsing ignores unknown fields.
//   Unknown enum values are rejected: every sender is mesos-ts itself, so a stranger is a bug.
// - `bytes` fields (`data`, `uuid`) are Uint8Array: MessagePack carries binary natively (msgpackr
//   decodes it as a Buffer, which is a Uint8Array). JSON surfaces (HTTP API, /state, checkpoint
//   files written as JSON) encode them as base64, as Mesos does: see bytesToBase64/bytesFromBase64.
// - int64 values (TimeInfo/DurationInfo nanoseconds, range bounds) are JS numbers: nanoseconds
//   since the epoch exceed 2^53, so they lose precision below ~1 µs, which nothing here needs.

import { Type, type Static } from '@sinclair/typebox';
import { literalUnion, TaskStateSchema, TaskStatusReasonSchema, TaskStatusSourceSchema } from './task-states.js';

const Opt = Type.Optional;

// Numbers the cluster adds up and compares: finite (TypeBox refuses NaN and Infinity) and far
// from where sums overflow, so a peer's 1e308 cannot turn totals into Infinity or NaN.
/** Resource scalars: Mesos keeps them as int64 thousandths, so ±9.2e15 at most. */
export const SCALAR_MAX = 1e15;
/** Seconds in a duration or a timestamp: some 3,000 years. */
export const SECONDS_MAX = 1e11;
/** Nanoseconds, an int64 in Mesos. */
export const NANOS_MAX = 9.2e18;
const Bounded = (max: number) => Type.Number({ minimum: -max, maximum: max });
const Seconds = () => Bounded(SECONDS_MAX);

// ---------------------------------------------------------------------------------------------
// Identifiers and small values

export const FrameworkIDSchema = Type.Object({ value: Type.String() });
export type FrameworkID = Static<typeof FrameworkIDSchema>;
export const AgentIDSchema = Type.Object({ value: Type.String() });
export type AgentID = Static<typeof AgentIDSchema>;
export const OfferIDSchema = Type.Object({ value: Type.String() });
export type OfferID = Static<typeof OfferIDSchema>;
export const TaskIDSchema = Type.Object({ value: Type.String() });
export type TaskID = Static<typeof TaskIDSchema>;
export const ExecutorIDSchema = Type.Object({ value: Type.String() });
export type ExecutorID = Static<typeof ExecutorIDSchema>;
export const ContainerIDSchema = Type.Object({ value: Type.String() });
export type ContainerID = Static<typeof ContainerIDSchema>;
export const OperationIDSchema = Type.Object({ value: Type.String() });
export type OperationID = Static<typeof OperationIDSchema>;

/** Raw bytes (`bytes` in protobuf). */
export const BytesSchema = Type.Uint8Array();

/** A point in time, nanoseconds since the epoch. */
export const TimeInfoSchema = Type.Object({ nanoseconds: Bounded(NANOS_MAX) });
export type TimeInfo = Static<typeof TimeInfoSchema>;
/** A duration in nanoseconds. */
export const DurationInfoSchema = Type.Object({ nanoseconds: Bounded(NANOS_MAX) });
export type DurationInfo = Static<typeof DurationInfoSchema>;

export const LabelSchema = Type.Object({ key: Type.String(), value: Opt(Type.String()) });
export type Label = Static<typeof LabelSchema>;
export const LabelsSchema = Type.Object({ labels: Type.Array(LabelSchema) });
export type Labels = Static<typeof LabelsSchema>;

export const ParameterSchema = Type.Object({ key: Type.String(), value: Type.String() });
export type Parameter = Static<typeof ParameterSchema>;

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

export const AddressSchema = Type.Object({
  hostname: Opt(Type.String()),
  ip: Opt(Type.String()),
  port: Port,
});
export type Address = Static<typeof AddressSchema>;

export const URLSchema = Type.Object({
  scheme: Type.String(),
  address: AddressSchema,
  path: Opt(Type.String()),
  query: Opt(Type.Array(ParameterSchema)),
  fragment: Opt(Type.String()),
});
export type URL = Static<typeof URLSchema>;

export const DomainInfoSchema = Type.Object({
  fault_domain: Opt(
    Type.Object({
      region: Type.Object({ name: Type.String() }),
      zone: Type.Object({ name: Type.String() }),
    }),
  ),
});
export type DomainInfo = Static<typeof DomainInfoSchema>;

// ---------------------------------------------------------------------------------------------
// Values, resources, attributes

export const ValueScalarSchema = Type.Object({ value: Bounded(SCALAR_MAX) });
export type ValueScalar = Static<typeof ValueScalarSchema>;
const RangeBound = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const ValueRangeSchema = Type.Object({ begin: RangeBound, end: RangeBound });
export type ValueRange = Static<typeof ValueRangeSchema>;
export const ValueRangesSchema = Type.Object({ range: Type.Array(ValueRangeSchema) });
export type ValueRanges = Static<typeof ValueRangesSchema>;
export const ValueSetSchema = Type.Object({ item: Type.Array(Type.String()) });
export type ValueSet = Static<typeof ValueSetSchema>;
export const ValueTextSchema = Type.Object({ value: Type.String() });
export type ValueText = Static<typeof ValueTextSchema>;

export const AllocationInfoSchema = Type.Object({ role: Opt(Type.String()) });
export type AllocationInfo = Static<typeof AllocationInfoSchema>;

export const ReservationInfoSchema = Type.Object({
  type: Opt(literalUnion(['UNKNOWN', 'STATIC', 'DYNAMIC'] as const)),
  role: Opt(Type.String()),
  principal: Opt(Type.String()),
  labels: Opt(LabelsSchema),
});
export type ReservationInfo = Static<typeof ReservationInfoSchema>;

export const VolumeSchema = Type.Object({
  container_path: Type.String(),
  host_path: Opt(Type.String()),
  mode: Opt(literalUnion(['RW', 'RO'] as const)),
});
export type Volume = Static<typeof VolumeSchema>;

export const DiskInfoSchema = Type.Object({
  persistence: Opt(Type.Object({ id: Type.String(), principal: Opt(Type.String()) })),
  volume: Opt(VolumeSchema),
  source: Opt(
    Type.Object({
      type: literalUnion(['UNKNOWN', 'PATH', 'MOUNT', 'BLOCK', 'RAW'] as const),
      path: Opt(Type.Object({ root: Opt(Type.String()) })),
      mount: Opt(Type.Object({ root: Opt(Type.String()) })),
    }),
  ),
});
export type DiskInfo = Static<typeof DiskInfoSchema>;

/** A v1 `Resource`. `role` and `reservation` are the pre-refinement format, `reservations` the current one. */
export const ResourceSchema = Type.Object({
  name: Type.String(),
  type: literalUnion(['SCALAR', 'RANGES', 'SET'] as const),
  scalar: Opt(ValueScalarSchema),
  ranges: Opt(ValueRangesSchema),
  set: Opt(ValueSetSchema),
  role: Opt(Type.String()),
  allocation_info: Opt(AllocationInfoSchema),
  reservation: Opt(ReservationInfoSchema),
  reservations: Opt(Type.Array(ReservationInfoSchema)),
  disk: Opt(DiskInfoSchema),
  revocable: Opt(Type.Object({})),
  shared: Opt(Type.Object({})),
});
export type Resource = Static<typeof ResourceSchema>;

export const AttributeSchema = Type.Object({
  name: Type.String(),
  type: literalUnion(['SCALAR', 'RANGES', 'SET', 'TEXT'] as const),
  scalar: Opt(ValueScalarSchema),
  ranges: Opt(ValueRangesSchema),
  set: Opt(ValueSetSchema),
  text: Opt(ValueTextSchema),
});
export type Attribute = Static<typeof AttributeSchema>;

// ---------------------------------------------------------------------------------------------
// Masters, agents, frameworks

export const MASTER_CAPABILITIES = ['UNKNOWN', 'AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'] as const;
export const MasterInfoSchema = Type.Object({
  id: Type.String(),
  /** IPv4 as a uint32 in network byte order (127.0.0.1 is 16777343), as Mesos has it. */
  ip: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
  port: Port,
  pid: Opt(Type.String()),
  hostname: Opt(Type.String()),
  version: Opt(Type.String()),
  address: Opt(AddressSchema),
  domain: Opt(DomainInfoSchema),
  capabilities: Opt(Type.Array(Type.Object({ type: Opt(literalUnion(MASTER_CAPABILITIES)) }))),
});
export type MasterInfo = Static<typeof MasterInfoSchema>;

/** Mesos's SlaveInfo. `id` is absent on first registration. */
export const AgentInfoSchema = Type.Object({
  hostname: Type.String(),
  port: Opt(Port),
  resources: Type.Array(ResourceSchema),
  attributes: Type.Array(AttributeSchema),
  id: Opt(AgentIDSchema),
  domain: Opt(DomainInfoSchema),
  checkpoint: Opt(Type.Boolean()),
});
export type AgentInfo = Static<typeof AgentInfoSchema>;

export const AGENT_CAPABILITIES = [
  'UNKNOWN',
  'MULTI_ROLE',
  'HIERARCHICAL_ROLE',
  'RESERVATION_REFINEMENT',
  'RESOURCE_PROVIDER',
  'RESIZE_VOLUME',
  'AGENT_OPERATION_FEEDBACK',
  'AGENT_DRAINING',
  'TASK_RESOURCE_LIMITS',
] as const;
export const AgentCapabilitySchema = Type.Object({ type: Opt(literalUnion(AGENT_CAPABILITIES)) });
export type AgentCapability = Static<typeof AgentCapabilitySchema>;
export type AgentCapabilityType = (typeof AGENT_CAPABILITIES)[number];

export const FRAMEWORK_CAPABILITIES = [
  'UNKNOWN',
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const;
export type FrameworkCapabilityType = (typeof FRAMEWORK_CAPABILITIES)[number];
export const FrameworkCapabilitySchema = Type.Object({ type: Opt(literalUnion(FRAMEWORK_CAPABILITIES)) });
export type FrameworkCapability = Static<typeof FrameworkCapabilitySchema>;

/**
 * Mesos defaults applied by readers, not by validation: failover_timeout 0, checkpoint false,
 * role '*' (see `frameworkRoles`).
 */
export const FrameworkInfoSchema = Type.Object({
  user: Type.String(),
  name: Type.String(),
  id: Opt(FrameworkIDSchema),
  /** Seconds. */
  failover_timeout: Opt(Seconds()),
  checkpoint: Opt(Type.Boolean()),
  /** Deprecated single role; `roles` needs the MULTI_ROLE capability. */
  role: Opt(Type.String()),
  roles: Opt(Type.Array(Type.String())),
  hostname: Opt(Type.String()),
  principal: Opt(Type.String()),
  webui_url: Opt(Type.String()),
  capabilities: Opt(Type.Array(FrameworkCapabilitySchema)),
  labels: Opt(LabelsSchema),
});
export type FrameworkInfo = Static<typeof FrameworkInfoSchema>;

export function hasCapability(info: FrameworkInfo, type: FrameworkCapabilityType): boolean {
  return info.capabilities?.some((c) => c.type === type) ?? false;
}

/** The roles a framework subscribes with: `roles` under MULTI_ROLE, else `[role ?? '*']`. */
export function frameworkRoles(info: FrameworkInfo): string[] {
  return hasCapability(info, 'MULTI_ROLE') ? [...(info.roles ?? [])] : [info.role ?? '*'];
}

// ---------------------------------------------------------------------------------------------
// Commands, executors, tasks

export const CommandURISchema = Type.Object({
  value: Type.String(),
  executable: Opt(Type.Boolean()),
  extract: Opt(Type.Boolean()),
  cache: Opt(Type.Boolean()),
  output_file: Opt(Type.String()),
});
export type CommandURI = Static<typeof CommandURISchema>;

export const EnvironmentVariableSchema = Type.Object({
  name: Type.String(),
  type: Opt(literalUnion(['UNKNOWN', 'VALUE', 'SECRET'] as const)),
  value: Opt(Type.String()),
});
export type EnvironmentVariable = Static<typeof EnvironmentVariableSchema>;
export const EnvironmentSchema = Type.Object({ variables: Type.Array(EnvironmentVariableSchema) });
export type Environment = Static<typeof EnvironmentSchema>;

/** `shell` defaults to true (`sh -c value`); with false, `value` is the executable and `arguments` its argv. */
export const CommandInfoSchema = Type.Object({
  uris: Opt(Type.Array(CommandURISchema)),
  environment: Opt(EnvironmentSchema),
  shell: Opt(Type.Boolean()),
  value: Opt(Type.String()),
  arguments: Opt(Type.Array(Type.String())),
  user: Opt(Type.String()),
});
export type CommandInfo = Static<typeof CommandInfoSchema>;

/** Only the fields mesos-ts looks at; image, network and the rest pass through unvalidated. */
export const ContainerInfoSchema = Type.Object({
  type: literalUnion(['DOCKER', 'MESOS'] as const),
  volumes: Opt(Type.Array(VolumeSchema)),
  hostname: Opt(Type.String()),
  /** Kept so that the agent can refuse what it cannot run (no Docker, no image provisioner). */
  docker: Opt(Type.Object({ image: Opt(Type.String()) })),
  mesos: Opt(Type.Object({ image: Opt(Type.Object({ type: Opt(Type.String()), docker: Opt(Type.Object({ name: Type.String() })), appc: Opt(Type.Object({ name: Type.String() })) })) })),
});
export type ContainerInfo = Static<typeof ContainerInfoSchema>;

export const ExecutorInfoSchema = Type.Object({
  type: Opt(literalUnion(['UNKNOWN', 'DEFAULT', 'CUSTOM'] as const)),
  executor_id: ExecutorIDSchema,
  framework_id: Opt(FrameworkIDSchema),
  command: Opt(CommandInfoSchema),
  container: Opt(ContainerInfoSchema),
  resources: Opt(Type.Array(ResourceSchema)),
  name: Opt(Type.String()),
  source: Opt(Type.String()),
  data: Opt(BytesSchema),
  shutdown_grace_period: Opt(DurationInfoSchema),
  labels: Opt(LabelsSchema),
});
export type ExecutorInfo = Static<typeof ExecutorInfoSchema>;

const CheckType = literalUnion(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP'] as const);

/** Defaults: delay 15 s, interval 10 s, timeout 20 s, 3 consecutive failures, grace 10 s. */
export const HealthCheckSchema = Type.Object({
  type: Opt(CheckType),
  delay_seconds: Opt(Seconds()),
  interval_seconds: Opt(Seconds()),
  timeout_seconds: Opt(Seconds()),
  consecutive_failures: Opt(Type.Integer({ minimum: 0 })),
  grace_period_seconds: Opt(Seconds()),
  command: Opt(CommandInfoSchema),
  http: Opt(
    Type.Object({
      scheme: Opt(Type.String()),
      port: Port,
      path: Opt(Type.String()),
      statuses: Opt(Type.Array(Type.Integer())),
    }),
  ),
  tcp: Opt(Type.Object({ port: Port })),
});
export type HealthCheck = Static<typeof HealthCheckSchema>;

export const CheckInfoSchema = Type.Object({
  type: Opt(CheckType),
  command: Opt(Type.Object({ command: CommandInfoSchema })),
  http: Opt(Type.Object({ port: Port, path: Opt(Type.String()) })),
  tcp: Opt(Type.Object({ port: Port })),
  delay_seconds: Opt(Seconds()),
  interval_seconds: Opt(Seconds()),
  timeout_seconds: Opt(Seconds()),
});
export type CheckInfo = Static<typeof CheckInfoSchema>;

export const KillPolicySchema = Type.Object({ grace_period: Opt(DurationInfoSchema) });
export type KillPolicy = Static<typeof KillPolicySchema>;

/** Mesos's DiscoveryInfo: how service discovery tools find a task; kept and shown, never acted on. */
export const DiscoveryInfoSchema = Type.Object({
  visibility: literalUnion(['FRAMEWORK', 'CLUSTER', 'EXTERNAL'] as const),
  name: Opt(Type.String({ maxLength: 1024 })),
  environment: Opt(Type.String({ maxLength: 1024 })),
  location: Opt(Type.String({ maxLength: 1024 })),
  version: Opt(Type.String({ maxLength: 1024 })),
  ports: Opt(
    Type.Object({
      ports: Type.Array(
        Type.Object({
          number: Port,
          name: Opt(Type.String({ maxLength: 1024 })),
          protocol: Opt(Type.String({ maxLength: 64 })),
          visibility: Opt(literalUnion(['FRAMEWORK', 'CLUSTER', 'EXTERNAL'] as const)),
          labels: Opt(LabelsSchema),
        }),
        { maxItems: 1024 },
      ),
    }),
  ),
  labels: Opt(LabelsSchema),
});
export type DiscoveryInfo = Static<typeof DiscoveryInfoSchema>;

/** Exactly one of `command` and `executor` must be set (checked by validation.ts, not here). */
export const TaskInfoSchema = Type.Object({
  name: Type.String(),
  task_id: TaskIDSchema,
  agent_id: AgentIDSchema,
  resources: Opt(Type.Array(ResourceSchema)),
  executor: Opt(ExecutorInfoSchema),
  command: Opt(CommandInfoSchema),
  container: Opt(ContainerInfoSchema),
  health_check: Opt(HealthCheckSchema),
  check: Opt(CheckInfoSchema),
  kill_policy: Opt(KillPolicySchema),
  discovery: Opt(DiscoveryInfoSchema),
  data: Opt(BytesSchema),
  labels: Opt(LabelsSchema),
  max_completion_time: Opt(DurationInfoSchema),
  /** Resource limits above the request, by resource name (only cpus and mem are allowed). */
  limits: Opt(Type.Record(Type.String(), ValueScalarSchema)),
});
export type TaskInfo = Static<typeof TaskInfoSchema>;

export const TaskGroupInfoSchema = Type.Object({ tasks: Type.Array(TaskInfoSchema) });
export type TaskGroupInfo = Static<typeof TaskGroupInfoSchema>;

// ---------------------------------------------------------------------------------------------
// Statuses and tasks

export const ContainerStatusSchema = Type.Object({
  container_id: Opt(ContainerIDSchema),
  network_infos: Opt(
    Type.Array(
      Type.Object({
        name: Opt(Type.String()),
        ip_addresses: Opt(Type.Array(Type.Object({ ip_address: Opt(Type.String()) }))),
      }),
    ),
  ),
  executor_pid: Opt(Type.Integer()),
});
export type ContainerStatus = Static<typeof ContainerStatusSchema>;

export const CheckStatusInfoSchema = Type.Object({
  type: Opt(CheckType),
  command: Opt(Type.Object({ exit_code: Opt(Type.Integer()) })),
  http: Opt(Type.Object({ status_code: Opt(Type.Integer()) })),
  tcp: Opt(Type.Object({ succeeded: Opt(Type.Boolean()) })),
});
export type CheckStatusInfo = Static<typeof CheckStatusInfoSchema>;

export const TaskStatusSchema = Type.Object({
  task_id: TaskIDSchema,
  state: TaskStateSchema,
  message: Opt(Type.String()),
  source: Opt(TaskStatusSourceSchema),
  reason: Opt(TaskStatusReasonSchema),
  data: Opt(BytesSchema),
  agent_id: Opt(AgentIDSchema),
  executor_id: Opt(ExecutorIDSchema),
  /** Seconds since the epoch. */
  timestamp: Opt(Seconds()),
  /** 16 raw bytes; present only when the update is delivered reliably and must be acknowledged. */
  uuid: Opt(BytesSchema),
  healthy: Opt(Type.Boolean()),
  check_status: Opt(CheckStatusInfoSchema),
  labels: Opt(LabelsSchema),
  container_status: Opt(ContainerStatusSchema),
  unreachable_time: Opt(TimeInfoSchema),
  limitation: Opt(Type.Object({ resources: Opt(Type.Array(ResourceSchema)) })),
});
export type TaskStatus = Static<typeof TaskStatusSchema>;

/**
 * Mesos's internal `StatusUpdate`: a TaskStatus with its routing, as the agent's status-update
 * manager keeps and retries it. `latest_state` is the task's newest state, which may be ahead of
 * `status.state` while older updates wait for acknowledgement.
 */
export const TaskStatusUpdateSchema = Type.Object({
  framework_id: FrameworkIDSchema,
  executor_id: Opt(ExecutorIDSchema),
  agent_id: Opt(AgentIDSchema),
  status: TaskStatusSchema,
  /** Seconds since the epoch. */
  timestamp: Seconds(),
  uuid: Opt(BytesSchema),
  latest_state: Opt(TaskStateSchema),
});
export type TaskStatusUpdate = Static<typeof TaskStatusUpdateSchema>;

/** A task as the master and agent track it: TaskInfo's launch fields plus its state and statuses. */
export const TaskSchema = Type.Object({
  name: Type.String(),
  task_id: TaskIDSchema,
  framework_id: FrameworkIDSchema,
  executor_id: Opt(ExecutorIDSchema),
  agent_id: AgentIDSchema,
  state: TaskStateSchema,
  resources: Type.Array(ResourceSchema),
  statuses: Type.Array(TaskStatusSchema),
  status_update_state: Opt(TaskStateSchema),
  status_update_uuid: Opt(BytesSchema),
  labels: Opt(LabelsSchema),
  discovery: Opt(DiscoveryInfoSchema),
  container: Opt(ContainerInfoSchema),
  health_check: Opt(HealthCheckSchema),
  kill_policy: Opt(KillPolicySchema),
  user: Opt(Type.String()),
  limits: Opt(Type.Record(Type.String(), ValueScalarSchema)),
});
export type Task = Static<typeof TaskSchema>;

// ---------------------------------------------------------------------------------------------
// Offers and operations

/** `refuse_seconds` defaults to 5; negative means the default, 0 means no filter. */
export const FiltersSchema = Type.Object({ refuse_seconds: Opt(Seconds()) });
export type Filters = Static<typeof FiltersSchema>;

export const OfferSchema = Type.Object({
  id: OfferIDSchema,
  framework_id: FrameworkIDSchema,
  agent_id: AgentIDSchema,
  hostname: Type.String(),
  /** The agent's HTTP address: `http://<ip>:<port>/<agent actor id>`. */
  url: Opt(URLSchema),
  resources: Type.Array(ResourceSchema),
  attributes: Type.Array(AttributeSchema),
  /** This framework's executors running on the agent. */
  executor_ids: Type.Array(ExecutorIDSchema),
  /** Stripped for frameworks without MULTI_ROLE. */
  allocation_info: Opt(AllocationInfoSchema),
  domain: Opt(DomainInfoSchema),
});
export type Offer = Static<typeof OfferSchema>;

export const OFFER_OPERATION_TYPES = [
  'UNKNOWN',
  'LAUNCH',
  'LAUNCH_GROUP',
  'RESERVE',
  'UNRESERVE',
  'CREATE',
  'DESTROY',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'CREATE_DISK',
  'DESTROY_DISK',
] as const;
export type OfferOperationType = (typeof OFFER_OPERATION_TYPES)[number];

/** Mesos's `Offer.Operation`: one field named after the type carries its arguments. */
export const OfferOperationSchema = Type.Object({
  type: literalUnion(OFFER_OPERATION_TYPES),
  /** Operation feedback id; must not be set on LAUNCH and LAUNCH_GROUP. */
  id: Opt(OperationIDSchema),
  launch: Opt(Type.Object({ task_infos: Type.Array(TaskInfoSchema) })),
  launch_group: Opt(Type.Object({ executor: ExecutorInfoSchema, task_group: TaskGroupInfoSchema })),
  reserve: Opt(Type.Object({ resources: Type.Array(ResourceSchema) })),
  unreserve: Opt(Type.Object({ resources: Type.Array(ResourceSchema) })),
  create: Opt(Type.Object({ volumes: Type.Array(ResourceSchema) })),
  destroy: Opt(Type.Object({ volumes: Type.Array(ResourceSchema) })),
  grow_volume: Opt(Type.Object({ volume: ResourceSchema, addition: ResourceSchema })),
  shrink_volume: Opt(Type.Object({ volume: ResourceSchema, subtract: ValueScalarSchema })),
});
export type OfferOperation = Static<typeof OfferOperationSchema>;

export const ResourceRequestSchema = Type.Object({
  agent_id: Opt(AgentIDSchema),
  resources: Opt(Type.Array(ResourceSchema)),
});
export type ResourceRequest = Static<typeof ResourceRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Records carried by agent (re-)registration

/** Mesos's MasterSlaveConnection: how long the agent waits for a ping before re-registering. */
export const MasterAgentConnectionSchema = Type.Object({ total_ping_timeout_seconds: Opt(Seconds()) });
export type MasterAgentConnection = Static<typeof MasterAgentConnectionSchema>;

/** A completed framework the agent still remembers (Mesos's Archive.Framework). */
export const CompletedFrameworkSchema = Type.Object({
  framework_info: FrameworkInfoSchema,
  pid: Opt(Type.String()),
  tasks: Opt(Type.Array(TaskSchema)),
});
export type CompletedFramework = Static<typeof CompletedFrameworkSchema>;

/**
 * Tasks of one framework the master knows on a re-registering agent but the agent did not
 * report (a ReconcileTasksMessage nested in SlaveReregisteredMessage in Mesos).
 */
export const TaskReconciliationSchema = Type.Object({
  framework_id: FrameworkIDSchema,
  /** The framework as the master knows it (Mesos 1.1+): the agent may not know it any more. */
  framework: Opt(FrameworkInfoSchema),
  statuses: Type.Array(TaskStatusSchema),
});
export type TaskReconciliation = Static<typeof TaskReconciliationSchema>;

// ---------------------------------------------------------------------------------------------
// bytes <-> base64 for JSON surfaces

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function bytesFromBase64(text: string): Uint8Array {
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
