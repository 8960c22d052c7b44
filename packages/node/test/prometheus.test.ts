import { describe, expect, it } from 'vitest';
import { ExportedBuckets, ExpositionWriter } from '../src/exposition.js';
import { Histogram } from '../src/histogram.js';
import {
  checkExposition,
  histogramQuantile,
  histogramSeries,
} from '../../testkit/src/exposition-check.js';

/** Exports one histogram (recorded in ms) as seconds and reads its buckets back through the strict checker. */
function exported(h: Histogram, buckets = new ExportedBuckets(-4, 16, 1 / 1000)) {
  const text = new ExpositionWriter()
    .family('t_seconds', 'histogram', 'test')
    .histogram(h, buckets)
    .text();
  return histogramSeries(checkExposition(text).get('t_seconds')!).get('')!;
}

describe('histograms on /metrics', () => {
  it('exported buckets hold exactly the observations ≤ le, values on a bound included', () => {
    const h = new Histogram();
    // Values on bounds (1, 2, 4 ms), a rounding error above them (log2 cannot tell those apart), below the
    // lowest exported bound, and beyond the highest.
    const above = (v: number): number => v * (1 + Number.EPSILON);
    const values = [
      0,
      0.01,
      0.0625,
      above(0.0625),
      0.07,
      1,
      above(1),
      2,
      3.9,
      4,
      above(4),
      100,
      1000,
      65_536,
      above(65_536),
      1e9,
      -5,
    ];
    for (const v of values) h.record(v);
    const s = exported(h);
    for (const b of s.buckets) {
      const direct = values.filter((v) => Math.max(0, v) / 1000 <= b.le).length;
      expect(b.count, `le=${b.le}`).toBe(direct);
    }
    expect(s.count).toBe(values.length);
    expect(s.sum).toBeCloseTo(values.reduce((a, v) => a + Math.max(0, v), 0) / 1000, 6);
  });

  it('histogram_quantile over the exported buckets finds the quantiles of known observations', () => {
    const h = new Histogram();
    const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1 … 1000 ms
    for (const v of values) h.record(v);
    const buckets = exported(h).buckets;
    // Uniform within each power-of-two bucket: linear interpolation gives the exact rank.
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.5, 9);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.25, 9);
    // p99 (990 ms) lies in (0.512, 1.024]: the estimate stays inside that bucket.
    const p99 = histogramQuantile(0.99, buckets);
    expect(p99).toBeGreaterThan(0.512);
    expect(p99).toBeLessThanOrEqual(1.024);
    // status() reads the same counts on the fine grid: within one fine bucket (±4.5 %).
    const summary = h.summary();
    expect(summary.p50).toBeGreaterThan(500 / 1.05);
    expect(summary.p50).toBeLessThan(500 * 1.05);
    expect(summary.p99).toBeGreaterThan(990 / 1.05);
    expect(summary.p99).toBeLessThan(990 * 1.05);
  });

  it('a family with a label value that needs escaping still reads back to the same value', () => {
    const h = new Histogram();
    h.record(3);
    const name = 'a "quoted"\\name\nwith a line feed';
    const text = new ExpositionWriter()
      .family('t_seconds', 'histogram', 'help with \\ and\nnewline')
      .histogram(h, new ExportedBuckets(0, 2, 1), { follower: name })
      .text();
    const series = histogramSeries(checkExposition(text).get('t_seconds')!);
    expect([...series.keys()]).toEqual([`{follower=${JSON.stringify(name)}}`]);
  });

  it('refuses what would make an invalid page: a counter without _total, a family declared twice', () => {
    expect(() => new ExpositionWriter().family('x', 'counter', 'c')).toThrow(/must end in _total/);
    expect(() =>
      new ExpositionWriter().family('x_total', 'counter', 'c').family('x_total', 'counter', 'c'),
    ).toThrow(/declared twice/);
  });
});
