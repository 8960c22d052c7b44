// The changes of one apply batch, written atomically with the applied index.
// Reads consult `pending` first, so a reader never misses a record that the
// index already points to. Its own module so that the stores that write
// through it (store.ts, auth/store.ts) do not import each other.
import type { AbstractBatchOperation } from 'abstract-level';
import { toKeyStr } from './bytes.js';

export class Batch {
  readonly ops: AbstractBatchOperation<any, Uint8Array, Uint8Array>[] = [];
  /** latin1(key) → value of every put in this batch. */
  readonly pending = new Map<string, Uint8Array>();

  put(key: Uint8Array, value: Uint8Array): void {
    this.ops.push({ type: 'put', key, value });
    this.pending.set(toKeyStr(key), value);
  }

  /**
   * Deletions leave `pending` alone on purpose: a reader that started before
   * a compaction in this batch may still read what it deletes (it holds a
   * LevelDB snapshot from before the batch was written). Only compaction and
   * client eviction delete, and nothing in apply reads what they removed.
   */
  del(key: Uint8Array): void {
    this.ops.push({ type: 'del', key });
  }
}
