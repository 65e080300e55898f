// The protocol's schemas: every message accepts a valid body and rejects malformed ones with a
// message naming the field; unknown fields pass, as protobuf parsing ignores them. Also task
// states, ids, and the ids a trace line carries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { Type, type TSchema } from '@sinclair/typebox';
import {
  MESSAGE_NAMES,
  messageSchemas,
  messageValidators,
  traceAttributes,
  validateMessage,
} from '../../protocol/messages.js';
import {
  TASK_STATES,
  TASK_STATUS_REASONS,
  isTerminalState,
  stateForFramework,
  taskStatus,
} from '../../protocol/task-states.js';
import { bytesFromBase64, bytesToBase64, frameworkRoles, hasCapability } from '../../protocol/types.js';
import {
  checkIdValue,
  formatAgentId,
  formatFrameworkId,
  formatOfferId,
  newUuid,
  uuidEquals,
  uuidFromString,
  uuidToString,
} from '../../protocol/ids.js';
import type { MessageName, MessageOf } from '../../protocol/messages.js';
import type {
  AgentInfo,
  ExecutorInfo,
  FrameworkInfo,
  MasterInfo,
  Offer,
  Resource,
  Task,
  TaskInfo,
  TaskStatus,
  TaskStatusUpdate,
} from '../../protocol/types.js';

const FW = { value: 'M1-0000' };
const AGENT = { value: 'M1-S0' };
const uuid = new Uint8Array([0x5d, 0x1c, 0x7a, 0x0e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

const resources = (cpus: number, mem: number): Resource[] => [
  { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } },
  { name: 'mem', type: 'SCALAR', scalar: { value: mem } },
];

const frameworkInfo: FrameworkInfo = {
  user: 'alice',
  name: 'smoke',
  id: FW,
  failover_timeout: 3600,
  checkpoint: true,
  roles: ['dev'],
  capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }],
  labels: { labels: [{ key: 'team', value: 'infra' }] },
};

const masterInfo: MasterInfo = {
  id: 'M1',
  ip: 16777343,
  port: 5050,
  pid: 'master@127.0.0.1:5050',
  hostname: 'localhost',
  version: '1.11.0',
  address: { hostname: 'localhost', ip: '127.0.0.1', port: 5050 },
};

const agentInfo: AgentInfo = {
  hostname: 'agent1.local',
  port: 5051,
  id: AGENT,
  resources: [...resources(4, 7680), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } }],
  attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }],
  checkpoint: true,
};

const { id: _assigned, ...agentInfoWithoutId } = agentInfo;

const commandTask: TaskInfo = {
  name: 'sleep',
  task_id: { value: 't1' },
  agent_id: AGENT,
  resources: resources(1, 128),
  command: { value: 'sleep 10', environment: { variables: [{ name: 'A', value: 'b' }] } },
  kill_policy: { grace_period: { nanoseconds: 3e9 } },
  data: new Uint8Array([1, 2, 3]),
};

const customExecutor: ExecutorInfo = {
  type: 'CUSTOM',
  executor_id: { value: 'exec-1' },
  framework_id: FW,
  command: { value: './my-executor' },
  resources: resources(0.1, 32),
  name: 'my executor',
};

const status: TaskStatus = {
  task_id: { value: 't1' },
  state: 'TASK_RUNNING',
  source: 'SOURCE_EXECUTOR',
  agent_id: AGENT,
  executor_id: { value: 't1' },
  timestamp: 1700000000.5,
  uuid,
  healthy: true,
};

const update: TaskStatusUpdate = {
  framework_id: FW,
  executor_id: { value: 't1' },
  agent_id: AGENT,
  status,
  timestamp: 1700000000.5,
  uuid,
  latest_state: 'TASK_RUNNING',
};

const task: Task = {
  name: 'sleep',
  task_id: { value: 't1' },
  framework_id: FW,
  executor_id: { value: 't1' },
  agent_id: AGENT,
  state: 'TASK_RUNNING',
  resources: resources(1, 128),
  statuses: [status],
  status_update_state: 'TASK_RUNNING',
  status_update_uuid: uuid,
};

const offer: Offer = {
  id: { value: 'M1-O7' },
  framework_id: FW,
  agent_id: AGENT,
  hostname: 'agent1.local',
  url: { scheme: 'http', address: { hostname: 'agent1.local', ip: '10.0.0.5', port: 5051 }, path: '/agent(1)' },
  resources: resources(4, 7680),
  attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }],
  executor_ids: [{ value: 'exec-1' }],
  allocation_info: { role: 'dev' },
};

