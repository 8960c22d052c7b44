// Requests in flight through a follower when its leader dies follow the new
// leader: writes are re-sent with the same exactly-once identity (applied
// once, answered once), reads are asked again. Nothing waits for
// forwardTimeoutMs.
import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import type { NodeId } from '@flotilla/raft';
import { FAST, MemCluster } from './mem-cluster.js';
import {
  LeaderChangedError,
  NotLeaderError,
  UnknownOutcomeError,
  type FlotillaNode,
} from '../src/index.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

/** forwardTimeoutMs far beyond how long the test lets anything take: a request that only ends by timing out fails the test. */
const OPTIONS = { ...FAST, forwardTimeoutMs: 60_000, proposalTimeoutMs: 60_000 };

async function cluster(
  seed: number,
): Promise<{ c: MemCluster; leader: FlotillaNode; follower: FlotillaNode; third: FlotillaNode }> {
  const c = await MemCluster.start(seed, [1, 2, 3], OPTIONS);
  const leader = await c.waitLeader();
  await c.until(
    () => c.running().every((n) => n.status().leader === leader.id),
    'every member knows the leader',
  );
  const [follower, third] = c.running().filter((n) => n !== leader) as [FlotillaNode, FlotillaNode];
  return { c, leader, follower, third };
}

/** Slows every link into the leader: a request (and the acks of its entry) are on their way for `ms`. */
function slowInto(c: MemCluster, to: NodeId, ms: number): void {
  for (const from of c.founders)
    if (from !== to) c.network.faults.setLinkDelay(from, to, { minMs: ms, maxMs: ms });
}

async function appliedOnce(c: MemCluster, key: string, revision: number): Promise<void> {
  const leader = await c.waitLeader();
  const r = await c.settle(leader.range({ key: bytes(key) }));
  expect(r.kvs).toHaveLength(1);
  expect(r.kvs[0]!.version).toBe(1); // put once: a second apply would make it 2
  expect(r.kvs[0]!.modRevision).toBe(revision);
}

