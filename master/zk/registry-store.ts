// The registry in ZooKeeper (`--registry=zk`), fenced and chunked. `<path>/registry` holds a
// small manifest — the leading MasterInfo, the names of BUCKETS chunk nodes, and the role
// weights and quota (a few per role, so they ride in the manifest every store writes) — and its znode
// version is the fence: every store ends with one setData of the manifest at the version this
// master last wrote, so once a newer leader has fetched (and rewritten the manifest) a deposed
// leader's store fails with BADVERSION and that master exits, as Mesos's registrar aborts on a
// version mismatch. Agents (admitted, unreachable and gone) are spread over the buckets by a hash of their id; a store writes
// new nodes only for the buckets its operations touched, then swaps the manifest, then deletes
// the chunks it replaced. 50,000 agents of ~200 bytes fill a bucket to about 160 kB, far below
// ZooKeeper's 1 MB znode limit (a bucket that would pass 900 kB fails the store, loudly).

import zookeeper from 'node-zookeeper-client';
import type { Logger } from 'pino';
import type { MasterInfo } from '../../protocol/index.js';
import { emptyRegistryState, readRegistryParts, roleParts, type RegistryBackend, type RegistryQuota, type RegistryState, type RegistryView } from '../registry.js';

export const BUCKETS = 64;
const MAX_CHUNK_BYTES = 900 * 1024;

type Client = zookeeper.Client;

interface Manifest {
  master?: MasterInfo;
  /** Per bucket, its chunk node's name under `<path>/registry`, or '' while empty. */
  buckets: string[];
  weights?: { role: string; weight: number }[];
  quotas?: RegistryQuota[];
}

export class ZooKeeperRegistryStore implements RegistryBackend {
  private readonly root: string;
  private version = -1;
  private manifest: Manifest = { buckets: new Array<string>(BUCKETS).fill('') };
  /** Which agents each bucket holds, kept as stores go so a store reads only its dirty buckets. */
  private readonly members: Set<string>[] = Array.from({ length: BUCKETS }, () => new Set());
  private generation = 0;

  constructor(
    path: string,
    private readonly client: () => Promise<Client>,
    private readonly info: MasterInfo,
    private readonly o: { fetchTimeoutMs: number; storeTimeoutMs: number; log?: Logger },
  ) {
    this.root = `${path}/registry`;
  }

  async fetch(): Promise<RegistryState> {
    return withTimeout(this.fetchNow(), this.o.fetchTimeoutMs, 'registry fetch');
  }

  store(view: RegistryView, dirty: ReadonlySet<string>): Promise<number> {
    return withTimeout(this.storeNow(view, dirty), this.o.storeTimeoutMs, 'registry store');
  }

  private async fetchNow(): Promise<RegistryState> {
    const c = await this.client();
    await call<string>((cb) => c.mkdirp(this.root, cb));
    const [data, stat] = await new Promise<[Buffer, zookeeper.Stat]>((resolve, reject) => c.getData(this.root, (e, d, s) => (e ? reject(e) : resolve([d ?? Buffer.alloc(0), s]))));
    const manifest = parseManifest(data);
    const state = emptyRegistryState();
    readRegistryParts({ weights: manifest.weights, quotas: manifest.quotas }, state);
    for (const m of this.members) m.clear();
    await Promise.all(
      manifest.buckets.map(async (name, i) => {
        if (name === '') return;
        const chunk = emptyRegistryState();
        readRegistryParts(JSON.parse((await call<Buffer>((cb) => c.getData(`${this.root}/${name}`, cb))).toString('utf8')), chunk);
        state.admitted.push(...chunk.admitted);
        state.unreachable.push(...chunk.unreachable);
        state.gone.push(...chunk.gone);
        for (const a of [...chunk.admitted, ...chunk.unreachable, ...chunk.gone]) this.members[i]!.add(a.id);
      }),
    );
    // Taking over: the manifest rewritten with this master in it, at the version just read.
    // From here on the previous leader's stores fail.
    this.manifest = { master: this.info, buckets: manifest.buckets, weights: state.weights, quotas: state.quotas };
    const written = await call<zookeeper.Stat>((cb) => c.setData(this.root, Buffer.from(JSON.stringify(this.manifest)), stat.version, cb));
    this.version = written.version;
    // Chunks of stores that never committed (a leader that died between its chunks and its manifest).
    const live = new Set(manifest.buckets);
    const children = await call<string[]>((cb) => c.getChildren(this.root, cb));
    for (const child of children) if (!live.has(child)) c.remove(`${this.root}/${child}`, () => undefined);
    this.o.log?.info({ agents: state.admitted.length, unreachable: state.unreachable.length, gone: state.gone.length, version: this.version }, 'recovered the registry from ZooKeeper');
    return state;
  }

