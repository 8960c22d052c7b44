// The storage interfaces. Both implementations (LevelDB and memory) pass the
// same conformance suite (test/conformance.ts).
import type { ConfState, Entry, HardState, SnapshotMeta } from '@flotilla/raft';

export interface WriteOptions {
  /** Wait for the write to reach stable storage (fsync) before resolving. Default true. */
  readonly sync?: boolean;
}

/**
 * The Raft log after the compaction point. Indexes are contiguous from
 * `firstIndex()` to `lastIndex()`; an empty log has lastIndex = firstIndex - 1.
 */
export interface LogStore {
  /** The first index still stored (compaction point + 1). */
  firstIndex(): number;
  /** The last stored index; the compaction point's index when the log is empty. */
  lastIndex(): number;
  /**
   * The term of entry `index`, for firstIndex - 1 ≤ index ≤ lastIndex (the
   * compaction point's term stays answerable). Throws LogCompactedError below,
   * EntryUnavailableError above.
   */
  term(index: number): Promise<number>;
  /**
   * Entries with lo ≤ index < hi, cut so their encoded sizes sum to at most
   * `maxBytes` — but always at least one entry when lo < hi.
   */
  entries(lo: number, hi: number, maxBytes?: number): Promise<Entry[]>;
  /**
   * Appends contiguous entries. If entries[0].index ≤ lastIndex, the stored
   * suffix from there on is replaced (a conflict truncation), atomically.
   * Entries at or below the compaction point are skipped (they are committed).
   */
  append(entries: readonly Entry[], options?: WriteOptions): Promise<void>;
  /** Removes every entry with index ≥ `fromIndex` (fromIndex > compaction point). */
  truncateSuffix(fromIndex: number, options?: WriteOptions): Promise<void>;
  /**
   * Discards entries ≤ meta.index because a snapshot covers them. The log
   * must hold meta.index with meta.term; entries after it are kept. The meta
   * becomes the compaction point reported by `load()`.
   */
  compact(meta: SnapshotMeta, options?: WriteOptions): Promise<void>;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: 0, commit: 0 });
export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
});

export interface StableStore {
  /** The last persisted hard state; term 0, vote 0, commit 0 on a new member. */
  hardState(): Promise<HardState>;
  setHardState(hardState: HardState, options?: WriteOptions): Promise<void>;
}

export interface SnapshotInfo {
  readonly meta: SnapshotMeta;
  readonly sizeBytes: number;
  /** A stable name for this snapshot within its store (the file name for files). */
  readonly name: string;
}

export interface OpenedSnapshot extends SnapshotInfo {
  /** The whole snapshot, checksum verified. */
  read(): Promise<Uint8Array>;
  /** The snapshot in chunks; a checksum mismatch surfaces as CorruptionError at the end. */
  stream(): AsyncIterable<Uint8Array>;
}

export type SnapshotSource = Uint8Array | AsyncIterable<Uint8Array>;

export interface SnapshotStore {
  /** Stores a snapshot durably (resolves after it is synced), then prunes old ones to the retention count. */
  create(meta: SnapshotMeta, data: SnapshotSource): Promise<SnapshotInfo>;
  /** The newest snapshot (highest index, then term), verified, or undefined if none. */
  openLatest(): Promise<OpenedSnapshot | undefined>;
  /**
   * The snapshot of exactly (index, term), verified, or undefined if none is
   * stored. Installing and restarting use this, never "the newest": a stored
   * snapshot may be one the Raft core refused (stale) or never saw.
   */
  open(index: number, term: number): Promise<OpenedSnapshot | undefined>;
  /** All snapshots, oldest first. */
  list(): Promise<SnapshotInfo[]>;
  delete(name: string): Promise<void>;
  /** Deletes all but the newest `keepCount` snapshots. */
  prune(keepCount: number): Promise<void>;
}

/** One durable step of the node driver: everything a Raft `Ready` asks to persist. */
export interface PersistBatch {
  /**
   * Installing a snapshot: the log is reset — every entry is dropped, the
   * first index becomes meta.index + 1 and term(meta.index) = meta.term. With
   * index 0 it records the initial configuration of a bootstrapping member.
   * Applied before `entries`, which must then start at meta.index + 1.
   */
  readonly snapshotMeta?: SnapshotMeta;
  /** New entries; a start at or below lastIndex replaces the stored suffix. */
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
}

/** What a restarting driver needs, read at once. */
export interface LoadedState {
  readonly hardState: HardState;
  /** The compaction point (last snapshot installed or compacted to); undefined on a new member. */
  readonly snapshotMeta: SnapshotMeta | undefined;
  /** The configuration as of the compaction point (replay conf changes in `entries` on top). */
  readonly confState: ConfState;
  /** Every entry after the compaction point, in order. */
  readonly entries: readonly Entry[];
  readonly firstIndex: number;
  readonly lastIndex: number;
}

/** A node's storage: the log, hard state and snapshots, and one-call atomic persistence. */
export interface Storage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  /** Persists the batch atomically: after a crash either all of it or none of it is there. */
  persist(batch: PersistBatch, options?: WriteOptions): Promise<void>;
  load(): Promise<LoadedState>;
  close(): Promise<void>;
}