/** One valid body per message name; a missing name fails to compile. */
const validMessages: { [N in MessageName]: MessageOf<N> } = {
  RegisterFramework: { name: 'RegisterFramework', framework: { user: 'alice', name: 'smoke' } },
  ReregisterFramework: { name: 'ReregisterFramework', framework: frameworkInfo, failover: true, suppressed_roles: [] },
  FrameworkRegistered: { name: 'FrameworkRegistered', framework_id: FW, master_info: masterInfo },
  FrameworkReregistered: { name: 'FrameworkReregistered', framework_id: FW, master_info: masterInfo },
  FrameworkError: { name: 'FrameworkError', message: 'Framework failed over' },
  UnregisterFramework: { name: 'UnregisterFramework', framework_id: FW },
  DeactivateFramework: { name: 'DeactivateFramework', framework_id: FW },
  UpdateFramework: { name: 'UpdateFramework', framework_id: FW, pid: 'scheduler-1@127.0.0.1:4000', framework_info: frameworkInfo },
  ShutdownFramework: { name: 'ShutdownFramework', framework_id: FW },
  ResourceOffers: { name: 'ResourceOffers', offers: [offer], pids: ['agent(1)@10.0.0.5:5051'] },
  RescindResourceOffer: { name: 'RescindResourceOffer', offer_id: { value: 'M1-O7' } },
  LaunchTasks: { name: 'LaunchTasks', framework_id: FW, tasks: [commandTask], filters: { refuse_seconds: 5 }, offer_ids: [{ value: 'M1-O7' }] },
  Accept: {
    name: 'Accept',
    framework_id: FW,
    offer_ids: [{ value: 'M1-O7' }],
    operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask] } }],
    filters: { refuse_seconds: 1 },
  },
  Decline: { name: 'Decline', framework_id: FW, offer_ids: [{ value: 'M1-O7' }] },
  ReviveOffers: { name: 'ReviveOffers', framework_id: FW, roles: ['dev'] },
  SuppressOffers: { name: 'SuppressOffers', framework_id: FW },
  ResourceRequest: { name: 'ResourceRequest', framework_id: FW, requests: [{ agent_id: AGENT, resources: resources(1, 1) }] },
  RunTask: { name: 'RunTask', framework: frameworkInfo, task: commandTask, pid: 'scheduler-1@127.0.0.1:4000', launch_executor: false },
  RunTaskGroup: { name: 'RunTaskGroup', framework: frameworkInfo, executor: { type: 'DEFAULT', executor_id: { value: 'group-1' } }, task_group: { tasks: [commandTask] }, pid: 'scheduler-1@127.0.0.1:4000', launch_executor: true },
  KillTask: { name: 'KillTask', framework_id: FW, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } },
  StatusUpdate: { name: 'StatusUpdate', update, pid: 'agent(1)@10.0.0.5:5051' },
  StatusUpdateAcknowledgement: { name: 'StatusUpdateAcknowledgement', agent_id: AGENT, framework_id: FW, task_id: { value: 't1' }, uuid },
  ReconcileTasks: { name: 'ReconcileTasks', framework_id: FW, statuses: [{ task_id: { value: 't1' }, state: 'TASK_STAGING', agent_id: AGENT }] },
  FrameworkToExecutor: { name: 'FrameworkToExecutor', agent_id: AGENT, framework_id: FW, executor_id: { value: 'exec-1' }, data: new Uint8Array([104, 105]) },
  ExecutorToFramework: { name: 'ExecutorToFramework', agent_id: AGENT, framework_id: FW, executor_id: { value: 'exec-1' }, data: new Uint8Array(0) },
  RegisterAgent: {
    name: 'RegisterAgent',
    agent: agentInfoWithoutId,
    version: '1.11.0',
    agent_capabilities: [{ type: 'MULTI_ROLE' }],
  },
  ReregisterAgent: {
    name: 'ReregisterAgent',
    agent: agentInfo,
    version: '1.11.0',
    executor_infos: [customExecutor],
    tasks: [task],
    frameworks: [frameworkInfo],
    completed_frameworks: [{ framework_info: frameworkInfo, tasks: [] }],
  },
  AgentRegistered: { name: 'AgentRegistered', agent_id: AGENT, connection: { total_ping_timeout_seconds: 75 } },
  AgentReregistered: {
    name: 'AgentReregistered',
    agent_id: AGENT,
    reconciliations: [{ framework_id: FW, statuses: [{ task_id: { value: 't2' }, state: 'TASK_RUNNING' }] }],
    connection: { total_ping_timeout_seconds: 75 },
  },
  UnregisterAgent: { name: 'UnregisterAgent', agent_id: AGENT },
  CheckpointResources: { name: 'CheckpointResources', resources: [{ name: 'disk', type: 'SCALAR', scalar: { value: 64 }, reservations: [{ type: 'DYNAMIC', role: 'dev' }], disk: { persistence: { id: 'v1' }, volume: { container_path: 'data', mode: 'RW' } } }] },
  PingAgent: { name: 'PingAgent', connected: true },
  PongAgent: { name: 'PongAgent' },
  LostAgent: { name: 'LostAgent', agent_id: AGENT },
  Shutdown: { name: 'Shutdown', message: 'Agent is marked gone' },
  RegisterExecutor: { name: 'RegisterExecutor', framework_id: FW, executor_id: { value: 'exec-1' } },
  ExecutorRegistered: {
    name: 'ExecutorRegistered',
    executor_info: customExecutor,
    framework_id: FW,
    framework_info: frameworkInfo,
    agent_id: AGENT,
    agent_info: agentInfo,
  },
  ReconnectExecutor: { name: 'ReconnectExecutor', agent_id: AGENT },
  ReregisterExecutor: { name: 'ReregisterExecutor', framework_id: FW, executor_id: { value: 'exec-1' }, tasks: [commandTask], updates: [update] },
  ExecutorReregistered: { name: 'ExecutorReregistered', agent_id: AGENT, agent_info: agentInfo },
  ShutdownExecutor: { name: 'ShutdownExecutor' },
  ExitedExecutor: { name: 'ExitedExecutor', agent_id: AGENT, framework_id: FW, executor_id: { value: 'exec-1' }, status: 256 },
  RegisterExecutorHost: { name: 'RegisterExecutorHost', framework_id: FW },
  LaunchExecutor: { name: 'LaunchExecutor', framework_id: FW, agent_id: AGENT, executor_info: { executor_id: { value: 't1' }, command: { value: 'true' } }, directory: '/tmp/sandbox' },
  ShutdownExecutorHost: { name: 'ShutdownExecutorHost', framework_id: FW },
};

