// A histogram on a fixed logarithmic grid: 8 buckets per doubling, from
// 2^-10 to 2^32 of the recorded unit (about 1 µs to 50 days when the unit is
// ms), and one overflow bucket. Memory stays constant however many values are
// recorded; record() is O(1) (one log2, no allocation).
//
// Every power of two of the unit is a bucket bound, so the Prometheus
// exposition (exposition.ts) exports a subset of the grid's bounds as `le`
// values with exact cumulative counts: an observation never straddles an
// exported bound. status() summaries are read from the same counts, accurate
// to one bucket (a ratio of 2^(1/8), within ±4.5%).

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

/** Buckets per doubling. */
const STEPS = 8;
/** The lowest bound is 2^MIN_EXP of the unit; values at or below it land in bucket 0. */
const MIN_EXP = -10;
/** The highest finite bound is 2^MAX_EXP; larger values land in the overflow bucket. */
const MAX_EXP = 32;
const FINITE_BOUNDS = (MAX_EXP - MIN_EXP) * STEPS + 1;
/** Upper bounds of buckets 0..FINITE_BOUNDS-1 (bucket FINITE_BOUNDS has +Inf). Shared by every histogram. */
const BOUNDS = Float64Array.from({ length: FINITE_BOUNDS }, (_, k) => 2 ** (MIN_EXP + k / STEPS));

/** The grid index of the bound 2^exponent: exported `le` values must be powers of two of the unit. */
export function boundIndexOfPowerOfTwo(exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < MIN_EXP || exponent > MAX_EXP) {
    throw new RangeError(
      `histogram bounds are powers of two from 2^${MIN_EXP} to 2^${MAX_EXP}; got 2^${exponent}`,
    );
  }
  return (exponent - MIN_EXP) * STEPS;
}

export class Histogram {
  private readonly counts = new Float64Array(FINITE_BOUNDS + 1);
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;
  /** status() is read on every HTTP answer (its header): the summary is kept until the next record. */
  private summaryCache: HistogramSummary | undefined;

  /** Records one value; negative values count as 0, non-finite ones are ignored. */
  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.summaryCache = undefined;
    const v = value > 0 ? value : 0;
    this.counts[bucketOf(v)]! += 1;
    this.n++;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  get count(): number {
    return this.n;
  }

  /** The sum of recorded values (negatives counted as 0). */
  get sum(): number {
    return this.total;
  }

  /**
   * Cumulative counts at the given grid indexes (ascending, from
   * boundIndexOfPowerOfTwo): out[i] = values ≤ the bound at indexes[i].
   */
  cumulativeCounts(indexes: readonly number[], out: number[]): void {
    let seen = 0;
    let k = 0;
    for (let i = 0; i < indexes.length; i++) {
      const upTo = indexes[i]!;
      for (; k <= upTo; k++) seen += this.counts[k]!;
      out[i] = seen;
    }
  }

  /** The value below which a fraction `q` of the recorded values fall (0 when empty). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < FINITE_BOUNDS; i++) {
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
      mean: this.total / this.n,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
    };
  }
}

/** Bucket k holds (BOUNDS[k-1], BOUNDS[k]]: the first bound ≥ v. */
function bucketOf(v: number): number {
  if (v <= BOUNDS[0]!) return 0;
  if (v > BOUNDS[FINITE_BOUNDS - 1]!) return FINITE_BOUNDS;
  let k = Math.ceil((Math.log2(v) - MIN_EXP) * STEPS);
  // log2 may round across a bound: one step corrects it (bounds are exact at powers of two).
  if (k > 0 && v <= BOUNDS[k - 1]!) k--;
  else if (v > BOUNDS[k]!) k++;
  return k;
}

/** The geometric middle of bucket k (its upper bound for bucket 0). */
function midpoint(k: number): number {
  if (k === 0) return BOUNDS[0]!;
  return BOUNDS[k]! / Math.SQRT2 ** (1 / STEPS);
}
