// The task benchmark's isolation rows: command-task throughput on an agent with
// --isolation=cgroups/cpu,cgroups/mem (every task in cgroups of its own, made, limited, joined
// and removed per task) beside one with the default posix/cpu,posix/mem, in alternating rounds
// on fresh single-agent clusters, and the ratio of the medians (target ≥ 0.7).

import { rmdirSync, existsSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Resources, type Offer, type TaskInfo } from '../protocol/index.js';
import { detectCgroups } from '../agent/index.js';
import { median } from './stats.js';

type StartNode = (args: string[]) => Promise<{ child: ChildProcess; address: string }>;
type Run = (master: string, total: number, makeTask: (i: number, offer: Offer) => TaskInfo, perTask: Resources) => Promise<{ tasksPerS: number; failed: number }>;

const TASKS = Number(process.env['BENCH_CGROUPS_TASKS'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_CGROUPS_ROUNDS'] ?? 3);
const HIERARCHY = '/sys/fs/cgroup';

export interface CgroupsRows {
  default_command_tasks_per_s: number;
  cgroups_command_tasks_per_s: number;
  cgroups_ratio: number;
  cgroups_rounds: { default: number[]; cgroups: number[] };
}

/** Undefined (with the reason printed) where the host has no writable cgroups for cpu and memory. */
export async function cgroupsRows(startNode: StartNode, run: Run, workDir: string): Promise<CgroupsRows | undefined> {
  const host = await detectCgroups(HIERARCHY);
  if (!host || !['cpu', 'memory'].every((s) => host.subsystems.has(s))) {
    console.log(`(d) cgroups rows skipped: no writable cgroups hierarchy with cpu and memory at ${HIERARCHY}`);
    return undefined;
  }
  const root = `mesos-bench-${process.pid}`;
  const perTask = Resources.parse('cpus:0.01;mem:1');
  const rounds = { default: [] as number[], cgroups: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['default', 'cgroups'] as const) {
        const options = kind === 'cgroups' ? { isolation: 'cgroups/cpu,cgroups/mem', cgroupsRoot: root } : {};
        const master = await startNode(['master']);
        const agent = await startNode(['agent', master.address, 'cpus:1000;mem:1000000;disk:100000', join(workDir, `iso-${kind}-${round}`), JSON.stringify(options)]);
        try {
          const r = await run(
            master.address,
            TASKS,
            (i, offer) => ({ name: `iso-${i}`, task_id: { value: `iso-${kind}-${round}-${i}` }, agent_id: offer.agent_id, resources: perTask.toJSON(), command: { value: 'true', shell: true } }),
            perTask,
          );
          if (r.failed > 0) console.error(`(d) ${kind} round ${round}: ${r.failed} tasks did not finish`);
          rounds[kind].push(r.tasksPerS);
        } finally {
          for (const n of [agent, master]) n.child.kill('SIGTERM');
          await Promise.all([agent, master].map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
        }
      }
    }
  } finally {
    removeRoot(root);
  }
  const d = median(rounds.default);
  const c = median(rounds.cgroups);
  const rows: CgroupsRows = {
    default_command_tasks_per_s: Math.round(d),
    cgroups_command_tasks_per_s: Math.round(c),
    cgroups_ratio: +(c / d).toFixed(2),
    cgroups_rounds: { default: rounds.default.map(Math.round), cgroups: rounds.cgroups.map(Math.round) },
  };
  console.log(
    `(d) ${TASKS} command tasks × ${ROUNDS} rounds, one agent: default isolation ${rows.default_command_tasks_per_s} tasks/s (${rows.cgroups_rounds.default.join(', ')}), ` +
      `cgroups/cpu,cgroups/mem ${rows.cgroups_command_tasks_per_s} tasks/s (${rows.cgroups_rounds.cgroups.join(', ')}), ratio ${rows.cgroups_ratio} (target ≥ 0.7); load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  return rows;
}

/** Whatever the agents left under the bench's root goes, and the root with it. */
function removeRoot(root: string): void {
  for (const s of ['cpu', 'cpuacct', 'memory', 'freezer']) {
    const dir = join(HIERARCHY, s, root);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      try {
        rmdirSync(join(dir, e.name));
      } catch (err) {
        console.error(`(d) cannot remove ${join(dir, e.name)}: ${String(err)}`);
      }
    }
    try {
      rmdirSync(dir);
    } catch (err) {
      console.error(`(d) cannot remove ${dir}: ${String(err)}`);
    }
  }
}
