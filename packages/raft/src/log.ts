// The in-memory Raft log: every entry after the compaction point (like etcd's
// MemoryStorage), plus the indexes that say how far it is persisted,
// committed and applied. Invariant: snapIndex ≤ applied ≤ committed ≤ lastIndex,
// except that applied may lag snapIndex while a received snapshot is pending.
import { invariant } from './errors.js';
import { limitBytes } from './sizes.js';
import type { Entry, Snapshot } from './types.js';

export interface IndexTerm {
  readonly index: number;
  readonly term: number;
}

export class RaftLog {
  /** The compaction point: entries ≤ snapIndex are gone (covered by a snapshot). */
  snapIndex: number;
  snapTerm: number;
  /** entries[i].index === snapIndex + 1 + i */
  private entries: Entry[];
  committed: number;
  /** Acknowledged by advance(): the state machine has applied up to here. */
  applied: number;
  /** Entries ≤ stableIndex are persisted by the driver. */
  stableIndex: number;
  /** A snapshot received from the leader, not yet handed to the driver to persist. */
  pendingSnapshot: Snapshot | undefined;

  constructor(snap: IndexTerm, entries: readonly Entry[], committed: number, applied: number) {
    this.snapIndex = snap.index;
    this.snapTerm = snap.term;
    this.entries = [];
    this.committed = snap.index;
    this.applied = snap.index;
    this.stableIndex = snap.index;
    this.pendingSnapshot = undefined;
    if (entries.length > 0) this.append(entries);
    this.stableIndex = this.lastIndex();
    invariant(
      committed >= snap.index && committed <= this.lastIndex(),
      `stored commit ${committed} is outside the stored log [${snap.index}, ${this.lastIndex()}]`,
    );
    invariant(
      applied >= snap.index && applied <= committed,
      `applied index ${applied} is outside [snapshot ${snap.index}, commit ${committed}]`,
    );
    this.committed = committed;
    this.applied = applied;
  }

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of the entry at `index`, or undefined if compacted or not there. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most maxBytes (but at least one). All must be available. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    invariant(
      lo > this.snapIndex && hi <= this.lastIndex() + 1,
      `slice [${lo}, ${hi}) is outside the log (${this.snapIndex}, ${this.lastIndex()}]`,
    );
    if (lo >= hi) return [];
    const part = this.entries.slice(lo - this.snapIndex - 1, hi - this.snapIndex - 1);
    return maxBytes === Infinity ? part : limitBytes(part, maxBytes);
  }

  /** Appends or replaces the suffix starting at entries[0].index. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    checkContiguous(entries);
    invariant(
      first.index > this.committed,
      `entry ${first.index} would overwrite committed entries (commit ${this.committed})`,
    );
    invariant(
      first.index <= this.lastIndex() + 1,
      `append at ${first.index} leaves a hole after last index ${this.lastIndex()}`,
    );
    const prevTerm = this.term(first.index - 1) ?? 0;
    invariant(
      first.term >= prevTerm,
      `entry ${first.index} has term ${first.term}, lower than the term ${prevTerm} before it`,
    );
    this.entries.length = first.index - this.snapIndex - 1;
    for (const e of entries) this.entries.push(e);
    this.stableIndex = Math.min(this.stableIndex, first.index - 1);
  }

  /**
   * The index of the first entry that is not already in the log with the same
   * term (0 if all match). Entries past our last index count as "not there".
   */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`, with its term (0 if
   * compacted): where two logs can next possibly match (thesis §5.3 back-off).
   */
  findConflictByTerm(index: number, term: number): IndexTerm {
    let i = Math.min(index, this.lastIndex());
    for (;;) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
      i--;
    }
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.stableIndex - this.snapIndex);
  }

  /** The driver persisted up to `index`; ignored if the entry was replaced since. */
  stableTo(index: number, term: number): void {
    if (index > this.stableIndex && this.matchTerm(index, term)) this.stableIndex = index;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    invariant(
      index <= this.lastIndex(),
      `commit ${index} is beyond the last index ${this.lastIndex()}`,
    );
    this.committed = index;
    return true;
  }

  /** The first index not yet handed to the state machine. */
  nextApplyIndex(): number {
    return Math.max(this.applied, this.snapIndex) + 1;
  }

  /** Committed entries to hand out: only those that are persisted locally. */
  nextCommittedEntries(maxBytes: number): Entry[] {
    const lo = this.nextApplyIndex();
    const hi = Math.min(this.committed, this.stableIndex) + 1;
    return lo < hi ? this.slice(lo, hi, maxBytes) : [];
  }

  hasNextCommittedEntries(): boolean {
    return this.nextApplyIndex() <= Math.min(this.committed, this.stableIndex);
  }

  appliedTo(index: number): void {
    invariant(index <= this.committed, `applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** Resets the log to a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    invariant(
      index > this.committed,
      `restoring snapshot ${index} at or below commit ${this.committed}`,
    );
    this.snapIndex = index;
    this.snapTerm = term;
    this.entries = [];
    this.committed = index;
    this.stableIndex = index;
    this.pendingSnapshot = snapshot;
  }

  /** Drops the prefix up to `index` (≤ applied): the driver holds a snapshot there. */
  compact(index: number): void {
    if (index <= this.snapIndex) return;
    invariant(index <= this.applied, `compact(${index}) beyond applied ${this.applied}`);
    const term = this.term(index);
    invariant(term !== undefined, `compact(${index}): no entry there`);
    this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = term;
  }

  /** Committed conf-change entries not yet acknowledged as applied. */
  hasUnappliedConfChanges(): boolean {
    const lo = this.nextApplyIndex();
    if (lo > this.committed) return false;
    return this.slice(lo, this.committed + 1).some((e) => e.type === 'confChange');
  }
}

function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const e = entries[i]!;
    invariant(e.index === prev.index + 1, `entries not contiguous: ${prev.index} then ${e.index}`);
    invariant(
      e.term >= prev.term,
      `entry terms decrease: ${prev.term} at ${prev.index}, ${e.term} at ${e.index}`,
    );
  }
}
