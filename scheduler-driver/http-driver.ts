// HttpSchedulerDriver: the SchedulerDriver a framework holds, over the v1 HTTP API instead of
// the actor protocol. Same Scheduler callbacks, same calls and statuses as MesosSchedulerDriver,
// so a framework moves between the transports by choosing its driver (mesos-execute --api).

import { hostname, userInfo } from 'node:os';
import type { AgentID, ExecutorID, Filters, FrameworkID, FrameworkInfo, MasterInfo, Offer, OfferID, OfferOperation, ResourceRequest, TaskID, TaskInfo, TaskStatus } from '../protocol/index.js';
import type { MediaType } from '../protocol/index.js';
import type { Status } from '../driver/index.js';
import type { Scheduler, SchedulerDriver } from './scheduler.js';
import { V1SchedulerClient, type V1Call, type V1Event } from './v1-client.js';

export interface HttpSchedulerDriverOptions {
  /** The media type of calls and events (default JSON). */
  contentType?: MediaType;
  /** Default true: returning from statusUpdate acknowledges the update. */
  implicitAcknowledgements?: boolean;
  suppressedRoles?: string[];
  principal?: string;
  secret?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class HttpSchedulerDriver implements SchedulerDriver {
  private status: Status = 'DRIVER_NOT_STARTED';
  private readonly client: V1SchedulerClient;
  private readonly framework: FrameworkInfo;
  private subscribedBefore = false;
  /** User callbacks, one at a time, in order. */
  private callbacks: Promise<void> = Promise.resolve();
  private ended: Promise<Status>;
  private end!: (s: Status) => void;

  constructor(
    private readonly scheduler: Scheduler,
    framework: FrameworkInfo,
    master: string,
    private readonly options: HttpSchedulerDriverOptions = {},
  ) {
    this.framework = { ...framework, user: framework.user || safeUser(), ...(framework.hostname ? {} : { hostname: hostname() }) };
    this.ended = new Promise((resolve) => (this.end = resolve));
    this.client = new V1SchedulerClient({
      master: master.replace(/^master@/, ''),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
      ...(options.suppressedRoles !== undefined ? { suppressedRoles: options.suppressedRoles } : {}),
      ...(options.principal !== undefined ? { principal: options.principal, secret: options.secret ?? '' } : {}),
      ...(options.minBackoffMs !== undefined ? { minBackoffMs: options.minBackoffMs } : {}),
      ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
      onEvent: (e) => this.event(e),
      onDisconnected: () => {
        if (this.status === 'DRIVER_RUNNING' && this.subscribedBefore) this.callback((s) => s.disconnected(this));
      },
      onError: (message) => this.fail(message),
    });
  }

  /** The framework id, once subscribed. */
  get frameworkId(): string | undefined {
    return this.client.frameworkId;
  }

  get connected(): boolean {
    return this.client.subscribed;
  }

  async start(): Promise<Status> {
    if (this.status !== 'DRIVER_NOT_STARTED') return this.status;
    this.status = 'DRIVER_RUNNING';
    this.client.start(this.framework);
    return this.status;
  }

  async stop(failover = false): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING' && this.status !== 'DRIVER_ABORTED') return this.status;
    const wasAborted = this.status === 'DRIVER_ABORTED';
    this.status = 'DRIVER_STOPPED';
    // Calls made before stop (an acknowledgement from the callback that stops) go out first.
    if (!failover && !wasAborted) await this.client.call({ type: 'TEARDOWN' });
    await this.client.stop();
    this.end(wasAborted ? 'DRIVER_ABORTED' : 'DRIVER_STOPPED');
    return wasAborted ? 'DRIVER_ABORTED' : 'DRIVER_STOPPED';
  }

  async abort(): Promise<Status> {
    if (this.status !== 'DRIVER_RUNNING') return this.status;
    this.status = 'DRIVER_ABORTED';
    await this.client.stop();
    this.end('DRIVER_ABORTED');
    return this.status;
  }

  join(): Promise<Status> {
    return this.status === 'DRIVER_NOT_STARTED' ? Promise.resolve(this.status) : this.ended;
  }

  async run(): Promise<Status> {
    await this.start();
    return this.join();
  }

  requestResources(requests: ResourceRequest[]): Status {
    return this.send({ type: 'REQUEST', request: { requests } });
  }

