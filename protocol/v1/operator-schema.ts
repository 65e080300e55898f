// The operator API's messages for the v1 schema table (Mesos's `mesos.v1.master` and
// `mesos.v1.agent` Call, Response and Event, `mesos.v1.quota`, and the `mesos.v1` messages only
// they use), written from the wire format's field numbers in the table's notation (schema.ts).
// Calls and messages of features mesos-ts does not have (maintenance, draining, volumes,
// operations, nested containers, resource providers) keep their enum values, so they decode
// and get 501, but their sub-messages are left out: protobuf skips them as unknown fields.
// Where agent.Response's sub-messages are master.Response's on the wire (same fields, same
// numbers: GetHealth, GetFlags, …), the table names the master's once.

import type { EnumSpec, SchemaTable } from './schema.js';

const enumOf = (...values: string[]): EnumSpec => ({ enum: values });

const FILES = {
  'FileInfo': { path: 'string! 1', nlink: 'int32 2', size: 'uint64 3', mtime: 'TimeInfo 4', mode: 'uint32 5', uid: 'string 6', gid: 'string 7' },
  'Flag': { name: 'string! 1', value: 'string 2' },
  'Metric': { name: 'string! 1', value: 'double 2' },
  'VersionInfo': { version: 'string! 1', build_date: 'string 2', build_time: 'double 3', build_user: 'string 4', git_sha: 'string 5', git_branch: 'string 6', git_tag: 'string 7' },
} as const;

