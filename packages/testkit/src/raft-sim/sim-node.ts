// One simulated member: a RawNode driven through its Ready/advance loop in
// virtual time, on a MemoryStorage (durable only once synced) and a
// MemoryNetwork transport. A Ready's write completes after a modelled delay:
// the leader's early appends go out at once, acknowledgements only when the
// write is durable, and a crash in between loses the unsynced write.
import {
  RawNode,
  seededRng,
  randomInt,
  type ConfState,
  type Message,
  type NodeId,
  type ProposeResult,
  type Ready,
  type Rng,
  type Snapshot,
} from '@flotilla/raft';
import { MemoryStorage, type PersistBatch } from '@flotilla/storage';
import type {
  MemoryNetwork,
  MemoryTransport,
  TimerHandle,
  VirtualClock,
} from '@flotilla/transport';
import { chainNext, entryKey } from './entry-key.js';
import { SimulationError } from './errors.js';
import type { RaftInvariantChecker } from './invariants.js';
import { LogMirror } from './log-mirror.js';
import { deriveSeed, type ResolvedSimOptions } from './options.js';
import {
  decodeChainState,
  EMPTY_CHAIN_STATE,
  encodeChainState,
  type ChainState,
} from './state-machine.js';

/** A proposal that the proposer's own node applied at the index and term it was given. */
export interface Acknowledged {
  readonly node: NodeId;
  readonly index: number;
  readonly term: number;
  readonly key: string;
}

/** What a node shares with the rest of the simulation. */
export interface NodeEnv {
  readonly clock: VirtualClock;
  readonly network: MemoryNetwork;
  readonly checker: RaftInvariantChecker;
  readonly options: ResolvedSimOptions;
  readonly bootstrap: ConfState;
  /** Registers storage I/O; the run loop awaits it before the next event (so a crash never splits it). */
  track(io: Promise<unknown>): void;
  acknowledge(a: Acknowledged): void;
  /** Counts of what the run exercised. */
  readonly stats: SimStats;
  /** Folds a delivered message into the run's trace digest (for determinism checks). */
  traceDelivery(to: NodeId, m: Message): void;
}

/** What a run exercised: evidence that a schedule reached the code paths it was meant to. */
export interface SimStats {
  crashes: number;
  /** Crashes that lost at least one unsynced write batch. */
  crashesLosingWrites: number;
  restarts: number;
  snapshotsSent: number;
  snapshotsInstalled: number;
  compactions: number;
  confChangesApplied: number;
  readStates: number;
  /** Ready writes whose durable point came after the leader's early messages went out. */
  earlyMessages: number;
}

export function emptyStats(): SimStats {
  return {
    crashes: 0,
    crashesLosingWrites: 0,
    restarts: 0,
    snapshotsSent: 0,
    snapshotsInstalled: 0,
    compactions: 0,
    confChangesApplied: 0,
    readStates: 0,
    earlyMessages: 0,
  };
}

interface PendingWrite {
  readonly rd: Ready;
  readonly timer: TimerHandle;
}

const encoder = new TextEncoder();
/** Snapshots a node keeps (the MemoryStorage default retention). */
const SNAPSHOTS_KEPT = 2;

export class SimNode {
  /** Bumped on every restart. */
  incarnation = 0;
  raw: RawNode | undefined;
  storage = new MemoryStorage();
  readonly mirror = new LogMirror();
  private sm: ChainState = EMPTY_CHAIN_STATE;
  /**
   * The newest snapshots, as the snapshot store keeps them (by index): what a
   * driver reads to fill in a snapshot message. A message queued before a
   * compaction may still ask for the previous one.
   */
  private snapshots: Snapshot[] = [];
  private transport: MemoryTransport | undefined;
  private pending: PendingWrite | undefined;
  private tickTimer: TimerHandle | undefined;
  /** This incarnation's accepted proposals: index → term. */
  private readonly proposals = new Map<number, number>();
  private leaderCheckedTerm = -1;
  private readonly diskRng: Rng;
  /** This node's disk: a write becomes durable 0..this many ms after it is issued. */
  persistDelayMsMax: number;

