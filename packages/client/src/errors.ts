// Client-side typed errors. Errors the store itself reports (CompactedError,
// LeaseNotFoundError, …) are @flotilla/kv's classes on every backend, so a
// caller catches the same class whichever backend it runs on.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

export {
  KvError,
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  LeaseExistsError,
  KeyNotFoundError,
  InvalidRequestError,
  KeyTooLargeError,
  ValueTooLargeError,
  TooManyOpsError,
  RequestTooLargeError,
  StaleSequenceError,
  SessionExpiredError,
} from '@flotilla/kv';

/** A write may or may not have been applied (the connection failed after it was sent) and cannot be safely retried. */
export class ClientUnknownOutcomeError extends FlotillaError {
  readonly category: ErrorCategory = 'outcomeUnknown';
  override readonly name = 'ClientUnknownOutcomeError';
  constructor(operation: string, cause: unknown) {
    super(
      `the outcome of ${operation} is unknown: the connection failed after the request was sent and this backend cannot retry it exactly once; read the affected keys to find out whether it was applied`,
      { cause },
    );
  }
}

/** No endpoint answered within the retry budget. */
export class UnavailableError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'UnavailableError';
  constructor(what: string, attempts: number, cause: unknown) {
    super(
      `${what} failed on every endpoint after ${attempts} attempts (last: ${describe(cause)}); check that the cluster is running and reachable, or raise the retry budget`,
      { cause },
    );
  }
}

/** The client was closed; create a new one. */
export class ClientClosedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'ClientClosedError';
  constructor(operation: string) {
    super(`${operation} called on a closed KV client; create a new client`);
  }
}

/** The backend ended a watch for a reason other than compaction (and it could not be resumed). */
export class WatchCanceledError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'WatchCanceledError';
  constructor(reason: string) {
    super(
      `the watch was cancelled by the server: ${reason}; start a new watch from the last revision you processed + 1`,
    );
  }
}

/** The server answered something this client does not understand. */
export class UnexpectedResponseError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'UnexpectedResponseError';
}

/** A lock or election call gave up (its AbortSignal fired) before it succeeded. */
export class AbortedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'AbortedError';
  constructor(what: string) {
    super(`${what} was aborted before it completed; nothing is held`);
  }
}

/** resign()/proclaim() on an election this client does not lead (any more). */
export class ElectionNotLeaderError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'ElectionNotLeaderError';
  constructor(what: string) {
    super(
      `${what}: this candidate is not the elected leader (its key is gone or it never won); campaign again`,
    );
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
