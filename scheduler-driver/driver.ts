// MesosSchedulerDriver: the object a framework holds. It owns (or borrows) a Runtime inside the
// framework's process, runs one SchedulerProcess actor in it, and keeps the driver status of
// Mesos's v0 API (NOT_STARTED → RUNNING → STOPPED | ABORTED).

import { createDetector, isZooKeeperUrl, parseZooKeeperUrl, type MasterDetector } from '../detector/index.js';
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostname, userInfo } from 'node:os';
import { IllegalStateError, pid, Runtime, ValidationError, type Pid } from '../runtime/index.js';
import {
  type AgentID,
  type MasterInbox,
  type SchedulerInbox,
  type ExecutorID,
  type Filters,
  type FrameworkInfo,
  type OfferID,
  type OfferOperation,
  type ResourceRequest,
  type TaskID,
  type TaskInfo,
  type TaskStatus,
} from '../protocol/index.js';
import { DriverLifecycle, type DriverRuntimeOptions, type Status } from '../driver/index.js';
import { NO_MASTER, SchedulerProcess, type SchedulerProcessInbox } from './scheduler-process.js';
import type { Scheduler, SchedulerDriver } from './scheduler.js';

export interface SchedulerDriverOptions extends DriverRuntimeOptions {
  /** With a `zk://` master: the ZooKeeper session timeout (Mesos's --zk_session_timeout, 10 s). */
  zkSessionTimeoutMs?: number;
  /** Default true: returning from statusUpdate acknowledges the update. */
  implicitAcknowledgements?: boolean;
  /** Roles to subscribe suppressed (no offers until revived). */
  suppressedRoles?: string[];
  /** Run the scheduler actor in this runtime instead of starting one; the driver never stops it. */
  runtime?: Runtime;
  /** Initial registration backoff bound b; Mesos's default 2 s. */
  registrationBackoffFactorMs?: number;
  /** Uniform random in [0, 1) for the backoff (default the runtime's); tests may pin it. */
  random?: () => number;
  /**
   * Mesos's Credential: the principal and secret the driver's runtime proves at the handshake
   * with the master (challenge–response; the secret never crosses the wire). The framework's
   * FrameworkInfo.principal must name the same principal.
   */
  principal?: string;
  secret?: string;
}

/**
 * `host:port` or `master@host:port` → the master's pid. Host names are resolved to an IPv4
 * address, because a runtime is known by the address it listens on.
 */
export async function resolveMaster(master: string): Promise<Pid<MasterInbox>> {
  const text = master.trim();
  if (text === 'local') {
    throw new ValidationError(`master '${master}' is not supported here: give host:port or master@host:port`);
  }
  const at = text.indexOf('@');
  const id = at >= 0 ? text.slice(0, at) : 'master';
  const address = at >= 0 ? text.slice(at + 1) : text;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  if (!id || colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ValidationError(`master '${master}' is not host:port or master@host:port`);
  }
  const ip = isIP(host) ? host : (await lookup(host, { family: 4 })).address;
  return pid<MasterInbox>(id, `${ip}:${port}`);
}

