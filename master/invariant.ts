// The master's own invariant check, until the runtime offers one: an index that disagrees with
// another is a bug in the master, never bad input from a peer, so it throws a named error
// instead of being dropped and counted.

/** A broken invariant of the master's bookkeeping. */
export class MasterInvariantError extends Error {
  override name = 'MasterInvariantError';
}

/** Throws MasterInvariantError when `cond` is false. */
export function masterInvariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new MasterInvariantError(message);
}
