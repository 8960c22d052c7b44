// Failover time (RTO) as one node sees it: from the last contact with the
// leader it lost until a new leader is known AND has committed an entry of
// its own term (before that, the new leader cannot serve writes or reads).
import { NONE, type NodeId } from '@flotilla/raft';
import { Histogram } from './histogram.js';

export interface RtoRecord {
  readonly rtoMs: number;
  /** The leader that was lost (NONE if none was known) and the one that took over. */
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** Clock time at which the failover ended. */
  readonly atMs: number;
}

export class RtoTracker {
  private leader: NodeId = NONE;
  private lastContactMs: number;
  private outage: { startMs: number; from: NodeId; term: number } | undefined;
  private readonly history: RtoRecord[] = [];
  /** Every failover seen (ms), beyond the short history. */
  readonly histogram = new Histogram();

  constructor(
    private readonly self: NodeId,
    nowMs: number,
    private readonly historyMax = 16,
  ) {
    this.lastContactMs = nowMs;
  }

  /** A message from `from` arrived (or, on the leader, anything happened that proves it leads). */
  contact(from: NodeId, nowMs: number): void {
    if (from === this.leader && from !== NONE) this.lastContactMs = nowMs;
  }

  /** The known leader changed (from the core's soft state). */
  leaderChanged(leader: NodeId, term: number, nowMs: number): void {
    const previous = this.leader;
    if (leader === previous) return;
    if (previous !== NONE && this.outage === undefined) {
      // When this node itself led, its "last contact" with the leader is now.
      const startMs = previous === this.self ? nowMs : this.lastContactMs;
      this.outage = { startMs, from: previous, term };
    }
    this.leader = leader;
    this.lastContactMs = nowMs;
  }

  /** An entry of `entryTerm` was applied while `leader` leads in `term`: a failover in progress ends. */
  committedInTerm(entryTerm: number, term: number, nowMs: number): void {
    const outage = this.outage;
    if (outage === undefined || this.leader === NONE || entryTerm !== term) return;
    this.outage = undefined;
    const rtoMs = nowMs - outage.startMs;
    this.history.push({ rtoMs, from: outage.from, to: this.leader, term, atMs: nowMs });
    this.histogram.record(rtoMs);
    if (this.history.length > this.historyMax) this.history.shift();
  }

  get inOutage(): boolean {
    return this.outage !== undefined;
  }

  get last(): RtoRecord | undefined {
    return this.history.at(-1);
  }

  records(): RtoRecord[] {
    return this.history.slice();
  }
}