export class MesosSchedulerDriver extends DriverLifecycle<SchedulerProcess> implements SchedulerDriver {
  private readonly framework: FrameworkInfo;
  private detector: MasterDetector | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    framework: FrameworkInfo,
    private readonly master: string,
    private readonly options: SchedulerDriverOptions = {},
  ) {
    super();
    // As Mesos's driver: an empty user or hostname is filled in from the OS.
    this.framework = {
      ...framework,
      user: framework.user || safeUser(),
      ...(framework.hostname ? {} : { hostname: hostname() }),
    };
  }

  /** The scheduler actor's pid, once started. */
  get pid(): Pid<SchedulerInbox> | undefined {
    return this.process ? this.process.self : undefined;
  }

  /** Whether the driver is registered with a master right now. */
  get connected(): boolean {
    return this.process?.isConnected ?? false;
  }

  async start(): Promise<Status> {
    if (this.status !== 'DRIVER_NOT_STARTED') return this.status;
    this.status = 'DRIVER_RUNNING';
    let masterPid: Pid<MasterInbox>;
    try {
      // With a ZooKeeper URL the detector names the leader once the process runs.
      masterPid = isZooKeeperUrl(this.master) ? (parseZooKeeperUrl(this.master), NO_MASTER) : await resolveMaster(this.master);
      const o = this.options;
      const credential = o.principal !== undefined && o.secret !== undefined ? { credential: { principal: o.principal, secret: o.secret } } : {};
      this.runtime = o.runtime ?? (await this.ownRuntime({ ...o, ...credential }));
    } catch (err) {
      return this.failedToStart(err, (message) => this.scheduler.error(this, message));
    }
    if (this.status !== 'DRIVER_RUNNING') {
      // stop() or abort() came while the runtime was starting.
      if (this.ownsRuntime) await this.runtime.stop();
      return this.status;
    }
    const process = new SchedulerProcess(this, this.scheduler, this.framework, masterPid, {
      implicitAcknowledgements: this.options.implicitAcknowledgements ?? true,
      suppressedRoles: this.options.suppressedRoles ?? [],
      registrationBackoffFactorMs: this.options.registrationBackoffFactorMs ?? 2000,
      ...(this.options.random ? { random: this.options.random } : {}),
      onAbort: () => this.aborted(),
    });
    this.process = process;
    this.runtime.spawn(process, `scheduler-${randomUUID()}`);
    if (isZooKeeperUrl(this.master)) {
      const runtime = this.runtime;
      const self = process.self as Pid<SchedulerProcessInbox>;
      this.detector = createDetector(this.master, { sessionTimeoutMs: this.options.zkSessionTimeoutMs ?? 10_000 });
      this.detector.listen({
        leader: (m) => runtime.send(self, self, { name: '_MasterDetected', pid: m?.pid }),
        failed: (error) => {
          this.scheduler.error(this, `master detection failed: ${error.message}`);
          void this.abort();
        },
      });
    }
    return this.status;
  }

  async stop(failover = false): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING' && this.status !== 'DRIVER_ABORTED') return this.status;
    const wasAborted = this.status === 'DRIVER_ABORTED';
    this.status = 'DRIVER_STOPPED';
    const process = this.process;
    this.detector?.close();
    process?.halt();
    // A callback that calls stop() returns first, so the implicit acknowledgement of its update
    // goes out before the teardown (in Mesos, stop is dispatched behind it too).
    await Promise.resolve();
    if (process) {
      process.stop(failover);
      this.runtime?.terminate(process.self);
    }
    return this.stopped(wasAborted);
  }

  requestResources(requests: ResourceRequest[]): Status {
    return this.call((p) => p.requestResources(requests));
  }

  launchTasks(offerIds: OfferID[], tasks: TaskInfo[], filters?: Filters): Status {
    return this.call((p) => p.launchTasks(offerIds, tasks, filters));
  }

  acceptOffers(offerIds: OfferID[], operations: OfferOperation[], filters?: Filters): Status {
    return this.call((p) => p.acceptOffers(offerIds, operations, filters));
  }

  declineOffer(offerId: OfferID, filters?: Filters): Status {
    return this.call((p) => p.declineOffer(offerId, filters));
  }

  killTask(taskId: TaskID): Status {
    return this.call((p) => p.killTask(taskId));
  }

  reviveOffers(roles?: string[]): Status {
    return this.call((p) => p.reviveOffers(roles));
  }

  suppressOffers(roles?: string[]): Status {
    return this.call((p) => p.suppressOffers(roles));
  }

  acknowledgeStatusUpdate(status: TaskStatus): Status {
    if (this.status === 'DRIVER_RUNNING' && (this.options.implicitAcknowledgements ?? true)) {
      // Mesos treats this as a programming error and aborts the driver.
      this.process?.failWith('acknowledgeStatusUpdate', new IllegalStateError('explicit acknowledgements need implicitAcknowledgements: false'));
      return this.status;
    }
    return this.call((p) => p.acknowledge(status));
  }

  sendFrameworkMessage(executorId: ExecutorID, agentId: AgentID, data: Uint8Array): Status {
    return this.call((p) => p.frameworkMessage(executorId, agentId, data));
  }

  reconcileTasks(statuses: TaskStatus[]): Status {
    return this.call((p) => p.reconcileTasks(statuses));
  }

  // ------------------------------------------------------------------

  private call(fn: (p: SchedulerProcess) => void): Status {
    if (this.status !== 'DRIVER_RUNNING' || !this.process) return this.status;
    fn(this.process);
    return this.status;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'nobody';
  }
}
