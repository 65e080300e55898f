// A known trace for the mesos-trace tests: one framework launching two tasks through the master,
// one agent and its executor, written as four runtimes' files with skewed clocks, one dropped
// StatusUpdate (retried) and a truncated last line where the executor was killed mid-write.

export const T0 = 1763719081000;
export const FW = '4f2c9e1a-7d3b-4c55-9a1e-2b8f0c6d1e77-0000';
export const AGENT = '4f2c9e1a-7d3b-4c55-9a1e-2b8f0c6d1e77-S0';

export const SCHED_RT = '127.0.0.1:40001';
export const MASTER_RT = '127.0.0.1:5050';
export const AGENT_RT = '127.0.0.1:5051';
export const EXEC_RT = '127.0.0.1:40002';

export const SCHEDULER = `scheduler-8d1f3b2c-5a6e-4f70-9b21-c3d4e5f60718@${SCHED_RT}`;
export const MASTER = `master@${MASTER_RT}`;
export const AGENT_PID = `agent(1)@${AGENT_RT}`;
export const EXECUTOR = `executor(1)@${EXEC_RT}`;

/** How far each runtime's clock is off; the agent's runs 1 ms slow. */
const SKEW: Record<string, number> = { [SCHED_RT]: 0, [MASTER_RT]: 0, [AGENT_RT]: -1, [EXEC_RT]: 0.2 };

interface Flow {
  id: string;
  cause: string | null;
  name: string;
  from: string;
  to: string;
  /** True times, in ms after T0. */
  send: number;
  recv?: number;
  drop?: string;
  task?: string;
  fw?: boolean;
  agent?: boolean;
  bytes: number;
}

const runtimeOf = (pid: string): string => pid.slice(pid.lastIndexOf('@') + 1);

/** The flow in the order it happened. */
export const FLOW: readonly Flow[] = [
  { id: 's1.1', cause: null, name: 'RegisterFramework', from: SCHEDULER, to: MASTER, send: 0, recv: 1.2, bytes: 212 },
  { id: 'm1.1', cause: 's1.1', name: 'FrameworkRegistered', from: MASTER, to: SCHEDULER, send: 1.5, recv: 2.4, fw: true, bytes: 118 },
  { id: 'm1.2', cause: 's1.1', name: '_Allocate', from: MASTER, to: MASTER, send: 1.6, recv: 1.7, bytes: 0 },
  { id: 'm1.3', cause: 'm1.2', name: 'ResourceOffers', from: MASTER, to: SCHEDULER, send: 2.0, recv: 3.1, fw: true, agent: true, bytes: 405 },
  { id: 's1.2', cause: 'm1.3', name: 'Accept', from: SCHEDULER, to: MASTER, send: 4.0, recv: 5.0, fw: true, agent: true, bytes: 530 },
  // RunTask takes 0.4 ms, less than the agent's clock error: its recv line reads earlier than its send.
  { id: 'm1.4', cause: 's1.2', name: 'RunTask', from: MASTER, to: AGENT_PID, send: 5.5, recv: 5.9, task: 'task-1', fw: true, agent: true, bytes: 143 },
  { id: 'm1.5', cause: 's1.2', name: 'RunTask', from: MASTER, to: AGENT_PID, send: 5.6, recv: 6.1, task: 'task-2', fw: true, agent: true, bytes: 143 },
  { id: 'a1.1', cause: 'm1.5', name: 'StatusUpdate', from: AGENT_PID, to: MASTER, send: 6.5, recv: 7.2, task: 'task-2', fw: true, agent: true, bytes: 260 },
  { id: 'm1.6', cause: 'a1.1', name: 'StatusUpdate', from: MASTER, to: SCHEDULER, send: 7.5, recv: 8.3, task: 'task-2', fw: true, agent: true, bytes: 260 },
  { id: 'e1.1', cause: null, name: 'RegisterExecutor', from: EXECUTOR, to: AGENT_PID, send: 40, recv: 40.6, fw: true, bytes: 96 },
  { id: 'a1.2', cause: 'e1.1', name: 'ExecutorRegistered', from: AGENT_PID, to: EXECUTOR, send: 41, recv: 41.5, fw: true, agent: true, bytes: 310 },
  { id: 'a1.3', cause: 'e1.1', name: 'RunTask', from: AGENT_PID, to: EXECUTOR, send: 41.1, recv: 41.8, task: 'task-1', fw: true, bytes: 143 },
  { id: 'e1.2', cause: 'a1.3', name: 'StatusUpdate', from: EXECUTOR, to: AGENT_PID, send: 42, recv: 42.5, task: 'task-1', fw: true, bytes: 250 },
  { id: 'a1.4', cause: 'e1.2', name: 'StatusUpdate', from: AGENT_PID, to: MASTER, send: 43, recv: 43.9, task: 'task-1', fw: true, agent: true, bytes: 260 },
  { id: 'm1.7', cause: 'a1.4', name: 'StatusUpdate', from: MASTER, to: SCHEDULER, send: 44.2, recv: 45, task: 'task-1', fw: true, agent: true, bytes: 260 },
  { id: 's1.3', cause: 'm1.7', name: 'StatusUpdateAcknowledgement', from: SCHEDULER, to: MASTER, send: 46, recv: 46.8, task: 'task-1', fw: true, agent: true, bytes: 120 },
  { id: 'm1.8', cause: 's1.3', name: 'StatusUpdateAcknowledgement', from: MASTER, to: AGENT_PID, send: 47, recv: 47.5, task: 'task-1', fw: true, agent: true, bytes: 120 },
  { id: 'a1.5', cause: 'm1.8', name: 'StatusUpdateAcknowledgement', from: AGENT_PID, to: EXECUTOR, send: 48, recv: 48.4, task: 'task-1', fw: true, agent: true, bytes: 120 },
  // TASK_FINISHED: sent when the task's process exits, outside any handler.
  { id: 'e1.3', cause: null, name: 'StatusUpdate', from: EXECUTOR, to: AGENT_PID, send: 1040, recv: 1040.5, task: 'task-1', fw: true, bytes: 250 },
  { id: 'a1.6', cause: 'e1.3', name: 'StatusUpdate', from: AGENT_PID, to: MASTER, send: 1041, drop: 'connection_lost', task: 'task-1', fw: true, agent: true, bytes: 260 },
  { id: 'a1.7', cause: 'e1.3', name: '_StatusUpdateRetry', from: AGENT_PID, to: AGENT_PID, send: 1051, recv: 1051.1, task: 'task-1', bytes: 0 },
  { id: 'a1.8', cause: 'a1.7', name: 'StatusUpdate', from: AGENT_PID, to: MASTER, send: 1051.3, recv: 1052.2, task: 'task-1', fw: true, agent: true, bytes: 260 },
  { id: 'm1.9', cause: 'a1.8', name: 'StatusUpdate', from: MASTER, to: SCHEDULER, send: 1052.5, recv: 1053.4, task: 'task-1', fw: true, agent: true, bytes: 260 },
  { id: 's1.4', cause: 'm1.9', name: 'StatusUpdateAcknowledgement', from: SCHEDULER, to: MASTER, send: 1054, recv: 1054.8, task: 'task-1', fw: true, agent: true, bytes: 120 },
  { id: 'm1.10', cause: 's1.4', name: 'StatusUpdateAcknowledgement', from: MASTER, to: AGENT_PID, send: 1055, recv: 1055.6, task: 'task-1', fw: true, agent: true, bytes: 120 },
  // The executor's recv line for this one is the truncated last line of its file.
  { id: 'a1.9', cause: 'm1.10', name: 'StatusUpdateAcknowledgement', from: AGENT_PID, to: EXECUTOR, send: 1056, recv: 1056.4, task: 'task-1', fw: true, agent: true, bytes: 120 },
];

