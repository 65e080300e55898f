// The registry of admitted and unreachable agents, kept in one JSON file under `workDir` when
// the master has one (Mesos's registrar with `--registry=in_memory` when it has none). Small and
// written whole, atomically (temp file + rename), on every change, synchronously: Mesos waits for
// its registry write before answering, and this keeps that order without an async step.

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
  private state: RegistryState = { admitted: [], unreachable: [] };
  private readonly file: string | undefined;

  constructor(workDir: string | undefined) {
    this.file = workDir === undefined ? undefined : join(workDir, 'registry.json');
  }

  /** Reads the file, if any; a missing or unreadable file is an empty registry. */
  recover(): RegistryState {
    if (this.file === undefined) return this.state;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<RegistryState>;
      this.state = {
        admitted: Array.isArray(parsed.admitted) ? parsed.admitted.filter((a) => typeof a?.id === 'string') : [],
        unreachable: Array.isArray(parsed.unreachable) ? parsed.unreachable.filter((a) => typeof a?.id === 'string') : [],
      };
    } catch {
      this.state = { admitted: [], unreachable: [] };
    }
    return this.state;
  }

  admit(agent: RegistryAgent): void {
    this.state.admitted = [...this.state.admitted.filter((a) => a.id !== agent.id), agent];
    this.state.unreachable = this.state.unreachable.filter((a) => a.id !== agent.id);
    this.write();
  }

  markUnreachable(id: string, hostname: string, timeMs: number): void {
    this.state.admitted = this.state.admitted.filter((a) => a.id !== id);
    this.state.unreachable = [...this.state.unreachable.filter((a) => a.id !== id), { id, hostname, time_ms: timeMs }];
    this.write();
  }

  remove(id: string): void {
    this.state.admitted = this.state.admitted.filter((a) => a.id !== id);
    this.state.unreachable = this.state.unreachable.filter((a) => a.id !== id);
    this.write();
  }

  private write(): void {
    if (this.file === undefined) return;
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.file);
  }
}
