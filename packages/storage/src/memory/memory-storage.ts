// The memory twin of the LevelDB storage, for the deterministic simulator.
// Writes are visible at once but durable only after a synced write; crash()
// returns what a restarted node would find. Nothing here reads a clock or
// Math.random: every choice in crash() comes from the caller's Rng.
import type { Entry, HardState, Rng, SnapshotMeta } from '@flotilla/raft';
import { randomInt } from '@flotilla/raft';
import { encodeEntryBody } from '../codec.js';
import { StorageClosedError } from '../errors.js';
import { invariant } from '../invariant.js';
import type { LogOp, Plan } from '../plan.js';
import { compactionTerm, planAppend, planCompact, planPersist, planTruncateSuffix } from '../plan.js';
import { checkReadable, checkTermIndex, fitsLimit } from '../range.js';
import { MemorySnapshotStore } from '../snapshot/memory-snapshot-store.js';
import type { LoadedState, LogStore, PersistBatch, StableStore, Storage, WriteOptions } from '../types.js';
import { EMPTY_CONF_STATE } from '../types.js';
import { MemLogState } from './mem-log-state.js';

export interface CrashOptions {
  /**
   * Chooses how much unsynced data survives: a random number of whole
   * unsynced batches (in write order, as a write-ahead log would). Without an
   * Rng every unsynced write is lost.
   */
  readonly rng?: Rng;
  /** Also apply a random prefix of the first lost batch (needs `rng`). */
  readonly tearLastUnsynced?: boolean;
}

export interface MemoryStorageOptions {
  /** Snapshots kept by create(); older ones are pruned. Default 2. */
  readonly snapshotKeepCount?: number;
}

export class MemoryStorage implements Storage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: MemorySnapshotStore;
  private visible: MemLogState;
  private durable: MemLogState;
  /** Unsynced batches, oldest first; each is applied to `durable` on the next sync. */
  private pending: LogOp[][] = [];
  private closed = false;

  /** `from` is internal: the state a crash() hands to the restarted store. */
  constructor(
    private readonly options: MemoryStorageOptions = {},
    from?: { state: MemLogState; snapshots: MemorySnapshotStore },
  ) {
    this.durable = from?.state ?? new MemLogState();
    this.visible = this.durable.clone();
    this.snapshots = from?.snapshots ?? new MemorySnapshotStore(options.snapshotKeepCount);
    this.log = this.makeLog();
    this.stable = this.makeStable();
  }

  async persist(batch: PersistBatch, options?: WriteOptions): Promise<void> {
    this.write(planPersist(this.open('persist').bounds, batch, this.sameAsStored), options);
  }

  private readonly sameAsStored = (entry: Entry, body: Uint8Array): boolean => {
    const s = this.visible;
    const at = entry.index - s.firstIndex;
    const stored = s.entries[at];
    if (stored === undefined || stored.term !== entry.term || s.sizes[at] !== body.byteLength) return false;
    return Buffer.compare(encodeEntryBody(stored), body) === 0;
  };

  async load(): Promise<LoadedState> {
    const s = this.open('load');
    return {
      hardState: s.hardState,
      snapshotMeta: s.snapshotMeta,
      confState: s.snapshotMeta?.confState ?? EMPTY_CONF_STATE,
      entries: s.entries.slice(),
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
    };
  }

  /** Makes every write so far durable, as a synced write does. */
  async sync(): Promise<void> {
    this.open('sync');
    this.flush();
  }

  /** Number of writes that a crash now could lose. */
  get unsyncedBatchCount(): number {
    return this.pending.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Simulates a crash of the process and returns the storage a restarted node
   * would open. This handle is closed: the crashed process does not go on.
   */
  crash(options: CrashOptions = {}): MemoryStorage {
    invariant(!options.tearLastUnsynced || options.rng !== undefined, 'tearLastUnsynced needs an rng');
    const state = this.durable.clone();
    const rng = options.rng;
    if (rng !== undefined) {
      const survivors = randomInt(rng, 0, this.pending.length);
      for (const batch of this.pending.slice(0, survivors)) for (const op of batch) state.apply(op);
      const torn = this.pending[survivors];
      if (options.tearLastUnsynced && torn !== undefined) {
        for (const op of torn.slice(0, randomInt(rng, 0, torn.length))) state.apply(op);
      }
    }
    this.closed = true;
    return new MemoryStorage(this.options, { state, snapshots: this.snapshots.copy() });
  }

  private write(plan: Plan, options: WriteOptions | undefined): void {
    for (const op of plan.ops) this.visible.apply(op);
    if (plan.ops.length > 0) this.pending.push(plan.ops);
    if (options?.sync ?? true) this.flush();
  }

  private flush(): void {
    for (const batch of this.pending) for (const op of batch) this.durable.apply(op);
    this.pending = [];
  }

  private open(what: string): MemLogState {
    if (this.closed) throw new StorageClosedError(what);
    return this.visible;
  }

  private makeLog(): LogStore {
    return {
      firstIndex: () => this.open('firstIndex').firstIndex,
      lastIndex: () => this.open('lastIndex').lastIndex,
      term: async (index: number) => this.termOf(index),
      entries: async (lo: number, hi: number, maxBytes?: number) => this.readEntries(lo, hi, maxBytes),
      append: async (entries: readonly Entry[], options?: WriteOptions) =>
        this.write(planAppend(this.open('append').bounds, entries, this.sameAsStored), options),
      truncateSuffix: async (fromIndex: number, options?: WriteOptions) =>
        this.write(planTruncateSuffix(this.open('truncateSuffix').bounds, fromIndex), options),
      compact: async (meta: SnapshotMeta, options?: WriteOptions) => {
        const s = this.open('compact');
        const term = meta.index <= s.lastIndex && meta.index >= s.firstIndex - 1 ? this.termOf(meta.index) : -1;
        this.write(planCompact(s.bounds, meta, term), options);
      },
    };
  }

  private makeStable(): StableStore {
    return {
      hardState: async () => this.open('hardState').hardState,
      setHardState: async (hardState: HardState, options?: WriteOptions) =>
        this.write({ ops: [{ kind: 'hardState', hardState }], after: this.open('setHardState').bounds }, options),
    };
  }

  private termOf(index: number): number {
    const s = this.open('term');
    checkTermIndex(index, s.firstIndex, s.lastIndex);
    if (index === s.firstIndex - 1) return compactionTerm(s.bounds);
    return s.entries[index - s.firstIndex]!.term;
  }

  private readEntries(lo: number, hi: number, maxBytes: number | undefined): Entry[] {
    const s = this.open('entries');
    checkReadable(lo, hi, maxBytes, s.firstIndex, s.lastIndex);
    const out: Entry[] = [];
    let takenBytes = 0;
    for (let i = lo; i < hi; i++) {
      const size = s.sizes[i - s.firstIndex]!;
      if (!fitsLimit(out.length, takenBytes, size, maxBytes)) break;
      out.push(s.entries[i - s.firstIndex]!);
      takenBytes += size;
    }
    return out;
  }
}
