// The cost of TLS and auth as ratios secure / plain of the same measures
// (security-cost.ts): > 1 for latency means slower, < 1 for throughput means fewer puts/s.
import type { LoadRecord } from './context.js';

export type SecurityVariant = 'plain' | 'secure';

export interface SecurityMeasures {
  readonly sequential: LoadRecord;
  readonly concurrent: LoadRecord;
}

export interface SecurityRatios {
  /** p50 of sequential puts, secure ÷ plain. */
  readonly sequentialP50: number;
  /** puts/s at N clients, secure ÷ plain. */
  readonly concurrentThroughput: number;
}

const ratio = (on: number, off: number): number =>
  off > 0 ? Math.round((on / off) * 100) / 100 : Number.NaN;

export function securityRatios(off: SecurityMeasures, on: SecurityMeasures): SecurityRatios {
  return {
    sequentialP50: ratio(on.sequential.latencyMs.p50, off.sequential.latencyMs.p50),
    concurrentThroughput: ratio(on.concurrent.throughput, off.concurrent.throughput),
  };
}

/** A markdown table of both runs and the ratios. */
export function securityTable(
  off: SecurityMeasures,
  on: SecurityMeasures,
  r: SecurityRatios,
  clients: number,
): string {
  return [
    '| measure | plain | TLS + auth | ratio (on / off) |',
    '|---|---|---|---|',
    `| sequential put p50 (ms) | ${off.sequential.latencyMs.p50} | ${on.sequential.latencyMs.p50} | ${r.sequentialP50} |`,
    `| puts/s at ${clients} clients | ${off.concurrent.throughput} | ${on.concurrent.throughput} | ${r.concurrentThroughput} |`,
  ].join('\n');
}
