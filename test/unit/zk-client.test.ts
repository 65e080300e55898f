// The ZooKeeper client against a server that answers a request with a reply it cannot read (an
// error code ZooKeeper does not have): the client gives up that connection and reconnects, the
// request fails with CONNECTION_LOSS, and nothing throws out of the socket handler.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { createZooKeeperClient } from '../../detector/index.js';

/** Answers each connect with a session, and each request with the replies `reply` makes for its xid, in one write. */
function fakeServer(reply: (xid: number) => Buffer[]): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let connected = false;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        if (!connected) {
          connected = true;
          // ConnectResponse: protocolVersion, timeOut, sessionId (int64), passwd (16 bytes).
          const body = Buffer.alloc(4 + 4 + 8 + 4 + 16);
          body.writeInt32BE(0, 0);
          body.writeInt32BE(4000, 4);
          body.writeBigInt64BE(1n, 8);
          body.writeInt32BE(16, 16);
          socket.write(Buffer.concat([lengthOf(body), body]));
          continue;
        }
        const xid = frame.readInt32BE(0);
        if (xid === -2) continue; // a ping
        socket.write(Buffer.concat(reply(xid).flatMap((out) => [lengthOf(out), out])));
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  })));
}

function lengthOf(body: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(body.length, 0);
  return b;
}

/** A ReplyHeader: xid, zxid (int64), err. */
function replyHeader(xid: number, err: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32BE(xid, 0);
  h.writeInt32BE(err, 12);
  return h;
}

test('a reply with an error code ZooKeeper does not have ends the connection, not the process, even with more replies behind it', { timeout: 20_000 }, async () => {
  // The unreadable reply, and a ping's reply in the same write (the client reads it in a nested call).
  const server = await fakeServer((xid) => [replyHeader(xid, -2108358653), replyHeader(-2, 0)]);
  const uncaught: Error[] = [];
  const onUncaught = (err: Error): void => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  const client = createZooKeeperClient(`127.0.0.1:${server.port}`, { sessionTimeout: 4000, spinDelay: 50, retries: 0 });
  try {
    await new Promise<void>((resolve) => {
      client.once('connected', () => resolve());
      client.connect();
    });
    const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    const err = await new Promise<unknown>((resolve) => client.getData('/mesos', (e) => resolve(e)));
    assert.ok(err instanceof zookeeper.Exception, `the request fails (${String(err)})`);
    assert.equal(err.getCode(), zookeeper.Exception.CONNECTION_LOSS);
    await reconnected;
    assert.ok(server.connections() >= 2, 'the client connected again');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(uncaught, [], 'nothing was thrown out of the socket handler');
    assert.ok(warnings.some((w) => w.includes('ZooKeeper reply not readable')), `a warning says why: ${warnings.join('; ')}`);
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('warning', onWarning);
    client.close();
    server.close();
  }
});
