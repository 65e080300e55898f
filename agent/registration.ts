// Registration with the master and staying registered (Mesos's Slave::doReliableRegistration,
// registered, reregistered, ping): RegisterAgent (or ReregisterAgent, once the agent has an
// id) retried at random times under a doubling backoff until acknowledged; pings watched; a
// lost master or a missed ping sends the agent back to registering.

import { pidAddress, type Pid } from '../runtime/index.js';
import { hasCapability } from '../protocol/index.js';
import type { Resource, AgentRegistered, AgentReregistered, ExecutorInfo, FrameworkInfo, MasterInbox, PingAgent, ReregisterAgent, Task } from '../protocol/index.js';
import { timers, type AgentContext } from './context.js';
import { masterPid as parseMasterPid, NO_MASTER } from './pids.js';
import { newTask } from './state.js';

/** The version reported to the master, which admits agents of 1.0.0 and later, as Mesos does. */
export const AGENT_VERSION = '1.11.0';

const AGENT_CAPABILITIES = [{ type: 'MULTI_ROLE' as const }, { type: 'HIERARCHICAL_ROLE' as const }, { type: 'RESERVATION_REFINEMENT' as const }];

export class Registration {
  /** Linked to the master: set at the first attempt, cleared when the link reports its exit (_MasterExited). */
  private masterLinked = false;
  /** The master's total ping timeout, once it told us (AgentRegistered.connection). */
  private pingTimeoutMs = 0;

  constructor(private readonly ctx: AgentContext) {}

  /** Starts a round of registration attempts, replacing any round under way. */
  start(): void {
    const { ctx } = this;
    if (ctx.state === 'TERMINATING') return;
    const b = ctx.config.registrationBackoffMs;
    // Mesos waits a random time in [0, b] before the first attempt, so that agents restarted
    // together do not all hit a new master at once.
    ctx.startTimer(timers.registration, ctx.random() * b, { name: '_RegistrationRetry', backoffMs: b });
  }

  /** Stops attempts and the ping timer (shutdown, termination). */
  stop(): void {
    this.ctx.cancelTimer(timers.registration);
    this.ctx.cancelTimer(timers.ping);
  }

  /** The registration timer fired: one attempt, and the next one armed at twice the backoff. */
  retry(backoffMs: number): void {
    const { ctx } = this;
    if (ctx.state === 'RUNNING' || ctx.state === 'TERMINATING') return;
    if (ctx.masterPid === NO_MASTER) return; // registration starts again once a leader is detected
    if (!this.masterLinked) {
      this.masterLinked = true;
      ctx.linkWith(ctx.masterPid, { name: '_MasterExited' });
    }
    if (ctx.agentId === undefined) {
      ctx.send(ctx.masterPid, { name: 'RegisterAgent', agent: ctx.agentInfo(), version: AGENT_VERSION, agent_capabilities: AGENT_CAPABILITIES, ...this.checkpointedResources() });
    } else {
      ctx.send(ctx.masterPid, this.reregisterMessage());
    }
    const next = Math.min(Math.max(backoffMs * 2, 1), ctx.config.registrationBackoffMaxMs);
    ctx.startTimer(timers.registration, ctx.random() * next, { name: '_RegistrationRetry', backoffMs: next });
  }

  /** M→A AgentRegistered (Mesos's SlaveRegisteredMessage). */
  registered(m: AgentRegistered, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    if (ctx.state === 'TERMINATING' || ctx.state === 'RECOVERING') return ctx.dropped(m.name, from, `agent is ${ctx.state.toLowerCase()}`);
    if (ctx.agentId !== undefined && ctx.agentId !== m.agent_id.value) {
      return ctx.fatal(`registered with id ${m.agent_id.value}, but this agent is ${ctx.agentId}`);
    }
    if (ctx.state === 'RUNNING') return; // a duplicate acknowledgement of a retried registration
    ctx.agentId = m.agent_id.value;
    ctx.log.info({ agent_id: ctx.agentId, master: ctx.masterPid }, 'registered with the master');
    ctx.parts.checkpointer.agentInfo();
    this.connected(m.connection?.total_ping_timeout_seconds);
  }

