// The master's launch and framework validation: each rule answers with the exact status the
// framework would see (state, reason, message), in Mesos's order, and a launch carries ids,
// executors and resources from one task to the next.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../protocol/resources.js';
import type { ExecutorInfo, FrameworkInfo, OfferID, TaskInfo } from '../../protocol/types.js';
import {
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
  type LaunchRejection,
  type OfferCheck,
  type OfferView,
} from '../../protocol/validation.js';

const FW = { value: 'M1-0000' };
const AGENT = { value: 'M1-S0' };

const scalars = (cpus: number, mem: number) => [
  { name: 'cpus', type: 'SCALAR' as const, scalar: { value: cpus } },
  { name: 'mem', type: 'SCALAR' as const, scalar: { value: mem } },
];

const task = (over: Partial<TaskInfo> = {}): TaskInfo => ({
  name: 'web',
  task_id: { value: 't1' },
  agent_id: AGENT,
  resources: scalars(1, 128),
  command: { value: 'sleep 10' },
  ...over,
});

const executor = (over: Partial<ExecutorInfo> = {}): ExecutorInfo => ({
  executor_id: { value: 'exec-1' },
  command: { value: './exec' },
  resources: scalars(0.5, 64),
  ...over,
});

const ctx = (over: Partial<LaunchContext> = {}): LaunchContext => ({
  framework_id: FW,
  agent_id: AGENT,
  allocation_role: 'dev',
  offered: Resources.parse('cpus:4;mem:1024;ports:[31000-32000]'),
  task_ids_in_use: new Set(),
  executors: new Map(),
  ...over,
});

const invalid = (message: string): LaunchRejection => ({ state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message });

// ---------------------------------------------------------------------------------------------
// Offers

const offers = new Map<string, OfferView>([
  ['O1', { framework_id: FW, agent_id: AGENT, allocation_info: { role: 'dev' } }],
  ['O2', { framework_id: FW, agent_id: AGENT, allocation_info: { role: 'dev' } }],
  ['O3', { framework_id: { value: 'M1-0001' }, agent_id: AGENT, allocation_info: { role: 'dev' } }],
  ['O4', { framework_id: FW, agent_id: { value: 'M1-S1' }, allocation_info: { role: 'dev' } }],
  ['O5', { framework_id: FW, agent_id: AGENT, allocation_info: { role: 'ops' } }],
]);

const offerCheck = (ids: string[], over: Partial<OfferCheck> = {}): OfferCheck => ({
  offer_ids: ids.map((value): OfferID => ({ value })),
  framework_id: FW,
  partition_aware: true,
  lookupOffer: (id) => offers.get(id),
  agentConnected: () => true,
  ...over,
});

const badOffers = (detail: string, state: 'TASK_DROPPED' | 'TASK_LOST' = 'TASK_DROPPED'): LaunchRejection => ({
  state,
  reason: 'REASON_INVALID_OFFERS',
  message: `Task launched with invalid offers: ${detail}`,
});

test('valid offers: known, of this framework, one agent, one role, agent connected', () => {
  assert.equal(validateOffers(offerCheck(['O1'])), undefined);
  assert.equal(validateOffers(offerCheck(['O1', 'O2'])), undefined);
});

test('an ACCEPT without offer ids is refused', () => {
  assert.deepEqual(validateOffers(offerCheck([])), badOffers('no offer ids were given'));
});

test('an offer listed twice is refused', () => {
  assert.deepEqual(validateOffers(offerCheck(['O1', 'O2', 'O1'])), badOffers('offer O1 is listed more than once'));
});

test('an offer that is used, rescinded or unknown is refused', () => {
  assert.deepEqual(validateOffers(offerCheck(['O1', 'O9'])), badOffers('offer O9 is no longer valid'));
});

test("another framework's offer is refused", () => {
  assert.deepEqual(validateOffers(offerCheck(['O3'])), badOffers('offer O3 belongs to framework M1-0001, not M1-0000'));
});

test('offers on different agents are refused', () => {
  assert.deepEqual(validateOffers(offerCheck(['O1', 'O4'])), badOffers('offers O1 and O4 are for different agents (M1-S0 and M1-S1)'));
});

