import { describe, expect, it } from 'vitest';
import { bytes, LeaseNotFoundError } from '@flotilla/kv';
import { MemCluster } from './mem-cluster.js';

describe('leases', () => {
  it('the leader expires a lease that is not kept alive, deleting its keys on every member', async () => {
    const c = await MemCluster.start(61, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      const grant = await c.settle(follower.leaseGrant({ id: 0, ttl: 2 }));
      await c.settle(leader.put({ key: bytes('eph'), value: bytes('1'), lease: grant.id }));
      // Kept alive (through the follower: forwarded to the leader) for 3 s, longer than the TTL.
      for (let t = 0; t < 3; t++) {
        await c.run(1_000);
        const ka = await c.settle(follower.leaseKeepAlive(grant.id));
        expect(ka.ttl).toBe(2);
      }
      const ttl = await c.settle(follower.leaseTimeToLive(grant.id, { keys: true }));
      expect(ttl.ttl).toBe(2);
      expect(ttl.keys.length).toBe(1);
      expect((await c.settle(leader.range({ key: bytes('eph') }))).count).toBe(1);
      // Then left alone: gone within TTL + a tick, on every member.
      await c.until(() => c.running().every((n) => n.leaseLeases().leases.length === 0), 'the lease expires everywhere', 2_500);
      for (const n of c.running()) expect((await c.settle(n.range({ key: bytes('eph') }, { consistency: 'serializable' }))).count).toBe(0);
      const err = await c.settle(follower.leaseKeepAlive(grant.id)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseNotFoundError);
    } finally {
      await c.shutdown();
    }
  });

  it('a new leader extends every lease instead of expiring it on a guess', async () => {
    const c = await MemCluster.start(62, [1, 2, 3]);
    try {
      const old = await c.waitLeader();
      const grant = await c.settle(old.leaseGrant({ id: 0, ttl: 1 }));
      await c.run(900);
      await c.settle(old.leaseKeepAlive(grant.id));
      await c.crash(old.id);
      const next = await c.waitLeader();
      // The old leader renewed it 0.9 s in; the new leader knows nothing of that and gives a full TTL.
      expect(next.leaseLeases().leases.map((l) => l.id)).toEqual([grant.id]);
      await c.run(500);
      expect(next.leaseLeases().leases.length).toBe(1);
      await c.until(() => next.leaseLeases().leases.length === 0, 'it expires after TTL + extension', 3_000);
    } finally {
      await c.shutdown();
    }
  });
});
