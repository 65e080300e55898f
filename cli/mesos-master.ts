#!/usr/bin/env -S node --max-semi-space-size=64
// mesos-master: runs a master (and its allocator) on --ip:--port with Mesos's flag names, each
// also read from MESOS_<FLAG>. Logs one line with its address once listening; stops on SIGINT/SIGTERM.

import { mkdirSync } from 'node:fs';
import { createLogger, pinoLevel } from '../runtime/index.js';
import { startMaster } from '../master/index.js';
import { exitWithError, parseFlagsOrExit } from './flags.js';
import { runDaemon } from './daemon.js';
import { MASTER_SPEC, masterOptions } from './master-flags.js';

const { values: f, text } = parseFlagsOrExit(MASTER_SPEC);

if (f.log_dir !== undefined) {
  try {
    mkdirSync(f.log_dir, { recursive: true });
  } catch (err) {
    exitWithError(`--log_dir: cannot create '${f.log_dir}': ${(err as Error).message}`);
  }
}
const logger = createLogger({ level: f.quiet ? 'error' : pinoLevel(f.logging_level), name: 'mesos-master', format: f.log_format, maxFileBytes: f.max_log_size, ...(f.log_dir !== undefined ? { logDir: f.log_dir } : {}) });

await runDaemon({
  role: 'master',
  listen: `${f.ip}:${f.port}`,
  logger,
  start: async () => {
    const m = await startMaster(masterOptions(f, text, logger));
    return { pid: m.pid, address: m.address, stop: () => m.stop() };
  },
});
