// A leadership transfer's TimeoutNow makes its target campaign with votes
// that skip the voters' lease promise. So the leader serves no lease reads
// while a transfer is under way, and for an election timeout after a
// TimeoutNow leaves, no confirmed round renews its lease (an abandoned
// transfer's TimeoutNow may still be on its way).
import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import type { FlotillaNode } from '../src/index.js';
import { MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

/** A lease read's value, or the error it failed with. */
async function leaseRead(c: MemCluster, n: FlotillaNode): Promise<unknown> {
  try {
    const r = await c.settle(n.range({ key: bytes('a') }, { consistency: 'lease' }));
    return text(r.kvs[0]!.value);
  } catch (err) {
    return err;
  }
}

describe('leader lease and leadership transfer', () => {
  it('a TimeoutNow arriving after its transfer was abandoned finds no lease renewed since', async () => {
    const c = await MemCluster.start(91, [1, 2, 3], {
      tickMs: 10,
      electionTicks: 30,
      heartbeatTicks: 1,
      readTimeoutMs: 400,
    });
    try {
      const leader = await c.waitLeader();
      const [target, other] = c.running().filter((n) => n !== leader) as [
        FlotillaNode,
        FlotillaNode,
      ];
      // The target hears the leader 200 ms late, so it catches up late and its TimeoutNow arrives late.
      c.network.faults.setLinkDelay(leader.id, target.id, { minMs: 200, maxMs: 200 });
      await c.settle(leader.put(put('a', '1')));
      const startMs = c.clock.now();
      leader.transferLeadership(target.id).catch(() => undefined);
      // A round confirmed by `other` just before the TimeoutNow leaves (~200 ms): its lease would last to ~420 ms.
      await c.run(180);
      await c.settle(leader.range({ key: bytes('a') }));
      // The transfer is abandoned after an election timeout (300 ms). Another round, after that,
      // but within an election timeout of the TimeoutNow leaving: its lease would last to ~550 ms.
      await c.run(310 - (c.clock.now() - startMs));
      expect(leader.status().role).toBe('leader');
      await c.settle(leader.range({ key: bytes('a') }));
      // From here the old leader hears nobody, and so learns of no new term.
      c.network.faults.blockLink(other.id, leader.id);
      c.network.faults.blockLink(target.id, leader.id);
      await c.until(
        () => target.status().role === 'leader',
        'the late TimeoutNow elects the target',
        1_000,
      );
      await c.settle(target.put(put('a', '2')));
      const read = await leaseRead(c, leader);
      expect(read).not.toBe('1');
    } finally {
      await c.shutdown();
    }
  });

  it('no lease read while a transfer is under way, although a round confirmed during it renewed the lease', async () => {
    const c = await MemCluster.start(92, [1, 2, 3], {
      tickMs: 10,
      electionTicks: 30,
      heartbeatTicks: 1,
      readTimeoutMs: 300,
    });
    try {
      const leader = await c.waitLeader();
      const target = c.running().find((n) => n !== leader)!;
      await c.settle(leader.put(put('a', '1')));
      // The target falls behind and never catches up: no TimeoutNow is sent for 300 ms.
      c.network.faults.blockLink(leader.id, target.id);
      await c.settle(leader.put(put('a', '2')));
      leader.transferLeadership(target.id).catch(() => undefined);
      await c.run(50);
      await c.settle(leader.range({ key: bytes('a') })); // a confirmed round: the lease holds to ~240 ms
      expect(leader.status().role).toBe('leader');
      c.network.faults.isolate(leader.id);
      // The transfer is still under way: the read needs a round, which cannot complete.
      expect(await leaseRead(c, leader)).toBeInstanceOf(Error);
    } finally {
      await c.shutdown();
    }
  });
});
