// Flotilla's own state latency, per load step: the leader learned an entry
// committed → the follower applied it, measured inside the leader in its
// clock (packages/node metrics.ts). Read from the leader's /metrics
// histogram (flotilla_state_latency_seconds{follower}) before and after a
// step; the difference of the bucket counts is that step's distribution.
// The leader's commit latency (a write accepted by the leader → applied
// there, flotilla_commit_latency_seconds) is read the same way: it tells the
// time inside the node from the time the client's process adds.
// Buckets are powers of two of a millisecond, so quantiles are interpolated
// within a bucket as Prometheus' histogram_quantile() does: within a factor 2.
import { round } from './histogram.js';

/** `<family>_bucket{[follower="…",]le="…"} count` */
const BUCKET =
  /^(flotilla_state_latency_seconds|flotilla_commit_latency_seconds)_bucket\{(?:follower="([^"]*)",)?le="([^"]+)"\} (\S+)$/;

/** Per follower label (state latency), or COMMIT: cumulative counts by upper bound in seconds (+Inf last). */
export type StateBuckets = Map<string, [le: number, count: number][]>;

/** The key of the leader's commit latency histogram in StateBuckets (follower names never start with "#"). */
export const COMMIT = '#commit';

export function parseStateBuckets(text: string): StateBuckets {
  const out: StateBuckets = new Map();
  for (const line of text.split('\n')) {
    const r = BUCKET.exec(line);
    if (r === null) continue;
    const m = [
      r[0],
      r[1] === 'flotilla_commit_latency_seconds' ? COMMIT : (r[2] ?? ''),
      r[3],
      r[4],
    ] as const;
    const list = out.get(m[1]!) ?? [];
    list.push([m[2] === '+Inf' ? Infinity : Number(m[2]), Number(m[3])]);
    out.set(m[1]!, list);
  }
  return out;
}

export interface StepStateLatency {
  /** Reports recorded in the step. */
  readonly count: number;
  /** Quantile estimates in ms (linear within the bucket; the top finite bound if in +Inf). */
  readonly p50: number;
  readonly p99: number;
}

/** Quantile q of cumulative buckets, in ms. */
function quantileMs(buckets: readonly [number, number][], q: number): number {
  const total = buckets.at(-1)![1];
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe * 1000;
      const inBucket = count - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return (prevLe + (le - prevLe) * frac) * 1000;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe * 1000;
}

/** The step's distribution per follower: `after − before`, bucket by bucket. */
export function stepStateLatency(
  before: StateBuckets,
  after: StateBuckets,
): Record<string, StepStateLatency> {
  const out: Record<string, StepStateLatency> = {};
  for (const [label, end] of after) {
    const start = new Map(before.get(label) ?? []);
    const diff = end.map(([le, count]) => [le, count - (start.get(le) ?? 0)] as [number, number]);
    const count = diff.at(-1)?.[1] ?? 0;
    if (count <= 0) continue;
    out[label] = { count, p50: round(quantileMs(diff, 0.5)), p99: round(quantileMs(diff, 0.99)) };
  }
  return out;
}

/** The leader's buckets now, or undefined (etcd, or the member did not answer). */
export async function scrapeStateBuckets(url: string): Promise<StateBuckets | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return undefined;
    return parseStateBuckets(await res.text());
  } catch {
    return undefined;
  }
}
