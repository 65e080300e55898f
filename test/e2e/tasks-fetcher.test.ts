// The fetcher on a cluster of OS processes (Mesos's FetcherTest and FetcherCacheTest): URIs
// served over HTTP and from local paths land in the sandbox before the task starts, made
// executable, renamed, or extracted (tar.gz, zip); a cached URI is downloaded once and copied
// from the cache after; a URI that cannot be fetched fails the task, naming it and the error.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { create as tarCreate } from 'tar';
import { commandTask, E2ECluster, RecordingScheduler, type AgentProcess } from '../fixtures/e2e-cluster.js';
import type { CommandURI, Offer, TaskInfo } from '../../protocol/index.js';

/** A zip archive of stored (uncompressed) entries, enough for the fetcher to extract. */
function zipOf(files: { name: string; data: string; mode?: number }[]): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const data = Buffer.from(f.data);
    const crc = crc32(data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(0x031e, 4); // made by Unix, so the mode below counts
    dir.writeUInt16LE(20, 6);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(((0o100000 | (f.mode ?? 0o644)) << 16) >>> 0, 38);
    dir.writeUInt32LE(offset, 42);
    local.push(head, name, data);
    central.push(dir, name);
    offset += head.length + name.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

describe('the fetcher', { timeout: 60_000 }, () => {
  let cluster: E2ECluster;
  let agent: AgentProcess;
  let fw: RecordingScheduler;
  let server: Server;
  let base: string;
  let files: string;
  const requests = new Map<string, number>();
  const served = new Map<string, Buffer>();

  before(async () => {
    files = mkdtempSync(join(tmpdir(), 'mesos-ts-fetch-'));
    writeFileSync(join(files, 'data.txt'), 'hello');
    await tarCreate({ gzip: true, file: join(files, 'bundle.tar.gz'), cwd: files }, ['data.txt']);
    writeFileSync(join(files, 'z.zip'), zipOf([{ name: 'z/inner.txt', data: 'zipped' }, { name: 'z/run.sh', data: '#!/bin/sh\necho ran\n', mode: 0o755 }]));
    served.set('/hello.sh', Buffer.from('#!/bin/sh\necho "hello from a fetched script"\n'));
    served.set('/bundle.tar.gz', (await import('node:fs')).readFileSync(join(files, 'bundle.tar.gz')));
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      requests.set(path, (requests.get(path) ?? 0) + 1);
      const body = served.get(path);
      res.statusCode = body ? 200 : 404;
      res.end(body ?? 'not here');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    cluster = await E2ECluster.start({ agents: ['cpus:4;mem:2048'] });
    agent = cluster.agents[0]!;
    fw = new RecordingScheduler(cluster.master.address, { name: 'fetcher' });
    await fw.start();
  });

  after(async () => {
    await fw?.stop();
    const left = await cluster?.stop();
    server?.close();
    rmSync(files, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  const run = (id: string, command: string, uris: CommandURI[]): Promise<Offer> =>
    fw.launch((offer): TaskInfo[] => {
      const t = commandTask(id, offer, command);
      return [{ ...t, command: { ...t.command, uris } }];
    });

  it('an executable script over HTTP runs; with cache=true a second task copies it from the cache, downloading nothing', async () => {
    const uri = { value: `${base}/hello.sh`, executable: true, cache: true };
    await run('script-1', 'test -x hello.sh && ./hello.sh | grep -q "fetched script"', [uri]);
    await fw.status('script-1', 'TASK_FINISHED');
    await run('script-2', './hello.sh | grep -q "fetched script"', [uri]);
    await fw.status('script-2', 'TASK_FINISHED');
    assert.equal(requests.get('/hello.sh'), 1, 'the second fetch came from the cache');
    const m = await cluster.metrics(agent);
    assert.ok(m['containerizer/fetcher/cache_size_used_bytes']! >= served.get('/hello.sh')!.length);
    assert.equal(m['containerizer/fetcher/cache_size_total_bytes'], 2 * 1024 ** 3);
  });

  it('a tar.gz over HTTP and a zip from a file:// URI are extracted into the sandbox; output_file renames a local file', async () => {
    await run('archives', 'test "$(cat data.txt)" = hello && test "$(cat z/inner.txt)" = zipped && test "$(z/run.sh)" = ran && test "$(cat renamed)" = hello && test -f bundle.tar.gz', [
      { value: `${base}/bundle.tar.gz` },
      { value: `file://${join(files, 'z.zip')}` },
      { value: join(files, 'data.txt'), output_file: 'renamed', extract: false },
    ]);
    const done = await fw.status('archives', 'TASK_FINISHED', { timeoutMs: 20_000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${fw.describe()}`);
    });
    assert.equal(done.state, 'TASK_FINISHED');
    assert.equal(requests.get('/bundle.tar.gz'), 1, 'without cache=true every fetch downloads');
  });

  it('a URI that cannot be fetched fails the task with REASON_CONTAINER_LAUNCH_FAILED, naming the URI and the error', async () => {
    await run('missing', 'true', [{ value: `${base}/missing.tgz` }]);
    const failed = await fw.status('missing', 'TASK_FAILED');
    assert.equal(failed.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
    assert.equal(failed.source, 'SOURCE_AGENT');
    assert.match(failed.message ?? '', new RegExp(`Failed to fetch '${base}/missing.tgz': HTTP 404`));
    assert.ok(!fw.statusesOf('missing').some((s) => s.state === 'TASK_RUNNING'), 'the task never started');

    await run('nofile', 'true', [{ value: '/nonexistent/thing.sh' }]);
    const nofile = await fw.status('nofile', 'TASK_FAILED');
    assert.equal(nofile.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
    assert.match(nofile.message ?? '', /Failed to fetch '\/nonexistent\/thing\.sh': cannot read local file .*ENOENT/);

    await run('hdfs', 'true', [{ value: 'hdfs://namenode/x.jar' }]);
    const hdfs = await fw.status('hdfs', 'TASK_FAILED');
    assert.match(hdfs.message ?? '', /the scheme 'hdfs' is not supported/);
    const m = await cluster.metrics(agent);
    assert.equal(m['containerizer/fetcher/task_fetches_failed'], 3);
  });
});
