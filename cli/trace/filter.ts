// Narrowing a history: by framework, task, agent or message name (plain field matches on what
// each trace line carries), and `followMessage`, which keeps one message, everything it caused,
// transitively, and the chain of causes that led to it.

import type { TraceFilter, TraceHistory, TraceMessage } from './types.js';
import { UnknownMessageError } from './errors.js';

/**
 * Keeps the messages whose own framework_id / task_id / agent_id equal the given values and
 * whose name is one of `names` (case-insensitive). A message that does not carry the field is
 * left out — e.g. RegisterFramework has no framework id yet; use followMessage for whole flows.
 */
export function filterHistory(history: TraceHistory, filter: TraceFilter): TraceHistory {
  const names = filter.names !== undefined && filter.names.length > 0
    ? new Set(filter.names.map((n) => n.toLowerCase()))
    : undefined;
  const keep = (m: TraceMessage): boolean =>
    (filter.framework === undefined || m.framework_id === filter.framework) &&
    (filter.task === undefined || m.task_id === filter.task) &&
    (filter.agent === undefined || m.agent_id === filter.agent) &&
    (names === undefined || names.has(m.name.toLowerCase()));
  return { ...history, messages: history.messages.filter(keep) };
}

export interface FollowOptions {
  /** Also keep the chain of causes up to the root (default true): how the flow began. */
  readonly ancestors?: boolean;
}

/**
 * The message `id`, all messages it caused transitively, and (by default) its ancestor chain,
 * in history order. Throws UnknownMessageError when the trace has no such message.
 */
export function followMessage(history: TraceHistory, id: string, options: FollowOptions = {}): TraceHistory {
  const byId = new Map(history.messages.map((m) => [m.id, m]));
  const root = byId.get(id);
  if (root === undefined) throw new UnknownMessageError(id);

  const children = new Map<string, string[]>();
  for (const m of history.messages) {
    if (m.cause === null) continue;
    const list = children.get(m.cause);
    if (list === undefined) children.set(m.cause, [m.id]);
    else list.push(m.id);
  }

  const keep = new Set<string>([id]);
  const queue = [id];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!keep.has(child)) {
        keep.add(child);
        queue.push(child);
      }
    }
  }
  if (options.ancestors ?? true) {
    let cur = root.cause === null ? undefined : byId.get(root.cause);
    while (cur !== undefined && !keep.has(cur.id)) {
      keep.add(cur.id);
      cur = cur.cause === null ? undefined : byId.get(cur.cause);
    }
  }
  return { ...history, messages: history.messages.filter((m) => keep.has(m.id)) };
}
