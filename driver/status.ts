// What both drivers share in their public API: the driver status and what a callback returns.

/** A driver's lifecycle, with Mesos's names: NOT_STARTED → RUNNING → STOPPED | ABORTED. */
export type Status = 'DRIVER_NOT_STARTED' | 'DRIVER_RUNNING' | 'DRIVER_ABORTED' | 'DRIVER_STOPPED';

/**
 * A callback may return a Promise: the driver awaits it before the next callback (they run one
 * at a time, in the order the events arrived). For a scheduler's `statusUpdate` the implicit
 * acknowledgement is sent only once the returned Promise resolves. A callback that throws or
 * rejects aborts the driver, and `error` is called with what it threw.
 */
export type CallbackResult = void | Promise<void>;
