// node-zookeeper-client's clients, hardened where a server's bytes could throw out of the
// client's socket handler. The client keeps a partial reply across a reconnect and reads it
// together with the next connection's bytes; a reply so misread can carry an error code the
// client does not know, and it throws from the socket's 'data' event, where no caller can catch
// it: the process would die, and the request would never be answered. Here an unknown code
// answers the request with CONNECTION_LOSS (which callers retry), and a reply the client could
// not read ends that connection (the client reconnects, as after any socket error, and fails
// its other pending requests with CONNECTION_LOSS); a closed socket forgets its partial reply.

import { createRequire } from 'node:module';
import zookeeper from 'node-zookeeper-client';

interface Manager {
  pendingBuffer: Buffer | null;
  socket?: { destroy(): void };
}
type Method = (this: Manager, ...args: unknown[]) => unknown;

const require = createRequire(import.meta.url);
const exception = require('node-zookeeper-client/lib/Exception.js') as { create: (code: number, path?: string) => unknown; CONNECTION_LOSS: number };
const manager = (require('node-zookeeper-client/lib/ConnectionManager.js') as { prototype: Record<string, Method> }).prototype;

/** Set when a reply read in the onSocketData under way carried an unknown error code. */
let misread: string | undefined;
/** onSocketData calls itself for the rest of a buffer: the outermost call judges. */
let depth = 0;
const create = exception.create;
exception.create = (code: number, path?: string): unknown => {
  try {
    return create(code, path);
  } catch (err) {
    misread = (err as Error).message;
    return create(exception.CONNECTION_LOSS, path);
  }
};

const onSocketData = manager['onSocketData']!;
const onSocketClosed = manager['onSocketClosed']!;
manager['onSocketData'] = function (this: Manager, buffer: unknown) {
  if (depth === 0) misread = undefined;
  depth++;
  try {
    onSocketData.call(this, buffer);
  } catch (err) {
    misread ??= (err as Error).message;
  } finally {
    depth--;
  }
  if (depth > 0 || misread === undefined) return;
  process.emitWarning(`ZooKeeper reply not readable (${misread}); reconnecting`);
  misread = undefined;
  this.pendingBuffer = null;
  this.socket?.destroy();
};
manager['onSocketClosed'] = function (this: Manager, ...args: unknown[]) {
  this.pendingBuffer = null;
  return onSocketClosed.apply(this, args);
};

/** zookeeper.createClient, on the hardened client. */
export function createZooKeeperClient(servers: string, options: Partial<zookeeper.Option>): zookeeper.Client {
  return zookeeper.createClient(servers, options);
}
