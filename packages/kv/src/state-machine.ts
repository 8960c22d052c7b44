// KvStateMachine: the public face of the package. Applies committed entries
// in batches (one atomic LevelDB write per batch, carrying the applied
// index), serves local reads and watches, and snapshots/restores the state.
//
// Storage: `level` (any abstract-level database or sublevel, owned by the
// caller) holds a pointer `gen/current` → n and the state in sublevel `g<n>`.
// A restore writes generation n+1 and then flips the pointer in one put, so a
// crash mid-restore leaves the old, complete state in charge.

import type { AbstractLevel } from 'abstract-level';
import { fromKeyStr } from './bytes.js';
import { ClientTable } from './clients.js';
import { Applier, type ApplyResult } from './apply.js';
import {
  InvalidRequestError,
  KvError,
  KvWriteFailedError,
  LeaseNotFoundError,
  invariant,
} from './errors.js';
import { encodeMeta, META_KEY } from './layout.js';
import { resolveLimits, type KvLimits } from './limits.js';
import { loadState } from './load.js';
import { range } from './range.js';
import { openSnapshot, readSnapshot, SnapshotCorruptError, type KvSnapshot } from './snapshot.js';
import { Batch, ReadView, type GenLevel, type KvState } from './store.js';
import type {
  LeaseStatus,
  LeaseTimeToLiveResponse,
  RangeRequest,
  RangeResponse,
  WatchRequest,
} from './types.js';
import { validateRange } from './validate.js';
import { WatchHub } from './watch-hub.js';
import type { AuthView } from './auth/store.js';
import type { MemberView } from './members.js';
import { hashRecords, hashRevisionOf, openHashIterator, type KvHash } from './hash.js';
import type { Watcher } from './watcher.js';
import type { RawEvent } from './write-txn.js';

export type KvLevel = AbstractLevel<any, any, any>;

export interface KvOptions {
  limits?: Partial<KvLimits>;
  /**
   * applyEntries resolves once the entries are applied in memory, and their
   * batch is written to storage behind the answer (true), or only once that
   * write is done (false, the default). Reads, snapshots and the next apply
   * still see every applied entry: reads consult the batch in flight, and
   * everything else queues behind the write. For a node whose Raft log is
   * durable before entries are applied (the batch is not synced either way,
   * and a restart replays the log from the stored applied index). A failed
   * write makes the next call reject, as it does when answers wait.
   */
  answerBeforeWrite?: boolean;
}

export interface EntryInput {
  index: number;
  /** An encoded CommandEnvelope; empty for a raft no-op (or any entry kv should only count). */
  data: Uint8Array;
}

type PointerLevel = AbstractLevel<any, string, string>;

