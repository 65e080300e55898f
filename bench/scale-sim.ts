// The simulated peers of the scale benchmark, as actors many to a runtime: SimAgent answers the
// master as the real agent does (RegisterAgent/ReregisterAgent until acknowledged, PongAgent for
// every PingAgent, RunTask → TASK_RUNNING → TASK_FINISHED, each update sent only once the one
// before it is acknowledged, TASK_KILLED on KillTask) without running anything; SimFramework is a
// scheduler reduced to the messages: it registers, launches tasks on the offers it gets and
// acknowledges every update. Both count what they see in a shared Tally.

import { Actor, type Handlers, type Message, type Pid } from '../runtime/index.js';
import type {
  AgentInfo,
  AgentRegistered,
  AgentReregistered,
  FrameworkInfo,
  FrameworkRegistered,
  KillTask,
  Offer,
  ResourceOffers,
  RunTask,
  StatusUpdate,
  StatusUpdateAcknowledgement,
  Task,
  TaskInfo,
  TaskState,
} from '../protocol/index.js';

export const AGENT_VERSION = '1.11.0';
const CAPABILITIES = [{ type: 'MULTI_ROLE' as const }, { type: 'HIERARCHICAL_ROLE' as const }, { type: 'RESERVATION_REFINEMENT' as const }];
/** The real agent's registration backoff (registration_backoff_factor) and its cap. */
const BACKOFF_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

/** What a process's simulated peers have seen, read by the benchmark's driver. */
export class Tally {
  registered = 0;
  reregistered = 0;
  /** Agents registered since the last master (re)start, and when the last of them was. */
  registeredSinceEpoch = 0;
  lastRegisteredAt = 0;
  launched = 0;
  running = 0;
  /** TASK_RUNNING of tasks that keep running (HOLD_PREFIX). */
  holdRunning = 0;
  finished = 0;
  killed = 0;
  otherTerminal = 0;
  offers = 0;
  /** Offer to the next offer of the same agent for the same framework, ms. */
  offerCycles: number[] = [];
  frameworksRegistered = 0;
  /** Frameworks that lost their connection to the master and subscribed again. */
  reconnects = 0;
  /** After a change of master (`_Follow`): frameworks re-subscribed, and those offered again. */
  resubscribed = 0;
  reoffered = 0;
}

let uuidCounter = 0;
const uuidPrefix = (Math.random() * 0xffffffff) >>> 0;
/** 16 distinct bytes per update: a per-process random prefix and a counter. */
function nextUuid(): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, uuidPrefix);
  v.setFloat64(8, ++uuidCounter);
  return b;
}

interface SimTask {
  task: TaskInfo;
  frameworkId: string;
  state: TaskState;
  /** The update waiting for its acknowledgement, if any. */
  pending: Uint8Array | undefined;
  /** The state to send once the pending update is acknowledged. */
  next: TaskState | undefined;
}

/** Tasks whose name starts with this keep running until killed; every other task finishes at once. */
export const HOLD_PREFIX = 'hold-';

type AgentInbox = Message & Record<string, unknown>;

export class SimAgent extends Actor<AgentInbox> {
  agentId: string | undefined;
  private state: 'REGISTERING' | 'RUNNING' = 'REGISTERING';
  private generation = 0;
  private linked = false;
  private readonly tasks = new Map<string, SimTask>();
  private readonly frameworks = new Map<string, FrameworkInfo>();

  constructor(
    private master: Pid,
    private readonly info: AgentInfo,
    private readonly tally: Tally,
    private readonly firstDelayMs: number,
  ) {
    super();
  }

  protected readonly handlers = {
    AgentRegistered: (m: AgentRegistered, from: Pid | '') => this.onRegistered(m.agent_id.value, from),
    AgentReregistered: (m: AgentReregistered, from: Pid | '') => this.onRegistered(m.agent_id.value, from),
    PingAgent: (_m: Message, from: Pid | '') => {
      if (from !== '') this.send(from as Pid, { name: 'PongAgent' });
    },
    RunTask: (m: RunTask) => this.runTask(m),
    KillTask: (m: KillTask) => this.killTask(m),
    StatusUpdateAcknowledgement: (m: StatusUpdateAcknowledgement) => this.acknowledged(m),
    UpdateFramework: () => {},
    ShutdownFramework: (m: { framework_id: { value: string } }) => {
      for (const t of this.tasks.values()) if (t.frameworkId === m.framework_id.value && t.state === 'TASK_RUNNING') this.transition(t, 'TASK_KILLED');
    },
    Shutdown: () => {},
    _Retry: (m: { generation: number; backoffMs: number }) => this.retry(m.generation, m.backoffMs),
    // A detector named a new leading master (bench/failover): register with it, as the agent does.
    _Follow: (m: { pid: Pid }) => {
      if (this.linked) this.unlink(this.master);
      this.linked = false;
      this.master = m.pid;
      this.state = 'REGISTERING';
      this.startRound(this.random() * BACKOFF_MS);
    },
  } as unknown as Handlers<AgentInbox>;

