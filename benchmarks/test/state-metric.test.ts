import { describe, expect, it } from 'vitest';
import { signedSummary } from '../suite/scenarios/state.js';
import { COMMIT, parseStateBuckets, stepStateLatency } from '../suite/state-metric.js';

/** A /metrics excerpt: cumulative counts at le = 0.001, 0.002, 0.004 s, +Inf. */
function exposition(n2: readonly number[], n3: readonly number[]): string {
  const les = ['0.001', '0.002', '0.004', '+Inf'];
  const lines = ['# TYPE flotilla_state_latency_seconds histogram'];
  for (const [name, counts] of [
    ['n2', n2],
    ['n3', n3],
  ] as const) {
    counts.forEach((c, i) =>
      lines.push(`flotilla_state_latency_seconds_bucket{follower="${name}",le="${les[i]}"} ${c}`),
    );
    lines.push(
      `flotilla_state_latency_seconds_sum{follower="${name}"} 0.1`,
      `flotilla_state_latency_seconds_count{follower="${name}"} ${counts.at(-1)}`,
    );
  }
  lines.push(
    'flotilla_commit_latency_seconds_bucket{le="0.001"} 7',
    'flotilla_commit_latency_seconds_bucket{le="+Inf"} 8',
  );
  return lines.join('\n');
}

describe("state latency per step from the leader's /metrics", () => {
  it('takes the difference of two scrapes and interpolates quantiles within a bucket', () => {
    const before = parseStateBuckets(exposition([10, 10, 10, 10], [5, 5, 5, 5]));
    // In the step: n2 had 100 reports between 1 and 2 ms; n3 none.
    const after = parseStateBuckets(exposition([10, 110, 110, 110], [5, 5, 5, 5]));
    const step = stepStateLatency(before, after);
    expect(Object.keys(step)).toEqual(['n2']); // the commit latency did not move
    expect(step.n2).toEqual({ count: 100, p50: 1.5, p99: 1.99 });
  });

  it('a quantile in the +Inf bucket reads as the highest finite bound', () => {
    const step = stepStateLatency(
      new Map(),
      parseStateBuckets(exposition([0, 0, 0, 4], [1, 1, 1, 1])),
    );
    expect(step.n2!.p50).toBe(4);
    expect(step.n3).toEqual({ count: 1, p50: 0.5, p99: 0.99 }); // one report between 0 and 1 ms
    expect(step[COMMIT]).toEqual({ count: 8, p50: 0.571, p99: 1 }); // 7 writes ≤ 1 ms, one above: the leader's commit latency
  });
});

describe('watch skew', () => {
  it('keeps negative samples (follower seen first) and counts them instead of clamping', () => {
    const s = signedSummary([-3, -1, 0.5, 2, 4]);
    expect(s).toEqual({ count: 5, min: -3, p50: 0.5, p99: 4, max: 4, negative: 2 });
    expect(signedSummary([])).toMatchObject({ count: 0, negative: 0 });
  });
});
