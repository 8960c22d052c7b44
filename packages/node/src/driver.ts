// The driver loop: one loop around the pure Raft core.
//
//   wait for input → step messages, ticks, proposals, read requests
//   → ready() → send the leader's appends at once (earlyMessages)
//   → persist snapshot + entries + hard state in ONE write (synced when the core says so)
//   → send the other messages → install a snapshot / apply committed entries
//   → release reads → advance()
//
// Inputs that arrive while a batch is being written wait in bounded queues and
// go into the next batch together: that is group commit. Nothing here reads a
// clock or a random source except the injected Clock (and the core's Rng), and
// every wait is on a promise, so a run on a VirtualClock is deterministic.
//
// The loop and its state (the core's state as CoreState, the input queues,
// the Ready handling) are here; each other responsibility is a module the loop
// tells what happened: ReadLease (read-lease.ts), SnapshotSchedule
// (snapshot-schedule.ts), ApplyReporter (apply-reporter.ts), ProposalIntake
// (proposal-intake.ts), KvLeaseClocks (kv-lease-clocks.ts), NodeChannel
// (node-channel.ts), TickTimer (tick-timer.ts). The node sees the driver as a
// DriverView (driver-view.ts). docs/architecture.md, "The driver's shape".
import type { KvStateMachine } from '@flotilla/kv';
import {
  NONE,
  NotLeaderError,
  ReadIndexRefusedError,
  type Entry,
  type Message,
  type NodeId,
  type RawNode,
  type Ready,
  type Role,
  type SnapshotMeta,
  type SoftState,
} from '@flotilla/raft';
import type { PersistBatch, SnapshotStore, Storage } from '@flotilla/storage';
import type { Clock, Transport } from '@flotilla/transport';
import { AppliedWaits } from './applied-waits.js';
import { ApplyReporter } from './apply-reporter.js';
import { CoreState } from './core-view.js';
import {
  invariant,
  LeaderChangedError,
  NodeClosedError,
  TooManyRequestsError,
  UnknownOutcomeError,
} from './errors.js';
import type { DriverView, ServeRequest } from './driver-view.js';
import type { Emitter } from './events.js';
import type { Forwarder } from './forwarder.js';
import { KvLeaseClocks } from './kv-lease-clocks.js';
import { NodeMetrics } from './metrics.js';
import { NodeChannel } from './node-channel.js';
import type { ResolvedOptions } from './options.js';
import { ProposalIntake, type Proposal } from './proposal-intake.js';
import { ReadLease } from './read-lease.js';
import { Reads, type PendingRead } from './reads.js';
import { Signal } from './signal.js';
import { snapshotFrameBytesMax, unframeChunks } from './snapshot-framing.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import { SnapshotSchedule } from './snapshot-schedule.js';
import { SnapshotSender } from './snapshot-sender.js';
import { TickTimer } from './tick-timer.js';
import { Waiters } from './waiters.js';
import type { ForwardOp } from './wire.js';

const EMPTY = new Uint8Array(0);

export interface DriverParams {
  readonly id: NodeId;
  readonly raw: RawNode;
  readonly storage: Storage;
  readonly snapshots: SnapshotStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly kv: KvStateMachine;
  readonly options: ResolvedOptions;
  readonly events: Emitter;
  /** Term of the entry at the applied index (the snapshot's term if none). */
  readonly appliedTerm: number;
  /** The compaction point of the stored log. */
  readonly compactedIndex: number;
  /**
   * Differs between restarts of this node (a random number, never from the
   * seed): forwarded requests, their answers and read-index contexts carry it.
   */
  readonly incarnation: number;
  /**
   * Runs a request forwarded to this node as the leader: the node's own server, given once here
   * (a function that closes over the node, which builds its driver; see InlineNode).
   */
  readonly serveRequest: ServeRequest;
  /**
   * The loop threw while running (a storage write or the state machine failed,
   * an invariant broke): the node must stop (see InlineNode). Never called for
   * a failure after stop() began; stop() rethrows that one.
   */
  readonly onFailed: (err: unknown) => void;
}