test('offers allocated to different roles are refused', () => {
  assert.deepEqual(validateOffers(offerCheck(['O1', 'O5'])), badOffers('offers O1 and O5 are allocated to different roles (dev and ops)'));
});

test('offers on a disconnected agent are refused', () => {
  assert.deepEqual(validateOffers(offerCheck(['O1'], { agentConnected: () => false })), badOffers('agent M1-S0 is not connected'));
});

test('frameworks without PARTITION_AWARE get TASK_LOST for invalid offers', () => {
  assert.deepEqual(validateOffers(offerCheck(['O9'], { partition_aware: false })), badOffers('offer O9 is no longer valid', 'TASK_LOST'));
});

test('a LAUNCH operation must not carry an operation id', () => {
  assert.equal(validateLaunchOperation({ type: 'LAUNCH', launch: { task_infos: [] } }), undefined);
  assert.deepEqual(
    validateLaunchOperation({ type: 'LAUNCH', id: { value: 'op1' }, launch: { task_infos: [] } }),
    invalid("The LAUNCH operation sets 'id' (op1), but operation feedback is not supported for launches"),
  );
  assert.deepEqual(validateLaunchOperation({ type: 'LAUNCH' }), invalid("The LAUNCH operation has no 'launch' field"));
});

// ---------------------------------------------------------------------------------------------
// Tasks, one rule at a time

test('a well-formed command task is valid', () => {
  assert.equal(validateTask(task(), ctx()), undefined);
});

test('rejections become master-generated statuses without a uuid', () => {
  const s = rejectionStatus(invalid('Task uses no resources'), task(), 1700000000);
  assert.deepEqual(s, {
    task_id: { value: 't1' },
    state: 'TASK_ERROR',
    source: 'SOURCE_MASTER',
    reason: 'REASON_TASK_INVALID',
    message: 'Task uses no resources',
    agent_id: AGENT,
    timestamp: 1700000000,
  });
});

test('2. the task id must be a valid directory name', () => {
  assert.deepEqual(validateTask(task({ task_id: { value: '' } }), ctx()), invalid("Task ID '' is invalid: it is empty"));
  assert.deepEqual(validateTask(task({ task_id: { value: 'a/b' } }), ctx()), invalid("Task ID 'a/b' is invalid: it contains '/' at position 1"));
  assert.deepEqual(validateTask(task({ task_id: { value: '..' } }), ctx()), invalid("Task ID '..' is invalid: '..' is reserved"));
});

test("2. the task id must not be in use by the framework's active or unreachable tasks", () => {
  assert.deepEqual(
    validateTask(task(), ctx({ task_ids_in_use: new Set(['t1']) })),
    invalid("Task ID 't1' is already in use by another task of this framework"),
  );
});

test("3. the task's agent must be the offers' agent", () => {
  assert.deepEqual(
    validateTask(task({ agent_id: { value: 'M1-S9' } }), ctx()),
    invalid('Task is for agent M1-S9, but the offers are for agent M1-S0'),
  );
});

test('4. kill policy grace period and max completion time must not be negative', () => {
  assert.deepEqual(
    validateTask(task({ kill_policy: { grace_period: { nanoseconds: -1 } } }), ctx()),
    invalid("Task's kill policy has a negative grace period (-1 ns)"),
  );
  assert.equal(validateTask(task({ kill_policy: { grace_period: { nanoseconds: 0 } } }), ctx()), undefined);
  assert.deepEqual(
    validateTask(task({ max_completion_time: { nanoseconds: -5 } }), ctx()),
    invalid("Task's max_completion_time is negative (-5 ns)"),
  );
});

