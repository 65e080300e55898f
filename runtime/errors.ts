// The runtime's error classes: one per kind of failure, each carrying its `cause`, so callers
// can tell a malformed peer (ProtocolError) from bad arguments (ValidationError) from misuse
// of a lifecycle (IllegalStateError).

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export class ValidationError extends Error {
  override name = 'ValidationError';
}

export class IllegalStateError extends Error {
  override name = 'IllegalStateError';
}
