// The actor tests' kit: a typed probe actor that records and awaits messages on virtual time,
// the runtime's settle()/advance() with step()/advanceUntil() on top, and an agent that starts
// registered. See test/README.md.

export { Probe, type Match, type Named, type ProbeOptions, type Received } from './probe.js';
export { advance, advanceUntil, manualClock, settle, step } from './time.js';
export { agentRegistered, startAgent, type StartAgentOptions } from './agent.js';