test('5. health checks and checks must be complete and non-negative', () => {
  const hc = (h: TaskInfo['health_check']) => validateTask(task({ health_check: h! }), ctx());
  assert.equal(hc({ type: 'COMMAND', command: { value: 'true' }, interval_seconds: 5 }), undefined);
  assert.equal(hc({ type: 'HTTP', http: { port: 8080, path: '/health' } }), undefined);
  assert.deepEqual(hc({}), invalid("Task's health check is invalid: it has no 'type'"));
  assert.deepEqual(hc({ type: 'COMMAND' }), invalid("Task's health check is invalid: it is of type COMMAND but has no 'command'"));
  assert.deepEqual(hc({ type: 'TCP' }), invalid("Task's health check is invalid: it is of type TCP but has no 'tcp'"));
  assert.deepEqual(hc({ type: 'TCP', tcp: { port: 1 }, timeout_seconds: -1 }), invalid("Task's health check is invalid: 'timeout_seconds' is negative (-1)"));
  assert.deepEqual(
    hc({ type: 'HTTP', http: { port: 80, scheme: 'ftp' } }),
    invalid("Task's health check is invalid: its HTTP scheme 'ftp' is neither 'http' nor 'https'"),
  );
  assert.deepEqual(
    hc({ type: 'HTTP', http: { port: 80, path: 'health' } }),
    invalid("Task's health check is invalid: its HTTP path 'health' does not start with '/'"),
  );
  assert.deepEqual(
    hc({ type: 'COMMAND', command: { shell: false } }),
    invalid("Task's health check is invalid: its command is invalid: it has no 'value' (the executable to run)"),
  );
  assert.deepEqual(
    validateTask(task({ check: { type: 'COMMAND' } }), ctx()),
    invalid("Task's check is invalid: it is of type COMMAND but has no 'command'"),
  );
  assert.equal(validateTask(task({ check: { type: 'COMMAND', command: { command: { value: 'true' } } } }), ctx()), undefined);
});

test('5b. checks, health checks and URIs are bounded: a day at most, consecutive_failures 1 to a million, 64 URIs inside the sandbox', () => {
  const hc = (h: TaskInfo['health_check']) => validateTask(task({ health_check: h! }), ctx());
  assert.deepEqual(hc({ type: 'TCP', tcp: { port: 1 }, interval_seconds: 1e9 }), invalid("Task's health check is invalid: 'interval_seconds' is 1000000000, more than 86400 seconds"));
  assert.deepEqual(hc({ type: 'TCP', tcp: { port: 1 }, consecutive_failures: 0 }), invalid("Task's health check is invalid: 'consecutive_failures' is 0; it must be between 1 and 1000000"));
  const uris = (list: NonNullable<NonNullable<TaskInfo['command']>['uris']>) => validateTask(task({ command: { value: 'true', uris: list } }), ctx());
  assert.equal(uris([{ value: 'http://example.com/a.tgz', extract: true, output_file: 'dir/a.tgz' }]), undefined);
  assert.deepEqual(uris(Array.from({ length: 65 }, () => ({ value: '/a' }))), invalid("Task's command is invalid: it has 65 URIs, more than the 64 allowed"));
  assert.deepEqual(uris([{ value: 'x'.repeat(5000) }]), invalid("Task's command is invalid: a URI is 5000 characters long, more than the 4096 allowed"));
  assert.deepEqual(uris([{ value: '/a', output_file: '../escape' }]), invalid("Task's command is invalid: URI '/a' has output_file '../escape', which is not a relative path inside the sandbox"));
});

test('6. a task must use some resources', () => {
  const { resources: _r, ...noResources } = task();
  assert.deepEqual(validateTask(noResources, ctx()), invalid('Task uses no resources'));
  assert.deepEqual(validateTask(task({ resources: [] }), ctx()), invalid('Task uses no resources'));
  assert.deepEqual(validateTask(task({ resources: scalars(0, 0) }), ctx()), invalid('Task uses no resources'));
});

test('6. task resources must be valid', () => {
  const bad = (resources: TaskInfo['resources']) => validateTask(task({ resources: resources! }), ctx());
  assert.deepEqual(bad([{ name: '', type: 'SCALAR', scalar: { value: 1 } }]), invalid("Task's resources are invalid: a resource has an empty name"));
  assert.deepEqual(bad([{ name: 'cpus', type: 'SCALAR' }]), invalid("Task's resources are invalid: 'cpus' is of type SCALAR but has no 'scalar' value"));
  assert.deepEqual(
    bad([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, set: { item: ['a'] } }]),
    invalid("Task's resources are invalid: 'cpus' is of type SCALAR but carries a value of another type"),
  );
  assert.deepEqual(bad([{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }]), invalid("Task's resources are invalid: 'cpus' has a negative value (-1)"));
  assert.deepEqual(
    bad([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31005, end: 31000 }] } }]),
    invalid("Task's resources are invalid: Invalid resource 'ports': range 31005-31000 has begin > end"),
  );
  assert.deepEqual(
    bad([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 5 }, { begin: 4, end: 8 }] } }]),
    invalid("Task's resources are invalid: Invalid resource 'ports': overlapping ranges 1-5 and 4-8"),
  );
  assert.deepEqual(
    bad([{ name: 'gpus_ids', type: 'SET', set: { item: ['a', 'a'] } }]),
    invalid("Task's resources are invalid: Invalid resource 'gpus_ids': duplicate set items"),
  );
});

