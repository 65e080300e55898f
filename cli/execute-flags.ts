// mesos-execute's flags: Mesos's names and defaults (plus --framework_name and --trace), each
// value checked where it is parsed, so a bad one stops the command before it contacts anything.

import { ValidationError } from '../runtime/index.js';
import { checkIdValue, Resources } from '../protocol/index.js';
import {
  boolFlag,
  choiceFlag,
  customFlag,
  durationFlag,
  jsonFlag,
  parseList,
  parseMasterAddress,
  stringFlag,
  stringRecord,
  type CommandSpec,
} from './flags.js';
import { LOGGING_LEVELS } from './common.js';
import { parseTaskGroupJson, parseTaskJson } from './execute-task-json.js';

function taskName(raw: string): string {
  const problem = checkIdValue(raw);
  if (problem !== undefined) throw new ValidationError(`'${raw}' cannot be a task ID: ${problem}`);
  return raw;
}

function resources(raw: string): string {
  const r = Resources.parse(raw);
  if (r.isEmpty()) throw new ValidationError(`'${raw}' asks for no resources; a task needs some (e.g. cpus:0.1;mem:32)`);
  return raw;
}

function capabilities(raw: string): string[] {
  const list = parseList(raw);
  for (const c of list) if (c !== 'GPU_RESOURCES') throw new ValidationError(`'${c}' is not supported here (the only optional capability is GPU_RESOURCES)`);
  return list;
}

export const EXECUTE_FLAGS = {
  master: customFlag('The master: host:port or master@host:port.', parseMasterAddress, { required: true, requiredHint: 'the master to run on, e.g. --master=127.0.0.1:5050' }),
  name: customFlag('Name of the task, also its ID (required with --command).', taskName),
  command: stringFlag("The command to run: a shell command line, or with --no-shell a program and its arguments separated by spaces. One of --command, --task and --task_group is required."),
  task: jsonFlag("A TaskInfo in Mesos's JSON (health_check, check, uris, discovery, …), or file:///path/to/task.json; its agent_id is the offer's. Instead of --command.", parseTaskJson),
  task_group: jsonFlag("A TaskGroupInfo in Mesos's JSON ({\"tasks\": [TaskInfo, …]}), or file:///path/to/group.json, launched with LAUNCH_GROUP on a DEFAULT executor. Instead of --command.", parseTaskGroupJson),
  shell: boolFlag("Run --command with 'sh -c'.", { default: 'true' }),
  env: jsonFlag('Environment variables of the command, as a JSON object ({"NAME": "value"}) or file:///path/to/such.json.', stringRecord),
  resources: customFlag('Resources the task needs.', resources, { default: 'cpus:1;mem:128' }),
  role: stringFlag('Role the framework registers with.', { default: '*' }),
  framework_name: stringFlag("The framework's name, as the master and its web UI show it.", { default: 'mesos-execute instance' }),
  principal: stringFlag('Principal the framework registers with and authenticates as (default: DEFAULT_PRINCIPAL).'),
  secret: stringFlag("The principal's secret, proven to the master without being sent (default: DEFAULT_SECRET)."),
  checkpoint: boolFlag("Enable checkpointing for the framework, so that the task survives its agent's restart.", { default: 'false' }),
  partition_aware: boolFlag('Register as PARTITION_AWARE: hear TASK_UNREACHABLE/TASK_DROPPED/TASK_GONE instead of TASK_LOST.', { default: 'true' }),
  framework_capabilities: customFlag('Comma-separated optional framework capabilities; only GPU_RESOURCES.', capabilities),
  kill_after: durationFlag('Kill the task this long after it is running (e.g. 10secs, 2mins).'),
  logging_level: choiceFlag("Lowest level of the scheduler driver's log lines on stderr; WARNING or INFO show what it does.", LOGGING_LEVELS, { default: 'ERROR' }),
  api: choiceFlag("The scheduler API: v0 (the driver's actor protocol, traced by --trace) or v1 (the HTTP API at /api/v1/scheduler, as Mesos's own mesos-execute).", ['v0', 'v1'] as const, { default: 'v0' }),
  content_type: choiceFlag('With --api=v1, the media type of calls and events.', ['json', 'protobuf'] as const, { default: 'protobuf' }),
  trace: stringFlag('Append one JSON line per message sent, received or dropped to this file (render it with mesos-trace).', { env: true }),
  registration_backoff_factor: durationFlag("The scheduler driver's (re-)registration backoff: retry n waits up to this × 2ⁿ, capped at 1mins.", { default: '2secs' }),
  enable_test_endpoints: boolFlag("For tests: this process's runtime serves /__filters__ and /__connections__/break (fault injection from outside).", { default: 'false' }),
};

export const EXECUTE_SPEC = {
  name: 'mesos-execute',
  description:
    'Runs one command as a task on a mesos-ts cluster: registers a framework, launches the task on the first offer that fits --resources, prints every status update, and exits when the task reaches a terminal state — 0 whatever that state is (the last line says which), 1 on an error, as in Mesos. Every flag can also come from MESOS_<FLAG>, the command line winning.',
  flags: EXECUTE_FLAGS,
  env: true,
  examples: [
    "mesos-execute --master=127.0.0.1:5050 --name=hello --command='echo hello'",
    'mesos-execute --master=127.0.0.1:5050 --task=file:///path/to/task.json',
    "mesos-execute --master=127.0.0.1:5050 --name=sleeper --command='sleep 60' --kill_after=5secs --resources='cpus:0.5;mem:64'",
  ],
  // Exactly one thing to run, as Mesos's mesos-execute insists.
  check: (f) => {
    const given = [f.command !== undefined && '--command', f.task !== undefined && '--task', f.task_group !== undefined && '--task_group'].filter((x): x is string => x !== false);
    if (given.length > 1) return `${given.join(' and ')} cannot be used together: give one of them`;
    if (f.command !== undefined && f.name === undefined) return '--name is required (the name (and ID) of the task, e.g. --name=hello)';
    if (given.length === 0) return "--command is required (what to run, e.g. --command='echo hello'; or --task / --task_group with a TaskInfo / TaskGroupInfo in JSON)";
    return undefined;
  },
} satisfies CommandSpec<typeof EXECUTE_FLAGS>;
