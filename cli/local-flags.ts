// mesos-local's flags: its own (how many agents, where to write) plus the master's scheduling
// flags and the agents' machine flags, which it passes through to those processes.

import { choiceFlag, intFlag, ipFlag, portFlag, stringFlag, type CommandSpec, type FlagSet } from './flags.js';
import { MASTER_FLAGS } from './master-flags.js';
import { AGENT_MACHINE_FLAGS } from './agent-flags.js';
import { LOGGING_LEVELS } from './common.js';

// The master's scheduling flags pass through to the master; the rest of its flags (where it
// listens, its logs and traces) are mesos-local's to decide.
export const MASTER_PASS_THROUGH = [
  'allocation_interval',
  'agent_ping_timeout',
  'max_agent_ping_timeouts',
  'agent_reregister_timeout',
  'offer_timeout',
  'max_completed_frameworks',
  'max_completed_tasks_per_framework',
  'max_unreachable_tasks_per_framework',
  'roles',
  'weights',
  'role_policies',
  'min_allocatable_resources',
  'fair_sharing_excluded_resource_names',
  'root_submissions',
] as const satisfies readonly (keyof typeof MASTER_FLAGS)[];
export const AGENT_PASS_THROUGH = (Object.keys(AGENT_MACHINE_FLAGS) as (keyof typeof AGENT_MACHINE_FLAGS)[]).filter((n) => n !== 'destroy_executors_on_stop');

const passThrough: FlagSet = {};
for (const n of MASTER_PASS_THROUGH) passThrough[n] = { ...MASTER_FLAGS[n], help: `Master: ${MASTER_FLAGS[n].help}` };
for (const n of AGENT_PASS_THROUGH) passThrough[n] = { ...AGENT_MACHINE_FLAGS[n], help: `Each agent: ${AGENT_MACHINE_FLAGS[n].help}` };

export const LOCAL_FLAGS = {
  num_agents: intFlag('How many agents to start.', { min: 0, max: 64 }, { default: '1' }),
  num_masters: intFlag('How many masters to start; more than one also start a ZooKeeper (Debian\'s zookeeper package) on a free port, and the masters elect a leader through it.', { min: 1, max: 9 }, { default: '1' }),
  ip: ipFlag('IP address every process listens on.', { default: '127.0.0.1' }),
  port: portFlag("The master's port; 0 picks a free one. Agents always take free ports.", { default: '5050' }),
  work_dir: stringFlag("Where the run keeps the agents' sandboxes and every process's log: used as is when new or empty, else a fresh folder is made inside it (default: a new folder under the OS temp dir)."),
  trace_dir: stringFlag('Turn tracing on in every process (master, agents, executors), writing one <process>.trace.jsonl per process here; render them with mesos-trace.'),
  logging_level: choiceFlag("Lowest level of the processes' log lines (they go to <process>.log in the run's folder).", LOGGING_LEVELS, { default: 'INFO' }),
  ...passThrough,
};

export const LOCAL_SPEC = {
  name: 'mesos-local',
  description:
    'Runs a master and --num_agents agents on this machine, each as its own process, and waits until every agent has registered. Flags marked Master: or Each agent: are passed to those processes. Ctrl-C stops them all.',
  flags: LOCAL_FLAGS,
  env: true,
  examples: [
    'mesos-local --num_agents=2',
    "mesos-local --num_agents=3 --port=0 --resources='cpus:2;mem:1024' --trace_dir=./traces",
  ],
} satisfies CommandSpec<typeof LOCAL_FLAGS>;
