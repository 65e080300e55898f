// A ZooKeeper group (Mesos's src/zookeeper/group.cpp) on the pure-JS node-zookeeper-client:
// one session; memberships as ephemeral sequential children `<label><10-digit seq>` of the
// group's path; a watch on the children that reports every change. When the connection drops,
// a local timer of the session timeout starts, because the server's verdict on the session
// arrives only after a reconnect: when it fires the session is treated as expired here —
// watchers hear "no members known", owned memberships are reported lost, and a new session
// starts. Retryable errors are retried every 2 s; an authentication failure is final.

import zookeeper from 'node-zookeeper-client';
import type { Logger } from 'pino';
import type { ZooKeeperUrl } from './zk-url.js';
import { createZooKeeperClient } from './zk-client.js';

type Client = zookeeper.Client;

/** Mesos's label for MasterInfo as JSON. */
export const MASTER_LABEL = 'json.info_';
const RETRY_MS = 2000;

export interface GroupListener {
  /** The children of the group with the label, lowest sequence first; undefined while the session is lost. */
  members?(names: string[] | undefined): void;
  /** A membership this group owned is gone (its node was deleted, or the session expired). */
  lost?(name: string): void;
  /** A non-retryable failure (authentication); every component treats it as fatal. */
  failed?(error: Error): void;
}

export interface GroupOptions {
  sessionTimeoutMs: number;
  label?: string;
  log?: Logger;
}

export class ZooKeeperGroup {
  private client: Client | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private connectWatchdog: NodeJS.Timeout | undefined;
  private closed = false;
  private session = 0;
  private last: string[] | undefined;
  private readonly owned = new Set<string>();
  private readonly listeners = new Set<GroupListener>();
  private readonly label: string;
  /** Resolves once a session is connected (and the group's path exists). */
  private readyWaiters: (() => void)[] = [];
  private ready = false;

  constructor(
    readonly url: ZooKeeperUrl,
    private readonly o: GroupOptions,
  ) {
    this.label = o.label ?? MASTER_LABEL;
  }

  listen(l: GroupListener): () => void {
    this.listeners.add(l);
    if (this.last !== undefined) l.members?.(this.last);
    return () => this.listeners.delete(l);
  }

