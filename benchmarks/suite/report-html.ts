// One self-contained HTML page per run: inline CSS and SVG, no scripts, no
// network. Charts first (a reader should look rather than read), then the
// goals met or missed, then the tables and the setup.
import type { LoadRecord } from './context.js';
import type { TargetName } from './flags.js';
import type { SuiteResult, TargetResults } from './results.js';
import { barChart, escapeXml, lineChart, type Series } from './svg.js';
import { GRPC_COST_HEAD, grpcCostCells } from './grpc-cost.js';

export const COLORS: Record<TargetName, string> = {
  'flotilla-embedded': '#1b9e77',
  flotilla: '#7570b3',
  'flotilla-grpc': '#e7298a',
  etcd: '#d95f02',
};

/** x of a percentile on the "nines" axis: 50 → 0.3, 90 → 1, 99 → 2, 99.9 → 3. */
export function ninesOf(percentile: number, maxNines: number): number {
  if (percentile >= 100) return maxNines;
  return Math.min(maxNines, -Math.log10(1 - percentile / 100));
}

const NINES_TICKS: [number, string][] = [
  [0.301, '50%'],
  [1, '90%'],
  [2, '99%'],
  [3, '99.9%'],
  [4, '99.99%'],
];

function distributionChart(
  title: string,
  entries: readonly { name: TargetName; rec: LoadRecord | undefined }[],
): string {
  const maxNines = Math.max(
    1,
    ...entries.map((e) => (e.rec && e.rec.ok > 1 ? Math.log10(e.rec.ok) : 1)),
  );
  const series: Series[] = entries
    .filter((e) => e.rec && e.rec.curve.length > 0)
    .map((e) => ({
      name: e.name,
      color: COLORS[e.name],
      points: e.rec!.curve.map(
        (p) => [ninesOf(p.percentile, maxNines), Math.max(p.valueMs, 0.001)] as const,
      ),
    }));
  return lineChart({
    title,
    x: { label: 'percentile', ticks: NINES_TICKS.filter(([v]) => v <= maxNines + 0.01) },
    y: { label: 'latency (ms, log)', log: true },
    series,
  });
}

function throughputChart(targets: readonly TargetResults[]): string {
  const clients = [...new Set(targets.flatMap((t) => (t.sweep ?? []).map((r) => r.clients)))].sort(
    (a, b) => a - b,
  );
  return lineChart({
    title: 'Throughput vs concurrent clients (puts/s)',
    x: { label: 'clients (log)', log: true, ticks: clients.map((c) => [c, String(c)] as const) },
    y: { label: 'puts/s' },
    series: targets
      .filter((t) => t.sweep?.length)
      .map((t) => ({
        name: t.name,
        color: COLORS[t.name],
        points: t.sweep!.map((r) => [r.clients, r.throughput] as const),
      })),
  });
}

function cpuChart(targets: readonly TargetResults[]): string {
  const clients = [...new Set(targets.flatMap((t) => (t.sweep ?? []).map((r) => r.clients)))].sort(
    (a, b) => a - b,
  );
  return lineChart({
    title: 'CPU per committed write, members + client (µs)',
    x: { label: 'clients (log)', log: true, ticks: clients.map((c) => [c, String(c)] as const) },
    y: { label: 'µs of CPU per write' },
    series: targets
      .filter((t) => t.sweep?.some((r) => r.cpu))
      .map((t) => ({
        name: t.name,
        color: COLORS[t.name],
        points: t.sweep!.flatMap((r) => (r.cpu ? [[r.clients, r.cpu.usPerWrite] as const] : [])),
      })),
  });
}

function stateChart(targets: readonly TargetResults[], pick: 'state' | 'visible'): string {
  return lineChart({
    title:
      pick === 'state'
        ? "State latency p99 (leader learned commit → follower applied; Flotilla's own measure), worst follower"
        : 'Put → visible on a follower, p50, worst follower',
    x: { label: "offered load (% of the target's own saturation)" },
    y: { label: 'ms (log)', log: true },
    series: targets
      .filter(
        (t) =>
          t.state?.steps.length &&
          (pick === 'visible' || t.state.steps.some((s) => s.stateLatencyMs)),
      )
      .map((t) => ({
        name: t.name,
        color: COLORS[t.name],
        points: t.state!.steps.map(
          (s) =>
            [
              s.fraction * 100,
              Math.max(
                0.001,
                ...(pick === 'state'
                  ? Object.values(s.stateLatencyMs ?? {}).map((q) => q.p99)
                  : s.followers.map((f) => f.putToVisibleMs.p50)),
              ),
            ] as const,
        ),
      })),
  });
}

