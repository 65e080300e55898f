// The health checker of one agent (Mesos's SlaveObserver): an actor beside the master, spawned
// when the agent is admitted or re-admitted and terminated when it leaves. It pings the agent
// every agent_ping_timeout and tells the master once max_agent_ping_timeouts pings in a row go
// unanswered, or once a disconnected agent stays away for agent_reregister_timeout.

import { Actor, type Cancel, type Handlers, type Pid } from '../runtime/index.js';
import type { PingAgent, PongAgent } from '../protocol/index.js';
import type { MasterInternal } from './context.js';

/** Master → observer: the agent's connection broke; pings go on, with connected=false. */
export type ObserverDisconnected = { name: '_AgentDisconnected' };

type ObserverInbox = PongAgent | ObserverDisconnected | { name: '_PingTimeout' } | { name: '_ReregisterTimeout' };

export interface AgentObserverConfig {
  master: Pid;
  agentId: string;
  agentPid: Pid;
  /** Whether the master counts the agent as connected; sent with every ping. */
  connected: boolean;
  pingTimeoutMs: number;
  maxPingTimeouts: number;
  reregisterTimeoutMs: number;
}

export class AgentObserver extends Actor<ObserverInbox> {
  private connected: boolean;
  private pongReceived = false;
  private missedPongs = 0;
  private pingTimer: Cancel | undefined;
  private reregisterTimer: Cancel | undefined;

  protected readonly handlers: Handlers<ObserverInbox> = {
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

  override finalize(): void {
    this.pingTimer?.();
    this.reregisterTimer?.();
  }

  private ping(): void {
    this.pongReceived = false;
    this.send(this.config.agentPid, { name: 'PingAgent', connected: this.connected } satisfies PingAgent);
    this.pingTimer = this.delay(this.config.pingTimeoutMs, { name: '_PingTimeout' });
  }

  /** Any pong resets the count: straight from the agent, or handed on by the master. */
  private pong(from: Pid | ''): void {
    if (from !== this.config.agentPid && from !== this.config.master) return;
    this.pongReceived = true;
    this.missedPongs = 0;
  }

  private pingTimeout(): void {
    this.pingTimer = undefined;
    if (!this.pongReceived) {
      this.missedPongs++;
      if (this.missedPongs >= this.config.maxPingTimeouts) {
        // The master removes the agent and terminates this observer; until then, no more pings.
        return this.tell({ name: '_AgentUnhealthy', agent_id: this.config.agentId, missed: this.missedPongs });
      }
    }
    this.ping();
  }

  private disconnected(): void {
    this.connected = false;
    this.reregisterTimer?.();
    this.reregisterTimer = this.delay(this.config.reregisterTimeoutMs, { name: '_ReregisterTimeout' });
  }

  private reregisterTimeout(): void {
    this.reregisterTimer = undefined;
    this.tell({ name: '_AgentReregisterTimeout', agent_id: this.config.agentId });
  }

  private tell(msg: MasterInternal): void {
    this.send(this.config.master, msg);
  }
}