  override initialize(): void {
    this.startRound(this.firstDelayMs);
  }

  /** The connection to the master went: register again, as the real agent does at once. */
  override exited(pid: Pid): void {
    if (pid !== this.master) return;
    this.linked = false;
    if (this.state === 'RUNNING') this.state = 'REGISTERING';
    this.startRound(this.random() * BACKOFF_MS);
  }

  private startRound(delayMs: number): void {
    const generation = ++this.generation;
    this.delay(delayMs, { name: '_Retry', generation, backoffMs: BACKOFF_MS });
  }

  private retry(generation: number, backoffMs: number): void {
    if (generation !== this.generation || this.state === 'RUNNING') return;
    if (!this.linked) {
      this.linked = true;
      this.link(this.master);
    }
    if (this.agentId === undefined) {
      this.send(this.master, { name: 'RegisterAgent', agent: this.info, version: AGENT_VERSION, agent_capabilities: CAPABILITIES });
    } else {
      this.send(this.master, this.reregisterMessage());
    }
    const next = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
    this.delay(this.random() * next, { name: '_Retry', generation, backoffMs: next });
  }

  private reregisterMessage(): Message {
    const agentId = { value: this.agentId! };
    const tasks: Task[] = [];
    for (const t of this.tasks.values()) {
      tasks.push({
        name: t.task.name,
        task_id: t.task.task_id,
        framework_id: { value: t.frameworkId },
        agent_id: agentId,
        state: t.state,
        resources: t.task.resources ?? [],
        statuses: [],
      });
    }
    return {
      name: 'ReregisterAgent',
      agent: { ...this.info, id: agentId },
      version: AGENT_VERSION,
      agent_capabilities: CAPABILITIES,
      executor_infos: [],
      tasks,
      frameworks: [...this.frameworks.values()],
      completed_frameworks: [],
    } as Message;
  }

  private onRegistered(id: string, from: Pid | ''): void {
    if (from !== this.master || this.state === 'RUNNING') return;
    const again = this.agentId !== undefined;
    this.agentId = id;
    this.state = 'RUNNING';
    this.generation++;
    if (again) this.tally.reregistered++;
    else this.tally.registered++;
    this.tally.registeredSinceEpoch++;
    this.tally.lastRegisteredAt = Date.now();
    // Updates unacknowledged when the master went are sent again, as the status-update manager does.
    for (const t of this.tasks.values()) if (t.pending !== undefined) this.sendUpdate(t, t.state, t.pending);
  }

  private runTask(m: RunTask): void {
    if (this.state !== 'RUNNING' || m.framework.id === undefined) return;
    const frameworkId = m.framework.id.value;
    if (!this.frameworks.has(frameworkId)) this.frameworks.set(frameworkId, m.framework);
    const t: SimTask = { task: m.task, frameworkId, state: 'TASK_STAGING', pending: undefined, next: undefined };
    this.tasks.set(m.task.task_id.value, t);
    this.transition(t, 'TASK_RUNNING');
  }

  private killTask(m: KillTask): void {
    const t = this.tasks.get(m.task_id.value);
    if (t === undefined || t.frameworkId !== m.framework_id.value) return;
    this.transition(t, 'TASK_KILLED');
  }

  /** Moves a task to `state`, sending the update now or after the pending one is acknowledged. */
  private transition(t: SimTask, state: TaskState): void {
    if (t.pending !== undefined) {
      t.next = state;
      return;
    }
    t.state = state;
    this.sendUpdate(t, state, nextUuid());
  }

