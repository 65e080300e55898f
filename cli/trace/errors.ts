// Failures mesos-trace reports to its user: a trace file it cannot read, and a message id
// asked for that the trace does not hold. The CLI turns each into a one-line error.

export class TraceFileError extends Error {
  override readonly name = 'TraceFileError';
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class UnknownMessageError extends Error {
  override readonly name = 'UnknownMessageError';
  constructor(readonly id: string) {
    super(`no message with id '${id}' in the trace`);
  }
}
