// Requests issued before any leader is known wait for one (bounded by their
// timeout) instead of failing; ready() tells when a node can serve.
import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { NONE } from '@flotilla/raft';
import { FAST, MemCluster } from './mem-cluster.js';
import { NotLeaderError, RequestTimeoutError } from '../src/index.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('waiting for a leader', () => {
  it('writes and linearizable reads issued on a fresh three-node cluster before any election succeed without retrying', async () => {
    const c = await MemCluster.start(81, [1, 2, 3]);
    try {
      expect(c.running().every((n) => n.status().leader === NONE)).toBe(true);
      const writes = c.running().map((n) => n.put(put(`k${n.id}`, `from ${n.id}`)));
      const read = c.node(2).range({ key: bytes('k'), rangeEnd: bytes('l') });
      const done = await c.settle(Promise.all(writes));
      expect(done).toHaveLength(3);
      await c.settle(read);
      const after = await c.settle(c.node(3).range({ key: bytes('k'), rangeEnd: bytes('l') }));
      expect(after.kvs.map((kv) => text(kv.value))).toEqual(['from 1', 'from 2', 'from 3']);
    } finally {
      await c.shutdown();
    }
  });

  it('a single-member cluster takes a write issued right after start', async () => {
    const c = await MemCluster.start(82, [1]);
    try {
      const r = await c.settle(c.node(1).put(put('a', '1')));
      expect(r.header.revision).toBeGreaterThan(1);
    } finally {
      await c.shutdown();
    }
  });

  it('with forwardToLeader off, requests issued before the election wait: the leader serves its own, followers then refuse naming it', async () => {
    const c = await MemCluster.start(83, [1, 2, 3], { ...FAST, forwardToLeader: false });
    try {
      const outcomes = c.running().map((n) =>
        n.put(put(`k${n.id}`, 'v')).then(
          () => 'ok',
          (e: unknown) => e,
        ),
      );
      const results = await c.settle(Promise.all(outcomes));
      const leader = c.leader()!;
      for (const [i, r] of results.entries()) {
        const id = i + 1;
        if (id === leader.id) expect(r).toBe('ok');
        else {
          expect(r).toBeInstanceOf(NotLeaderError);
          expect((r as NotLeaderError).leader).toBe(leader.id);
        }
      }
    } finally {
      await c.shutdown();
    }
  });

  it('a write with no leader to be found fails once its time is up, as not applied', async () => {
    const c = new MemCluster(84, [1, 2, 3], { ...FAST, forwardTimeoutMs: 1_000 });
    try {
      await c.startNode(1); // alone: no quorum, no leader
      const err = await c.settle(c.node(1).put(put('a', '1')), 3_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotLeaderError);
    } finally {
      await c.shutdown();
    }
  });
});

describe('ready()', () => {
  it('resolves on every member of a fresh cluster once a leader is known and reads can be served', async () => {
    const c = await MemCluster.start(85, [1, 2, 3]);
    try {
      await c.settle(Promise.all(c.running().map((n) => n.ready())));
      const leader = c.running()[0]!.status().leader;
      expect(leader).not.toBe(NONE);
      expect(c.running().every((n) => n.status().leader === leader)).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('with forwardToLeader off, resolves on a follower once the leader is known', async () => {
    const c = await MemCluster.start(86, [1, 2, 3], { ...FAST, forwardToLeader: false });
    try {
      await c.settle(Promise.all(c.running().map((n) => n.ready())));
      expect(c.running().every((n) => n.status().leader !== NONE)).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('rejects with RequestTimeoutError when no leader can be elected in time', async () => {
    const c = new MemCluster(87, [1, 2, 3]);
    try {
      await c.startNode(1);
      const err = await c
        .settle(c.node(1).ready({ timeoutMs: 500 }), 2_000)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as RequestTimeoutError).timeoutMs).toBe(500);
    } finally {
      await c.shutdown();
    }
  });
});
