// Where a pid read as text (the environment, a flag, a protocol field) becomes the typed address
// of a Mesos actor. parsePid checks the shape `id@host:port`; the type says which inbox the
// drivers may send to it, so a message the peer does not accept fails to compile.

import { parsePid, type Pid } from '../runtime/index.js';
import type { AgentInbox } from '../protocol/index.js';

/** An agent's pid from text (MESOS_AGENT_PID, a launch request); throws a ValidationError if malformed. */
export function parseAgentPid(text: string): Pid<AgentInbox> {
  return parsePid(text);
}

/** As parseAgentPid, for a peer's protocol field: undefined instead of throwing, so a handler can drop it. */
export function tryParseAgentPid(text: string): Pid<AgentInbox> | undefined {
  try {
    return parsePid(text);
  } catch {
    return undefined;
  }
}
