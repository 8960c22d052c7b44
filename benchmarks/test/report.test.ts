import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../suite/context.js';
import { evaluateGoals } from '../suite/goals.js';
import { LatencyHistogram } from '../suite/histogram.js';
import { markdownTables } from '../suite/markdown.js';
import { ninesOf, renderReport } from '../suite/report-html.js';
import type { SuiteResult, TargetResults } from '../suite/results.js';
import { parseFlags, type TargetName } from '../suite/flags.js';
import { grpcCostRows } from '../suite/grpc-cost.js';
import type { MachineSetup } from '../suite/setup.js';
import { summarizeTrial, summarizeTrials } from '../suite/scenarios/client-failover.js';
import { signedSummary } from '../suite/scenarios/state.js';

function load(clients: number, throughput: number, p50: number): LoadRecord {
  const h = new LatencyHistogram();
  for (let i = 0; i < 1000; i++) h.record(p50 * (0.5 + i / 1000));
  return {
    clients,
    rate: 0,
    ok: 1000,
    errors: 0,
    errorSamples: [],
    seconds: 1,
    throughput,
    latencyMs: h.summary(),
    curve: h.percentileCurve(),
  };
}

function target(
  name: TargetName,
  seqP50: number,
  at256: number,
  rtoMs: number,
  rssMiB: number,
  visibleP50: number,
  cpuUsPerWrite = 100,
): TargetResults {
  const steps = [0.1, 0.5].map((fraction) => ({
    fraction,
    rate: Math.round(at256 * fraction),
    load: load(256, Math.round(at256 * fraction), 2),
    leaderPutToVisibleMs: load(1, 1, visibleP50).latencyMs,
    followers: [1, 2].map((member) => ({
      member,
      watchSkewMs: signedSummary([-1, 0.5, 2]),
      putToVisibleMs: load(1, 1, visibleP50).latencyMs,
      missing: 0,
    })),
    ...(name === 'etcd'
      ? {}
      : {
          stateLatencyMs: {
            n2: { count: 100, p50: 0.6, p99: 1.2 },
            n3: { count: 100, p50: 0.7, p99: 1.4 },
          },
        }),
  }));
  const rto = new LatencyHistogram();
  rto.record(rtoMs);
  return {
    name,
    errors: [],
    sequential: load(1, 1000 / seqP50, seqP50),
    sweep: [
      load(1, 100, seqP50),
      {
        ...load(256, at256, 20),
        cpu: { usPerWrite: cpuUsPerWrite, byProcessMs: { client: 1, 'member 1': 2 }, seconds: 1 },
      },
    ],
    state: { saturation: at256, leader: 0, steps },
    reads: [
      {
        kind: 'lease',
        clients: 1,
        ...(name === 'flotilla-embedded' ? { load: load(1, 5000, 0.1) } : { note: 'n/a' }),
      },
    ],
    failover: [
      {
        setting: 'default',
        trials: [{ leaderMs: rtoMs - 5, rtoMs }],
        leaderMs: rto.summary(),
        rtoMs: rto.summary(),
        unrecovered: 0,
      },
    ],
    memory: [
      {
        keys: 1_000_000,
        valueBytes: 256,
        loadSeconds: 10,
        rssMiB: [rssMiB, rssMiB, rssMiB],
        maxRssMiB: rssMiB,
      },
    ],
    // The longest wait: one request in flight at the kill that waited 5 s (the "before" shape).
    clientFailover: summarizeTrials(
      [
        summarizeTrial(
          [
            { member: 1, sentMs: -10, waitMs: 5_000 },
            { member: 2, sentMs: 5, waitMs: rtoMs },
          ],
          rtoMs,
          0,
        ),
      ],
      new LatencyHistogram(),
    ),
  };
}

