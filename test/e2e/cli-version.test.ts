// Every command through its real entry point: --version prints mesos-ts's version from
// package.json, the same for all, and --help has one shape (Mesos's `--name=VALUE` terms with
// defaults, --help and --version last), also for the commands built on subcommands.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, run } from '../fixtures/cli-run.js';

const COMMANDS = ['mesos-master', 'mesos-agent', 'mesos-execute', 'mesos-local', 'mesos-trace', 'mesos-operator', 'mesos'];
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('--version and --help on every command', () => {
  it('every command prints the package version with --version and exits 0', async () => {
    const results = await Promise.all(COMMANDS.map((c) => run(c, ['--version'], { timeoutMs: 30_000 })));
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, 0, `${COMMANDS[i]}: ${r.stderr}`);
      assert.equal(r.stdout, `${COMMANDS[i]} ${VERSION}\n`);
    }
  });

  it('mesos-trace, mesos-operator and mesos print help in the daemons\' style', async () => {
    const [master, trace, operator, mesos] = await Promise.all(['mesos-master', 'mesos-trace', 'mesos-operator', 'mesos'].map((c) => run(c, ['--help'], { timeoutMs: 30_000 })));
    for (const r of [master, trace, operator, mesos]) {
      assert.equal(r!.code, 0, r!.stderr);
      assert.match(r!.stdout, /^Usage: mesos[-\w]* \[options\]/);
      assert.match(r!.stdout, /\n {2}(-h, )?--help +Prints this help message and exits\.\n {2}--version +Prints the version and exits\.\n/);
    }
    assert.match(trace!.stdout, /\n {2}--format=VALUE +output format \(one of: text, mermaid, html\) \(default: text\)\n/);
    assert.match(trace!.stdout, /\n {2}<file\.\.\.> +trace files/);
    assert.match(operator!.stdout, /\n {2}--master=VALUE +the master's address, e\.g\. 127\.0\.0\.1:5050 \(required\)\n/);
    assert.match(operator!.stdout, /Commands \(each takes --help\):\n {2}quota get +prints every quota/);
    assert.match(mesos!.stdout, /\n {2}task kill <task-id> +kills a task/);
    // Alphabetical, as Mesos lists flags.
    const flags = [...trace!.stdout.matchAll(/^ {2}--(?:no-)?(\w+)/gm)].map((m) => m[1]!).filter((f) => f !== 'help' && f !== 'version');
    assert.deepEqual(flags, [...flags].sort());
  });
});