  private async storeNow(view: RegistryView, dirty: ReadonlySet<string>): Promise<number> {
    const c = await this.client();
    const touched = new Set<number>();
    for (const id of dirty) {
      const b = bucketOf(id);
      touched.add(b);
      if (view.admitted.has(id) || view.unreachable.has(id) || view.gone.has(id)) this.members[b]!.add(id);
      else this.members[b]!.delete(id);
    }
    const gen = `${this.info.id.slice(0, 8)}-${++this.generation}`;
    const next = [...this.manifest.buckets];
    const replaced: string[] = [];
    await Promise.all(
      [...touched].map(async (b) => {
        const ids = [...this.members[b]!];
        const admitted = ids.flatMap((id) => (view.admitted.has(id) ? [view.admitted.get(id)!] : []));
        const unreachable = ids.flatMap((id) => (view.unreachable.has(id) ? [view.unreachable.get(id)!] : []));
        const gone = ids.flatMap((id) => (view.gone.has(id) ? [view.gone.get(id)!] : []));
        const old = next[b]!;
        if (old !== '') replaced.push(old);
        if (admitted.length === 0 && unreachable.length === 0 && gone.length === 0) {
          next[b] = '';
          return;
        }
        const text = `{"admitted":[${admitted.join(',')}],"unreachable":[${unreachable.join(',')}],"gone":[${gone.join(',')}]}`;
        if (text.length > MAX_CHUNK_BYTES) throw new Error(`registry bucket ${b} would hold ${text.length} bytes, over the ${MAX_CHUNK_BYTES}-byte chunk limit`);
        const name = `b${String(b).padStart(3, '0')}.${gen}`;
        await call<string>((cb) => c.create(`${this.root}/${name}`, Buffer.from(text), zookeeper.CreateMode.PERSISTENT, cb));
        next[b] = name;
      }),
    );
    const manifest: Manifest = { master: this.info, buckets: next };
    const text = `${JSON.stringify(manifest).slice(0, -1)},${roleParts(view)}}`;
    if (text.length > MAX_CHUNK_BYTES) throw new Error(`the registry manifest would hold ${text.length} bytes (weights and quota of too many roles), over the ${MAX_CHUNK_BYTES}-byte limit`);
    try {
      const stat = await call<zookeeper.Stat>((cb) => c.setData(this.root, Buffer.from(text), this.version, cb));
      this.version = stat.version;
    } catch (err) {
      if (err instanceof zookeeper.Exception && err.getCode() === zookeeper.Exception.BAD_VERSION) {
        throw new Error('the registry in ZooKeeper was written by another master (version mismatch): this master no longer leads');
      }
      throw err;
    }
    this.manifest = manifest;
    for (const name of replaced) c.remove(`${this.root}/${name}`, () => undefined);
    let bytes = 0;
    for (const e of view.admitted.values()) bytes += e.length + 1;
    for (const e of view.unreachable.values()) bytes += e.length + 1;
    for (const e of view.gone.values()) bytes += e.length + 1;
    return bytes + text.length;
  }
}

/** FNV-1a of the id, so every master puts an agent in the same bucket. */
export function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % BUCKETS;
}

function parseManifest(data: Buffer): Manifest {
  const empty: Manifest = { buckets: new Array<string>(BUCKETS).fill('') };
  if (data.length === 0) return empty;
  const m = JSON.parse(data.toString('utf8')) as Partial<Manifest>;
  if (!Array.isArray(m.buckets) || m.buckets.length !== BUCKETS || !m.buckets.every((b) => typeof b === 'string')) {
    throw new Error(`the registry manifest in ZooKeeper is not one this master understands (expected ${BUCKETS} buckets)`);
  }
  return { ...(m.master ? { master: m.master } : {}), buckets: m.buckets, ...(Array.isArray(m.weights) ? { weights: m.weights } : {}), ...(Array.isArray(m.quotas) ? { quotas: m.quotas } : {}) };
}

function call<T>(f: (cb: (err: Error | zookeeper.Exception | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))),
  ]);
}

