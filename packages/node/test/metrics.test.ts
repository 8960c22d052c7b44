import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { checkExposition, histogramSeries } from '../../testkit/src/exposition-check.js';
import { FAST, MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('status() metrics', () => {
  it('state latency appears for each follower after writes, and grows with the delay to that follower', async () => {
    const c = await MemCluster.start(41, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const [fast, slow] = c
        .running()
        .filter((n) => n !== leader)
        .map((n) => n.id) as [number, number];
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
      await c.until(
        () => leader.status().metrics.applyLagEntries.followers[follower.id] === 0,
        'the follower catches up',
      );
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
      await c.until(
        () => survivors.every((n) => n.status().metrics.rto.lastMs !== undefined),
        'both survivors record an RTO',
      );
      const elapsed = c.clock.now() - killedAt;
      for (const [i, n] of survivors.entries()) {
        const m = n.status().metrics;
        // From the last contact with the old leader (≤ one heartbeat before the kill) to the new leader's first commit.
        expect(m.rto.lastMs!).toBeGreaterThanOrEqual(90); // about one election timeout (10 ticks × 10 ms), to a tick
        expect(m.rto.lastMs!).toBeLessThanOrEqual(elapsed + 2 * FAST.tickMs!);
        expect(m.rto.history.at(-1)!.from).toBe(old.id);
        expect(m.leaderChanges).toBe(changesBefore[i]! + 1);
        // The RTO histogram on /metrics holds every failover of the history, in seconds.
        const rto = histogramSeries(
          checkExposition(n.prometheusText()).get('flotilla_failover_rto_seconds')!,
        ).get('')!;
        expect(rto.count).toBe(m.rto.history.length);
        expect(rto.sum).toBeCloseTo(m.rto.history.reduce((a, r) => a + r.rtoMs, 0) / 1000, 9);
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
      await c.until(
        () => follower.status().appliedIndex === leader.status().appliedIndex,
        'catch-up',
      );
      const m = leader.status().metrics;
      expect(m.fsyncMs.count).toBeGreaterThanOrEqual(20);
      expect(m.entriesPerFsync.count).toBe(m.fsyncMs.count);
      // Every batch of committed entries written to the KV state is one backend commit.
      expect(m.backendCommitMs.count).toBeGreaterThan(0);
      // The follower that was cut off is caught up with appends carrying many entries each.
      expect(m.entriesPerMessage.max).toBeGreaterThanOrEqual(10);
      expect(follower.status().metrics.entriesPerFsync.max).toBeGreaterThanOrEqual(10);
    } finally {
      await c.shutdown();
    }
  });
});

describe('a node on /metrics (prometheusText)', () => {
  it('is a strict exposition; followers are labelled by name from the map, by id without one', async () => {
    const c = await MemCluster.start(45, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const [named, unnamed] = c
        .running()
        .filter((n) => n !== leader)
        .map((n) => n.id) as [number, number];
      for (let i = 0; i < 10; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.run(100);
      const families = checkExposition(leader.prometheusText({ [named]: 'east-1' }));
      const state = histogramSeries(families.get('flotilla_state_latency_seconds')!);
      expect([...state.keys()].sort()).toEqual(
        [`{follower="${unnamed}"}`, '{follower="east-1"}'].sort(),
      );
      expect(state.get('{follower="east-1"}')!.count).toBeGreaterThan(0);
      // The histogram and status() count the same observations.
      const m = leader.status().metrics;
      expect(histogramSeries(families.get('flotilla_commit_latency_seconds')!).get('')!.count).toBe(
        m.commitLatencyMs.count,
      );
      expect(
        histogramSeries(families.get('flotilla_disk_wal_fsync_duration_seconds')!).get('')!.count,
      ).toBe(m.fsyncMs.count);
      expect(families.get('flotilla_server_leader_changes_seen_total')!.samples[0]!.value).toBe(
        m.leaderChanges,
      );
      expect(families.get('flotilla_server_proposals_committed_total')!.samples[0]!.value).toBe(
        leader.status().commitIndex,
      );
      expect(families.get('flotilla_server_is_leader')!.samples[0]!.value).toBe(1);
      // A lookup function works as well as a map; a name it does not know falls back to the id.
      const byLookup = histogramSeries(
        checkExposition(leader.prometheusText((id) => (id === unnamed ? 'west' : undefined))).get(
          'flotilla_state_latency_seconds',
        )!,
      );
      expect([...byLookup.keys()].sort()).toEqual(
        [`{follower="${named}"}`, '{follower="west"}'].sort(),
      );
    } finally {
      await c.shutdown();
    }
  });

  it('counts failed proposals', async () => {
    const c = await MemCluster.start(46, [1, 2, 3], { ...FAST, proposalTimeoutMs: 1_000 });
    try {
      const leader = await c.waitLeader();
      const failedOf = () =>
        checkExposition(leader.prometheusText()).get('flotilla_server_proposals_failed_total')!
          .samples[0]!.value;
      expect(failedOf()).toBe(0);
      // Without a quorum the write cannot commit: it fails when its proposal times out.
      for (const n of c.running()) if (n !== leader) c.network.faults.isolate(n.id);
      await expect(c.settle(leader.put(put('lost', 'v')))).rejects.toThrow(
        /not applied within 1000 ms/,
      );
      expect(failedOf()).toBe(1);
      expect(leader.status().metrics.proposalsFailed).toBe(1);
    } finally {
      await c.shutdown();
    }
  });
});
