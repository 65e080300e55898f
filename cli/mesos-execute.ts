#!/usr/bin/env node
// mesos-execute: runs one command as a task on the cluster and reports its status updates in
// Mesos's words. As Mesos's, it exits 0 once the task reaches any terminal state (the last line
// names it) and 1 on an error (bad flags, no master, a framework error).

import { Resources, type FrameworkInfo } from '../protocol/index.js';
import { createLogger, pinoLevel } from '../runtime/index.js';
import { isZooKeeperUrl } from '../detector/index.js';
import { HttpSchedulerDriver, MesosSchedulerDriver, resolveMaster, type SchedulerDriver, type SchedulerDriverOptions } from '../scheduler-driver/index.js';
import { exitWithError, parseFlagsOrExit } from './flags.js';
import { EXECUTE_SPEC } from './execute-flags.js';
import { commandScheduler, DEFAULT_EXECUTOR_RESOURCES, type ExecuteResult } from './execute-scheduler.js';
import { startFrameworkRuntime, type FrameworkRuntime } from './framework-runtime.js';

const { values: f } = parseFlagsOrExit(EXECUTE_SPEC);

const logger = createLogger({ level: pinoLevel(f.logging_level), name: 'mesos-execute' });
const capabilityTypes = ['RESERVATION_REFINEMENT', 'TASK_KILLING_STATE', 'REVOCABLE_RESOURCES', ...(f.partition_aware ? ['PARTITION_AWARE'] : []), ...(f.framework_capabilities ?? [])];
// As Mesos's example frameworks: the credential may come from DEFAULT_PRINCIPAL/DEFAULT_SECRET.
const principal = f.principal ?? process.env['DEFAULT_PRINCIPAL'];
const secret = f.secret ?? process.env['DEFAULT_SECRET'];
const frameworkInfo: FrameworkInfo = {
  user: '',
  name: f.framework_name,
  role: f.role,
  checkpoint: f.checkpoint,
  // Nothing fails over to this process: when it exits, the master removes the framework at once.
  failover_timeout: 0,
  capabilities: capabilityTypes.map((type) => ({ type: type as NonNullable<NonNullable<FrameworkInfo['capabilities']>[number]['type']> })),
  ...(principal !== undefined ? { principal } : {}),
};

const sumResources = (tasks: readonly { resources?: Parameters<typeof Resources.fromJSON>[0] }[], extra: string): Resources =>
  tasks.reduce((r, t) => r.add(Resources.fromJSON(t.resources ?? [])), Resources.parse(extra));
const wanted = f.task !== undefined ? sumResources([f.task], '') : f.task_group !== undefined ? sumResources(f.task_group.tasks, DEFAULT_EXECUTOR_RESOURCES) : Resources.parse(f.resources);
const taskName = f.task?.name ?? f.name ?? 'task-group';

// A master name that does not resolve is a bad flag, not an event from the master.
try {
  if (!isZooKeeperUrl(f.master)) await resolveMaster(f.master);
} catch (err) {
  exitWithError(`--master: cannot resolve '${f.master}': ${(err as Error).message}`);
}

if (f.api === 'v1' && f.trace !== undefined) exitWithError('--trace: only the actor protocol is traced; use it with --api=v0');

let own: FrameworkRuntime | undefined;
try {
  own = f.trace !== undefined ? await startFrameworkRuntime({ trace: f.trace, logger, testEndpoints: f.enable_test_endpoints, ...(principal !== undefined && secret !== undefined ? { credential: { principal, secret } } : {}) }) : undefined;
} catch (err) {
  exitWithError(`cannot start tracing to '${f.trace}': ${(err as Error).message}`);
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const warn = (line: string): void => void process.stderr.write(`${line}\n`);

let resolveResult!: (r: ExecuteResult) => void;
const result = new Promise<ExecuteResult>((r) => (resolveResult = r));
const scheduler = commandScheduler({
  task: {
    name: taskName,
    command: f.command ?? '',
    shell: f.shell,
    resources: wanted,
    ...(f.task !== undefined ? { taskInfo: f.task } : {}),
    ...(f.task_group !== undefined ? { taskGroup: f.task_group } : {}),
    role: f.role,
    ...(f.env !== undefined ? { env: f.env } : {}),
    ...(f.kill_after !== undefined ? { killAfterMs: f.kill_after } : {}),
  },
  master: f.master,
  out,
  warn,
  done: resolveResult,
});

const driverOptions: SchedulerDriverOptions = {
  logger,
  ...(own !== undefined ? { runtime: own.runtime } : {}),
  ...(principal !== undefined && secret !== undefined ? { principal, secret } : {}),
  registrationBackoffFactorMs: f.registration_backoff_factor,
  ...(f.enable_test_endpoints ? { testEndpoints: true } : {}),
};
const driver: SchedulerDriver =
  f.api === 'v1'
    ? new HttpSchedulerDriver(scheduler, frameworkInfo, f.master, { contentType: f.content_type, ...(principal !== undefined ? { principal, secret: secret ?? '' } : {}) })
    : new MesosSchedulerDriver(scheduler, frameworkInfo, f.master, driverOptions);

let interrupted = false;
const interrupt = (): void => {
  if (interrupted) process.exit(130);
  interrupted = true;
  warn(scheduler.launched ? `Interrupted: tearing down the framework, which kills task '${taskName}'` : 'Interrupted');
  resolveResult({ code: 130 });
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

// A driver that cannot start calls error(), which resolves the result.
await driver.start();
void driver.join().then((s) => {
  if (s === 'DRIVER_ABORTED') resolveResult({ code: 1 });
});

const { code } = await result;
scheduler.finished();
// Stopping sends the teardown; a master that never answered must not keep us waiting.
const stopped = (async () => {
  await driver.stop();
  await own?.stop();
})();
await Promise.race([stopped, new Promise((r) => setTimeout(r, 3000).unref())]);
process.exit(code);
