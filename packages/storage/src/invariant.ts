import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
/** A broken invariant is a bug in the caller or in this package, not an expected failure. */
export class StorageInvariantError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'StorageInvariantError';
}

// Stays on in production (docs/conventions.md, convention 3): a storage layer that
// carries on after a broken invariant writes wrong data durably.
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StorageInvariantError(`storage invariant violated: ${message}`);
}
