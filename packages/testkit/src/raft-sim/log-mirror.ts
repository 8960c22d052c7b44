// What one node has written to its log, kept beside its storage as terms and
// entry keys so the checker can read it synchronously. It changes exactly as
// the stored log does: a snapshot install resets it, appends replace the
// suffix they overlap, compaction drops a prefix.
import type { Entry, SnapshotMeta } from '@flotilla/raft';
import { entryKey } from './entry-key.js';
import { SimulationError } from './errors.js';

/** A read-only view of a log for the invariant checker. */
export interface LogView {
  /** The compaction point: entries ≤ snapIndex are covered by a snapshot. */
  readonly snapIndex: number;
  readonly lastIndex: number;
  /** The term at `index` (snapIndex included), or undefined if compacted away or absent. */
  term(index: number): number | undefined;
  /** The entry key at `index` (see entryKey), or undefined if compacted away or absent. */
  key(index: number): string | undefined;
}

export class LogMirror implements LogView {
  snapIndex = 0;
  private snapTerm = 0;
  private terms: number[] = [];
  private keys: string[] = [];

  get lastIndex(): number {
    return this.snapIndex + this.terms.length;
  }

  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex) return undefined;
    return this.terms[index - this.snapIndex - 1];
  }

  key(index: number): string | undefined {
    if (index <= this.snapIndex || index > this.lastIndex) return undefined;
    return this.keys[index - this.snapIndex - 1];
  }

  /** The log now starts after `meta` (a received snapshot replaces everything). */
  reset(meta: SnapshotMeta): void {
    this.snapIndex = meta.index;
    this.snapTerm = meta.term;
    this.terms = [];
    this.keys = [];
  }

  /**
   * Writes contiguous entries, replacing any stored suffix from entries[0].index.
   * Returns the term of the entry just before them (for the log-matching check).
   */
  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.term(this.lastIndex) ?? 0;
    if (first.index <= this.snapIndex || first.index > this.lastIndex + 1) {
      throw new SimulationError(
        `append at ${first.index} does not fit the mirrored log (${this.snapIndex}, ${this.lastIndex}]`,
      );
    }
    const prevTerm = this.term(first.index - 1) ?? 0;
    const keep = first.index - this.snapIndex - 1;
    this.terms.length = keep;
    this.keys.length = keep;
    for (const e of entries) {
      this.terms.push(e.term);
      this.keys.push(entryKey(e));
    }
    return prevTerm;
  }

  /** Drops entries ≤ meta.index (a local snapshot covers them). */
  compact(meta: SnapshotMeta): void {
    if (meta.index <= this.snapIndex) return;
    if (meta.index > this.lastIndex || this.term(meta.index) !== meta.term) {
      throw new SimulationError(
        `compaction to ${meta.index}@${meta.term} does not match the mirrored log (last ${this.lastIndex})`,
      );
    }
    const drop = meta.index - this.snapIndex;
    this.terms = this.terms.slice(drop);
    this.keys = this.keys.slice(drop);
    this.snapIndex = meta.index;
    this.snapTerm = meta.term;
  }
}