const setup: MachineSetup = {
  date: '2026-11-28T00:00:00.000Z',
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

function suite(targets: TargetResults[]): SuiteResult {
  return {
    suite: 'flotilla-replication-bench',
    formatVersion: 1,
    mode: 'full',
    setup,
    settings: parseFlags([]),
    targets,
    goals: evaluateGoals(targets, setup),
    failures: [],
    durationS: 1,
    loadAverageEnd1m: 0.4,
  };
}

describe('goals', () => {
  it('marks each issue target met or missed from ratios within one run', () => {
    const targets = [
      target('flotilla-embedded', 2.5, 50_000, 300, 900, 1, 100),
      target('flotilla', 4, 10_000, 350, 1000, 2, 300),
      target('etcd', 10, 4_000, 1500, 1200, 5, 400),
    ];
    const goals = Object.fromEntries(evaluateGoals(targets, setup).map((g) => [g.id, g.met]));
    expect(goals).toEqual({
      'seq-remote': true, // 4 ≤ 0.5 × 10
      'seq-embedded': true, // 2.5 ≤ 3 × 1
      'tput-remote': false, // 10k < 3 × 4k
      'tput-embedded': true, // 50k ≥ 10 × 4k
      'cpu-remote': false, // 300 µs > 0.67 × 400
      'cpu-embedded': true, // 100 µs ≤ 0.33 × 400
      'state-flotilla': true,
      'state-flotilla-embedded': true,
      'visible-remote': true, // 2 ≤ 0.5 × 5 (p50 of the synthetic distributions scale the same)
      'rto-flotilla': true,
      'rto-flotilla-embedded': true,
      'client-failover-flotilla': false, // 5,000 ms > 350 + 200
      'client-failover-etcd': false,
      memory: true,
    });
  });

  it('a goal whose targets were not run is "not measured", never met', () => {
    const goals = evaluateGoals([target('flotilla', 4, 10_000, 350, 1000, 2)], setup);
    expect(goals.find((g) => g.id === 'seq-remote')).toMatchObject({
      met: null,
      measured: 'not measured in this run',
    });
    expect(goals.find((g) => g.id === 'rto-flotilla')?.met).toBe(true);
  });

  it('a failover with unrecovered trials misses the RTO goal whatever the median', () => {
    const t = target('flotilla', 4, 10_000, 100, 1000, 2);
    t.failover = [{ ...t.failover![0]!, unrecovered: 1 }];
    expect(evaluateGoals([t], setup).find((g) => g.id === 'rto-flotilla')?.met).toBe(false);
  });
});

describe('report', () => {
  const result = suite([
    target('flotilla-embedded', 2.5, 50_000, 300, 900, 1),
    target('flotilla', 4, 10_000, 350, 1000, 2),
    target('etcd', 10, 4_000, 1500, 1200, 5),
  ]);

  it('is one self-contained page: inline SVG charts, no scripts, no external resources', () => {
    const html = renderReport(result);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBe(9);
    expect(html).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
    for (const name of ['flotilla-embedded', 'flotilla', 'etcd']) expect(html).toContain(name);
    expect(html).toContain('MISSED'); // the throughput goal of this fixture
  });

  it('escapes text that came from the run (error messages, settings)', () => {
    const html = renderReport({ ...result, failures: ['<img onerror=x> & "quotes"'] });
    expect(html).toContain('&lt;img onerror=x&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<img onerror');
  });

  it('the percentile axis counts nines: 50 → 0.3, 99 → 2, 100 → the axis end', () => {
    expect(ninesOf(50, 4)).toBeCloseTo(0.301, 3);
    expect(ninesOf(99, 4)).toBeCloseTo(2, 6);
    expect(ninesOf(100, 3.5)).toBe(3.5);
  });

  it('the markdown table has one column per target and one row per goal', () => {
    const md = markdownTables(result);
    expect(md).toContain('| metric | flotilla-embedded | flotilla | etcd |');
    expect(md).toContain(
      '| Throughput at 256 clients: Flotilla remote ≥ 3 × etcd | 10000 puts/s vs 4000 puts/s → ratio 2.5 | **missed** |',
    );
    expect(md.match(/^\| .* \| \*\*(met|missed)\*\* \|$/gm)?.length).toBe(result.goals.length);
    expect(md).toContain(
      '| CPU per write at 256 clients, members + client (µs) | 100 | 100 | 100 |',
    );
  });
});

describe('the cost of the gRPC path', () => {
  const withGrpc = suite([
    target('flotilla', 4, 10_000, 350, 1000, 2, 300),
    target('flotilla-grpc', 5, 8_000, 350, 1000, 2, 450),
    target('etcd', 10, 4_000, 1500, 1200, 5, 400),
  ]);

  it('puts flotilla-grpc in a column of its own, between flotilla and etcd', () => {
    expect(markdownTables(withGrpc)).toContain('| metric | flotilla | flotilla-grpc | etcd |');
    expect(renderReport(withGrpc)).toContain('flotilla-grpc');
  });

  it('gives each measure as gRPC ÷ HTTP and flotilla-grpc ÷ etcd', () => {
    const md = markdownTables(withGrpc);
    // p50s as the fixture's histograms quantise 4, 5 and 10 ms.
    expect(md).toContain('| sequential put p50 (ms) | 3.97 | 5.04 | 1.27 | 10.08 | 0.5 |');
    expect(md).toContain('| puts/s at 256 clients | 10000 | 8000 | 0.8 | 4000 | 2 |');
    expect(md).toContain('| CPU per write at 256 clients (µs) | 300 | 450 | 1.5 | 400 | 1.13 |');
    expect(renderReport(withGrpc)).toContain('What the gRPC path costs');
  });

  it('has no cost table when the run lacks either Flotilla target', () => {
    const without = suite([
      target('flotilla', 4, 10_000, 350, 1000, 2),
      target('etcd', 10, 4_000, 1500, 1200, 5),
    ]);
    expect(grpcCostRows(without)).toBeUndefined();
    expect(markdownTables(without)).not.toContain('gRPC ÷ HTTP');
    expect(renderReport(without)).not.toContain('What the gRPC path costs');
  });
});
