// The master's public surface: the Master actor, its options, and startMaster(), which runs a
// master (and its allocator) on a runtime of its own, as `mesos-master` and the tests do.

import type { Pid, Runtime } from '../runtime/index.js';
import { startProtocolRuntime, type MasterInbox } from '../protocol/index.js';
import { Master } from './master.js';
import type { MasterOptions } from './options.js';
import { installWebUi } from './webui.js';

export { Master } from './master.js';
export type { MasterOptions } from './options.js';
export { parseRemovalRate } from './removal-limiter.js';
export { MESOS_VERSION } from './views.js';
export { MASTER_NODE_FLAGS } from './node-flags.js';

export interface MasterHandle {
  runtime: Runtime;
  /** `master@ip:port`. */
  pid: Pid<MasterInbox>;
  /** `ip:port` the master listens on. */
  address: string;
  master: Master;
  stop(): Promise<void>;
}

/** Starts a runtime on options.ip:options.port with the master (actor id `master`) and its allocator. */
export async function startMaster(options: MasterOptions = {}): Promise<MasterHandle> {
  const { runtime, tracer } = await startProtocolRuntime({
    ip: options.ip ?? '127.0.0.1',
    port: options.port ?? 5050,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.transport !== undefined ? { transport: options.transport } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    delegate: 'master',
    // The handshake proves whichever principal a peer claims from --credentials; the master
    // proves none of its own (Mesos's master authenticates its clients, not itself).
    ...(options.credentials !== undefined && options.credentials.size > 0 ? { auth: { secrets: options.credentials } } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...(options.testEndpoints !== undefined ? { testEndpoints: options.testEndpoints } : {}),
    ...(options.trace !== undefined ? { trace: options.trace } : {}),
  });
  const master = runtime.spawn(new Master(options), 'master');
  installWebUi(runtime, master);
  return {
    runtime,
    pid: master.self,
    address: runtime.address,
    master,
    async stop() {
      tracer?.stop();
      await runtime.stop();
    },
  };
}