function failoverChart(targets: readonly TargetResults[]): string {
  const series: Series[] = [];
  const groups: string[] = [];
  for (const t of targets) {
    for (const f of t.failover ?? []) {
      const x = groups.length + 1;
      groups.push(`${t.name} ${f.setting}`);
      series.push({
        name: `${t.name} (${f.setting})`,
        color: f.setting === 'default' ? COLORS[t.name] : `${COLORS[t.name]}88`,
        points: f.trials
          .filter((tr) => tr.rtoMs !== null)
          .map((tr, i) => [x + ((i % 7) - 3) * 0.04, tr.rtoMs!] as const),
      });
    }
  }
  return lineChart({
    title:
      'Failover: time from SIGKILL of the leader to the first acknowledged write (one dot per trial)',
    x: {
      label: 'target and election setting',
      ticks: groups.map((g, i) => [i + 1, String(i + 1)] as const),
    },
    y: { label: 'RTO (ms, log)', log: true },
    series,
    dotsOnly: true,
  });
}

function clientFailoverChart(targets: readonly TargetResults[]): string {
  const withCf = targets.filter((t) => t.clientFailover);
  const series: Series[] = withCf.map((t, g) => ({
    name: t.name,
    color: COLORS[t.name],
    points: t
      .clientFailover!.trials.filter((tr) => tr.ratio !== null)
      .map((tr, i) => [g + 1 + ((i % 7) - 3) * 0.04, Math.max(tr.ratio!, 0.001)] as const),
  }));
  return lineChart({
    title:
      'Client-seen failover: longest wait of any request ÷ (RTO + 200 ms), one dot per trial (≤ 1: no client waited past recovery)',
    x: { label: 'target', ticks: withCf.map((t, i) => [i + 1, t.name] as const) },
    y: { label: 'ratio (log)', log: true },
    series,
    dotsOnly: true,
  });
}

function memoryChart(targets: readonly TargetResults[]): string {
  return barChart(
    'Max RSS per member (MiB)',
    'MiB',
    targets.flatMap((t) =>
      (t.memory ?? []).map((m) => ({
        group: `${m.keys.toLocaleString('en')} keys`,
        series: t.name,
        value: m.maxRssMiB,
        color: COLORS[t.name],
      })),
    ),
  );
}