export class Driver implements DriverView {
  readonly metrics: NodeMetrics;
  /** The leader's kv lease clocks; the node renews leases and reads TTLs through it. */
  readonly leaseClocks: KvLeaseClocks;
  private readonly id: NodeId;
  private readonly raw: RawNode;
  private readonly p: DriverParams;
  private readonly o: ResolvedOptions;
  private readonly signal = new Signal();
  private readonly waiters = new Waiters();
  private readonly reads: Reads;
  private readonly channel: NodeChannel;
  /** Requests forwarded to the leader (the node channel's). */
  private readonly forwarder: Forwarder;
  private readonly sender: SnapshotSender;
  private readonly receiver: SnapshotReceiver;

  // Inputs, drained between Raft batches.
  /** Messages with the clock time they arrived (see stepInTimeOrder). */
  private inbox: { readonly m: Message; readonly atMs: number }[] = [];
  private controls: (() => void)[] = [];
  /** Queues ticks with the time each fell due (see TickTimer). */
  private readonly ticks: TickTimer;

  /** What the driver knows of the core, updated from each Ready: written only here, read by the rest. */
  private readonly s: CoreState;
  private readonly lease: ReadLease;
  private readonly schedule: SnapshotSchedule;
  private readonly reporter: ApplyReporter;
  private readonly intake: ProposalIntake;
  /** Forwarded writes answered by the leader, waiting for this node's own apply. */
  private readonly appliedWaits: AppliedWaits;
  private readonly unreachable = new Set<NodeId>();

  private stopped = false;
  /** Stopped as if the process died: nothing more leaves this node. */
  private crashed = false;
  /** inLoop requests not yet run: failed on stop. */
  private readonly controlRejects = new Set<(err: Error) => void>();
  private loop: Promise<void> | undefined;

