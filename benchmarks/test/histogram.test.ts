import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../suite/histogram.js';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('LatencyHistogram', () => {
  it('reports every quantile within 1 % of the exact order statistic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.002, max: 1e6, noNaN: true }), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.constantFrom(0.5, 0.9, 0.99, 0.999),
        (values, q) => {
          const h = new LatencyHistogram();
          for (const v of values) h.record(v);
          const exact = exactQuantile(
            [...values].sort((a, b) => a - b),
            q,
          );
          expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.01);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps min, max, count and mean exactly, and p100 is the max', () => {
    const h = new LatencyHistogram();
    for (const v of [3, 1, 2, 10]) h.record(v);
    expect(h.summary()).toMatchObject({ count: 4, min: 1, max: 10, mean: 4 });
    expect(h.quantile(1)).toBe(10);
  });

  it('merging two histograms equals recording all values in one', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) {
      (i % 2 ? a : b).record(i * 0.37);
      all.record(i * 0.37);
    }
    a.merge(b);
    expect(a.summary()).toEqual(all.summary());
  });

  it('refuses a value that is not a finite number', () => {
    expect(() => new LatencyHistogram().record(Number.NaN)).toThrow(RangeError);
  });

  it('an empty histogram summarises to zeros and an empty curve', () => {
    const h = new LatencyHistogram();
    expect(h.summary().count).toBe(0);
    expect(h.percentileCurve()).toEqual([]);
  });

  it('the percentile curve rises in percentile and value and ends at the max', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 100);
    const curve = h.percentileCurve();
    for (let i = 1; i < curve.length; i++) {
      expect(curve[i]!.percentile).toBeGreaterThan(curve[i - 1]!.percentile);
      expect(curve[i]!.valueMs).toBeGreaterThanOrEqual(curve[i - 1]!.valueMs);
    }
    expect(curve.at(-1)).toEqual({ percentile: 100, valueMs: 100 });
  });
});