export interface FixtureFiles {
  /** File name (e.g. 'master.jsonl') to content, in the order a user would list them. */
  readonly files: ReadonlyMap<string, string>;
}

const FILE_OF: Record<string, string> = {
  [SCHED_RT]: 'scheduler.jsonl',
  [MASTER_RT]: 'master.jsonl',
  [AGENT_RT]: 'agent.jsonl',
  [EXEC_RT]: 'executor.jsonl',
};

/** Writes the flow as each runtime would: its own sends, receives and drops, on its own clock. */
export function fixtureFiles(): Map<string, string> {
  const lines = new Map<string, { ts: number; text: string }[]>();
  const emit = (runtime: string, trueTime: number, dir: string, f: Flow, extra: Record<string, unknown> = {}): void => {
    const ts = Math.round((T0 + trueTime + (SKEW[runtime] ?? 0)) * 1000) / 1000;
    const line: Record<string, unknown> = {
      ts, runtime, dir, from: f.from, to: f.to, name: f.name, id: f.id, cause: f.cause, bytes: f.bytes, ...extra,
    };
    if (f.fw === true) line['framework_id'] = FW;
    if (f.task !== undefined) line['task_id'] = f.task;
    if (f.agent === true) line['agent_id'] = AGENT;
    const list = lines.get(runtime) ?? [];
    list.push({ ts, text: JSON.stringify(line) });
    lines.set(runtime, list);
  };
  for (const f of FLOW) {
    emit(runtimeOf(f.from), f.send, 'send', f);
    if (f.drop !== undefined) emit(runtimeOf(f.from), f.send + 0.1, 'drop', f, { reason: f.drop });
    if (f.recv !== undefined) emit(runtimeOf(f.to), f.recv, 'recv', f);
  }
  const files = new Map<string, string>();
  for (const runtime of [SCHED_RT, MASTER_RT, AGENT_RT, EXEC_RT]) {
    const texts = (lines.get(runtime) ?? []).sort((a, b) => a.ts - b.ts).map((l) => l.text);
    let content = `${texts.join('\n')}\n`;
    if (runtime === EXEC_RT) {
      // Killed mid-write: the last line stops halfway and has no newline.
      const last = texts[texts.length - 1]!;
      content = `${texts.slice(0, -1).join('\n')}\n${last.slice(0, Math.floor(last.length / 2))}`;
    }
    files.set(FILE_OF[runtime]!, content);
  }
  return files;
}
