// The scheduler driver: the Scheduler interface a framework implements and MesosSchedulerDriver,
// which registers it with a master and turns the master's messages into its callbacks.

export { MesosSchedulerDriver, resolveMaster, type SchedulerDriverOptions } from './driver.js';
export type { Scheduler, SchedulerDriver } from './scheduler.js';
export type { CallbackResult, Status } from '../driver/index.js';
export { HttpSchedulerDriver, type HttpSchedulerDriverOptions } from './http-driver.js';
export { V1SchedulerClient, type V1Call, type V1CallResult, type V1Event, type V1SchedulerClientOptions } from './v1-client.js';
