// The LevelDB storage of one node. It is the only writer of its database, so
// it keeps the log bounds and hard state in memory and plans each write from
// them (plan.ts); writes run one at a time through a queue.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AbstractSublevel, AbstractSublevelOptions } from 'abstract-level';
import type { Entry, HardState, SnapshotMeta } from '@flotilla/raft';
import { decodeEntry } from '../codec.js';
import { CorruptionError, StorageClosedError } from '../errors.js';
import { invariant } from '../invariant.js';
import { indexKey, keyIndex } from '../keys.js';
import type { LogBounds, Plan } from '../plan.js';
import {
  compactionIndex,
  compactionTerm,
  planAppend,
  planCompact,
  planPersist,
  planTruncateSuffix,
} from '../plan.js';
import { checkReadable, checkTermIndex, fitsLimit } from '../range.js';
import { encodeRecord, frameBody, RECORD_HEADER_BYTES } from '../record.js';
import { SerialQueue } from '../serial-queue.js';
import type { FileSnapshotStore } from '../snapshot/file-snapshot-store.js';
import type {
  LoadedState,
  LogStore,
  PersistBatch,
  StableStore,
  Storage,
  WriteOptions,
} from '../types.js';
import { EMPTY_CONF_STATE } from '../types.js';
import {
  HARD_STATE,
  type Levels,
  META_SNAPSHOT,
  META_SYNC_BARRIER,
  RESERVED_SUBLEVELS,
  type RootDb,
} from './level-db.js';

export interface LevelStorageState {
  readonly bounds: LogBounds;
  readonly hardState: HardState;
}

export class LevelStorage implements Storage {
  readonly log: LogStore;
  readonly stable: StableStore;
  private bounds: LogBounds;
  private hard: HardState;
  private readonly writes = new SerialQueue();
  private closed = false;
  /** An unsynced write happened since the last synced one. */
  private unsynced = false;
  /**
   * The write being committed. Until it resolves, `bounds` still describe the
   * old log while LevelDB may already hold the new one; only indexes up to
   * `stableLast` are the same in both, so reads beyond it wait.
   */
  private inflight: { readonly stableLast: number; readonly done: Promise<void> } | undefined;

  constructor(
    readonly dir: string,
    private readonly levels: Levels,
    readonly snapshots: FileSnapshotStore,
    initial: LevelStorageState,
    private readonly fsyncDelayMs: number,
    private readonly onClose: () => void,
  ) {
    this.bounds = initial.bounds;
    this.hard = initial.hardState;
    this.log = this.makeLog();
    this.stable = this.makeStable();
  }

  persist(batch: PersistBatch, options?: WriteOptions): Promise<void> {
    return this.write('persist', (b) => planPersist(b, batch), options);
  }

  async load(): Promise<LoadedState> {
    this.check('load');
    for (
      let w = this.waitFor(Number.MAX_SAFE_INTEGER);
      w !== undefined;
      w = this.waitFor(Number.MAX_SAFE_INTEGER)
    )
      await w;
    const { bounds, hard } = this;
    const firstIndex = compactionIndex(bounds) + 1;
    return {
      hardState: hard,
      snapshotMeta: bounds.snapshotMeta,
      confState: bounds.snapshotMeta?.confState ?? EMPTY_CONF_STATE,
      entries: await this.readAt(bounds, firstIndex, bounds.lastIndex + 1, undefined),
      firstIndex,
      lastIndex: bounds.lastIndex,
    };
  }

  /** The root database; for tools and tests. Writes through it bypass every check here. */
  get db(): RootDb {
    return this.levels.root;
  }

  /**
   * A sublevel of the same database for the state machine (the kv package
   * writes its own batches there). The names 'log', 'hard' and 'meta' are taken.
   */
  sublevel<K = string, V = string>(
    name: string,
    options?: AbstractSublevelOptions<K, V>,
  ): AbstractSublevel<RootDb, string | Buffer | Uint8Array, K, V> {
    this.check('sublevel');
    invariant(
      !RESERVED_SUBLEVELS.has(name),
      `sublevel name "${name}" is reserved by the storage package`,
    );
    return this.levels.root.sublevel<K, V>(name, options ?? {});
  }

