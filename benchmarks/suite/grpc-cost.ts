// What the gRPC path costs: the same Flotilla cluster driven through etcd's
// client (flotilla-grpc: etcd3 over gRPC) next to Flotilla's own (flotilla:
// remoteKv over HTTP/JSON), as ratios grpc ÷ http of one run's medians, plus
// flotilla-grpc ÷ etcd (the same client code on both servers). For latency
// and CPU a ratio above 1 means the gRPC side costs more; for throughput a
// ratio below 1 means it does fewer puts/s.
import type { SuiteResult, TargetResults } from './results.js';

export interface CostRow {
  readonly measure: string;
  readonly http: number | undefined;
  readonly grpc: number | undefined;
  readonly etcd: number | undefined;
}

const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? '—' : String(Math.round((a / b) * 100) / 100);

const shown = (v: number | undefined): string =>
  v === undefined ? '—' : String(Math.round(v * 100) / 100);

/** The measures of one target that the comparison uses. */
function measures(t: TargetResults | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (t?.sequential) out.set('sequential put p50 (ms)', t.sequential.latencyMs.p50);
  for (const s of t?.sweep ?? []) {
    out.set(`puts/s at ${s.clients} clients`, s.throughput);
    out.set(`put p50 at ${s.clients} clients (ms)`, s.latencyMs.p50);
    if (s.cpu) out.set(`CPU per write at ${s.clients} clients (µs)`, s.cpu.usPerWrite);
  }
  for (const r of t?.reads ?? [])
    if (r.load && r.kind === 'linearizable')
      out.set(`linearizable reads/s at ${r.clients} clients`, r.load.throughput);
  return out;
}

/** One row per measure either Flotilla target has; undefined when the run lacks flotilla or flotilla-grpc. */
export function grpcCostRows(r: SuiteResult): CostRow[] | undefined {
  const find = (name: string) => r.targets.find((t) => t.name === name);
  const http = find('flotilla');
  const grpc = find('flotilla-grpc');
  if (http === undefined || grpc === undefined) return undefined;
  const [h, g, e] = [measures(http), measures(grpc), measures(find('etcd'))];
  return [...new Set([...h.keys(), ...g.keys()])].map((measure) => ({
    measure,
    http: h.get(measure),
    grpc: g.get(measure),
    etcd: e.get(measure),
  }));
}

/** Rows of cells: measure, flotilla, flotilla-grpc, gRPC ÷ HTTP, etcd, flotilla-grpc ÷ etcd. */
export function grpcCostCells(r: SuiteResult): string[][] {
  return (grpcCostRows(r) ?? []).map((c) => [
    c.measure,
    shown(c.http),
    shown(c.grpc),
    ratio(c.grpc, c.http),
    shown(c.etcd),
    ratio(c.grpc, c.etcd),
  ]);
}

export const GRPC_COST_HEAD = [
  'measure',
  'flotilla (HTTP/JSON)',
  'flotilla-grpc (etcd3)',
  'gRPC ÷ HTTP',
  'etcd (etcd3)',
  'flotilla-grpc ÷ etcd',
] as const;

/** The markdown table for docs/benchmarks.md (empty when the run lacks either Flotilla target). */
export function grpcCostTable(r: SuiteResult): string {
  const cells = grpcCostCells(r);
  if (cells.length === 0) return '';
  return [
    `| ${GRPC_COST_HEAD.join(' | ')} |`,
    `|${GRPC_COST_HEAD.map(() => '---').join('|')}|`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
