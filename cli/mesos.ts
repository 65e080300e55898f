#!/usr/bin/env node
// mesos: the day-to-day command, as Mesos ships one — agents, frameworks and tasks of a running
// master as tables (or --json), a task's sandbox log (followed with --follow), an operator's
// task kill (POST /tasks/kill) and framework teardown. It reads only the master's HTTP
// endpoints; sandboxes are read through the master's /webui/agent proxy, so only the master's
// port needs to be reachable.

import { Command, Option } from 'commander';
import { mesosStyleHelp } from './flags.js';
import { httpClient, HttpClientError, type HttpClient } from './http-client.js';
import { versionLine } from './version.js';

class CliError extends Error {}

interface V0Task {
  id: string;
  name: string;
  state: string;
  slave_id: string;
  framework_id: string;
  statuses?: { state: string; timestamp: number }[];
}
interface V0Framework {
  id: string;
  name: string;
  active: boolean;
  role?: string;
  user?: string;
  tasks: V0Task[];
  completed_tasks: V0Task[];
  unreachable_tasks?: V0Task[];
  used_resources: Record<string, number>;
}
interface V0State {
  slaves: { id: string; hostname: string; port: number; active: boolean; resources: Record<string, number>; used_resources: Record<string, number> }[];
  frameworks: V0Framework[];
  completed_frameworks: V0Framework[];
}

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

function masterUrl(raw: string, http: HttpClient): string {
  let text = raw.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const at = text.indexOf('@');
  if (at >= 0) text = text.slice(at + 1);
  if (!/^[^:\s/]+:\d{1,5}$/.test(text)) throw new CliError(`--master: '${raw}' is not host:port (e.g. 127.0.0.1:5050)`);
  return raw.trim().startsWith('https://') ? `https://${text}` : http.base(text);
}

/** One request to the master; no answer at all is a CliError saying where it went. */
async function send(base: string, path: string, call: Parameters<HttpClient['request']>[1] = {}): Promise<{ ok: boolean; status: number; statusText: string; text: string }> {
  try {
    return await client().request(`${base}${path}`, call);
  } catch (err) {
    throw new CliError(`cannot reach the master at ${base} (${(err as Error).message}); is it running? (--master or MESOS_MASTER)`);
  }
}

