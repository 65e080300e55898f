#!/usr/bin/env node
// mesos-local: a whole cluster on this machine — a master and --num_agents agents, each its own
// OS process — for trying mesos-ts out. Prints where to look, and on Ctrl-C stops everything.

import { parseFlagsOrExit, exitWithError } from './flags.js';
import { AGENT_PASS_THROUGH, LOCAL_SPEC, MASTER_PASS_THROUGH } from './local-flags.js';
import { commandHint } from './common.js';
import { LocalClusterError, startLocalCluster, type LocalCluster } from './local-cluster.js';

const { values: f, text, source } = parseFlagsOrExit(LOCAL_SPEC);

const given = (names: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const n of names) if (text[n] !== undefined && source[n] !== 'default') out[n] = text[n];
  return out;
};
const agentFlags = given(AGENT_PASS_THROUGH.filter((n) => n !== 'resources' && n !== 'attributes'));
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

// Signals during the start abort it; once running, they stop the cluster (installed below).
const starting = new AbortController();
const abortStart = (): void => starting.abort();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, abortStart);

let cluster: LocalCluster;
try {
  cluster = await startLocalCluster({
    signal: starting.signal,
    numAgents: f.num_agents,
    numMasters: f.num_masters,
    ip: f.ip,
    port: f.port,
    loggingLevel: f.logging_level,
    masterFlags: given(MASTER_PASS_THROUGH),
    agentFlags,
    ...(f.work_dir !== undefined ? { workDir: f.work_dir } : {}),
    ...(f.trace_dir !== undefined ? { traceDir: f.trace_dir } : {}),
    ...(text['resources'] !== undefined ? { resources: text['resources'] } : {}),
    ...(text['attributes'] !== undefined ? { attributes: text['attributes'] } : {}),
  });
} catch (err) {
  if (err instanceof LocalClusterError) {
    if (starting.signal.aborted) {
      out('mesos-local: interrupted while starting; everything it started has stopped.');
      process.exit(130);
    }
    if (err.logTail !== '') process.stderr.write(`${err.logTail}\n`);
    exitWithError(err.message);
  }
  throw err;
}

const masters = cluster.processes.slice(0, cluster.masters.length);
const master = masters.find((p) => p.address === cluster.master)!;
const plural = cluster.agents.length === 1 ? '' : 's';
out(`mesos-local: ${masters.length === 1 ? 'a master' : `${masters.length} masters`} and ${cluster.agents.length} agent${plural} are running.`);
out();
if (cluster.zk !== undefined) {
  out(`  ZooKeeper ${cluster.zk}`);
  for (const m of masters) out(`  ${m.name.padEnd(8)}  http://${m.address}  (${m.pid}, OS pid ${m.osPid})${m === master ? '  leading' : '  standby'}`);
}
out(`  Master    http://${cluster.master}  (${master.pid}, OS pid ${master.osPid})`);
out(`  State     http://${cluster.master}/state`);
out(`  Metrics   http://${cluster.master}/metrics/snapshot`);
cluster.processes.slice(masters.length).forEach((p, i) => out(`  ${p.name.padEnd(8)}  http://${p.address}/state  (id ${cluster.agentIds[i]}, OS pid ${p.osPid})`));
out(`  Logs      ${cluster.workDir}/<process>.log`);
if (cluster.traceDir !== undefined) out(`  Traces    ${cluster.traceDir}/<process>.trace.jsonl`);
out();
const creds = cluster.credentials;
if (creds !== undefined) {
  out(`  Credentials ${creds.credentialsFile} (mode 0600; frameworks and agents must authenticate)`);
  out();
}
out('Run a task on it:');
const secretEnv = creds !== undefined ? `DEFAULT_PRINCIPAL=${creds.framework.principal} DEFAULT_SECRET=${creds.framework.secret} ` : '';
out(`  ${secretEnv}${commandHint('mesos-execute')} --master=${cluster.zk ?? cluster.master} --name=hello --command='echo hello from mesos-ts'`);
out();
out('Press Ctrl-C to stop.');

let stopping = false;
const shutdown = (why: string, code: number): void => {
  if (stopping) {
    if (why === 'SIGINT') process.exit(130);
    return;
  }
  stopping = true;
  out(`\nmesos-local: ${why}; stopping the agents and the master…`);
  cluster
    .stop()
    .then(() => {
      out('mesos-local: stopped.');
      if (cluster.traceDir !== undefined && cluster.traceFiles.length > 0) {
        out('Render what happened:');
        out(`  ${commandHint('mesos-trace')} --format=html -o ${cluster.traceDir}/flow.html ${cluster.traceDir}/*.trace.jsonl`);
      }
      process.exit(code);
    })
    .catch((err: unknown) => {
      process.stderr.write(`error: could not stop cleanly: ${(err as Error).message}\n`);
      process.exit(1);
    });
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, abortStart);
process.on('SIGINT', () => shutdown('SIGINT', 0));
process.on('SIGTERM', () => shutdown('SIGTERM', 0));
process.on('SIGHUP', () => shutdown('SIGHUP', 0));
void cluster.failed.then((why) => {
  process.stderr.write(`error: ${why}\n`);
  shutdown('a process failed', 1);
});
