// A log-bucketed histogram with a fixed number of buckets: memory stays
// constant however many values are recorded, and quantiles are accurate to
// one bucket (a ratio of BUCKET_RATIO, i.e. within ±5%).

/** Summary of a histogram for status(): counts, extremes, and quantiles (bucket midpoints). */
export interface HistogramSummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

const BUCKET_RATIO = 1.1;
const LOG_RATIO = Math.log(BUCKET_RATIO);
/** Values at or below this land in bucket 0 (1 µs when the unit is ms). */
const LOWEST = 0.001;
/** 1e-3 · 1.1^300 ≈ 2.6e9: beyond a month in ms, or billions of entries. */
const BUCKETS = 300;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;
  /** status() is read on every HTTP answer (its header): the summary is kept until the next record. */
  private summaryCache: HistogramSummary | undefined;

  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.summaryCache = undefined;
    const v = Math.max(0, value);
    this.counts[bucketOf(v)]! += 1;
    this.n++;
    this.sum += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  get count(): number {
    return this.n;
  }

  /** The value below which a fraction `q` of the recorded values fall (0 when empty). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.hi, Math.max(this.lo, midpoint(i)));
    }
    return this.hi;
  }

  summary(): HistogramSummary {
    return (this.summaryCache ??= Object.freeze(this.computeSummary()));
  }

  private computeSummary(): HistogramSummary {
    if (this.n === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    return {
      count: this.n,
      min: this.lo,
      max: this.hi,
      mean: this.sum / this.n,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
    };
  }
}

function bucketOf(v: number): number {
  if (v <= LOWEST) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(v / LOWEST) / LOG_RATIO));
}

function midpoint(bucket: number): number {
  if (bucket === 0) return LOWEST;
  const low = LOWEST * BUCKET_RATIO ** (bucket - 1);
  return low * Math.sqrt(BUCKET_RATIO);
}
