// The TLS/auth cost figure: ratios secure ÷ plain of the same measures, and the table docs/benchmarks.md quotes.
import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../suite/context.js';
import { securityRatios, securityTable } from '../suite/security-ratios.js';

function record(p50: number, throughput: number, clients: number): LoadRecord {
  return {
    clients,
    rate: 0,
    ok: 100,
    errors: 0,
    errorSamples: [],
    seconds: 2,
    throughput,
    latencyMs: { count: 100, min: p50, mean: p50, p50, p90: p50, p99: p50, p999: p50, max: p50 },
    curve: [],
  };
}

describe('securityRatios', () => {
  const off = { sequential: record(4, 250, 1), concurrent: record(50, 1000, 64) };
  const on = { sequential: record(5, 200, 1), concurrent: record(80, 800, 64) };

  it('is secure ÷ plain for the sequential p50 and the throughput at N clients', () => {
    expect(securityRatios(off, on)).toEqual({ sequentialP50: 1.25, concurrentThroughput: 0.8 });
  });

  it('is NaN, not Infinity, when the plain run measured nothing', () => {
    const empty = { sequential: record(0, 0, 1), concurrent: record(0, 0, 64) };
    const r = securityRatios(empty, on);
    expect(Number.isNaN(r.sequentialP50) && Number.isNaN(r.concurrentThroughput)).toBe(true);
  });

  it('prints both runs and the ratios', () => {
    const table = securityTable(off, on, securityRatios(off, on), 64);
    expect(table).toContain('| sequential put p50 (ms) | 4 | 5 | 1.25 |');
    expect(table).toContain('| puts/s at 64 clients | 1000 | 800 | 0.8 |');
  });
});