  constructor(
    readonly id: NodeId,
    private readonly env: NodeEnv,
  ) {
    this.diskRng = seededRng(deriveSeed(env.options.seed, id, 1));
    this.persistDelayMsMax = env.options.persistDelayMsMax;
  }

  get isUp(): boolean {
    return this.raw !== undefined;
  }

  get appliedIndex(): number {
    return this.sm.index;
  }

  /** Starts a brand-new member: empty storage, the cluster's bootstrap configuration. */
  startFresh(): void {
    this.env.checker.observeStateMachineReset(this.id, this.incarnation, 0, this.sm.chain);
    this.boot({
      hardState: { term: 0, vote: 0, commit: 0 },
      confState: this.env.bootstrap,
      entries: [],
    });
  }

  /** Crashes the process: volatile state and unsynced writes are lost (some unsynced batches may survive). */
  crash(tearLastUnsynced: boolean): void {
    if (this.raw === undefined) return;
    const { clock } = this.env;
    if (this.tickTimer !== undefined) clock.clearTimer(this.tickTimer);
    if (this.pending !== undefined) clock.clearTimer(this.pending.timer);
    this.tickTimer = undefined;
    this.pending = undefined;
    this.raw = undefined;
    void this.transport?.close();
    this.transport = undefined;
    this.proposals.clear();
    this.env.stats.crashes++;
    if (this.storage.unsyncedBatchCount > 0) this.env.stats.crashesLosingWrites++;
    this.storage = this.storage.crash({ rng: this.diskRng, tearLastUnsynced });
  }

  /** Restarts from what storage kept, as a real driver does: load, pick the snapshot, boot the core. */
  async restart(): Promise<void> {
    if (this.raw !== undefined)
      throw new SimulationError(`node ${this.id} is running; crash it before restarting`);
    this.incarnation++;
    this.env.stats.restarts++;
    const stored = await this.storage.load();
    const loaded = this.env.options.injection.afterLoad?.(this.id, stored) ?? stored;
    const meta = loaded.snapshotMeta;
    this.sm = EMPTY_CHAIN_STATE;
    this.snapshots = [];
    if (meta !== undefined && meta.index > 0) {
      const snap = await this.openSnapshotAt(meta.index);
      this.sm = decodeChainState(snap);
      this.keepSnapshot({ meta, data: snap });
    }
    this.env.checker.observeStateMachineReset(
      this.id,
      this.incarnation,
      this.sm.index,
      this.sm.chain,
    );
    this.mirror.reset(meta ?? { index: 0, term: 0, confState: this.env.bootstrap });
    this.env.checker.observeAppend(this.id, this.mirror.append(loaded.entries), loaded.entries);
    this.boot({
      hardState: loaded.hardState,
      confState: meta?.confState ?? this.env.bootstrap,
      entries: loaded.entries,
      ...(meta === undefined ? {} : { snapshotMeta: meta, applied: this.sm.index }),
    });
  }

  /**
   * The snapshot file matching the log's compaction point. A newer one can be
   * left by a crash between writing a received snapshot and recording it in
   * the log: it was never installed, so it is deleted.
   */
  private async openSnapshotAt(index: number): Promise<Uint8Array> {
    const store = this.storage.snapshots;
    for (;;) {
      const latest = await store.openLatest();
      if (latest === undefined || latest.meta.index < index) {
        throw new SimulationError(
          `node ${this.id}: no stored snapshot at the compaction point ${index}`,
        );
      }
      if (latest.meta.index === index) return latest.read();
      await store.delete(latest.name);
    }
  }

