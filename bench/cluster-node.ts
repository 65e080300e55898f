// One role of the task benchmark's cluster, as its own OS process: `master` or
// `agent <master> <resources> <work_dir> [options-json]` (more AgentOptions, such as the
// isolation). Prints `{"address": …}` once it listens.

import { startAgent } from '../agent/index.js';
import { startMaster } from '../master/index.js';

const [role, master, resources, workDir, more] = process.argv.slice(2);
const handle =
  role === 'master'
    ? await startMaster({ port: 0, allocationIntervalMs: 100, ...(process.env['BENCH_TRACE'] ? { trace: process.env['BENCH_TRACE'] + '.master' } : {}) })
    : await startAgent({ master: master!, port: 0, resources: resources!, workDir: workDir!, recover: 'cleanup', ...(more ? (JSON.parse(more) as object) : {}) });
const stop = (): void => void handle.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(JSON.stringify({ address: handle.address }) + '\n');
