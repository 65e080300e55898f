// The allocator as an actor of its own (ARCHITECTURE §4): the master tells it what happened
// (frameworks, agents, recovered resources, filters, quota, weights) by message, and it runs the
// synchronous HierarchicalAllocator every allocation interval and, batched, after events.

import { Actor, Counter, invariant, ValidationError, type Handlers, type Pid } from '../runtime/index.js';
import type { FrameworkInfo, Resources } from '../protocol/index.js';
import {
  HierarchicalAllocator,
  type AgentInfoLike,
  type AllocationOperation,
  type FrameworkOffers,
  type OfferFilters,
  type Quota,
  type RolePolicy,
} from './allocator/index.js';

// ---------------------------------------------------------------------------------------------
// Master → allocator. Local messages only (they carry `Resources` values), named after the
// calls Mesos's master dispatches to its allocator process.

/** M→allocator. Allocator::addFramework; `used` is what the framework already holds, by agent. */
export type AllocatorAddFramework = {
  name: 'AllocatorAddFramework';
  framework_id: string;
  info: FrameworkInfo;
  used: ReadonlyMap<string, Resources>;
  active: boolean;
  suppressed_roles: readonly string[];
};
/** M→allocator. Allocator::removeFramework: everything it holds comes back. */
export type AllocatorRemoveFramework = { name: 'AllocatorRemoveFramework'; framework_id: string };
/** M→allocator. Allocator::activateFramework (re-subscription). */
export type AllocatorActivateFramework = { name: 'AllocatorActivateFramework'; framework_id: string };
/** M→allocator. Allocator::deactivateFramework (disconnect, DeactivateFramework). */
export type AllocatorDeactivateFramework = { name: 'AllocatorDeactivateFramework'; framework_id: string };
/** M→allocator. Allocator::updateFramework (new FrameworkInfo or suppressed roles on re-subscription). */
export type AllocatorUpdateFramework = { name: 'AllocatorUpdateFramework'; framework_id: string; info: FrameworkInfo; suppressed_roles: readonly string[] };
/** M→allocator. Allocator::suppressOffers; empty roles = all the framework's roles. */
export type AllocatorSuppressOffers = { name: 'AllocatorSuppressOffers'; framework_id: string; roles: readonly string[] };
/** M→allocator. Allocator::reviveOffers; empty roles = all the framework's roles. */
export type AllocatorReviveOffers = { name: 'AllocatorReviveOffers'; framework_id: string; roles: readonly string[] };
/** M→allocator. Allocator::addSlave; `used` is what frameworks already run there, by framework. */
export type AllocatorAddAgent = { name: 'AllocatorAddAgent'; agent_id: string; total: Resources; used: ReadonlyMap<string, Resources>; info: AgentInfoLike };
/** M→allocator. Allocator::removeSlave. */
export type AllocatorRemoveAgent = { name: 'AllocatorRemoveAgent'; agent_id: string };
/** M→allocator. Allocator::activateSlave (agent re-registered after a disconnect). */
export type AllocatorActivateAgent = { name: 'AllocatorActivateAgent'; agent_id: string };
/** M→allocator. Allocator::deactivateSlave (agent disconnected). */
export type AllocatorDeactivateAgent = { name: 'AllocatorDeactivateAgent'; agent_id: string };
/** M→allocator. Allocator::recoverResources; `filters` only for declines and the unused part of an accept. */
export type AllocatorRecoverResources = {
  name: 'AllocatorRecoverResources';
  framework_id: string;
  agent_id: string;
  resources: Resources;
  filters?: OfferFilters;
};
/** M→allocator. Allocator::updateAllocation: RESERVE/UNRESERVE applied to what a framework was offered. */
export type AllocatorUpdateAllocation = { name: 'AllocatorUpdateAllocation'; framework_id: string; agent_id: string; role: string; operations: readonly AllocationOperation[] };
/** M→allocator. Allocator::updateQuota; no quota at all when `quota` is absent. */
export type AllocatorUpdateQuota = { name: 'AllocatorUpdateQuota'; role: string; quota?: Quota };
/** M→allocator. Allocator::updateWeights. */
export type AllocatorUpdateWeights = { name: 'AllocatorUpdateWeights'; weights: Readonly<Record<string, number>> };