  private boot(initial: ConstructorParameters<typeof RawNode>[0]['initial']): void {
    const o = this.env.options;
    this.raw = new RawNode({
      id: this.id,
      rng: seededRng(deriveSeed(o.seed, this.id, 2, this.incarnation)),
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      maxInflightMsgs: o.maxInflightMsgs,
      maxMsgBytes: o.maxMsgBytes,
      initial,
    });
    this.leaderCheckedTerm = -1;
    this.transport = this.env.network.transport(this.id);
    this.transport.onMessage((messages) => this.receive(messages));
    // Nodes tick out of phase, as real processes do.
    this.armTick(randomInt(this.diskRng, 1, o.tickMs));
    this.after();
  }

  private armTick(delayMs: number): void {
    this.tickTimer = this.env.clock.setTimer(delayMs, () => {
      this.raw?.tick();
      this.after();
      this.armTick(this.env.options.tickMs);
    });
  }

  private receive(messages: readonly Message[]): void {
    const raw = this.raw;
    if (raw === undefined) return;
    for (const m of messages) {
      this.env.traceDelivery(this.id, m);
      raw.step(m);
    }
    this.after();
  }

  propose(data: string): ProposeResult | undefined {
    const raw = this.raw;
    if (raw === undefined) return undefined;
    const res = raw.propose(encoder.encode(data));
    if (res.ok) this.proposals.set(res.index, res.term);
    this.after();
    return res;
  }

  /** Runs `fn` on the core (a conf change, a transfer, a read) and then the driver loop. */
  with<T>(fn: (raw: RawNode) => T): T | undefined {
    const raw = this.raw;
    if (raw === undefined) return undefined;
    const out = fn(raw);
    this.after();
    return out;
  }

  /** After any input: check the invariants on the new state, then hand out a Ready if the disk is free. */
  private after(): void {
    this.observe();
    this.pump();
  }

  private observe(): void {
    const raw = this.raw;
    if (raw === undefined) return;
    const st = raw.status();
    const term = st.hardState.term;
    this.env.checker.observeState({
      node: this.id,
      incarnation: this.incarnation,
      term,
      role: st.softState.role,
      commit: st.hardState.commit,
    });
    // The mirror holds the whole log once it ends with the leader's own entry (its no-op at least).
    if (
      st.softState.role === 'leader' &&
      this.leaderCheckedTerm !== term &&
      this.mirror.lastIndex === st.lastIndex &&
      this.mirror.term(st.lastIndex) === term
    ) {
      this.leaderCheckedTerm = term;
      this.env.checker.checkLeaderLog(this.id, term, this.mirror);
    }
  }

  private pump(): void {
    const raw = this.raw;
    if (raw === undefined || this.pending !== undefined || !raw.hasReady()) return;
    const rd = raw.ready();
    if (rd.earlyMessages.length > 0 && rd.mustSync) this.env.stats.earlyMessages++;
    this.send(rd.earlyMessages);
    this.write(rd);
    if (this.env.options.injection.ackBeforePersist === true) this.send(rd.messages);
    const delayMs = rd.mustSync ? randomInt(this.diskRng, 0, this.persistDelayMsMax) : 0;
    const timer = this.env.clock.setTimer(delayMs, () => this.env.track(this.completeWrite(rd)));
    this.pending = { rd, timer };
  }

  /** Issues the Ready's write (not yet durable) and mirrors it for the checker. */
  private write(rd: Ready): void {
    const { checker } = this.env;
    if (rd.snapshot !== undefined) this.mirror.reset(rd.snapshot.meta);
    if (rd.entries.length > 0)
      checker.observeAppend(this.id, this.mirror.append(rd.entries), rd.entries);
    if (rd.snapshot === undefined && rd.entries.length === 0 && rd.hardState === undefined) return;
    const batch: PersistBatch = {
      snapshotMeta: rd.snapshot?.meta,
      entries: rd.entries,
      hardState: rd.hardState,
    };
    const storage = this.storage;
    const snap = rd.snapshot;
    // A received snapshot's data is stored first, then recorded in the log.
    const io =
      snap === undefined
        ? storage.persist(batch, { sync: false })
        : storage.snapshots
            .create(snap.meta, snap.data)
            .then(() => storage.persist(batch, { sync: false }));
    this.env.track(io);
  }

