// Mesos's ZooKeeper URL: `zk://[user:pass@]host:port[,host:port…]/path`, or `file:///path` of a
// file holding one. Parsed once at the edge; a malformed URL is a ValidationError that names it.

import { readFileSync } from 'node:fs';
import { ValidationError } from '../runtime/index.js';

export interface ZooKeeperUrl {
  /** `host:port[,host:port…]`, as ZooKeeper clients take it. */
  servers: string;
  /** The group's znode, e.g. `/mesos` (never `/` alone, never ending in `/`). */
  path: string;
  /** `user:pass` for the digest scheme, when given. */
  auth?: string;
}

export function isZooKeeperUrl(text: string): boolean {
  const t = text.trim();
  return t.startsWith('zk://') || t.startsWith('file://');
}

export function parseZooKeeperUrl(text: string): ZooKeeperUrl {
  let t = text.trim();
  if (t.startsWith('file://')) {
    const file = t.slice('file://'.length);
    try {
      t = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ValidationError(`cannot read the ZooKeeper URL from '${file}': ${(err as Error).message}`);
    }
    if (t.startsWith('file://')) throw new ValidationError(`'${file}' holds another file:// URL; expected zk://host:port/path`);
  }
  const m = /^zk:\/\/(?:([^@/]+)@)?([^/]+)(\/.*)$/.exec(t);
  if (m === null) throw new ValidationError(`'${text}' is not a ZooKeeper URL (zk://[user:pass@]host:port[,host:port]/path)`);
  const servers = m[2]!;
  for (const s of servers.split(',')) {
    const hp = /^([^:,]+):(\d{1,5})$/.exec(s);
    if (hp === null || Number(hp[2]) < 1 || Number(hp[2]) > 65535) throw new ValidationError(`'${text}': '${s}' is not host:port`);
  }
  const path = m[3]!.replace(/\/+$/, '');
  if (path === '' || /\/\//.test(path)) throw new ValidationError(`'${text}': the path must name a znode, e.g. /mesos`);
  const auth = m[1];
  if (auth !== undefined && !/^[^:]+:.+$/.test(auth)) throw new ValidationError(`'${text}': credentials must be user:pass`);
  return { servers, path, ...(auth !== undefined ? { auth } : {}) };
}
