// The data model of mesos-trace: one trace line as a runtime writes it, and one message as
// the merged history holds it (its send, recv and drop lines paired by message id).
// Field names follow the trace format (snake_case for the Mesos ids), as the runtime writes them.

export type TraceDirection = 'send' | 'recv' | 'drop';

/** One line of a trace file, validated, plus where it was read (for warnings). */
export interface TraceEvent {
  readonly ts: number;
  readonly runtime: string;
  readonly dir: TraceDirection;
  readonly from: string;
  readonly to: string;
  readonly name: string;
  readonly id: string;
  readonly cause: string | null;
  readonly bytes?: number;
  readonly reason?: string;
  /** Free text a runtime may add to a drop, e.g. which actor was unknown. */
  readonly detail?: string;
  readonly framework_id?: string;
  readonly task_id?: string;
  readonly agent_id?: string;
  readonly source: string;
  readonly line: number;
}

/** A line that could not be used: truncated JSON, a missing field, a wrong type. */
export interface BadLine {
  readonly source: string;
  readonly line: number;
  readonly reason: string;
}

export interface ParsedTrace {
  readonly events: readonly TraceEvent[];
  readonly bad: readonly BadLine[];
}

/**
 * delivered: a recv line was seen. dropped: a drop line was seen (it wins over recv, since a
 * runtime that receives a frame for an unknown actor may log both). unconfirmed: only the send
 * is known — the receiver's file is missing, or it died before writing.
 */
export type DeliveryStatus = 'delivered' | 'dropped' | 'unconfirmed';

/** One message: the send, recv and drop lines of one id, merged. */
export interface TraceMessage {
  readonly id: string;
  readonly cause: string | null;
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly bytes?: number;
  /** Raw timestamps (ms since the epoch) from the writers' own clocks. */
  readonly sentAt?: number;
  readonly receivedAt?: number;
  readonly droppedAt?: number;
  readonly dropReason?: string;
  readonly dropDetail?: string;
  readonly status: DeliveryStatus;
  /** receivedAt - sentAt, as written; negative only when the two processes' clocks disagree. */
  readonly latencyMs?: number;
  readonly framework_id?: string;
  readonly task_id?: string;
  readonly agent_id?: string;
  /**
   * The send time used for ordering: the raw send time, moved later if needed so that no
   * message is sent before its cause arrived (clock skew between processes).
   */
  readonly at: number;
  /** How many known causes lie above this message (0 for a root). */
  readonly depth: number;
}

export interface TraceHistory {
  /** In causal order: by `at`, a cause always before its effects. */
  readonly messages: readonly TraceMessage[];
  /**
   * `at` of the first message of the whole merged trace. Filtered views keep it, so one
   * message shows the same relative time in every view.
   */
  readonly origin: number;
  /** Lines that repeated a direction already seen for an id (e.g. a file given twice). */
  readonly duplicates: number;
}

/** Narrow the history. Criteria combine with AND; `names` match any of the listed names. */
export interface TraceFilter {
  readonly framework?: string;
  readonly task?: string;
  readonly agent?: string;
  readonly names?: readonly string[];
}