  constructor(params: DriverParams) {
    this.p = params;
    this.o = params.options;
    this.id = params.id;
    this.raw = params.raw;
    const now = params.clock.now();
    this.ticks = new TickTimer(params.clock, this.o.tickMs, () => this.signal.notify());
    this.metrics = new NodeMetrics(params.id, now);
    this.reads = new Reads(
      this.o.readTimeoutMs,
      params.incarnation,
      this.o.unsafeTestFaults.ignoreIncarnation === true,
    );
    const st = this.raw.status();
    this.s = new CoreState({
      term: st.hardState.term,
      commitIndex: st.hardState.commit,
      appliedIndex: st.applied,
      appliedTerm: params.appliedTerm,
      appliedAtMs: now,
    });
    this.lease = new ReadLease({
      clock: params.clock,
      core: this.s,
      options: this.o,
      leadTransferee: () => this.raw.status().leadTransferee,
    });
    this.reporter = new ApplyReporter({
      core: this.s,
      kv: params.kv,
      options: this.o,
      sendApplied: (to, index, ageMs) => this.channel.send(to, { k: 'applied', index, ageMs }),
      nowMs: now,
    });
    this.schedule = new SnapshotSchedule({
      raw: this.raw,
      core: this.s,
      kv: params.kv,
      snapshots: params.snapshots,
      storage: params.storage,
      clock: params.clock,
      metrics: this.metrics,
      events: params.events,
      options: this.o,
      control: (fn) => this.control(fn),
      compactedIndex: params.compactedIndex,
    });
    this.channel = new NodeChannel({
      id: params.id,
      transport: params.transport,
      clock: params.clock,
      core: this.s,
      metrics: this.metrics,
      options: this.o,
      incarnation: params.incarnation,
      serveRequest: params.serveRequest,
      isStopped: () => this.stopped,
      isCrashed: () => this.crashed,
      onSnap: (from, body) => this.receiver.chunk(from, body),
      onSnapAck: (from, body) => this.sender.acked(from, body.xfer, body.seq, body.ok, body.done),
    });
    this.forwarder = this.channel.forwarder;
    // Bounded by an election timeout: longer, and this member has lost touch with the leader.
    this.appliedWaits = new AppliedWaits(
      params.clock,
      () => this.s.appliedIndex,
      this.o.electionTicks * this.o.tickMs,
    );
    this.intake = new ProposalIntake({
      id: params.id,
      raw: this.raw,
      clock: params.clock,
      waiters: this.waiters,
      forwarder: this.forwarder,
      metrics: this.metrics,
      options: this.o,
      wake: () => this.signal.notify(),
      appliedReached: (index) => this.appliedWaits.reach(index),
    });
    this.leaseClocks = new KvLeaseClocks({
      kv: params.kv,
      core: this.s,
      options: this.o,
      propose: (p) => this.intake.proposeOwn(p),
    });
    this.sender = new SnapshotSender({
      clock: params.clock,
      snapshots: params.snapshots,
      send: (to, body) => {
        if (body.k === 'snap' && body.seq === 0) this.metrics.snapshotsSent++;
        this.channel.send(to, body);
      },
      report: (to, ok) => this.control(() => this.raw.reportSnapshot(to, ok)),
      chunkBytes: this.o.snapshotChunkBytes,
      windowChunks: this.o.snapshotWindowChunks,
      timeoutMs: this.o.snapshotTimeoutMs,
    });
    this.receiver = new SnapshotReceiver({
      snapshots: params.snapshots,
      send: (to, body) => this.channel.send(to, body),
      stored: (from, term, meta) =>
        this.deliver({
          type: 'snapshot',
          from,
          to: this.id,
          term,
          snapshot: { meta, data: EMPTY },
        }),
      now: () => params.clock.now(),
      bytesMax: this.o.snapshotBytesMax,
      queueBytesMax: 2 * this.o.snapshotWindowChunks * this.o.snapshotChunkBytes,
      timeoutMs: this.o.snapshotTimeoutMs,
    });
  }

  // ---- lifecycle ---------------------------------------------------------

  start(): void {
    invariant(this.loop === undefined, 'driver started twice');
    const t = this.p.transport;
    t.onMessage((messages) => {
      for (const m of messages) this.deliver(m);
    });
    t.onNodeMessage((messages, from) => this.channel.receive(messages, from));
    t.onDrop((e) => {
      // Like a broken connection: stop pipelining to that peer and probe (the core's reportUnreachable).
      if (e.direction === 'out' && (e.reason === 'peerDown' || e.reason === 'queueFull'))
        this.unreachable.add(e.peer);
    });
    this.ticks.start();
    this.loop = this.run().catch((err: unknown) => this.loopFailed(err));
  }

  /** The loop threw: the node stops itself (onFailed), unless a stop already began, which rethrows it. */
  private loopFailed(err: unknown): void {
    if (this.stopped) throw err;
    this.p.onFailed(err);
  }

  get role(): Role {
    return this.s.role;
  }

  get leader(): NodeId {
    return this.s.leader;
  }

  get term(): number {
    return this.s.term;
  }

  get commitIndex(): number {
    return this.s.commitIndex;
  }

  get appliedIndex(): number {
    return this.s.appliedIndex;
  }

  get forwardToLeader(): boolean {
    return this.o.forwardToLeader;
  }

