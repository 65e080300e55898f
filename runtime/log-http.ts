// The log over HTTP, as Mesos serves it: `/logging/toggle?level=N&duration=D` raises the
// verbosity for a while (glog's VLOG levels: 0 is the configured level, 1 adds debug lines, 2
// and more add trace lines), and `/files/read?path=<virtual>` (and `/files/download`) serve the
// process's own log file when it writes one (--log_dir).

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { badRequest, json, notFound, withJsonp, type HttpRequest, type HttpResponse } from './http.js';
import { logControl } from './log.js';
import type { Pid } from './pid.js';
import type { Runtime } from './runtime.js';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, secs: 1000, mins: 60_000, hrs: 3_600_000, days: 86_400_000 };
const MAX_READ = 64 * 1024;

function duration(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|secs|mins|hrs|days)$/.exec(raw.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** Serves /logging/toggle, and with a virtual path (e.g. /master/log) also the log file on /files/read and /files/download. */
export function installLogRoutes(runtime: Runtime, owner: Pid, virtualPath?: string): void {
  runtime.route(owner, '/logging/toggle', (req) => {
    const c = logControl();
    if (c === undefined) return notFound('this process has no logger to toggle');
    // Without arguments, what is in force (Mesos answers 400 here; knowing whether a toggle is
    // still on, and until when, is worth the departure).
    if (req.query.get('level') === null && req.query.get('duration') === null) {
      const now = c.current();
      const vlog = now.level === c.level ? 0 : now.level === 'debug' ? 1 : now.level === 'trace' ? 2 : 0;
      return withJsonp(req, json({ level: vlog, logger_level: now.level, configured_level: c.level, ...(now.until !== undefined ? { until: new Date(now.until).toISOString() } : {}) }));
    }
    const level = Number(req.query.get('level') ?? 'x');
    const ms = duration(req.query.get('duration') ?? '');
    if (!Number.isInteger(level) || level < 0) return badRequest("'level' must be a non-negative integer (0: the configured level, 1: debug, 2: trace)");
    if (ms === undefined) return badRequest("'duration' must be a duration such as 30secs or 5mins");
    c.toggle(level === 0 ? c.level : level === 1 ? 'debug' : 'trace', ms);
    return { status: 200, body: '' };
  });
  if (virtualPath === undefined) return;
  const read = (req: HttpRequest): HttpResponse | undefined => {
    if (req.query.get('path') !== virtualPath) return undefined;
    const file = logControl()?.file();
    if (file === undefined) return notFound(`${virtualPath} is only served when the process writes a log file (--log_dir)`);
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const rawOffset = req.query.get('offset');
      const offset = rawOffset === null ? -1 : Number(rawOffset);
      if (!Number.isInteger(offset) || offset < -1) return badRequest(`Failed to parse offset: '${rawOffset}'.`);
      if (offset === -1) return withJsonp(req, json({ data: '', offset: size }));
      const length = Math.min(Number(req.query.get('length') ?? MAX_READ) || MAX_READ, MAX_READ);
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const n = buf.length > 0 ? readSync(fd, buf, 0, buf.length, offset) : 0;
      return withJsonp(req, json({ data: buf.subarray(0, n).toString('utf8'), offset }));
    } finally {
      closeSync(fd);
    }
  };
  runtime.route(owner, '/files/read', (req) => read(req) ?? notFound(`No file ${req.query.get('path') ?? ''}`));
  runtime.route(owner, '/files/download', (req) => {
    const file = logControl()?.file();
    if (req.query.get('path') !== virtualPath || file === undefined) return notFound(`No file ${req.query.get('path') ?? ''}`);
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `attachment; filename="${basename(file)}"` }, stream: createReadStream(file) };
  });
}
