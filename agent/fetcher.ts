// The fetcher (Mesos's src/slave/containerizer/fetcher.cpp and mesos-fetcher): before a
// container starts, every CommandInfo.uris entry is brought into its sandbox: a local path,
// file:// or http(s)://, saved under its basename or `output_file`, made executable, or
// extracted when it is a tar, tar.gz/tgz or zip archive (a lone .gz is gunzipped). With
// `cache`, downloads are kept in --fetcher_cache_dir (least recently used evicted beyond
// --fetcher_cache_size) and the next fetch of the same URI copies from there.

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar';
import yauzl from 'yauzl';
import type { CommandURI } from '../protocol/index.js';

export interface FetcherOptions {
  /** --fetcher_cache_dir: the cache lives in a subdirectory per agent below it. */
  cacheDir: string;
  /** --fetcher_cache_size in bytes. */
  cacheSizeBytes: number;
  /** --fetcher_stall_timeout: a download that receives nothing this long fails. */
  stallTimeoutMs?: number;
}

export const FETCHER_DEFAULTS = { cacheDir: '/tmp/mesos/fetch', cacheSizeBytes: 2 * 1024 ** 3, stallTimeoutMs: 60_000 } as const;

/** One URI could not be fetched; the message names it and says why. */
export class FetchError extends Error {
  override name = 'FetchError';
  constructor(readonly uri: string, reason: string, options?: { cause: unknown }) {
    super(`Failed to fetch '${uri}': ${reason}`, options);
  }
}

interface CacheEntry {
  path: string;
  size: number;
  lastUsed: number;
  /** Fetches copying out of it right now: such an entry is not evicted. */
  users: number;
}

export class Fetcher {
  succeeded = 0;
  failed = 0;
  private readonly entries = new Map<string, CacheEntry>();
  /** Downloads into the cache under way, so concurrent fetches of one URI download it once. */
  private readonly pending = new Map<string, Promise<CacheEntry | undefined>>();
  private usedBytes = 0;
  private readonly stallTimeoutMs: number;
  private cleared = false;

  constructor(private readonly options: FetcherOptions) {
    this.stallTimeoutMs = options.stallTimeoutMs ?? FETCHER_DEFAULTS.stallTimeoutMs;
  }

  get cacheSizeBytes(): number {
    return this.options.cacheSizeBytes;
  }

  get cacheUsedBytes(): number {
    return this.usedBytes;
  }

  /**
   * Fetches every URI into `sandbox`, one after another, appending a line per URI to the
   * sandbox's stderr as Mesos's fetcher does; rejects with a FetchError naming the first URI
   * that failed.
   */
  async fetch(uris: readonly CommandURI[], sandbox: string, agentId: string): Promise<void> {
    if (uris.length === 0) return;
    await mkdir(sandbox, { recursive: true });
    try {
      for (const uri of uris) {
        try {
          const how = await this.fetchOne(uri, sandbox, agentId);
          await note(sandbox, `Fetched '${uri.value}' to '${how}'`);
        } catch (e) {
          const err = e instanceof FetchError ? e : new FetchError(uri.value, describe(e), { cause: e });
          await note(sandbox, err.message);
          throw err;
        }
      }
      this.succeeded++;
    } catch (e) {
      this.failed++;
      throw e;
    }
  }

  private async fetchOne(uri: CommandURI, sandbox: string, agentId: string): Promise<string> {
    const source = parseSource(uri.value);
    const name = uri.output_file ?? source.basename;
    if (name === '' || name === '.' || name === '..') throw new FetchError(uri.value, 'cannot tell a file name from the URI; set output_file');
    const target = resolve(sandbox, name);
    const rel = relative(sandbox, target);
    if (rel === '' || rel.startsWith('..') || rel.startsWith('/')) throw new FetchError(uri.value, `'${name}' is not inside the sandbox`);
    await mkdir(dirname(target), { recursive: true });

    let how = target;
    const entry = uri.cache === true ? await this.cached(uri.value, source, agentId) : undefined;
    if (entry) {
      entry.users++;
      try {
        await copyFile(entry.path, target);
      } finally {
        entry.users--;
        entry.lastUsed = Date.now();
      }
      how = `${target} (from the cache)`;
    } else {
      await this.download(uri.value, source, target);
    }

    if (uri.executable === true) {
      await chmod(target, 0o755);
    } else if (uri.extract ?? true) {
      const kind = archiveKind(name);
      if (kind !== undefined) {
        await extractArchive(kind, target, dirname(target)).catch((e: unknown) => {
          throw new FetchError(uri.value, `cannot extract ${kind} archive '${name}': ${describe(e)}`, { cause: e });
        });
        how += ` (extracted)`;
      }
    }
    return how;
  }

  /** The cache entry of a URI, downloading it first if need be; undefined when it is too big to cache. */
  private async cached(uri: string, source: Source, agentId: string): Promise<CacheEntry | undefined> {
    const key = createHash('sha256').update(uri).digest('hex').slice(0, 32);
    const have = this.entries.get(key);
    if (have) return have;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const p = (async (): Promise<CacheEntry | undefined> => {
      const dir = await this.cacheRoot(agentId);
      const path = join(dir, key, source.basename || 'file');
      await mkdir(dirname(path), { recursive: true });
      await this.download(uri, source, path);
      const { size } = await stat(path);
      if (size > this.options.cacheSizeBytes) {
        // Mesos fetches past the cache what the cache cannot hold.
        await rm(dirname(path), { recursive: true, force: true });
        return undefined;
      }
      this.evictFor(size);
      const entry: CacheEntry = { path, size, lastUsed: Date.now(), users: 0 };
      this.entries.set(key, entry);
      this.usedBytes += size;
      return entry;
    })();
    this.pending.set(key, p);
    try {
      return await p;
    } finally {
      this.pending.delete(key);
    }
  }