  start(): void {
    if (this.client === undefined && !this.closed) this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.expiry);
    clearTimeout(this.retry);
    clearTimeout(this.connectWatchdog);
    this.client?.close();
    this.client = undefined;
  }

  /** The current session's client, once connected. */
  async connected(): Promise<Client> {
    if (!this.ready) await new Promise<void>((r) => this.readyWaiters.push(r));
    return this.client!;
  }

  /** Creates an ephemeral sequential membership holding `data`; resolves with its node name. */
  async join(data: Buffer): Promise<string> {
    const client = await this.connected();
    const path = await new Promise<string>((resolve, reject) =>
      client.create(`${this.url.path}/${this.label}`, data, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, (err, p) => (err ? reject(err) : resolve(p))),
    );
    const name = path.slice(path.lastIndexOf('/') + 1);
    this.owned.add(name);
    this.watch();
    return name;
  }

  /** Deletes a membership this group owns. */
  async cancel(name: string): Promise<void> {
    this.owned.delete(name);
    const client = await this.connected();
    await new Promise<void>((resolve, reject) => client.remove(`${this.url.path}/${name}`, (err) => (err && err instanceof zookeeper.Exception && err.getCode() !== zookeeper.Exception.NO_NODE ? reject(err) : resolve())));
  }

  /** A member's data, or undefined if it is gone. */
  async data(name: string): Promise<Buffer | undefined> {
    const client = await this.connected();
    return new Promise((resolve, reject) =>
      client.getData(`${this.url.path}/${name}`, (err, data) => {
        if (err instanceof zookeeper.Exception && err.getCode() === zookeeper.Exception.NO_NODE) return resolve(undefined);
        if (err) return reject(err);
        resolve(data ?? Buffer.alloc(0));
      }),
    );
  }

  /** The 64-bit session id as hex (what ZooKeeper's `cons` and a node's ephemeralOwner show). */
  sessionId(): string | undefined {
    return this.ready ? this.client?.getSessionId().toString('hex') : undefined;
  }

  private connect(): void {
    const session = ++this.session;
    this.ready = false;
    const client = createZooKeeperClient(this.url.servers, { sessionTimeout: this.o.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    this.client = client;
    if (this.url.auth !== undefined) client.addAuthInfo('digest', Buffer.from(this.url.auth));
    client.on('state', (state) => {
      if (session !== this.session || this.closed) return;
      const S = zookeeper.State;
      if (state === S.SYNC_CONNECTED || state === S.CONNECTED_READ_ONLY) {
        clearTimeout(this.expiry);
        this.expiry = undefined;
        this.o.log?.debug({ session: this.sessionId() }, 'ZooKeeper session connected');
        this.setup(client, session);
      } else if (state === S.DISCONNECTED) {
        this.o.log?.warn('lost the connection to ZooKeeper; the session expires here after the session timeout');
        this.expiry ??= setTimeout(() => this.expire('no connection to ZooKeeper for the session timeout'), this.o.sessionTimeoutMs);
      } else if (state === S.EXPIRED) {
        this.expire('ZooKeeper expired the session');
      } else if (state === S.AUTH_FAILED) {
        for (const l of this.listeners) l.failed?.(new Error('ZooKeeper authentication failed'));
      }
    });
    client.connect();
    // A fresh client can hang half-connected to a server that is still starting; one that has
    // not connected within the session timeout (at least 2 s) is replaced.
    const watchdog = setTimeout(() => {
      if (session !== this.session || this.closed || this.ready) return;
      this.client = undefined;
      client.close();
      this.connect();
    }, Math.max(this.o.sessionTimeoutMs, RETRY_MS));
    client.once('connected', () => clearTimeout(watchdog));
    this.connectWatchdog = watchdog;
  }

  /** Ensures the group's path exists, then reads (and watches) its children. */
  private setup(client: Client, session: number): void {
    client.mkdirp(this.url.path, (err) => {
      if (session !== this.session || this.closed) return;
      if (err) {
        this.o.log?.warn({ err: String(err) }, 'cannot create the group path; retrying');
        this.retry = setTimeout(() => this.setup(client, session), RETRY_MS);
        return;
      }
      this.ready = true;
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w();
      this.watch();
    });
  }

  private expire(why: string): void {
    if (this.closed) return;
    this.o.log?.warn({ reason: why }, 'ZooKeeper session expired');
    clearTimeout(this.expiry);
    this.expiry = undefined;
    const old = this.client;
    this.client = undefined;
    old?.close();
    this.last = undefined;
    for (const l of this.listeners) l.members?.(undefined);
    const owned = [...this.owned];
    this.owned.clear();
    for (const name of owned) for (const l of this.listeners) l.lost?.(name);
    this.connect();
  }

  /** Reads the children with a watch; each change reads them again (watches fire once). */
  private watch(): void {
    const client = this.client;
    const session = this.session;
    if (client === undefined || !this.ready) return;
    client.getChildren(
      this.url.path,
      () => session === this.session && this.watch(),
      (err, children) => {
        if (session !== this.session || this.closed) return;
        if (err) {
          // Connection loss: the next SYNC_CONNECTED reads again; anything else, after a pause.
          this.retry = setTimeout(() => this.watch(), RETRY_MS);
          return;
        }
        const names = children.filter((c) => sequenceOf(c, this.label) !== undefined).sort((a, b) => sequenceOf(a, this.label)! - sequenceOf(b, this.label)!);
        for (const name of [...this.owned]) {
          if (names.includes(name)) continue;
          this.owned.delete(name);
          for (const l of this.listeners) l.lost?.(name);
        }
        if (this.last !== undefined && this.last.join() === names.join()) return;
        this.last = names;
        for (const l of this.listeners) l.members?.(names);
      },
    );
  }
}

/** The sequence number of `<label><digits>`; undefined for any other child (Mesos ignores those). */
export function sequenceOf(name: string, label = MASTER_LABEL): number | undefined {
  if (!name.startsWith(label)) return undefined;
  const digits = name.slice(label.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}
