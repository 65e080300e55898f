// The logic behind the agent's /files/browse, /files/read and /files/download: virtual paths
// (sandboxes the agent has attached) mapped to real directories or files, answered with
// Mesos's JSON shapes. Nothing outside an attached root is ever served: `..` is refused, and
// so is any symlink whose target leaves its root. Only regular files and directories are
// served: a FIFO, socket or device is refused before it is opened, and files are opened
// non-blocking and checked again on the open handle, so nothing can park a threadpool thread.
// Callers turn results into HTTP responses.

import { constants, createReadStream, type ReadStream } from 'node:fs';
import { lstat, open, readFile, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname, join, posix, sep } from 'node:path';

/** A `/files/browse` entry, with Mesos's field names. */
export interface FileInfo {
  path: string;
  nlink: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** `ls -l` style, e.g. 'drwxr-xr-x'. */
  mode: string;
  /** Owner and group names (numbers where the name is unknown), as Mesos reports them. */
  uid: string;
  gid: string;
}

export type FilesResult =
  | { status: 200; json: unknown }
  | { status: 200; stream: ReadStream; size: number; filename: string; contentType: string }
  | { status: 400 | 404; message: string };

/** The query parameters as they arrive (strings or absent); parsing them is part of the contract. */
export interface FilesQuery {
  path?: string | undefined;
  offset?: string | undefined;
  length?: string | undefined;
}

export function filesQuery(params: URLSearchParams): FilesQuery {
  return { path: params.get('path') ?? undefined, offset: params.get('offset') ?? undefined, length: params.get('length') ?? undefined };
}

/** A read returns at most this many bytes per call, and this many when no length is given. */
export const MAX_READ_LENGTH = 16 * 4096;

/**
 * The attached roots: virtual path → real path (a directory, or a single file such as a log).
 * The agent attaches each executor's sandbox when it launches and detaches it when the sandbox
 * is garbage-collected.
 */
export class FileRoots {
  private readonly roots = new Map<string, string | (() => string | undefined)>();

  /** `realPath` may be a function, asked on every request (a log file that rotates). */
  attach(virtualPath: string, realPath: string | (() => string | undefined)): void {
    this.roots.set(normalizeVirtual(virtualPath), realPath);
  }

  detach(virtualPath: string): void {
    this.roots.delete(normalizeVirtual(virtualPath));
  }

  /** Detaches every virtual path that leads to `realPath` (a sandbox being garbage-collected). */
  detachReal(realPath: string): void {
    for (const [v, r] of [...this.roots]) if (r === realPath) this.roots.delete(v);
  }

  /** The root covering `virtualPath` (the longest attached prefix) and the rest below it. */
  match(virtualPath: string): { virtualRoot: string; realRoot: string; rest: string[] } | undefined {
    const segments = virtualPath.split('/').filter((s) => s !== '');
    for (let n = segments.length; n >= 0; n--) {
      const prefix = '/' + segments.slice(0, n).join('/');
      const root = this.roots.get(prefix);
      const real = typeof root === 'function' ? root() : root;
      if (real !== undefined) return { virtualRoot: prefix, realRoot: real, rest: segments.slice(n) };
    }
    return undefined;
  }
}

function normalizeVirtual(p: string): string {
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  return '/' + segments.join('/');
}

type Resolved =
  | { ok: true; virtualPath: string; real: string; realRoot: string; stats: Stats }
  | { ok: false; result: FilesResult };

/** Maps a requested virtual path to a real, contained, existing file or directory. */
async function resolve(roots: FileRoots, path: string | undefined): Promise<Resolved> {
  if (path === undefined || path === '') return fail(400, "Expecting 'path=value' in query.");
  const raw = path.split('/');
  if (raw.includes('..')) return fail(400, `Path '${path}' contains '..': only paths below an attached directory are served.`);
  const virtualPath = normalizeVirtual(path);
  const m = roots.match(virtualPath);
  if (!m) return fail(404, `No file or directory found at path '${path}'.`);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(m.realRoot);
    real = await realpath(join(realRoot, ...m.rest));
  } catch {
    return fail(404, `No file or directory found at path '${path}'.`);
  }
  if (!contained(realRoot, real)) {
    return fail(400, `Path '${path}' leads outside its attached directory (through a symbolic link).`);
  }
  let stats: Stats;
  try {
    stats = await lstat(real);
  } catch {
    return fail(404, `No file or directory found at path '${path}'.`);
  }
  if (!stats.isFile() && !stats.isDirectory()) return fail(400, `Path '${path}' is not a regular file or a directory.`);
  return { ok: true, virtualPath, real, realRoot, stats };
}

/**
 * Opens a regular file without blocking (a FIFO swapped in after the check would otherwise
 * hold a threadpool thread until a writer appears) and without following a link; undefined
 * when what is there now is not a regular file.
 */
async function openRegular(real: string): Promise<FileHandle | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const s = await fh.stat().catch(() => undefined);
  if (s?.isFile()) return fh;
  await fh.close().catch(() => {});
  return undefined;
}

/** A file name as a header may carry it: printable ASCII, anything else percent-encoded. */
export function headerSafeName(name: string): string {
  return name.replace(/[^\x20-\x7e]|[%"\\]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '_'; // a lone surrogate
    }
  });
}

