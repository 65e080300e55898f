// The registry (admitted agents, unreachable and gone agents with their times, role weights and
// quota), kept in one JSON file under `workDir` when
// the master has one, in ZooKeeper with `--registry=zk` (a RegistryBackend, master/zk/), and in
// memory otherwise (Mesos's registrar with `--registry=in_memory`). As
// Mesos's registrar, it takes operations, applies them to its state and stores the whole state
// durably (temp file written and fsynced, renamed, directory fsynced); one store is in flight at
// a time, and the operations that arrive meanwhile go together into the next one, so a
// registration storm of N agents writes the file far fewer than N times. An operation's promise
// resolves only once a store that contains it is on disk: the master answers an agent, or tells
// frameworks that an agent left, only then.

import { mkdir, open, rename } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Resource } from '../protocol/index.js';

export interface RegistryAgent {
  id: string;
  hostname: string;
  port?: number;
}

/** A role's quota as stored: its guarantee and limit as resource lists. */
export interface RegistryQuota {
  role: string;
  guarantee: Resource[];
  limit: Resource[];
}

export interface RegistryState {
  admitted: RegistryAgent[];
  unreachable: { id: string; hostname: string; time_ms: number }[];
  /** Agents an operator marked gone, with when (Mesos's Registry.gone). */
  gone: { id: string; time_ms: number }[];
  /** Role weights set over /weights or UPDATE_WEIGHTS (Mesos's Registry.weights). */
  weights: { role: string; weight: number }[];
  /** Quota set over /quota or UPDATE_QUOTA (Mesos's Registry.quota_configs). */
  quotas: RegistryQuota[];
}

/**
 * What the master asks the registry to record (Mesos's AdmitSlave, MarkSlaveUnreachable,
 * RemoveSlave, MarkSlaveGone, Prune, UpdateWeights, UpdateQuota).
 */
export type RegistryOperation =
  | { type: 'admit'; agent: RegistryAgent }
  | { type: 'markUnreachable'; id: string; hostname: string; time_ms: number }
  | { type: 'remove'; id: string }
  | { type: 'markGone'; id: string; time_ms: number }
  /** Forgets unreachable and gone agents (the registry's garbage collection). */
  | { type: 'prune'; unreachable: string[]; gone: string[] }
  | { type: 'updateWeights'; weights: Record<string, number> }
  /** Sets a role's quota, or removes it (`quota` undefined). */
  | { type: 'updateQuota'; role: string; quota?: RegistryQuota };

/** The entries as the registry keeps them: id (or role) → the entry's JSON text. */
export interface RegistryView {
  readonly admitted: ReadonlyMap<string, string>;
  readonly unreachable: ReadonlyMap<string, string>;
  readonly gone: ReadonlyMap<string, string>;
  readonly weights: ReadonlyMap<string, number>;
  readonly quotas: ReadonlyMap<string, string>;
}

export function emptyRegistryState(): RegistryState {
  return { admitted: [], unreachable: [], gone: [], weights: [], quotas: [] };
}

/** The parts of a stored registry (a file, a chunk, a manifest) that are well-formed; the rest is dropped. */
export function readRegistryParts(parsed: unknown, into: RegistryState): void {
  if (typeof parsed !== 'object' || parsed === null) return;
  const p = parsed as Record<string, unknown>;
  const list = (k: string): Record<string, unknown>[] => (Array.isArray(p[k]) ? (p[k] as unknown[]).filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : []);
  for (const a of list('admitted')) if (typeof a['id'] === 'string' && typeof a['hostname'] === 'string') into.admitted.push(a as unknown as RegistryAgent);
  for (const u of list('unreachable')) if (typeof u['id'] === 'string' && typeof u['time_ms'] === 'number') into.unreachable.push(u as unknown as RegistryState['unreachable'][number]);
  for (const g of list('gone')) if (typeof g['id'] === 'string' && typeof g['time_ms'] === 'number') into.gone.push({ id: g['id'], time_ms: g['time_ms'] });
  for (const w of list('weights')) if (typeof w['role'] === 'string' && typeof w['weight'] === 'number' && w['weight'] > 0) into.weights.push({ role: w['role'], weight: w['weight'] });
  for (const q of list('quotas')) if (typeof q['role'] === 'string' && Array.isArray(q['guarantee']) && Array.isArray(q['limit'])) into.quotas.push(q as unknown as RegistryQuota);
}

