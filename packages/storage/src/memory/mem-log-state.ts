// The memory store's log and hard state as plain arrays, changed one
// primitive op at a time (see plan.ts for why ops are that fine-grained).
import type { Entry, HardState, SnapshotMeta } from '@flotilla/raft';
import { invariant } from '../invariant.js';
import type { LogBounds, LogOp } from '../plan.js';
import { EMPTY_HARD_STATE } from '../types.js';

export class MemLogState {
  snapshotMeta: SnapshotMeta | undefined = undefined;
  /** entries[i] has index firstIndex + i. */
  entries: Entry[] = [];
  /** Encoded size of each entry, parallel to `entries`. */
  sizes: number[] = [];
  hardState: HardState = EMPTY_HARD_STATE;

  get firstIndex(): number {
    return (this.snapshotMeta?.index ?? 0) + 1;
  }

  get lastIndex(): number {
    return this.firstIndex + this.entries.length - 1;
  }

  get bounds(): LogBounds {
    return { snapshotMeta: this.snapshotMeta, lastIndex: this.lastIndex };
  }

  apply(op: LogOp): void {
    switch (op.kind) {
      case 'reset':
        this.snapshotMeta = op.meta;
        this.entries = [];
        this.sizes = [];
        return;
      case 'compact': {
        const drop = op.meta.index - this.firstIndex + 1;
        invariant(
          drop >= 0 && drop <= this.entries.length,
          `compact to ${op.meta.index} outside the log`,
        );
        this.entries = this.entries.slice(drop);
        this.sizes = this.sizes.slice(drop);
        this.snapshotMeta = op.meta;
        return;
      }
      case 'del':
        invariant(
          op.index === this.lastIndex && this.entries.length > 0,
          `delete of ${op.index} is not the last entry`,
        );
        this.entries.pop();
        this.sizes.pop();
        return;
      case 'put':
        invariant(
          op.entry.index === this.lastIndex + 1,
          `put of ${op.entry.index} does not follow ${this.lastIndex}`,
        );
        this.entries.push(op.entry);
        this.sizes.push(op.body.byteLength);
        return;
      case 'hardState':
        this.hardState = op.hardState;
        return;
      default: {
        const never: never = op;
        throw new Error(`unknown op ${String(never)}`);
      }
    }
  }

  clone(): MemLogState {
    const copy = new MemLogState();
    copy.snapshotMeta = this.snapshotMeta;
    copy.entries = this.entries.slice();
    copy.sizes = this.sizes.slice();
    copy.hardState = this.hardState;
    return copy;
  }
}
