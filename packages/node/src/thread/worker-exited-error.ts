// The one error only a node in a worker thread has.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

/**
 * The worker thread running this node ended without being asked to (an
 * uncaught error, process.exit inside it, out of memory): this and every later
 * call fail. Writes that were pending have an unknown outcome (acknowledged
 * ones were committed and are durable). Open the node again (a supervised
 * `flotilla start` exits non-zero so that its supervisor restarts it).
 */
export class NodeWorkerExitedError extends FlotillaError {
  override readonly name = 'NodeWorkerExitedError';
  /** A pending write may have been committed before the worker died. */
  readonly category: ErrorCategory = 'outcomeUnknown';
  constructor(
    readonly exitCode: number,
    readonly reason: string,
  ) {
    super(
      `the node's worker thread exited (code ${exitCode}${reason ? `: ${reason}` : ''}); pending writes have an unknown outcome; open the node again`,
    );
  }
}
