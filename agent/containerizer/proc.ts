// What the containerizer reads from Linux's /proc: one process's stat line, and the members of
// a process group. Everything degrades to "unknown" (undefined) where /proc is absent, so the
// containerizer still works on other POSIX hosts through plain kill(2) probes.

import { readFile, readdir } from 'node:fs/promises';

/** The fields of /proc/<pid>/stat the agent uses (see proc(5)). */
export interface ProcStat {
  pid: number;
  /** Single-letter state; 'Z' is a zombie: dead, waiting for its parent to reap it. */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks spent in user and kernel mode. */
  utimeTicks: number;
  stimeTicks: number;
  threads: number;
  /** Start time in clock ticks after boot: with the pid it names one process across pid reuse. */
  startTicks: number;
  rssPages: number;
}

// USER_HZ and the page size are fixed by the kernel ABI on every Linux architecture Node runs
// on in practice; Node offers no sysconf(), so they are constants rather than guesses at runtime.
export const CLOCK_TICKS_PER_SECOND = 100;
export const PAGE_SIZE = 4096;

export function parseProcStat(text: string): ProcStat | undefined {
  // The command name (field 2) is in parentheses and may itself hold spaces and ')', so split
  // after the last ')'.
  const close = text.lastIndexOf(')');
  const open = text.indexOf('(');
  if (close < 0 || open < 0) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(' ');
  // `rest[0]` is field 3 (state); field n is rest[n - 3].
  const field = (n: number): number => Number(rest[n - 3]);
  const state = rest[0];
  if (state === undefined || !Number.isFinite(pid)) return undefined;
  return {
    pid,
    state,
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    utimeTicks: field(14),
    stimeTicks: field(15),
    threads: field(20),
    startTicks: field(22),
    rssPages: field(24),
  };
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when /proc can be used on this host. */
let procAvailable: boolean | undefined;
export async function hasProc(): Promise<boolean> {
  if (procAvailable === undefined) {
    procAvailable = (await readProcStat(process.pid)) !== undefined;
  }
  return procAvailable;
}

/**
 * Every process whose process group is `pgid`, zombies included, or undefined without /proc.
 * Scans /proc, so it is for kills and usage reports, not for hot paths.
 */
export async function processGroupMembers(pgid: number): Promise<ProcStat[] | undefined> {
  return (await processTable())?.filter((s) => s.pgrp === pgid);
}

/** Every process this host's /proc shows (zombies included), or undefined without /proc. */
export async function processTable(): Promise<ProcStat[] | undefined> {
  if (!(await hasProc())) return undefined;
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return undefined;
  }
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readProcStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** The roots and every process descended from them, by parent pid, in `table`. */
export function descendants(table: readonly ProcStat[], roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const s of table) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const out = new Set<number>();
  const todo = [...roots];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    if (out.has(pid)) continue;
    out.add(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** A process's environment (readable for the agent's own user's processes), or undefined. */
export async function readEnviron(pid: number): Promise<Map<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}