test('6. task resources use one allocation role, the offers\', and do not mix revocable and non-revocable', () => {
  assert.deepEqual(
    validateTask(task({ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: 'ops' } }] }), ctx()),
    invalid("Task's resources are invalid: 'cpus' is allocated to role 'ops', but the offers are allocated to role 'dev'"),
  );
  assert.equal(validateTask(task({ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: 'dev' } }] }), ctx()), undefined);
  assert.deepEqual(
    validateTask(
      task({
        resources: [
          { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
          { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, revocable: {} },
        ],
      }),
      ctx(),
    ),
    invalid("Task's resources are invalid: 'cpus' mixes revocable and non-revocable resources"),
  );
});

test('6. a persistent volume id is used at most once', () => {
  const volume = (id: string) => ({
    name: 'disk',
    type: 'SCALAR' as const,
    scalar: { value: 10 },
    reservations: [{ type: 'DYNAMIC' as const, role: 'dev' }],
    disk: { persistence: { id }, volume: { container_path: 'data', mode: 'RW' as const } },
  });
  assert.deepEqual(
    validateTask(task({ resources: [...scalars(1, 1), volume('v1'), volume('v1')] }), ctx()),
    invalid("Task's resources are invalid: persistent volume 'v1' is used more than once"),
  );
});

test('7. the command must have something to run and well-formed environment variables', () => {
  const cmd = (command: TaskInfo['command']) => validateTask(task({ command: command! }), ctx());
  assert.deepEqual(cmd({}), invalid("Task's command is invalid: it has no 'value' to run with the shell"));
  assert.equal(cmd({ shell: false, value: '/bin/sleep', arguments: ['sleep', '1'] }), undefined);
  assert.deepEqual(
    cmd({ value: 'x', environment: { variables: [{ name: 'A' }] } }),
    invalid("Task's command is invalid: environment variable 'A' has no value"),
  );
  assert.deepEqual(
    cmd({ value: 'x', environment: { variables: [{ name: 'S', type: 'SECRET' }] } }),
    invalid("Task's command is invalid: environment variable 'S' is a SECRET, which is not supported"),
  );
  assert.deepEqual(cmd({ value: 'x', environment: { variables: [{ name: '', value: 'v' }] } }), invalid("Task's command is invalid: an environment variable has an empty name"));
  assert.deepEqual(cmd({ value: 'x', uris: [{ value: '' }] }), invalid("Task's command is invalid: a URI is empty"));
});

test('8. limits: only cpus and mem, at least the request, on an agent that supports them', () => {
  const capable = ctx({ agent_capabilities: [{ type: 'TASK_RESOURCE_LIMITS' }] });
  assert.equal(validateTask(task({ limits: { cpus: { value: 2 }, mem: { value: 256 } } }), capable), undefined);
  assert.deepEqual(
    validateTask(task({ limits: { disk: { value: 2 } } }), capable),
    invalid("Task sets a limit for 'disk'; only 'cpus' and 'mem' may have limits"),
  );
  assert.deepEqual(
    validateTask(task({ limits: { mem: { value: 64 } } }), capable),
    invalid("Task's limit for 'mem' (64) is below its request (128)"),
  );
  assert.deepEqual(
    validateTask(task({ limits: { cpus: { value: 2 } } }), ctx()),
    invalid('Task sets resource limits, but agent M1-S0 does not support them (no TASK_RESOURCE_LIMITS capability)'),
  );
});

test('9. exactly one of command and executor', () => {
  const { command: _c, ...neither } = task();
  assert.deepEqual(validateTask(neither, ctx()), invalid("Task must set exactly one of 'command' and 'executor', but it sets neither"));
  assert.deepEqual(
    validateTask(task({ executor: executor() }), ctx()),
    invalid("Task must set exactly one of 'command' and 'executor', but it sets both"),
  );
});

