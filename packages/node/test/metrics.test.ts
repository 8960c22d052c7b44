import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { FAST, MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('status() metrics', () => {
  it('state latency appears for each follower after writes, and grows with the delay to that follower', async () => {
    const c = await MemCluster.start(41, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const [fast, slow] = c.running().filter((n) => n !== leader).map((n) => n.id) as [number, number];
      c.network.faults.setLinkDelay(leader.id, slow, { minMs: 40, maxMs: 40 });
      for (let i = 0; i < 10; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.run(100);
      const m = leader.status().metrics;
      expect(Object.keys(m.stateLatencyMs).map(Number).sort()).toEqual([fast, slow].sort());
      expect(m.stateLatencyMs[fast]!.count).toBeGreaterThan(0);
      expect(m.stateLatencyMs[slow]!.count).toBeGreaterThan(0);
      // Commit needs only the fast follower; the slow one applies ≥ 40 ms later (its appends are delayed).
      expect(m.stateLatencyMs[slow]!.p50).toBeGreaterThanOrEqual(35);
      expect(m.stateLatencyMs[fast]!.p50).toBeLessThan(m.stateLatencyMs[slow]!.p50);
      expect(m.applyLagEntries.followers[fast]).toBe(0);
      expect(m.commitLatencyMs.count).toBe(10);
    } finally {
      await c.shutdown();
    }
  });

  it('apply lag counts committed entries a follower has not applied yet', async () => {
    const c = await MemCluster.start(42, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      await c.settle(leader.put(put('a', '1')));
      await c.run(50);
      expect(leader.status().metrics.applyLagEntries.followers[follower.id]).toBe(0);
      c.network.faults.isolate(follower.id);
      for (let i = 0; i < 5; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      expect(leader.status().metrics.applyLagEntries.followers[follower.id]).toBe(5);
      c.network.faults.heal();
      await c.until(() => leader.status().metrics.applyLagEntries.followers[follower.id] === 0, 'the follower catches up');
    } finally {
      await c.shutdown();
    }
  });

  it('RTO is recorded on the survivors after the leader is killed, and leader changes are counted', async () => {
    const c = await MemCluster.start(43, [1, 2, 3]);
    try {
      const old = await c.waitLeader();
      const survivors = c.running().filter((n) => n !== old);
      const changesBefore = survivors.map((n) => n.status().metrics.leaderChanges);
      expect(survivors.every((n) => n.status().metrics.rto.lastMs === undefined)).toBe(true);
      const killedAt = c.clock.now();
      await c.crash(old.id);
      await c.until(() => survivors.every((n) => n.status().metrics.rto.lastMs !== undefined), 'both survivors record an RTO');
      const elapsed = c.clock.now() - killedAt;
      for (const [i, n] of survivors.entries()) {
        const m = n.status().metrics;
        // From the last contact with the old leader (≤ one heartbeat before the kill) to the new leader's first commit.
        expect(m.rto.lastMs!).toBeGreaterThanOrEqual(90); // about one election timeout (10 ticks × 10 ms), to a tick
        expect(m.rto.lastMs!).toBeLessThanOrEqual(elapsed + 2 * FAST.tickMs!);
        expect(m.rto.history.at(-1)!.from).toBe(old.id);
        expect(m.leaderChanges).toBe(changesBefore[i]! + 1);
      }
    } finally {
      await c.shutdown();
    }
  });

  it('fsync duration, entries per fsync and entries per append message are recorded', async () => {
    const c = await MemCluster.start(44, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      c.network.faults.isolate(follower.id);
      for (let i = 0; i < 20; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      c.network.faults.heal();
      await c.until(() => follower.status().appliedIndex === leader.status().appliedIndex, 'catch-up');
      const m = leader.status().metrics;
      expect(m.fsyncMs.count).toBeGreaterThanOrEqual(20);
      expect(m.entriesPerFsync.count).toBe(m.fsyncMs.count);
      // The follower that was cut off is caught up with appends carrying many entries each.
      expect(m.entriesPerMessage.max).toBeGreaterThanOrEqual(10);
      expect(follower.status().metrics.entriesPerFsync.max).toBeGreaterThanOrEqual(10);
    } finally {
      await c.shutdown();
    }
  });
});
