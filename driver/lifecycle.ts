// The lifecycle both drivers share, with Mesos's states: NOT_STARTED → RUNNING → STOPPED or
// ABORTED. start() once; join() waits for stop or abort; run() is start + join. Each driver adds
// how it starts and stops its own actor.

import type { Clock, Credential, Logger, Runtime, Tracer, Transport } from '../runtime/index.js';
import { startProtocolRuntime } from '../protocol/index.js';
import type { Status } from './status.js';

/** Where a driver's own runtime listens and what it runs on (tests pass an in-memory transport and a manual clock). */
export interface DriverRuntimeOptions {
  ip?: string;
  port?: number;
  transport?: Transport;
  clock?: Clock;
  logger?: Logger;
  /** Proven at the handshake of every connection (a framework's principal/secret, an executor's token). */
  credential?: Credential;
  /** Trace every message of the runtime to this file (an executor launched with MESOS_TRACE). */
  trace?: string;
  /** Serve /__filters__ and /__connections__/break, for fault injection from outside (tests only). */
  testEndpoints?: boolean;
}

export abstract class DriverLifecycle<P extends { abort(): void }> {
  protected status: Status = 'DRIVER_NOT_STARTED';
  protected process: P | undefined;
  protected runtime: Runtime | undefined;
  /** Whether the runtime is this driver's own, to stop with it. */
  protected ownsRuntime = false;
  private tracer: Tracer | undefined;
  private joiners: ((s: Status) => void)[] = [];

  abstract start(): Promise<Status>;

  async abort(): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING') return this.status;
    this.process?.abort();
    this.aborted();
    return this.status;
  }

  join(): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING') return Promise.resolve(this.status);
    return new Promise((resolve) => this.joiners.push(resolve));
  }

  async run(): Promise<Status> {
    const s = await this.start();
    return s === 'DRIVER_RUNNING' ? this.join() : s;
  }

  /** Starts a runtime of the driver's own, stopped with it; incoming messages are checked against the protocol. */
  protected async ownRuntime(o: DriverRuntimeOptions): Promise<Runtime> {
    const { runtime, tracer } = await startProtocolRuntime({
      ...(o.trace !== undefined ? { trace: o.trace } : {}),
      ...(o.ip !== undefined ? { ip: o.ip } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.transport ? { transport: o.transport } : {}),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.credential ? { auth: { credential: o.credential } } : {}),
      ...(o.testEndpoints ? { testEndpoints: true } : {}),
    });
    this.ownsRuntime = true;
    this.tracer = tracer;
    return runtime;
  }

  /** Starting failed: the driver aborts and tells the user's error callback why, never throwing. */
  protected async failedToStart(err: unknown, error: (message: string) => unknown): Promise<Status> {
    this.status = 'DRIVER_ABORTED';
    this.wake();
    try {
      await error((err as Error).message);
    } catch {
      // the driver is aborted; nothing more to report to
    }
    return this.status;
  }

  /** Ends a stop: the runtime goes if it is ours, joiners wake; says whether it was aborted before. */
  protected async stopped(wasAborted: boolean): Promise<Status> {
    if (this.ownsRuntime) await this.runtime?.stop();
    this.tracer?.stop();
    this.tracer = undefined;
    this.wake();
    return wasAborted ? 'DRIVER_ABORTED' : 'DRIVER_STOPPED';
  }

  /** The actor aborted itself (an error from the peer, a throwing callback) or abort() was called. */
  protected aborted(): void {
    if (this.status !== 'DRIVER_RUNNING') return;
    this.status = 'DRIVER_ABORTED';
    this.wake();
  }

  private wake(): void {
    const joiners = this.joiners;
    this.joiners = [];
    for (const j of joiners) j(this.status);
  }
}
