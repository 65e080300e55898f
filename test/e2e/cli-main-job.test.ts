// The main job (`npm start`) as a new user meets it: it brings a cluster up, runs the example
// framework's tasks, prints them, shows one task's flow, writes the HTML, exits 0 — and leaves
// no process behind.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processesMentioning, run } from '../fixtures/cli-run.js';

describe('the main job', { timeout: 120_000 }, () => {
  it("runs six tasks on a two-agent cluster, renders one task's flow, and exits 0", async () => {
    // Its own working directory: the job writes .mesos-local/ where it runs.
    const cwd = mkdtempSync(join(tmpdir(), 'cli-main-job-'));
    try {
      const r = await run('main-job', [], { cwd, timeoutMs: 100_000 });
      assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      const out = r.stdout;
      assert.match(out, /cluster up: master http:\/\/127\.0\.0\.1:\d+, agents agent-1 \(\S+-S\d+, OS pid \d+\), agent-2/);
      for (let i = 0; i < 6; i++) {
        assert.match(out, new RegExp(`task-${i} TASK_RUNNING`));
        assert.match(out, new RegExp(`task-${i} TASK_FINISHED`));
      }
      assert.match(out, /Summary: 6\/6 tasks finished, 0 failed, 0 ended otherwise/);
      assert.match(out, /master metrics: tasks_finished=6 tasks_failed=0 slaves_active=2/);
      assert.match(out, /stopped; no process of the cluster is left\./);
      const flow = /The flow of (task-\d+): (\d+) of the (\d+) messages/.exec(out);
      assert.ok(flow, out);
      for (const name of ['ResourceOffers', 'LaunchTasks', 'RunTask', 'StatusUpdate', 'StatusUpdateAcknowledgement']) assert.ok(out.includes(name), `the flow shows ${name}`);
      const html = /HTML:\s+(\S+)/.exec(out)?.[1];
      assert.ok(html !== undefined, out);
      const page = join(cwd, html);
      assert.ok(existsSync(page), `${page} exists`);
      assert.match(readFileSync(page, 'utf8'), /<svg/);
      assert.deepEqual(processesMentioning(cwd), [], 'no process of the job is left');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