/** The gRPC path's cost (flotilla-grpc next to flotilla and etcd), when the run has both Flotilla targets. */
function grpcSection(r: SuiteResult): string {
  const cells = grpcCostCells(r);
  if (cells.length === 0) return '';
  return `<h2>What the gRPC path costs</h2><p>The same three <code>flotilla start</code> processes through etcd's client (flotilla-grpc: etcd3 over gRPC) and through Flotilla's own (flotilla: remoteKv over HTTP/JSON); the last column is the same client code on Flotilla and on etcd. Above 1 costs more for latency and CPU; below 1 is fewer operations per second.</p>${table([...GRPC_COST_HEAD], cells)}`;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const th = head.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

const lat = (r: LoadRecord | undefined): (string | number)[] =>
  r
    ? [
        r.throughput,
        r.latencyMs.p50,
        r.latencyMs.p90,
        r.latencyMs.p99,
        r.latencyMs.p999,
        r.latencyMs.max,
        r.errors,
      ]
    : ['—', '—', '—', '—', '—', '—', '—'];
/** "client 812 · member 1 640 · …" (ms of CPU over the load). */
const cpuSplit = (r: LoadRecord): string =>
  r.cpu
    ? Object.entries(r.cpu.byProcessMs)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(' · ')
    : '—';
const LAT_HEAD = ['ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors'];

export function renderReport(r: SuiteResult): string {
  const t = r.targets;
  const at256 = t.map((x) => ({
    name: x.name,
    rec: x.sweep?.find((s) => s.clients === Math.max(...(x.sweep ?? []).map((q) => q.clients))),
  }));
  const charts = [
    throughputChart(t),
    cpuChart(t),
    distributionChart(
      'Sequential put latency distribution (1 client)',
      t.map((x) => ({ name: x.name, rec: x.sequential })),
    ),
    distributionChart(
      `Put latency distribution at ${Math.max(0, ...r.settings.clients)} clients`,
      at256,
    ),
    stateChart(t, 'state'),
    stateChart(t, 'visible'),
    failoverChart(t),
    clientFailoverChart(t),
    memoryChart(t),
  ];
  const goals = table(
    ['goal', 'measured', 'result'],
    r.goals.map((g) => [
      g.text,
      g.measured,
      g.met === null ? 'not measured' : g.met ? 'met' : 'MISSED',
    ]),
  );
  const seqRows = t.map((x) => [x.name, ...lat(x.sequential)]);
  const sweepRows = t.flatMap((x) =>
    (x.sweep ?? []).map((s) => [
      x.name,
      s.clients,
      ...lat(s),
      s.cpu?.usPerWrite ?? '—',
      cpuSplit(s),
    ]),
  );
  const readRows = t.flatMap((x) =>
    (x.reads ?? []).map((q) => [
      x.name,
      q.kind,
      q.clients,
      ...(q.load ? lat(q.load) : [q.note ?? 'n/a', '', '', '', '', '', '']),
    ]),
  );
  const stateRows = t.flatMap((x) =>
    (x.state?.steps ?? []).flatMap((s) =>
      s.followers.map((f) => [
        x.name,
        `${Math.round(s.fraction * 100)} %`,
        s.rate,
        s.load.throughput,
        `member ${f.member}`,
        f.watchSkewMs.p50,
        f.watchSkewMs.p99,
        `${f.watchSkewMs.negative}/${f.watchSkewMs.count}`,
        f.putToVisibleMs.p50,
        f.putToVisibleMs.p99,
        f.missing,
      ]),
    ),
  );
  const leaderStateRows = t.flatMap((x) =>
    (x.state?.steps ?? []).flatMap((s) =>
      Object.entries(s.stateLatencyMs ?? {}).map(([name, q]) => [
        x.name,
        `${Math.round(s.fraction * 100)} %`,
        s.rate,
        name,
        q.count,
        q.p50,
        q.p99,
        s.leaderCommitMs?.p50 ?? '—',
      ]),
    ),
  );
  const foRows = t.flatMap((x) =>
    (x.failover ?? []).map((f) => [
      x.name,
      f.setting,
      f.trials.length,
      f.leaderMs.p50,
      f.leaderMs.p99,
      f.rtoMs.p50,
      f.rtoMs.p99,
      f.rtoMs.max,
      f.unrecovered,
    ]),
  );
  const cfRows = t.flatMap((x) =>
    (x.clientFailover ? [x.clientFailover] : []).map((c) => [
      x.name,
      c.trials.length,
      c.maxWaitMs.p50,
      c.maxWaitMs.max,
      c.rtoMs.p50,
      c.ratioMedian ?? '—',
      `${c.withinBound}/${c.trials.length}`,
      c.waitMs.p50,
      c.waitMs.p99,
      `${c.failedRequests}/${c.waitMs.count}`,
      c.unrecovered,
    ]),
  );
  const memRows = t.flatMap((x) =>
    (x.memory ?? []).map((m) => [
      x.name,
      m.keys,
      m.rssMiB.map((v) => v ?? '—').join(' / '),
      m.inProcess ? `${m.inProcess.heapUsedMiB} MiB heap (whole process)` : '—',
      m.loadSeconds,
    ]),
  );
  const ablRows = (r.ablations ?? []).map((a) => [
    a.name,
    a.change,
    a.sequential.latencyMs.p50,
    a.sequential.latencyMs.p99,
    a.at64.throughput,
    a.at64.latencyMs.p99,
    a.entriesPerFsync,
  ]);
  const s = r.setup;
  const setupRows: [string, string][] = [
    ['date', s.date],
    ['mode', r.mode],
    ['CPU', `${s.cpu} × ${s.cpus}`],
    ['memory', `${s.memoryGiB} GiB`],
    ['Node', s.node],
    ['OS', s.platform],
    ['etcd', s.etcdVersion],
    ['git commit', s.gitCommit],
    ['load average (1 min) at start / end', `${s.loadAverage1m} / ${r.loadAverageEnd1m}`],
    [
      'fsync (4 KiB + fdatasync)',
      `p50 ${s.fsync.p50} ms, p99 ${s.fsync.p99} ms, max ${s.fsync.max} ms (${s.fsync.count} samples)`,
    ],
    ['settings', JSON.stringify(r.settings)],
    ['duration', `${r.durationS} s`],
  ];
  const failures = r.failures.length
    ? `<h2>Functional failures</h2><ul>${r.failures.map((f) => `<li>${escapeXml(f)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flotilla vs etcd — replication benchmarks (${escapeXml(s.date)})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{background:#fafafa;border:1px solid #ddd}
svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}svg .axis{font-size:12px}
svg .grid{stroke:#e3e3e3}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
</style></head><body>
<h1>Flotilla vs etcd — replication benchmarks</h1>
<p>Three members per system on this machine (loopback, fsync on), each through its normal Node client path, in one run (${escapeXml(r.mode)} mode). Ratios between systems are the result; absolute times are context for this machine.</p>
<div class="charts">${charts.join('\n')}</div>
<h2>Goals</h2>${goals}
${failures}
<h2>Sequential puts (1 client)</h2>${table(['target', ...LAT_HEAD], seqRows)}
<h2>Throughput sweep</h2><p>CPU per write: the CPU time of every member process and of the client process (this benchmark, which holds flotilla-embedded's n1) during the load, ÷ the writes acknowledged.</p>${table(['target', 'clients', ...LAT_HEAD, 'CPU µs/write', 'CPU ms by process'], sweepRows)}
${grpcSection(r)}
<h2>State latency</h2><p>The leader learned an entry committed → the follower applied it, timed by Flotilla's leader in its own clock (apply reports; per step from its <code>/metrics</code> histogram, whose power-of-two buckets make these estimates good to a factor of 2). etcd has no such measure.</p>${table(['target', 'load', 'offered/s', 'follower', 'reports', 'p50 ms', 'p99 ms', 'leader commit p50 ms'], leaderStateRows)}
<p>Watches on every member (same method on every target): watch skew = visible on the follower − visible on the leader, signed (the leader's own apply and both watch streams are in it; negative when the follower's event came first, counted, never clamped); put→visible = visible on the follower − put sent.</p>${table(['target', 'load', 'offered/s', 'done/s', 'follower', 'skew p50 ms', 'skew p99 ms', 'follower first', 'put→visible p50 ms', 'put→visible p99 ms', 'missing'], stateRows)}
<h2>Reads</h2>${table(['target', 'kind', 'clients', ...LAT_HEAD], readRows)}
<h2>Failover</h2>${table(['target', 'election', 'trials', 'leader p50 ms', 'leader p99 ms', 'RTO p50 ms', 'RTO p99 ms', 'RTO max ms', 'unrecovered'], foRows)}
<h2>Client-seen failover</h2><p>A closed-loop write load through every member (${escapeXml(String(t.find((x) => x.clientFailover)?.clientFailover?.clientsPerMember ?? '—'))} clients per member); the leader is SIGKILLed; every request's wait from send to answer or error, until 1 s after the RTO.</p>${table(['target', 'trials', 'longest wait p50 ms', 'longest wait max ms', 'RTO p50 ms', 'longest ÷ (RTO + 200) median', 'trials within', 'wait p50 ms', 'wait p99 ms', 'failed/requests', 'unrecovered'], cfRows)}
<h2>Memory</h2>${table(['target', 'keys', 'RSS per member MiB', 'in-process', 'load s'], memRows)}
<h2>Ablations (flotilla-embedded)</h2>${table(['variant', 'change', 'seq p50 ms', 'seq p99 ms', '64 clients puts/s', '64 clients p99 ms', 'entries/fsync'], ablRows)}
<h2>Setup</h2>${table(['', ''], setupRows)}
</body></html>
`;
}
