// A master's part in the ZooKeeper election (Mesos's MasterContender and the master's own
// detector, on one session): it contends with an ephemeral sequential `json.info_` node holding
// its MasterInfo as JSON, and watches who leads. Elected once the lowest node is its own. A
// leader that loses its candidacy, or sees no leader or another one, must exit (Mesos's master
// "commits suicide"); a standby that loses its candidacy contends again.

import type { Logger } from 'pino';
import type { MasterInfo } from '../../protocol/index.js';
import { ZooKeeperGroup, ZooKeeperMasterDetector, type DetectedMaster, type ZooKeeperUrl } from '../../detector/index.js';

export interface LeadershipEvents {
  /** This master now leads. */
  elected(): void;
  /** Who leads, whenever that changes (undefined: nobody known). */
  leader(master: DetectedMaster | undefined): void;
  /** The leader lost its leadership: the process must exit with this reason. */
  deposed(reason: string): void;
}

export class Leadership {
  readonly group: ZooKeeperGroup;
  readonly detector: ZooKeeperMasterDetector;
  private membership: string | undefined;
  private leading = false;
  private closed = false;

  constructor(
    readonly url: ZooKeeperUrl,
    private readonly info: MasterInfo,
    private readonly events: LeadershipEvents,
    o: { sessionTimeoutMs: number; log?: Logger },
  ) {
    this.group = new ZooKeeperGroup(url, { sessionTimeoutMs: o.sessionTimeoutMs, ...(o.log ? { log: o.log } : {}) });
    this.detector = new ZooKeeperMasterDetector(url, { group: this.group });
    this.group.listen({
      lost: (name) => name === this.membership && this.candidacyLost(),
      failed: (error) => this.events.deposed(`ZooKeeper failed: ${error.message}`),
    });
    this.detector.listen({ leader: (m) => this.detected(m) });
  }

  get elected(): boolean {
    return this.leading;
  }

  /** The node this master contends with (`json.info_<seq>`), once created. */
  get node(): string | undefined {
    return this.membership;
  }

  start(): void {
    this.group.start();
    this.contend();
  }

  close(): void {
    this.closed = true;
    this.detector.close();
    this.group.close();
  }

  private contend(): void {
    if (this.closed) return;
    this.membership = undefined;
    this.group.join(Buffer.from(JSON.stringify(this.info))).then(
      (name) => {
        this.membership = name;
        // The watch may have reported our node before we knew its name: look again.
        this.detected(this.detector.current);
      },
      () => setTimeout(() => this.contend(), 2000),
    );
  }

  private candidacyLost(): void {
    this.membership = undefined;
    if (this.leading) return this.events.deposed('lost its candidacy in ZooKeeper');
    this.contend();
  }

  private detected(m: DetectedMaster | undefined): void {
    if (this.closed) return;
    const mine = m !== undefined && m.info.id === this.info.id;
    if (this.leading && !mine) return this.events.deposed(m === undefined ? 'no leader is known any more' : `another master leads: ${m.pid}`);
    this.events.leader(m);
    if (mine && !this.leading && this.membership !== undefined) {
      this.leading = true;
      this.events.elected();
    }
  }
}
