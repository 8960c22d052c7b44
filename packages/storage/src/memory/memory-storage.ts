// The memory twin of the LevelDB storage, for the deterministic simulator.
// Writes are visible at once but durable only after a synced write; crash()
// returns what a restarted node would find. Nothing here reads a clock or
// Math.random: every choice in crash() comes from the caller's Rng, and a
// write takes time only on the caller's timer (writeLatency), so a simulator
// on a virtual clock stays deterministic.
import type { Entry, HardState, Rng, SnapshotMeta } from '@flotilla/raft';
import { randomInt } from '@flotilla/raft';
import { encodeEntryBody } from '../codec.js';
import { StorageClosedError } from '../errors.js';
import { invariant } from '../invariant.js';
import type { LogOp, Plan } from '../plan.js';
import {
  compactionTerm,
  planAppend,
  planCompact,
  planPersist,
  planTruncateSuffix,
} from '../plan.js';
import { checkReadable, checkTermIndex, fitsLimit } from '../range.js';
import { MemorySnapshotStore } from '../snapshot/memory-snapshot-store.js';
import type {
  LoadedState,
  LogStore,
  PersistBatch,
  StableStore,
  Storage,
  WriteOptions,
} from '../types.js';
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
  /**
   * Makes writes take time: each write (and sync()) resolves `latencyMs(sync)`
   * ms after the previous one finished, on this timer (a simulator's virtual
   * clock). Until it resolves, a write is in progress: a crash() may keep it
   * whole, tear it or lose it, like any write not yet synced, even a synced
   * one whose fsync has not returned. Without it writes finish at once.
   */
  readonly writeLatency?: WriteLatency;
}

export interface WriteLatency {
  readonly timer: { setTimer(delayMs: number, fn: () => void): unknown };
  /** Ms one write takes (read at the write's start, so a caller can make the disk slow or fast at any time). */
  readonly latencyMs: (sync: boolean) => number;
}

/** A write whose promise has not resolved yet. */
interface InProgress {
  readonly ops: readonly LogOp[];
  readonly sync: boolean;
  readonly reject: (err: Error) => void;
}

export class MemoryStorage implements Storage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: MemorySnapshotStore;
  private visible: MemLogState;
  private durable: MemLogState;
  /** Unsynced batches, oldest first; each is applied to `durable` on the next sync. */
  private pending: LogOp[][] = [];
  /** Writes issued and not finished (only with writeLatency), oldest first; they finish in order. */
  private inProgress: InProgress[] = [];
  /** Settles when the last issued write has finished. */
  private lastWrite: Promise<void> = Promise.resolve();
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

  persist(batch: PersistBatch, options?: WriteOptions): Promise<void> {
    try {
      return this.write(
        planPersist(this.open('persist').bounds, batch, this.sameAsStored),
        options,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private readonly sameAsStored = (entry: Entry, body: Uint8Array): boolean => {
    const s = this.visible;
    const at = entry.index - s.firstIndex;
    const stored = s.entries[at];
    if (stored === undefined || stored.term !== entry.term || s.sizes[at] !== body.byteLength)
      return false;
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
    await this.write({ ops: [], after: this.visible.bounds }, { sync: true });
  }

  /** Number of writes that a crash now could lose (unsynced or still in progress). */
  get unsyncedBatchCount(): number {
    return this.pending.length + this.inProgress.filter((w) => w.ops.length > 0).length;
  }

  /** Writes issued whose promise has not resolved yet (always 0 without writeLatency). */
  get writesInProgress(): number {
    return this.inProgress.length;
  }

  /** Lets the writes in progress finish, then closes (a crash is `crash()`). */
  async close(): Promise<void> {
    await this.lastWrite.catch(() => undefined);
    this.closed = true;
  }

  /**
   * Simulates a crash of the process and returns the storage a restarted node
   * would open. This handle is closed: the crashed process does not go on.
   */
  crash(options: CrashOptions = {}): MemoryStorage {
    invariant(
      !options.tearLastUnsynced || options.rng !== undefined,
      'tearLastUnsynced needs an rng',
    );
    const state = this.durable.clone();
    const rng = options.rng;
    // Writes still in progress reached the disk as far as the crash lets them: like unsynced ones.
    const atRisk = [
      ...this.pending,
      ...this.inProgress.map((w) => w.ops).filter((ops) => ops.length > 0),
    ];
    if (rng !== undefined) {
      const survivors = randomInt(rng, 0, atRisk.length);
      for (const batch of atRisk.slice(0, survivors)) for (const op of batch) state.apply(op);
      const torn = atRisk[survivors];
      if (options.tearLastUnsynced && torn !== undefined) {
        for (const op of torn.slice(0, randomInt(rng, 0, torn.length))) state.apply(op);
      }
    }
    this.closed = true;
    const interrupted = this.inProgress;
    this.inProgress = [];
    for (const w of interrupted) w.reject(new StorageClosedError('a write interrupted by crash()'));
    return new MemoryStorage(this.options, { state, snapshots: this.snapshots.copy() });
  }

  /** Applies the plan to the visible state at once; it becomes durable when it finishes (synced) or on a later sync. */
  private write(plan: Plan, options: WriteOptions | undefined): Promise<void> {
    for (const op of plan.ops) this.visible.apply(op);
    const sync = options?.sync ?? true;
    const latency = this.options.writeLatency;
    if (latency === undefined) {
      this.finish(plan.ops, sync);
      return Promise.resolve();
    }
    const done = new Promise<void>((resolve, reject) => {
      const w: InProgress = { ops: plan.ops, sync, reject };
      this.inProgress.push(w);
      // Writes finish in issue order, each taking its latency after the one before (one disk queue).
      void this.lastWrite.then(() => {
        if (this.inProgress[0] !== w) return; // interrupted by a crash
        latency.timer.setTimer(Math.max(0, latency.latencyMs(sync)), () => {
          if (this.inProgress[0] !== w) return;
          this.inProgress.shift();
          this.finish(w.ops, w.sync);
          resolve();
        });
      });
    });
    this.lastWrite = done.catch(() => undefined);
    return done;
  }

  private finish(ops: readonly LogOp[], sync: boolean): void {
    if (ops.length > 0) this.pending.push([...ops]);
    if (sync) this.flush();
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
      entries: async (lo: number, hi: number, maxBytes?: number) =>
        this.readEntries(lo, hi, maxBytes),
      append: async (entries: readonly Entry[], options?: WriteOptions) =>
        this.write(planAppend(this.open('append').bounds, entries, this.sameAsStored), options),
      truncateSuffix: async (fromIndex: number, options?: WriteOptions) =>
        this.write(planTruncateSuffix(this.open('truncateSuffix').bounds, fromIndex), options),
      compact: async (meta: SnapshotMeta, options?: WriteOptions) => {
        const s = this.open('compact');
        const term =
          meta.index <= s.lastIndex && meta.index >= s.firstIndex - 1
            ? this.termOf(meta.index)
            : -1;
        await this.write(planCompact(s.bounds, meta, term), options);
      },
    };
  }

  private makeStable(): StableStore {
    return {
      hardState: async () => this.open('hardState').hardState,
      setHardState: async (hardState: HardState, options?: WriteOptions) =>
        this.write(
          { ops: [{ kind: 'hardState', hardState }], after: this.open('setHardState').bounds },
          options,
        ),
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
