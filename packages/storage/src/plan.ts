// Turns log operations into an ordered list of primitive writes that both
// implementations execute: LevelDB as one atomic batch, the memory store one
// op at a time (so a simulated torn write can stop between any two ops).
//
// The order is chosen so that ANY prefix of a plan leaves a valid log: a
// truncation deletes from the top down before new entries are put from the
// bottom up, so a torn write never leaves a hole or a newer-term entry
// followed by an older-term one.
import type { Entry, HardState, SnapshotMeta } from '@flotilla/raft';
import { encodeEntryBody } from './codec.js';
import { invariant } from './invariant.js';
import type { PersistBatch } from './types.js';

export type LogOp =
  /** Install a snapshot: drop every entry, the compaction point becomes meta. */
  | { readonly kind: 'reset'; readonly meta: SnapshotMeta }
  /** Drop entries ≤ meta.index, keep the rest; the compaction point becomes meta. */
  | { readonly kind: 'compact'; readonly meta: SnapshotMeta }
  /** Delete the entry at `index`, which is the last one. */
  | { readonly kind: 'del'; readonly index: number }
  /** Put `entry` at lastIndex + 1. `body` is its encoding; its length is the entry's size. */
  | { readonly kind: 'put'; readonly entry: Entry; readonly body: Uint8Array }
  | { readonly kind: 'hardState'; readonly hardState: HardState };

/** Where the log stands: the compaction point (undefined = index 0, term 0) and the last index. */
export interface LogBounds {
  readonly snapshotMeta: SnapshotMeta | undefined;
  readonly lastIndex: number;
}

export function compactionIndex(bounds: LogBounds): number {
  return bounds.snapshotMeta?.index ?? 0;
}

export function compactionTerm(bounds: LogBounds): number {
  return bounds.snapshotMeta?.term ?? 0;
}

export interface Plan {
  readonly ops: LogOp[];
  readonly after: LogBounds;
}

export function planPersist(
  bounds: LogBounds,
  batch: PersistBatch,
  sameAsStored?: (entry: Entry, body: Uint8Array) => boolean,
): Plan {
  const ops: LogOp[] = [];
  let after = bounds;
  if (batch.snapshotMeta !== undefined) {
    const meta = batch.snapshotMeta;
    invariant(
      meta.index >= compactionIndex(bounds),
      `snapshot at index ${meta.index} is older than the compaction point ${compactionIndex(bounds)}`,
    );
    ops.push({ kind: 'reset', meta });
    after = { snapshotMeta: meta, lastIndex: meta.index };
  }
  if (batch.entries !== undefined && batch.entries.length > 0) {
    // After a reset nothing is stored, so there is nothing to compare with.
    const appended = planAppend(after, batch.entries, after === bounds ? sameAsStored : undefined);
    ops.push(...appended.ops);
    after = appended.after;
  }
  if (batch.hardState !== undefined) ops.push({ kind: 'hardState', hardState: batch.hardState });
  return { ops, after };
}

/**
 * `sameAsStored`, when given, says whether an entry equals the stored one at
 * its index; leading entries that do are not rewritten. The memory store uses
 * it so that a torn write never drops a stored entry it was rewriting as is.
 */
export function planAppend(
  bounds: LogBounds,
  entries: readonly Entry[],
  sameAsStored?: (entry: Entry, body: Uint8Array) => boolean,
): Plan {
  checkContiguous(entries);
  const kept = entries.filter((e) => e.index > compactionIndex(bounds));
  const first = kept[0];
  if (first === undefined) return { ops: [], after: bounds };
  invariant(
    first.index <= bounds.lastIndex + 1,
    `append at index ${first.index} would leave a hole after the last index ${bounds.lastIndex}`,
  );
  const bodies = kept.map(encodeEntryBody);
  let skip = 0;
  while (
    skip < kept.length &&
    kept[skip]!.index <= bounds.lastIndex &&
    sameAsStored?.(kept[skip]!, bodies[skip]!)
  )
    skip++;
  const lastIndex = first.index + kept.length - 1;
  // Everything after the batch goes too: the appended entries replace the stored suffix.
  const ops: LogOp[] = deletesDownTo(bounds.lastIndex, first.index + skip);
  for (let i = skip; i < kept.length; i++)
    ops.push({ kind: 'put', entry: kept[i]!, body: bodies[i]! });
  return { ops, after: { snapshotMeta: bounds.snapshotMeta, lastIndex } };
}

export function planTruncateSuffix(bounds: LogBounds, fromIndex: number): Plan {
  invariant(
    Number.isSafeInteger(fromIndex) && fromIndex > compactionIndex(bounds),
    `cannot truncate from index ${fromIndex}: entries up to ${compactionIndex(bounds)} are compacted`,
  );
  if (fromIndex > bounds.lastIndex) return { ops: [], after: bounds };
  return {
    ops: deletesDownTo(bounds.lastIndex, fromIndex),
    after: { snapshotMeta: bounds.snapshotMeta, lastIndex: fromIndex - 1 },
  };
}

/** `termAtIndex` is the stored term of meta.index, read by the caller. */
export function planCompact(bounds: LogBounds, meta: SnapshotMeta, termAtIndex: number): Plan {
  invariant(
    meta.index >= compactionIndex(bounds) && meta.index <= bounds.lastIndex,
    `cannot compact to index ${meta.index}: the log holds ${compactionIndex(bounds) + 1}..${bounds.lastIndex}`,
  );
  invariant(
    termAtIndex === meta.term,
    `cannot compact to index ${meta.index} with term ${meta.term}: the stored entry has term ${termAtIndex}`,
  );
  return {
    ops: [{ kind: 'compact', meta }],
    after: { snapshotMeta: meta, lastIndex: bounds.lastIndex },
  };
}

function deletesDownTo(lastIndex: number, fromIndex: number): LogOp[] {
  const ops: LogOp[] = [];
  for (let i = lastIndex; i >= fromIndex; i--) ops.push({ kind: 'del', index: i });
  return ops;
}

function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const cur = entries[i]!;
    invariant(
      cur.index === prev.index + 1,
      `entries are not contiguous: ${prev.index} then ${cur.index}`,
    );
    invariant(
      cur.term >= prev.term,
      `entry terms go down: ${prev.term} at ${prev.index} then ${cur.term} at ${cur.index}`,
    );
  }
  const head = entries[0];
  invariant(
    head === undefined || (Number.isSafeInteger(head.index) && head.index >= 1),
    'entry indexes start at 1',
  );
}

/** Shared argument checks for entries(lo, hi, maxBytes). */
export function checkRange(lo: number, hi: number, maxBytes: number | undefined): void {
  invariant(
    Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi,
    `bad entry range [${lo}, ${hi})`,
  );
  invariant(maxBytes === undefined || maxBytes >= 0, `maxBytes must be ≥ 0, got ${maxBytes}`);
}
