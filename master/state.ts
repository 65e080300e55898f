// The master's bookkeeping as plain classes: frameworks, agents, tasks, executors and offers,
// with the indexes between them (Mesos's Framework and Slave structs). The records expose their
// indexes read-only; MasterState owns every mutation, one method each (Mesos's Master::addTask,
// Slave::addTask, Framework::addTask), and checks that the indexes agree.

import { invariant, type Pid } from '../runtime/index.js';
import {
  hasCapability,
  isTerminalState,
  Resources,
  type AgentCapability,
  type AgentInbox,
  type AgentInfo,
  type ExecutorInfo,
  type FrameworkInfo,
  type Offer,
  type SchedulerInbox,
  type Task,
  type TaskStatus,
} from '../protocol/index.js';
import type { ObserverInbox } from './agent-observer.js';
import type { FrameworkConnection } from './framework-connection.js';

/** The records hand out read-only views of their indexes; only MasterState writes through them. */
function writable<K, V>(m: ReadonlyMap<K, V>): Map<K, V> {
  return m as Map<K, V>;
}
function writableSet<T>(s: ReadonlySet<T>): Set<T> {
  return s as Set<T>;
}

/** A custom executor on an agent, the same record in the framework's and the agent's index. */
export interface ExecutorEntry {
  readonly frameworkId: string;
  readonly agentId: string;
  /** As the framework sent it, so later tasks naming the same executor compare equal. */
  readonly info: ExecutorInfo;
  /** Tagged with the allocation role, for accounting. */
  readonly resources: Resources;
}

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
  readonly tasks: ReadonlyMap<string, TaskEntry> = new Map();
  /** Tasks on agents that became unreachable, by task id (bounded). */
  readonly unreachableTasks: ReadonlyMap<string, Task> = new Map();
  readonly completedTasks: Bounded<Task>;
  readonly offers: ReadonlySet<string> = new Set();
  /** Custom executors by agent id, then executor id. */
  readonly executors: ReadonlyMap<string, ReadonlyMap<string, ExecutorEntry>> = new Map();
  suppressedRoles = new Set<string>();

  constructor(
    readonly id: string,
    public info: FrameworkInfo,
    /** The scheduler's current connection; undefined for a framework recovered from an agent's report. */
    public conn: FrameworkConnection | undefined,
    now: number,
    maxCompletedTasks: number,
  ) {
    this.registeredTime = now;
    this.completedTasks = new Bounded(maxCompletedTasks);
  }

  /** The v0 scheduler's pid; undefined over HTTP or before any subscription. */
  get pid(): Pid<SchedulerInbox> | undefined {
    return this.conn?.pid;
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

  /** The executors the framework has on an agent, by executor id. */
  executorInfosOn(agentId: string): Map<string, ExecutorInfo> {
    return new Map([...(this.executors.get(agentId) ?? [])].map(([id, e]) => [id, e.info]));
  }
}

export class AgentRecord {
  connected = true;
  active = true;
  registeredTime: number;
  reregisteredTime: number | undefined;
  /** Tasks on the agent, by framework id then task id (the same entries as the frameworks hold). */
  readonly tasks: ReadonlyMap<string, ReadonlyMap<string, TaskEntry>> = new Map();
  /** Custom executors and their resources, by framework id then executor id. */
  readonly executors: ReadonlyMap<string, ReadonlyMap<string, ExecutorEntry>> = new Map();
  readonly offers: ReadonlySet<string> = new Set();
  /** Kill requests per framework, replayed when the agent re-registers (Mesos's killedTasks). */
  readonly killedTasks: ReadonlyMap<string, ReadonlySet<string>> = new Map();
  /** Its health checker (Mesos's SlaveObserver), an actor beside the master; replaced on every (re)admission. */
  observer: Pid<ObserverInbox> | undefined;
  /** The views of `total` in `/state` (views.ts), kept while `total` is the same value. */
  totalView: { total: Resources; json: Record<string, unknown> } | undefined;

  constructor(
    readonly id: string,
    public info: AgentInfo,
    public pid: Pid<AgentInbox>,
    public version: string,
    public capabilities: AgentCapability[],
    public total: Resources,
    now: number,
  ) {
    this.registeredTime = now;
  }

  allTasks(): TaskEntry[] {
    const out: TaskEntry[] = [];
    for (const m of this.tasks.values()) for (const t of m.values()) out.push(t);
    return out;
  }

  /** What tasks (not yet terminal) and executors use on the agent. */
  used(): Resources {
    const parts: Resources[] = [];
    for (const m of this.tasks.values()) for (const t of m.values()) if (!t.recovered) parts.push(t.resources);
    for (const m of this.executors.values()) for (const e of m.values()) parts.push(e.resources);
    return Resources.sum(parts);
  }

