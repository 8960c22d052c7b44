// Byte accounting for the flow-control limits (maxMsgBytes,
// maxUncommittedBytes, maxCommittedBytesPerReady). Sizes are estimates of the
// encoded size; they only need to be monotone in the payload.
import type { Entry } from './types.js';

/** Fixed cost of an entry's envelope (type, term, index). */
export const ENTRY_OVERHEAD_BYTES = 16;
/** Cost of a conf-change entry besides its context: its payload is a few ids. */
export const CONF_CHANGE_ENTRY_BYTES = 64;

export function entryBytes(entry: Entry): number {
  return entry.type === 'normal'
    ? entry.data.length + ENTRY_OVERHEAD_BYTES
    : CONF_CHANGE_ENTRY_BYTES + (entry.change.context?.length ?? 0);
}

/** Total estimated bytes of `entries`. */
export function totalBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const e of entries) total += entryBytes(e);
  return total;
}

/**
 * The longest prefix of `entries` whose total size is ≤ maxBytes, but never
 * fewer than one entry (an entry larger than the limit must still move).
 */
export function limitBytes<T extends Entry>(entries: readonly T[], maxBytes: number): T[] {
  const out: T[] = [];
  let total = 0;
  for (const e of entries) {
    total += entryBytes(e);
    if (out.length > 0 && total > maxBytes) break;
    out.push(e);
  }
  return out;
}