// ---------------------------------------------------------------------------------------------

const clone = <T>(v: T): T => structuredClone(v);
const validate = (body: unknown): string | undefined => validateMessage(body);

test('every message name has a schema whose name literal equals its key', () => {
  assert.equal(MESSAGE_NAMES.length, Object.keys(validMessages).length);
  for (const name of MESSAGE_NAMES) {
    const schema = messageSchemas[name] as unknown as { properties: { name: { const: string } } };
    assert.equal(schema.properties.name.const, name);
    assert.equal(typeof messageValidators[name], 'function');
  }
});

for (const name of MESSAGE_NAMES) {
  test(`${name}: a valid body passes, also after a MessagePack round trip`, () => {
    const body = validMessages[name];
    assert.equal(messageValidators[name]!(body), undefined);
    assert.equal(validate(body), undefined);
    assert.equal(validate(unpack(pack(body))), undefined);
  });

  test(`${name}: unknown fields are ignored, at the top and nested`, () => {
    const body = clone(validMessages[name]) as unknown as Record<string, unknown>;
    body['future_field'] = { anything: [1, 2] };
    for (const v of Object.values(body)) if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)) (v as Record<string, unknown>)['extra'] = 'x';
    assert.equal(validate(body), undefined);
  });

  test(`${name}: each missing required field and each field of the wrong type is rejected, naming the field`, () => {
    const schema = messageSchemas[name] as unknown as { required?: string[]; properties: Record<string, TSchema> };
    for (const field of schema.required ?? []) {
      if (field === 'name') continue;
      const missing = clone(validMessages[name]) as unknown as Record<string, unknown>;
      delete missing[field];
      assert.equal(validate(missing), `/${field}: required field is missing`);

      const wrong = clone(validMessages[name]) as unknown as Record<string, unknown>;
      const kind = (schema.properties[field] as { type?: string }).type;
      wrong[field] = kind === 'string' ? 42 : 'not-this';
      const error = validate(wrong);
      assert.ok(error?.startsWith(`/${field}`), `${name}.${field}: ${error}`);
    }
  });

  test(`${name}: its validator rejects a body carrying another message's name`, () => {
    const other = name === 'PongAgent' ? 'PingAgent' : 'PongAgent';
    const body = { ...validMessages[name], name: other };
    assert.equal(messageValidators[name]!(body), `/name: expected ${JSON.stringify(name)}, got ${JSON.stringify(other)}`);
  });
}

