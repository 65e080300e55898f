import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { browse, download, FileRoots, filesQuery, modeString, read, type FileInfo, type FilesResult } from '../../agent/files.js';

const root = await mkdtemp(join(tmpdir(), 'mesos-ts-files-'));
after(() => rm(root, { recursive: true, force: true }));

const sandbox = join(root, 'slaves/A/frameworks/F/executors/E/runs/C');
const outside = join(root, 'outside');
await mkdir(join(sandbox, 'sub'), { recursive: true });
await mkdir(outside, { recursive: true });
await writeFile(join(sandbox, 'stdout'), 'hello world\n');
await writeFile(join(sandbox, 'stderr'), '');
await writeFile(join(sandbox, 'sub', 'data.json'), '{"a":1}');
await chmod(join(sandbox, 'stdout'), 0o640);
await writeFile(join(outside, 'secret'), 'do not serve');
await symlink(join(outside, 'secret'), join(sandbox, 'escape'));
await symlink(outside, join(sandbox, 'escape-dir'));
await symlink('sub', join(sandbox, 'inside-link'));

const roots = new FileRoots();
// As the agent does: the sandbox under its real path, and under a short alias.
roots.attach(sandbox, sandbox);
roots.attach('/frameworks/F/executors/E/runs/latest', sandbox);

function json(r: FilesResult): unknown {
  assert.equal(r.status, 200, 'message' in r ? r.message : '');
  assert.ok('json' in r);
  return r.json;
}

test('browse lists a sandbox with Mesos fields', async () => {
  const entries = json(await browse(roots, { path: sandbox })) as FileInfo[];
  assert.deepEqual(entries.map((e) => e.path), ['escape', 'escape-dir', 'inside-link', 'stderr', 'stdout', 'sub'].map((n) => `${sandbox}/${n}`));
  const stdout = entries.find((e) => e.path.endsWith('/stdout'));
  assert.ok(stdout);
  assert.equal(stdout.mode, '-rw-r-----');
  assert.equal(stdout.size, 12);
  assert.equal(stdout.nlink, 1);
  assert.equal(stdout.uid, userInfo().username);
  assert.ok(Number.isInteger(stdout.mtime) && stdout.mtime > 1_600_000_000);
  assert.match(entries.find((e) => e.path.endsWith('/sub'))?.mode ?? '', /^d/);
  // A link inside the root shows as its target; links leaving it show only as links.
  assert.match(entries.find((e) => e.path.endsWith('/inside-link'))?.mode ?? '', /^d/);
  assert.match(entries.find((e) => e.path.endsWith('/escape'))?.mode ?? '', /^l/);
});

test('browse works through an alias and on a single file', async () => {
  const sub = json(await browse(roots, { path: '/frameworks/F/executors/E/runs/latest/sub' })) as FileInfo[];
  assert.deepEqual(sub.map((e) => e.path), ['/frameworks/F/executors/E/runs/latest/sub/data.json']);
  const one = json(await browse(roots, { path: `${sandbox}/stdout` })) as FileInfo[];
  assert.equal(one.length, 1);
});

test('read returns data from an offset, and offset=-1 returns the length without data', async () => {
  assert.deepEqual(json(await read(roots, { path: `${sandbox}/stdout`, offset: '-1' })), { data: '', offset: 12 });
  assert.deepEqual(json(await read(roots, { path: `${sandbox}/stdout` })), { data: '', offset: 12 });
  assert.deepEqual(json(await read(roots, { path: `${sandbox}/stdout`, offset: '6', length: '5' })), { data: 'world', offset: 6 });
  assert.deepEqual(json(await read(roots, { path: `${sandbox}/stdout`, offset: '0' })), { data: 'hello world\n', offset: 0 });
  assert.deepEqual(json(await read(roots, { path: `${sandbox}/stdout`, offset: '50' })), { data: '', offset: 50 });
  const q = filesQuery(new URLSearchParams('path=/frameworks/F/executors/E/runs/latest/stdout&offset=0&length=5'));
  assert.deepEqual(json(await read(roots, q)), { data: 'hello', offset: 0 });
});

test('read refuses bad parameters and directories with 400', async () => {
  assert.equal((await read(roots, { path: `${sandbox}/stdout`, offset: 'x' })).status, 400);
  assert.equal((await read(roots, { path: `${sandbox}/stdout`, offset: '0', length: '-1' })).status, 400);
  assert.equal((await read(roots, { path: sandbox, offset: '0' })).status, 400);
  assert.equal((await read(roots, {})).status, 400);
});

test('download streams the file with a name and content type', async () => {
  const r = await download(roots, { path: `${sandbox}/sub/data.json` });
  assert.ok(r.status === 200 && 'stream' in r);
  assert.equal(r.filename, 'data.json');
  assert.equal(r.contentType, 'application/json');
  assert.equal(r.size, 7);
  assert.equal(await text(r.stream), '{"a":1}');
  assert.equal((await download(roots, { path: sandbox })).status, 400);
});

test('paths outside the attached roots are refused: .., escaping links, unknown paths', async () => {
  for (const f of [browse, read, download]) {
    const dotdot = await f(roots, { path: `${sandbox}/../../../../../../outside/secret`, offset: '0' });
    assert.equal(dotdot.status, 400);
    assert.ok('message' in dotdot && dotdot.message.includes('..'));
    const link = await f(roots, { path: `${sandbox}/escape`, offset: '0' });
    assert.equal(link.status, 400);
    assert.ok('message' in link && /outside/.test(link.message));
    assert.equal((await f(roots, { path: `${sandbox}/escape-dir/secret`, offset: '0' })).status, 400);
    assert.equal((await f(roots, { path: `${outside}/secret`, offset: '0' })).status, 404);
    assert.equal((await f(roots, { path: `${sandbox}/missing`, offset: '0' })).status, 404);
  }
});

test('a detached sandbox is no longer served', async () => {
  const r = new FileRoots();
  r.attach('/x', sandbox);
  assert.equal((await browse(r, { path: '/x' })).status, 200);
  r.detach('/x');
  assert.equal((await browse(r, { path: '/x' })).status, 404);
});

test('mode strings follow ls -l, special bits included', () => {
  assert.equal(modeString(0o040755), 'drwxr-xr-x');
  assert.equal(modeString(0o100644), '-rw-r--r--');
  assert.equal(modeString(0o104755), '-rwsr-xr-x');
  assert.equal(modeString(0o041777), 'drwxrwxrwt');
  assert.equal(modeString(0o102644), '-rw-r-Sr--');
  assert.equal(modeString(0o120777), 'lrwxrwxrwx');
});
