// While a write is slow, messages and ticks queue up; the driver must give
// them to the core in the order they happened (driver.ts, stepInTimeOrder).
// Messages first shortens a voter's promise to the leader (ticks from before
// a heartbeat counted after it); ticks first lets CheckQuorum depose a leader
// for its own stall although its followers answered during it. One test per
// side: each fails if the order is changed in its direction.
import { MemoryLevel } from 'memory-level';
import type { NodeId } from '@flotilla/raft';
import { MemoryStorage, type PersistBatch } from '@flotilla/storage';
import type { VirtualClock } from '@flotilla/transport';
import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import type { NodeOptions } from '../src/index.js';
import { MemCluster } from './mem-cluster.js';

/** MemoryStorage whose next persist takes `stallNextMs` of virtual time. */
class StallingStorage extends MemoryStorage {
  stallNextMs = 0;

  constructor(private readonly clock: VirtualClock) {
    super();
  }

  override async persist(batch: PersistBatch, options?: { sync?: boolean }): Promise<void> {
    const ms = this.stallNextMs;
    this.stallNextMs = 0;
    if (ms > 0) await new Promise<void>((resolve) => this.clock.setTimer(ms, resolve));
    return super.persist(batch, options);
  }
}

/** A MemCluster whose members write through StallingStorage; per-member options. */
async function stallableCluster(
  seed: number,
  options: Record<NodeId, NodeOptions>,
): Promise<{ c: MemCluster; storage: (id: NodeId) => StallingStorage }> {
  const ids = Object.keys(options).map(Number);
  const c = new MemCluster(seed, ids, { tickMs: 10, heartbeatTicks: 1 });
  const storages = new Map<NodeId, StallingStorage>();
  for (const id of ids) {
    const storage = new StallingStorage(c.clock);
    storages.set(id, storage);
    c.members.set(id, {
      node: undefined,
      transport: undefined,
      storage,
      state: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }),
    });
    await c.startNode(id, options[id]);
  }
  return { c, storage: (id) => storages.get(id)! };
}

/** Every leader change any member reports from now on. */
function watchLeaderChanges(c: MemCluster): string[] {
  const seen: string[] = [];
  for (const n of c.running())
    n.on('leaderChanged', (e) =>
      seen.push(`node ${n.id}: ${e.role}, leader ${e.leader}, term ${e.term}`),
    );
  return seen;
}

describe('messages and ticks queued during a slow write reach the core in time order', () => {
  it('voter: a follower stalled 2.5 election timeouts while its leader kept sending heartbeats does not campaign after', async () => {
    const { c, storage } = await stallableCluster(81, {
      1: { electionTicks: 10 },
      2: { electionTicks: 10 },
      3: { electionTicks: 10 },
    });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put({ key: bytes('a'), value: bytes('1') }));
      await c.run(50);
      const voter = c.running().find((n) => n !== leader)!;
      const changes = watchLeaderChanges(c);
      // The voter's next write (the entry below) takes 250 ms; 25 ticks and 25 heartbeats queue meanwhile.
      storage(voter.id).stallNextMs = 250;
      await c.settle(leader.put({ key: bytes('a'), value: bytes('2') }));
      await c.run(400);
      // Each heartbeat was answered after the ticks before it: the voter never counted an
      // election timeout of silence, so it neither campaigned nor would have voted for anyone.
      expect(changes).toEqual([]);
      expect(voter.status()).toMatchObject({ role: 'follower', leader: leader.id });
    } finally {
      await c.shutdown();
    }
  });

  it('leader: a leader whose write stalled while its followers answered is not deposed by CheckQuorum', async () => {
    // Node 1 (election timeout 100 ms) leads; the others (300 ms) never campaign here.
    const { c, storage } = await stallableCluster(82, {
      1: { electionTicks: 10 },
      2: { electionTicks: 30 },
      3: { electionTicks: 30 },
    });
    try {
      const leader = await c.waitLeader();
      expect(leader.id).toBe(1);
      await c.settle(leader.put({ key: bytes('a'), value: bytes('1') }));
      // Ticks fall due on multiples of 10 ms, and so do CheckQuorum's checks, every 100 ms.
      await c.run(15 - (c.clock.now() % 10));
      const changes = watchLeaderChanges(c);
      // No answers reach the leader for 101 ms: the last check before the stall saw answers
      // only from before it, and the next check falls within the stall...
      c.network.faults.blockLink(2, 1);
      c.network.faults.blockLink(3, 1);
      await c.run(101);
      c.network.faults.unblockLink(2, 1);
      c.network.faults.unblockLink(3, 1);
      // ...which begins now and lasts 100 ms; the followers answer its appends at once, during it.
      storage(1).stallNextMs = 100;
      const put = leader.put({ key: bytes('a'), value: bytes('2') });
      await c.settle(put);
      await c.run(200);
      expect(changes).toEqual([]);
      expect(leader.status().role).toBe('leader');
    } finally {
      await c.shutdown();
    }
  });
});
