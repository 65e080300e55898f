// The scheduler driver: the Scheduler interface a framework implements and MesosSchedulerDriver,
// which registers it with a master and turns the master's messages into its callbacks.

export { MesosSchedulerDriver, resolveMaster, type SchedulerDriverOptions } from './driver.js';
export type { CallbackResult, Scheduler, SchedulerDriver, Status } from './scheduler.js';
export { CallbackQueue, type CallbackOutcome, type CallbackQueueHooks } from './callback-queue.js';
export { DriverLifecycle } from './lifecycle.js';
