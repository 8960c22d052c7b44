// A follower restarted within a request's lifetime numbers its forwarded
// requests and its read-index rounds from 1 again. Answers meant for its
// previous life (left in a link or in the leader when it died) must not settle
// the new life's requests: each carries the incarnation it answers.
import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import type { NodeId } from '@flotilla/raft';
import type { WireMessage } from '@flotilla/transport';
import { FAST, MemCluster } from './mem-cluster.js';
import { decodeWire } from '../src/wire.js';
import type { NodeOptions } from '../src/index.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

/** Records what `settle`d and when, without awaiting it. */
function watch<T>(p: Promise<T>): {
  settled: boolean;
  value?: T;
  error?: unknown;
  promise: Promise<T>;
} {
  const w: { settled: boolean; value?: T; error?: unknown; promise: Promise<T> } = {
    settled: false,
    promise: p,
  };
  p.then(
    (value) => Object.assign(w, { settled: true, value }),
    (error: unknown) => Object.assign(w, { settled: true, error }),
  );
  return w;
}

async function restartedFollower(
  seed: number,
  options: NodeOptions,
): Promise<{ c: MemCluster; leader: NodeId; follower: NodeId }> {
  const c = await MemCluster.start(seed, [1, 2, 3], options);
  const leader = (await c.waitLeader()).id;
  const follower = c.running().find((n) => n.id !== leader)!.id;
  return { c, leader, follower };
}

/**
 * Follower F forwards write k1 (its request 1) and keeps the leader's answer
 * frame; F crashes and restarts; its new write k2 is again request 1, and its
 * link to the leader is slow, so the old answer is handed to it before k2's
 * own. Returns what k2 settled with, and where k2 really is.
 */
async function staleAnswerScenario(options: NodeOptions): Promise<{
  settledEarly: boolean;
  revision: number | undefined;
  k2ModRevision: number | undefined;
  k1Revision: number;
}> {
  const { c, leader, follower } = await restartedFollower(61, options);
  try {
    const answers: WireMessage[] = [];
    c.tap(leader, (to, m) => {
      if (to === follower && m.type === 'node' && decodeWire(m.payload)?.k === 'res')
        answers.push(m);
    });
    const k1 = await c.settle(c.node(follower).put(put('k1', 'old life')));
    expect(answers).toHaveLength(1);
    await c.crash(follower);
    await c.startNode(follower);
    await c.until(
      () => c.node(follower).status().leader === leader,
      'the restarted follower knows the leader',
    );
    c.network.faults.setLinkDelay(follower, leader, { minMs: 200, maxMs: 200 });
    const k2 = watch(c.node(follower).put(put('k2', 'new life')));
    await c.run(5);
    c.inject(leader, follower, answers);
    await c.run(50);
    const settledEarly = k2.settled;
    c.network.faults.reset();
    const done = await c.settle(k2.promise).catch(() => undefined);
    const r = await c.settle(c.node(leader).range({ key: bytes('k2') }));
    return {
      settledEarly,
      revision: done?.header.revision,
      k2ModRevision: r.kvs[0]?.modRevision,
      k1Revision: k1.header.revision,
    };
  } finally {
    await c.shutdown();
  }
}

describe('incarnations', () => {
  it('a restarted follower does not take an answer meant for its previous life as the answer to its new write', async () => {
    const r = await staleAnswerScenario(FAST);
    expect(r.settledEarly).toBe(false);
    expect(r.k2ModRevision).toBeDefined();
    expect(r.revision).toBe(r.k2ModRevision);
  });

  it("unsafeTestFaults.ignoreIncarnation brings the bug back (the simulators' self-test relies on it)", async () => {
    const r = await staleAnswerScenario({ ...FAST, unsafeTestFaults: { ignoreIncarnation: true } });
    expect(r.settledEarly).toBe(true);
    expect(r.revision).toBe(r.k1Revision);
  });

  it('a restarted follower does not confirm a new linearizable read with a read-index answer meant for its previous life', async () => {
    const { c, leader, follower } = await restartedFollower(62, FAST);
    try {
      await c.settle(c.node(leader).put(put('k', 'old')));
      const readAnswers: WireMessage[] = [];
      c.tap(leader, (to, m) => {
        if (to === follower && m.type === 'readIndexResp') readAnswers.push(m);
      });
      const first = await c.settle(c.node(follower).range({ key: bytes('k') }));
      expect(text(first.kvs[0]!.value)).toBe('old');
      expect(readAnswers).toHaveLength(1);

      await c.crash(follower);
      await c.startNode(follower);
      await c.until(
        () =>
          c.node(follower).status().leader === leader &&
          c.node(follower).status().revision >= first.header.revision,
        'the restarted follower knows the leader and has applied k=old',
      );
      // The follower hears from the leader 50 ms late (less than an election timeout): k=new reaches it after the read starts.
      c.network.faults.setLinkDelay(leader, follower, { minMs: 50, maxMs: 50 });
      await c.settle(c.node(leader).put(put('k', 'new')));
      const read = watch(c.node(follower).range({ key: bytes('k') }));
      await c.run(2);
      c.inject(leader, follower, readAnswers);
      await c.run(10);
      const early = !read.settled
        ? 'pending'
        : read.value !== undefined
          ? `read ${text(read.value.kvs[0]!.value)}`
          : `failed: ${String(read.error)}`;
      expect(early).toBe('pending');
      const answer = await c.settle(read.promise);
      expect(text(answer.kvs[0]!.value)).toBe('new');
    } finally {
      await c.shutdown();
    }
  });
});
