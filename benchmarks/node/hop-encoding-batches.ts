// The batches hop-encoding.ts moves, shaped like packages/node's thread hop
// (src/thread/protocol.ts): to the worker, put calls as WorkerNode.put posts
// them (`args: [request, options]`, options undefined); back, one answer per
// call and the node's status, which the worker appends to every flush that
// carries answers. The status is a leader's in a 3-member cluster, with the
// numbers a busy member shows (revisions past 2^32, histogram summaries).
import type { HistogramSummary, NodeStatus } from '@flotilla/node';

export interface PutCall {
  readonly t: 'call';
  readonly id: number;
  readonly method: 'put';
  readonly args: [{ key: Uint8Array; value: Uint8Array }, undefined];
}

export type Answer =
  | {
      readonly t: 'res';
      readonly id: number;
      readonly value: {
        header: { clusterId: string; memberId: number; revision: number; raftTerm: number };
      };
    }
  | { readonly t: 'state'; readonly status: NodeStatus };

/** A revision a long-lived cluster reaches: above 2^32, so it needs more than 32 bits on the wire. */
export const REVISION_BASE = 2 ** 32 + 12_345;

/** A put call per value (the caller's bytes), with ids from `firstId` and a new 16-byte key each. */
export function putCalls(firstId: number, values: readonly Uint8Array[]): PutCall[] {
  return values.map((value, i) => {
    const key = new TextEncoder().encode(`k/${String(firstId + i).padStart(14, '0')}`);
    return { t: 'call', id: firstId + i, method: 'put', args: [{ key, value }, undefined] };
  });
}

/** The worker's flush for `calls`: an answer each, then the status. */
export function putAnswers(calls: readonly { id: number }[], revision: number): Answer[] {
  const out: Answer[] = calls.map((c, i) => ({
    t: 'res',
    id: c.id,
    value: { header: { clusterId: 'prod-eu', memberId: 1, revision: revision + i, raftTerm: 7 } },
  }));
  out.push({ t: 'state', status: leaderStatus(revision + calls.length - 1) });
  return out;
}

function summary(p50: number): HistogramSummary {
  return {
    count: 48_213,
    min: p50 / 4,
    max: p50 * 30,
    mean: p50 * 1.3,
    p50,
    p90: p50 * 2,
    p99: p50 * 6,
  };
}

function follower(appliedIndex: number) {
  return { ...summary(0.9), lastMs: 0.7, appliedIndex, negative: 0 };
}

export function leaderStatus(revision: number): NodeStatus {
  const index = revision - 2_000;
  const peer = (match: number) => ({
    match,
    next: match + 1,
    state: 'replicate' as const,
    isLearner: false,
  });
  return {
    id: 1,
    clusterId: 'prod-eu',
    role: 'leader',
    term: 7,
    leader: 1,
    commitIndex: index,
    appliedIndex: index,
    lastIndex: index + 3,
    firstIndex: index - 9_000,
    snapshotIndex: index - 10_000,
    revision,
    confState: { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] },
    progress: { 1: peer(index + 3), 2: peer(index + 1), 3: peer(index) },
    pending: { proposals: 3, reads: 0, forwarded: 0 },
    metrics: {
      commitLatencyMs: summary(1.2),
      stateLatencyMs: { 2: follower(index - 1), 3: follower(index - 2) },
      applyLagEntries: { local: 0, followers: { 2: 1, 3: 2 } },
      leaderChanges: 2,
      rto: {
        lastMs: undefined,
        history: [{ rtoMs: 231, from: 0, to: 1, term: 7, atMs: 1_765_094_400_123 }],
      },
      fsyncMs: summary(0.13),
      backendCommitMs: summary(0.4),
      snapshotSaveMs: summary(35),
      proposalsFailed: 0,
      entriesPerFsync: summary(12),
      entriesPerMessage: summary(9),
      snapshots: { created: 4, installed: 0, sent: 1 },
    },
  };
}
