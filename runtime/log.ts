// Logging: pino underneath, written as one line per event — glog-like text by default
// (`I1202 04:11:02.123 4242 master@10.0.0.1:5050] framework registered framework=… name=…`:
// level letter, month and day, time, OS pid, actor or program, message, fields), or JSON lines
// with format 'json'. To stderr, and with `logDir` also to a file named as Mesos names its logs
// (`mesos-master.<host>.<user>.log.INFO.<yyyymmdd-hhmmss>.<pid>`, with a `mesos-master.INFO`
// symlink to the newest), holding every level and rotated to a new file by size.
//
// In JSON, `pid` is always the OS pid and `process` the program: a field named `pid` that a
// caller logs (an actor's pid, a string) is written as `upid`, Mesos's word for it, so no key
// appears twice and `jq .pid` finds the OS pid.
//
// The level can be lowered for a while at run time (`/logging/toggle`); pino fixes a child
// logger's level when it is made, so the lines pass pino at `debug` and the threshold is applied
// where they are written.

import { closeSync, openSync, symlinkSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { ValidationError } from './errors.js';

export type { Logger };

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  level?: string;
  /** The program, e.g. `mesos-master`: the log file's name and the JSON `process` field. */
  name?: string;
  /** Kept for callers of the former pretty printer: true means text, false JSON (when `format` is not given). */
  pretty?: boolean;
  format?: LogFormat;
  /** Also write to a file in this directory (created by the caller). */
  logDir?: string;
  /** Start a new file once the current one reaches this size; default 100 MB. */
  maxFileBytes?: number;
}

const VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const LETTER: Record<number, string> = { 10: 'T', 20: 'D', 30: 'I', 40: 'W', 50: 'E', 60: 'F' };

/** What a process's /logging/toggle and /files/read?path=/master/log act on. */
export interface LogControl {
  /** The current log file (the symlink's target), when writing to --log_dir. */
  file(): string | undefined;
  /** Lowers (or raises) the threshold to `level` for `ms`, then restores the configured one. */
  toggle(level: LevelWithSilent, ms: number): void;
  /** The configured level (--logging_level). */
  readonly level: LevelWithSilent;
  /** The level in force now, and when a toggle ends (epoch ms), if one is in force. */
  current(): { level: LevelWithSilent; until?: number };
}

let control: LogControl | undefined;

/** The last logger createLogger made in this process, as /logging/toggle and the log endpoints see it. */
export function logControl(): LogControl | undefined {
  return control;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const configured = (options.level ?? 'info') as LevelWithSilent;
  if (VALUES[configured] === undefined) throw new ValidationError(`unknown log level '${configured}'`);
  const format: LogFormat = options.format ?? (options.pretty === false ? 'json' : 'text');
  let threshold = VALUES[configured]!;
  let revert: NodeJS.Timeout | undefined;
  let toggled: { level: LevelWithSilent; until: number } | undefined;
  const file = options.logDir !== undefined ? new LogFile(options.logDir, options.name ?? 'mesos', options.maxFileBytes ?? 100 * 1024 * 1024) : undefined;

  const sink = {
    write(line: string): void {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (((record['level'] as number) ?? 30) < threshold) return;
      const out = format === 'json' ? line : textLine(record);
      writeAll(2, out);
      file?.write(out);
    },
  };

  const passLevel: LevelWithSilent = configured === 'silent' ? 'silent' : VALUES[configured]! < VALUES['debug']! ? configured : 'debug';
  const logger = pino(
    {
      level: passLevel,
      base: { pid: process.pid, hostname: hostname(), ...(options.name ? { process: options.name } : {}) },
      formatters: {
        bindings: renamePid,
        log: renamePid,
      },
      // Below the threshold a call returns before pino serialises anything: pino's own level
      // stays at debug so that /logging/toggle reaches child loggers made earlier, and without
      // this every INFO line of a master launching thousands of tasks a second would be built,
      // parsed again by the sink and thrown away.
      hooks: {
        logMethod(args, method, level) {
          if (level >= threshold) method.apply(this, args);
        },
      },
    },
    sink,
  );
  control = {
    file: () => file?.current,
    get level() {
      return configured;
    },
    toggle(level, ms) {
      clearTimeout(revert);
      threshold = VALUES[level]!;
      toggled = { level, until: Date.now() + ms };
      revert = setTimeout(() => {
        threshold = VALUES[configured]!;
        toggled = undefined;
      }, ms);
      revert.unref();
    },
    current: () => (toggled === undefined ? { level: configured } : { ...toggled }),
  };
  return logger;
}