describe('failover through a follower', () => {
  it('a write whose entry reached the followers but was not committed when the leader died completes once under the new leader', async () => {
    const { c, leader, follower, third } = await cluster(71);
    try {
      slowInto(c, leader.id, 30);
      const before = third.status().lastIndex;
      const write = follower.put(put('w', '1'));
      // The leader appended the write and sent it out; the acknowledgements are still on their way.
      await c.until(
        () => third.status().lastIndex > before && follower.status().lastIndex > before,
        'the entry reached both followers',
      );
      expect(leader.status().commitIndex).toBeLessThanOrEqual(before);
      await c.crash(leader.id);
      c.network.faults.reset();
      const done = await c.settle(write, 5_000);
      await appliedOnce(c, 'w', done.header.revision);
    } finally {
      await c.shutdown();
    }
  });

  it('a write that died with the leader (it never left it) is re-sent to the new leader and completes', async () => {
    const { c, leader, follower } = await cluster(72);
    try {
      slowInto(c, leader.id, 30);
      const write = follower.put(put('w', '1'));
      await c.run(5); // the request is on its way to the leader, which dies before it arrives
      await c.crash(leader.id);
      c.network.faults.reset();
      const done = await c.settle(write, 5_000);
      await appliedOnce(c, 'w', done.header.revision);
    } finally {
      await c.shutdown();
    }
  });

  it('many concurrent writes through a follower across a leader crash each complete and are applied once', async () => {
    const { c, leader, follower } = await cluster(73);
    try {
      slowInto(c, leader.id, 20);
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        writes.push(follower.put(put(`m${String(i).padStart(2, '0')}`, 'v')));
        await c.run(1);
      }
      await c.crash(leader.id);
      c.network.faults.reset();
      await c.settle(Promise.all(writes), 5_000);
      const now = await c.waitLeader();
      const r = await c.settle(now.range({ key: bytes('m'), rangeEnd: bytes('n') }));
      expect(r.kvs).toHaveLength(40);
      expect(r.kvs.every((kv) => kv.version === 1)).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('writes in flight through a follower while the leader hands over to another member complete once', async () => {
    const { c, leader, follower, third } = await cluster(78);
    try {
      slowInto(c, leader.id, 15);
      const writes: Promise<{ header: { revision: number } }>[] = [];
      for (let i = 0; i < 10; i++) {
        writes.push(follower.put(put(`t${i}`, 'v')));
        await c.run(2);
      }
      const transfer = leader.transferLeadership(third.id);
      for (let i = 10; i < 20; i++) {
        writes.push(follower.put(put(`t${i}`, 'v')));
        await c.run(2);
      }
      c.network.faults.reset();
      await c.settle(transfer);
      await c.settle(Promise.all(writes), 5_000);
      const r = await c.settle(third.range({ key: bytes('t'), rangeEnd: bytes('u') }));
      expect(r.kvs).toHaveLength(20);
      expect(r.kvs.every((kv) => kv.version === 1)).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('a linearizable read in flight through a follower when the leader dies is asked again of the new leader', async () => {
    const { c, leader, follower } = await cluster(74);
    try {
      await c.settle(leader.put(put('r', 'before')));
      await c.until(
        () => follower.status().revision === leader.status().revision,
        'the follower applied it',
      );
      slowInto(c, leader.id, 30);
      const read = follower.range({ key: bytes('r') });
      await c.run(5);
      await c.crash(leader.id);
      c.network.faults.reset();
      const r = await c.settle(read, 3_000);
      expect(text(r.kvs[0]!.value)).toBe('before');
    } finally {
      await c.shutdown();
    }
  });

  it('a membership change in flight through a follower when the leader dies fails once a new leader is known (it has no identity to be re-sent with)', async () => {
    const { c, leader, follower } = await cluster(77);
    try {
      slowInto(c, leader.id, 30);
      const change = follower.addLearner(9).then(
        () => 'applied',
        (e: unknown) => e,
      );
      await c.run(5);
      await c.crash(leader.id);
      c.network.faults.reset();
      await c.until(
        () => follower.status().leader !== leader.id && follower.status().leader !== 0,
        'a new leader is known',
      );
      expect(await c.settle(change, 1)).toBeInstanceOf(UnknownOutcomeError);
    } finally {
      await c.shutdown();
    }
  });

  it('with forwardToLeader off, a read in flight on a leader that loses its place fails at once with LeaderChangedError', async () => {
    const c = await MemCluster.start(76, [1, 2, 3], { ...OPTIONS, forwardToLeader: false });
    try {
      const leader = await c.waitLeader();
      c.network.faults.isolate(leader.id);
      const read = leader.range({ key: bytes('k') }).then(
        () => 'served',
        (e: unknown) => e,
      );
      await c.until(
        () => leader.status().role !== 'leader',
        'the isolated leader steps down (checkQuorum)',
      );
      expect(await c.settle(read, 1)).toBeInstanceOf(LeaderChangedError);
    } finally {
      await c.shutdown();
    }
  });

  it('with forwardToLeader off, a write that waited for a leader, was proposed when this node became it, and then lost the lead, is not reported as refused', async () => {
    const c = await MemCluster.start(79, [1, 2, 3], { ...OPTIONS, forwardToLeader: false });
    try {
      const first = await c.waitLeader();
      await c.crash(first.id);
      const [x, y] = c.running() as [FlotillaNode, FlotillaNode];
      await c.until(
        () => x.status().leader === 0 && y.status().leader === 0,
        'both survivors lost the leader',
      );
      c.network.faults.setDelay({ minMs: 30, maxMs: 30 });
      // Issued while no leader is known: they wait; the one on the next leader is proposed there.
      const outcome = (n: FlotillaNode) =>
        n.put(put(`k${n.id}`, 'v')).then(
          (r) => r.header.revision,
          (e: unknown) => e,
        );
      const writes = new Map([
        [x.id, outcome(x)],
        [y.id, outcome(y)],
      ]);
      await c.until(
        () => [x, y].some((n) => n.status().role === 'leader' && n.status().pending.proposals > 0),
        'the new leader proposed its write',
      );
      const leader = [x, y].find((n) => n.status().role === 'leader')!;
      const other = leader === x ? y : x;
      await c.until(
        () => other.status().lastIndex === leader.status().lastIndex,
        'the write reached the other survivor',
      );
      expect(leader.status().commitIndex).toBeLessThan(leader.status().lastIndex);
      c.network.faults.isolate(leader.id); // before it learns the write committed
      c.network.faults.setDelay({ minMs: 0, maxMs: 0 });
      await c.startNode(first.id);
      await c.until(() => leader.status().role !== 'leader', 'the isolated leader stepped down');
      await c.until(
        () => c.running().some((n) => n !== leader && n.status().role === 'leader'),
        'a leader elected without it',
      );
      c.network.faults.heal();
      const result = await c.settle(writes.get(leader.id)!, 5_000);
      expect(result).not.toBeInstanceOf(NotLeaderError);
      const now = await c.waitLeader();
      const r = await c.settle(now.range({ key: bytes(`k${leader.id}`) }));
      expect(r.kvs).toHaveLength(1);
      expect(r.kvs[0]!.modRevision).toBe(result);
    } finally {
      await c.shutdown();
    }
  });

  it('a write with its own exactly-once identity in flight through a follower keeps it when re-sent', async () => {
    const { c, leader, follower, third } = await cluster(75);
    try {
      slowInto(c, leader.id, 30);
      const before = third.status().lastIndex;
      const write = follower.put(put('x', '1'), { clientId: 'app', seq: 7 });
      await c.until(
        () => third.status().lastIndex > before && follower.status().lastIndex > before,
        'the entry reached both followers',
      );
      await c.crash(leader.id);
      c.network.faults.reset();
      const done = await c.settle(write, 5_000);
      await appliedOnce(c, 'x', done.header.revision);
      // The same identity again is answered from the exactly-once table, not applied.
      const again = await c.settle(follower.put(put('x', '1'), { clientId: 'app', seq: 7 }));
      expect(again.header.revision).toBe(done.header.revision);
    } finally {
      await c.shutdown();
    }
  });
});

describe('a follower identity that kv forgot', () => {
  it('is renewed: the next write through that follower is applied once, not refused as "session expired"', async () => {
    // kv remembers 2 clients: other clients' writes evict the follower's lane id between its writes.
    const c = await MemCluster.start(74, [1, 2, 3], { ...OPTIONS, kvLimits: { clientsMax: 2 } });
    try {
      const leader = await c.waitLeader();
      await c.until(
        () => c.running().every((n) => n.status().leader === leader.id),
        'every member knows the leader',
      );
      const follower = c.running().find((n) => n !== leader)!;
      await c.settle(follower.put(put('a', '1'))); // lane 0: register (seq 1), then the write (seq 2)
      for (const id of ['x', 'y', 'z']) await c.settle(leader.register({ clientId: id }));
      const second = await c.settle(follower.put(put('b', '1'))); // lane 0, seq 3: kv no longer knows the lane's id
      await appliedOnce(c, 'b', second.header.revision);
    } finally {
      await c.shutdown();
    }
  });

  it("a lane's first write, applied and then re-sent to a new leader after kv forgot the lane, is not applied twice (bug: it was seq 1, which looked new)", async () => {
    const c = await MemCluster.start(76, [1, 2, 3], { ...OPTIONS, kvLimits: { clientsMax: 1 } });
    try {
      const leader = await c.waitLeader();
      await c.until(
        () => c.running().every((n) => n.status().leader === leader.id),
        'every member knows the leader',
      );
      const follower = c.running().find((n) => n !== leader)!;
      // The leader's answers reach the follower late, so the write is applied before the follower hears of it.
      c.network.faults.setLinkDelay(leader.id, follower.id, { minMs: 60, maxMs: 60 });
      const write = follower.put(put('w', '1'));
      write.catch(() => undefined);
      for (let applied = false; !applied; ) {
        await c.run(1);
        applied =
          (await leader.range({ key: bytes('w') }, { consistency: 'serializable' })).kvs.length ===
          1;
      }
      c.network.faults.blockLink(leader.id, follower.id); // the answer is lost
      // Another client evicts the lane's id (kv remembers one client), then the leader dies.
      await c.settle(leader.register({ clientId: 'other' }));
      await c.settle(leader.put(put('o', '1'), { clientId: 'other', seq: 2 }));
      await c.crash(leader.id); // its link to the follower stays cut: the answer in flight on it is lost
      await expect(c.settle(write, 5_000)).rejects.toBeInstanceOf(UnknownOutcomeError);
      const r = await c.settle((await c.waitLeader()).range({ key: bytes('w') }));
      expect(r.kvs[0]!.version).toBe(1); // put once: the re-send after the eviction was not applied
    } finally {
      await c.shutdown();
    }
  });
});
