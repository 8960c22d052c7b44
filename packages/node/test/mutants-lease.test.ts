import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { FAST, MemCluster } from './mem-cluster.js';

// Written for a mutant that survived `pnpm mutation driver` (docs/testing.md,
// "Mutation testing"): the lease granted by a confirmed read round computed as
// electionTicks × tickMs / leaseFraction (longer than an election timeout)
// instead of × leaseFraction. A lease must end before another node can be
// elected, or a deposed leader could serve stale lease reads.

const LEASE_MS = FAST.electionTicks! * FAST.tickMs! * 0.8;

describe('lease reads', () => {
  it('are served locally only within electionTicks × tickMs × leaseFraction of the confirming round', async () => {
    const c = await MemCluster.start(41, [1, 2, 3], { ...FAST, leaseFraction: 0.8 });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put({ key: bytes('a'), value: bytes('1') }));
      await c.settle(leader.range({ key: bytes('a') })); // a read-index round: confirms the lease
      c.network.faults.isolate(leader.id);
      // Within the lease: answered at once, without any peer.
      const inLease = await c.settle(
        leader.range({ key: bytes('a') }, { consistency: 'lease' }),
        1,
      );
      expect(text(inLease.kvs[0]!.value)).toBe('1');
      // Past the lease (but before an isolated leader steps down, one election timeout in):
      // the read needs a round the isolated leader cannot complete.
      await c.run(LEASE_MS + 5);
      expect(leader.status().role).toBe('leader');
      let answered = false;
      const late = leader
        .range({ key: bytes('a') }, { consistency: 'lease' })
        .then(() => (answered = true));
      late.catch(() => undefined);
      await c.run(5);
      expect(answered).toBe(false);
    } finally {
      await c.shutdown();
    }
  });
});
