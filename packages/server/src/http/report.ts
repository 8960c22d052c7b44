// GET /flotilla/status: the node's own view in one JSON object (role, term,
// leader, indexes, latencies), for the CLI's `endpoint status` and the demo.
// Not part of etcd's API; milliseconds and plain numbers for easy reading.
import type { Quantiles, ServedNode } from './served-node.js';

export interface LatencyReport {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly count: number;
}

export interface StatusReport {
  readonly memberId: number;
  readonly clusterId: string;
  readonly role: string;
  readonly term: number;
  readonly leaderId: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly revision: number;
  readonly isLearner: boolean;
  readonly dbSizeBytes: number;
  readonly applyLagEntries: number;
  readonly leaderChanges: number;
  readonly lastRtoMs: number | null;
  readonly commitLatency: LatencyReport | null;
  /** Names of the founding voters (a joining member is started with them: --founders). */
  readonly founders: readonly string[];
  /** On the leader: per follower id, leader commit → follower apply. */
  readonly stateLatency: Readonly<Record<string, LatencyReport>>;
}

function ms(q: Quantiles | undefined): LatencyReport | null {
  if (!q || q.count === 0) return null;
  return { p50Ms: round(q.p50 * 1000), p99Ms: round(q.p99 * 1000), count: q.count };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function statusReport(node: ServedNode, founders: readonly string[] = []): StatusReport {
  const s = node.status();
  const m = node.metrics();
  const stateLatency: Record<string, LatencyReport> = {};
  for (const [id, q] of m.stateLatencySeconds ?? []) {
    const r = ms(q);
    if (r) stateLatency[String(id)] = r;
  }
  return {
    memberId: s.memberId,
    clusterId: s.clusterId,
    role: s.role,
    term: s.term,
    leaderId: s.leaderId,
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    revision: s.revision,
    isLearner: s.isLearner,
    dbSizeBytes: s.dbSizeBytes,
    applyLagEntries: m.applyLagEntries,
    leaderChanges: m.leaderChanges,
    lastRtoMs: m.lastRtoSeconds === undefined ? null : round(m.lastRtoSeconds * 1000),
    commitLatency: ms(m.commitLatencySeconds),
    founders,
    stateLatency,
  };
}
