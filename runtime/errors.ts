// The runtime's error classes: one per kind of failure, each carrying its `cause`, so callers
// can tell a malformed peer (ProtocolError) from bad arguments (ValidationError) from misuse
// of a lifecycle (IllegalStateError) from a broken invariant (InvariantError).

export interface ErrorOptions {
  /** The error (or value) this one wraps: kept for logs and for callers that classify by it. */
  cause?: unknown;
}

/** A peer sent something that does not follow the protocol. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** An argument or an input is not valid. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** An operation is not allowed in the current state of its object (e.g. spawning twice). */
export class IllegalStateError extends Error {
  override name = 'IllegalStateError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Something the code relies on does not hold: a bug, never a peer's fault. */
export class InvariantError extends Error {
  override name = 'InvariantError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** What happens when an invariant breaks; it must not return. */
export type InvariantHandler = (error: InvariantError) => never;

const exitOnInvariant: InvariantHandler = (error) => {
  // A broken invariant is fatal, as CHECK() in Mesos: the state can no longer be trusted.
  process.stderr.write(`invariant broken: ${error.stack ?? error.message}\n`);
  process.exit(70);
};

const throwOnInvariant: InvariantHandler = (error) => {
  throw error;
};

// Exiting is the default everywhere, tests included: a daemon started by a test inherits the
// test runner's environment and must still die on a broken invariant, as in production. Tests
// that want the InvariantError thrown ask for it with setInvariantHandler('throw').
let invariantHandler: InvariantHandler = exitOnInvariant;

/**
 * Chooses what a broken invariant does: pass `'throw'` to throw the InvariantError (tests),
 * `'exit'` to log it and exit the process with status 70 (the default), or a
 * handler of your own. Returns the previous handler, so a caller can restore it.
 */
export function setInvariantHandler(handler: InvariantHandler | 'throw' | 'exit'): InvariantHandler {
  const previous = invariantHandler;
  invariantHandler = handler === 'throw' ? throwOnInvariant : handler === 'exit' ? exitOnInvariant : handler;
  return previous;
}

/** Asserts what must always hold; when it does not, the invariant handler runs (by default: log and exit). */
export function invariant(condition: unknown, message: string | (() => string), options?: ErrorOptions): asserts condition {
  if (condition) return;
  invariantHandler(new InvariantError(typeof message === 'string' ? message : message(), options));
}
