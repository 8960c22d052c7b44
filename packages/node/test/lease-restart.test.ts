// A lease read trusts every voter that acknowledged the leader not to elect
// anyone else for an election timeout. A voter that restarts forgets which
// leader it heard from, so it must keep that promise blindly: no votes for an
// election timeout after it starts (the core's leaseGuardAtRestart).
import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('leader lease across a voter restart', () => {
  it('a voter restarted right after acknowledging the leader does not elect a rival while the lease runs', async () => {
    // 300 ms election timeout: the leader's lease lasts 240 ms after a confirmed round.
    const c = new MemCluster(71, [1, 2, 3], {
      tickMs: 10,
      electionTicks: 30,
      heartbeatTicks: 1,
      readTimeoutMs: 400,
    });
    try {
      for (const id of [1, 2, 3]) await c.startNode(id);
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('a', '1')));
      await c.run(100);
      const [a, b] = [1, 2, 3].filter((id) => id !== leader.id) as [number, number];
      // b cannot hear the leader: it restarts with a short election timeout and keeps pre-voting;
      // a refuses it while it hears the leader.
      c.network.faults.blockLink(leader.id, b);
      c.network.faults.blockLink(b, leader.id);
      await c.close(b);
      await c.startNode(b, { electionTicks: 3 });
      await c.run(200);
      expect(leader.status().role).toBe('leader');
      // A confirmed round (a's acknowledgement) gives the leader its lease...
      await c.settle(leader.range({ key: bytes('a') }));
      // ...and a crashes at once, restarts, and no longer hears the leader.
      await c.crash(a);
      c.network.faults.blockLink(leader.id, a);
      c.network.faults.blockLink(a, leader.id);
      await c.startNode(a);
      await c.until(
        () => c.node(b).status().role === 'leader',
        'b is elected with a restarted voter',
        2_000,
      );
      await c.settle(c.node(b).put(put('a', '2')));
      // The old leader must not serve the overwritten value from its lease.
      const read = await c
        .settle(leader.range({ key: bytes('a') }, { consistency: 'lease' }))
        .catch((e: unknown) => e);
      if (!(read instanceof Error))
        expect(text((read as { kvs: { value: Uint8Array }[] }).kvs[0]!.value)).toBe('2');
    } finally {
      await c.shutdown();
    }
  });
});
