// What a framework implements (Scheduler) and what it calls (SchedulerDriver): Mesos's v0
// scheduler API (include/mesos/scheduler.hpp) with TypeScript types, "agent" wording, and
// callbacks that may be async.

import type {
  AgentID,
  ExecutorID,
  Filters,
  FrameworkID,
  MasterInfo,
  Offer,
  OfferID,
  OfferOperation,
  ResourceRequest,
  TaskID,
  TaskInfo,
  TaskStatus,
} from '../protocol/index.js';
import type { CallbackResult, Status } from '../driver/index.js';

export type { CallbackResult, Status };

/**
 * The framework's side of the scheduler API. Names and order of arguments are Mesos's, each
 * callback receiving the driver first; where Mesos says "slave" (slaveLost, SlaveID) this says
 * "agent", as Mesos's own v1 API does.
 */
export interface Scheduler {
  /** Registered with a master for the first time (also after a master failover, as in Mesos). */
  registered(driver: SchedulerDriver, frameworkId: FrameworkID, masterInfo: MasterInfo): CallbackResult;
  /** Re-registered with the same master after the link to it came back. */
  reregistered(driver: SchedulerDriver, masterInfo: MasterInfo): CallbackResult;
  /** The link to the master broke; the driver re-registers on its own when it can. */
  disconnected(driver: SchedulerDriver): CallbackResult;
  resourceOffers(driver: SchedulerDriver, offers: Offer[]): CallbackResult;
  /** The offer is no longer valid (agent lost, another framework's failover, …). */
  offerRescinded(driver: SchedulerDriver, offerId: OfferID): CallbackResult;
  /** Returning (or resolving) acknowledges the update when implicit acknowledgements are on. */
  statusUpdate(driver: SchedulerDriver, status: TaskStatus): CallbackResult;
  frameworkMessage(driver: SchedulerDriver, executorId: ExecutorID, agentId: AgentID, data: Uint8Array): CallbackResult;
  /** Mesos's slaveLost: the agent was removed or became unreachable. */
  agentLost(driver: SchedulerDriver, agentId: AgentID): CallbackResult;
  /** A custom executor terminated; `status` is its wait status. */
  executorLost(driver: SchedulerDriver, executorId: ExecutorID, agentId: AgentID, status: number): CallbackResult;
  /** Unrecoverable: the driver is already aborted when this runs. */
  error(driver: SchedulerDriver, message: string): CallbackResult;
}

/** The calls a framework makes; everything but the lifecycle returns the driver's status at once. */
export interface SchedulerDriver {
  start(): Promise<Status>;
  /** failover=true keeps the framework registered, so a new scheduler can take over its tasks. */
  stop(failover?: boolean): Promise<Status>;
  abort(): Promise<Status>;
  join(): Promise<Status>;
  run(): Promise<Status>;
  requestResources(requests: ResourceRequest[]): Status;
  launchTasks(offerIds: OfferID[], tasks: TaskInfo[], filters?: Filters): Status;
  acceptOffers(offerIds: OfferID[], operations: OfferOperation[], filters?: Filters): Status;
  declineOffer(offerId: OfferID, filters?: Filters): Status;
  killTask(taskId: TaskID): Status;
  reviveOffers(roles?: string[]): Status;
  suppressOffers(roles?: string[]): Status;
  acknowledgeStatusUpdate(status: TaskStatus): Status;
  sendFrameworkMessage(executorId: ExecutorID, agentId: AgentID, data: Uint8Array): Status;
  reconcileTasks(statuses: TaskStatus[]): Status;
}