  launchTasks(offerIds: OfferID[], tasks: TaskInfo[], filters?: Filters): Status {
    return this.acceptOffers(offerIds, [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters);
  }

  acceptOffers(offerIds: OfferID[], operations: OfferOperation[], filters?: Filters): Status {
    return this.send({ type: 'ACCEPT', accept: { offer_ids: offerIds, operations, ...(filters !== undefined ? { filters } : {}) } });
  }

  declineOffer(offerId: OfferID, filters?: Filters): Status {
    return this.send({ type: 'DECLINE', decline: { offer_ids: [offerId], ...(filters !== undefined ? { filters } : {}) } });
  }

  killTask(taskId: TaskID): Status {
    return this.send({ type: 'KILL', kill: { task_id: taskId } });
  }

  reviveOffers(roles?: string[]): Status {
    return this.send({ type: 'REVIVE', revive: { roles: roles ?? [] } });
  }

  suppressOffers(roles?: string[]): Status {
    return this.send({ type: 'SUPPRESS', suppress: { roles: roles ?? [] } });
  }

  acknowledgeStatusUpdate(status: TaskStatus): Status {
    if (status.uuid === undefined || status.agent_id === undefined) return this.status;
    return this.send({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } });
  }

  sendFrameworkMessage(executorId: ExecutorID, agentId: AgentID, data: Uint8Array): Status {
    return this.send({ type: 'MESSAGE', message: { agent_id: agentId, executor_id: executorId, data } });
  }

  reconcileTasks(statuses: TaskStatus[]): Status {
    return this.send({ type: 'RECONCILE', reconcile: { tasks: statuses.map((s) => ({ task_id: s.task_id, ...(s.agent_id !== undefined ? { agent_id: s.agent_id } : {}) })) } });
  }

  // ------------------------------------------------------------------

  private send(call: V1Call): Status {
    if (this.status !== 'DRIVER_RUNNING') return this.status;
    void this.client.call(call);
    return this.status;
  }

  private event(e: V1Event): void {
    const p = e as Record<string, Record<string, unknown> | undefined>;
    switch (e.type) {
      case 'SUBSCRIBED': {
        const s = p['subscribed'] as { framework_id: FrameworkID; master_info?: MasterInfo };
        const master = s.master_info ?? ({ id: '', ip: 0, port: 0 } as MasterInfo);
        const again = this.subscribedBefore;
        this.subscribedBefore = true;
        return this.callback((sch) => (again ? sch.reregistered(this, master) : sch.registered(this, s.framework_id, master)));
      }
      case 'OFFERS':
        return this.callback((sch) => sch.resourceOffers(this, ((p['offers']?.['offers'] as Offer[] | undefined) ?? [])));
      case 'RESCIND':
        return this.callback((sch) => sch.offerRescinded(this, p['rescind']!['offer_id'] as OfferID));
      case 'UPDATE': {
        const status = p['update']!['status'] as TaskStatus;
        const ack = (this.options.implicitAcknowledgements ?? true) && status.uuid !== undefined;
        return this.callback((sch) => sch.statusUpdate(this, status), ack ? () => this.acknowledge(status) : undefined);
      }
      case 'MESSAGE': {
        const m = p['message']!;
        return this.callback((sch) => sch.frameworkMessage(this, m['executor_id'] as ExecutorID, m['agent_id'] as AgentID, (m['data'] as Uint8Array | undefined) ?? new Uint8Array()));
      }
      case 'FAILURE': {
        const f = p['failure'] ?? {};
        if (f['executor_id'] !== undefined) return this.callback((sch) => sch.executorLost(this, f['executor_id'] as ExecutorID, f['agent_id'] as AgentID, (f['status'] as number | undefined) ?? 0));
        if (f['agent_id'] !== undefined) return this.callback((sch) => sch.agentLost(this, f['agent_id'] as AgentID));
        return;
      }
      case 'ERROR':
        return this.fail((p['error']?.['message'] as string | undefined) ?? 'unknown error');
      default:
        return; // HEARTBEAT, and events of features this driver has no callback for
    }
  }

  private acknowledge(status: TaskStatus): void {
    if (this.status !== 'DRIVER_RUNNING' || status.agent_id === undefined || status.uuid === undefined) return;
    void this.client.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } }, { ordered: false });
  }

  /** Aborts, then tells the scheduler: the driver is already aborted when `error` runs, as Mesos's. */
  private fail(message: string): void {
    if (this.status !== 'DRIVER_RUNNING') return;
    void this.abort();
    this.callback((s) => s.error(this, message), undefined, true);
  }

  private callback(run: (s: Scheduler) => unknown, after?: () => void, evenIfClosed = false): void {
    this.callbacks = this.callbacks.then(async () => {
      if (this.status !== 'DRIVER_RUNNING' && !evenIfClosed) return;
      try {
        await run(this.scheduler);
        after?.();
      } catch (err) {
        this.fail(`Scheduler callback threw: ${(err as Error).message}`);
      }
    });
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'nobody';
  }
}
