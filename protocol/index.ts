// Mesos's messages and data types, in one schema used everywhere: message bodies, HTTP
// payloads, /state entries, checkpoints and trace lines. Also Resources and task states.
// The public surface, listed by name: schemas and helpers not named here stay internal.

// Ids and UUIDs: making, checking and formatting them.
export {
  checkIdValue,
  formatAgentId,
  formatFrameworkId,
  formatOfferId,
  newUuid,
  uuidEquals,
  uuidFromString,
  uuidToString,
} from './ids.js';

// Data types (Mesos v1 JSON: snake_case, {value} ids, enum names as strings).
export {
  AGENT_CAPABILITIES,
  bytesFromBase64,
  bytesToBase64,
  FRAMEWORK_CAPABILITIES,
  frameworkRoles,
  hasCapability,
  MASTER_CAPABILITIES,
  OFFER_OPERATION_TYPES,
  type Address,
  type AgentCapability,
  type AgentCapabilityType,
  type AgentID,
  type AgentInfo,
  type AllocationInfo,
  type Attribute,
  type CheckInfo,
  type CheckStatusInfo,
  type CommandInfo,
  type CommandURI,
  type CompletedFramework,
  type ContainerID,
  type ContainerInfo,
  type ContainerStatus,
  type DiskInfo,
  type DiscoveryInfo,
  DiscoveryInfoSchema,
  TaskInfoSchema,
  TaskGroupInfoSchema,
  type DomainInfo,
  type DurationInfo,
  type Environment,
  type EnvironmentVariable,
  type ExecutorID,
  type ExecutorInfo,
  type Filters,
  type FrameworkCapability,
  type FrameworkCapabilityType,
  type FrameworkID,
  type FrameworkInfo,
  type HealthCheck,
  type KillPolicy,
  type Label,
  type Labels,
  type MasterAgentConnection,
  type MasterInfo,
  type Offer,
  type OfferID,
  type OfferOperation,
  type OfferOperationType,
  type OperationID,
  type Parameter,
  type ReservationInfo,
  type Resource,
  type ResourceRequest,
  type Task,
  type TaskGroupInfo,
  type TaskID,
  type TaskInfo,
  type TaskReconciliation,
  type TaskStatus,
  type TaskStatusUpdate,
  type TimeInfo,
  type URL,
  type ValueRange,
  type ValueRanges,
  type ValueScalar,
  type ValueSet,
  type ValueText,
  type Volume,
} from './types.js';

// Task states, reasons and sources; which states are terminal.
export {
  isTerminalState,
  stateForFramework,
  TASK_STATES,
  TASK_STATUS_REASONS,
  taskStatus,
  type TaskStatusInit,
  type TaskState,
  type TaskStatusReason,
  type TaskStatusSource,
} from './task-states.js';

// Messages between master, agents, schedulers and executors (named as in Mesos, without "Message").
export {
  isMessageName,
  MESSAGE_NAMES,
  messageSchemas,
  messageValidators,
  traceAttributes,
  validateMessage,
  type Accept,
  type AgentRegistered,
  type AgentReregistered,
  type DeactivateFramework,
  type Decline,
  type ExecutorRegistered,
  type ExecutorReregistered,
  type ExecutorToFramework,
  type ExitedExecutor,
  type FrameworkError,
  type FrameworkRegistered,
  type FrameworkReregistered,
  type FrameworkToExecutor,
  type KillTask,
  type LaunchExecutor,
  type LaunchTasks,
  type LostAgent,
  type MessageName,
  type MessageOf,
  type PingAgent,
  type PongAgent,
  type ProtocolMessage,
  type ReconcileTasks,
  type ReconnectExecutor,
  type RegisterAgent,
  type RegisterExecutor,
  type RegisterExecutorHost,
  type RegisterFramework,
  type ReregisterAgent,
  type ReregisterExecutor,
  type ReregisterFramework,
  type RescindResourceOffer,
  type ResourceOffers,
  type ResourceRequestMessage,
  type ReviveOffers,
  type RunTask,
  type RunTaskGroup,
  type Shutdown,
  type ShutdownExecutor,
  type ShutdownExecutorHost,
  type ShutdownFramework,
  type StatusUpdate,
  type StatusUpdateAcknowledgement,
  type SuppressOffers,
  type TraceAttributes,
  type UnregisterAgent,
  type CheckpointResources,
  type UnregisterFramework,
  type UpdateFramework,
} from './messages.js';

// Resources: the value type (parse, add, subtract, contains, filter by role).
export {
  Resources,
} from './resources.js';
export { applyCheckpointedResources, checkpointedPart, stripVolumes, volumeProblems } from './volumes.js';

// Validation at the edge: message bodies and the master's launch and framework checks.
export {
  checkRole,
  deepEqual,
  executorResourceWarning,
  rejectionStatus,
  validateFrameworkInfo,
  validateLaunch,
  validateLaunchOperation,
  validateOffers,
  validateTask,
  type LaunchContext,
  type LaunchOutcome,
  type LaunchRejection,
  type OfferCheck,
  type OfferView,
} from './validation.js';
export { MAX_TASK_GROUP_SIZE, validateTaskGroup, type TaskGroupCheck } from './task-group.js';

// Legacy JSON views (the unversioned /state endpoints).
export {
  legacyResources,
  safeResources,
  taskJSON,
  taskText,
  type Json,
} from './legacy-json.js';

// What each actor accepts from its peers, for typed pids.
export type { AgentInbox, ExecutorHostInbox, ExecutorInbox, MasterInbox, SchedulerInbox } from './inboxes.js';

// Helpers shared by every role.
export { formatDuration, parseDuration, tryParseDuration } from './duration.js';
export { newTask } from './task.js';
export { startProtocolRuntime, type ProtocolRuntime, type ProtocolRuntimeOptions } from './start-runtime.js';
export { ACTIONS, PERMISSIVE, authorized, loadAcls, parseAcls, type Acls, type Action } from './authorizer.js';
export { basicPrincipal, forbidden, guarded, needsAuthentication, unauthorized, type HttpAuthOptions } from './http-auth.js';

// The operator API's transport (`POST /api/v1` on master and agent): request checks, answers, RecordIO.
export {
  answer,
  decodeOperatorCall,
  durationMs,
  loggingLevel,
  message,
  nanos,
  setLoggingLevel,
  RecordIOStream,
  subMessage,
  text as plainText,
  type OperatorCall,
  type OperatorSide,
} from './operator-http.js';
export { BUILD, type BuildInfo } from './build-info.js';
// The v1 HTTP APIs' shared layer: RecordIO, content negotiation, the protobuf schema and Mesos's JSON mapping.
export {
  acceptedMediaType,
  contentTypeOf,
  decodeMessage,
  encodeMessage,
  encodeRecord,
  extendSchema,
  JSON_TYPE,
  MESOS_V1_SCHEMA,
  notAcceptable,
  PROTOBUF_TYPE,
  RecordIODecoder,
  RecordIOError,
  requestMediaType,
  toJSONText,
  v1Type,
  type Decoded,
  type MediaType,
  type SchemaTable,
} from './v1/index.js';
