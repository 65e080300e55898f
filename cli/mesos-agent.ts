#!/usr/bin/env node
// mesos-agent: runs an agent that registers with --master, offers --resources and runs tasks
// under --work_dir; Mesos's flag names, each also read from MESOS_<FLAG>. Stops on SIGINT/SIGTERM
// (executors keep running for the next agent to recover); SIGUSR1 (and SIGTERM with
// --unregister_on_sigterm) unregisters from the master, kills every executor and exits 0, as Mesos.

import { mkdirSync } from 'node:fs';
import { createLogger, installLogRoutes, logControl, pinoLevel } from '../runtime/index.js';
import { startAgent } from '../agent/index.js';
import { exitWithError, parseFlagsOrExit } from './flags.js';
import { resolveMasterFlag } from './common.js';
import { runDaemon } from './daemon.js';
import { AGENT_SPEC, agentOptions } from './agent-flags.js';

const { values: f, text } = parseFlagsOrExit(AGENT_SPEC);

let master: string;
try {
  master = await resolveMasterFlag(f.master);
} catch (err) {
  exitWithError(`--master: cannot resolve '${f.master}': ${(err as Error).message}`);
}

if (f.log_dir !== undefined) {
  try {
    mkdirSync(f.log_dir, { recursive: true });
  } catch (err) {
    exitWithError(`--log_dir: cannot create '${f.log_dir}': ${(err as Error).message}`);
  }
}
const logger = createLogger({ level: f.quiet ? 'error' : pinoLevel(f.logging_level), name: 'mesos-agent', format: f.log_format, maxFileBytes: f.max_log_size, ...(f.log_dir !== undefined ? { logDir: f.log_dir } : {}) });

await runDaemon({
  role: 'agent',
  listen: `${f.ip}:${f.port}`,
  logger,
  start: async () => {
    const a = await startAgent({ ...agentOptions(f, text, logger), master });
    // The agent's own log, as Mesos serves it: /files/read?path=/slave/log, the file being
    // written at the time of each request (a new one after each rotation).
    // With --recover=cleanup the agent has already done its work and never ran as an actor.
    if (a.runtime.isAlive(a.pid)) {
      if (logControl()?.file() !== undefined) a.agent.files.attach('/slave/log', () => logControl()?.file());
      installLogRoutes(a.runtime, a.agent.self);
    }
    return { pid: a.pid, address: a.address, stop: () => a.stop(), terminated: a.terminated, shutdownGracefully: (why) => a.agent.shutdownGracefully(why) };
  },
  // --recover=cleanup and a graceful shutdown end the agent on purpose.
  exitCodeFor: (reason) => (reason.startsWith('recover=cleanup') || reason.startsWith('shut down: Received') ? 0 : 1),
  gracefulSignals: f.unregister_on_sigterm ? ['SIGUSR1', 'SIGTERM'] : ['SIGUSR1'],
});