  /**
   * Stops the loop. `graceful`: the batch being written completes (its
   * acknowledgements are sent); otherwise nothing more leaves this node.
   * Everything still waiting fails: queued requests with NodeClosedError,
   * proposals already in the log with UnknownOutcomeError; or all of them
   * with `failure`, when the node stops because it failed.
   */
  async stop(graceful: boolean, failure?: Error): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.crashed = !graceful;
    this.ticks.stop();
    this.sender.stop();
    this.receiver.abort('node stopping');
    this.signal.notify();
    if (!graceful) await this.p.transport.close();
    await this.loop;
    // A stopped node leads no one and follows no one (status() says so, as a worker node's does).
    this.s.role = 'follower';
    this.s.leader = NONE;
    if (graceful) await this.p.transport.close();
    await this.schedule.idle();
    const closed = (op: string) => failure ?? new NodeClosedError(op);
    this.appliedWaits.releaseAll();
    this.intake.failAll(() => closed('propose'));
    this.waiters.failAll(
      () =>
        failure ??
        new UnknownOutcomeError(
          graceful
            ? 'the node was closed before the entry was seen applied'
            : 'the node crashed before the entry was seen applied',
        ),
    );
    this.reads.failAll(() => closed('read'));
    for (const reject of this.controlRejects) reject(closed('request'));
    this.controlRejects.clear();
    this.controls = [];
    this.forwarder.failAll(
      (op, sent) =>
        failure ??
        (sent && (op === 'propose' || op === 'confChange')
          ? new UnknownOutcomeError('the node was closed while the leader had the request')
          : new NodeClosedError(op)),
    );
  }

  // ---- inputs --------------------------------------------------------------

  private deliver(m: Message): void {
    if (this.stopped) return;
    if (this.inbox.length >= this.o.inboxMessagesMax) return; // Raft retransmits what is lost here.
    this.inbox.push({ m, atMs: this.p.clock.now() });
    this.signal.notify();
  }

  /** Runs `fn` between Raft batches (the core is never touched while a Ready is outstanding). */
  control(fn: () => void): void {
    if (this.stopped) return;
    this.controls.push(fn);
    this.signal.notify();
  }

  /** Queues a proposal for the next batch. */
  propose(p: Proposal): void {
    if (this.stopped) return p.reject(new NodeClosedError('propose'));
    this.intake.propose(p);
  }

  /** A linearizable read: resolves when local state may serve it. */
  readIndex(read: PendingRead): void {
    if (this.stopped) return read.reject(new NodeClosedError('read'));
    if (this.reads.size >= this.o.pendingReadsMax)
      return read.reject(new TooManyRequestsError('pendingReadsMax', this.o.pendingReadsMax));
    // A read issued before any leader is known waits for one, forwarding or not (bounded by readTimeoutMs).
    if (!this.o.forwardToLeader && this.s.role !== 'leader' && this.s.leader !== NONE)
      return read.reject(new NotLeaderError(this.s.leader, 'linearizable read'));
    this.reads.enqueue(read);
    this.signal.notify();
  }

  /** A lease read: at once on a leader whose lease holds, else a read-index round (which renews the lease). */
  leaseRead(read: PendingRead): void {
    if (this.lease.holds()) {
      if (this.reads.size >= this.o.pendingReadsMax)
        return read.reject(new TooManyRequestsError('pendingReadsMax', this.o.pendingReadsMax));
      this.reads.waitFor(this.s.commitIndex, [read]);
      this.reads.release(this.s.appliedIndex);
      return;
    }
    this.readIndex(read);
  }

  /** Sends a request to the leader over the node channel (once one is known; see Forwarder). */
  forward(req: ForwardOp): Promise<unknown> {
    if (this.stopped) return Promise.reject(new NodeClosedError(req.op));
    return this.forwarder.forward(this.s.leader, req).then((answer) => answer.value);
  }

  // ---- the loop ------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.drain();
      if (this.raw.hasReady()) {
        await this.cycle(this.raw.ready());
        continue;
      }
      if (this.hasInputs()) continue;
      await this.signal.wait();
    }
  }

  private hasInputs(): boolean {
    // Queued reads are not counted: they wait for a leader, and a tick or a message wakes the loop.
    return (
      this.inbox.length > 0 ||
      this.controls.length > 0 ||
      this.ticks.queued > 0 ||
      this.intake.queued > 0
    );
  }

  /** Feeds everything queued into the core. */
  private drain(): void {
    const now = this.p.clock.now();
    const ticked = this.stepInTimeOrder(now);
    const controls = this.controls;
    this.controls = [];
    for (const fn of controls) fn();
    for (const peer of this.unreachable) this.raw.reportUnreachable(peer);
    this.unreachable.clear();
    if (ticked) this.onTime(now);
    this.intake.proposeQueued(now);
    this.startReadRound(now);
    this.noteCommit(now);
  }

  /**
   * Messages and ticks that queued up (during a long write) go to the core in
   * the order they happened; a tick due at a message's arrival goes first.
   * Messages first would count ticks from before a heartbeat after it: a voter's
   * promise not to elect anyone else for an election timeout would end early,
   * under a leader's lease. Ticks first would have CheckQuorum miss the answers
   * that arrived during the leader's own stall and depose it. Returns whether
   * there were ticks.
   */
  private stepInTimeOrder(now: number): boolean {
    const inbox = this.inbox;
    const ticks = this.ticks.take();
    this.inbox = [];
    let i = 0;
    let t = 0;
    while (i < inbox.length || t < ticks.length) {
      if (t < ticks.length && (i === inbox.length || ticks[t]! <= inbox[i]!.atMs)) {
        this.raw.tick();
        t++;
      } else {
        const m = inbox[i++]!.m;
        this.metrics.rto.contact(m.from, now);
        this.raw.step(m);
        if (m.type === 'snapshot') this.dropIfRefused(m.snapshot.meta);
      }
    }
    return ticks.length > 0;
  }

  private startReadRound(now: number): void {
    if (this.reads.queued === 0) return;
    if (this.s.role !== 'leader' && this.s.leader === NONE) return; // wait for an election (bounded by readTimeoutMs)
    if (this.s.role !== 'leader' && !this.o.forwardToLeader) {
      this.reads.failQueued(() => new NotLeaderError(this.s.leader, 'linearizable read'));
      return;
    }
    const ctx = this.reads.startRound(now);
    if (ctx === undefined) return;
    const r = this.raw.readIndex(ctx);
    if (r.ok) return;
    if (r.error instanceof ReadIndexRefusedError)
      this.reads.fail(
        ctx,
        new TooManyRequestsError('maxPendingReads (core)', this.o.pendingReadsMax),
      );
    else this.reads.unstart(ctx); // no leader right now: the next round retries
  }

  /** Work driven by elapsed time, once per drain that saw ticks. */
  private onTime(now: number): void {
    this.waiters.sweep(now, this.o.proposalTimeoutMs);
    this.reads.sweep(now);
    this.forwarder.sweep(now);
    this.forwarder.retryWaiting(this.s.leader);
    this.receiver.sweep(now);
    if (this.s.role === 'leader') this.leaseClocks.expire(now);
    this.reporter.onTime(now);
  }

  // ---- one Raft batch ------------------------------------------------------

  private async cycle(rd: Ready): Promise<void> {
    const clock = this.p.clock;
    if (rd.softState !== undefined)
      this.onSoftState(rd.softState, rd.hardState?.term ?? this.s.term);
    if (rd.hardState !== undefined)
      this.onHardState(rd.hardState.term, rd.hardState.commit, clock.now());
    if (this.o.parallelLeaderWrite) this.send(rd.earlyMessages);
    const applying = this.applyDuringPersist(rd);
    if (this.o.unsafeTestFaults.sendBeforePersist === true) this.send(rd.messages); // TEST ONLY: the bug, acks before the write is durable
    if (this.o.unsafeTestFaults.ignoreFailedLogWrites === true)
      await this.persist(rd).catch(() => undefined); // TEST ONLY: the bug, a failed write taken for done
    else await this.persist(rd);
    if (this.crashed) {
      await applying?.catch(() => undefined);
      return;
    }
    if (!this.o.parallelLeaderWrite) this.send(rd.earlyMessages);
    if (rd.messages.some((m) => m.type === 'timeoutNow')) this.lease.block(clock.now());
    if (this.o.unsafeTestFaults.sendBeforePersist !== true) this.send(rd.messages);
    if (rd.snapshot !== undefined) await this.install(rd.snapshot.meta);
    // Waiters are told after advance(), so a caller sees a conf change already in effect.
    const settled =
      applying !== undefined
        ? await applying
        : rd.committedEntries.length > 0
          ? await this.apply(rd.committedEntries)
          : [];
    for (const rs of rd.readStates) {
      const issuedAtMs = this.reads.confirmed(rs.context, rs.index);
      if (issuedAtMs !== undefined) this.lease.renew(issuedAtMs);
    }
    for (const d of rd.droppedReads) this.reads.retry(d.context);
    this.raw.advance(rd);
    this.noteCommit(clock.now()); // the leader's own persist may have advanced it
    for (const settle of settled) settle();
    this.reads.release(this.s.appliedIndex);
    if (rd.committedEntries.length > 0 || rd.snapshot !== undefined) this.afterApply(clock.now());
  }

  /**
   * A batch that only moves the commit index (no entries, no snapshot, same
   * term and vote: not mustSync) persists an unsynced hard state; its
   * committed entries were all persisted by earlier batches. Their KV write
   * then starts together with that hard state write instead of after it,
   * saving one storage round trip per commit on the leader and on followers.
   * If the process dies between the two writes, the node reopens with its
   * commit index raised to the KV's applied index (create-node.ts).
   */
  private applyDuringPersist(rd: Ready): Promise<(() => void)[]> | undefined {
    if (
      rd.mustSync ||
      rd.entries.length > 0 ||
      rd.snapshot !== undefined ||
      rd.committedEntries.length === 0
    )
      return undefined;
    const applying = this.apply(rd.committedEntries);
    applying.catch(() => undefined); // observed by cycle(); this keeps a failure during persist from going unhandled
    return applying;
  }

  private onSoftState(ss: SoftState, term: number): void {
    const now = this.p.clock.now();
    const wasLeader = this.s.role === 'leader';
    const leaderChanged = ss.leader !== this.s.leader;
    this.s.role = ss.role;
    this.s.leader = ss.leader;
    if (leaderChanged) {
      this.metrics.rto.leaderChanged(ss.leader, term, now);
      if (ss.leader !== NONE) this.metrics.leaderChanges++;
      // Rounds in flight may never be answered: ask the new leader (a node that does not forward fails them: etcd's "leader changed").
      if (this.o.forwardToLeader || ss.role === 'leader') this.reads.retryAll();
      else this.reads.failRounds(() => new LeaderChangedError('linearizable read'));
      // Forwarded requests follow the leader: re-sent to it now, not after forwardTimeoutMs.
      this.forwarder.leaderChanged(ss.leader);
      this.reporter.leaderChanged();
    }
    if (ss.role === 'leader' && !wasLeader) {
      this.lease.becameLeader(this.raw.status().lastIndex);
      this.leaseClocks.becameLeader(now);
      this.metrics.resetLeaderState(this.s.commitIndex);
    } else if (ss.role !== 'leader' && wasLeader) {
      this.lease.steppedDown();
      this.leaseClocks.steppedDown();
      this.metrics.resetLeaderState(this.s.commitIndex);
    }
    if (leaderChanged || (ss.role === 'leader') !== wasLeader) {
      this.p.events.emit('leaderChanged', { leader: ss.leader, term, role: ss.role });
    }
  }

  private onHardState(term: number, commit: number, now: number): void {
    if (term !== this.s.term) this.lease.termChanged();
    this.s.term = term;
    // Normally noted already (noteCommit); this covers a commit in the drain that made this node leader.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,StringLiteral: state-latency bookkeeping only; noteCommit has recorded this point already (CommitTimes ignores an index at or below its last) and a follower's points are cleared when it becomes leader; instrumented, this record never took effect in the failover, metrics, state-latency, membership and restart tests
    if (commit > this.s.commitIndex && this.s.role === 'leader')
      this.metrics.commitTimes.record(commit, now);
    this.s.commitIndex = Math.max(this.s.commitIndex, commit);
  }

  /**
   * State latency starts when the leader learns an entry is committed: the
   * moment its core's commit index moves (stepping an acknowledgement in drain,
   * or counting its own persist in advance), noted here before the Ready that
   * tells the followers is taken, let alone sent. Noting it when that Ready is
   * processed would be later by the rest of the drain or a whole apply.
   */
  private noteCommit(now: number): void {
    if (this.s.role === 'leader') this.metrics.commitTimes.record(this.raw.committed, now);
  }

  private async persist(rd: Ready): Promise<void> {
    const batch: { -readonly [K in keyof PersistBatch]: PersistBatch[K] } = {};
    if (rd.snapshot !== undefined) batch.snapshotMeta = rd.snapshot.meta;
    if (rd.entries.length > 0) batch.entries = rd.entries;
    if (rd.hardState !== undefined) batch.hardState = rd.hardState;
    if (
      batch.snapshotMeta === undefined &&
      batch.entries === undefined &&
      batch.hardState === undefined
    )
      return;
    const clock = this.p.clock;
    const t0 = clock.now();
    try {
      await this.p.storage.persist(batch, { sync: rd.mustSync });
    } catch (err) {
      if (this.crashed) return; // the storage was taken away by a crash
      throw err;
    }
    if (rd.mustSync && rd.entries.length > 0) {
      this.metrics.fsync.record(clock.now() - t0);
      this.metrics.entriesPerFsync.record(rd.entries.length);
    }
  }

  /** Sends messages, one transport call per peer; snapshot messages start a chunked transfer instead. */
  private send(messages: readonly Message[]): void {
    if (messages.length === 0 || this.crashed) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      if (m.type === 'snapshot') {
        this.sender.start(m.to, m.term, m.snapshot.meta.index);
        continue;
      }
      if (m.type === 'append' && m.entries.length > 0)
        this.metrics.entriesPerMessage.record(m.entries.length);
      const list = byPeer.get(m.to);
      if (list === undefined) byPeer.set(m.to, [m]);
      else list.push(m);
    }
    for (const [to, list] of byPeer) this.p.transport.send(to, list);
  }

  /**
   * A received snapshot (stored by the receiver) was just stepped. Accepting
   * it moves the commit index to its index; one still above the commit index
   * was refused (e.g. from a deposed leader's term) and is not of our log, so
   * it is deleted. A refused one at or below the commit index is a copy of our
   * own committed state and stays (retention prunes it).
   */
  private dropIfRefused(meta: SnapshotMeta): void {
    if (meta.index <= this.raw.status().hardState.commit) return;
    const snapshots = this.p.snapshots;
    void (async () => {
      const info = (await snapshots.list()).find(
        (i) => i.meta.index === meta.index && i.meta.term === meta.term,
      );
      if (info !== undefined) await snapshots.delete(info.name);
    })().catch(() => undefined); // not fatal: a restart drops snapshots that are not of the log
  }

  /**
   * Installs a received snapshot (already verified and stored by the receiver) into the state
   * machine. It stays in the loop, not in SnapshotSchedule: it is part of handling a Ready (before
   * advance()) and moves the loop's own state (applied index, waiters, the lease tracker).
   */
  private async install(meta: SnapshotMeta): Promise<void> {
    // By exact (index, term): a newer stored snapshot may be one the core refused.
    const opened = await this.p.snapshots.open(meta.index, meta.term);
    invariant(
      opened !== undefined,
      () => `snapshot ${meta.index}/${meta.term} to install is not stored`,
    );
    await this.p.kv.restore(unframeChunks(opened.stream(), snapshotFrameBytesMax(this.p.kv)));
    this.waiters.skippedTo(meta.index);
    this.s.appliedIndex = meta.index;
    this.s.appliedTerm = meta.term;
    this.s.appliedAtMs = this.p.clock.now(); // the applied report's age starts here (else it dates from the last entry applied)
    this.schedule.installed(meta.index);
    this.leaseClocks.installed(this.p.clock.now());
    this.metrics.snapshotsInstalled++;
    this.p.events.emit('snapshot', { kind: 'installed', meta });
  }

  /** Applies entries to kv; returns the resolutions of the waiters they answer, to run after advance(). */
  private async apply(entries: readonly Entry[]): Promise<(() => void)[]> {
    const inputs = entries.map((e) => ({
      index: e.index,
      // A conf change's context (member metadata, see node.ts) is applied with it, at its index.
      data: e.type === 'normal' ? e.data : (e.change.context ?? EMPTY),
    }));
    const t0 = this.p.clock.now();
    const results = await this.p.kv.applyEntries(inputs);
    const now = this.p.clock.now();
    // The KV batch's write may finish after the answers (answerBeforeKvWrite): timed to its end.
    void this.p.kv.written().then(() => this.metrics.backendCommit.record(this.p.clock.now() - t0));
    // Stryker disable next-line BooleanLiteral: fromEarlierTerm is read only under unsafeTestFaults.leaseTrackerAddOnly (a re-introduced bug for the simulators' self-tests)
    let fromEarlierTerm = false;
    const settled: (() => void)[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.type === 'normal') this.schedule.entryApplied(e.data.byteLength);
      // Stryker disable next-line ConditionalExpression,EqualityOperator,BooleanLiteral: fromEarlierTerm is read only under unsafeTestFaults.leaseTrackerAddOnly (a re-introduced bug for the simulators' self-tests)
      if (e.term < this.s.term) fromEarlierTerm = true;
      this.metrics.rto.committedInTerm(e.term, this.s.term, now);
      const w = this.waiters.applied(e.index, e.term);
      if (w === undefined) continue;
      this.metrics.commitLatency.record(now - w.acceptedAtMs);
      const result = e.type === 'normal' ? results[i] : undefined;
      settled.push(() => w.resolve(result));
    }
    const last = entries.at(-1)!;
    this.s.appliedIndex = last.index;
    this.s.appliedTerm = last.term;
    this.s.appliedAtMs = now;
    this.leaseClocks.applied(fromEarlierTerm, now);
    return settled;
  }

  private afterApply(now: number): void {
    if (this.stopped) return;
    this.appliedWaits.advanced();
    this.p.events.emit('applied', { index: this.s.appliedIndex, revision: this.p.kv.revision });
    if (this.s.role !== 'leader') this.reporter.report(now);
    this.schedule.takeIfDue();
  }

  // ---- snapshots ------------------------------------------------------------

  /** Takes a snapshot now (see SnapshotSchedule.snapshot). Call only between batches. */
  snapshot(): Promise<SnapshotMeta> {
    return this.schedule.snapshot();
  }

  // ---- status --------------------------------------------------------------

  rawStatus(): ReturnType<RawNode['status']> {
    return this.raw.status();
  }

  /** Runs `fn` on the core between batches and resolves with its result. */
  inLoop<T>(fn: (raw: RawNode) => T): Promise<T> {
    if (this.stopped) return Promise.reject(new NodeClosedError('request'));
    return new Promise((resolve, reject) => {
      this.controlRejects.add(reject);
      this.control(() => {
        this.controlRejects.delete(reject);
        try {
          resolve(fn(this.raw));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  get snapshotIndex(): number {
    return this.schedule.snapshotIndex;
  }

  pendingCounts(): { proposals: number; reads: number; forwarded: number } {
    return {
      proposals: this.intake.pending,
      reads: this.reads.size,
      forwarded: this.forwarder.size,
    };
  }
}
