// The core both drivers are built on, owned by neither: the driver status and lifecycle
// (start, join, stop, abort), the queue that runs user callbacks one at a time, the driver's own
// runtime, and the typed pids of the peers they talk to. scheduler-driver/ and executor/ import
// this; neither imports the other.

export type { CallbackResult, Status } from './status.js';
export { DriverLifecycle, type DriverRuntimeOptions } from './lifecycle.js';
export { CallbackQueue, type CallbackOutcome, type CallbackQueueHooks } from './callback-queue.js';
export { parseAgentPid, tryParseAgentPid } from './pids.js';