  private async completeWrite(rd: Ready): Promise<void> {
    if (rd.mustSync) await this.storage.sync();
    const raw = this.raw;
    if (raw === undefined || this.pending?.rd !== rd) return;
    this.pending = undefined;
    if (this.env.options.injection.ackBeforePersist !== true) this.send(rd.messages);
    this.apply(rd, raw.status().hardState.term);
    raw.advance(rd);
    if (this.sm.index - this.mirror.snapIndex >= this.env.options.snapshotEveryEntries)
      await this.compact(raw);
    this.after();
  }

  private apply(rd: Ready, term: number): void {
    const { checker } = this.env;
    if (rd.snapshot !== undefined) {
      this.sm = decodeChainState(rd.snapshot.data);
      this.keepSnapshot(rd.snapshot);
      this.env.stats.snapshotsInstalled++;
      checker.observeStateMachineReset(this.id, this.incarnation, this.sm.index, this.sm.chain);
      for (const index of this.proposals.keys())
        if (index <= this.sm.index) this.proposals.delete(index);
    }
    for (const e of rd.committedEntries) {
      checker.observeApply(this.id, this.incarnation, term, e);
      const key = entryKey(e);
      if (e.type === 'confChange') this.env.stats.confChangesApplied++;
      this.sm = { index: e.index, chain: chainNext(this.sm.chain, key) };
      const proposedTerm = this.proposals.get(e.index);
      if (proposedTerm === undefined) continue;
      this.proposals.delete(e.index);
      if (proposedTerm === e.term)
        this.env.acknowledge({ node: this.id, index: e.index, term: e.term, key });
    }
    this.env.stats.readStates += rd.readStates.length;
    for (const rs of rd.readStates) checker.observeReadState(this.id, rs.context, rs.index);
  }

  /** Snapshots the state machine at the applied index, stores it, then compacts the log (core and storage). */
  private async compact(raw: RawNode): Promise<void> {
    // A snapshot received while this Ready was written may have moved the core's
    // compaction point past our applied index: compact() then returns undefined
    // (our older state must not be stored). Its install comes next.
    const meta = raw.compact(this.sm.index);
    if (meta === undefined) return;
    if (meta.index !== this.sm.index) {
      throw new SimulationError(
        `node ${this.id}: compact(${this.sm.index}) returned the meta of ${meta.index}`,
      );
    }
    const data = encodeChainState(this.sm);
    this.keepSnapshot({ meta, data });
    this.env.stats.compactions++;
    this.mirror.compact(meta);
    await this.storage.snapshots.create(meta, data);
    await this.storage.log.compact(meta);
  }

  private keepSnapshot(snap: Snapshot): void {
    this.snapshots = [
      ...this.snapshots.filter((s) => s.meta.index !== snap.meta.index),
      snap,
    ].slice(-SNAPSHOTS_KEPT);
  }

  private send(messages: readonly Message[]): void {
    const transport = this.transport;
    const raw = this.raw;
    if (transport === undefined || raw === undefined || messages.length === 0) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const out = m.type === 'snapshot' ? this.withSnapshotData(m, raw) : m;
      if (out === undefined) continue;
      const list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, [out]);
      else list.push(out);
    }
    for (const [to, list] of byPeer) transport.send(to, list);
  }

  private withSnapshotData(
    m: Extract<Message, { type: 'snapshot' }>,
    raw: RawNode,
  ): Message | undefined {
    const snap = this.snapshots.find((s) => s.meta.index === m.snapshot.meta.index);
    // Handed to the transport: the message is out (the network may still lose it).
    // A snapshot already pruned cannot be sent: the leader retries with a newer one.
    raw.reportSnapshot(m.to, snap !== undefined);
    if (snap !== undefined) this.env.stats.snapshotsSent++;
    return snap === undefined
      ? undefined
      : { ...m, snapshot: { meta: m.snapshot.meta, data: snap.data } };
  }
}
