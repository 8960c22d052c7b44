// Read-side rules shared by both implementations.
import { LogCompactedError, EntryUnavailableError } from './errors.js';
import { checkRange } from './plan.js';

/** Throws unless [lo, hi) lies within firstIndex..lastIndex + 1. */
export function checkReadable(
  lo: number,
  hi: number,
  maxBytes: number | undefined,
  firstIndex: number,
  lastIndex: number,
): void {
  checkRange(lo, hi, maxBytes);
  if (lo < firstIndex) throw new LogCompactedError(lo, firstIndex);
  if (hi > lastIndex + 1) throw new EntryUnavailableError(hi - 1, lastIndex);
}

/** Throws unless term(index) is answerable: firstIndex - 1 ≤ index ≤ lastIndex. */
export function checkTermIndex(index: number, firstIndex: number, lastIndex: number): void {
  if (index < firstIndex - 1) throw new LogCompactedError(index, firstIndex);
  if (index > lastIndex) throw new EntryUnavailableError(index, lastIndex);
}

/**
 * Whether to take one more entry of `sizeBytes` when `takenBytes` are taken
 * already: the first entry always goes, the rest only while within the limit.
 */
export function fitsLimit(
  count: number,
  takenBytes: number,
  sizeBytes: number,
  maxBytes: number | undefined,
): boolean {
  return count === 0 || maxBytes === undefined || takenBytes + sizeBytes <= maxBytes;
}