const executorTask = (e: ExecutorInfo, over: Partial<TaskInfo> = {}): TaskInfo => {
  const { command: _c, ...rest } = task(over);
  return { ...rest, executor: e };
};

test('10. an executor task is valid, and its executor gets the framework id', () => {
  const r = validateLaunch([executorTask(executor())], ctx());
  const o = r.outcomes[0]!;
  assert.equal(o.ok, true);
  if (o.ok) {
    assert.equal(o.launch_executor, true);
    assert.deepEqual(o.task.executor?.framework_id, FW);
  }
});

test('10. the executor must be CUSTOM, have a command, a valid id and this framework', () => {
  const check = (e: ExecutorInfo) => validateTask(executorTask(e), ctx());
  assert.deepEqual(
    check(executor({ type: 'DEFAULT' })),
    invalid("Task's executor 'exec-1' has type DEFAULT; a task launched on its own needs a CUSTOM executor"),
  );
  const { command: _c, ...noCommand } = executor();
  assert.deepEqual(check(noCommand), invalid("Task's executor 'exec-1' has no 'command'"));
  assert.deepEqual(check(executor({ command: {} })), invalid("Task's executor 'exec-1' has an invalid command: it has no 'value' to run with the shell"));
  assert.deepEqual(check(executor({ executor_id: { value: 'a\\b' } })), invalid("Task's executor ID 'a\\b' is invalid: it contains '\\' at position 1"));
  assert.deepEqual(
    check(executor({ framework_id: { value: 'M1-0042' } })),
    invalid("Task's executor 'exec-1' names framework M1-0042, but the task is launched by framework M1-0000"),
  );
});

test('10. executor resources are valid, not shared, and share no persistent volume with the task', () => {
  const check = (e: ExecutorInfo, over: Partial<TaskInfo> = {}) => validateTask(executorTask(e, over), ctx());
  assert.deepEqual(
    check(executor({ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: -2 } }] })),
    invalid("Task's executor 'exec-1' has invalid resources: 'cpus' has a negative value (-2)"),
  );
  const vol = {
    name: 'disk',
    type: 'SCALAR' as const,
    scalar: { value: 10 },
    reservations: [{ type: 'DYNAMIC' as const, role: 'dev' }],
    disk: { persistence: { id: 'v1' }, volume: { container_path: 'data' } },
  };
  assert.deepEqual(
    check(executor({ resources: [...scalars(0.1, 32), { ...vol, shared: {} }] })),
    invalid("Task's executor 'exec-1' uses shared resources, which executors may not"),
  );
  assert.deepEqual(
    check(executor({ resources: [...scalars(0.1, 32), vol] }), { resources: [...scalars(1, 1), vol] }),
    invalid("Task and its executor 'exec-1' both use persistent volume 'v1'"),
  );
});

test('10. an executor already on the agent must be identical; its resources are not charged again', () => {
  const running = new Map([['exec-1', { ...executor(), framework_id: FW }]]);
  const same = validateLaunch([executorTask(executor())], ctx({ executors: running }));
  assert.equal(same.outcomes[0]!.ok && same.outcomes[0]!.launch_executor, false);
  assert.equal(same.used.cpus(), 1);
  assert.deepEqual(
    validateTask(executorTask(executor({ name: 'renamed' })), ctx({ executors: running })),
    invalid("Task's executor 'exec-1' differs from the executor 'exec-1' this framework already has on agent M1-S0"),
  );
});

test('11. the task must fit in what is left of the offers', () => {
  assert.deepEqual(
    validateTask(task({ resources: scalars(8, 128) }), ctx()),
    invalid('Task uses cpus:8; mem:128, more than the offers have left: cpus:4; mem:1024; ports:[31000-32000]'),
  );
  assert.deepEqual(
    validateTask(executorTask(executor(), { resources: scalars(3.75, 128) }), ctx()),
    invalid('Task and its new executor use cpus:4.25; mem:192, more than the offers have left: cpus:4; mem:1024; ports:[31000-32000]'),
  );
  assert.equal(validateTask(task({ resources: [...scalars(1, 1), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } }] }), ctx()), undefined);
  assert.match(
    validateTask(task({ resources: [...scalars(1, 1), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 80, end: 80 }] } }] }), ctx())?.message ?? '',
    /^Task uses cpus:1; mem:1; ports:\[80-80\], more than the offers have left/,
  );
});