export class KvStateMachine {
  private state: KvState;
  private applier: Applier;
  private hub: WatchHub;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    private readonly level: KvLevel,
    private readonly pointer: PointerLevel,
    private generation: number,
    readonly limits: KvLimits,
    state: KvState,
    clients: ClientTable,
    private readonly answerBeforeWrite: boolean,
  ) {
    this.state = state;
    this.applier = new Applier(state, clients);
    this.hub = new WatchHub(state);
  }

  static async open(level: KvLevel, options: KvOptions = {}): Promise<KvStateMachine> {
    const limits = resolveLimits(options.limits);
    const pointer = level.sublevel<string, string>('gen', {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    });
    const stored = await pointer.get('current');
    const generation = stored === undefined ? 0 : Number(stored);
    invariant(
      Number.isSafeInteger(generation) && generation >= 0,
      `kv generation pointer is corrupt: ${String(stored)}`,
    );
    // Leftovers of a restore that crashed before (n+1) or after (n-1) the pointer flip.
    await genLevel(level, generation + 1).clear();
    if (generation > 0) await genLevel(level, generation - 1).clear();
    const gen = genLevel(level, generation);
    const { state, clients, clientFloor } = await loadState(gen, limits);
    const table = new ClientTable(limits);
    table.load(clients, clientFloor);
    return new KvStateMachine(
      level,
      pointer,
      generation,
      limits,
      state,
      table,
      options.answerBeforeWrite === true,
    );
  }

  get appliedIndex(): number {
    return this.state.appliedIndex;
  }

  get revision(): number {
    return this.state.revision;
  }

  get compactRevision(): number {
    return this.state.compactRevision;
  }

  /** Keys in the index (live or with history not yet compacted). */
  get indexedKeys(): number {
    return this.state.index.size;
  }

  /** The replicated auth state (users, roles, enabled, auth revision), read-only; changes by applying `auth` commands. */
  get auth(): AuthView {
    return this.state.auth;
  }

  /** The replicated member metadata (names, URLs, learner flags), read-only; changes by applying `member` commands. */
  get members(): MemberView {
    return this.state.members;
  }

  /**
   * Empties the member table outside the log. Only for seeding the members of
   * a new cluster from a backup (the same on each of them), where the old
   * cluster's members mean nothing; each new member then publishes itself.
   */
  clearMembers(): Promise<void> {
    return this.serial(async () => {
      const batch = new Batch();
      this.state.members.clear(batch);
      await this.state.gen.batch(batch.ops);
    });
  }

  /**
   * Leaves only member `id`'s record, as a voter (its name and URLs kept),
   * outside the log. Only for forcing a new one-voter cluster from a member's
   * data: the other members are gone, and `member list` must not name them.
   */
  keepOnlyMember(id: number): Promise<void> {
    return this.serial(async () => {
      const batch = new Batch();
      const own = this.state.members.get(id);
      this.state.members.clear(batch);
      if (own !== undefined)
        this.state.members.apply({ ...own, kind: 'set', isLearner: false }, batch);
      await this.state.gen.batch(batch.ops);
    });
  }

  /**
   * A hash of the MVCC history up to `revision` (0: the current revision),
   * the same on every member at the same applied state (see hash.ts). Rejects
   * with FutureRevisionError or CompactedError like a read at that revision.
   */
  async hashKv(revision = 0): Promise<KvHash> {
    if (!Number.isSafeInteger(revision) || revision < 0)
      throw new InvalidRequestError('hashKv: revision must be a non-negative safe integer');
    // The iterator is opened inside the queue (no batch mid-write) and read outside it.
    const start = await this.serial(async () => {
      const at = { revision: this.state.revision, compactRevision: this.state.compactRevision };
      const hashRevision = hashRevisionOf(revision, at);
      return { ...at, hashRevision, it: openHashIterator(this.state.gen, hashRevision) };
    });
    const hash = await hashRecords(start.it, this.limits.readPageKeys);
    return {
      hash,
      hashRevision: start.hashRevision,
      compactRevision: start.compactRevision,
      revision: start.revision,
    };
  }

  get watcherCount(): number {
    return this.hub.size;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.failure)
        throw new KvWriteFailedError(
          `kv state machine is unusable after a failed write (${this.failure.message}); reopen it`,
        );
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies committed entries in order and persists them, with the new
   * applied index, in one atomic write. Indexes must increase and be above
   * `appliedIndex`. Returns one result per entry; a bad command is an error
   * result, never a rejection. Rejects only if storage fails, after which
   * the instance refuses further work (memory is ahead of disk): reopen it.
   * With `answerBeforeWrite` it resolves before the write (see KvOptions).
   */
  applyEntries(entries: readonly EntryInput[]): Promise<ApplyResult[]> {
    if (entries.length === 0) return Promise.resolve([]);
    if (!this.answerBeforeWrite) return this.serial(() => this.applyAndWrite(entries, undefined));
    // The answer leaves once the batch is applied in memory; the queue moves on after the write.
    return new Promise((resolve, reject) => {
      this.serial(() => this.applyAndWrite(entries, resolve)).catch(reject);
    });
  }

  /**
   * Applies `entries` into one batch and writes it; `answer`, if given, gets the results as soon
   * as the batch is applied in memory (a failure after that surfaces at the next call).
   */
  private async applyAndWrite(
    entries: readonly EntryInput[],
    answer: ((results: ApplyResult[]) => void) | undefined,
  ): Promise<ApplyResult[]> {
    const state = this.state;
    let last = state.appliedIndex;
    for (const entry of entries) {
      if (!Number.isSafeInteger(entry.index) || entry.index <= last) {
        throw new RangeError(
          `entry index ${entry.index} is not above the applied index ${last}; apply each committed entry once, in order`,
        );
      }
      last = entry.index;
    }
    const batch = new Batch();
    const events: RawEvent[] = [];
    const eventPrevKv = this.hub.wantsPrevKv();
    const ctx = { batch, view: new ReadView(state, batch, undefined), events, eventPrevKv };
    const results: ApplyResult[] = [];
    state.batch = batch;
    try {
      for (const entry of entries) {
        const result = this.applier.apply(entry.index, entry.data, ctx);
        // Most entries apply synchronously: awaiting a plain value would still cost a microtask each.
        results.push(result instanceof Promise ? await result : result);
      }
      batch.put(META_KEY, encodeMeta(state));
      answer?.(results);
      await state.gen.batch(batch.ops);
    } catch (err) {
      this.failure = err as Error;
      throw err;
    } finally {
      state.batch = undefined;
    }
    this.hub.publish(events, state.revision, eventPrevKv);
    return results;
  }

  /** Resolves once every apply queued so far is written (or has failed). */
  written(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** A local (serializable) read of the applied state. Rejects with a KvError for bad input or revisions. */
  async range(request: RangeRequest): Promise<RangeResponse> {
    const req = validateRange(request, this.limits);
    if (req instanceof KvError) throw req;
    const view = this.state.openRead();
    try {
      return await range(this.state, view, req);
    } finally {
      await view.close();
    }
  }

  watch(request: WatchRequest): Watcher {
    const check = validateRange({ key: request.key, rangeEnd: request.rangeEnd }, this.limits);
    if (check instanceof KvError) throw check;
    const start = request.startRevision ?? 0;
    if (!Number.isSafeInteger(start) || start < 0)
      throw new InvalidRequestError('startRevision must be a non-negative safe integer');
    return this.hub.watch({
      ...request,
      key: check.key,
      ...(check.rangeEnd ? { rangeEnd: check.rangeEnd } : {}),
    });
  }

  /** Every watcher gets a progress notification once it has caught up. */
  requestProgress(): void {
    this.hub.requestProgress();
  }

  /** Call periodically (the node's timer): idle progressNotify watchers get a progress notification. */
  progressTick(): void {
    this.hub.progressTick();
  }

  /** Counts lease grants and revocations (expiries too) applied; starts again from 0 after open or restore. */
  get leaseChanges(): number {
    return this.state.leaseChanges;
  }

  leaseList(): LeaseStatus[] {
    return [...this.state.leases.values()]
      .map((l) => ({ id: l.id, ttl: l.ttl }))
      .sort((a, b) => a.id - b.id);
  }

  /** Replicated facts about a lease; the remaining time is the leader's (LeaseTracker.remainingMs). */
  leaseTimeToLive(id: number, withKeys = false): LeaseTimeToLiveResponse {
    const lease = this.state.leases.get(id);
    if (!lease) throw LeaseNotFoundError.of(id);
    const keys = withKeys ? [...lease.keys].sort().map(fromKeyStr) : [];
    return {
      header: { revision: this.state.revision },
      id,
      grantedTtl: lease.ttl,
      checkpointTtl: lease.checkpointTtl,
      keys,
    };
  }

  /** A consistent snapshot at one applied index; applies may continue while it streams. */
  snapshot(): Promise<KvSnapshot> {
    // Taken inside the queue so no batch is mid-write when the iterator opens.
    return this.serial(() =>
      openSnapshot(this.state.gen, this.limits.snapshotChunkBytes, this.limits.readPageKeys),
    );
  }

  /**
   * Replaces the whole state with a snapshot stream. Watchers are cancelled
   * (history may have jumped). A corrupt stream rejects with
   * SnapshotCorruptError and leaves the current state untouched.
   */
  restore(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    return this.serial(async () => {
      const next = this.generation + 1;
      const gen = genLevel(this.level, next);
      await gen.clear();
      let header;
      try {
        header = await readSnapshot(chunks, (entries) =>
          gen.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value }))),
        );
      } catch (err) {
        await gen.clear();
        throw err;
      }
      const { state, clients, clientFloor } = await loadState(gen, this.limits);
      if (
        state.appliedIndex !== header.appliedIndex ||
        state.revision !== header.revision ||
        state.compactRevision !== header.compactRevision
      ) {
        await gen.clear();
        throw SnapshotCorruptError.of('header does not match the state it carries');
      }
      await this.pointer.put('current', String(next));
      const old = this.state.gen;
      this.generation = next;
      this.hub.cancelAll(
        `state replaced by a snapshot at revision ${state.revision}; watch again (history before revision ${state.compactRevision + 1} may be gone)`,
      );
      const table = new ClientTable(this.limits);
      table.load(clients, clientFloor);
      this.state = state;
      this.applier = new Applier(state, table);
      this.hub = new WatchHub(state);
      await old.clear();
    });
  }

  /** Cancels watchers and waits for queued work; the level stays open (it is the caller's). */
  async close(): Promise<void> {
    this.hub.cancelAll('kv state machine closed');
    await this.queue;
  }
}

function genLevel(level: KvLevel, generation: number): GenLevel {
  return level.sublevel<Uint8Array, Uint8Array>(`g${generation}`, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  }) as unknown as GenLevel;
}