  usedBy(frameworkId: string): Resources {
    const parts: Resources[] = [];
    for (const t of this.tasks.get(frameworkId)?.values() ?? []) if (!t.recovered) parts.push(t.resources);
    for (const e of this.executors.get(frameworkId)?.values() ?? []) parts.push(e.resources);
    return Resources.sum(parts);
  }
}

export interface OfferRecord {
  offer: Offer;
  /** The resources, tagged with the role (the Offer may carry them untagged for non-MULTI_ROLE frameworks). */
  resources: Resources;
  role: string;
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

/**
 * Who hears of the state's changes as they are made: the operator API's SUBSCRIBE streams
 * (Mesos's Master::Subscribers). Called after the change; must not throw.
 */
export interface StateObserver {
  taskAdded(entry: TaskEntry): void;
  /** The task's state changed; `status` is the update that changed it. */
  taskUpdated(entry: TaskEntry, status: TaskStatus): void;
  frameworkAdded(fw: FrameworkRecord): void;
  /** Re-registered (failed over) or its FrameworkInfo changed. */
  frameworkUpdated(fw: FrameworkRecord): void;
  frameworkRemoved(fw: FrameworkRecord): void;
  agentAdded(agent: AgentRecord): void;
  /** Removed, gone or unreachable. */
  agentRemoved(agent: AgentRecord): void;
}

/** Everything the master knows, in one place, for its handlers and its HTTP views. */
export class MasterState {
  observer: StateObserver | undefined;
  readonly completedFrameworks: Bounded<FrameworkRecord>;
  readonly unreachableAgents = new Map<string, UnreachableAgent>();
  /** Agents an operator marked gone (MARK_AGENT_GONE), by id, with when: never admitted again. */
  readonly goneAgents = new Map<string, number>();
  /** Agents in the registry from before a master restart that have not re-registered yet. */
  readonly recoveredAgents = new Map<string, { id: string; hostname: string; port?: number }>();
  readonly quotas = new Map<string, QuotaRecord>();
  weights: Record<string, number> = {};
  private readonly frameworkMap = new Map<string, FrameworkRecord>();
  private readonly agentMap = new Map<string, AgentRecord>();
  private readonly offerMap = new Map<string, OfferRecord>();
  /**
   * Registered agents by their current pid (Mesos's Slaves::registered keeps the same): to know
   * which agent a message comes from (a retried RegisterAgent, a new agent at a known address,
   * a pong that reached the master). Exits need no lookup: each link names its agent.
   */
  private readonly agentPids = new Map<Pid, string>();

  constructor(maxCompletedFrameworks: number) {
    this.completedFrameworks = new Bounded(maxCompletedFrameworks);
  }

  get frameworks(): ReadonlyMap<string, FrameworkRecord> {
    return this.frameworkMap;
  }
  get agents(): ReadonlyMap<string, AgentRecord> {
    return this.agentMap;
  }
  get offers(): ReadonlyMap<string, OfferRecord> {
    return this.offerMap;
  }

  /** Every task the master tracks (not the completed or unreachable ones). */
  *tasks(): Iterable<TaskEntry> {
    for (const fw of this.frameworkMap.values()) yield* fw.tasks.values();
  }

  // ---------------------------------------------------------------- frameworks

  addFramework(fw: FrameworkRecord): void {
    invariant(!this.frameworkMap.has(fw.id), () => `framework ${fw.id} is already added`);
    this.frameworkMap.set(fw.id, fw);
    this.observer?.frameworkAdded(fw);
  }

  /**
   * The connected framework whose current pid this is. A scan, as Mesos's subscribe scans its
   * frameworks for a retried registration: only registrations ask, and frameworks are few.
   */
  connectedFrameworkAt(pid: Pid): FrameworkRecord | undefined {
    for (const fw of this.frameworkMap.values()) if (fw.conn?.id === pid && fw.connected) return fw;
    return undefined;
  }

  isCompleted(frameworkId: string): boolean {
    return this.completedFrameworks.find((f) => f.id === frameworkId) !== undefined;
  }

  /**
   * The framework leaves for `completed_frameworks`; whatever it still has on the agents is
   * forgotten there. Its tasks and offers must be gone already.
   */
  completeFramework(fw: FrameworkRecord): void {
    invariant(this.frameworkMap.get(fw.id) === fw, () => `framework ${fw.id} is not the registered one`);
    invariant(fw.tasks.size === 0 && fw.offers.size === 0, () => `framework ${fw.id} still has tasks or offers`);
    for (const agent of this.agentMap.values()) {
      writable(agent.executors).delete(fw.id);
      writable(agent.tasks).delete(fw.id);
      writable(agent.killedTasks).delete(fw.id);
    }
    writable(fw.executors).clear();
    this.frameworkMap.delete(fw.id);
    this.completedFrameworks.push(fw);
    this.observer?.frameworkRemoved(fw);
  }

