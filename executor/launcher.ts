// Starting task processes. Each task runs in a session (and process group) of its own, in its
// sandbox, with stdout/stderr appended to files there. SpawnLauncher forks this Node process per
// task; ShellLauncher hands the work to one long-lived /bin/sh, whose forks are several times
// cheaper than forking Node, which is what lets one executor host start hundreds of tasks a second.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { IllegalStateError, ValidationError } from '../runtime/index.js';

export interface LaunchSpec {
  /** The sandbox: working directory, and where `stdout` and `stderr` go. */
  directory: string;
  /** A shell command (`sh -c`) when shell, else the program of `argv`. */
  shell: boolean;
  value: string;
  /** Without shell: the whole argv, argv[0] included. */
  argv: readonly string[];
  /** Variables to set on top of the launcher's environment. */
  env: Readonly<Record<string, string>>;
  /** The container the agent prepared: its process joins these cgroups and becomes this user before it runs the task. */
  container?: ContainerJoin;
}

/** LaunchExecutor.container: cgroup.procs files to join, and the user to run as. */
export interface ContainerJoin {
  cgroups: readonly string[];
  user?: { name: string; uid: number; gid: number } | undefined;
}

/**
 * The shell text that joins the container and ends in `exec` of what follows it: the pid (and
 * the process group it leads) stays the same, and nothing of the task runs outside its cgroups
 * or as another user.
 */
export function joinPrefix(join: ContainerJoin | undefined): string {
  if (!join) return '';
  const steps = join.cgroups.map((f) => `echo $$ > ${quote(f)}`);
  const exec = join.user ? `exec setpriv --reuid=${join.user.uid} --regid=${join.user.gid} --init-groups --` : 'exec';
  return [...steps, exec].join(' && ');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Launched {
  /** Also the process group id: signal `-pid` to reach the whole task. */
  pid: number;
  exited: Promise<Exit>;
}

export interface Launcher {
  /** Resolves once the process runs; rejects when it could not be started. */
  launch(spec: LaunchSpec): Promise<Launched>;
  close(): void;
}

// Copying process.env goes through a slow exotic object: once per process, not per task.
let envSnapshot: Readonly<Record<string, string | undefined>> | undefined;
function baseEnv(): Readonly<Record<string, string | undefined>> {
  return (envSnapshot ??= { ...process.env });
}

/** Starts each task with child_process.spawn: one fork of this Node process per task. */
export class SpawnLauncher implements Launcher {
  launch(spec: LaunchSpec): Promise<Launched> {
    let out: number | undefined;
    let err: number | undefined;
    let child: ChildProcess;
    try {
      out = openSync(join(spec.directory, 'stdout'), 'a');
      err = openSync(join(spec.directory, 'stderr'), 'a');
      const options = { cwd: spec.directory, env: { ...baseEnv(), ...spec.env }, detached: true, stdio: ['ignore', out, err] as ['ignore', number, number] };
      const prefix = joinPrefix(spec.container);
      if (prefix !== '') {
        const argv = spec.shell ? ['/bin/sh', '-c', spec.value] : [spec.value, ...spec.argv.slice(1)];
        child = spawn('/bin/sh', ['-c', `${prefix} "$@"`, 'sh', ...argv], options);
      } else child = spec.shell ? spawn('/bin/sh', ['-c', spec.value], options) : spawn(spec.value, spec.argv.slice(1), { ...options, argv0: spec.argv[0] ?? spec.value });
    } catch (e) {
      return Promise.reject(e as Error);
    } finally {
      if (out !== undefined) closeSync(out);
      if (err !== undefined) closeSync(err);
    }
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve({ pid: child.pid!, exited }));
      // A program that does not exist fails here, with no exit event.
      child.once('error', (e) => reject(e));
    });
  }

  close(): void {}
}

