// `mesos-local --num_masters=3` as a user runs it: a ZooKeeper of its own, three masters, one
// leading; the printed zk:// URL is what a framework takes as --master; Ctrl-C stops all of
// it, ZooKeeper included (Mesos's `mesos-local --num_masters`, with ZooKeeper as in a real HA setup).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { alive, background, processesMentioning } from '../fixtures/cli-run.js';

describe('mesos-local --num_masters=3', { timeout: 120_000 }, () => {
  it('runs ZooKeeper and three masters, prints the zk:// URL and the leader, and runs a task through the URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesos-local-ha-'));
    const local = background('mesos-local', ['--num_masters=3', '--num_agents=1', '--port=0', `--work_dir=${dir}`, "--resources=cpus:1;mem:256", '--logging_level=WARNING'], { timeoutMs: 110_000 });
    try {
      await local.waitFor(/Press Ctrl-C to stop\./, 60_000);
      const out = local.stdout();
      const zk = /ZooKeeper (zk:\/\/\S+\/mesos)/.exec(out)?.[1];
      assert.ok(zk, out);
      const roles = [...out.matchAll(/master-\d\s+http:\/\/(\S+)\s+\(.*\)\s+(leading|standby)/g)].map((m) => ({ address: m[1]!, role: m[2]! }));
      assert.deepEqual(roles.map((r) => r.role).sort(), ['leading', 'standby', 'standby']);
      const leader = roles.find((r) => r.role === 'leading')!;
      for (const r of roles) {
        const elected = ((await (await fetch(`http://${r.address}/metrics/snapshot`)).json()) as Record<string, number>)['master/elected'];
        assert.equal(elected, r === leader ? 1 : 0, r.address);
      }
      const [, principal, secret] = /DEFAULT_PRINCIPAL=(\S+) DEFAULT_SECRET=(\S+)/.exec(out)!;
      const exec = background('mesos-execute', [`--master=${zk}`, '--name=hello', '--command=true', '--resources=cpus:0.1;mem:32', `--principal=${principal}`, `--secret=${secret}`]);
      await exec.waitFor(/TASK_FINISHED/, 45_000);
      assert.equal((await exec.exited).code, 0);

      local.child.kill('SIGINT');
      assert.equal((await local.exited).code, 0);
      const osPids = [...out.matchAll(/OS pid (\d+)/g)].map((m) => Number(m[1]));
      assert.ok(osPids.every((p) => !alive(p)), 'every master and agent stopped');
      assert.deepEqual(processesMentioning(join(dir, 'zookeeper')), [], 'ZooKeeper stopped with the cluster');
    } finally {
      if (local.child.exitCode === null) local.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
