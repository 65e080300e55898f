// The registry of admitted and unreachable agents, kept in one JSON file under `workDir` when
// the master has one (Mesos's registrar with `--registry=in_memory` when it has none), written
// whole and atomically (temp file + rename). Changes made in one event-loop turn are written
// together at its end (a large registry a little later: see nextWriteAt), as Mesos's registrar
// applies the operations queued behind a store in one write: a registration storm of N agents
// would otherwise write the file N times, O(N²) bytes. An agent whose admission the master
// answered but had not written when it died is readmitted when it re-registers, as any agent
// re-registering with an id is.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RegistryAgent {
  id: string;
  hostname: string;
  port?: number;
}

export interface RegistryState {
  admitted: RegistryAgent[];
  unreachable: { id: string; hostname: string; time_ms: number }[];
}

export class Registry {
  // Each entry kept as its JSON text, so that a write joins strings instead of serialising
  // every agent again: at 50,000 agents a re-registration storm writes the file often.
  private readonly admitted = new Map<string, string>();
  private readonly unreachable = new Map<string, string>();
  private readonly file: string | undefined;
  private writeQueued = false;
  /**
   * A registry that takes a millisecond or more to write (thousands of agents) is written again
   * no sooner than ten times that long after: in a storm of re-registrations, arriving a few per
   * turn, writing at the end of every turn took a third of the master's time. A small one is
   * written at the end of every turn that changed it.
   */
  private nextWriteAt = 0;

  constructor(workDir: string | undefined) {
    this.file = workDir === undefined ? undefined : join(workDir, 'registry.json');
  }

  /** Reads the file, if any; a missing or unreadable file is an empty registry. */
  recover(): RegistryState {
    this.admitted.clear();
    this.unreachable.clear();
    const state: RegistryState = { admitted: [], unreachable: [] };
    if (this.file !== undefined) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<RegistryState>;
        for (const a of Array.isArray(parsed.admitted) ? parsed.admitted : []) {
          if (typeof a?.id !== 'string') continue;
          this.admitted.set(a.id, JSON.stringify(a));
          state.admitted.push(a);
        }
        for (const a of Array.isArray(parsed.unreachable) ? parsed.unreachable : []) {
          if (typeof a?.id !== 'string') continue;
          this.unreachable.set(a.id, JSON.stringify(a));
          state.unreachable.push(a);
        }
      } catch {
        this.admitted.clear();
        this.unreachable.clear();
        return { admitted: [], unreachable: [] };
      }
    }
    return state;
  }

  admit(agent: RegistryAgent): void {
    // Deleted first, so that a re-admitted agent moves to the end, as it always has.
    this.admitted.delete(agent.id);
    this.admitted.set(agent.id, JSON.stringify(agent));
    this.unreachable.delete(agent.id);
    this.changed();
  }

  markUnreachable(id: string, hostname: string, timeMs: number): void {
    this.admitted.delete(id);
    this.unreachable.delete(id);
    this.unreachable.set(id, JSON.stringify({ id, hostname, time_ms: timeMs }));
    this.changed();
  }

  remove(id: string): void {
    this.admitted.delete(id);
    this.unreachable.delete(id);
    this.changed();
  }

  private changed(): void {
    if (this.file === undefined || this.writeQueued) return;
    this.writeQueued = true;
    const flush = (): void => {
      this.writeQueued = false;
      this.write();
    };
    const wait = this.nextWriteAt - performance.now();
    if (wait <= 0) queueMicrotask(flush);
    else setTimeout(flush, wait);
  }

  private write(): void {
    if (this.file === undefined) return;
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const started = performance.now();
    writeFileSync(tmp, `{"admitted":[${[...this.admitted.values()].join(',')}],"unreachable":[${[...this.unreachable.values()].join(',')}]}`);
    renameSync(tmp, this.file);
    const now = performance.now();
    this.nextWriteAt = now - started >= 1 ? now + 10 * (now - started) : 0;
  }
}