async function get<T>(base: string, path: string): Promise<T> {
  const res = await send(base, path);
  if (res.status === 401) throw new CliError(`${path}: 401 the master wants HTTP authentication (--principal and --secret, or DEFAULT_PRINCIPAL and DEFAULT_SECRET)`);
  if (!res.ok) throw new CliError(`${path}: ${res.status} ${res.text.trim()}`);
  return JSON.parse(res.text) as T;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

const round = (n: number | undefined): string => String(Math.round((n ?? 0) * 100) / 100);

function allTasks(state: V0State, all: boolean): (V0Task & { framework: string })[] {
  const out: (V0Task & { framework: string })[] = [];
  for (const f of [...state.frameworks, ...(all ? state.completed_frameworks : [])]) {
    const lists = all ? [f.tasks, f.unreachable_tasks ?? [], f.completed_tasks] : [f.tasks, f.unreachable_tasks ?? []];
    for (const list of lists) for (const t of list) out.push({ ...t, framework: f.name });
  }
  return out;
}

async function findTask(base: string, id: string): Promise<V0Task> {
  const state = await get<V0State>(base, '/state');
  const matches = allTasks(state, true).filter((t) => t.id === id);
  if (matches.length === 0) throw new CliError(`no task '${id}' on the master (see mesos task list --all)`);
  // The same id in two frameworks: the live one, else the newest.
  return matches.find((t) => !TERMINAL.has(t.state)) ?? matches[matches.length - 1]!;
}

interface AgentState {
  frameworks?: AgentFramework[];
  completed_frameworks?: AgentFramework[];
}
interface AgentFramework {
  id: string;
  executors?: AgentExecutor[];
  completed_executors?: AgentExecutor[];
}
interface AgentExecutor {
  id: string;
  directory: string;
  tasks?: { id: string }[];
  queued_tasks?: { id: string }[];
  completed_tasks?: { id: string }[];
}

async function sandboxOf(base: string, task: V0Task): Promise<string> {
  const agent = await get<AgentState>(base, `/webui/agent?agent=${encodeURIComponent(task.slave_id)}&endpoint=/state`);
  for (const f of [...(agent.frameworks ?? []), ...(agent.completed_frameworks ?? [])]) {
    if (f.id !== task.framework_id) continue;
    for (const e of [...(f.executors ?? []), ...(f.completed_executors ?? [])]) {
      const ids = [...(e.tasks ?? []), ...(e.queued_tasks ?? []), ...(e.completed_tasks ?? [])].map((t) => t.id);
      if (ids.includes(task.id) || e.id === task.id) return e.directory;
    }
  }
  throw new CliError(`agent ${task.slave_id} has no sandbox for task '${task.id}' (garbage-collected?)`);
}

async function taskLog(base: string, id: string, file: string, follow: boolean): Promise<void> {
  const task = await findTask(base, id);
  const dir = await sandboxOf(base, task);
  const path = `${dir}/${file}`;
  let offset = 0;
  for (;;) {
    const q = new URLSearchParams({ agent: task.slave_id, endpoint: '/files/read', path, offset: String(offset), length: '65536' });
    const chunk = await get<{ data: string; offset: number }>(base, `/webui/agent?${q}`);
    if (chunk.data.length > 0) {
      process.stdout.write(chunk.data);
      offset = chunk.offset + Buffer.byteLength(chunk.data);
      continue;
    }
    if (!follow) return;
    // Following ends once the task is terminal and its file has nothing more.
    const now = await findTask(base, id);
    if (TERMINAL.has(now.state)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function print(json: boolean, value: unknown, headers: string[], rows: string[][]): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : table(headers, rows));
}

const program = new Command('mesos')
  .description('Day-to-day commands against a running mesos-ts master.')
  .addOption(new Option('--master <host:port>', 'the master').env('MESOS_MASTER').default('127.0.0.1:5050'))
  .option('--json', 'print JSON instead of a table')
  .addOption(new Option('--principal <principal>', 'HTTP Basic principal, for a master with --authenticate_http_*').env('DEFAULT_PRINCIPAL'))
  .addOption(new Option('--secret <secret>', "the principal's secret").env('DEFAULT_SECRET'))
  .version(versionLine('mesos'), '--version', 'Prints the version and exits.')
  .helpOption('-h, --help', 'Prints this help message and exits.')
  .configureHelp({ formatHelp: mesosStyleHelp({ env: 'Also read from the environment: MESOS_MASTER, DEFAULT_PRINCIPAL, DEFAULT_SECRET; the command line wins. With LIBPROCESS_SSL_ENABLED=true it speaks https, verifying the master with LIBPROCESS_SSL_CA_FILE when LIBPROCESS_SSL_VERIFY_CERT=true.', examples: ['mesos task list --all', 'mesos task log my-task --follow', 'mesos task kill my-task', 'MESOS_MASTER=10.0.0.1:5050 mesos agent list --json'] }) })
  .showHelpAfterError('(see mesos --help)');
const opts = (): { master: string; json?: boolean; principal?: string; secret?: string } => program.opts();
let http: HttpClient | undefined;
function client(): HttpClient {
  try {
    return (http ??= httpClient({ principal: opts().principal, secret: opts().secret }));
  } catch (err) {
    throw err instanceof HttpClientError ? new CliError(err.message) : err;
  }
}
const base = (): string => masterUrl(opts().master, client());

const agent = program.command('agent').description('agents');
agent.command('list').description('the agents the master admitted').action(async () => {
  const state = await get<V0State>(base(), '/state');
  print(opts().json === true, state.slaves, ['ID', 'HOST', 'ACTIVE', 'CPUS', 'MEM', 'DISK'], state.slaves.map((a) => [
    a.id, `${a.hostname}:${a.port}`, String(a.active), `${round(a.used_resources['cpus'])}/${round(a.resources['cpus'])}`,
    `${round(a.used_resources['mem'])}/${round(a.resources['mem'])}`, `${round(a.used_resources['disk'])}/${round(a.resources['disk'])}`,
  ]));
});

const framework = program.command('framework').description('frameworks');
framework.command('list').description('frameworks, active and inactive (--all: completed too)').option('--all', 'include completed frameworks').action(async (o: { all?: boolean }) => {
  const state = await get<V0State>(base(), '/state');
  const list = [...state.frameworks.map((f) => ({ ...f, status: f.active ? 'active' : 'inactive' })), ...(o.all ? state.completed_frameworks.map((f) => ({ ...f, status: 'completed' })) : [])];
  print(opts().json === true, list.map(({ tasks: _t, completed_tasks: _c, ...f }) => f), ['ID', 'NAME', 'STATE', 'ROLE', 'USER', 'TASKS', 'CPUS', 'MEM'], list.map((f) => [
    f.id, f.name, f.status, f.role ?? '', f.user ?? '', String(f.tasks.length), round(f.used_resources['cpus']), round(f.used_resources['mem']),
  ]));
});
framework.command('teardown').description('ends a framework: its tasks are killed and its offers rescinded').argument('<framework-id>').action(async (id: string) => {
  const res = await send(base(), '/teardown', { method: 'POST', body: new URLSearchParams({ frameworkId: id }) });
  if (!res.ok) throw new CliError(`teardown of ${id}: ${res.status} ${res.text.trim()}`);
  process.stdout.write(opts().json ? `${JSON.stringify({ torn_down: id })}\n` : `Framework ${id} torn down\n`);
});

const task = program.command('task').description('tasks');
task.command('list').description('tasks not yet terminal (--all: every task the master remembers)').option('--all', 'include terminal tasks and completed frameworks').action(async (o: { all?: boolean }) => {
  const state = await get<V0State>(base(), '/state');
  const list = allTasks(state, o.all === true);
  print(opts().json === true, list, ['ID', 'NAME', 'STATE', 'FRAMEWORK', 'AGENT'], list.map((t) => [t.id, t.name, t.state, t.framework, t.slave_id]));
});
task.command('log').description("prints a task's stdout (or --file) from its sandbox; --follow keeps printing until the task ends")
  .argument('<task-id>')
  .option('--follow', 'keep printing what the task writes until it is terminal')
  .addOption(new Option('--file <name>', 'the sandbox file').default('stdout'))
  .action(async (id: string, o: { follow?: boolean; file: string }) => {
    if (o.file.includes('..') || o.file.startsWith('/')) throw new CliError(`--file: '${o.file}' must be a name inside the sandbox, such as stdout or stderr`);
    await taskLog(base(), id, o.file, o.follow === true);
  });
task.command('kill').description("kills a task on its framework's behalf (POST /tasks/kill); the framework sees TASK_KILLED")
  .argument('<task-id>')
  .addOption(new Option('--framework <id>', 'the framework, when two frameworks use the same task id'))
  .action(async (id: string, o: { framework?: string }) => {
    const body = new URLSearchParams({ task_id: id, ...(o.framework !== undefined ? { framework_id: o.framework } : {}) });
    const res = await send(base(), '/tasks/kill', { method: 'POST', body });
    const text = res.text.trim();
    if (!res.ok) throw new CliError(`cannot kill task '${id}': ${text || `${res.status} ${res.statusText}`}`);
    const r = JSON.parse(text) as { framework_id: string; task_id: string; agent_id: string; sent: boolean };
    process.stdout.write(opts().json ? `${JSON.stringify(r)}\n` : `Killing task ${r.task_id} of framework ${r.framework_id} on agent ${r.agent_id}${r.sent ? '' : ' (the agent is disconnected: the kill is sent when it re-registers)'}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
