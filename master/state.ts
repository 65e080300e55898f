// The master's bookkeeping as plain classes: frameworks, agents, tasks and offers, with the
// indexes between them (Mesos's Framework and Slave structs). Only the Master actor mutates them;
// the HTTP views read them.

import type { Cancel, Pid } from '../runtime/index.js';
import {
  hasCapability,
  isTerminalState,
  Resources,
  type AgentCapability,
  type AgentInfo,
  type ExecutorInfo,
  type FrameworkInfo,
  type Offer,
  type Task,
} from '../protocol/index.js';

/** A task the master tracks, with its resources kept as a value for accounting. */
export class TaskEntry {
  /** Whether its resources went back to the allocator (when it first became terminal). */
  recovered = false;
  constructor(
    public task: Task,
    readonly resources: Resources,
  ) {}

  get id(): string {
    return this.task.task_id.value;
  }
  get frameworkId(): string {
    return this.task.framework_id.value;
  }
  get agentId(): string {
    return this.task.agent_id.value;
  }
  get terminal(): boolean {
    return isTerminalState(this.task.state);
  }
}

/** A list that forgets its oldest entries beyond a capacity (Mesos's boost::circular_buffer). */
export class Bounded<T> {
  private items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }
  remove(pred: (item: T) => boolean): void {
    this.items = this.items.filter((x) => !pred(x));
  }
  find(pred: (item: T) => boolean): T | undefined {
    return this.items.find(pred);
  }
  toArray(): readonly T[] {
    return this.items;
  }
  get length(): number {
    return this.items.length;
  }
}

export class FrameworkRecord {
  /** Whether the scheduler's link is up. */
  connected = true;
  /** Whether it gets offers (false after DeactivateFramework or a disconnect). */
  active = true;
  /** Re-created from an agent's report after a master restart; no scheduler has subscribed yet. */
  recovered = false;
  registeredTime: number;
  reregisteredTime: number | undefined;
  unregisteredTime: number | undefined;
  readonly tasks = new Map<string, TaskEntry>();
  /** Tasks on agents that became unreachable, by task id (bounded). */
  readonly unreachableTasks = new Map<string, Task>();
  readonly completedTasks: Bounded<Task>;
  readonly offers = new Set<string>();
  /** Custom executors by agent id, then executor id. */
  readonly executors = new Map<string, Map<string, ExecutorInfo>>();
  suppressedRoles = new Set<string>();
  /** Bumped on every (re)subscription, so a failover timer armed before it does nothing. */
  generation = 0;
  failoverTimer: Cancel | undefined;

  constructor(
    readonly id: string,
    public info: FrameworkInfo,
    public pid: Pid | undefined,
    now: number,
    maxCompletedTasks: number,
  ) {
    this.registeredTime = now;
    this.completedTasks = new Bounded(maxCompletedTasks);
  }

  get partitionAware(): boolean {
    return hasCapability(this.info, 'PARTITION_AWARE');
  }
  get checkpoint(): boolean {
    return this.info.checkpoint ?? false;
  }
  get multiRole(): boolean {
    return hasCapability(this.info, 'MULTI_ROLE');
  }
  get roles(): string[] {
    return this.multiRole ? [...(this.info.roles ?? [])] : [this.info.role ?? '*'];
  }

  executorsOn(agentId: string): Map<string, ExecutorInfo> {
    let m = this.executors.get(agentId);
    if (m === undefined) this.executors.set(agentId, (m = new Map()));
    return m;
  }
}

export class AgentRecord {
  connected = true;
  active = true;
  registeredTime: number;
  reregisteredTime: number | undefined;
  /** Tasks on the agent, by framework id then task id (the same entries as the frameworks hold). */
  readonly tasks = new Map<string, Map<string, TaskEntry>>();
  /** Custom executors and their resources, by framework id then executor id. */
  readonly executors = new Map<string, Map<string, { info: ExecutorInfo; resources: Resources }>>();
  readonly offers = new Set<string>();
  /** Kill requests per framework, replayed when the agent re-registers (Mesos's killedTasks). */
  readonly killedTasks = new Map<string, Set<string>>();
  // Health checks (Mesos's SlaveObserver).
  pongReceived = false;
  missedPongs = 0;
  observerEpoch = 0;
  pingTimer: Cancel | undefined;
  reregisterTimer: Cancel | undefined;

  constructor(
    readonly id: string,
    public info: AgentInfo,
    public pid: Pid,
    public version: string,
    public capabilities: AgentCapability[],
    public total: Resources,
    now: number,
  ) {
    this.registeredTime = now;
  }

  tasksOf(frameworkId: string): Map<string, TaskEntry> {
    let m = this.tasks.get(frameworkId);
    if (m === undefined) this.tasks.set(frameworkId, (m = new Map()));
    return m;
  }

  allTasks(): TaskEntry[] {
    const out: TaskEntry[] = [];
    for (const m of this.tasks.values()) for (const t of m.values()) out.push(t);
    return out;
  }

  /** What tasks (not yet terminal) and executors use on the agent. */
  used(): Resources {
    let r = Resources.EMPTY;
    for (const t of this.allTasks()) if (!t.recovered) r = r.add(t.resources);
    for (const m of this.executors.values()) for (const e of m.values()) r = r.add(e.resources);
    return r;
  }

  usedBy(frameworkId: string): Resources {
    let r = Resources.EMPTY;
    for (const t of this.tasks.get(frameworkId)?.values() ?? []) if (!t.recovered) r = r.add(t.resources);
    for (const e of this.executors.get(frameworkId)?.values() ?? []) r = r.add(e.resources);
    return r;
  }
}

export interface OfferRecord {
  offer: Offer;
  /** The resources, tagged with the role (the Offer may carry them untagged for non-MULTI_ROLE frameworks). */
  resources: Resources;
  role: string;
  timer: Cancel | undefined;
}

/** An agent marked unreachable: when, and what it was. */
export interface UnreachableAgent {
  info: AgentInfo;
  timeMs: number;
}

/** A role's quota as the operator set it over /quota (v0 sets the limit equal to the guarantee). */
export interface QuotaRecord {
  role: string;
  guarantee: Resources;
  limit: Resources;
}

/** Everything the master knows, in one place, for its handlers and its HTTP views. */
export class MasterState {
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly completedFrameworks: Bounded<FrameworkRecord>;
  readonly agents = new Map<string, AgentRecord>();
  readonly unreachableAgents = new Map<string, UnreachableAgent>();
  /** Agents in the registry from before a master restart that have not re-registered yet. */
  readonly recoveredAgents = new Map<string, { id: string; hostname: string; port?: number }>();
  readonly offers = new Map<string, OfferRecord>();
  readonly quotas = new Map<string, QuotaRecord>();
  weights: Record<string, number> = {};

  constructor(maxCompletedFrameworks: number) {
    this.completedFrameworks = new Bounded(maxCompletedFrameworks);
  }

  /** Every task the master tracks (not the completed or unreachable ones). */
  *tasks(): Iterable<TaskEntry> {
    for (const fw of this.frameworks.values()) yield* fw.tasks.values();
  }
}