/** A caller's string `pid` (an actor's) becomes `upid`; the OS pid, a number, stays `pid`. */
function renamePid(o: Record<string, unknown>): Record<string, unknown> {
  if (typeof o['pid'] !== 'string') return o;
  const { pid, ...rest } = o;
  return { ...rest, upid: pid };
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return;
    }
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** One glog-like line: `Lmmdd hh:mm:ss.mmm pid actor] message key=value …`. */
export function textLine(r: Record<string, unknown>): string {
  const d = new Date((r['time'] as number) ?? Date.now());
  const letter = LETTER[(r['level'] as number) ?? 30] ?? 'I';
  const where = (r['actor'] as string | undefined) ?? (r['process'] as string | undefined) ?? '';
  let line = `${letter}${pad(d.getMonth() + 1)}${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ${String(r['pid'] ?? process.pid)} ${where}] ${String(r['msg'] ?? '')}`;
  for (const [k, v] of Object.entries(r)) {
    if (k === 'level' || k === 'time' || k === 'pid' || k === 'hostname' || k === 'process' || k === 'actor' || k === 'msg') continue;
    if (k === 'err' && typeof v === 'object' && v !== null) {
      line += ` err=${JSON.stringify((v as { message?: unknown }).message ?? v)}`;
      continue;
    }
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    line += ` ${k}=${typeof v === 'string' && !/[\s"=]/.test(v) && v !== '' ? text : JSON.stringify(text)}`;
  }
  return `${line.replace(/\n/g, '\\n')}\n`;
}

/** `<name>.<host>.<user>.log.INFO.<yyyymmdd-hhmmss>.<pid>` in dir, `<name>.INFO` linking to it; a new one past maxBytes. */
class LogFile {
  current: string | undefined;
  private fd = -1;
  private size = 0;
  private serial = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly maxBytes: number,
  ) {
    this.open();
  }

  write(text: string): void {
    if (this.fd < 0) return;
    if (this.size + text.length > this.maxBytes && this.size > 0) this.open();
    writeAll(this.fd, text);
    this.size += Buffer.byteLength(text);
  }

  private open(): void {
    if (this.fd >= 0) closeSync(this.fd);
    const d = new Date();
    const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // no passwd entry: keep 'unknown'
    }
    // Two rotations within one second would share a name; the serial keeps them apart.
    const base = `${this.name}.${hostname()}.${user}.log.INFO.${stamp}.${process.pid}${this.serial++ > 0 ? `.${this.serial - 1}` : ''}`;
    const path = join(this.dir, base);
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
    this.current = path;
    const link = join(this.dir, `${this.name}.INFO`);
    try {
      unlinkSync(link);
    } catch {
      // first file
    }
    try {
      symlinkSync(base, link);
    } catch {
      // a directory that takes no symlinks still gets the file
    }
  }
}

/** Maps Mesos's --logging_level names (INFO, WARNING, ERROR) onto pino's levels. */
export function pinoLevel(mesosLevel: string): LevelWithSilent {
  const map: Record<string, LevelWithSilent> = { INFO: 'info', WARNING: 'warn', ERROR: 'error', FATAL: 'fatal', DEBUG: 'debug', TRACE: 'trace', SILENT: 'silent' };
  const level = map[mesosLevel.toUpperCase()];
  if (!level) throw new ValidationError(`unknown logging level '${mesosLevel}' (expected INFO, WARNING or ERROR)`);
  return level;
}