/** Where a registry lives besides a local file (ZooKeeper): read once on election, written per batch. */
export interface RegistryBackend {
  /** Reads the stored state, and fences every earlier writer (a deposed leader's next store fails). */
  fetch(): Promise<RegistryState>;
  /** Stores the state; `dirty` names the agents changed since the last store. Resolves with the bytes written. */
  store(view: RegistryView, dirty: ReadonlySet<string>): Promise<number>;
}

/** What `registrar/*` reports. */
export interface RegistrarStats {
  queued: number;
  sizeBytes: number;
  lastFetchMs: number;
  lastStoreMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Registry implements RegistryView {
  // Each entry kept as its JSON text, so that a store joins strings instead of serialising
  // every agent again: at 50,000 agents a re-registration storm stores the file often.
  readonly admitted = new Map<string, string>();
  readonly unreachable = new Map<string, string>();
  readonly gone = new Map<string, string>();
  readonly weights = new Map<string, number>();
  readonly quotas = new Map<string, string>();
  private readonly file: string | undefined;
  private readonly backend: RegistryBackend | undefined;
  /** The operations applied since the store in flight began: they go into the next store. */
  private queued: Waiter[] = [];
  private storing = false;
  /** Agents changed since the store in flight began. */
  private dirty = new Set<string>();
  /** Stores done (for tests and benchmarks). */
  stores = 0;
  /** Each store's duration, the last ones (for `registrar/state_store_ms` and the benchmark). */
  readonly storeMs: number[] = [];
  readonly stats: RegistrarStats = { queued: 0, sizeBytes: 0, lastFetchMs: 0, lastStoreMs: 0 };

  constructor(where: string | RegistryBackend | undefined) {
    this.file = typeof where === 'string' ? join(where, 'registry.json') : undefined;
    this.backend = typeof where === 'object' ? where : undefined;
  }

  /** Whether recovery must wait for fetch() (a backend) rather than recover() (a file, or none). */
  get remote(): boolean {
    return this.backend !== undefined;
  }

  /** Reads the backend's state (a new leader's recovery); throws if it cannot. */
  async fetch(): Promise<RegistryState> {
    const started = Date.now();
    const state = await this.backend!.fetch();
    this.stats.lastFetchMs = Date.now() - started;
    this.load(state);
    return state;
  }

  private load(state: RegistryState): void {
    this.admitted.clear();
    this.unreachable.clear();
    this.gone.clear();
    this.weights.clear();
    this.quotas.clear();
    for (const a of state.admitted) this.admitted.set(a.id, JSON.stringify(a));
    for (const u of state.unreachable) this.unreachable.set(u.id, JSON.stringify(u));
    for (const g of state.gone) this.gone.set(g.id, JSON.stringify(g));
    for (const w of state.weights) this.weights.set(w.role, w.weight);
    for (const q of state.quotas) this.quotas.set(q.role, JSON.stringify(q));
  }

  /** Reads the file, if any; a missing or unreadable file is an empty registry. */
  recover(): RegistryState {
    const state = emptyRegistryState();
    if (this.file !== undefined) {
      try {
        readRegistryParts(JSON.parse(readFileSync(this.file, 'utf8')), state);
      } catch {
        this.load(emptyRegistryState());
        return emptyRegistryState();
      }
    }
    this.load(state);
    return state;
  }

  /**
   * Applies `op` and resolves once a store that contains it is durable; rejects if that store
   * failed. Without a file it resolves at once, but never synchronously, so that what the
   * caller does afterwards happens in the same order in both modes.
   */
  apply(op: RegistryOperation): Promise<void> {
    this.mutate(op);
    if (this.file === undefined && this.backend === undefined) return Promise.resolve();
    for (const id of touchedAgents(op)) this.dirty.add(id);
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ resolve, reject });
      this.stats.queued = this.queued.length;
      // Started a microtask later rather than now, so that the operations applied by the same
      // handler share a store; later ones wait for the store in flight (no timer: batching
      // comes from the store's own duration).
      if (!this.storing) {
        this.storing = true;
        queueMicrotask(() => void this.storeNext());
      }
    });
  }

  private mutate(op: RegistryOperation): void {
    switch (op.type) {
      case 'admit':
        // Deleted first, so that a re-admitted agent moves to the end, as it always has.
        this.admitted.delete(op.agent.id);
        this.admitted.set(op.agent.id, JSON.stringify(op.agent));
        this.unreachable.delete(op.agent.id);
        return;
      case 'markUnreachable':
        this.admitted.delete(op.id);
        this.unreachable.delete(op.id);
        this.unreachable.set(op.id, JSON.stringify({ id: op.id, hostname: op.hostname, time_ms: op.time_ms }));
        return;
      case 'remove':
        this.admitted.delete(op.id);
        this.unreachable.delete(op.id);
        return;
      case 'markGone':
        this.admitted.delete(op.id);
        this.unreachable.delete(op.id);
        this.gone.set(op.id, JSON.stringify({ id: op.id, time_ms: op.time_ms }));
        return;
      case 'prune':
        for (const id of op.unreachable) this.unreachable.delete(id);
        for (const id of op.gone) this.gone.delete(id);
        return;
      case 'updateWeights':
        for (const [role, weight] of Object.entries(op.weights)) this.weights.set(role, weight);
        return;
      case 'updateQuota':
        if (op.quota === undefined) this.quotas.delete(op.role);
        else this.quotas.set(op.role, JSON.stringify(op.quota));
        return;
    }
  }

  /** Stores the state with every operation queued so far; then the next batch, if any. */
  private async storeNext(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    this.stats.queued = 0;
    if (batch.length === 0) {
      this.storing = false;
      return;
    }
    const dirty = this.dirty;
    this.dirty = new Set();
    const started = Date.now();
    try {
      if (this.backend !== undefined) {
        this.stats.sizeBytes = await this.backend.store(this, dirty);
      } else {
        const text = `{"admitted":[${[...this.admitted.values()].join(',')}],"unreachable":[${[...this.unreachable.values()].join(',')}],"gone":[${[...this.gone.values()].join(',')}],${roleParts(this)}}`;
        await this.store(text);
        this.stats.sizeBytes = text.length;
      }
      this.stats.lastStoreMs = Date.now() - started;
      this.storeMs.push(this.stats.lastStoreMs);
      if (this.storeMs.length > 1000) this.storeMs.shift();
      this.stores++;
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
    void this.storeNext();
  }

  private async store(text: string): Promise<void> {
    const file = this.file!;
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    // The rename is durable only once the directory's entry is.
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

/** The agents an operation changes (the ZooKeeper store rewrites only their buckets). */
function touchedAgents(op: RegistryOperation): readonly string[] {
  switch (op.type) {
    case 'admit':
      return [op.agent.id];
    case 'markUnreachable':
    case 'remove':
    case 'markGone':
      return [op.id];
    case 'prune':
      return [...op.unreachable, ...op.gone];
    case 'updateWeights':
    case 'updateQuota':
      return [];
  }
}

/** `"weights":[…],"quotas":[…]`: the per-role parts, as the file and the ZooKeeper manifest hold them. */
export function roleParts(view: RegistryView): string {
  const weights = [...view.weights].map(([role, weight]) => JSON.stringify({ role, weight }));
  return `"weights":[${weights.join(',')}],"quotas":[${[...view.quotas.values()].join(',')}]`;
}
