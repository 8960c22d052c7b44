import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { NONE } from '@flotilla/raft';
import { FAST, MemCluster } from './mem-cluster.js';
import {
  NotLeaderError,
  ProposalLostError,
  TooManyRequestsError,
  UnknownOutcomeError,
} from '../src/index.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('write path', () => {
  it('a write on any member is applied on every member, with an etcd-style header', async () => {
    const c = await MemCluster.start(21, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      const a = await c.settle(leader.put(put('a', '1')));
      const b = await c.settle(follower.put(put('b', '2')));
      expect(b.header).toEqual({
        clusterId: 'mem',
        memberId: follower.id,
        revision: a.header.revision + 1,
        raftTerm: leader.status().term,
      });
      await c.until(
        () => c.running().every((n) => n.status().revision === b.header.revision),
        'every member applied both',
      );
      for (const n of c.running()) {
        const r = await c.settle(
          n.range({ key: bytes('a'), rangeEnd: bytes('c') }, { consistency: 'serializable' }),
        );
        expect(r.kvs.map((kv) => text(kv.value))).toEqual(['1', '2']);
      }
    } finally {
      await c.shutdown();
    }
  });

  it('a write taken by a follower is answered once that follower applied it: its own reads show it', async () => {
    const c = new MemCluster(23, [1, 2, 3]);
    for (const id of [1, 2, 3]) c.diskMs.set(id, 0);
    await c.settle(Promise.all([1, 2, 3].map((id) => c.startNode(id))));
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      // A slow disk on the follower that takes the writes: the leader commits with the other
      // follower, so its answer reaches this one while it is still writing the entry.
      c.diskMs.set(follower.id, 20);
      for (let i = 0; i < 30; i++) {
        // The read is issued the moment the write is answered, before the clock moves on.
        const [written, read] = await c.settle(
          follower
            .put(put(`ryw/${i}`, `${i}`))
            .then(async (w) => [
              w,
              await follower.range({ key: bytes(`ryw/${i}`) }, { consistency: 'serializable' }),
            ]),
        );
        expect(read.kvs.map((kv) => text(kv.value))).toEqual([`${i}`]);
        expect(read.header.revision).toBeGreaterThanOrEqual(written.header.revision);
      }
    } finally {
      // A write in progress finishes only as virtual time moves.
      for (const id of [1, 2, 3]) c.diskMs.set(id, 0);
      await c.settle(c.shutdown());
    }
  });

  it('a forwarded write that the network duplicates is proposed once', async () => {
    const c = await MemCluster.start(29, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      c.network.faults.setDuplicate(0.5);
      const start = leader.status().revision;
      await c.settle(
        Promise.all(Array.from({ length: 30 }, (_, i) => follower.put(put(`d${i}`, 'v')))),
      );
      c.network.faults.reset();
      await c.run(50);
      expect(leader.status().revision).toBe(start + 30);
      const r = await c.settle(leader.range({ key: bytes('d'), rangeEnd: bytes('e') }));
      expect(r.kvs.every((kv) => kv.version === 1)).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('with forwardToLeader off, a follower refuses writes with NotLeaderError naming the leader', async () => {
    const c = await MemCluster.start(22, [1, 2, 3], { ...FAST, forwardToLeader: false });
    try {
      const leader = await c.waitLeader();
      await c.until(
        () => c.running().every((n) => n.status().leader === leader.id),
        'everyone knows the leader',
      );
      const follower = c.running().find((n) => n !== leader)!;
      const err = await c.settle(follower.put(put('a', '1'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotLeaderError);
      expect((err as NotLeaderError).leader).toBe(leader.id);
      const readErr = await c.settle(follower.range({ key: bytes('a') })).catch((e: unknown) => e);
      expect(readErr).toBeInstanceOf(NotLeaderError);
    } finally {
      await c.shutdown();
    }
  });

  it('a retry with the same clientId and seq is applied once and answered with the first result', async () => {
    const c = await MemCluster.start(23, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const first = await c.settle(leader.put(put('x', '1'), { clientId: 'svc', seq: 1 }));
      const again = await c.settle(leader.put(put('x', '1'), { clientId: 'svc', seq: 1 }));
      expect(again.header.revision).toBe(first.header.revision);
      expect(leader.status().revision).toBe(first.header.revision);
      const r = await c.settle(leader.range({ key: bytes('x') }));
      expect(r.kvs[0]!.version).toBe(1);
    } finally {
      await c.shutdown();
    }
  });

  it('proposals that arrive while a batch is written go into one batch (group commit)', async () => {
    const c = await MemCluster.start(24, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const before = leader.status().metrics.entriesPerFsync;
      await c.settle(
        Promise.all(Array.from({ length: 64 }, (_, i) => leader.put(put(`k${i}`, 'v')))),
      );
      const after = leader.status().metrics.entriesPerFsync;
      expect(after.count - before.count).toBe(1);
      expect(after.max).toBe(64);
    } finally {
      await c.shutdown();
    }
  });

  it('refuses proposals over proposalQueueMax with TooManyRequestsError, and nothing of them is applied', async () => {
    const c = await MemCluster.start(25, [1, 2, 3], { ...FAST, proposalQueueMax: 10 });
    try {
      const leader = await c.waitLeader();
      const results = await c.settle(
        Promise.allSettled(Array.from({ length: 15 }, (_, i) => leader.put(put(`k${i}`, 'v')))),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.length).toBe(5);
      for (const r of refused)
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TooManyRequestsError);
      const all = await c.settle(leader.range({ key: bytes('k'), rangeEnd: bytes('l') }));
      expect(all.count).toBe(10);
    } finally {
      await c.shutdown();
    }
  });

  it("a proposal replaced by a new leader's entry fails with ProposalLostError (it was not applied)", async () => {
    const c = await MemCluster.start(26, [1, 2, 3], { ...FAST, checkQuorum: false });
    try {
      const old = await c.waitLeader();
      c.network.faults.isolate(old.id);
      // The isolated leader still believes it leads (no CheckQuorum): it accepts the proposal but cannot commit it.
      const doomed = old.put(put('lost', '1'));
      doomed.catch(() => undefined);
      const others = c.running().filter((n) => n !== old);
      await c.until(
        () => others.some((n) => n.status().role === 'leader'),
        'the majority elects a new leader',
      );
      const next = others.find((n) => n.status().role === 'leader')!;
      await c.settle(next.put(put('won', '1')));
      await c.settle(next.put(put('won', '2')));
      c.network.faults.heal();
      const err = await c.settle(doomed).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProposalLostError);
      const r = await c.settle(next.range({ key: bytes('lost') }));
      expect(r.count).toBe(0);
    } finally {
      await c.shutdown();
    }
  });

  it('a proposal whose fate cannot be learnt in proposalTimeoutMs fails with UnknownOutcomeError', async () => {
    const c = await MemCluster.start(27, [1, 2, 3], {
      ...FAST,
      checkQuorum: false,
      proposalTimeoutMs: 500,
    });
    try {
      const old = await c.waitLeader();
      c.network.faults.isolate(old.id);
      const err = await c.settle(old.put(put('maybe', '1'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect(old.status().pending.proposals).toBe(0);
    } finally {
      await c.shutdown();
    }
  });

  it('without a known leader a follower write fails at once with NotLeaderError (nothing proposed)', async () => {
    const c = await MemCluster.start(28, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      c.network.faults.isolate(follower.id);
      await c.until(
        () => follower.status().leader === NONE,
        'the isolated follower loses the leader',
      );
      const err = await c.settle(follower.put(put('a', '1'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotLeaderError);
    } finally {
      await c.shutdown();
    }
  });
});
