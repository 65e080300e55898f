// A standalone ZooKeeper server from Debian's `zookeeper` package, for `mesos-local
// --num_masters` and for tests and benchmarks: a generated config on a free port of 127.0.0.1,
// a data directory of its own, started as `java … ZooKeeperServerMain` with the package's jar
// (its manifest names the rest of the classpath) and stopped, data and all, with stop().

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** The slf4j binding that prints nothing: the server's own log is not ours to show. */
const SLF4J_NOP = '/usr/share/java/slf4j-nop.jar';

export interface ZooKeeperServer {
  /** `127.0.0.1:port`. */
  readonly connect: string;
  readonly port: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Stops the server (SIGKILL if `kill`), keeping the data directory: start() on it again resumes. */
  pause(kill?: boolean): Promise<void>;
  /** Starts it again on the same port and data directory. */
  resume(): Promise<void>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

export interface ZooKeeperServerOptions {
  /** Defaults to a free port. */
  port?: number;
  /** Defaults to a new temporary directory (removed by stop()). */
  dataDir?: string;
  /** ZooKeeper's tick; sessions may be as short as 2 ticks. Default 200 ms, so tests can use 1–2 s sessions. */
  tickMs?: number;
  /** How long to wait for the server to answer `ruok`. Default 30 s. */
  startTimeoutMs?: number;
}

export function zookeeperInstalled(): boolean {
  return existsSync(ZOOKEEPER_JAR);
}

export async function startZooKeeper(o: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
  if (!zookeeperInstalled()) throw new Error(`ZooKeeper is not installed (no ${ZOOKEEPER_JAR}; apt-get install zookeeper default-jre-headless)`);
  const port = o.port ?? (await freePort());
  const ownDir = o.dataDir === undefined;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'mesos-ts-zk-'));
  mkdirSync(join(dataDir, 'data'), { recursive: true });
  const tick = o.tickMs ?? 200;
  const cfg = join(dataDir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      `tickTime=${tick}`,
      `dataDir=${join(dataDir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      `minSessionTimeout=${2 * tick}`,
      'maxSessionTimeout=120000',
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,stat,cons',
      // The registry writes chunks well under the default 1 MB packet limit; keep that limit.
      '',
    ].join('\n'),
  );
  let child!: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-Dzookeeper.admin.enableServer=false', '-cp', `${ZOOKEEPER_JAR}:${SLF4J_NOP}`, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`ZooKeeper exited before it was ready: ${stderr}`);
      if ((await fourLetter(port, 'ruok').catch(() => '')) === 'imok') break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`ZooKeeper did not answer on port ${port} within ${o.startTimeoutMs ?? 30_000} ms: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    live.add(child);
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    live.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  };
  await launch();
  return {
    connect: `127.0.0.1:${port}`,
    port,
    dataDir,
    get child() {
      return child;
    },
    pause: (kill = false) => halt(kill ? 'SIGKILL' : 'SIGTERM'),
    resume: launch,
    async stop() {
      await halt('SIGKILL');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Servers still running when this process exits die with it. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** One of ZooKeeper's four-letter commands (`ruok`, `stat`, `cons`), answered as text. */
export function fourLetter(port: number, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.end(cmd));
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
