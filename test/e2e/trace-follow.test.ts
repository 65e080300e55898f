// `mesos-trace --follow` on a real traced cluster: from the framework's LaunchTasks, the causes
// recorded by every process (master, agent, executor host, the framework's own mesos-execute)
// lead through RunTask, the executor's TASK_RUNNING and TASK_FINISHED updates, to the
// acknowledgement of TASK_FINISHED reaching the agent and the executor.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startLocalCluster } from '../../cli/local-cluster.js';
import { mergeTrace, readTraceFiles } from '../../cli/trace/index.js';
import { run } from '../fixtures/cli-run.js';

interface Arrow {
  from: string;
  to: string;
  name: string;
  id: string;
}

/** The arrows of `mesos-trace --format=mermaid --ids`, with the full pids of their participants. */
function parseMermaid(text: string): Arrow[] {
  const pids = new Map<string, string>();
  const arrows: Arrow[] = [];
  let last: Omit<Arrow, 'id'> | undefined;
  for (const line of text.split('\n')) {
    const alias = /^\s*%% (p\d+) = (\S+)$/.exec(line);
    if (alias) pids.set(alias[1]!, alias[2]!);
    const arrow = /^\s*(p\d+)(?:->>|-x|-\))(p\d+): (\w+)/.exec(line);
    if (arrow) last = { from: pids.get(arrow[1]!)!, to: pids.get(arrow[2]!)!, name: arrow[3]! };
    const note = /^\s*Note over [^:]+: (\S+)/.exec(line);
    if (note && last) {
      arrows.push({ ...last, id: note[1]! });
      last = undefined;
    }
  }
  return arrows;
}

const isAgent = (pid: string): boolean => pid.startsWith('slave(');
const isExecutor = (pid: string): boolean => pid.startsWith('executor(');
const isMaster = (pid: string): boolean => pid.startsWith('master@');

describe('mesos-trace --follow', { timeout: 120_000 }, () => {
  it("follows a command task from LaunchTasks to the acknowledgement of its TASK_FINISHED, across every process's trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-follow-'));
    const traceDir = join(dir, 'traces');
    try {
      const cluster = await startLocalCluster({ numAgents: 1, traceDir, workDir: join(dir, 'work'), resources: 'cpus:1;mem:256;disk:256' });
      let execute;
      try {
        // The local cluster is secured: the framework proves the credential it generated.
        const { principal, secret } = cluster.credentials!.framework;
        execute = await run('mesos-execute', [`--master=${cluster.master}`, '--name=followed', '--command=true', `--principal=${principal}`, `--secret=${secret}`, `--trace=${join(traceDir, 'framework.trace.jsonl')}`], { timeoutMs: 60_000 });
      } finally {
        await cluster.stop();
      }
      assert.equal(execute.code, 0, `stdout: ${execute.stdout}\nstderr: ${execute.stderr}`);
      assert.match(execute.stdout, /TASK_RUNNING[\s\S]*TASK_FINISHED/);

      const files = [...cluster.traceFiles, join(traceDir, 'framework.trace.jsonl')];
      const history = mergeTrace((await readTraceFiles(files)).events);
      const launches = history.messages.filter((m) => m.name === 'LaunchTasks');
      assert.equal(launches.length, 1, 'one LaunchTasks in the trace');

      const followed = await run('mesos-trace', ['--format=mermaid', '--ids', `--follow=${launches[0]!.id}`, ...files]);
      assert.equal(followed.code, 0, followed.stderr);
      const chain = parseMermaid(followed.stdout);
      const index = (what: string, test: (a: Arrow) => boolean, after = -1): number => {
        const i = chain.findIndex((a, k) => k > after && test(a));
        assert.ok(i >= 0, `the followed flow has ${what}:\n${chain.map((a) => `${a.from} -> ${a.to} ${a.name} ${a.id}`).join('\n')}`);
        return i;
      };

      const launch = index('LaunchTasks to the master', (a) => a.name === 'LaunchTasks' && isMaster(a.to));
      const runOnAgent = index('RunTask to the agent', (a) => a.name === 'RunTask' && isAgent(a.to), launch);
      index('RegisterExecutor from the executor', (a) => a.name === 'RegisterExecutor' && isExecutor(a.from), runOnAgent);
      const runOnExecutor = index('RunTask to the executor', (a) => a.name === 'RunTask' && isExecutor(a.to), runOnAgent);
      const starting = index("the executor's TASK_STARTING update", (a) => a.name === 'StatusUpdate' && isExecutor(a.from), runOnExecutor);
      const running = index("the executor's TASK_RUNNING update", (a) => a.name === 'StatusUpdate' && isExecutor(a.from), starting);
      const finished = index("the executor's TASK_FINISHED update", (a) => a.name === 'StatusUpdate' && isExecutor(a.from), running);
      // One task: its executor sends exactly these three updates, STARTING, RUNNING, FINISHED.
      assert.equal(chain.filter((a) => a.name === 'StatusUpdate' && isExecutor(a.from)).length, 3);

      const acksToAgent = chain.filter((a) => a.name === 'StatusUpdateAcknowledgement' && isMaster(a.from) && isAgent(a.to));
      assert.equal(acksToAgent.length, 3, 'the acknowledgements of TASK_STARTING, TASK_RUNNING and TASK_FINISHED reach the agent');
      const acksToExecutor = chain.filter((a) => a.name === 'StatusUpdateAcknowledgement' && isAgent(a.from) && isExecutor(a.to));
      assert.equal(acksToExecutor.length, 3, 'the agent acknowledges every update to the executor');
      index('the acknowledgement of TASK_FINISHED reaching the agent', (a) => a.name === 'StatusUpdateAcknowledgement' && isMaster(a.from) && isAgent(a.to), finished);
      index('the acknowledgement of TASK_FINISHED reaching the executor', (a) => a.name === 'StatusUpdateAcknowledgement' && isExecutor(a.to), finished);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