  /** The agent's cache directory, emptied on first use: what an earlier run left is not trusted (Mesos clears it at startup). */
  private async cacheRoot(agentId: string): Promise<string> {
    const dir = join(this.options.cacheDir, agentId);
    if (!this.cleared) {
      this.cleared = true;
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(dir, { recursive: true });
    return dir;
  }

  private evictFor(size: number): void {
    const byAge = [...this.entries.entries()].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (this.usedBytes + size > this.options.cacheSizeBytes && byAge.length > 0) {
      const [key, e] = byAge.shift()!;
      this.entries.delete(key);
      this.usedBytes -= e.size;
      void rm(dirname(e.path), { recursive: true, force: true });
    }
  }

  /** Brings the source to `target` (through a temporary file, so a half-written target is never seen). */
  private async download(uri: string, source: Source, target: string): Promise<void> {
    const tmp = `${target}.${randomUUID().slice(0, 8)}.part`;
    try {
      if (source.kind === 'local') {
        const s = await stat(source.path).catch((e: unknown) => {
          throw new FetchError(uri, `cannot read local file '${source.path}': ${describe(e)}`, { cause: e });
        });
        if (!s.isFile()) throw new FetchError(uri, `'${source.path}' is not a regular file`);
        await copyFile(source.path, tmp);
      } else {
        await this.httpGet(uri, source.url, tmp);
      }
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e instanceof FetchError ? e : new FetchError(uri, describe(e), { cause: e });
    }
  }

  private async httpGet(uri: string, url: string, tmp: string): Promise<void> {
    const abort = new AbortController();
    let stall: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => abort.abort(new Error(`no data for ${this.stallTimeoutMs / 1000}secs (--fetcher_stall_timeout)`)), this.stallTimeoutMs);
    };
    arm();
    try {
      const res = await fetch(url, { signal: abort.signal, redirect: 'follow' });
      if (!res.ok || res.body === null) throw new FetchError(uri, `HTTP ${res.status} ${res.statusText}`.trim());
      const watch = new Transform({
        transform(chunk, _enc, cb) {
          arm();
          cb(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), watch, createWriteStream(tmp));
    } catch (e) {
      if (e instanceof FetchError) throw e;
      const reason = abort.signal.aborted ? describe(abort.signal.reason) : describe(e);
      throw new FetchError(uri, reason, { cause: e });
    } finally {
      clearTimeout(stall);
    }
  }
}

type Source = { kind: 'local'; path: string; basename: string } | { kind: 'http'; url: string; basename: string };

function parseSource(value: string): Source {
  if (value.startsWith('/')) return { kind: 'local', path: value, basename: basename(value) };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new FetchError(value, 'a relative path needs --frameworks_home, which mesos-ts does not have; give an absolute path or a URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch (e) {
    throw new FetchError(value, `not a valid URI: ${describe(e)}`);
  }
  const name = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  if (scheme === 'file') return { kind: 'local', path: fileURLToPath(url), basename: name };
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: url.href, basename: name };
  throw new FetchError(value, `the scheme '${scheme}' is not supported (local paths, file://, http:// and https:// are)`);
}

type ArchiveKind = 'tar' | 'tar.gz' | 'zip' | 'gz';

function archiveKind(name: string): ArchiveKind | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.tar.gz') || n.endsWith('.tgz')) return 'tar.gz';
  if (n.endsWith('.tar')) return 'tar';
  if (n.endsWith('.zip')) return 'zip';
  if (n.endsWith('.gz')) return 'gz';
  return undefined;
}

async function extractArchive(kind: ArchiveKind, file: string, into: string): Promise<void> {
  if (kind === 'tar' || kind === 'tar.gz') {
    // tar keeps entries inside `into`: absolute paths and '..' are stripped (its preservePaths is off).
    await tarExtract({ file, cwd: into, gzip: kind === 'tar.gz', strict: true });
  } else if (kind === 'gz') {
    await pipeline(createReadStream(file), createGunzip(), createWriteStream(file.slice(0, -3)));
  } else {
    await unzip(file, into);
  }
}

/** Extracts a zip archive with yauzl, which refuses entries with absolute or '..' paths. */
function unzip(file: string, into: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(file, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open the archive'));
      const fail = (e: unknown): void => {
        zip.close();
        reject(e);
      };
      zip.on('error', fail);
      zip.on('end', () => resolvePromise());
      zip.on('entry', (entry: yauzl.Entry) => {
        const target = join(into, entry.fileName);
        if (entry.fileName.endsWith('/')) {
          mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
          return;
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e ?? new Error(`cannot read ${entry.fileName}`));
          const mode = (entry.externalFileAttributes >>> 16) & 0o777;
          mkdir(dirname(target), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(target, mode !== 0 ? { mode } : {})))
            .then(() => zip.readEntry(), fail);
        });
      });
      zip.readEntry();
    });
  });
}

async function note(sandbox: string, line: string): Promise<void> {
  await appendFile(join(sandbox, 'stderr'), `${line}\n`).catch(() => undefined);
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    // fetch() says only "fetch failed"; what failed is in its cause.
    if (e.message === 'fetch failed' && cause instanceof Error) return cause.message;
    return e.message;
  }
  return String(e);
}
