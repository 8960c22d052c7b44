import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { FAST, MemCluster } from './mem-cluster.js';
import { RequestTimeoutError } from '../src/index.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('reads', () => {
  it('a linearizable read on a follower sees every write acknowledged before it started', async () => {
    const c = await MemCluster.start(31, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      // Hold the follower's appends back so its local state is stale when the read starts.
      c.network.faults.setLinkDelay(leader.id, follower.id, { minMs: 200, maxMs: 200 });
      await c.settle(leader.put(put('a', 'new')));
      expect(follower.status().appliedIndex).toBeLessThan(leader.status().appliedIndex);
      const stale = await c.settle(
        follower.range({ key: bytes('a') }, { consistency: 'serializable' }),
      );
      expect(stale.count).toBe(0);
      const r = await c.settle(follower.range({ key: bytes('a') }));
      expect(text(r.kvs[0]!.value)).toBe('new');
    } finally {
      await c.shutdown();
    }
  });

  it('linearizable reads that arrive together share one read-index round', async () => {
    const c = await MemCluster.start(32, [1, 2, 3], { ...FAST, heartbeatTicks: 5 });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('a', '1')));
      await c.run(100);
      const before = c.sent(leader.id);
      const reads = await c.settle(
        Promise.all(Array.from({ length: 200 }, () => leader.range({ key: bytes('a') }))),
      );
      const sent = c.sent(leader.id) - before;
      expect(reads.every((r) => text(r.kvs[0]!.value) === '1')).toBe(true);
      // One heartbeat per follower confirms all 200 reads (plus at most a periodic heartbeat round).
      expect(sent).toBeLessThanOrEqual(4);
    } finally {
      await c.shutdown();
    }
  });

  it('a lease read is served without a round while the lease holds, and never by a deposed leader', async () => {
    const c = await MemCluster.start(33, [1, 2, 3], {
      ...FAST,
      heartbeatTicks: 5,
      readTimeoutMs: 400,
    });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('a', '1')));
      await c.settle(leader.range({ key: bytes('a') })); // a confirmed round takes the lease
      const before = c.sent(leader.id);
      const r = await leader.range({ key: bytes('a') }, { consistency: 'lease' }); // no virtual time needed
      expect(text(r.kvs[0]!.value)).toBe('1');
      expect(c.sent(leader.id)).toBe(before);
      // Cut the leader off: once its lease has run out it must not answer from its own state.
      c.network.faults.isolate(leader.id);
      const others = c.running().filter((n) => n !== leader);
      await c.until(() => others.some((n) => n.status().role === 'leader'), 'a new leader');
      const next = others.find((n) => n.status().role === 'leader')!;
      await c.settle(next.put(put('a', '2')));
      const err = await c
        .settle(leader.range({ key: bytes('a') }, { consistency: 'lease' }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toMatch(/RequestTimeoutError|NotLeaderError/);
    } finally {
      await c.shutdown();
    }
  });

  it('without CheckQuorum a lease read is a read-index read: voters promise nothing, so a rival may be elected at once', async () => {
    // 300 ms election timeout for nodes 1 and 2; node 3 joins later with 30 ms and keeps campaigning.
    const c = new MemCluster(35, [1, 2, 3], {
      tickMs: 10,
      electionTicks: 30,
      heartbeatTicks: 1,
      checkQuorum: false,
      readTimeoutMs: 400,
    });
    try {
      await c.startNode(1);
      await c.startNode(2);
      const leader = await c.waitLeader();
      const voter = c.node(leader.id === 1 ? 2 : 1);
      const rival = await c.startNode(3, { electionTicks: 3 });
      await c.settle(leader.put(put('a', '1')));
      await c.run(100);
      c.network.faults.blockLink(leader.id, rival.id);
      c.network.faults.blockLink(rival.id, leader.id);
      await c.settle(leader.range({ key: bytes('a') })); // a confirmed round: with CheckQuorum it would give a lease
      c.network.faults.blockLink(voter.id, leader.id); // the old leader learns of no new term
      // Without CheckQuorum the voter grants the rival's (pre-)votes although it hears the leader.
      await c.until(() => rival.status().role === 'leader', 'the rival is elected', 1_000);
      await c.settle(rival.put(put('a', '2')));
      const read = await c.settle(leader.range({ key: bytes('a') }, { consistency: 'lease' })).then(
        (r) => text(r.kvs[0]!.value),
        (e: unknown) => e,
      );
      expect(read).toBeInstanceOf(RequestTimeoutError);
    } finally {
      await c.shutdown();
    }
  });

  it('a linearizable read without a quorum fails with RequestTimeoutError after readTimeoutMs', async () => {
    const c = await MemCluster.start(34, [1, 2, 3], { ...FAST, readTimeoutMs: 300 });
    try {
      const leader = await c.waitLeader();
      c.network.faults.isolate(leader.id);
      const started = c.clock.now();
      const err = await c.settle(leader.range({ key: bytes('a') })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect(c.clock.now() - started).toBeGreaterThanOrEqual(300);
      expect(leader.status().pending.reads).toBe(0);
    } finally {
      await c.shutdown();
    }
  });
});
