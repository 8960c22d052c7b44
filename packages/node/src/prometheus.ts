// The node's metrics in the Prometheus text format. Names follow etcd's under
// a flotilla_ prefix where the meaning is the same (so etcd dashboards and
// alerts translate by renaming); Flotilla's own cover what etcd does not
// measure: commit latency, state latency per follower, failover time (RTO).
// Latencies are histograms in seconds, so they aggregate across members and
// histogram_quantile() works on them. Members are labelled by name.
import type { NodeId } from '@flotilla/raft';
import { ExportedBuckets, ExpositionWriter } from './exposition.js';
import type { NodeMetrics } from './metrics.js';

/** Member names for labels: a map or a lookup; members without a name are labelled with their id. */
export type MemberNames = Readonly<Record<number, string>> | ((id: NodeId) => string | undefined);

/** The driver's view the exposition needs besides the metrics it records. */
export interface NodeGauges {
  readonly term: number;
  readonly isLeader: boolean;
  readonly hasLeader: boolean;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Proposals queued or in the log, not yet applied. */
  readonly pendingProposals: number;
  /** Peer connections refused before reaching Raft, by reason (TcpTransport.handshakeFailures); absent for other transports. */
  readonly peerHandshakeFailures?: Readonly<Record<string, number | undefined>>;
}

/** 2^-4 … 2^16 ms: 62.5 µs to 65.5 s in 21 doublings (etcd's fsync buckets are 1 ms … 8.2 s). */
const SECONDS = new ExportedBuckets(-4, 16, 1 / 1000);

export function memberName(names: MemberNames | undefined, id: NodeId): string {
  const name = typeof names === 'function' ? names(id) : names?.[id];
  return name !== undefined && name !== '' ? name : String(id);
}

export function renderNodeMetrics(m: NodeMetrics, g: NodeGauges, names?: MemberNames): string {
  const w = new ExpositionWriter();
  const followers = m.followerRecords();

  w.family(
    'flotilla_disk_wal_fsync_duration_seconds',
    'histogram',
    'Latency of one synced write of Raft log entries (the WAL fsync).',
  ).histogram(m.fsync, SECONDS);
  w.family(
    'flotilla_disk_backend_commit_duration_seconds',
    'histogram',
    'Latency of writing one batch of committed entries to the KV state (the backend commit).',
  ).histogram(m.backendCommit, SECONDS);
  w.family(
    'flotilla_debugging_snap_save_total_duration_seconds',
    'histogram',
    'Time to take and durably store one snapshot.',
  ).histogram(m.snapshotSave, SECONDS);
  w.family(
    'flotilla_commit_latency_seconds',
    'histogram',
    'A write accepted by this node until its result is known here (applied, or answered by the leader it was forwarded to).',
  ).histogram(m.commitLatency, SECONDS);
  w.family(
    'flotilla_state_latency_seconds',
    'histogram',
    'On the leader, per follower: leader commit until the follower applied the entry.',
  );
  for (const [id, rec] of followers)
    w.histogram(rec.hist, SECONDS, { follower: memberName(names, id) });
  w.family(
    'flotilla_state_latency_negative_total',
    'counter',
    'On the leader, per follower: applied reports that came out negative (applied before this leader knew the entry committed, e.g. after a leader change); counted, not recorded.',
  );
  for (const [id, rec] of followers) w.sample(rec.negative, { follower: memberName(names, id) });
  w.family(
    'flotilla_failover_rto_seconds',
    'histogram',
    'Failovers this node saw: last contact with the lost leader until a new leader committed an entry of its term.',
  ).histogram(m.rto.histogram, SECONDS);
  w.family(
    'flotilla_last_failover_rto_seconds',
    'gauge',
    'The last failover this node saw (absent before the first).',
  );
  const last = m.rto.last;
  if (last !== undefined) w.sample(last.rtoMs / 1000);

  w.family(
    'flotilla_server_leader_changes_seen_total',
    'counter',
    'Leader changes this node has seen since it started.',
  ).sample(m.leaderChanges);
  w.family('flotilla_server_has_leader', 'gauge', '1 if this node knows a leader, else 0.').sample(
    g.hasLeader ? 1 : 0,
  );
  w.family('flotilla_server_is_leader', 'gauge', '1 if this node is the leader, else 0.').sample(
    g.isLeader ? 1 : 0,
  );
  w.family(
    'flotilla_server_proposals_committed_total',
    'counter',
    'Raft entries committed (the commit index known to this node).',
  ).sample(g.commitIndex);
  w.family(
    'flotilla_server_proposals_applied_total',
    'counter',
    'Raft entries applied to the KV state on this node (its applied index).',
  ).sample(g.appliedIndex);
  w.family(
    'flotilla_server_proposals_pending',
    'gauge',
    'Proposals made on this node that are queued or in the log and not yet applied.',
  ).sample(g.pendingProposals);
  w.family(
    'flotilla_server_proposals_failed_total',
    'counter',
    'Proposals made on this node that failed (timed out, lost to a new leader, refused, node closed).',
  ).sample(m.proposalsFailed);
  w.family('flotilla_raft_term', 'gauge', 'Current Raft term.').sample(g.term);
  w.family(
    'flotilla_apply_lag_entries',
    'gauge',
    'Committed entries not yet applied on this node.',
  ).sample(Math.max(0, g.commitIndex - g.appliedIndex));
  w.family(
    'flotilla_follower_apply_lag_entries',
    'gauge',
    'On the leader, per follower: committed entries the follower has not reported applied.',
  );
  if (g.isLeader) {
    for (const [id, rec] of followers) {
      if (rec.appliedIndex > 0)
        w.sample(Math.max(0, g.commitIndex - rec.appliedIndex), {
          follower: memberName(names, id),
        });
    }
  }
  w.family(
    'flotilla_snapshots_total',
    'counter',
    'Snapshots this node created, installed (received from the leader) and started sending.',
  )
    .sample(m.snapshotsCreated, { kind: 'created' })
    .sample(m.snapshotsInstalled, { kind: 'installed' })
    .sample(m.snapshotsSent, { kind: 'sent' });
  if (g.peerHandshakeFailures !== undefined) {
    w.family(
      'flotilla_peer_handshake_failures_total',
      'counter',
      'Peer connections refused before reaching Raft (TLS, certificate identity, handshake), by reason.',
    );
    for (const [reason, n] of Object.entries(g.peerHandshakeFailures))
      if (n !== undefined) w.sample(n, { reason });
  }
  return w.text();
}
