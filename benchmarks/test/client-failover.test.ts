import { describe, expect, it } from 'vitest';
import { evaluateGoals } from '../suite/goals.js';
import { LatencyHistogram } from '../suite/histogram.js';
import { markdownTables } from '../suite/markdown.js';
import { parseFlags, resultStem } from '../suite/flags.js';
import {
  GRACE_MS,
  median,
  summarizeTrial,
  summarizeTrials,
  type RequestRecord,
} from '../suite/scenarios/client-failover.js';
import type { MachineSetup } from '../suite/setup.js';

const setup: MachineSetup = {
  date: '2026-12-07T00:00:00.000Z',
  cpu: 'Test CPU',
  cpus: 2,
  memoryGiB: 8,
  node: 'v20.0.0',
  platform: 'Linux',
  etcdVersion: '3.4.23',
  gitCommit: 'abc1234',
  loadAverage1m: 0.5,
  fsync: {
    count: 200,
    min: 0.5,
    mean: 1,
    p50: 1,
    p90: 1.5,
    p99: 2,
    p999: 3,
    max: 3,
    dir: '/tmp/x',
  },
};

// Times relative to the kill (ms). Member 0 was the leader.
const hanging: RequestRecord[] = [
  { member: 0, sentMs: -50, waitMs: 4 }, // done before the kill
  { member: 0, sentMs: -2, waitMs: 30, error: 'UnavailableError' }, // on the victim: failed fast
  { member: 1, sentMs: -3, waitMs: 5_003, error: 'UnknownOutcomeError' }, // through a follower: hung until the timeout
  { member: 2, sentMs: 10, waitMs: 260 }, // sent after the kill, answered by the new leader
  { member: 2, sentMs: 400, waitMs: 3 },
];

describe('client-seen failover figure', () => {
  it('is the longest wait of any request against RTO + grace, whether it was sent before or after the kill', () => {
    const tr = summarizeTrial(hanging, 250, 0);
    expect(tr).toMatchObject({
      rtoMs: 250,
      maxWaitMs: 5_003,
      requests: 5,
      failed: 2,
      inFlightAtKill: 2,
    });
    expect(tr.ratio).toBeCloseTo(5_003 / (250 + GRACE_MS), 3);
    expect(tr.errors).toEqual({ UnavailableError: 1, UnknownOutcomeError: 1 });
    expect(tr.slowest[0]).toMatchObject({
      member: 1,
      waitMs: 5_003,
      viaVictim: false,
      error: 'UnknownOutcomeError',
    });
    expect(tr.slowest.map((r) => r.waitMs)).toEqual([5_003, 260, 30]);
  });

  it('a trial where every wait stays within RTO + grace has a ratio ≤ 1', () => {
    const tr = summarizeTrial(
      hanging.filter((r) => r.waitMs < 1_000),
      250,
      0,
    );
    expect(tr.maxWaitMs).toBe(260);
    expect(tr.ratio!).toBeLessThanOrEqual(1);
  });

  it('a trial that never recovered has no ratio and counts as unrecovered', () => {
    const tr = summarizeTrial(hanging, null, 0);
    expect(tr.ratio).toBeNull();
    const res = summarizeTrials([tr], new LatencyHistogram());
    expect(res).toMatchObject({ unrecovered: 1, ratioMedian: null, withinBound: 0 });
  });

  it('over trials: the median ratio, trials within the bound, failed requests', () => {
    const waits = new LatencyHistogram();
    for (const r of hanging) waits.record(r.waitMs);
    const trials = [
      summarizeTrial(hanging, 250, 0),
      summarizeTrial(hanging.slice(3), 250, 0),
      summarizeTrial(hanging, 300, 0),
    ];
    const res = summarizeTrials(trials, waits);
    expect(res.ratioMedian).toBeCloseTo(5_003 / 500, 2);
    expect(res.withinBound).toBe(1);
    expect(res.failedRequests).toBe(4);
    expect(res.waitMs.count).toBe(5);
    expect(res.maxWaitMs.p50).toBeCloseTo(5_003, -2);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('the goal is met only when the median trial stays within RTO + grace', () => {
    const hung = summarizeTrials([summarizeTrial(hanging, 250, 0)], new LatencyHistogram());
    const fine = summarizeTrials(
      [summarizeTrial(hanging.slice(3), 250, 0)],
      new LatencyHistogram(),
    );
    const goals = evaluateGoals(
      [
        { name: 'flotilla', errors: [], clientFailover: hung },
        { name: 'etcd', errors: [], clientFailover: fine },
      ],
      setup,
    );
    expect(goals.find((g) => g.id === 'client-failover-flotilla')?.met).toBe(false);
    expect(goals.find((g) => g.id === 'client-failover-etcd')?.met).toBe(true);
    const md = markdownTables({
      suite: 'flotilla-replication-bench',
      formatVersion: 1,
      mode: 'full',
      setup,
      settings: parseFlags([]),
      targets: [{ name: 'flotilla', errors: [], clientFailover: hung }],
      goals,
      failures: [],
      durationS: 1,
      loadAverageEnd1m: 0,
    });
    expect(md).toContain(
      '| Client-seen failover: longest wait p50 / RTO p50 (ms) | 5003 / 250 (1 trials) |',
    );
  });
});

describe('result file names', () => {
  it('a run of some scenarios does not overwrite the latest full results', () => {
    expect(resultStem(parseFlags([]))).toBe('suite-full');
    expect(resultStem(parseFlags(['--quick']))).toBe('suite-quick');
    expect(resultStem(parseFlags(['--scenarios', 'client-failover']))).toBe(
      'suite-full-client-failover',
    );
    expect(resultStem(parseFlags(['--smoke', '--scenarios', 'failover,client-failover']))).toBe(
      'suite-smoke-failover+client-failover',
    );
  });
});
