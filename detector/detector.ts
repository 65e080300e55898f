// Finding the leading master (Mesos's MasterDetector), shared by agents, scheduler drivers, the
// CLIs and masters themselves: a fixed `host:port` never changes; `zk://…` watches the group and
// reports the MasterInfo of its lowest `json.info_` member, or none while there is no leader or
// this component's own session is lost. Data that is not a MasterInfo is skipped, with a warning.

import type { Logger } from 'pino';
import type { MasterInfo } from '../protocol/index.js';
import { ZooKeeperGroup } from './group.js';
import { isZooKeeperUrl, parseZooKeeperUrl, type ZooKeeperUrl } from './zk-url.js';

export interface DetectedMaster {
  info: MasterInfo;
  /** `master@ip:port`. */
  pid: string;
  /** `ip:port` (HTTP). */
  address: string;
}

export type DetectorListener = {
  /** Every change of leader, and undefined when none is known. */
  leader(master: DetectedMaster | undefined): void;
  /** A non-retryable failure: components exit, as Mesos's do. */
  failed?(error: Error): void;
};

export interface MasterDetector {
  /** Subscribes; the current leader, if known, is reported at once. Returns an unsubscribe. */
  listen(l: DetectorListener): () => void;
  /** Mesos's detect(previous): resolves as soon as the leader differs from `previous` (by pid). */
  detect(previous?: string): Promise<DetectedMaster | undefined>;
  readonly current: DetectedMaster | undefined;
  close(): void;
}

export interface DetectorOptions {
  /** Mesos's --zk_session_timeout (default 10 s). */
  sessionTimeoutMs?: number;
  log?: Logger;
  /** Use this group rather than a session of the detector's own (a master contends and detects on one). */
  group?: ZooKeeperGroup;
}

/** A detector for `--master` / `--zk`: `host:port`, `master@host:port`, `zk://…` or `file://…`. */
export function createDetector(master: string, o: DetectorOptions = {}): MasterDetector {
  if (isZooKeeperUrl(master)) return new ZooKeeperMasterDetector(parseZooKeeperUrl(master), o);
  const pid = master.includes('@') ? master : `master@${master}`;
  return new StandaloneDetector(pid);
}

class StandaloneDetector implements MasterDetector {
  readonly current: DetectedMaster;
  constructor(pid: string) {
    const address = pid.slice(pid.indexOf('@') + 1);
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    this.current = { pid, address, info: { id: '', ip: 0, port, hostname: host, pid } };
  }
  listen(l: DetectorListener): () => void {
    l.leader(this.current);
    return () => undefined;
  }
  detect(previous?: string): Promise<DetectedMaster | undefined> {
    return previous === this.current.pid ? new Promise(() => undefined) : Promise.resolve(this.current);
  }
  close(): void {}
}

export class ZooKeeperMasterDetector implements MasterDetector {
  readonly group: ZooKeeperGroup;
  private readonly ownGroup: boolean;
  private leader: DetectedMaster | undefined;
  private known = false;
  private readonly listeners = new Set<DetectorListener>();
  private readonly unlisten: () => void;
  /** Drops reads that a newer member list overtook. */
  private generation = 0;

  constructor(url: ZooKeeperUrl, private readonly o: DetectorOptions) {
    this.ownGroup = o.group === undefined;
    this.group = o.group ?? new ZooKeeperGroup(url, { sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000, ...(o.log ? { log: o.log } : {}) });
    this.unlisten = this.group.listen({
      members: (names) => void this.members(names),
      failed: (error) => {
        for (const l of this.listeners) l.failed?.(error);
      },
    });
    if (this.ownGroup) this.group.start();
  }

  get current(): DetectedMaster | undefined {
    return this.leader;
  }

  listen(l: DetectorListener): () => void {
    this.listeners.add(l);
    if (this.known) l.leader(this.leader);
    return () => this.listeners.delete(l);
  }

  detect(previous?: string): Promise<DetectedMaster | undefined> {
    if (this.known && this.leader?.pid !== previous) return Promise.resolve(this.leader);
    return new Promise((resolve) => {
      const off = this.listen({
        leader: (m) => {
          if (m?.pid === previous) return;
          queueMicrotask(() => off());
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.unlisten();
    this.listeners.clear();
    if (this.ownGroup) this.group.close();
  }

  private async members(names: string[] | undefined): Promise<void> {
    const gen = ++this.generation;
    let next: DetectedMaster | undefined;
    for (const name of names ?? []) {
      let data: Buffer | undefined;
      try {
        data = await this.group.data(name);
      } catch {
        data = undefined;
      }
      if (gen !== this.generation) return;
      if (data === undefined) continue; // gone meanwhile: the watch reports the next list
      const m = parseMasterInfo(data);
      if (m === undefined) {
        this.o.log?.warn({ member: name }, 'skipping a group member whose data is not a MasterInfo');
        continue;
      }
      next = m;
      break;
    }
    if (gen !== this.generation) return;
    const changed = !this.known || next?.pid !== this.leader?.pid;
    this.known = true;
    this.leader = next;
    if (changed) for (const l of [...this.listeners]) l.leader(next);
  }
}

/** MasterInfo JSON as Mesos writes it; its pid, else its address, names the master. */
export function parseMasterInfo(data: Buffer): DetectedMaster | undefined {
  let info: unknown;
  try {
    info = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isMasterInfo(info)) return undefined;
  const ip = info.address?.ip ?? uint32ToIp(info.ip);
  const pid = info.pid ?? `master@${ip}:${info.port}`;
  if (!/^[^@\s]+@[^:\s]+:\d+$/.test(pid)) return undefined;
  return { info, pid, address: pid.slice(pid.indexOf('@') + 1) };
}

/** The fields a detector relies on (what else a MasterInfo holds is passed along as it came). */
function isMasterInfo(v: unknown): v is MasterInfo {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const port = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 65535;
  if (typeof m['id'] !== 'string' || !Number.isInteger(m['ip']) || !port(m['port'])) return false;
  if (m['pid'] !== undefined && typeof m['pid'] !== 'string') return false;
  const a = m['address'];
  if (a !== undefined && (typeof a !== 'object' || a === null || !port((a as Record<string, unknown>)['port']))) return false;
  const ip = (a as Record<string, unknown> | undefined)?.['ip'];
  return ip === undefined || typeof ip === 'string';
}

function uint32ToIp(n: number): string {
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}