export type AllocatorInbox =
  | AllocatorAddFramework
  | AllocatorRemoveFramework
  | AllocatorActivateFramework
  | AllocatorDeactivateFramework
  | AllocatorUpdateFramework
  | AllocatorSuppressOffers
  | AllocatorReviveOffers
  | AllocatorUpdateAllocation
  | AllocatorAddAgent
  | AllocatorRemoveAgent
  | AllocatorActivateAgent
  | AllocatorDeactivateAgent
  | AllocatorRecoverResources
  | AllocatorUpdateQuota
  | AllocatorUpdateWeights;

/** One offer the allocator made: a framework, a role, an agent and resources tagged with the role. */
export interface AllocatedOffer {
  framework_id: string;
  role: string;
  agent_id: string;
  resources: Resources;
}

/** allocator→M. The offers of one allocation run (Mesos's offer callback, all frameworks at once). */
export type AllocatorOffers = { name: 'AllocatorOffers'; offers: AllocatedOffer[] };

type Internal =
  | { name: '_AllocationTick' } // the periodic run (timer TICK)
  | { name: '_AllocatePending' }; // a batched run asked for by events

/** The key of the periodic allocation timer. */
const TICK = 'allocation-tick';

export interface AllocatorProcessOptions {
  /** The master, as far as the allocator speaks to it: offers only. */
  master: Pid<AllocatorOffers>;
  allocationIntervalMs: number;
  minAllocatableResources?: string | undefined;
  fairSharingExcludedResourceNames?: readonly string[] | undefined;
  rolePolicies?: Readonly<Record<string, RolePolicy>> | undefined;
  weights?: Readonly<Record<string, number>> | undefined;
  random?: (() => number) | undefined;
}

export class AllocatorProcess extends Actor<AllocatorInbox | Internal> {
  /** Read-only views for the master's HTTP endpoints and metrics; it never mutates it directly. */
  readonly allocator: HierarchicalAllocator;
  private pendingScheduled = false;
  private readonly options: AllocatorProcessOptions;

  protected readonly handlers: Handlers<AllocatorInbox | Internal> = {
    AllocatorAddFramework: (m) => this.call(m.name, (a) => a.addFramework(m.framework_id, m.info, m.used, m.active, m.suppressed_roles)),
    AllocatorRemoveFramework: (m) => this.call(m.name, (a) => a.removeFramework(m.framework_id)),
    AllocatorActivateFramework: (m) => this.call(m.name, (a) => a.activateFramework(m.framework_id)),
    AllocatorDeactivateFramework: (m) => this.call(m.name, (a) => a.deactivateFramework(m.framework_id)),
    AllocatorUpdateFramework: (m) => this.call(m.name, (a) => a.updateFramework(m.framework_id, m.info, m.suppressed_roles)),
    AllocatorSuppressOffers: (m) => this.call(m.name, (a) => a.suppressOffers(m.framework_id, m.roles)),
    AllocatorReviveOffers: (m) => this.call(m.name, (a) => a.reviveOffers(m.framework_id, m.roles)),
    AllocatorAddAgent: (m) => this.call(m.name, (a) => a.addAgent(m.agent_id, m.total, m.used, m.info)),
    AllocatorRemoveAgent: (m) => this.call(m.name, (a) => a.removeAgent(m.agent_id)),
    AllocatorActivateAgent: (m) => this.call(m.name, (a) => a.activateAgent(m.agent_id)),
    AllocatorDeactivateAgent: (m) => this.call(m.name, (a) => a.deactivateAgent(m.agent_id)),
    AllocatorRecoverResources: (m) => this.call(m.name, (a) => a.recoverResources(m.framework_id, m.agent_id, m.resources, m.filters)),
    AllocatorUpdateAllocation: (m) => this.call(m.name, (a) => a.updateAllocation(m.framework_id, m.agent_id, m.operations, m.role)),
    AllocatorUpdateQuota: (m) => this.call(m.name, (a) => (m.quota === undefined ? a.removeQuota(m.role) : a.setQuota(m.role, m.quota))),
    AllocatorUpdateWeights: (m) => this.call(m.name, (a) => a.updateWeights(m.weights)),
    _AllocationTick: () => this.allocationTick(),
    _AllocatePending: () => this.allocatePending(),
  };

