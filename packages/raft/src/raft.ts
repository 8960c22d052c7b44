// The Raft state machine: state, role transitions (only through becomeX),
// ticking, and the leader's replication machinery. Message handling per role
// lives in step*.ts; the Ready/advance protocol lives in raw-node.ts.
import { applyConfChange, normaliseConfState } from './confchange.js';
import type { ResolvedConfig, RaftConfig } from './config.js';
import { resolveConfig } from './config.js';
import { ConfigError, invariant } from './errors.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { allMembers, allVoters, committedIndex, isJoint, isVoter, voteResult } from './quorum.js';
import type { VoteResult } from './quorum.js';
import { ReadOnlyQueue } from './read-only.js';
import type { ReadRequest } from './read-only.js';
import { randomInt } from './rng.js';
import { entryBytes, totalBytes } from './sizes.js';
import type {
  ConfChange,
  ConfState,
  DroppedRead,
  Entry,
  Message,
  NodeId,
  ReadState,
  Role,
  SnapshotMeta,
} from './types.js';
import { NONE } from './types.js';

export type CampaignKind = 'preElection' | 'election' | 'transfer';

interface ConfPoint {
  readonly index: number;
  readonly confState: ConfState;
}

export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  conf: ConfState;
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Ticks left in which a restarted voter still refuses to elect anyone (cfg.leaseGuardAtRestart). */
  restartGuardTicks = 0;
  leadTransferee: NodeId = NONE;
  /** A leader proposes no conf change while applied < pendingConfIndex. */
  pendingConfIndex = 0;
  uncommittedBytes = 0;
  readonly reads = new ReadOnlyQueue();
  /** Reads received before this leader committed an entry of its term. */
  readsAwaitingCommit: ReadRequest[] = [];
  /** Leader appends and heartbeats: may be sent before the local write. */
  earlyMessages: Message[] = [];
  /** Everything else: sent only after the Ready is persisted. */
  messages: Message[] = [];
  readStates: ReadState[] = [];
  droppedReads: DroppedRead[] = [];
  /** Proposals were appended: broadcast them when the next Ready is built. */
  appendPending = false;
  /** The configuration at the compaction point, then after each applied conf change. */
  private confHistory: ConfPoint[];

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    const init = config.initial;
    const snap = init.snapshotMeta;
    const snapIndex = snap?.index ?? 0;
    const base = normaliseConfState(snap?.confState ?? init.confState);
    if (!base.ok) throw new ConfigError(`initial confState: ${base.detail}`);
    // A snapshot holds only committed state, so the compaction point is committed even when
    // the stored commit lags it (a crash can keep a snapshot install but lose its hard state).
    const commit = Math.max(init.hardState.commit, snapIndex);
    checkInitialLog(init.entries, snapIndex, commit, init.applied ?? snapIndex);
    this.log = new RaftLog(
      { index: snapIndex, term: snap?.term ?? 0 },
      init.entries,
      commit,
      init.applied ?? snapIndex,
    );
    this.term = init.hardState.term;
    this.vote = init.hardState.vote;
    this.conf = base.confState;
    this.confHistory = [{ index: snapIndex, confState: base.confState }];
    // Conf changes up to `applied` are already in effect: replay them.
    if (this.log.applied > snapIndex) {
      for (const e of this.log.slice(snapIndex + 1, this.log.applied + 1)) {
        if (e.type === 'confChange') this.applyConfEntry(e.index, e.change);
      }
    }
    this.syncProgress();
    this.becomeFollower(this.term, NONE);
    if (this.cfg.leaseGuardAtRestart && this.term > 0)
      this.restartGuardTicks = this.cfg.electionTicks;
  }

  // ---- role transitions -------------------------------------------------

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // Neither term nor vote change: a pre-election must not disturb anyone.
    this.votes.clear();
    this.lead = NONE;
    this.role = 'preCandidate';
  }

  becomeCandidate(): void {
    invariant(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    invariant(
      this.role === 'candidate',
      `node ${this.id} became leader from ${this.role}, not from candidate`,
    );
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.progress.get(this.id);
    invariant(self !== undefined, `leader ${this.id} has no progress of its own`);
    self.becomeReplicate();
    self.match = this.log.stableIndex;
    self.recentActive = true;
    // Entries of earlier terms may hold an unapplied conf change: wait for them.
    this.pendingConfIndex = this.log.lastIndex();
    this.appendAsLeader([{ type: 'normal', data: new Uint8Array(0) }]);
    this.bcastAppend(true);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      invariant(term > this.term, `term would go back from ${this.term} to ${term}`);
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = randomInt(
      this.cfg.rng,
      this.cfg.electionTicks,
      2 * this.cfg.electionTicks - 1,
    );
    this.leadTransferee = NONE;
    this.votes.clear();
    for (const [id, pr] of this.progress) {
      const fresh = new Progress(
        this.log.lastIndex() + 1,
        this.cfg.maxInflightMsgs,
        pr.isLearner,
        this.cfg.maxInflightBytes,
      );
      if (id === this.id) fresh.match = this.log.stableIndex;
      this.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.appendPending = false;
    this.dropPendingReads();
  }

  private dropPendingReads(): void {
    const dropped = [...this.reads.clear(), ...this.readsAwaitingCommit];
    this.readsAwaitingCommit = [];
    for (const r of dropped) {
      // A forwarded read's requester times out; only local clients are told here.
      if (r.from === this.id)
        this.droppedReads.push({ context: r.context, reason: 'leaderChanged' });
    }
  }

  // ---- time -------------------------------------------------------------

  tick(): void {
    if (this.restartGuardTicks > 0) this.restartGuardTicks--;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.cfg.preVote ? 'preElection' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const pr of this.progress.values()) pr.heartbeatRecoveryDue = true;
      this.bcastHeartbeat('');
    }
  }

  private quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) active.set(id, id === this.id || pr.recentActive);
    return voteResult(this.conf, active) === 'won';
  }

  // ---- elections --------------------------------------------------------

  promotable(): boolean {
    return isVoter(this.conf, this.id);
  }

  campaign(kind: CampaignKind): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // With a committed but unapplied conf change our view of the voters may be stale.
    if (this.log.hasUnappliedConfChanges()) return;
    if (kind === 'preElection') this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = kind === 'preElection' ? this.term + 1 : this.term;
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const to of allVoters(this.conf)) {
      if (to === this.id) continue;
      if (kind === 'preElection') {
        this.send({
          type: 'preVote',
          from: this.id,
          to,
          term: voteTerm,
          lastLogIndex,
          lastLogTerm,
        });
      } else {
        this.send({
          type: 'vote',
          from: this.id,
          to,
          term: voteTerm,
          lastLogIndex,
          lastLogTerm,
          transfer: kind === 'transfer',
        });
      }
    }
  }

  poll(from: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return voteResult(this.conf, this.votes);
  }

  // ---- sending ----------------------------------------------------------

  send(m: Message): void {
    invariant(m.to !== this.id, `node ${this.id} tried to send a ${m.type} to itself`);
    if (this.role === 'leader' && (m.type === 'append' || m.type === 'heartbeat'))
      this.earlyMessages.push(m);
    else this.messages.push(m);
  }

  /** Sends the next append (or a snapshot) to `to` unless its progress is paused. */
  sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || to === this.id || pr.isPaused()) return false;
    const last = this.log.lastIndex();
    invariant(
      pr.next <= last + 1,
      `progress of ${to} has next ${pr.next} beyond last index ${last}`,
    );
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);
    const entries = pr.next <= last ? this.log.slice(pr.next, last + 1, this.cfg.maxMsgBytes) : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: 'append',
      from: this.id,
      to,
      term: this.term,
      prevIndex,
      prevTerm,
      entries,
      commit: this.log.committed,
    });
    pr.sentAppend(entries.length, entries.at(-1)?.index ?? prevIndex, totalBytes(entries));
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // A snapshot is expensive: send it only to followers that answer.
    if (!pr.recentActive) return false;
    const meta = this.snapshotMeta();
    invariant(
      meta.index > 0,
      `no snapshot to send to ${to} although its next ${pr.next} is compacted`,
    );
    this.send({
      type: 'snapshot',
      from: this.id,
      to,
      term: this.term,
      snapshot: { meta, data: new Uint8Array(0) },
    });
    pr.becomeSnapshot(meta.index);
    return true;
  }

  bcastAppend(sendIfEmpty: boolean): void {
    for (const id of this.progress.keys()) {
      if (id !== this.id) this.sendAppend(id, sendIfEmpty);
    }
  }

  bcastHeartbeat(context: string): void {
    for (const [to, pr] of this.progress) {
      if (to === this.id) continue;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to, term: this.term, commit, context });
    }
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /** Work deferred to Ready time so that calls between two Readies share messages. */
  flush(): void {
    if (this.role !== 'leader') return;
    if (this.appendPending) {
      this.appendPending = false;
      // Fill each follower's window: several bounded appends if needed.
      for (const id of this.progress.keys()) {
        if (id !== this.id) while (this.sendAppend(id, false));
      }
    }
    const context = this.reads.startRound(this.id);
    if (context !== undefined) {
      this.bcastHeartbeat(context);
      this.maybeReleaseReads(context, this.reads.ack(this.id, context));
    }
  }

  hasPendingFlush(): boolean {
    return this.role === 'leader' && (this.appendPending || this.reads.hasOpenRound());
  }

  // ---- the leader's log -------------------------------------------------

  appendAsLeader(
    items: readonly (
      | { type: 'normal'; data: Uint8Array }
      | { type: 'confChange'; change: ConfChange }
    )[],
  ): Entry[] {
    let index = this.log.lastIndex();
    const entries: Entry[] = items.map((it) => {
      index++;
      return it.type === 'normal'
        ? { type: 'normal', term: this.term, index, data: it.data }
        : { type: 'confChange', term: this.term, index, change: it.change };
    });
    this.log.append(entries);
    for (const e of entries) this.uncommittedBytes += entryBytes(e);
    const self = this.progress.get(this.id);
    if (self !== undefined) self.next = this.log.lastIndex() + 1;
    this.appendPending = true;
    return entries;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** Figure 8: commit by counting replicas only for an entry of the current term. */
  maybeCommit(): boolean {
    const old = this.log.committed;
    const index = committedIndex(this.conf, (id) => this.progress.get(id)?.match ?? 0);
    if (index <= old || this.log.term(index) !== this.term) return false;
    this.log.commitTo(index);
    for (const e of this.log.slice(old + 1, index + 1)) {
      if (e.term === this.term)
        this.uncommittedBytes = Math.max(0, this.uncommittedBytes - entryBytes(e));
    }
    if (this.readsAwaitingCommit.length > 0) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const r of waiting) this.serveRead(r.from, r.context);
    }
    return true;
  }

  /** The driver persisted its log up to log.stableIndex: the leader may now count itself. */
  onPersisted(): void {
    if (this.role !== 'leader') return;
    const self = this.progress.get(this.id);
    if (self === undefined) return;
    if (self.maybeUpdate(this.log.stableIndex) && this.maybeCommit()) this.bcastAppend(true);
  }

  // ---- reads ------------------------------------------------------------

  /** A leader handles a read (local or forwarded). Returns false if over the limit. */
  leaderRead(from: NodeId, context: string): boolean {
    if (this.reads.size() + this.readsAwaitingCommit.length >= this.cfg.maxPendingReads)
      return false;
    if (!this.committedEntryInCurrentTerm()) {
      // Our commit index may be stale until an entry of our term commits (§6.4).
      this.readsAwaitingCommit.push({ from, context, index: 0 });
      return true;
    }
    this.serveRead(from, context);
    return true;
  }

  private serveRead(from: NodeId, context: string): void {
    const index = this.log.committed;
    const alone = voteResult(this.conf, new Map([[this.id, true]])) === 'won';
    if (alone || this.cfg.readOnly === 'leaseBased') {
      this.answerRead({ from, context, index });
      return;
    }
    this.reads.add({ from, context, index });
  }

  maybeReleaseReads(context: string, acks: ReadonlySet<NodeId> | undefined): void {
    if (acks === undefined) return;
    const votes = new Map<NodeId, boolean>();
    for (const id of acks) votes.set(id, true);
    if (voteResult(this.conf, votes) !== 'won') return;
    for (const r of this.reads.release(context)) this.answerRead(r);
  }

  private answerRead(r: ReadRequest): void {
    if (r.from === this.id) {
      this.readStates.push({ index: r.index, context: r.context });
    } else {
      this.send({
        type: 'readIndexResp',
        from: this.id,
        to: r.from,
        term: this.term,
        index: r.index,
        context: r.context,
        reject: false,
      });
    }
  }

  // ---- configuration ----------------------------------------------------

  /** Applies a committed conf-change entry (called when it is applied). */
  applyConfEntry(index: number, change: ConfChange): void {
    const outcome = applyConfChange(this.conf, change);
    invariant(
      outcome.ok,
      () =>
        `committed conf change at ${index} cannot be applied: ${outcome.ok ? '' : outcome.detail}`,
    );
    this.conf = outcome.confState;
    this.confHistory.push({ index, confState: outcome.confState });
    this.syncProgress();
    if (this.role !== 'leader') return;
    if (!isVoter(this.conf, this.id)) {
      // Removed (or demoted): C_new is committed by now, so stepping down is safe.
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !isVoter(this.conf, this.leadTransferee))
      this.leadTransferee = NONE;
    if (this.maybeCommit()) this.bcastAppend(true);
    else this.appendPending = true;
  }

  /** Leader auto-leave: once the joint entry is applied, propose leaving it. */
  maybeAutoLeave(): void {
    if (this.role !== 'leader' || !isJoint(this.conf) || this.log.applied < this.pendingConfIndex)
      return;
    const [leave] = this.appendAsLeader([{ type: 'confChange', change: { changes: [] } }]);
    this.pendingConfIndex = leave!.index;
  }

  /** Makes the progress map match the configuration's members. */
  private syncProgress(): void {
    const members = allMembers(this.conf);
    for (const id of [...this.progress.keys()]) {
      if (!members.includes(id)) this.progress.delete(id);
    }
    for (const id of members) {
      const isLearner = !isVoter(this.conf, id);
      const pr = this.progress.get(id);
      if (pr !== undefined) {
        pr.isLearner = isLearner;
        continue;
      }
      const fresh = new Progress(
        this.log.lastIndex() + 1,
        this.cfg.maxInflightMsgs,
        isLearner,
        this.cfg.maxInflightBytes,
      );
      // A new member counts as active so CheckQuorum gives it a round to answer.
      fresh.recentActive = true;
      if (id === this.id) fresh.match = this.log.stableIndex;
      this.progress.set(id, fresh);
    }
  }

  /** The configuration in effect at `index` (≥ the compaction point). */
  confAt(index: number): ConfState {
    let found = this.confHistory[0]!;
    for (const p of this.confHistory) if (p.index <= index) found = p;
    return found.confState;
  }

  snapshotMeta(): SnapshotMeta {
    return {
      index: this.log.snapIndex,
      term: this.log.snapTerm,
      confState: this.confAt(this.log.snapIndex),
    };
  }

  /** The log was compacted (or reset) to `index`: forget older configurations. */
  rebaseConfHistory(index: number, confState: ConfState): void {
    this.confHistory = [{ index, confState }, ...this.confHistory.filter((p) => p.index > index)];
  }

  /** A snapshot replaces the configuration wholesale. */
  restoreConf(meta: SnapshotMeta): void {
    this.conf = meta.confState;
    this.confHistory = [{ index: meta.index, confState: meta.confState }];
    this.syncProgress();
  }
}

function checkInitialLog(
  entries: readonly Entry[],
  snapIndex: number,
  commit: number,
  applied: number,
): void {
  const first = entries[0];
  if (first !== undefined && first.index !== snapIndex + 1) {
    throw new ConfigError(
      `initial entries must start right after the compaction point ${snapIndex}, got ${first.index}`,
    );
  }
  const last = snapIndex + entries.length;
  if (commit < snapIndex || commit > last) {
    throw new ConfigError(
      `hardState.commit ${commit} is outside the stored log [${snapIndex}, ${last}]`,
    );
  }
  if (applied < snapIndex || applied > commit) {
    throw new ConfigError(
      `applied ${applied} must be within [snapshot index ${snapIndex}, commit ${commit}]`,
    );
  }
}
