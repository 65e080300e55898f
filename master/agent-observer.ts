// The health checker of one agent (Mesos's SlaveObserver): an actor beside the master, spawned
// when the agent is admitted or re-admitted and terminated when it leaves. It pings the agent
// every agent_ping_timeout and tells the master once max_agent_ping_timeouts pings in a row go
// unanswered, or once a disconnected agent stays away for agent_reregister_timeout.

import { Actor, type Handlers, type Pid } from '../runtime/index.js';
import type { AgentInbox, PongAgent } from '../protocol/index.js';
import type { MasterActorInbox } from './context.js';

/** Master → observer: the agent's connection broke; pings go on, with connected=false. */
export type ObserverDisconnected = { name: '_AgentDisconnected' };

/** What an observer accepts from the master and its agent. */
export type ObserverInbox = PongAgent | ObserverDisconnected;

/** Its own timers: `ping` (one ping's wait) and `reregister` (a disconnected agent's grace). */
type ObserverTimers = { name: '_PingTimeout' } | { name: '_ReregisterTimeout' };

export interface AgentObserverConfig {
  master: Pid<MasterActorInbox>;
  agentId: string;
  agentPid: Pid<AgentInbox>;
  /** Whether the master counts the agent as connected; sent with every ping. */
  connected: boolean;
  pingTimeoutMs: number;
  maxPingTimeouts: number;
  reregisterTimeoutMs: number;
  /**
   * With --agent_removal_rate_limit: pings go on after the agent is reported unhealthy, and
   * a pong then tells the master it is healthy again (its removal may still wait for a permit).
   */
  rateLimited: boolean;
}

export class AgentObserver extends Actor<ObserverInbox | ObserverTimers> {
  private connected: boolean;
  private pongReceived = false;
  private missedPongs = 0;
  private reportedUnhealthy = false;

  protected readonly handlers: Handlers<ObserverInbox | ObserverTimers> = {
    PongAgent: (_m, from) => this.pong(from),
    _AgentDisconnected: () => this.disconnected(),
    _PingTimeout: () => this.pingTimeout(),
    _ReregisterTimeout: () => this.reregisterTimeout(),
  };

  constructor(private readonly config: AgentObserverConfig) {
    super();
    this.connected = config.connected;
  }

  override initialize(): void {
    this.ping();
  }

  private ping(): void {
    this.pongReceived = false;
    this.send(this.config.agentPid, { name: 'PingAgent', connected: this.connected });
    this.startTimer('ping', this.config.pingTimeoutMs, { name: '_PingTimeout' });
  }

  /** Any pong resets the count: straight from the agent, or handed on by the master. */
  private pong(from: Pid | ''): void {
    if (from !== this.config.agentPid && from !== this.config.master) return;
    this.pongReceived = true;
    this.missedPongs = 0;
    if (this.reportedUnhealthy) {
      this.reportedUnhealthy = false;
      this.tell({ name: '_AgentHealthy', agent_id: this.config.agentId });
    }
  }

  private pingTimeout(): void {
    if (!this.pongReceived) {
      this.missedPongs++;
      if (this.missedPongs >= this.config.maxPingTimeouts && !this.reportedUnhealthy) {
        // The master removes the agent and terminates this observer. Without a rate limit that
        // is at once: no more pings. With one, pings go on while the agent waits for its permit.
        this.tell({ name: '_AgentUnhealthy', agent_id: this.config.agentId, missed: this.missedPongs });
        if (!this.config.rateLimited) return;
        this.reportedUnhealthy = true;
      }
    }
    this.ping();
  }

  private disconnected(): void {
    this.connected = false;
    // A second disconnect restarts the grace period, as the old timer is replaced.
    this.startTimer('reregister', this.config.reregisterTimeoutMs, { name: '_ReregisterTimeout' });
  }

  private reregisterTimeout(): void {
    this.tell({ name: '_AgentReregisterTimeout', agent_id: this.config.agentId });
  }

  private tell(msg: MasterActorInbox): void {
    this.send(this.config.master, msg);
  }
}
