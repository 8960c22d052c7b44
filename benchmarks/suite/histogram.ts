// A log-bucketed latency histogram in the spirit of HDR Histogram: fixed
// memory, any number of values, quantiles within 1 % of the true value.
// packages/node's histogram has ±5 % buckets and no p99.9, too coarse for a
// benchmark report; hdr-histogram-js is not installed, so this is our own.
//
// Bucket i ≥ 1 holds (LOWEST·R^(i-1), LOWEST·R^i]; a quantile is reported as
// the bucket's geometric midpoint, whose error is at most √R − 1 ≈ 0.995 %.
// min and max are kept exactly and bound every reported quantile.

/** Ratio between bucket edges. */
export const BUCKET_RATIO = 1.02;
/** Values at or below this (1 µs when the unit is ms) land in bucket 0. */
export const LOWEST_MS = 0.001;
/** 1e-3 · 1.02^1200 ≈ 2e7 ms (about 5.5 hours): above that, values share the last bucket. */
export const BUCKETS = 1200;
const LOG_RATIO = Math.log(BUCKET_RATIO);

export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** A point of the distribution for plots: the fraction of values at or below `valueMs`. */
export interface PercentilePoint {
  readonly percentile: number;
  readonly valueMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;

  record(valueMs: number): void {
    if (!Number.isFinite(valueMs))
      throw new RangeError(`a latency must be a finite number of ms, got ${valueMs}`);
    const v = Math.max(0, valueMs);
    this.counts[bucketOf(v)]! += 1;
    this.n++;
    this.sum += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** Adds every value of `other` (e.g. per-client histograms into one). */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    this.sum += other.sum;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
  }

  get count(): number {
    return this.n;
  }

  /** The smallest value v such that a fraction q of the values are ≤ v (0 when empty). */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`a quantile is between 0 and 1, got ${q}`);
    if (this.n === 0) return 0;
    if (q === 1) return this.hi;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return clamp(midpoint(i), this.lo, this.hi);
    }
    return this.hi;
  }

  summary(): LatencySummary {
    if (this.n === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: this.n,
      min: round(this.lo),
      mean: round(this.sum / this.n),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      p999: round(this.quantile(0.999)),
      max: round(this.hi),
    };
  }

  /**
   * The distribution at percentiles spaced evenly in "nines" (50, 75, 87.5 …
   * up to the max), the way HDR histogram plots are drawn.
   */
  percentileCurve(pointsMax = 40): PercentilePoint[] {
    if (this.n === 0) return [];
    const out: PercentilePoint[] = [];
    for (let k = 0; k < pointsMax; k++) {
      const q = 1 - 0.5 ** (k / 2 + 0.0001);
      if (q * this.n > this.n - 1) break;
      out.push({ percentile: round(q * 100, 5), valueMs: round(this.quantile(q)) });
    }
    out.push({ percentile: 100, valueMs: round(this.hi) });
    return out;
  }
}

export function bucketOf(v: number): number {
  if (v <= LOWEST_MS) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(v / LOWEST_MS) / LOG_RATIO));
}

function midpoint(bucket: number): number {
  if (bucket === 0) return LOWEST_MS;
  return LOWEST_MS * BUCKET_RATIO ** (bucket - 1) * Math.sqrt(BUCKET_RATIO);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
