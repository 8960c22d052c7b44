// When this node snapshots its KV state, and the log compaction behind each
// snapshot: every snapshotEntries applied entries or snapshotBytes of entry
// data, or on request. Installing a snapshot received from the leader is the
// driver loop's (it is part of handling a Ready); it tells this schedule.
import type { KvStateMachine } from '@flotilla/kv';
import type { RawNode, SnapshotMeta } from '@flotilla/raft';
import type { SnapshotStore, Storage } from '@flotilla/storage';
import type { Clock } from '@flotilla/transport';
import type { CoreView } from './core-view.js';
import { invariant } from './errors.js';
import type { Emitter } from './events.js';
import type { NodeMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { frameChunks } from './snapshot-framing.js';

export interface SnapshotScheduleParams {
  readonly raw: RawNode;
  readonly core: CoreView;
  readonly kv: KvStateMachine;
  readonly snapshots: SnapshotStore;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly metrics: NodeMetrics;
  readonly events: Emitter;
  readonly options: Pick<
    ResolvedOptions,
    'snapshotEntries' | 'snapshotBytes' | 'snapshotCatchUpEntries'
  >;
  /** Runs `fn` between Raft batches (the driver's control queue): the core is touched only there. */
  readonly control: (fn: () => void) => void;
  /** The compaction point of the stored log. */
  readonly compactedIndex: number;
}

export class SnapshotSchedule {
  private readonly p: SnapshotScheduleParams;
  private compactedIndex: number;
  private lastSnapshotIndex: number;
  private bytesSinceSnapshot = 0;
  private snapshotting: Promise<SnapshotMeta> | undefined;

  constructor(params: SnapshotScheduleParams) {
    this.p = params;
    this.compactedIndex = params.compactedIndex;
    this.lastSnapshotIndex = params.compactedIndex;
  }

  get snapshotIndex(): number {
    return this.lastSnapshotIndex;
  }

  /** An applied normal entry's data counts towards snapshotBytes. */
  entryApplied(bytes: number): void {
    this.bytesSinceSnapshot += bytes;
  }

  /** After an apply: starts a snapshot if one is due and none is being taken. */
  takeIfDue(): void {
    const o = this.p.options;
    const dueByEntries = this.p.core.appliedIndex - this.lastSnapshotIndex >= o.snapshotEntries;
    const dueByBytes = this.bytesSinceSnapshot >= o.snapshotBytes;
    if ((dueByEntries || dueByBytes) && this.snapshotting === undefined) {
      this.snapshot().catch(() => undefined); // a failed snapshot is retried at the next threshold
    }
  }

  /** A received snapshot at `index` was installed: the log starts after it, and the count starts again. */
  installed(index: number): void {
    this.compactedIndex = index;
    this.lastSnapshotIndex = index;
    this.bytesSinceSnapshot = 0;
  }

  /** Settles once no snapshot is being taken (for stopping; a failure is not this caller's). */
  async idle(): Promise<void> {
    await this.snapshotting?.catch(() => undefined);
  }

  /**
   * Takes a snapshot of the state machine at the current applied index, stores
   * it durably, then compacts the Raft log behind it (keeping
   * snapshotCatchUpEntries entries for followers that lag a little).
   * Call only between batches (from the loop, or a control task).
   */
  snapshot(): Promise<SnapshotMeta> {
    if (this.snapshotting !== undefined) return this.snapshotting;
    const p = this.p;
    const meta: SnapshotMeta = {
      index: p.core.appliedIndex,
      term: p.core.appliedTerm,
      confState: p.raw.status().confState,
    };
    this.lastSnapshotIndex = meta.index;
    this.bytesSinceSnapshot = 0;
    // Queued in kv now, before any later apply: the snapshot is taken exactly at meta.index.
    const taking = p.kv.snapshot();
    const t0 = p.clock.now();
    const run = (async () => {
      const snap = await taking;
      try {
        invariant(
          snap.appliedIndex === meta.index,
          `kv snapshot at ${snap.appliedIndex}, expected ${meta.index}`,
        );
        await p.snapshots.create(meta, frameChunks(snap.chunks));
      } finally {
        await snap.close();
      }
      p.metrics.snapshotSave.record(p.clock.now() - t0);
      p.metrics.snapshotsCreated++;
      p.events.emit('snapshot', { kind: 'created', meta });
      p.control(() => this.compactTo(meta.index - p.options.snapshotCatchUpEntries));
      return meta;
    })();
    this.snapshotting = run;
    const clear = (): void => {
      if (this.snapshotting === run) this.snapshotting = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private compactTo(index: number): void {
    if (index <= this.compactedIndex || index > this.p.core.appliedIndex) return;
    const meta = this.p.raw.compact(index);
    if (meta === undefined || meta.index !== index) return; // a snapshot installed meanwhile moved the log past it
    this.compactedIndex = index;
    this.p.storage.log.compact(meta, { sync: false }).catch(() => {
      // Not fatal: the stored log keeps more entries than needed; the next compaction retries.
    });
  }
}