// The shell side: three lines per task (id, directory, script with `\` and newlines escaped).
// Each task gets a subshell that starts it in a new session and waits for it; the task's own
// shell reports its pid on fd 3 once it leads that session (so a kill at once reaches it), then
// closes fd 3; the subshell reports the exit status. Lines shorter than PIPE_BUF reach the pipe
// whole, so reports never interleave.
const SCRIPT = `
while IFS= read -r id && IFS= read -r dir && IFS= read -r enc; do
  (
    case $enc in *\\\\*) script=$(printf '%b' "$enc") ;; *) script=$enc ;; esac
    cd "$dir" 2>/dev/null || { echo "e $id"; exit; }
    setsid /bin/sh -c "$script" </dev/null 3>&1 >>stdout 2>>stderr &
    wait $!
    echo "x $id $?"
  ) &
done
`;

interface Pending {
  started: (l: Launched) => void;
  failed: (e: Error) => void;
  exit?: (e: Exit) => void;
}

/**
 * One /bin/sh that starts every task. A status above 128 is read as death by signal N-128, as
 * shells report it; a command that exits with such a status itself is read the same way.
 */
export class ShellLauncher implements Launcher {
  private sh: ChildProcess | undefined;
  private readonly pending = new Map<string, Pending>();
  private next = 0;

  launch(spec: LaunchSpec): Promise<Launched> {
    const sh = this.shell();
    const id = String(++this.next);
    const exports = Object.entries(spec.env)
      .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `export ${k}=${quote(v)}`)
      .join('\n');
    const c = spec.container;
    const plain = spec.shell ? spec.value : `exec ${spec.argv.map(quote).join(' ')}`;
    // In a container: join its cgroups first, then report the pid, then run the task as its user.
    const join = (c?.cgroups ?? []).map((f) => `echo $$ > ${quote(f)} || exit 125\n`).join('');
    const body = c?.user ? `exec setpriv --reuid=${c.user.uid} --regid=${c.user.gid} --init-groups -- /bin/sh -c ${quote(plain)}` : plain;
    const enc = `${join}echo "p ${id} $$" >&3; exec 3>&-\n${exports}\n${body}`.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    return new Promise((started, failed) => {
      this.pending.set(id, { started, failed });
      sh.stdin!.write(`${id}\n${spec.directory}\n${enc}\n`);
    });
  }

  close(): void {
    this.sh?.stdin?.end();
    this.sh?.kill('SIGKILL');
    this.sh = undefined;
  }

  private shell(): ChildProcess {
    if (this.sh) return this.sh;
    const sh = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...baseEnv() } });
    this.sh = sh;
    createInterface({ input: sh.stdout! }).on('line', (line) => this.report(line));
    sh.once('exit', () => {
      if (this.sh === sh) this.sh = undefined;
      // Tasks it was waiting for are orphaned: their exit can no longer be told.
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        if (p.exit) p.exit({ code: null, signal: null });
        else p.failed(new IllegalStateError('the task launcher exited'));
      }
    });
    sh.stdin!.on('error', () => {});
    return sh;
  }

  private report(line: string): void {
    const [kind, id, value] = line.split(' ');
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return;
    if (kind === 'e') {
      this.pending.delete(id);
      p.failed(new ValidationError('the sandbox directory does not exist'));
    } else if (kind === 'p') {
      const exited = new Promise<Exit>((resolve) => (p.exit = resolve));
      p.started({ pid: Number(value), exited });
    } else if (kind === 'x') {
      this.pending.delete(id);
      // It ended before it reported its pid: it could not join its container.
      if (!p.exit) return p.failed(new IllegalStateError(`the task could not join its container (status ${value ?? '?'})`));
      const status = Number(value);
      p.exit?.(status > 128 ? { code: null, signal: signalName(status - 128) } : { code: status, signal: null });
    }
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const SIGNALS: Record<number, NodeJS.Signals> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };
function signalName(n: number): NodeJS.Signals {
  return SIGNALS[n] ?? (`SIG${n}` as NodeJS.Signals);
}