  /** The sublevel 'state', where the kv package keeps the applied state. */
  stateLevel<K = string, V = string>(
    options?: AbstractSublevelOptions<K, V>,
  ): AbstractSublevel<RootDb, string | Buffer | Uint8Array, K, V> {
    return this.sublevel<K, V>('state', options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // Let queued writes finish; a write after close was already refused.
      await this.writes.run(async () => undefined);
      await this.levels.root.close();
    } finally {
      this.onClose();
    }
  }

  private check(what: string): void {
    if (this.closed) throw new StorageClosedError(what);
  }

  private write(
    what: string,
    plan: (bounds: LogBounds) => Plan,
    options: WriteOptions | undefined,
  ): Promise<void> {
    this.check(what);
    return this.writes.run(() => this.execute(plan(this.bounds), options?.sync ?? true));
  }

  private async execute(plan: Plan, sync: boolean): Promise<void> {
    const { log, logKey, hard, meta, root } = this.levels;
    const batch = root.batch();
    let cur = this.bounds;
    // Stryker disable next-line BooleanLiteral: equivalent, clearing below the compaction point after any write deletes nothing (each reset or compaction and each open cleared it already)
    let dropsPrefix = false;
    let hardState = this.hard;
    let firstChanged = Number.MAX_SAFE_INTEGER;
    for (const op of plan.ops) {
      switch (op.kind) {
        case 'reset':
          // Entries above the snapshot must go in this batch, or a crash could
          // revive them as the log's continuation. Those at or below it are
          // invisible once the meta is written and are cleared after.
          for (let i = cur.lastIndex; i > Math.max(op.meta.index, compactionIndex(cur)); i--)
            batch.del(logKey(i));
          batch.put(META_SNAPSHOT, encodeRecord(op.meta), { sublevel: meta });
          // Stryker disable next-line ObjectLiteral: equivalent, `cur` is read again only by a second reset in one plan, which planPersist never builds
          cur = { snapshotMeta: op.meta, lastIndex: op.meta.index };
          dropsPrefix = true;
          firstChanged = Math.min(firstChanged, op.meta.index + 1);
          break;
        case 'compact':
          batch.put(META_SNAPSHOT, encodeRecord(op.meta), { sublevel: meta });
          dropsPrefix = true;
          break;
        case 'del':
          batch.del(logKey(op.index));
          firstChanged = Math.min(firstChanged, op.index);
          break;
        case 'put':
          batch.put(logKey(op.entry.index), frameBody(op.body));
          firstChanged = Math.min(firstChanged, op.entry.index);
          break;
        case 'hardState':
          batch.put(HARD_STATE, encodeRecord(op.hardState), { sublevel: hard });
          hardState = op.hardState;
          break;
        // Stryker disable next-line BlockStatement,ConditionalExpression: unreachable, `op` has type never here
        default: {
          const never: never = op;
          // Stryker disable next-line StringLiteral: unreachable, `op` has type never here
          throw new Error(`unknown op ${String(never)}`);
        }
      }
    }
    if (batch.length === 0) {
      if (!sync || !this.unsynced) {
        await batch.close();
        return;
      }
      // Nothing to write, but the caller asked for durability of everything
      // before: a synced delete of an absent key makes LevelDB fsync its log.
      // Stryker disable next-line ObjectLiteral: equivalent, deleting the absent key at the root instead is the same synced no-op write
      batch.del(META_SYNC_BARRIER, { sublevel: meta });
    }
    // Stryker disable next-line ArrowFunction: equivalent, the Promise executor below replaces it at once
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.inflight = { stableLast: Math.min(this.bounds.lastIndex, firstChanged - 1), done };
    try {
      await batch.write({ sync });
      // Stryker disable next-line EqualityOperator: equivalent, `>= 0` adds a sleep(0) (the test-only slow disk, default 0)
      if (sync && this.fsyncDelayMs > 0) await sleep(this.fsyncDelayMs);
      this.bounds = plan.after;
      this.hard = hardState;
      this.unsynced = !sync;
    } finally {
      this.inflight = undefined;
      settle();
    }
    if (dropsPrefix) await log.clear({ lt: indexKey(compactionIndex(plan.after) + 1) });
  }

