// The mesos-trace command as a user runs it: a child process over the fixture's files, checked
// for its output, its warnings on stderr, and its one-line errors for bad input.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEDULER, fixtureFiles } from './trace-fixture.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let files: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mesos-trace-'));
  files = [];
  for (const [name, text] of fixtureFiles()) {
    await writeFile(join(dir, name), text);
    files.push(join(dir, name));
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/mesos-trace.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('mesos-trace prints the Mermaid diagram of one task and warns about the truncated line', async () => {
  const r = await run(['--format', 'mermaid', '--task', 'task-2', ...files]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    'sequenceDiagram',
    '    %% p1 = master@127.0.0.1:5050',
    '    %% p2 = agent(1)@127.0.0.1:5051',
    `    %% p3 = ${SCHEDULER}`,
    '    participant p1 as master',
    '    participant p2 as agent(1)',
    '    participant p3 as scheduler-8d1f3b2…',
    '    p1->>p2: RunTask',
    '    p2->>p1: StatusUpdate',
    '    p1->>p3: StatusUpdate',
    '',
  ].join('\n'));
  assert.equal(r.stderr, `mesos-trace: warning: skipped 1 malformed line: ${join(dir, 'executor.jsonl')}:7 (not valid JSON (truncated?))\n`);
});

test('mesos-trace follows a message, filters by repeated and comma-separated names, and writes -o', async () => {
  const out = join(dir, 'flow.html');
  const r = await run(['--follow', 'e1.3', '--name', 'StatusUpdate', '--name', '_StatusUpdateRetry,Nothing', '--format', 'html', '-o', out, ...files]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const html = await readFile(out, 'utf8');
  const names = [...html.matchAll(/<text class="label[^"]*"[^>]*>([^<]+)<\/text><\/g>/g)].map((m) => m[1]);
  assert.deepEqual(names, ['StatusUpdate', 'StatusUpdate ✗ connection_lost', '_StatusUpdateRetry', 'StatusUpdate', 'StatusUpdate']);
});

test('mesos-trace rejects a bad --format with one line naming the option', async () => {
  const r = await run(['--format', 'svg', ...files]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--format/);
  assert.match(r.stderr, /svg/);
});

test('mesos-trace names a missing file, an unknown --follow id and a bad --width', async () => {
  const missing = join(dir, 'nope.jsonl');
  const [noFile, noId, badWidth] = await Promise.all([
    run([files[0]!, missing]),
    run(['--follow', 'zz.9', ...files]),
    run(['--width', 'wide', ...files]),
  ]);
  assert.equal(noFile.code, 1);
  assert.equal(noFile.stderr, `error: cannot read trace file '${missing}': no such file\n`);
  assert.equal(noId.code, 1);
  assert.match(noId.stderr, /error: option '--follow': no message with id 'zz\.9' in the trace\n$/);
  assert.equal(badWidth.code, 1);
  assert.match(badWidth.stderr, /--width/);
});