test('11. reserved resources in a task must be offered as reserved', () => {
  const offered = Resources.parse('cpus(dev):2;mem:512');
  assert.equal(validateTask(task({ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, reservations: [{ type: 'STATIC', role: 'dev' }] }, ...scalars(0, 1).slice(1)] }), ctx({ offered })), undefined);
  assert.match(validateTask(task({ resources: scalars(2, 1) }), ctx({ offered }))?.message ?? '', /^Task uses cpus:2; mem:1, more than the offers have left/);
});

// ---------------------------------------------------------------------------------------------
// A whole launch

test('the checks run in order: the first failing rule is the one reported', () => {
  const t = task({ task_id: { value: 'a/b' }, agent_id: { value: 'X' }, resources: [] });
  assert.equal(validateTask(t, ctx())?.message, "Task ID 'a/b' is invalid: it contains '/' at position 1");
  assert.equal(validateTask({ ...t, task_id: { value: 'ok' } }, ctx())?.message, 'Task is for agent X, but the offers are for agent M1-S0');
});

test('tasks of one launch see the ids, resources and executors of the tasks before them', () => {
  const r = validateLaunch(
    [
      task({ task_id: { value: 'a' }, resources: scalars(2, 256) }),
      task({ task_id: { value: 'a' }, resources: scalars(1, 128) }), // duplicate id
      task({ task_id: { value: 'b' }, resources: scalars(3, 128) }), // does not fit anymore
      executorTask(executor(), { task_id: { value: 'c' }, resources: scalars(1, 64) }), // new executor: 1.5 cpus, 128 mem
      executorTask(executor(), { task_id: { value: 'd' }, resources: scalars(0.25, 64) }), // same executor: not charged again
      executorTask(executor({ name: 'other' }), { task_id: { value: 'e' }, resources: scalars(0.1, 1) }), // differs from the one just launched
    ],
    ctx(),
  );
  const summary = r.outcomes.map((o) => (o.ok ? `${o.task.task_id.value}:ok${o.launch_executor ? '+executor' : ''}` : `${o.task.task_id.value}:${o.rejection.message}`));
  assert.deepEqual(summary, [
    'a:ok',
    "a:Task ID 'a' is already in use by another task of this framework",
    'b:Task uses cpus:3; mem:128, more than the offers have left: cpus:2; mem:768; ports:[31000-32000]',
    'c:ok+executor',
    'd:ok',
    "e:Task's executor 'exec-1' differs from the executor 'exec-1' this framework already has on agent M1-S0",
  ]);
  assert.equal(r.used.cpus(), 3.75);
  assert.equal(r.used.mem(), 448);
  assert.equal(r.remaining.cpus(), 0.25);
  assert.equal(r.remaining.mem(), 576);
  assert.deepEqual(r.remaining.ports(), [{ begin: 31000, end: 32000 }]);
  // What the master records for a task carries the offers' allocation role.
  const first = r.outcomes[0]!;
  assert.ok(first.ok && first.resources.toJSON().every((x) => x.allocation_info?.role === 'dev'));
});

test('offered resources that already carry allocation_info are used as they are', () => {
  const offered = Resources.parse('cpus:4;mem:1024').allocate('dev');
  const r = validateLaunch([task()], ctx({ offered }));
  assert.equal(r.outcomes[0]!.ok, true);
  assert.equal(r.remaining.cpus(), 3);
});

test('executor resource warning below 0.01 cpus or 32 MB', () => {
  assert.equal(executorResourceWarning(executor()), undefined);
  assert.equal(
    executorResourceWarning(executor({ resources: scalars(0.001, 16) })),
    "Executor 'exec-1' uses 0.001 cpus and 16 MB of memory; at least 0.01 cpus and 32 MB are recommended",
  );
});