  // ---------------------------------------------------------------- agents

  addAgent(agent: AgentRecord): void {
    invariant(!this.agentMap.has(agent.id), () => `agent ${agent.id} is already added`);
    this.agentMap.set(agent.id, agent);
    this.agentPids.set(agent.pid, agent.id);
    this.observer?.agentAdded(agent);
  }

  /** The registered agent at this pid. */
  agentByPid(pid: Pid): AgentRecord | undefined {
    const id = this.agentPids.get(pid);
    return id === undefined ? undefined : this.agentMap.get(id);
  }

  /** The agent speaks from `pid` from now on. */
  setAgentPid(agent: AgentRecord, pid: Pid<AgentInbox>): void {
    if (this.agentPids.get(agent.pid) === agent.id) this.agentPids.delete(agent.pid);
    agent.pid = pid;
    this.agentPids.set(pid, agent.id);
  }

  /** The agent leaves: its offers must be gone; its executors are forgotten. Its tasks stay on the record for the caller. */
  removeAgent(agent: AgentRecord): void {
    invariant(this.agentMap.get(agent.id) === agent, () => `agent ${agent.id} is not the registered one`);
    invariant(agent.offers.size === 0, () => `agent ${agent.id} still has offers`);
    for (const fwId of agent.executors.keys()) writable(this.frameworkMap.get(fwId)?.executors ?? new Map()).delete(agent.id);
    writable(agent.executors).clear();
    this.agentMap.delete(agent.id);
    if (this.agentPids.get(agent.pid) === agent.id) this.agentPids.delete(agent.pid);
    this.observer?.agentRemoved(agent);
  }

  // ---------------------------------------------------------------- tasks

  /**
   * Indexes a task under its framework and its agent (Mesos's Master::addTask). A task the
   * framework already had under the same id (an agent reporting it elsewhere) is replaced.
   */
  addTask(entry: TaskEntry): void {
    const fw = this.frameworkMap.get(entry.frameworkId);
    const agent = this.agentMap.get(entry.agentId);
    invariant(fw !== undefined, () => `task ${entry.id} of unknown framework ${entry.frameworkId}`);
    invariant(agent !== undefined, () => `task ${entry.id} on unknown agent ${entry.agentId}`);
    const previous = fw.tasks.get(entry.id);
    if (previous !== undefined) writable(this.agentMap.get(previous.agentId)?.tasks.get(previous.frameworkId) ?? new Map()).delete(previous.id);
    writable(fw.tasks).set(entry.id, entry);
    writable(fw.unreachableTasks).delete(entry.id);
    let onAgent = agent.tasks.get(fw.id);
    if (onAgent === undefined) writable(agent.tasks).set(fw.id, (onAgent = new Map()));
    writable(onAgent).set(entry.id, entry);
    this.observer?.taskAdded(entry);
  }

  /** The task leaves the active set for its framework's `completed_tasks`. */
  removeTask(entry: TaskEntry): void {
    const fw = this.frameworkMap.get(entry.frameworkId);
    invariant(fw === undefined || fw.tasks.get(entry.id) === entry, () => `task ${entry.id} is not indexed under framework ${entry.frameworkId}`);
    this.unindexTask(entry);
    fw?.completedTasks.push(entry.task);
  }

  /** The task's agent became unreachable: it moves to its framework's bounded `unreachable_tasks`. */
  moveTaskToUnreachable(entry: TaskEntry, maxUnreachableTasks: number): void {
    const fw = this.frameworkMap.get(entry.frameworkId);
    invariant(fw !== undefined && fw.tasks.get(entry.id) === entry, () => `task ${entry.id} is not indexed under framework ${entry.frameworkId}`);
    this.unindexTask(entry);
    const unreachable = writable(fw.unreachableTasks);
    unreachable.set(entry.id, entry.task);
    if (unreachable.size > maxUnreachableTasks) {
      const oldest = unreachable.keys().next().value;
      if (oldest !== undefined) unreachable.delete(oldest);
    }
  }

  /** A framework that comes back for its unreachable or completed tasks (an agent re-registered with them). */
  forgetUnreachableTasks(fw: FrameworkRecord): Task[] {
    const tasks = [...fw.unreachableTasks.values()];
    writable(fw.unreachableTasks).clear();
    return tasks;
  }

  /** An unreachable task leaves for `completed_tasks` (its agent was marked gone). */
  completeUnreachableTask(fw: FrameworkRecord, task: Task): void {
    if (!writable(fw.unreachableTasks).delete(task.task_id.value)) return;
    fw.completedTasks.push(task);
  }

