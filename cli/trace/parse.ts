// Reading trace files: one JSON object per line, appended by each runtime as it sends,
// receives or drops a message. A process killed mid-write leaves a truncated last line, so
// bad lines are collected (with file and line number) instead of failing the whole read.

import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { BadLine, ParsedTrace, TraceDirection, TraceEvent } from './types.js';
import { TraceFileError } from './errors.js';

const DIRECTIONS: ReadonlySet<string> = new Set<TraceDirection>(['send', 'recv', 'drop']);
const REQUIRED_STRINGS = ['runtime', 'from', 'to', 'name', 'id'] as const;

export type LineResult =
  | { readonly ok: true; readonly event: TraceEvent }
  | { readonly ok: false; readonly reason: string };

/** Parse and validate one line. Unknown extra fields are ignored, for forward compatibility. */
export function parseTraceLine(text: string, source: string, line: number): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON (truncated?)' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const o = value as Record<string, unknown>;
  if (typeof o['ts'] !== 'number' || !Number.isFinite(o['ts'])) {
    return { ok: false, reason: "'ts' is not a number" };
  }
  if (typeof o['dir'] !== 'string' || !DIRECTIONS.has(o['dir'])) {
    return { ok: false, reason: "'dir' is not send, recv or drop" };
  }
  for (const key of REQUIRED_STRINGS) {
    const v = o[key];
    if (typeof v !== 'string' || v.length === 0) return { ok: false, reason: `'${key}' is missing or not a string` };
  }
  const cause = o['cause'];
  if (cause !== undefined && cause !== null && typeof cause !== 'string') {
    return { ok: false, reason: "'cause' is not a string or null" };
  }
  // Optional fields are copied only when well-typed; a wrong type there loses one detail,
  // not the whole message.
  const event: { -readonly [K in keyof TraceEvent]: TraceEvent[K] } = {
    ts: o['ts'],
    runtime: o['runtime'] as string,
    dir: o['dir'] as TraceDirection,
    from: o['from'] as string,
    to: o['to'] as string,
    name: o['name'] as string,
    id: o['id'] as string,
    cause: typeof cause === 'string' && cause.length > 0 ? cause : null,
    source,
    line,
  };
  if (typeof o['bytes'] === 'number' && Number.isFinite(o['bytes'])) event.bytes = o['bytes'];
  for (const key of ['reason', 'detail', 'framework_id', 'task_id', 'agent_id'] as const) {
    const v = o[key];
    if (typeof v === 'string' && v.length > 0) event[key] = v;
  }
  return { ok: true, event };
}

/** Collects the lines of one or more files; blank lines (a trailing newline) are not errors. */
class TraceCollector {
  readonly events: TraceEvent[] = [];
  readonly bad: BadLine[] = [];

  add(text: string, source: string, line: number): void {
    if (text.trim().length === 0) return;
    const r = parseTraceLine(text, source, line);
    if (r.ok) this.events.push(r.event);
    else this.bad.push({ source, line, reason: r.reason });
  }

  result(): ParsedTrace {
    return { events: this.events, bad: this.bad };
  }
}

/** Parse the whole text of one trace file (tests and callers that already hold the text). */
export function parseTrace(text: string, source = '<input>'): ParsedTrace {
  const c = new TraceCollector();
  text.split(/\r?\n/).forEach((t, i) => c.add(t, source, i + 1));
  return c.result();
}

/**
 * Read trace files line by line (they can be larger than one string may hold), in the order
 * given. '-' reads standard input. A file that cannot be opened is a TraceFileError naming it.
 */
export async function readTraceFiles(paths: readonly string[], stdin?: NodeJS.ReadableStream): Promise<ParsedTrace> {
  const c = new TraceCollector();
  for (const path of paths) {
    if (path === '-') {
      // Touched only when asked for: opening stdin can keep a process waiting.
      await collectLines(stdin ?? process.stdin, '<stdin>', c);
      continue;
    }
    const handle = await openTraceFile(path);
    try {
      await collectLines(handle.createReadStream({ encoding: 'utf8', autoClose: false }), path, c);
    } catch (err) {
      throw new TraceFileError(path, `cannot read trace file '${path}': ${describe(err)}`, { cause: err });
    } finally {
      await handle.close();
    }
  }
  return c.result();
}

async function openTraceFile(path: string) {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new TraceFileError(path, `trace file '${path}' is a directory`);
    return await open(path, 'r');
  } catch (err) {
    if (err instanceof TraceFileError) throw err;
    throw new TraceFileError(path, `cannot read trace file '${path}': ${describe(err)}`, { cause: err });
  }
}

async function collectLines(input: NodeJS.ReadableStream, source: string, c: TraceCollector): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) c.add(text, source, ++n);
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}