function contained(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

function fail(status: 400 | 404, message: string): { ok: false; result: FilesResult } {
  return { ok: false, result: { status, message } };
}

/** `/files/browse?path=`: a directory's entries, or a one-entry list for a file. */
export async function browse(roots: FileRoots, query: FilesQuery): Promise<FilesResult> {
  const r = await resolve(roots, query.path);
  if (!r.ok) return r.result;
  const names = await userNames();
  if (!r.stats.isDirectory()) return { status: 200, json: [fileInfo(r.virtualPath, r.stats, names)] };
  let entries: string[];
  try {
    entries = await readdir(r.real);
  } catch (e) {
    return { status: 404, message: `Cannot list '${query.path ?? ''}': ${(e as Error).message}` };
  }
  const infos: FileInfo[] = [];
  for (const name of entries.sort()) {
    const real = join(r.real, name);
    const vpath = posix.join(r.virtualPath, name);
    let s: Stats;
    try {
      s = await lstat(real);
      // A link is shown as what it points to when that stays inside the root (so a link to a
      // directory can be browsed); otherwise as the link itself, revealing nothing beyond it.
      if (s.isSymbolicLink()) {
        const target = await realpath(real).catch(() => undefined);
        if (target !== undefined && contained(r.realRoot, target)) s = await stat(target);
      }
    } catch {
      continue; // Removed while listing.
    }
    infos.push(fileInfo(vpath, s, names));
  }
  return { status: 200, json: infos };
}

/**
 * `/files/read?path=&offset=&length=`: `{data, offset}`. offset=-1 (or absent) asks for the
 * file's length: `{data: '', offset: size}` — the web UI's log pager starts that way.
 */
export async function read(roots: FileRoots, query: FilesQuery): Promise<FilesResult> {
  let offset = -1;
  if (query.offset !== undefined) {
    const o = parseInteger(query.offset);
    if (o === undefined || o < -1) return { status: 400, message: `Failed to parse offset: '${query.offset}'.` };
    offset = o;
  }
  let length = MAX_READ_LENGTH;
  if (query.length !== undefined) {
    const l = parseInteger(query.length);
    if (l === undefined) return { status: 400, message: `Failed to parse length: '${query.length}'.` };
    if (l < 0) return { status: 400, message: 'Negative length provided.' };
    length = Math.min(l, MAX_READ_LENGTH);
  }
  const r = await resolve(roots, query.path);
  if (!r.ok) return r.result;
  if (r.stats.isDirectory()) return { status: 400, message: 'Cannot read a directory.' };
  const size = r.stats.size;
  if (offset === -1) return { status: 200, json: { data: '', offset: size } };
  if (offset >= size || length === 0) return { status: 200, json: { data: '', offset } };
  const fh = await openRegular(r.real);
  if (!fh) return { status: 400, message: `Path '${query.path ?? ''}' is not a regular file.` };
  try {
    const buf = Buffer.alloc(Math.min(length, size - offset));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return { status: 200, json: { data: buf.subarray(0, bytesRead).toString('utf8'), offset } };
  } finally {
    await fh.close();
  }
}

/** `/files/download?path=`: the file as a stream, with a name and content type for the headers. */
export async function download(roots: FileRoots, query: FilesQuery): Promise<FilesResult> {
  const r = await resolve(roots, query.path);
  if (!r.ok) return r.result;
  if (r.stats.isDirectory()) return { status: 400, message: 'Cannot download a directory.' };
  const fh = await openRegular(r.real);
  if (!fh) return { status: 400, message: `Path '${query.path ?? ''}' is not a regular file.` };
  return {
    status: 200,
    stream: createReadStream('', { fd: fh }),
    size: r.stats.size,
    filename: headerSafeName(posix.basename(r.virtualPath)),
    contentType: CONTENT_TYPES[extname(r.real).toLowerCase()] ?? 'application/octet-stream',
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain', '.log': 'text/plain', '.json': 'application/json', '.html': 'text/html',
  '.htm': 'text/html', '.css': 'text/css', '.js': 'application/javascript', '.xml': 'application/xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml',
  '.gz': 'application/gzip', '.tar': 'application/x-tar', '.zip': 'application/zip', '.pdf': 'application/pdf',
};

function parseInteger(text: string): number | undefined {
  if (!/^-?\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function fileInfo(path: string, s: Stats, names: UserNames): FileInfo {
  return {
    path,
    nlink: s.nlink,
    size: s.size,
    mtime: Math.floor(s.mtimeMs / 1000),
    mode: modeString(s.mode),
    uid: names.users.get(s.uid) ?? String(s.uid),
    gid: names.groups.get(s.gid) ?? String(s.gid),
  };
}

/** `ls -l` permission text, including setuid/setgid/sticky. */
export function modeString(mode: number): string {
  const type = (mode & 0o170000) >>> 0;
  const kind =
    type === 0o040000 ? 'd' : type === 0o120000 ? 'l' : type === 0o020000 ? 'c' : type === 0o060000 ? 'b'
    : type === 0o010000 ? 'p' : type === 0o140000 ? 's' : '-';
  const bit = (mask: number, ch: string): string => (mode & mask ? ch : '-');
  const special = (exec: number, flag: number, on: string): string =>
    mode & flag ? (mode & exec ? on : on.toUpperCase()) : mode & exec ? 'x' : '-';
  return (
    kind +
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's') +
    bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's') +
    bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't')
  );
}

interface UserNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

let cachedNames: { at: number; names: UserNames } | undefined;

/** uid/gid → name from /etc/passwd and /etc/group (Node has no getpwuid); cached briefly. */
async function userNames(): Promise<UserNames> {
  if (cachedNames && Date.now() - cachedNames.at < 60_000) return cachedNames.names;
  const parse = async (file: string): Promise<Map<number, string>> => {
    const map = new Map<number, string>();
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && /^\d+$/.test(id) && !map.has(Number(id))) map.set(Number(id), name);
    }
    return map;
  };
  const names = { users: await parse('/etc/passwd'), groups: await parse('/etc/group') };
  cachedNames = { at: Date.now(), names };
  return names;
}
