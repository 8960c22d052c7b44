// The node's measurements, all bounded: histograms have fixed buckets
// (histogram.ts), commit times live in a ring, per-follower state is one
// record per member. Recording is O(1) and allocates nothing; status() and
// the Prometheus exposition (prometheus.ts) read the same histograms.
import type { NodeId } from '@flotilla/raft';
import { CommitTimes } from './commit-times.js';
import { Histogram, type HistogramSummary } from './histogram.js';
import { RtoTracker, type RtoRecord } from './rto.js';

export interface FollowerLatency extends HistogramSummary {
  /** The latest measurement. */
  readonly lastMs: number;
  /** The follower's last reported applied index. */
  readonly appliedIndex: number;
  /**
   * Reports whose interval came out negative (the follower applied the entry before
   * this leader learned it was committed): counted here, never recorded as 0.
   * Legal only across a leader change (see recordStateLatency); anything else is a bug.
   */
  readonly negative: number;
}

export interface MetricsStatus {
  /** A write accepted by this node → its result known here (applied, or answered by the leader it was forwarded to). */
  readonly commitLatencyMs: HistogramSummary;
  /** On the leader, per follower: this leader learned the entry committed → the follower applied it (see README). */
  readonly stateLatencyMs: Readonly<Record<NodeId, FollowerLatency>>;
  /** Committed but not yet applied: here, and (on the leader) per follower from its reports. */
  readonly applyLagEntries: {
    readonly local: number;
    readonly followers: Readonly<Record<NodeId, number>>;
  };
  /** Times this node saw a new leader. */
  readonly leaderChanges: number;
  /** Failover time: the last one and a short history. */
  readonly rto: { readonly lastMs: number | undefined; readonly history: readonly RtoRecord[] };
  readonly fsyncMs: HistogramSummary;
  /** One batch of committed entries written to the KV state (etcd's backend commit). */
  readonly backendCommitMs: HistogramSummary;
  /** Taking and storing one snapshot. */
  readonly snapshotSaveMs: HistogramSummary;
  /** Proposals made on this node that failed (timed out, lost to a new leader, refused, node closed). */
  readonly proposalsFailed: number;
  readonly entriesPerFsync: HistogramSummary;
  /** Entries per append message sent (appends with at least one entry). */
  readonly entriesPerMessage: HistogramSummary;
  readonly snapshots: {
    readonly created: number;
    readonly installed: number;
    readonly sent: number;
  };
}

/** Commit points kept for state latency: enough for several seconds of busy commits. */
const COMMIT_POINTS = 8_192;

export interface FollowerRecord {
  readonly hist: Histogram;
  lastMs: number;
  appliedIndex: number;
  negative: number;
}

export class NodeMetrics {
  readonly commitLatency = new Histogram();
  readonly fsync = new Histogram();
  readonly backendCommit = new Histogram();
  readonly snapshotSave = new Histogram();
  readonly entriesPerFsync = new Histogram();
  readonly entriesPerMessage = new Histogram();
  readonly commitTimes = new CommitTimes(COMMIT_POINTS);
  readonly rto: RtoTracker;
  leaderChanges = 0;
  snapshotsCreated = 0;
  snapshotsInstalled = 0;
  snapshotsSent = 0;
  proposalsFailed = 0;
  private readonly followers = new Map<NodeId, FollowerRecord>();

  constructor(self: NodeId, nowMs: number) {
    this.rto = new RtoTracker(self, nowMs);
  }

  /**
   * A follower says it applied `index`, `ageMs` ago by its own clock (a duration,
   * so the two clocks never meet). In this leader's clock the follower applied at
   * nowMs − ageMs, and this leader learned `index` committed at commitTimes'
   * point for it: state latency is the difference. It includes the report's
   * trip back (it only adds). It is negative only when the follower applied
   * before this leader knew: after a leader change, an entry committed by the
   * previous leader, which this one learns committed only with its own first
   * commit. Such a report is counted in `negative`, not recorded.
   */
  followerApplied(from: NodeId, index: number, ageMs: number, nowMs: number): void {
    let rec = this.followers.get(from);
    if (rec === undefined) {
      rec = { hist: new Histogram(), lastMs: 0, appliedIndex: 0, negative: 0 };
      this.followers.set(from, rec);
    }
    if (index <= rec.appliedIndex) return;
    rec.appliedIndex = index;
    const committedAt = this.commitTimes.commitTimeOf(index);
    if (committedAt === undefined) return;
    const ms = nowMs - ageMs - committedAt;
    if (ms < 0) {
      rec.negative++;
      return;
    }
    rec.hist.record(ms);
    rec.lastMs = ms;
  }

  /** Per follower that reported to this node while it led (state latency, applied index). */
  followerRecords(): ReadonlyMap<NodeId, Readonly<FollowerRecord>> {
    return this.followers;
  }

  /** Leadership starts or ends: follower reports and commit points belong to one reign. */
  resetLeaderState(commitIndex: number): void {
    this.commitTimes.reset(commitIndex);
    for (const rec of this.followers.values()) rec.appliedIndex = 0;
  }

  status(localLag: number, commitIndex: number, isLeader: boolean): MetricsStatus {
    const stateLatencyMs: Record<NodeId, FollowerLatency> = {};
    const followers: Record<NodeId, number> = {};
    for (const [id, rec] of this.followers) {
      stateLatencyMs[id] = {
        ...rec.hist.summary(),
        lastMs: rec.lastMs,
        appliedIndex: rec.appliedIndex,
        negative: rec.negative,
      };
      if (isLeader && rec.appliedIndex > 0)
        followers[id] = Math.max(0, commitIndex - rec.appliedIndex);
    }
    return {
      commitLatencyMs: this.commitLatency.summary(),
      stateLatencyMs,
      applyLagEntries: { local: localLag, followers },
      leaderChanges: this.leaderChanges,
      rto: { lastMs: this.rto.last?.rtoMs, history: this.rto.records() },
      fsyncMs: this.fsync.summary(),
      backendCommitMs: this.backendCommit.summary(),
      snapshotSaveMs: this.snapshotSave.summary(),
      proposalsFailed: this.proposalsFailed,
      entriesPerFsync: this.entriesPerFsync.summary(),
      entriesPerMessage: this.entriesPerMessage.summary(),
      snapshots: {
        created: this.snapshotsCreated,
        installed: this.snapshotsInstalled,
        sent: this.snapshotsSent,
      },
    };
  }
}
