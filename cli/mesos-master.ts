#!/usr/bin/env node
// mesos-master: runs a master (and its allocator) on --ip:--port with Mesos's flag names, each
// also read from MESOS_<FLAG>. Logs one line with its address once listening; stops on SIGINT/SIGTERM.

import { createLogger, pinoLevel } from '../runtime/index.js';
import { startMaster, MESOS_VERSION } from '../master/index.js';
import { parseFlagsOrExit } from './flags.js';
import { runDaemon } from './daemon.js';
import { MASTER_SPEC, masterOptions } from './master-flags.js';

const { values: f, text } = parseFlagsOrExit({ ...MASTER_SPEC, version: MESOS_VERSION });

const logger = createLogger({ level: f.quiet ? 'error' : pinoLevel(f.logging_level), name: 'mesos-master' });

await runDaemon({
  role: 'master',
  listen: `${f.ip}:${f.port}`,
  logger,
  start: async () => {
    const m = await startMaster(masterOptions(f, text, logger));
    return { pid: m.pid, address: m.address, stop: () => m.stop() };
  },
});