  /**
   * The agent re-registered: its tasks still listed unreachable are ones it does not run (it
   * reported the others, which addTask took back), and are forgotten. How many there were.
   */
  forgetUnreachableTasksOn(agentId: string): number {
    let forgotten = 0;
    for (const fw of this.frameworkMap.values()) {
      for (const [id, task] of fw.unreachableTasks) {
        if (task.agent_id.value !== agentId) continue;
        writable(fw.unreachableTasks).delete(id);
        forgotten++;
      }
    }
    return forgotten;
  }

  /** Remembers a kill so it is sent again when the agent re-registers. */
  addKilledTask(agent: AgentRecord, frameworkId: string, taskId: string): void {
    let killed = agent.killedTasks.get(frameworkId);
    if (killed === undefined) writable(agent.killedTasks).set(frameworkId, (killed = new Set()));
    writableSet(killed).add(taskId);
  }

  private unindexTask(entry: TaskEntry): void {
    const fw = this.frameworkMap.get(entry.frameworkId);
    if (fw !== undefined && fw.tasks.get(entry.id) === entry) writable(fw.tasks).delete(entry.id);
    const agent = this.agentMap.get(entry.agentId);
    const onAgent = agent?.tasks.get(entry.frameworkId);
    if (onAgent?.get(entry.id) === entry) writable(onAgent).delete(entry.id);
    const killed = agent?.killedTasks.get(entry.frameworkId);
    if (killed !== undefined) writableSet(killed).delete(entry.id);
  }

  // ---------------------------------------------------------------- executors

  /** Indexes a custom executor under its framework and its agent, as one record. */
  addExecutor(fw: FrameworkRecord, agent: AgentRecord, info: ExecutorInfo, resources: Resources): void {
    invariant(this.frameworkMap.get(fw.id) === fw, () => `executor of unknown framework ${fw.id}`);
    invariant(this.agentMap.get(agent.id) === agent, () => `executor on unknown agent ${agent.id}`);
    const entry: ExecutorEntry = { frameworkId: fw.id, agentId: agent.id, info, resources };
    let byFw = fw.executors.get(agent.id);
    if (byFw === undefined) writable(fw.executors).set(agent.id, (byFw = new Map()));
    writable(byFw).set(info.executor_id.value, entry);
    let byAgent = agent.executors.get(fw.id);
    if (byAgent === undefined) writable(agent.executors).set(fw.id, (byAgent = new Map()));
    writable(byAgent).set(info.executor_id.value, entry);
  }

  /** Forgets an executor in both indexes; what it was, if it was known. */
  removeExecutor(agent: AgentRecord, frameworkId: string, executorId: string): ExecutorEntry | undefined {
    const byAgent = agent.executors.get(frameworkId);
    const entry = byAgent?.get(executorId);
    if (byAgent === undefined || entry === undefined) return undefined;
    writable(byAgent).delete(executorId);
    if (byAgent.size === 0) writable(agent.executors).delete(frameworkId);
    const fw = this.frameworkMap.get(frameworkId);
    const byFw = fw?.executors.get(agent.id);
    invariant(fw === undefined || byFw?.get(executorId) === entry, () => `executor ${executorId} of ${frameworkId} on ${agent.id} is indexed on the agent only`);
    if (fw !== undefined && byFw !== undefined) {
      writable(byFw).delete(executorId);
      if (byFw.size === 0) writable(fw.executors).delete(agent.id);
    }
    return entry;
  }

  // ---------------------------------------------------------------- offers

  addOffer(record: OfferRecord): void {
    const id = record.offer.id.value;
    const fw = this.frameworkMap.get(record.offer.framework_id.value);
    const agent = this.agentMap.get(record.offer.agent_id.value);
    invariant(!this.offerMap.has(id), () => `offer ${id} is already added`);
    invariant(fw !== undefined && agent !== undefined, () => `offer ${id} is for an unknown framework or agent`);
    this.offerMap.set(id, record);
    writableSet(fw.offers).add(id);
    writableSet(agent.offers).add(id);
  }

  /** Forgets an offer in all three indexes; the record, if it was outstanding. */
  removeOffer(id: string): OfferRecord | undefined {
    const record = this.offerMap.get(id);
    if (record === undefined) return undefined;
    this.offerMap.delete(id);
    const fw = this.frameworkMap.get(record.offer.framework_id.value);
    const agent = this.agentMap.get(record.offer.agent_id.value);
    invariant(fw === undefined || fw.offers.has(id), () => `offer ${id} is not indexed under its framework`);
    invariant(agent === undefined || agent.offers.has(id), () => `offer ${id} is not indexed under its agent`);
    if (fw !== undefined) writableSet(fw.offers).delete(id);
    if (agent !== undefined) writableSet(agent.offers).delete(id);
    return record;
  }
}