  private makeLog(): LogStore {
    return {
      firstIndex: () => {
        this.check('firstIndex');
        return compactionIndex(this.bounds) + 1;
      },
      lastIndex: () => {
        this.check('lastIndex');
        return this.bounds.lastIndex;
      },
      term: (index) => this.termOf(index),
      entries: (lo, hi, maxBytes) => {
        this.check('entries');
        return this.readEntries(lo, hi, maxBytes);
      },
      append: (entries: readonly Entry[], options?: WriteOptions) =>
        this.write('append', (b) => planAppend(b, entries), options),
      truncateSuffix: (fromIndex: number, options?: WriteOptions) =>
        this.write('truncateSuffix', (b) => planTruncateSuffix(b, fromIndex), options),
      compact: (meta: SnapshotMeta, options?: WriteOptions) => {
        this.check('compact');
        return this.writes.run(async () => {
          const b = this.bounds;
          const inLog = meta.index >= compactionIndex(b) && meta.index <= b.lastIndex;
          const term = inLog ? await this.termOf(meta.index) : -1;
          await this.execute(planCompact(b, meta, term), options?.sync ?? true);
        });
      },
    };
  }

  private makeStable(): StableStore {
    return {
      hardState: async () => {
        this.check('hardState');
        return this.hard;
      },
      setHardState: (hardState: HardState, options?: WriteOptions) =>
        this.write(
          'setHardState',
          (b) => ({ ops: [{ kind: 'hardState', hardState }], after: b }),
          options,
        ),
    };
  }

  /**
   * What to wait for before reading entries up to `lastNeeded`, or undefined
   * if they can be read now. Callers loop until undefined and then read
   * WITHOUT an await in between: LevelDB applies a write on a worker thread
   * as soon as it is issued, so a reader must check `inflight`, capture
   * `bounds` and take its read snapshot in one synchronous step.
   */
  private waitFor(lastNeeded: number): Promise<void> | undefined {
    const w = this.inflight;
    return w !== undefined && lastNeeded > w.stableLast ? w.done : undefined;
  }

  private async termOf(index: number): Promise<number> {
    this.check('term');
    for (let w = this.waitFor(index); w !== undefined; w = this.waitFor(index)) await w;
    // From here to the get() there is no await: bounds and LevelDB's read snapshot agree.
    const b = this.bounds;
    const firstIndex = compactionIndex(b) + 1;
    checkTermIndex(index, firstIndex, b.lastIndex);
    if (index === firstIndex - 1) return compactionTerm(b);
    const value = await this.levels.log.get(indexKey(index));
    if (value === undefined)
      throw new CorruptionError(`log entry ${index}`, 'missing: the log has a hole', index);
    return decodeEntry(value, index).term;
  }

  private async readEntries(
    lo: number,
    hi: number,
    maxBytes: number | undefined,
  ): Promise<Entry[]> {
    for (let w = this.waitFor(hi - 1); w !== undefined; w = this.waitFor(hi - 1)) await w;
    return this.readAt(this.bounds, lo, hi, maxBytes);
  }

  /** Must be called in the same synchronous step that captured `b` (see waitFor). */
  private async readAt(
    b: LogBounds,
    lo: number,
    hi: number,
    maxBytes: number | undefined,
  ): Promise<Entry[]> {
    // No await until the iterator exists: it reads from a snapshot taken now, matching `b`.
    checkReadable(lo, hi, maxBytes, compactionIndex(b) + 1, b.lastIndex);
    const out: Entry[] = [];
    if (lo === hi) return out;
    let takenBytes = 0;
    let cut = false;
    for await (const [key, value] of this.levels.log.iterator({
      gte: indexKey(lo),
      lt: indexKey(hi),
    })) {
      const expected = lo + out.length;
      if (keyIndex(key) !== expected) break;
      const size = value.byteLength - RECORD_HEADER_BYTES;
      if (!fitsLimit(out.length, takenBytes, size, maxBytes)) {
        cut = true;
        break;
      }
      out.push(decodeEntry(value, expected));
      takenBytes += size;
    }
    if (!cut && out.length < hi - lo) {
      const missing = lo + out.length;
      throw new CorruptionError(`log entry ${missing}`, 'missing: the log has a hole', missing);
    }
    return out;
  }
}