  /** M→A AgentReregistered (Mesos's SlaveReregisteredMessage), with the master's reconciliations. */
  reregistered(m: AgentReregistered, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    if (ctx.state === 'TERMINATING' || ctx.state === 'RECOVERING') return ctx.dropped(m.name, from, `agent is ${ctx.state.toLowerCase()}`);
    if (ctx.agentId !== m.agent_id.value) return ctx.fatal(`re-registered with id ${m.agent_id.value}, but this agent is ${ctx.agentId ?? 'new'}`);
    if (ctx.state === 'RUNNING') return;
    ctx.log.info({ agent_id: ctx.agentId }, 're-registered with the master');
    this.connected(m.connection?.total_ping_timeout_seconds);
    // Tasks the master knows and we do not: reliable DROPPED (LOST for frameworks that are not
    // partition-aware), so the scheduler learns their fate (Mesos's reconciliation on re-registration).
    for (const r of m.reconciliations ?? []) {
      const framework = ctx.frameworks.get(r.framework_id.value);
      for (const status of r.statuses) {
        const taskId = status.task_id.value;
        if (framework?.executorOfTask(taskId) || ctx.updates.get(r.framework_id.value, taskId)) continue;
        // The master's FrameworkInfo first: it is there even when the agent's checkpoints are not.
        const info = r.framework ?? framework?.info;
        const state = info !== undefined && hasCapability(info, 'PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST';
        ctx.parts.tasks.agentUpdate(r.framework_id.value, framework, undefined, status.task_id, state, 'REASON_RECONCILIATION', 'Reconciliation: task unknown to the agent');
      }
    }
  }

  private connected(totalPingTimeoutSeconds: number | undefined): void {
    const { ctx } = this;
    ctx.state = 'RUNNING';
    ctx.cancelTimer(timers.registration);
    if (totalPingTimeoutSeconds !== undefined && totalPingTimeoutSeconds > 0) this.pingTimeoutMs = totalPingTimeoutSeconds * 1000;
    this.armPingTimer();
    ctx.updates.resume();
  }

  /** (Re)starts the wait for the next ping. */
  private armPingTimer(): void {
    this.ctx.startTimer(timers.ping, this.pingTimeoutMs || this.ctx.config.pingTimeoutMs, { name: '_PingTimeout' });
  }

  /** M→A PingAgent (Mesos's PingSlaveMessage), answered with PongAgent. */
  ping(m: PingAgent, from: Pid | ''): void {
    const { ctx } = this;
    // Pings come from the master's per-agent observer, an actor beside the master.
    if (from === '' || pidAddress(from) !== pidAddress(ctx.masterPid)) return ctx.dropped(m.name, from, 'not from the master');
    const observer: Pid<MasterInbox> = from;
    ctx.send(observer, { name: 'PongAgent' });
    if (ctx.state !== 'RUNNING') return;
    this.armPingTimer();
    // The master thinks we are disconnected while we think we are registered: a one-way
    // partition healed. Re-register so it learns our tasks again (Mesos does the same).
    if (!m.connected) this.disconnected('the master reports this agent as disconnected');
  }

  pingTimeout(): void {
    if (this.ctx.state !== 'RUNNING') return;
    this.disconnected(`no ping from the master within ${this.pingTimeoutMs || this.ctx.config.pingTimeoutMs} ms`);
  }

  /** The link to the master reported its exit or a lost connection. */
  masterExited(): void {
    this.masterLinked = false;
    // Mesos only logs here and waits for its detector or the ping timeout; the runtime's
    // heartbeats make a lost connection a reliable signal, so re-register at once.
    if (this.ctx.state === 'RUNNING') this.disconnected('lost the connection to the master');
  }

  private disconnected(why: string): void {
    const { ctx } = this;
    ctx.log.warn({ reason: why }, 'disconnected from the master; re-registering');
    ctx.state = 'DISCONNECTED';
    ctx.cancelTimer(timers.ping);
    ctx.updates.pause();
    this.start();
  }

  /**
   * The detector reports a leader (or none). As Mesos's agent on every detection: disconnected,
   * status updates paused, and with a leader, registration (with the same id) starts again.
   */
  detected(pid: string | undefined): void {
    const { ctx } = this;
    let next = NO_MASTER;
    try {
      if (pid !== undefined) next = parseMasterPid(pid);
    } catch {
      ctx.log.warn({ pid }, 'ignoring a detected master whose pid is malformed');
    }
    if (next === ctx.masterPid && ctx.state === 'RUNNING') return;
    if (this.masterLinked) ctx.unlink(ctx.masterPid);
    this.masterLinked = false;
    ctx.masterPid = next;
    ctx.log.info({ master: next === NO_MASTER ? 'none' : next }, 'new master detected');
    if (ctx.state === 'TERMINATING' || ctx.state === 'RECOVERING') return;
    ctx.state = 'DISCONNECTED';
    ctx.cancelTimer(timers.ping);
    ctx.updates.pause();
    if (next === NO_MASTER) ctx.cancelTimer(timers.registration);
    else this.start();
  }

  /** The dynamic reservations and volumes the agent checkpointed, so that a new master keeps them. */
  private checkpointedResources(): { checkpointed_resources?: Resource[] } {
    const r = this.ctx.parts.volumes.checkpointed;
    return r.isEmpty() ? {} : { checkpointed_resources: r.toJSON() };
  }

  /** What the agent runs, for the master to rebuild its view (Mesos's ReregisterSlaveMessage). */
  private reregisterMessage(): ReregisterAgent {
    const { ctx } = this;
    const tasks: Task[] = [];
    const executorInfos: ExecutorInfo[] = [];
    const frameworks: FrameworkInfo[] = [];
    for (const f of ctx.frameworks.values()) {
      frameworks.push(f.info);
      for (const e of f.executors.values()) {
        // A terminated executor uses nothing and the master must not keep it: only its
        // unacknowledged tasks are reported (Mesos omits terminated executors too). This
        // settles an ExitedExecutor the master dropped while it had the agent unreachable.
        if (e.kind === 'custom' && e.state !== 'TERMINATED') executorInfos.push(e.info);
        for (const t of e.queuedTasks.values()) tasks.push(newTask(t, f.id, 'TASK_STAGING', e.kind === 'command' ? undefined : e.id));
        for (const t of [...e.launchedTasks.values(), ...e.terminatedTasks.values()]) {
          const head = ctx.updates.get(f.id, t.task_id.value)?.head;
          const copy: Task = { ...t };
          if (head) {
            copy.status_update_state = head.status.state;
            if (head.uuid !== undefined) copy.status_update_uuid = head.uuid;
          }
          tasks.push(copy);
        }
      }
    }
    return {
      name: 'ReregisterAgent',
      agent: ctx.agentInfo(),
      version: AGENT_VERSION,
      agent_capabilities: AGENT_CAPABILITIES,
      ...this.checkpointedResources(),
      executor_infos: executorInfos,
      tasks,
      frameworks,
      completed_frameworks: [],
    };
  }
}
