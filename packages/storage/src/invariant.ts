/** A broken invariant is a bug in the caller or in this package, not an expected failure. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

// Stays on in production (docs/conventions.md, convention 3): a storage layer that
// carries on after a broken invariant writes wrong data durably.
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(`storage invariant violated: ${message}`);
}
