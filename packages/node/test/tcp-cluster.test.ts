// Three (then four) real nodes in one process: LevelDB, TCP on loopback, real time.
import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import type { NodeId } from '@flotilla/raft';
import type { FlotillaNode } from '../src/index.js';
import { TcpCluster, waitFor } from './tcp-harness.js';

const key = (i: number) => bytes(`k${String(i).padStart(5, '0')}`);

async function countKeys(n: FlotillaNode): Promise<number> {
  return (await n.range({ key: bytes('k'), rangeEnd: bytes('l'), countOnly: true })).count;
}

describe('a real cluster (LevelDB + TCP on loopback)', () => {
  it('writes, survives a leader crash (failover, RTO recorded), restarts it, and catches it up by snapshot', async () => {
    const c = await TcpCluster.start([1, 2, 3], {
      snapshotEntries: 100,
      snapshotCatchUpEntries: 10,
      snapshotChunkBytes: 4096,
    });
    try {
      let leader = await c.waitLeader();
      let acked = 0;
      const writeBatch = async (via: FlotillaNode, n: number): Promise<void> => {
        await Promise.all(
          Array.from({ length: n }, () =>
            via.put({ key: key(acked++), value: bytes('x'.repeat(100)) }),
          ),
        );
      };
      for (let i = 0; i < 5; i++) await writeBatch(leader, 20);
      const old = leader.id;
      await c.crash(old); // close without flush: nothing more leaves the old leader
      const survivors = [...c.nodes.values()];
      leader = await c.waitLeader(5_000);
      await waitFor(
        () => survivors.every((n) => n.status().metrics.rto.lastMs !== undefined),
        'the survivors record an RTO',
        5_000,
      );
      for (const n of survivors) expect(n.status().metrics.rto.lastMs!).toBeLessThan(2_000);
      // Enough writes while the old leader is down that the new leader snapshots and compacts past it.
      for (let i = 0; i < 15; i++) await writeBatch(leader, 20);
      await waitFor(() => leader.status().firstIndex > 110, 'the new leader compacted its log');
      const back = await c.open(old);
      const installed: number[] = [];
      back.on('snapshot', (e) => {
        if (e.kind === 'installed') installed.push(e.meta.index);
      });
      await waitFor(
        () => back.status().appliedIndex >= leader.status().commitIndex,
        'the restarted node catches up',
        15_000,
      );
      expect(installed.length).toBeGreaterThanOrEqual(1);
      expect(await countKeys(back)).toBe(acked);
      expect(await countKeys(leader)).toBe(acked);
    } finally {
      await c.shutdown();
    }
  });

  it('changes membership under load: adds a fourth node, promotes it, removes a founder; no acknowledged write is lost', async () => {
    const c = await TcpCluster.start([1, 2, 3], { snapshotEntries: 200 });
    try {
      const leader = await c.waitLeader();
      let stop = false;
      let acked = 0;
      let seq = 0;
      const writers = [1, 2, 3].map(async (id) => {
        while (!stop) {
          const n = c.nodes.get(id);
          if (n === undefined) return;
          try {
            await n.put({ key: key(seq++), value: bytes('v') });
            acked++;
          } catch {
            // Refused or unknown (leadership moved, member removed): not counted as acknowledged.
          }
        }
      });
      await waitFor(() => acked >= 100, 'load is running');
      const joiner = await c.open(4);
      for (const n of c.nodes.values()) n.addPeer(4, c.addresses.get(4)!);
      await leader.addLearner(4);
      await waitFor(
        () =>
          joiner.status().appliedIndex > 0 &&
          leader.status().commitIndex - joiner.status().appliedIndex < 50,
        'the learner catches up',
      );
      await leader.promote(4);
      const victim: NodeId = [1, 2, 3].find((id) => id !== leader.id)!;
      const conf = await leader.removeMember(victim);
      expect([...conf.voters].sort()).toEqual([1, 2, 3, 4].filter((id) => id !== victim));
      const ackedAtRemoval = acked;
      await waitFor(() => acked >= ackedAtRemoval + 100, 'load goes on after the change');
      stop = true;
      await Promise.all(writers);
      await waitFor(
        () => joiner.status().appliedIndex >= leader.status().commitIndex,
        'the new member has everything',
      );
      // Every acknowledged write is there (unknown outcomes may have been applied too).
      expect(await countKeys(joiner)).toBeGreaterThanOrEqual(acked);
      expect(joiner.status().confState.voters).toContain(4);
    } finally {
      await c.shutdown();
    }
  });
});