  private sendUpdate(t: SimTask, state: TaskState, uuid: Uint8Array): void {
    t.pending = uuid;
    const now = Date.now() / 1000;
    const agentId = { value: this.agentId! };
    this.send(this.master, {
      name: 'StatusUpdate',
      update: {
        framework_id: { value: t.frameworkId },
        agent_id: agentId,
        status: { task_id: t.task.task_id, state, source: 'SOURCE_EXECUTOR', agent_id: agentId, timestamp: now, uuid },
        timestamp: now,
        uuid,
      },
      pid: this.self,
    } as StatusUpdate);
  }

  private acknowledged(m: StatusUpdateAcknowledgement): void {
    const t = this.tasks.get(m.task_id.value);
    if (t === undefined || t.pending === undefined || !sameBytes(t.pending, m.uuid)) return;
    t.pending = undefined;
    if (t.state === 'TASK_RUNNING' && t.next === undefined && !t.task.name.startsWith(HOLD_PREFIX)) t.next = 'TASK_FINISHED';
    if (t.next !== undefined) {
      const next = t.next;
      t.next = undefined;
      return this.transition(t, next);
    }
    if (t.state !== 'TASK_RUNNING') this.tasks.delete(m.task_id.value);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** churn: tasks that finish at once, at most `inflight` of them launched and not yet terminal. */
export type FrameworkMode = { kind: 'idle' } | { kind: 'churn'; tasksPerOffer: number; inflight: number } | { kind: 'hold'; target: number };

const TERMINAL = new Set<string>(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_UNREACHABLE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);

export class SimFramework extends Actor<AgentInbox> {
  frameworkId: string | undefined;
  mode: FrameworkMode = { kind: 'idle' };
  /** Launched hold tasks not yet terminal. */
  holding = 0;
  /** Launched churn tasks not yet terminal. */
  churning = 0;
  /** Offers suppressed while at the in-flight cap (a real scheduler stops asking when it has enough). */
  private suppressed = false;
  private nextTask = 0;
  private readonly lastOffer = new Map<string, number>();

  private followed = false;

  constructor(
    private master: Pid,
    private readonly name: string,
    private readonly perTask: { cpus: number; mem: number },
    private readonly tally: Tally,
  ) {
    super();
  }

  protected readonly handlers = {
    FrameworkRegistered: (m: FrameworkRegistered) => {
      if (this.frameworkId !== undefined && this.followed) this.tally.resubscribed++;
      if (this.frameworkId !== undefined) return;
      this.frameworkId = m.framework_id.value;
      this.tally.frameworksRegistered++;
    },
    FrameworkReregistered: () => {
      if (this.followed) this.tally.resubscribed++;
      this.revive();
    },
    // A detector named a new leading master (bench/failover): subscribe again with the id.
    _Follow: (m: { pid: Pid }) => {
      this.unlink(this.master);
      this.master = m.pid;
      this.followed = true;
      this.link(this.master);
      if (this.frameworkId !== undefined) this.send(this.master, { name: 'ReregisterFramework', framework: { ...this.info, id: { value: this.frameworkId } }, failover: false });
    },
    FrameworkError: () => {},
    ResourceOffers: (m: ResourceOffers) => this.offers(m),
    RescindResourceOffer: () => {},
    StatusUpdate: (m: StatusUpdate) => this.update(m),
    LostAgent: () => {},
    ExecutorToFramework: () => {},
    _Revive: () => this.revive(),
    _Suppress: () => this.suppress(),
    _RetryRegister: (m: { backoffMs: number }) => this.register(m.backoffMs),
  } as unknown as Handlers<AgentInbox>;

  private readonly info: FrameworkInfo = { user: 'bench', name: '', failover_timeout: 3600, capabilities: [{ type: 'MULTI_ROLE' }], roles: ['*'] };

  override initialize(): void {
    this.info.name = this.name;
    this.link(this.master);
    this.register(BACKOFF_MS);
  }

  /**
   * RegisterFramework until registered, backing off as the driver does: a master busy with a
   * registration storm may not take the connection (its handshake times out), and one try
   * then would leave the framework unregistered for good.
   */
  private register(backoffMs: number): void {
    if (this.frameworkId !== undefined) return;
    this.send(this.master, { name: 'RegisterFramework', framework: this.info });
    this.delay(this.random() * backoffMs + backoffMs, { name: '_RetryRegister', backoffMs: Math.min(backoffMs * 2, BACKOFF_MAX_MS) });
  }

  /** The connection to the master broke (a master too busy to answer heartbeats cuts it): subscribe again, as the driver does. */
  override exited(pid: Pid): void {
    if (pid !== this.master) return;
    this.link(this.master);
    if (this.frameworkId === undefined) return; // the registration retry sends again
    this.tally.reconnects++;
    this.send(this.master, { name: 'ReregisterFramework', framework: { ...this.info, id: { value: this.frameworkId } }, failover: false });
  }

  /** Revives offers after a change of mode (declined agents were filtered). */
  revive(): void {
    this.suppressed = false;
    if (this.frameworkId !== undefined) this.send(this.master, { name: 'ReviveOffers', framework_id: { value: this.frameworkId } });
  }

  suppress(): void {
    this.suppressed = true;
    if (this.frameworkId !== undefined) this.send(this.master, { name: 'SuppressOffers', framework_id: { value: this.frameworkId } });
  }

  private offers(m: ResourceOffers): void {
    const fid = this.frameworkId;
    if (fid === undefined) return;
    const now = performance.now();
    if (this.followed) {
      this.followed = false;
      this.tally.reoffered++;
    }
    for (const offer of m.offers) {
      this.tally.offers++;
      const agent = offer.agent_id.value;
      const last = this.lastOffer.get(agent);
      if (last !== undefined && this.tally.offerCycles.length < 200_000) this.tally.offerCycles.push(now - last);
      this.lastOffer.set(agent, now);
      const n = this.tasksFor(offer);
      if (n === 0) {
        if (this.mode.kind === 'churn' && !this.suppressed) {
          this.suppressed = true;
          this.send(this.master, { name: 'SuppressOffers', framework_id: { value: fid } });
        }
        this.send(this.master, { name: 'Decline', framework_id: { value: fid }, offer_ids: [offer.id], filters: { refuse_seconds: this.mode.kind === 'idle' ? 5 : 1 } });
        continue;
      }
      const hold = this.mode.kind === 'hold';
      const tasks: TaskInfo[] = [];
      for (let i = 0; i < n; i++) {
        const id = `${hold ? HOLD_PREFIX : 't-'}${this.name}-${this.nextTask++}`;
        tasks.push({
          name: id,
          task_id: { value: id },
          agent_id: offer.agent_id,
          resources: [
            { name: 'cpus', type: 'SCALAR', scalar: { value: this.perTask.cpus } },
            { name: 'mem', type: 'SCALAR', scalar: { value: this.perTask.mem } },
          ],
          command: { value: 'true' },
        });
      }
      if (hold) this.holding += n;
      else this.churning += n;
      this.tally.launched += n;
      this.send(this.master, { name: 'LaunchTasks', framework_id: { value: fid }, offer_ids: [offer.id], tasks, filters: { refuse_seconds: 0 } });
    }
  }

  private tasksFor(offer: Offer): number {
    const mode = this.mode;
    if (mode.kind === 'idle') return 0;
    let cpus = 0;
    let mem = 0;
    for (const r of offer.resources) {
      if (r.name === 'cpus') cpus += r.scalar?.value ?? 0;
      else if (r.name === 'mem') mem += r.scalar?.value ?? 0;
    }
    const fits = Math.floor(Math.min(cpus / this.perTask.cpus, mem / this.perTask.mem) + 1e-9);
    const want = mode.kind === 'churn' ? Math.min(mode.tasksPerOffer, mode.inflight - this.churning) : Math.min(mode.target - this.holding, 50);
    return Math.max(0, Math.min(fits, want));
  }

  private update(m: StatusUpdate): void {
    const u = m.update;
    const state = u.status.state;
    if (state === 'TASK_RUNNING') {
      this.tally.running++;
      if (u.status.task_id.value.startsWith(HOLD_PREFIX)) this.tally.holdRunning++;
    }
    else if (state === 'TASK_FINISHED') this.tally.finished++;
    else if (state === 'TASK_KILLED') this.tally.killed++;
    else if (TERMINAL.has(state)) this.tally.otherTerminal++;
    if (TERMINAL.has(state)) {
      if (u.status.task_id.value.startsWith(HOLD_PREFIX)) this.holding--;
      else {
        this.churning--;
        if (this.suppressed && this.mode.kind === 'churn' && this.churning <= this.mode.inflight / 2) {
          this.suppressed = false;
          this.revive();
        }
      }
    }
    if (u.uuid === undefined || m.pid === undefined || m.pid === '' || u.agent_id === undefined) return;
    this.send(this.master, { name: 'StatusUpdateAcknowledgement', agent_id: u.agent_id, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid } satisfies StatusUpdateAcknowledgement);
  }
}
