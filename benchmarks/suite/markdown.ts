// The side-by-side table for docs/benchmarks.md, from one run's JSON.
import type { SuiteResult, TargetResults } from './results.js';
import { TARGET_NAMES } from './flags.js';
import { grpcCostTable } from './grpc-cost.js';

const dash = '—';
const n = (v: number | undefined, digits = 2): string =>
  v === undefined || !Number.isFinite(v)
    ? dash
    : String(Math.round(v * 10 ** digits) / 10 ** digits);

function rows(t: TargetResults | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const seq = t?.sequential?.latencyMs;
  out['Sequential put p50 / p99 / p99.9 (ms)'] = seq
    ? `${n(seq.p50)} / ${n(seq.p99)} / ${n(seq.p999)}`
    : dash;
  for (const s of t?.sweep ?? [])
    out[`Puts/s at ${s.clients} clients (p99 ms)`] = `${s.throughput} (${n(s.latencyMs.p99, 1)})`;
  for (const s of t?.sweep ?? [])
    if (s.cpu)
      out[`CPU per write at ${s.clients} clients, members + client (µs)`] = n(s.cpu.usPerWrite, 0);
  for (const step of t?.state?.steps ?? []) {
    const state = Object.values(step.stateLatencyMs ?? {});
    const worstState = state.length > 0 ? n(Math.max(...state.map((q) => q.p99))) : 'n/a';
    const worstSkew = Math.max(...step.followers.map((f) => f.watchSkewMs.p50));
    const worstVisible = Math.max(...step.followers.map((f) => f.putToVisibleMs.p50));
    out[
      `State latency p99 / watch skew p50 / put→visible p50 at ${Math.round(step.fraction * 100)} % load (ms)`
    ] = `${worstState} / ${n(worstSkew)} / ${n(worstVisible)} (${step.rate}/s)`;
  }
  for (const r of t?.reads ?? [])
    out[`${r.kind} reads/s at ${r.clients} clients (p99 ms)`] = r.load
      ? `${r.load.throughput} (${n(r.load.latencyMs.p99, 1)})`
      : 'n/a';
  for (const f of t?.failover ?? [])
    out[`Failover ${f.setting}: leader p50 / RTO p50 / RTO p99 (ms)`] =
      `${n(f.leaderMs.p50, 0)} / ${n(f.rtoMs.p50, 0)} / ${n(f.rtoMs.p99, 0)} (${f.trials.length} trials)`;
  const cf = t?.clientFailover;
  if (cf) {
    out[`Client-seen failover: longest wait p50 / RTO p50 (ms)`] =
      `${n(cf.maxWaitMs.p50, 0)} / ${n(cf.rtoMs.p50, 0)} (${cf.trials.length} trials)`;
    out[`Client-seen failover: longest wait ÷ (RTO + ${cf.graceMs} ms), median; trials within`] =
      `${n(cf.ratioMedian ?? undefined)}; ${cf.withinBound}/${cf.trials.length}`;
    out['Client-seen failover: failed requests / requests'] =
      `${cf.failedRequests} / ${cf.waitMs.count}`;
  }
  for (const m of t?.memory ?? [])
    out[`RSS per member, ${m.keys.toLocaleString('en')} keys (MiB)`] = m.rssMiB
      .map((v) => v ?? dash)
      .join(' / ');
  return out;
}

export function markdownTables(r: SuiteResult): string {
  const names = TARGET_NAMES.filter((name) => r.targets.some((t) => t.name === name));
  const per = names.map((name) => rows(r.targets.find((t) => t.name === name)));
  const metrics = [...new Set(per.flatMap((p) => Object.keys(p)))];
  const lines = [`| metric | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`];
  for (const m of metrics) lines.push(`| ${m} | ${per.map((p) => p[m] ?? dash).join(' | ')} |`);
  lines.push('', '| goal | measured | result |', '|---|---|---|');
  for (const g of r.goals)
    lines.push(
      `| ${g.text} | ${g.measured} | ${g.met === null ? 'not measured' : g.met ? '**met**' : '**missed**'} |`,
    );
  const grpc = grpcCostTable(r);
  if (grpc !== '') lines.push('', grpc);
  if (r.ablations?.length) {
    lines.push(
      '',
      '| ablation (flotilla-embedded) | seq p50 ms | seq p99 ms | puts/s at 64 clients | p99 ms at 64 | entries/fsync |',
      '|---|---|---|---|---|---|',
    );
    for (const a of r.ablations)
      lines.push(
        `| ${a.name} | ${n(a.sequential.latencyMs.p50)} | ${n(a.sequential.latencyMs.p99)} | ${a.at64.throughput} | ${n(a.at64.latencyMs.p99, 1)} | ${n(a.entriesPerFsync, 1)} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}
