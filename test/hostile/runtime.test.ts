// The runtime's trust boundary, in-process: authentication at the handshake, TLS, a peer that
// never reads, half-open HTTP requests, handler errors, and /files of what is not a file.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { FileRoots, download, read } from '../../agent/files.js';
import { Actor, InMemoryNetwork, ManualClock, Runtime, WebSocketTransport, loadCredential, loadCredentials, parseCredentials, pid, settle, tlsFromEnv, type Handlers, type Pid } from '../../runtime/index.js';
import { rawPeer, until } from './raw-peer.js';

type Ping = { name: 'Ping'; n: number };

class Recorder extends Actor<Ping> {
  got: { n: number; from: Pid | ''; principal: string | undefined }[] = [];
  protected readonly handlers: Handlers<Ping> = {
    Ping: (m, from) => void this.got.push({ n: m.n, from, principal: this.runtime.principalOf(from) }),
  };
}

const dropped = (rt: Runtime, reason: string): number => (rt.metrics.snapshot()[`runtime/messages_dropped/${reason}`] as number | undefined) ?? 0;

describe('authentication at the handshake', () => {
  const secrets = { alice: 'a-secret', master: 'm-secret' };
  async function pair(client: ConstructorParameters<typeof Object>[0], server: object) {
    const net = new InMemoryNetwork();
    const clock = new ManualClock();
    const s = await Runtime.start({ transport: net.transport(), clock, ...server });
    const c = await Runtime.start({ transport: net.transport(), clock, ...(client as object) });
    const rec = s.spawn(new Recorder(), 'rec');
    const sender = c.spawn(new Recorder(), 'sender');
    c.send(sender.self, rec.self, { name: 'Ping', n: 1 });
    await settle([s, c]);
    return { s, c, rec, sender };
  }

  it('the right secret gives principalOf on both sides; the secret never crosses the wire', async () => {
    const net = new InMemoryNetwork();
    const { s, c, rec, sender } = await pair(
      { auth: { credential: { principal: 'alice', secret: 'a-secret' }, secrets } },
      { auth: { credential: { principal: 'master', secret: 'm-secret' }, secrets, require: true } },
    );
    void net;
    assert.deepEqual(rec.got, [{ n: 1, from: sender.self, principal: 'alice' }]);
    assert.equal(c.principalOf(rec.self), 'master');
    await Promise.all([s.stop(), c.stop()]);
  });

  it('a wrong secret is refused, and so is no credential when authentication is required', async () => {
    for (const client of [{ auth: { credential: { principal: 'alice', secret: 'wrong' } } }, {}]) {
      const { s, c, rec } = await pair(client, { auth: { secrets, require: true } });
      assert.deepEqual(rec.got, []);
      // A wrong secret is caught by whichever side checks first: the client, on the server's ack.
      assert.equal(dropped(s, 'authentication_failed') + dropped(c, 'authentication_failed'), 1);
      await Promise.all([s.stop(), c.stop()]);
    }
  });

  it('without require, an unauthenticated peer is served with no principal', async () => {
    const { s, c, rec } = await pair({}, { auth: { secrets } });
    assert.equal(rec.got.length, 1);
    assert.equal(rec.got[0]!.principal, undefined);
    await Promise.all([s.stop(), c.stop()]);
  });

  it("a flood from another runtime beyond an actor's mailbox bound is dropped and counted, and the runtime keeps serving", async () => {
    const net = new InMemoryNetwork();
    const clock = new ManualClock();
    const s = await Runtime.start({ transport: net.transport(), clock, maxMailbox: 10 });
    const c = await Runtime.start({ transport: net.transport(), clock });
    const rec = s.spawn(new Recorder(), 'rec');
    const sender = c.spawn(new Recorder(), 'sender');
    // One batch of 50, all arriving before the mailbox runs once.
    for (let n = 0; n < 50; n++) c.send(sender.self, rec.self, { name: 'Ping', n });
    await settle([s, c]);
    assert.deepEqual(rec.got.map((g) => g.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(dropped(s, 'mailbox_full'), 40);
    c.send(sender.self, rec.self, { name: 'Ping', n: 99 });
    await settle([s, c]);
    assert.equal(rec.got.at(-1)!.n, 99, 'served again once drained');
    await Promise.all([s.stop(), c.stop()]);
  });

  it('parses Mesos credentials: JSON list, single JSON, `principal secret` text and files', () => {
    assert.deepEqual(parseCredentials('{"credentials":[{"principal":"p","secret":"s"},{"principal":"q","secret":"t"}]}'), [
      { principal: 'p', secret: 's' },
      { principal: 'q', secret: 't' },
    ]);
    assert.deepEqual(parseCredentials('agent  s3cret\n'), [{ principal: 'agent', secret: 's3cret' }]);
    const dir = mkdtempSync(join(tmpdir(), 'mesos-cred-'));
    writeFileSync(join(dir, 'c.json'), '{"principal":"a","secret":"b"}');
    assert.deepEqual(loadCredential(join(dir, 'c.json')), { principal: 'a', secret: 'b' });
    assert.equal(loadCredentials(`file://${join(dir, 'c.json')}`).get('a'), 'b');
    assert.throws(() => parseCredentials('{"credentials":[{"principal":"p"}]}'), /principal/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('over real sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-hostile-rt-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('TLS: two runtimes talk over wss; a plain ws client gets nothing from a TLS runtime', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tls = tlsFromEnv({ LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_CERT_FILE: cert, LIBPROCESS_SSL_KEY_FILE: key, LIBPROCESS_SSL_CA_FILE: cert, LIBPROCESS_SSL_VERIFY_CERT: 'true' })!;
    assert.equal(tlsFromEnv({}), undefined);
    assert.throws(() => tlsFromEnv({ LIBPROCESS_SSL_ENABLED: '1' }), /LIBPROCESS_SSL_CERT_FILE/);
    const a = await Runtime.start({ tls });
    const b = await Runtime.start({ tls });
    const rec = b.spawn(new Recorder(), 'rec');
    a.send('', rec.self, { name: 'Ping', n: 7 });
    await until('delivered over wss', () => (rec.got.length ? true : undefined));
    const plain = new WebSocket(`ws://${b.address}/`);
    const outcome = await new Promise<string>((r) => {
      plain.once('open', () => r('open'));
      plain.once('error', () => r('error'));
      plain.once('close', () => r('closed'));
    });
    assert.notEqual(outcome, 'open');
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a peer that never reads is cut off and counted', async () => {
    const rt = await Runtime.start({ maxOutboundBytes: 1024 * 1024, outboundStallMs: 200 });
    const peer = await rawPeer(rt.address);
    assert.equal(await peer.opened, true);
    (peer.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(64 * 1024);
    const to = pid('sink', peer.address);
    for (let round = 0; round < 200 && dropped(rt, 'slow_peer') === 0; round++) {
      for (let i = 0; i < 16; i++) rt.send('', to, { name: 'Big', big } as never);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(dropped(rt, 'slow_peer'), 1);
    // The paused client does not see the close; the runtime has forgotten it already.
    await until('the peer record is freed', () => (rt.metrics.snapshot()['runtime/peers'] === 0 ? true : undefined));
    await peer.stop();
    await rt.stop();
  });

  it('a spoofed hello is refused while every HELLO address leaves no peer record behind', async () => {
    const rt = await Runtime.start();
    for (let i = 0; i < 20; i++) {
      const p = await rawPeer(rt.address, { claim: `127.0.0.1:${40000 + i}` });
      assert.equal(await p.opened, false);
      await p.stop();
    }
    assert.equal(dropped(rt, 'unproven_address'), 20);
    assert.equal(rt.metrics.snapshot()['runtime/peers'], 0);
    await rt.stop();
  });

  it('300 half-open HTTP requests are capped and timed out; the server keeps answering', async () => {
    const rt = await Runtime.start({ transport: new WebSocketTransport({ headersTimeoutMs: 300, maxConnections: 100 }) });
    const [host, port] = [rt.address.split(':')[0]!, Number(rt.address.split(':')[1])];
    const sockets = Array.from({ length: 300 }, () => {
      const s = connect(port, host, () => s.write('GET /health HTTP/1.1\r\nHost: x\r\n'));
      s.on('error', () => {});
      return s;
    });
    await until('/health answers', async () => {
      const r = await fetch(`http://${rt.address}/health`).catch(() => undefined);
      return r?.status === 200 || undefined;
    });
    await until('the half-open requests are closed', () => (sockets.every((s) => s.destroyed || s.readyState === 'closed' || s.readableEnded) ? true : undefined), 5000);
    for (const s of sockets) s.destroy();
    await rt.stop();
  });

  it('a handler whose body cannot be serialized (BigInt) or whose header is invalid gets a 500', async () => {
    const rt = await Runtime.start();
    const owner = rt.spawn(new Recorder(), 'h');
    rt.route(owner.self, '/bigint', () => ({ status: 200, body: { n: 1n } }));
    rt.route(owner.self, '/header', () => ({ status: 200, headers: { 'x-name': 'a\nb' }, body: 'x' }));
    for (const path of ['/h/bigint', '/h/header']) {
      const r = await fetch(`http://${rt.address}${path}`);
      assert.equal(r.status, 500);
      assert.match(await r.text(), /internal error/);
    }
    assert.equal((await fetch(`http://${rt.address}/health`)).status, 200);
    await rt.stop();
  });

  it('/files: a FIFO, a socket and a device are refused; a newline in a name is encoded', async () => {
    const box = join(dir, 'sandbox');
    mkdirSync(box);
    execFileSync('mkfifo', [join(box, 'fifo')]);
    const sock = createNetServer().listen(join(box, 'sock'));
    await new Promise((r) => sock.once('listening', r));
    writeFileSync(join(box, 'new\nline"name'), 'hello');
    const roots = new FileRoots();
    roots.attach('/sandbox', box);
    roots.attach('/dev-null', '/dev/null');
    for (const path of ['/sandbox/fifo', '/sandbox/sock', '/dev-null']) {
      for (const op of [download, read]) {
        const r = await op(roots, { path, offset: '0' });
        assert.equal(r.status, 400, `${op.name} ${path}`);
      }
    }
    const r = await download(roots, { path: '/sandbox/new\nline"name' });
    assert.equal(r.status, 200);
    assert.ok('filename' in r && !/[\n"]/.test(r.filename), 'filename is header-safe');
    if ('stream' in r) r.stream.destroy();
    sock.close();
  });
});
