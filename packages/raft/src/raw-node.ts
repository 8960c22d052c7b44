// The driver-facing API: inputs (tick, step, propose, ...) and the
// Ready/advance protocol whose order is written on the Ready type.
import type { RaftConfig } from './config.js';
import { invariant } from './errors.js';
import { stepNonLeaderLocal } from './follower-requests.js';
import { stepLeaderLocal } from './leader-requests.js';
import type { LocalInput, LocalResult, ProposeResult, RequestResult } from './local-input.js';
import { Raft } from './raft.js';
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
    return this.request({ type: 'propose', data });
  }

  /**
   * Proposes a membership change. It takes effect when its entry is APPLIED,
   * i.e. when advance() acknowledges a Ready whose committedEntries hold it.
   */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.request({ type: 'proposeConfChange', change: cc });
  }

  /**
   * Asks for a linearizable read point. Later a Ready carries
   * ReadState{index, context} (serve the read once applied ≥ index), or a
   * DroppedRead for this context. On a follower the request is forwarded.
   */
  readIndex(context: string): RequestResult {
    return this.request({ type: 'readIndex', context });
  }

  transferLeadership(to: NodeId): RequestResult {
    return this.request({ type: 'transferLeadership', to });
  }

  /** Every request goes through the role's step function: the decisions live there. */
  private request<I extends LocalInput>(input: I): LocalResult<I> {
    return this.r.role === 'leader'
      ? stepLeaderLocal(this.r, input)
      : stepNonLeaderLocal(this.r, input);
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

  /** The transport could not reach `id`: a leader stops pipelining to it and probes. */
  reportUnreachable(id: NodeId): void {
    this.request({ type: 'unreachable', id });
  }

  /** The snapshot message to `id` was delivered (ok) or failed. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.request({ type: 'snapshotStatus', id, ok });
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
