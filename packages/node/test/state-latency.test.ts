// State latency = the leader learns an entry is committed → a follower has
// applied it. On virtual time (the memory network and storage take no time
// unless told to), a follower whose link from the leader is delayed by D ms
// must report D, and an undelayed one 0: persisting and applying take no
// virtual time, and the report's way back is undelayed.
import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { renderNodeMetrics } from '../src/prometheus.js';
import { NodeMetrics } from '../src/metrics.js';
import { FAST, MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });
const DELAY_MS = 40;
/** Virtual time moves in 1 ms steps: one step of slack. */
const STEP_MS = 1;

describe('state latency', () => {
  it('is the link delay for a delayed follower and 0 for an undelayed one, never clamped', async () => {
    const c = await MemCluster.start(81, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const [fast, slow] = c
        .running()
        .filter((n) => n !== leader)
        .map((n) => n.id) as [number, number];
      await c.run(50); // the reports of the first entry, committed before the delay, are in
      c.network.faults.setLinkDelay(leader.id, slow, { minMs: DELAY_MS, maxMs: DELAY_MS });
      const seen = { fast: [] as number[], slow: [] as number[] };
      for (let i = 0; i < 10; i++) {
        await c.settle(leader.put(put(`k${i}`, 'v')));
        await c.run(DELAY_MS + 10); // one write at a time: each report is about the write just made
        const s = leader.status().metrics.stateLatencyMs;
        seen.fast.push(s[fast]!.lastMs);
        seen.slow.push(s[slow]!.lastMs);
      }
      for (const ms of seen.slow) expect(ms).toBeGreaterThanOrEqual(DELAY_MS);
      for (const ms of seen.slow) expect(ms).toBeLessThanOrEqual(DELAY_MS + STEP_MS);
      for (const ms of seen.fast) expect(ms).toBeLessThanOrEqual(STEP_MS);
      const m = leader.status().metrics.stateLatencyMs;
      expect(m[slow]!.count).toBeGreaterThanOrEqual(10);
      expect(m[fast]!.min).toBeGreaterThanOrEqual(0);
      expect(m[slow]!.negative).toBe(0);
      expect(m[fast]!.negative).toBe(0);
    } finally {
      await c.shutdown();
    }
  });

  it('a follower that caught up by snapshot reports from its install, not from its last applied entry', async () => {
    const c = await MemCluster.start(82, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 20,
      snapshotCatchUpEntries: 0,
    });
    try {
      const leader = await c.waitLeader();
      const behind = c.running().find((n) => n !== leader)!;
      await c.settle(leader.put(put('a', '1')));
      await c.run(50);
      c.network.faults.isolate(behind.id);
      for (let i = 0; i < 60; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.until(
        () => leader.status().snapshotIndex > 40,
        'the leader compacts past the isolated follower',
      );
      await c.run(500); // the follower's last apply is now long before these entries were committed
      c.network.faults.heal();
      await c.until(
        () => behind.status().metrics.snapshots.installed > 0,
        'the follower installs a snapshot',
      );
      await c.until(
        () =>
          (leader.status().metrics.stateLatencyMs[behind.id]?.appliedIndex ?? 0) >=
          behind.status().appliedIndex,
        'the leader hears of the install',
      );
      const m = leader.status().metrics.stateLatencyMs[behind.id]!;
      expect(m.negative).toBe(0);
      // Committed while it was cut off (≥ 500 ms before it applied them): a long, positive latency.
      expect(m.lastMs).toBeGreaterThanOrEqual(500);
    } finally {
      await c.shutdown();
    }
  });

  it('a report that would be negative is counted as an anomaly, not recorded as 0', () => {
    const m = new NodeMetrics(1, 0);
    m.resetLeaderState(0);
    m.commitTimes.record(5, 100); // this leader learned index 5 committed at 100
    m.followerApplied(2, 5, 30, 110); // applied at 110 − 30 = 80: before the leader knew
    m.followerApplied(3, 5, 4, 110); // applied at 106
    const s = m.status(0, 5, true).stateLatencyMs;
    expect(s[2]).toMatchObject({ count: 0, negative: 1, appliedIndex: 5 });
    expect(s[3]).toMatchObject({ count: 1, negative: 0, min: 6, max: 6, lastMs: 6 });
    const text = renderNodeMetrics(
      m,
      {
        term: 1,
        isLeader: true,
        hasLeader: true,
        commitIndex: 5,
        appliedIndex: 5,
        pendingProposals: 0,
      },
      { 2: 'n2', 3: 'n3' },
    );
    expect(text).toContain('flotilla_state_latency_negative_total{follower="n2"} 1\n');
    expect(text).toContain('flotilla_state_latency_negative_total{follower="n3"} 0\n');
  });
});