test('deepEqual treats absent and undefined alike and compares bytes', () => {
  assert.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(deepEqual({ d: new Uint8Array([1, 2]) }, { d: new Uint8Array([1, 2]) }));
  assert.ok(!deepEqual({ d: new Uint8Array([1, 2]) }, { d: new Uint8Array([1, 3]) }));
  assert.ok(!deepEqual([1, 2], { 0: 1, 1: 2 }));
  assert.ok(!deepEqual({ a: [1] }, { a: [1, 2] }));
});

// ---------------------------------------------------------------------------------------------
// Frameworks and roles

const fw = (over: Partial<FrameworkInfo> = {}): FrameworkInfo => ({ user: 'alice', name: 'smoke', ...over });

test('role names', () => {
  for (const ok of ['*', 'dev', 'eng/frontend', 'a.b', 'team-1']) assert.equal(checkRole(ok), undefined, ok);
  assert.equal(checkRole(''), 'it is empty');
  assert.equal(checkRole('a b'), 'it contains a space at position 1');
  assert.equal(checkRole('a\tb'), 'it contains a whitespace or control character at position 1');
  assert.equal(checkRole('a\\b'), "it contains '\\' at position 1");
  assert.equal(checkRole('/a'), "it has an empty segment (leading, trailing or doubled '/')");
  assert.equal(checkRole('a//b'), "it has an empty segment (leading, trailing or doubled '/')");
  assert.equal(checkRole('a/'), "it has an empty segment (leading, trailing or doubled '/')");
  assert.equal(checkRole('a/..'), "'..' is not allowed as a segment");
  assert.equal(checkRole('.'), "'.' is not allowed as a segment");
  assert.equal(checkRole('a/*'), "'*' is only allowed as the whole role");
  assert.equal(checkRole('-a'), "segment '-a' starts with '-'");
});

test('a framework uses role without MULTI_ROLE and roles with it', () => {
  assert.equal(validateFrameworkInfo(fw()), undefined);
  assert.equal(validateFrameworkInfo(fw({ role: 'dev' })), undefined);
  assert.equal(validateFrameworkInfo(fw({ roles: ['a', 'b'], capabilities: [{ type: 'MULTI_ROLE' }] })), undefined);
  assert.equal(
    validateFrameworkInfo(fw({ roles: ['a'] })),
    "FrameworkInfo sets 'roles' without the MULTI_ROLE capability (use 'role', or add the capability)",
  );
  assert.equal(
    validateFrameworkInfo(fw({ role: 'a', capabilities: [{ type: 'MULTI_ROLE' }] })),
    "FrameworkInfo sets 'role' with the MULTI_ROLE capability (use 'roles')",
  );
  assert.equal(validateFrameworkInfo(fw({ role: 'a b' })), "Role 'a b' is invalid: it contains a space at position 1");
  assert.equal(
    validateFrameworkInfo(fw({ roles: ['a', 'a'], capabilities: [{ type: 'MULTI_ROLE' }] })),
    "Role 'a' is listed more than once in 'roles'",
  );
});

test("a framework's roles must be whitelisted when the master has --roles", () => {
  const opts = { allowed_roles: new Set(['dev']) };
  assert.equal(validateFrameworkInfo(fw({ role: 'dev' }), opts), undefined);
  assert.equal(validateFrameworkInfo(fw(), opts), undefined);
  assert.equal(validateFrameworkInfo(fw({ role: 'ops' }), opts), "Role 'ops' is not one of the roles this master allows (--roles)");
});

test('framework id, failover timeout and root submissions', () => {
  assert.equal(validateFrameworkInfo(fw({ id: { value: 'a/b' } })), "Framework ID 'a/b' is invalid: it contains '/' at position 1");
  assert.equal(validateFrameworkInfo(fw({ failover_timeout: 604800 })), undefined);
  assert.equal(validateFrameworkInfo(fw({ failover_timeout: -1 })), 'failover_timeout -1 is out of range (0 to 9223372036 seconds)');
  assert.equal(validateFrameworkInfo(fw({ failover_timeout: 1e17 })), 'failover_timeout 100000000000000000 is out of range (0 to 9223372036 seconds)');
  assert.equal(validateFrameworkInfo(fw({ user: 'root' })), undefined);
  assert.equal(validateFrameworkInfo(fw({ user: 'root' }), { root_submissions: false }), "User 'root' may not run frameworks on this master (--root_submissions=false)");
});
