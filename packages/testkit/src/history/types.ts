// The shape of a client history for register workloads. Each operation is one
// record, invoke and completion together (Porcupine's form rather than
// Knossos' paired events), because the checker needs both ends anyway.

/** How an operation ended, as the client saw it. */
export type Outcome =
  /** Completed and its result is known. */
  | 'ok'
  /** Definitely did not take effect (e.g. refused before it was proposed). */
  | 'fail'
  /**
   * May or may not have taken effect (timed out, connection lost after
   * sending). Stays open until the end of the history.
   */
  | 'unknown';

export type RegisterOpKind = 'read' | 'write' | 'cas';

/** What a compare-and-set compares: the current value, or the key's modRevision. */
export type CasExpectation = { readonly value: string | null } | { readonly modRevision: number };

/** What the client asked for. `value` is the value written (write, cas). */
export interface RegisterInput {
  readonly op: RegisterOpKind;
  readonly key: string;
  readonly value?: string | null;
  readonly expected?: CasExpectation;
}

/**
 * What the client got back. Every field is optional so that workloads without
 * revisions (plain registers) can use the same record: the model checks only
 * what is present.
 */
export interface RegisterResult {
  /** read: the value seen (null = key absent). */
  readonly value?: string | null;
  /** read: the key's modRevision as seen (0 = absent). */
  readonly modRevision?: number;
  /** write / successful cas: the revision the write created. */
  readonly revision?: number;
  /** cas: whether the compare held and the write happened. */
  readonly succeeded?: boolean;
}

/** One operation of a register history. Times are in the recorder's clock (ms). */
export interface RegisterOp extends RegisterInput {
  /** Unique within the history; the checker reports operations by id. */
  readonly id: number;
  /** The client process that issued it (one outstanding operation per process). */
  readonly process: number;
  readonly invokeTime: number;
  /** Infinity when the outcome is 'unknown': the operation stays open. */
  readonly completeTime: number;
  readonly outcome: Outcome;
  readonly result?: RegisterResult;
  /** Why it failed or why its outcome is unknown, for reports. */
  readonly error?: string;
}

/** The minimum the generic checker needs from an operation. */
export interface TimedOp {
  readonly id: number;
  readonly invokeTime: number;
  readonly completeTime: number;
  readonly outcome: Outcome;
}
