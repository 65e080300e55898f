// mesos-ts as another project uses it: `npm pack` of this checkout, the tarball installed into an
// empty folder with no network (`npm ci --offline`: the dependencies' tarballs come from npm's
// cache, where this checkout's own `npm ci` put them, pinned by the checkout's lockfile), a
// cluster started from the installed bin (`node_modules/.bin/mesos-local`), and a framework file
// of that folder importing `mesos-ts/scheduler-driver` that sees its one task finish.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanEnv, ROOT } from '../fixtures/cli-run.js';

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (not one of ours) to completion in its own process group. */
function exec(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<Done> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Generous: a build on a loaded machine takes minutes, not the usual 25 s.
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The newest modification time of the files below `dir` with these endings. */
function newest(dir: string, ext: RegExp): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (ext.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const SOURCES = ['runtime', 'protocol', 'master', 'agent', 'driver', 'executor', 'scheduler-driver', 'cli', 'examples'];

/** dist/ as `npm ci` (prepare) leaves it; rebuilt (`npm run build`) when a source is newer. */
async function freshDist(): Promise<void> {
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist', 'cli', 'mesos.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (Math.max(...SOURCES.map((d) => newest(join(ROOT, d), /\.ts$/))) <= built) return;
  const r = await exec('npm', ['run', 'build'], ROOT);
  assert.equal(r.code, 0, `npm run build: ${r.stdout}${r.stderr}`);
}

/** A lockfile for a project depending only on the tarball: mesos-ts's own lockfile, production part. */
function lockFor(tarball: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; link?: boolean; version?: string; license?: string; dependencies?: unknown; bin?: unknown; engines?: unknown }> };
  const self = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'my-framework', dependencies: { 'mesos-ts': `file:${tarball}` } },
    'node_modules/mesos-ts': { version: self.version, resolved: `file:${tarball}`, license: self.license, dependencies: self.dependencies, bin: self.bin, engines: self.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && entry.dev !== true && entry.link !== true) packages[path] = entry;
  return { name: 'my-framework', lockfileVersion: 3, requires: true, packages };
}

const FRAMEWORK = `import { MesosSchedulerDriver } from 'mesos-ts/scheduler-driver';

let launched = false;
const scheduler = {
  resourceOffers(driver, offers) {
    for (const offer of offers) {
      if (launched) { driver.declineOffer(offer.id); continue; }
      launched = true;
      driver.launchTasks([offer.id], [{
        name: 'hello', task_id: { value: 'hello' }, agent_id: offer.agent_id,
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
        command: { value: 'echo hello from my framework' },
      }]);
    }
  },
  statusUpdate(driver, status) {
    console.log(status.task_id.value, status.state);
    if (['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST'].includes(status.state)) driver.stop();
  },
  registered() {}, reregistered() {}, disconnected() {}, offerRescinded() {},
  frameworkMessage() {}, agentLost() {}, executorLost() {}, error(_d, message) { console.error(message); },
};
// mesos-local secures its cluster and prints the credential frameworks prove.
const principal = process.env.DEFAULT_PRINCIPAL;
const credential = principal ? { principal, secret: process.env.DEFAULT_SECRET ?? '' } : {};
await new MesosSchedulerDriver(scheduler, { user: '', name: 'my framework', ...(principal ? { principal } : {}) }, process.env.MESOS_MASTER ?? '127.0.0.1:5050', credential).run();
`;

describe('npm pack, install offline, run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-pack-'));
  let local: ReturnType<typeof spawn> | undefined;

  after(async () => {
    if (local !== undefined && local.exitCode === null) {
      const closed = new Promise((r) => local!.once('close', r));
      local.kill('SIGTERM');
      await closed;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a framework in its own folder runs one task on a cluster from the installed bin', async () => {
    await freshDist();
    const pack = await exec('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
    assert.equal(pack.code, 0, pack.stderr);
    const tarball = pack.stdout.trim().split('\n').pop()!;
    assert.match(tarball, /^mesos-ts-\d+\.\d+\.\d+\.tgz$/);

    const app = join(dir, 'my-framework');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-framework', private: true, type: 'module', dependencies: { 'mesos-ts': `file:../${tarball}` } }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockFor(`../${tarball}`)));
    const install = await exec('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
    assert.equal(install.code, 0, `npm ci --offline: ${install.stderr}`);
    // What was installed is the tarball's: built JavaScript, the web UI, no TypeScript sources.
    const installed = readdirSync(join(app, 'node_modules', 'mesos-ts')).sort();
    assert.deepEqual(installed, ['README.md', 'dist', 'docs', 'package.json', 'webui']);

    writeFileSync(join(app, 'index.js'), FRAMEWORK);
    local = spawn(join(app, 'node_modules', '.bin', 'mesos-local'), ['--port=0', '--num_agents=1', `--work_dir=${join(dir, 'run')}`], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    local.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    local.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const [master, principal, secret] = await new Promise<[string, string, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mesos-local did not start: ${out}`)), 30_000);
      const check = (): void => {
        const m = /Master +http:\/\/([\d.]+:\d+)/.exec(out);
        const c = /DEFAULT_PRINCIPAL=(\S+) DEFAULT_SECRET=(\S+)/.exec(out);
        if (m !== null && c !== null) {
          clearTimeout(timer);
          resolve([m[1]!, c[1]!, c[2]!]);
        }
      };
      local!.stdout!.on('data', check);
      local!.once('close', () => reject(new Error(`mesos-local exited: ${out}`)));
    });
    // The web UI's assets come with the package.
    assert.equal((await fetch(`http://${master}/`)).status, 200);

    const run = await exec(process.execPath, ['index.js'], app, cleanEnv({ MESOS_MASTER: master, DEFAULT_PRINCIPAL: principal, DEFAULT_SECRET: secret }));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^(hello TASK_STARTING\n)?(hello TASK_RUNNING\n)?hello TASK_FINISHED\n$/);
  });
});
