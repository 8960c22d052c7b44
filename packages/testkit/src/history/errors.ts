import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
/** A process invoked an operation while its previous one was still open. */
export class ProcessBusyError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'ProcessBusyError';
  constructor(process: number, openOpId: number) {
    super(
      `process ${process} still has operation ${openOpId} open; a process issues one operation at a time ` +
        `(after an 'unknown' outcome the process is retired: continue the client under a new process id)`,
    );
  }
}

/** complete/fail/unknown was called for an operation that is not open. */
export class UnknownOperationError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'UnknownOperationError';
  constructor(id: number, why: string) {
    super(
      `operation ${id} cannot be completed: ${why}; complete each invoked operation exactly once`,
    );
  }
}

/** The recorder reached its operation limit. */
export class HistoryFullError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'HistoryFullError';
  constructor(opsMax: number) {
    super(
      `history holds its maximum of ${opsMax} operations; raise opsMax or run a shorter workload`,
    );
  }
}
