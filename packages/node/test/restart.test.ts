import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { FAST, MemCluster } from './mem-cluster.js';
import { NodeOptionsError, UnknownOutcomeError } from '../src/index.js';
import { createNode } from '../src/index.js';
import { MemoryLevel } from 'memory-level';
import { seededRng } from '@flotilla/raft';
import { MemoryStorage } from '@flotilla/storage';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('crash, restart and close', () => {
  it('every acknowledged write survives crashes of all members (unsynced data lost) and restarts', async () => {
    const c = await MemCluster.start(71, [1, 2, 3], { ...FAST, snapshotEntries: 15 });
    try {
      let acked = 0;
      for (let round = 0; round < 4; round++) {
        const leader = await c.waitLeader();
        for (let i = 0; i < 10; i++) {
          await c.settle(leader.put(put(`k${String(acked).padStart(3, '0')}`, 'v')));
          acked++;
        }
        // Crash everyone; MemoryStorage keeps only what was synced.
        for (const id of [1, 2, 3]) await c.crash(id);
        for (const id of [1, 2, 3]) await c.startNode(id);
      }
      const leader = await c.waitLeader();
      const r = await c.settle(leader.range({ key: bytes('k'), rangeEnd: bytes('l') }));
      expect(r.count).toBe(acked);
    } finally {
      await c.shutdown();
    }
  });

  it('crash() fails proposals already in the log with UnknownOutcomeError and sends nothing more', async () => {
    const c = await MemCluster.start(72, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const inFlight = leader.put(put('a', '1'));
      inFlight.catch(() => undefined);
      await c.until(
        () => leader.status().lastIndex > leader.status().commitIndex,
        'proposed, not yet committed',
      );
      const sentBefore = c.sent(leader.id);
      await c.crash(leader.id);
      await expect(inFlight).rejects.toBeInstanceOf(UnknownOutcomeError);
      expect(c.sent(leader.id)).toBe(sentBefore);
    } finally {
      await c.shutdown();
    }
  });

  it('a node restarted after close() resumes at its applied index without replaying the log', async () => {
    const c = await MemCluster.start(73, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      for (let i = 0; i < 5; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      const follower = c.running().find((n) => n !== leader)!;
      await c.until(
        () => follower.status().appliedIndex === leader.status().appliedIndex,
        'follower applied',
      );
      const applied = follower.status().appliedIndex;
      await c.close(follower.id);
      const again = await c.startNode(follower.id);
      expect(again.status().appliedIndex).toBe(applied);
      expect(again.status().revision).toBe(leader.status().revision);
    } finally {
      await c.shutdown();
    }
  });

  it('refuses a fresh storage without founding voters', async () => {
    const c = new MemCluster(74, [1]);
    await expect(
      createNode({
        id: 9,
        clusterId: 'x',
        storage: new MemoryStorage(),
        transport: c.network.transport(9),
        clock: c.clock,
        rng: seededRng(1),
        stateLevel: new MemoryLevel({ valueEncoding: 'view' }),
      }),
    ).rejects.toBeInstanceOf(NodeOptionsError);
  });
});

describe('determinism', () => {
  async function trace(seed: number): Promise<string[]> {
    const c = await MemCluster.start(seed, [1, 2, 3], { ...FAST, snapshotEntries: 10 });
    const events: string[] = [];
    for (const n of c.running()) {
      n.on('leaderChanged', (e) =>
        events.push(`${c.clock.now()} ${n.id} leader ${e.leader} t${e.term}`),
      );
      n.on('applied', (e) => events.push(`${c.clock.now()} ${n.id} applied ${e.index}`));
    }
    try {
      c.network.faults.setDelay({ minMs: 1, maxMs: 8 });
      c.network.faults.setDrop(0.05);
      const leader = await c.waitLeader();
      await c.settle(
        Promise.allSettled(Array.from({ length: 30 }, (_, i) => leader.put(put(`k${i}`, 'v')))),
      );
      await c.crash(leader.id);
      await c.waitLeader();
      await c.run(200);
      return events;
    } finally {
      await c.shutdown();
    }
  }

  it('the same seed gives the same run (events with their virtual times)', async () => {
    const a = await trace(75);
    const b = await trace(75);
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });
});
