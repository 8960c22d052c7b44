// The driver-facing API: inputs (tick, step, propose, ...) and the
// Ready/advance protocol whose order is written on the Ready type.
import { applyConfChange } from './confchange.js';
import type { RaftConfig } from './config.js';
import {
  InvalidConfChangeError,
  invariant,
  NotLeaderError,
  ProposalDroppedError,
  ReadIndexRefusedError,
  TransferRefusedError,
} from './errors.js';
import { isVoter } from './quorum.js';
import { Raft } from './raft.js';
import { CONF_CHANGE_ENTRY_BYTES, ENTRY_OVERHEAD_BYTES } from './sizes.js';
import { step } from './step.js';
import type { StepResult } from './step-result.js';
import type {
  ConfChange,
  HardState,
  Message,
  NodeId,
  ProgressStatus,
  Ready,
  SnapshotMeta,
  SoftState,
  Status,
} from './types.js';
import { NONE } from './types.js';

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | {
      readonly ok: false;
      readonly error: NotLeaderError | ProposalDroppedError | InvalidConfChangeError;
    };

export type RequestResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly error: NotLeaderError | TransferRefusedError | ReadIndexRefusedError;
    };

export class RawNode {
  private readonly r: Raft;
  private outstanding: Ready | undefined;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig) {
    this.r = new Raft(config);
    this.prevSoft = this.softState();
    this.prevHard = config.initial.hardState;
  }

  tick(): void {
    this.r.tick();
  }

  /** The commit index as the core knows it now (before the Ready that carries it), without allocating. */
  get committed(): number {
    return this.r.log.committed;
  }

  step(m: Message): StepResult {
    return step(this.r, m);
  }

  /** Starts an election now (a pre-election first when PreVote is on). */
  campaign(): void {
    this.r.campaign(this.r.cfg.preVote ? 'preElection' : 'election');
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal('propose');
    if (refused !== undefined) return refused;
    if (!this.fitsUncommitted(data.length + ENTRY_OVERHEAD_BYTES)) {
      return { ok: false, error: new ProposalDroppedError('uncommittedLimit') };
    }
    const [e] = this.r.appendAsLeader([{ type: 'normal', data }]);
    return { ok: true, index: e!.index, term: e!.term };
  }

  /**
   * Proposes a membership change. It takes effect when its entry is APPLIED,
   * i.e. when advance() acknowledges a Ready whose committedEntries hold it.
   */
  proposeConfChange(cc: ConfChange): ProposeResult {
    const r = this.r;
    const refused = this.refuseProposal('proposeConfChange');
    if (refused !== undefined) return refused;
    if (!r.committedEntryInCurrentTerm())
      return { ok: false, error: new ProposalDroppedError('notCommittedInTerm') };
    if (r.pendingConfIndex > r.log.applied)
      return { ok: false, error: new ProposalDroppedError('confChangePending') };
    const outcome = applyConfChange(r.conf, cc);
    if (!outcome.ok) return { ok: false, error: new InvalidConfChangeError(outcome.detail) };
    if (!this.fitsUncommitted(CONF_CHANGE_ENTRY_BYTES)) {
      return { ok: false, error: new ProposalDroppedError('uncommittedLimit') };
    }
    const [e] = r.appendAsLeader([{ type: 'confChange', change: cc }]);
    r.pendingConfIndex = e!.index;
    return { ok: true, index: e!.index, term: e!.term };
  }

  private refuseProposal(operation: string): ProposeResult | undefined {
    const r = this.r;
    if (r.role !== 'leader') return { ok: false, error: new NotLeaderError(r.lead, operation) };
    if (r.leadTransferee !== NONE)
      return { ok: false, error: new ProposalDroppedError('transferring') };
    if (!isVoter(r.conf, r.id))
      return { ok: false, error: new ProposalDroppedError('removedFromCluster') };
    return undefined;
  }

  private fitsUncommitted(bytes: number): boolean {
    // An empty pipeline always takes one entry, however large.
    const used = this.r.uncommittedBytes;
    return used === 0 || used + bytes <= this.r.cfg.maxUncommittedBytes;
  }

  /**
   * Asks for a linearizable read point. Later a Ready carries
   * ReadState{index, context} (serve the read once applied ≥ index), or a
   * DroppedRead for this context. On a follower the request is forwarded.
   */
  readIndex(context: string): RequestResult {
    const r = this.r;
    if (r.role === 'leader') {
      return r.leaderRead(r.id, context)
        ? { ok: true }
        : { ok: false, error: new ReadIndexRefusedError('pendingLimit') };
    }
    if (r.role !== 'follower' || r.lead === NONE)
      return { ok: false, error: new NotLeaderError(r.lead, 'readIndex') };
    r.send({ type: 'readIndex', from: r.id, to: r.lead, term: 0, context });
    return { ok: true };
  }

  transferLeadership(to: NodeId): RequestResult {
    const r = this.r;
    if (r.role !== 'leader')
      return { ok: false, error: new NotLeaderError(r.lead, 'transferLeadership') };
    if (to === r.id) return { ok: true };
    const pr = r.progress.get(to);
    if (pr === undefined)
      return { ok: false, error: new TransferRefusedError('unknownTarget', to) };
    if (!isVoter(r.conf, to))
      return { ok: false, error: new TransferRefusedError('learnerTarget', to) };
    if (r.leadTransferee === to) return { ok: true };
    r.leadTransferee = to;
    // The transfer gets one election timeout to finish.
    r.electionElapsed = 0;
    if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(to);
    else r.sendAppend(to, true);
    return { ok: true };
  }

  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const r = this.r;
    return (
      r.hasPendingFlush() ||
      !sameSoft(this.softState(), this.prevSoft) ||
      !sameHard(this.hardState(), this.prevHard) ||
      r.log.pendingSnapshot !== undefined ||
      r.log.stableIndex < r.log.lastIndex() ||
      r.log.hasNextCommittedEntries() ||
      r.earlyMessages.length > 0 ||
      r.messages.length > 0 ||
      r.readStates.length > 0 ||
      r.droppedReads.length > 0
    );
  }

  ready(): Ready {
    invariant(
      this.outstanding === undefined,
      'ready() called again before advance() of the previous Ready',
    );
    const r = this.r;
    r.flush();
    const soft = this.softState();
    const hard = this.hardState();
    const hardChanged = !sameHard(hard, this.prevHard);
    const entries = r.log.unstableEntries();
    const snapshot = r.log.pendingSnapshot;
    // A leader's appends carry its term; until that term (and our vote in it) is
    // durable they must wait with the other messages, or a crash could restart
    // us in an older term after followers accepted entries of the newer one.
    const termChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? undefined : soft,
      hardState: hardChanged ? hard : undefined,
      entries,
      snapshot,
      committedEntries: r.log.nextCommittedEntries(r.cfg.maxCommittedBytesPerReady),
      earlyMessages: termChanged ? [] : r.earlyMessages,
      messages: termChanged ? [...r.earlyMessages, ...r.messages] : r.messages,
      readStates: r.readStates,
      droppedReads: r.droppedReads,
      mustSync: entries.length > 0 || snapshot !== undefined || termChanged,
    };
    r.earlyMessages = [];
    r.messages = [];
    r.readStates = [];
    r.droppedReads = [];
    this.prevSoft = soft;
    this.outstanding = rd;
    return rd;
  }

  /** The driver has persisted, sent and applied `rd` as its contract says. */
  advance(rd: Ready): void {
    invariant(this.outstanding !== undefined, 'advance() called without an outstanding Ready');
    invariant(
      this.outstanding === rd,
      'advance() got a Ready other than the one last returned by ready()',
    );
    this.outstanding = undefined;
    const r = this.r;
    const log = r.log;
    if (rd.snapshot !== undefined) {
      if (log.pendingSnapshot === rd.snapshot) log.pendingSnapshot = undefined;
      log.appliedTo(rd.snapshot.meta.index);
    }
    const last = rd.entries.at(-1);
    if (last !== undefined) log.stableTo(last.index, last.term);
    if (rd.hardState !== undefined) this.prevHard = rd.hardState;
    r.onPersisted();
    for (const e of rd.committedEntries) {
      invariant(
        e.index === log.applied + 1,
        () => `applied entry ${e.index} does not follow applied ${log.applied}`,
      );
      // An entry already covered by a snapshot installed since: its conf is in the snapshot.
      if (e.type === 'confChange' && e.index > log.snapIndex) r.applyConfEntry(e.index, e.change);
      log.appliedTo(e.index);
    }
    r.maybeAutoLeave();
  }

  /**
   * The driver holds a snapshot of the state machine at `index` (≤ applied):
   * drop the log up to it. Returns the snapshot's meta (store it with the
   * data); followers too far behind are later sent a snapshot message for it.
   * Returns undefined when the log is already compacted past `index` (a newer
   * snapshot was received meanwhile): the driver's state at `index` is then
   * older than the compaction point and must not be stored as a snapshot.
   */
  compact(index: number): SnapshotMeta | undefined {
    const r = this.r;
    invariant(
      index <= r.log.applied,
      `compact(${index}) beyond applied ${r.log.applied}: snapshot only applied state`,
    );
    if (index < r.log.snapIndex) return undefined;
    if (index > r.log.snapIndex) {
      const conf = r.confAt(index);
      r.log.compact(index);
      r.rebaseConfHistory(index, conf);
    }
    return r.snapshotMeta();
  }

  /** The transport could not reach `id`: stop pipelining to it and probe. */
  reportUnreachable(id: NodeId): void {
    const pr = this.r.role === 'leader' ? this.r.progress.get(id) : undefined;
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  /** The snapshot message to `id` was delivered (ok) or failed. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.r.role === 'leader' ? this.r.progress.get(id) : undefined;
    if (pr?.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's next heartbeat response before probing.
    pr.probeSent = true;
  }

  status(): Status {
    const r = this.r;
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (r.role === 'leader') {
      progress = new Map();
      for (const [id, pr] of r.progress) progress.set(id, pr.toStatus());
    }
    return {
      id: r.id,
      hardState: this.hardState(),
      softState: this.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      firstIndex: r.log.firstIndex(),
      persistedIndex: r.log.stableIndex,
      confState: r.conf,
      leadTransferee: r.leadTransferee,
      progress,
    };
  }

  private softState(): SoftState {
    return { role: this.r.role, leader: this.r.lead };
  }

  private hardState(): HardState {
    return { term: this.r.term, vote: this.r.vote, commit: this.r.log.committed };
  }
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader;
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