test('errors name the nested path and what was expected', () => {
  const run = clone(validMessages.RunTask) as unknown as { task: { task_id: { value: unknown } } };
  run.task.task_id.value = 5;
  assert.equal(validate(run), '/task/task_id/value: expected string, got 5');

  const su = clone(validMessages.StatusUpdate) as unknown as { update: { status: { state: unknown } } };
  su.update.status.state = 'TASK_NOPE';
  assert.equal(validate(su), '/update/status/state: expected one of TASK_STAGING|TASK_STARTING|TASK_RUNNING|TASK_KILLING|TASK_FINISHED|TASK_FAILED|… (14 values), got "TASK_NOPE"');

  const ack = clone(validMessages.StatusUpdateAcknowledgement) as unknown as { uuid: unknown };
  ack.uuid = 'XRx6DgECAwQFBgcICQoLDA==';
  assert.match(validate(ack) ?? '', /^\/uuid: expected Uint8Array, got "XRx6/);

  const offers = clone(validMessages.ResourceOffers) as unknown as { offers: { resources: { type: string }[] }[] };
  offers.offers[0]!.resources[1]!.type = 'TEXT';
  assert.equal(validate(offers), '/offers/0/resources/1/type: expected one of SCALAR|RANGES|SET, got "TEXT"');

  const ping = { name: 'PingAgent', connected: 'yes' };
  assert.equal(validate(ping), '/connected: expected boolean, got "yes"');

  const range = clone(validMessages.RegisterAgent) as unknown as { agent: { resources: { ranges?: { range: { begin: number }[] } }[] } };
  range.agent.resources[2]!.ranges!.range[0]!.begin = -1;
  assert.match(validate(range) ?? '', /^\/agent\/resources\/2\/ranges\/range\/0\/begin: expected integer to be greater or equal to 0/);

  const nan = { name: 'ExitedExecutor', agent_id: AGENT, framework_id: FW, executor_id: { value: 'e' }, status: Number.NaN };
  assert.match(validate(nan) ?? '', /^\/status: /);
});

test('validateMessage rejects what is not a message', () => {
  assert.equal(validate(null), '/: expected a message object, got null');
  assert.equal(validate('RunTask'), '/: expected a message object, got "RunTask"');
  assert.equal(validate({ task: {} }), '/name: required field is missing');
  assert.equal(validate({ name: 'LaunchTask' }), '/name: unknown message "LaunchTask"');
  assert.equal(validate({ name: 'toString' }), '/name: unknown message "toString"');
  assert.equal(messageValidators['toString'], undefined);
});

test('optional fields may be absent, and an explicitly undefined optional field counts as absent', () => {
  assert.equal(validate({ name: 'ShutdownExecutor', executor_id: undefined }), undefined);
  assert.equal(validate({ name: 'Decline', framework_id: FW, offer_ids: [] }), undefined);
});

test('traceAttributes finds the ids at the top level and in the well-known nested places', () => {
  assert.deepEqual(traceAttributes(validMessages.RunTask), { framework_id: 'M1-0000', task_id: 't1', agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.StatusUpdate), { framework_id: 'M1-0000', task_id: 't1', agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.StatusUpdateAcknowledgement), { framework_id: 'M1-0000', task_id: 't1', agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.KillTask), { framework_id: 'M1-0000', task_id: 't1' });
  assert.deepEqual(traceAttributes(validMessages.ResourceOffers), { framework_id: 'M1-0000', agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.Accept), { framework_id: 'M1-0000', task_id: 't1', agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.LaunchTasks), { framework_id: 'M1-0000', task_id: 't1', agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.ReregisterFramework), { framework_id: 'M1-0000' });
  assert.deepEqual(traceAttributes(validMessages.UpdateFramework), { framework_id: 'M1-0000' });
  assert.deepEqual(traceAttributes(validMessages.ReregisterAgent), { agent_id: 'M1-S0' });
  assert.deepEqual(traceAttributes(validMessages.ReconcileTasks), { framework_id: 'M1-0000', task_id: 't1' });
  assert.deepEqual(traceAttributes(validMessages.PingAgent), {});
  assert.deepEqual(traceAttributes(validMessages.RegisterFramework), {});
});

test('traceAttributes never throws on malformed bodies', () => {
  for (const junk of [null, undefined, 7, 'x', [], { task: 5 }, { update: { status: null } }, { offers: [null] }, { operations: [{ launch: 3 }] }, { framework_id: { value: 3 } }]) {
    assert.doesNotThrow(() => traceAttributes(junk));
  }
  assert.deepEqual(traceAttributes({ framework_id: { value: 3 } }), {});
});

test('terminal states are the ones after which a task never runs again', () => {
  const terminal = TASK_STATES.filter(isTerminalState);
  assert.deepEqual(terminal, ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
  assert.equal(isTerminalState('TASK_UNREACHABLE'), false);
  assert.equal(isTerminalState('TASK_UNKNOWN'), false);
});

test('frameworks without PARTITION_AWARE are told TASK_LOST instead of the partition-aware states', () => {
  for (const s of ['TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'] as const) {
    assert.equal(stateForFramework(s, false), 'TASK_LOST');
    assert.equal(stateForFramework(s, true), s);
  }
  assert.equal(stateForFramework('TASK_FAILED', false), 'TASK_FAILED');
});

test('reasons use the v1 API strings, which say AGENT', () => {
  assert.ok(TASK_STATUS_REASONS.includes('REASON_AGENT_REMOVED'));
  assert.ok(TASK_STATUS_REASONS.includes('REASON_AGENT_DISCONNECTED'));
  assert.ok(!TASK_STATUS_REASONS.some((r) => r.includes('SLAVE')));
});

test('taskStatus leaves out the optional fields that are undefined', () => {
  const s = taskStatus({ task_id: { value: 't' }, state: 'TASK_LOST', source: 'SOURCE_MASTER', timestamp: 12.5, reason: 'REASON_RECONCILIATION', message: undefined, uuid: undefined });
  assert.deepEqual(s, { task_id: { value: 't' }, state: 'TASK_LOST', source: 'SOURCE_MASTER', timestamp: 12.5, reason: 'REASON_RECONCILIATION' });
  assert.ok(!('message' in s));
  assert.equal(validate({ name: 'ReconcileTasks', framework_id: FW, statuses: [s] }), undefined);
});

test('framework helpers read roles and capabilities with Mesos defaults', () => {
  assert.deepEqual(frameworkRoles(frameworkInfo), ['dev']);
  assert.deepEqual(frameworkRoles({ user: 'u', name: 'n' }), ['*']);
  assert.deepEqual(frameworkRoles({ user: 'u', name: 'n', role: 'ops', roles: ['ignored'] }), ['ops']);
  assert.equal(hasCapability(frameworkInfo, 'PARTITION_AWARE'), true);
  assert.equal(hasCapability({ user: 'u', name: 'n' }, 'PARTITION_AWARE'), false);
});

test('master-assigned ids have Mesos formats', () => {
  assert.equal(formatFrameworkId('abc', 7), 'abc-0007');
  assert.equal(formatFrameworkId('abc', 12345), 'abc-12345');
  assert.equal(formatOfferId('abc', 3), 'abc-O3');
  assert.equal(formatAgentId('abc', 0), 'abc-S0');
});

test('framework-chosen ids must be usable as a directory name', () => {
  assert.equal(checkIdValue('task-1.a_b'), undefined);
  assert.equal(checkIdValue(''), 'it is empty');
  assert.equal(checkIdValue('.'), "'.' is reserved");
  assert.equal(checkIdValue('..'), "'..' is reserved");
  assert.equal(checkIdValue('a/b'), "it contains '/' at position 1");
  assert.equal(checkIdValue('a\\b'), "it contains '\\' at position 1");
  assert.equal(checkIdValue('a\nb'), 'it contains the control character \\x0a at position 1');
  assert.equal(checkIdValue('x'.repeat(256)), 'it is longer than 255 characters');
  assert.equal(checkIdValue('x'.repeat(255)), undefined);
});

test('uuids are 16 raw bytes with a canonical text form', () => {
  const u = newUuid();
  assert.equal(u.length, 16);
  assert.equal((u[6]! >> 4), 4);
  const text = uuidToString(u);
  assert.match(text, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(uuidEquals(uuidFromString(text), u));
  assert.ok(!uuidEquals(newUuid(), u));
  assert.ok(!uuidEquals(undefined, u));
  assert.throws(() => uuidFromString('nope'), /not a UUID/);
});

test('bytes become base64 on JSON surfaces and back', () => {
  assert.equal(bytesToBase64(uuid), 'XRx6DgECAwQFBgcICQoLDA==');
  assert.deepEqual([...bytesFromBase64('XRx6DgECAwQFBgcICQoLDA==')], [...uuid]);
  const sub = new Uint8Array([9, 9, 1, 2, 3]).subarray(2);
  assert.equal(bytesToBase64(sub), 'AQID');
});

test('a schema for a plain object ignores unknown properties (TypeBox default, relied upon above)', () => {
  const s = Type.Object({ a: Type.String() });
  assert.equal((s as { additionalProperties?: unknown }).additionalProperties, undefined);
});