  constructor(options: AllocatorProcessOptions, clock: { now(): number }) {
    super();
    this.options = options;
    this.allocator = new HierarchicalAllocator({
      clock,
      allocationInterval: options.allocationIntervalMs,
      offer: (frameworkId, offers) => this.offer(frameworkId, offers),
      onAllocationRequested: () => this.requestRun(),
      ...(options.minAllocatableResources !== undefined ? { minAllocatableResources: options.minAllocatableResources } : {}),
      ...(options.fairSharingExcludedResourceNames !== undefined ? { fairnessExcludeResourceNames: options.fairSharingExcludedResourceNames } : {}),
      ...(options.rolePolicies !== undefined ? { rolePolicies: options.rolePolicies } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    if (options.weights !== undefined) this.allocator.updateWeights(options.weights);
  }

  private collected: AllocatedOffer[] = [];
  private dispatches = new Counter();
  private droppedCalls = new Counter();

  override initialize(): void {
    this.dispatches = this.runtime.metrics.counter('allocator/mesos/event_queue_dispatches');
    this.droppedCalls = this.runtime.metrics.counter('allocator/mesos/dropped_calls');
    this.runtime.metrics.gaugeGroup('allocator', () => this.allocator.metrics());
    // The periodic loop: Mesos waits one interval, runs, and only then starts the next wait.
    this.startTimer(TICK, this.options.allocationIntervalMs, { name: '_AllocationTick' });
  }

  override finalize(): void {
    this.runtime.metrics.remove('allocator');
  }

  /**
   * Every event is applied at once. One the allocator refuses as invalid input (a
   * ValidationError: resources, weights or quota that came from a peer) is dropped and counted
   * as `allocator/mesos/dropped_calls`. Anything else means the master's books and the
   * allocator's disagree, or the allocator broke one of its own invariants (Mesos CHECKs
   * both): the process stops through invariant(), never carrying on with books it cannot trust.
   */
  private call(name: string, apply: (a: HierarchicalAllocator) => void): void {
    this.dispatches.value++;
    try {
      apply(this.allocator);
    } catch (err) {
      if (err instanceof ValidationError) {
        this.droppedCalls.inc();
        this.log.warn({ err, call: name }, `dropping ${name}: ${err.message}`);
        return;
      }
      this.log.error({ err, call: name }, `${name} failed; the allocator's state can no longer be trusted`);
      invariant(false, `allocator ${name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  // Batching (MESOS-6904): the first event that asks for a run queues one; later events join it.
  // The run is queued behind whatever the master already sent, as in Mesos's actor model.
  private requestRun(): void {
    if (this.pendingScheduled) return;
    this.pendingScheduled = true;
    this.send(this.self, { name: '_AllocatePending' });
  }

  private allocatePending(): void {
    this.pendingScheduled = false;
    this.allocator.allocatePending();
    this.flush();
  }

  private allocationTick(): void {
    this.allocator.allocate();
    this.flush();
    this.startTimer(TICK, this.options.allocationIntervalMs, { name: '_AllocationTick' });
  }

  private offer(frameworkId: string, offers: FrameworkOffers): void {
    for (const [role, byAgent] of offers) {
      for (const [agentId, resources] of byAgent) this.collected.push({ framework_id: frameworkId, role, agent_id: agentId, resources });
    }
  }

  private flush(): void {
    if (this.collected.length === 0) return;
    const offers = this.collected;
    this.collected = [];
    this.send(this.options.master, { name: 'AllocatorOffers', offers });
  }
}
