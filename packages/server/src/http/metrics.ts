// Prometheus metrics for one server (its own registry, so several servers in
// one process do not collide). HTTP counters are updated per request; the
// node's numbers are read from the node at scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Quantiles, ServedNode } from './served-node.js';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'path' | 'status'>;
  private readonly errors: Counter<'path' | 'code'>;
  private readonly duration: Histogram<'path'>;
  private readonly watchers: Gauge;

  constructor(node: ServedNode) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'flotilla_http_requests_total', help: 'HTTP requests answered, by route and HTTP status.', labelNames: ['path', 'status'], registers });
    this.errors = new Counter({ name: 'flotilla_http_request_errors_total', help: 'HTTP requests answered with an error, by route and gRPC code.', labelNames: ['path', 'code'], registers });
    this.duration = new Histogram({
      name: 'flotilla_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (watch streams excluded).',
      labelNames: ['path'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.watchers = new Gauge({ name: 'flotilla_watchers', help: 'Open watch streams on this server.', registers });
    registerNodeGauges(this.registry, node);
    // Process and runtime metrics (RSS, V8 heap, event-loop delay, GC pauses): a stalled event loop
    // is what turns into missed heartbeats and elections under load, so operators need to see it.
    collectDefaultMetrics({ register: this.registry });
  }

  observe(path: string, status: number, grpcCode: number | undefined, seconds: number): void {
    this.requests.inc({ path, status: String(status) });
    if (grpcCode !== undefined && grpcCode !== 0) this.errors.inc({ path, code: String(grpcCode) });
    if (path !== '/v3/watch') this.duration.observe({ path }, seconds);
  }

  watcherOpened(): void {
    this.watchers.inc();
  }

  watcherClosed(): void {
    this.watchers.dec();
  }
}

function setQuantiles(gauge: Gauge<string>, q: Quantiles | undefined, labels: Record<string, string> = {}): void {
  if (!q || q.count === 0) return;
  gauge.set({ ...labels, quantile: '0.5' }, q.p50);
  gauge.set({ ...labels, quantile: '0.99' }, q.p99);
}

function registerNodeGauges(registry: Registry, node: ServedNode): void {
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void): void => {
    new Gauge({ name, help, labelNames, registers, collect(this: Gauge<string>) { this.reset(); collect(this); } });
  };
  gauge('flotilla_commit_latency_seconds', 'Proposal to commit on the leader (quantiles over a bounded window).', ['quantile'], (g) =>
    setQuantiles(g, node.metrics().commitLatencySeconds));
  gauge('flotilla_fsync_duration_seconds', 'Duration of one synced storage batch (quantiles).', ['quantile'], (g) =>
    setQuantiles(g, node.metrics().fsyncSeconds));
  gauge('flotilla_state_latency_seconds', 'Leader commit to follower apply, per follower (quantiles; on the leader).', ['follower', 'quantile'], (g) => {
    for (const [follower, q] of node.metrics().stateLatencySeconds ?? []) setQuantiles(g, q, { follower: String(follower) });
  });
  gauge('flotilla_apply_lag_entries', 'Committed entries not yet applied on this node.', [], (g) => g.set(node.metrics().applyLagEntries));
  gauge('flotilla_leader_changes_seen', 'Leader changes this node has seen since it started.', [], (g) => g.set(node.metrics().leaderChanges));
  gauge('flotilla_last_failover_rto_seconds', 'Time without a usable leader in the last failover this node saw.', [], (g) => {
    const rto = node.metrics().lastRtoSeconds;
    if (rto !== undefined) g.set(rto);
  });
  gauge('flotilla_raft_term', 'Current Raft term.', [], (g) => g.set(node.status().term));
  gauge('flotilla_raft_commit_index', 'Raft commit index known to this node.', [], (g) => g.set(node.status().commitIndex));
  gauge('flotilla_raft_applied_index', 'Raft index applied to the KV state on this node.', [], (g) => g.set(node.status().appliedIndex));
  gauge('flotilla_is_leader', '1 if this node is the leader.', [], (g) => {
    const s = node.status();
    g.set(s.leaderId === s.memberId ? 1 : 0);
  });
  gauge('flotilla_has_leader', '1 if this node knows a leader.', [], (g) => g.set(node.status().leaderId !== 0 ? 1 : 0));
}