export const OPERATOR_V1_SCHEMA: SchemaTable = {
  ...FILES,
  'AgentInfo.Capability': { type: 'AgentInfo.Capability.Type 1' },
  'AgentInfo.Capability.Type': enumOf('UNKNOWN=0', 'MULTI_ROLE=1', 'HIERARCHICAL_ROLE=2', 'RESERVATION_REFINEMENT=3', 'RESOURCE_PROVIDER=4', 'RESIZE_VOLUME=5', 'AGENT_OPERATION_FEEDBACK=6', 'AGENT_DRAINING=7', 'TASK_RESOURCE_LIMITS=8'),
  'ResourceStatistics': {
    timestamp: 'double! 1', processes: 'uint32 30', threads: 'uint32 31', cpus_user_time_secs: 'double 2', cpus_system_time_secs: 'double 3', cpus_limit: 'double 4',
    cpus_nr_periods: 'uint32 7', cpus_nr_throttled: 'uint32 8', cpus_throttled_time_secs: 'double 9', mem_total_bytes: 'uint64 36', mem_limit_bytes: 'uint64 6',
    mem_file_bytes: 'uint64 10', mem_anon_bytes: 'uint64 11', mem_cache_bytes: 'uint64 39', mem_rss_bytes: 'uint64 5', mem_swap_bytes: 'uint64 40',
    disk_limit_bytes: 'uint64 26', disk_used_bytes: 'uint64 27',
  },
  'Role': { name: 'string! 1', weight: 'double! 2', frameworks: 'FrameworkID* 3', resources: 'Resource* 4' },
  'Task': {
    name: 'string! 1', task_id: 'TaskID! 2', framework_id: 'FrameworkID! 3', executor_id: 'ExecutorID 4', agent_id: 'AgentID! 5', state: 'TaskState! 6', resources: 'Resource* 7',
    statuses: 'TaskStatus* 8', status_update_state: 'TaskState 9', status_update_uuid: 'bytes 10', labels: 'Labels 11', discovery: 'DiscoveryInfo 12', container: 'ContainerInfo 13',
    health_check: 'HealthCheck 15', kill_policy: 'KillPolicy 16', user: 'string 14', limits: 'map<string,Value.Scalar> 17',
  },
  'WeightInfo': { weight: 'double! 1', role: 'string 2' },

  'quota.QuotaConfig': { role: 'string! 1', guarantees: 'map<string,Value.Scalar> 2', limits: 'map<string,Value.Scalar> 3' },
  'quota.QuotaInfo': { role: 'string 1', principal: 'string 2', guarantee: 'Resource* 3' },
  'quota.QuotaStatus': { infos: 'quota.QuotaInfo* 1', configs: 'quota.QuotaConfig* 2' },

  // ---------------------------------------------------------------- mesos.v1.master
  'master.Call': {
    type: 'master.Call.Type 1', get_metrics: 'master.Call.GetMetrics 2', set_logging_level: 'master.Call.SetLoggingLevel 3', list_files: 'master.Call.ListFiles 4',
    read_file: 'master.Call.ReadFile 5', update_weights: 'master.Call.UpdateWeights 6', reserve_resources: 'master.Call.ReserveResources 7',
    unreserve_resources: 'master.Call.UnreserveResources 8', create_volumes: 'master.Call.CreateVolumes 9',
    destroy_volumes: 'master.Call.DestroyVolumes 10', update_quota: 'master.Call.UpdateQuota 20', teardown: 'master.Call.Teardown 16', mark_agent_gone: 'master.Call.MarkAgentGone 17',
  },
  'master.Call.Type': enumOf(
    'UNKNOWN=0', 'GET_HEALTH=1', 'GET_FLAGS=2', 'GET_VERSION=3', 'GET_METRICS=4', 'GET_LOGGING_LEVEL=5', 'SET_LOGGING_LEVEL=6', 'LIST_FILES=7', 'READ_FILE=8', 'GET_STATE=9',
    'GET_AGENTS=10', 'GET_FRAMEWORKS=11', 'GET_EXECUTORS=12', 'GET_OPERATIONS=33', 'GET_TASKS=13', 'GET_ROLES=14', 'GET_WEIGHTS=15', 'UPDATE_WEIGHTS=16', 'GET_MASTER=17',
    'SUBSCRIBE=18', 'RESERVE_RESOURCES=19', 'UNRESERVE_RESOURCES=20', 'CREATE_VOLUMES=21', 'DESTROY_VOLUMES=22', 'GROW_VOLUME=34', 'SHRINK_VOLUME=35',
    'GET_MAINTENANCE_STATUS=23', 'GET_MAINTENANCE_SCHEDULE=24', 'UPDATE_MAINTENANCE_SCHEDULE=25', 'START_MAINTENANCE=26', 'STOP_MAINTENANCE=27', 'DRAIN_AGENT=37',
    'DEACTIVATE_AGENT=38', 'REACTIVATE_AGENT=39', 'GET_QUOTA=28', 'UPDATE_QUOTA=36', 'SET_QUOTA=29', 'REMOVE_QUOTA=30', 'TEARDOWN=31', 'MARK_AGENT_GONE=32',
  ),
  'master.Call.GetMetrics': { timeout: 'DurationInfo 1' },
  'master.Call.SetLoggingLevel': { level: 'uint32! 1', duration: 'DurationInfo! 2' },
  'master.Call.ListFiles': { path: 'string! 1' },
  'master.Call.ReadFile': { path: 'string! 1', offset: 'uint64! 2', length: 'uint64 3' },
  'master.Call.UpdateWeights': { weight_infos: 'WeightInfo* 1' },
  'master.Call.ReserveResources': { agent_id: 'AgentID! 1', source: 'Resource* 3', resources: 'Resource* 2' },
  'master.Call.UnreserveResources': { agent_id: 'AgentID! 1', resources: 'Resource* 2' },
  'master.Call.CreateVolumes': { agent_id: 'AgentID! 1', volumes: 'Resource* 2' },
  'master.Call.DestroyVolumes': { agent_id: 'AgentID! 1', volumes: 'Resource* 2' },
  'master.Call.UpdateQuota': { force: 'bool 1', quota_configs: 'quota.QuotaConfig* 2' },
  'master.Call.Teardown': { framework_id: 'FrameworkID! 1' },
  'master.Call.MarkAgentGone': { agent_id: 'AgentID! 1' },

  'master.Response': {
    type: 'master.Response.Type 1', get_health: 'master.Response.GetHealth 2', get_flags: 'master.Response.GetFlags 3', get_version: 'master.Response.GetVersion 4',
    get_metrics: 'master.Response.GetMetrics 5', get_logging_level: 'master.Response.GetLoggingLevel 6', list_files: 'master.Response.ListFiles 7',
    read_file: 'master.Response.ReadFile 8', get_state: 'master.Response.GetState 9', get_agents: 'master.Response.GetAgents 10',
    get_frameworks: 'master.Response.GetFrameworks 11', get_executors: 'master.Response.GetExecutors 12', get_tasks: 'master.Response.GetTasks 13',
    get_roles: 'master.Response.GetRoles 14', get_weights: 'master.Response.GetWeights 15', get_master: 'master.Response.GetMaster 16', get_quota: 'master.Response.GetQuota 19',
  },
  'master.Response.Type': enumOf(
    'UNKNOWN=0', 'GET_HEALTH=1', 'GET_FLAGS=2', 'GET_VERSION=3', 'GET_METRICS=4', 'GET_LOGGING_LEVEL=5', 'LIST_FILES=6', 'READ_FILE=7', 'GET_STATE=8', 'GET_AGENTS=9',
    'GET_FRAMEWORKS=10', 'GET_EXECUTORS=11', 'GET_OPERATIONS=19', 'GET_TASKS=12', 'GET_ROLES=13', 'GET_WEIGHTS=14', 'GET_MASTER=15', 'GET_MAINTENANCE_STATUS=16',
    'GET_MAINTENANCE_SCHEDULE=17', 'GET_QUOTA=18',
  ),
  'master.Response.GetHealth': { healthy: 'bool! 1' },
  'master.Response.GetFlags': { flags: 'Flag* 1' },
  'master.Response.GetVersion': { version_info: 'VersionInfo! 1' },
  'master.Response.GetMetrics': { metrics: 'Metric* 1' },
  'master.Response.GetLoggingLevel': { level: 'uint32! 1' },
  'master.Response.ListFiles': { file_infos: 'FileInfo* 1' },
  'master.Response.ReadFile': { size: 'uint64! 1', data: 'bytes! 2' },
  'master.Response.GetState': { get_tasks: 'master.Response.GetTasks 1', get_executors: 'master.Response.GetExecutors 2', get_frameworks: 'master.Response.GetFrameworks 3', get_agents: 'master.Response.GetAgents 4' },
  'master.Response.GetAgents': { agents: 'master.Response.GetAgents.Agent* 1', recovered_agents: 'AgentInfo* 2' },
  'master.Response.GetAgents.Agent': {
    agent_info: 'AgentInfo! 1', active: 'bool! 2', deactivated: 'bool 12', version: 'string! 3', pid: 'string 4', registered_time: 'TimeInfo 5', reregistered_time: 'TimeInfo 6',
    total_resources: 'Resource* 7', allocated_resources: 'Resource* 8', offered_resources: 'Resource* 9', capabilities: 'AgentInfo.Capability* 10',
  },
  'master.Response.GetFrameworks': { frameworks: 'master.Response.GetFrameworks.Framework* 1', completed_frameworks: 'master.Response.GetFrameworks.Framework* 2' },
  'master.Response.GetFrameworks.Framework': {
    framework_info: 'FrameworkInfo! 1', active: 'bool! 2', connected: 'bool! 3', recovered: 'bool! 11', registered_time: 'TimeInfo 4', reregistered_time: 'TimeInfo 5',
    unregistered_time: 'TimeInfo 6', offers: 'Offer* 7', allocated_resources: 'Resource* 9', offered_resources: 'Resource* 10',
  },
  'master.Response.GetExecutors': { executors: 'master.Response.GetExecutors.Executor* 1', orphan_executors: 'master.Response.GetExecutors.Executor* 2' },
  'master.Response.GetExecutors.Executor': { executor_info: 'ExecutorInfo! 1', agent_id: 'AgentID! 2' },
  'master.Response.GetTasks': { pending_tasks: 'Task* 1', tasks: 'Task* 2', unreachable_tasks: 'Task* 5', completed_tasks: 'Task* 3', orphan_tasks: 'Task* 4' },
  'master.Response.GetRoles': { roles: 'Role* 1' },
  'master.Response.GetWeights': { weight_infos: 'WeightInfo* 1' },
  'master.Response.GetMaster': { master_info: 'MasterInfo 1', start_time: 'double 2', elected_time: 'double 3' },
  'master.Response.GetQuota': { status: 'quota.QuotaStatus! 1' },

  'master.Event': {
    type: 'master.Event.Type 1', subscribed: 'master.Event.Subscribed 2', task_added: 'master.Event.TaskAdded 3', task_updated: 'master.Event.TaskUpdated 4',
    agent_added: 'master.Event.AgentAdded 5', agent_removed: 'master.Event.AgentRemoved 6', framework_added: 'master.Event.FrameworkAdded 7',
    framework_updated: 'master.Event.FrameworkUpdated 8', framework_removed: 'master.Event.FrameworkRemoved 9',
  },
  'master.Event.Type': enumOf('UNKNOWN=0', 'SUBSCRIBED=1', 'TASK_ADDED=2', 'TASK_UPDATED=3', 'AGENT_ADDED=4', 'AGENT_REMOVED=5', 'FRAMEWORK_ADDED=6', 'FRAMEWORK_UPDATED=7', 'FRAMEWORK_REMOVED=8', 'HEARTBEAT=9'),
  'master.Event.Subscribed': { get_state: 'master.Response.GetState 1', heartbeat_interval_seconds: 'double 2' },
  'master.Event.TaskAdded': { task: 'Task! 1' },
  'master.Event.TaskUpdated': { framework_id: 'FrameworkID! 1', status: 'TaskStatus! 2', state: 'TaskState! 3' },
  'master.Event.FrameworkAdded': { framework: 'master.Response.GetFrameworks.Framework! 1' },
  'master.Event.FrameworkUpdated': { framework: 'master.Response.GetFrameworks.Framework! 1' },
  'master.Event.FrameworkRemoved': { framework_info: 'FrameworkInfo! 1' },
  'master.Event.AgentAdded': { agent: 'master.Response.GetAgents.Agent! 1' },
  'master.Event.AgentRemoved': { agent_id: 'AgentID! 1' },

  // ---------------------------------------------------------------- mesos.v1.agent
  'agent.Call': {
    type: 'agent.Call.Type 1', get_metrics: 'agent.Call.GetMetrics 2', set_logging_level: 'agent.Call.SetLoggingLevel 3', list_files: 'agent.Call.ListFiles 4',
    read_file: 'agent.Call.ReadFile 5', get_containers: 'agent.Call.GetContainers 20',
  },
  'agent.Call.Type': enumOf(
    'UNKNOWN=0', 'GET_HEALTH=1', 'GET_FLAGS=2', 'GET_VERSION=3', 'GET_METRICS=4', 'GET_LOGGING_LEVEL=5', 'SET_LOGGING_LEVEL=6', 'LIST_FILES=7', 'READ_FILE=8', 'GET_STATE=9',
    'GET_CONTAINERS=10', 'GET_FRAMEWORKS=11', 'GET_EXECUTORS=12', 'GET_OPERATIONS=31', 'GET_TASKS=13', 'GET_AGENT=20', 'GET_RESOURCE_PROVIDERS=26', 'LAUNCH_NESTED_CONTAINER=14',
    'WAIT_NESTED_CONTAINER=15', 'KILL_NESTED_CONTAINER=16', 'REMOVE_NESTED_CONTAINER=21', 'LAUNCH_NESTED_CONTAINER_SESSION=17', 'ATTACH_CONTAINER_INPUT=18',
    'ATTACH_CONTAINER_OUTPUT=19', 'LAUNCH_CONTAINER=22', 'WAIT_CONTAINER=23', 'KILL_CONTAINER=24', 'REMOVE_CONTAINER=25', 'ADD_RESOURCE_PROVIDER_CONFIG=27',
    'UPDATE_RESOURCE_PROVIDER_CONFIG=28', 'REMOVE_RESOURCE_PROVIDER_CONFIG=29', 'MARK_RESOURCE_PROVIDER_GONE=32', 'PRUNE_IMAGES=30',
  ),
  'agent.Call.GetMetrics': { timeout: 'DurationInfo 1' },
  'agent.Call.SetLoggingLevel': { level: 'uint32! 1', duration: 'DurationInfo! 2' },
  'agent.Call.ListFiles': { path: 'string! 1' },
  'agent.Call.ReadFile': { path: 'string! 1', offset: 'uint64! 2', length: 'uint64 3' },
  'agent.Call.GetContainers': { show_nested: 'bool 1', show_standalone: 'bool 2' },

  'agent.Response': {
    type: 'agent.Response.Type 1', get_health: 'master.Response.GetHealth 2', get_flags: 'master.Response.GetFlags 3', get_version: 'master.Response.GetVersion 4',
    get_metrics: 'master.Response.GetMetrics 5', get_logging_level: 'master.Response.GetLoggingLevel 6', list_files: 'master.Response.ListFiles 7',
    read_file: 'master.Response.ReadFile 8', get_state: 'agent.Response.GetState 9', get_containers: 'agent.Response.GetContainers 10',
    get_frameworks: 'agent.Response.GetFrameworks 11', get_executors: 'agent.Response.GetExecutors 12', get_tasks: 'agent.Response.GetTasks 13', get_agent: 'agent.Response.GetAgent 15',
  },
  'agent.Response.Type': enumOf(
    'UNKNOWN=0', 'GET_HEALTH=1', 'GET_FLAGS=2', 'GET_VERSION=3', 'GET_METRICS=4', 'GET_LOGGING_LEVEL=5', 'LIST_FILES=6', 'READ_FILE=7', 'GET_STATE=8', 'GET_CONTAINERS=9',
    'GET_FRAMEWORKS=10', 'GET_EXECUTORS=11', 'GET_OPERATIONS=17', 'GET_TASKS=12', 'GET_AGENT=14', 'GET_RESOURCE_PROVIDERS=16', 'WAIT_NESTED_CONTAINER=13', 'WAIT_CONTAINER=15',
  ),
  'agent.Response.GetState': { get_tasks: 'agent.Response.GetTasks 1', get_executors: 'agent.Response.GetExecutors 2', get_frameworks: 'agent.Response.GetFrameworks 3' },
  'agent.Response.GetContainers': { containers: 'agent.Response.GetContainers.Container* 1' },
  'agent.Response.GetContainers.Container': {
    framework_id: 'FrameworkID 1', executor_id: 'ExecutorID 2', executor_name: 'string 3', container_id: 'ContainerID! 4', container_status: 'ContainerStatus 5',
    resource_statistics: 'ResourceStatistics 6',
  },
  'agent.Response.GetFrameworks': { frameworks: 'agent.Response.GetFrameworks.Framework* 1', completed_frameworks: 'agent.Response.GetFrameworks.Framework* 2' },
  'agent.Response.GetFrameworks.Framework': { framework_info: 'FrameworkInfo! 1' },
  'agent.Response.GetExecutors': { executors: 'agent.Response.GetExecutors.Executor* 1', completed_executors: 'agent.Response.GetExecutors.Executor* 2' },
  'agent.Response.GetExecutors.Executor': { executor_info: 'ExecutorInfo! 1' },
  'agent.Response.GetTasks': { pending_tasks: 'Task* 1', queued_tasks: 'Task* 2', launched_tasks: 'Task* 3', terminated_tasks: 'Task* 4', completed_tasks: 'Task* 5' },
  'agent.Response.GetAgent': { agent_info: 'AgentInfo 1' },
};
