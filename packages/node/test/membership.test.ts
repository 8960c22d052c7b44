import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import { FAST, MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

describe('membership', () => {
  it('a new node joins as a learner, catches up by snapshot then log, is promoted, and an old member is removed', async () => {
    const c = await MemCluster.start(51, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 20,
      snapshotCatchUpEntries: 0,
    });
    try {
      const leader = await c.waitLeader();
      for (let i = 0; i < 5; i++)
        await c.settle(
          Promise.all(Array.from({ length: 10 }, (_, j) => leader.put(put(`k${i * 10 + j}`, 'v')))),
        );
      await c.until(() => leader.status().firstIndex > 1, 'the leader compacted its log');
      const joiner = await c.startNode(4);
      const installed: number[] = [];
      joiner.on('snapshot', (e) => installed.push(e.meta.index));
      const conf = await c.settle(leader.addLearner(4));
      expect(conf.learners).toEqual([4]);
      await c.until(
        () => joiner.status().appliedIndex === leader.status().appliedIndex,
        'the learner catches up',
      );
      expect(installed.length).toBe(1);
      await c.settle(leader.put(put('after', '1')));
      await c.until(
        () => joiner.status().revision === leader.status().revision,
        'and follows the log',
      );
      const promoted = await c.settle(leader.promote(4));
      expect([...promoted.voters].sort()).toEqual([1, 2, 3, 4]);
      const victim = [1, 2, 3].find((id) => id !== leader.id)!;
      const removed = await c.settle(leader.removeMember(victim));
      expect([...removed.voters].sort()).toEqual([1, 2, 3, 4].filter((id) => id !== victim));
      await c.until(
        () => joiner.status().confState.voters.length === 3,
        'the joiner sees the removal',
      );
      const r = await c.settle(joiner.put(put('from-joiner', '1')));
      expect(r.header.memberId).toBe(4);
    } finally {
      await c.shutdown();
    }
  });

  it('transferLeadership hands over to the named voter, also when asked on a follower', async () => {
    const c = await MemCluster.start(52, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const [a, b] = c.running().filter((n) => n !== leader);
      await c.settle(leader.transferLeadership(a!.id));
      expect(c.leader()?.id).toBe(a!.id);
      await c.settle(leader.transferLeadership(b!.id)); // leader is now a follower: forwarded
      await c.until(() => c.leader()?.id === b!.id, 'b leads');
      await c.settle(b!.put(put('x', '1')));
    } finally {
      await c.shutdown();
    }
  });
});
