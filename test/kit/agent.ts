// Starting a real agent in an actor test and waiting until a master has admitted it: the handle
// comes back only once the agent has its AgentRegistered (or AgentReregistered), so a test starts
// from a registered agent without knowing the registration backoff.

import { startAgent as launchAgent, type AgentHandle, type AgentOptions } from '../../agent/index.js';
import { ManualClock, type Runtime } from '../../runtime/index.js';
import { advanceUntil } from './time.js';

export interface StartAgentOptions extends AgentOptions {
  /**
   * The test's other runtimes (the master's among them): advanced and settled with the agent's
   * while it registers. The agent's runtime is pushed onto this array.
   */
  runtimes: Runtime[];
  /** Virtual ms to wait for registration (default 60 s: a few registration backoffs). */
  within?: number;
}

/** Starts an agent and resolves once a master registered it; throws saying where it stopped. */
export async function startAgent(options: StartAgentOptions): Promise<AgentHandle> {
  const { runtimes, within, ...agentOptions } = options;
  const agent = await launchAgent(agentOptions);
  runtimes.push(agent.runtime);
  await agentRegistered(agent, runtimes, within);
  return agent;
}

/** Advances virtual time until the agent is registered (RUNNING); throws if it is not within `within` ms. */
export async function agentRegistered(agent: AgentHandle, runtimes: Runtime[], within = 60_000): Promise<void> {
  const all = runtimes.includes(agent.runtime) ? runtimes : [...runtimes, agent.runtime];
  if (!(agent.runtime.clock instanceof ManualClock)) throw new Error('agentRegistered() needs the agent on a ManualClock');
  const ok = await advanceUntil(all, () => agent.agent.status === 'RUNNING', within);
  if (!ok) throw new Error(`agent ${agent.pid} was not registered within ${within} ms: it is ${agent.agent.status}`);
}
