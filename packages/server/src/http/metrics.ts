// Prometheus metrics for one server, kept by prom-client in the server's own
// registry (so several servers in one process do not collide): HTTP requests,
// watchers, the database size, and process/runtime metrics. The node's own
// metrics (latency histograms, Raft counters) are rendered by the node
// (ServedNode.metricsText) and appended to this registry's page.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServedNode } from './served-node.js';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'path' | 'status'>;
  private readonly errors: Counter<'path' | 'code'>;
  private readonly duration: Histogram<'path'>;
  private readonly watchers: Gauge;
  private readonly tlsFailures: Counter<'reason'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly overload: Counter<'limit'>;
  private inflightBodyBytes: () => number = () => 0;

  constructor(node: ServedNode) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'flotilla_http_requests_total',
      help: 'HTTP requests answered, by route and HTTP status.',
      labelNames: ['path', 'status'],
      registers,
    });
    this.errors = new Counter({
      name: 'flotilla_http_request_errors_total',
      help: 'HTTP requests answered with an error, by route and gRPC code.',
      labelNames: ['path', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'flotilla_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (watch streams excluded).',
      labelNames: ['path'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.tlsFailures = new Counter({
      name: 'flotilla_client_tls_failures_total',
      help: 'Connections to the client port whose TLS handshake failed (plaintext: not TLS; certificate: missing, untrusted or invalid client certificate).',
      labelNames: ['reason'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'flotilla_auth_failures_total',
      help: 'Requests refused by authentication or authorization, by reason (bad_credentials, invalid_token, missing_token, permission_denied).',
      labelNames: ['reason'],
      registers,
    });
    this.overload = new Counter({
      name: 'flotilla_http_overload_refusals_total',
      help: 'Requests, connections and watch streams refused or cancelled by an overload limit (limit: the option name; timeout: headersTimeoutMs or requestTimeoutMs).',
      labelNames: ['limit'],
      registers,
    });
    const inflight = (): number => this.inflightBodyBytes();
    new Gauge({
      name: 'flotilla_http_inflight_body_bytes',
      help: 'Request body bytes being handled now (taken from inflightBodyBytesMax).',
      registers,
      collect(this: Gauge) {
        this.set(inflight());
      },
    });
    this.watchers = new Gauge({
      name: 'flotilla_watchers',
      help: 'Open watch streams on this server.',
      registers,
    });
    new Gauge({
      name: 'flotilla_mvcc_db_total_size_in_bytes',
      help: "Bytes of the member's data directory (Raft log, snapshots and KV state), re-read at most every 2 s.",
      registers,
      collect(this: Gauge) {
        this.set(node.status().dbSizeBytes);
      },
    });
    // Process and runtime metrics (RSS, V8 heap, event-loop delay, GC pauses): a stalled event loop
    // is what turns into missed heartbeats and elections under load, so operators need to see it.
    collectDefaultMetrics({ register: this.registry });
  }

  observe(path: string, status: number, grpcCode: number | undefined, seconds: number): void {
    this.requests.inc({ path, status: String(status) });
    if (grpcCode !== undefined && grpcCode !== 0) this.errors.inc({ path, code: String(grpcCode) });
    if (path !== '/v3/watch') this.duration.observe({ path }, seconds);
  }

  overloadRefused(limit: string): void {
    this.overload.inc({ limit });
  }

  trackInflightBodyBytes(read: () => number): void {
    this.inflightBodyBytes = read;
  }

  /**
   * The registry's page. prom-client writes a NaN sample (the event-loop lag
   * gauges before their first sample) as `Nan`; the exposition format spells
   * it `NaN`, which strict parsers (OpenMetrics, our own check) require.
   */
  async text(): Promise<string> {
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  clientTlsFailed(reason: string): void {
    this.tlsFailures.inc({ reason });
  }

  authFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  watcherOpened(): void {
    this.watchers.inc();
  }

  watcherClosed(): void {
    this.watchers.dec();
  }
}
