// Member metadata rides in conf-change entries (and member updates) and lands
// in every member's replicated member table: after a restart and after a
// snapshot install it is the same everywhere.
import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import type { FlotillaNode } from '../src/index.js';
import { FAST, MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });
const n4 = {
  id: 4,
  name: 'n4',
  peerUrls: ['http://127.0.0.1:2680'],
  clientUrls: ['http://127.0.0.1:2679'],
  isLearner: true,
};

function table(n: FlotillaNode) {
  return n.members.list();
}

describe('member metadata', () => {
  it('is carried by conf changes and updates, and is identical on every member after a restart and a snapshot install', async () => {
    const c = await MemCluster.start(61, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 20,
      snapshotCatchUpEntries: 0,
    });
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      // Proposed on a follower: forwarded to the leader with its context.
      await c.settle(follower.addMember(n4));
      await c.settle(
        follower.updateMember({ kind: 'set', id: 4, peerUrls: ['http://127.0.0.1:2690'] }),
      );
      const expected = [{ ...n4, peerUrls: ['http://127.0.0.1:2690'] }];
      await c.until(
        () => c.running().every((n) => JSON.stringify(table(n)) === JSON.stringify(expected)),
        'every member applies the metadata',
      );
      // membersChanged: for a change of the table, with the table, and not for other entries.
      const events = new Map<number, string[]>();
      const follow = (n: FlotillaNode): void => {
        n.on('membersChanged', (e) =>
          events.set(n.id, [...(events.get(n.id) ?? []), JSON.stringify(e.members)]),
        );
      };
      for (const n of c.running()) follow(n);
      await c.settle(Promise.all([1, 2, 3].map((i) => leader.put(put(`e${i}`, 'v')))));
      await c.until(
        () => c.running().every((n) => n.status().appliedIndex === leader.status().appliedIndex),
        'the puts are applied everywhere',
      );
      expect(events.size).toBe(0);
      const named = [{ ...expected[0]!, name: 'four' }];
      await c.settle(leader.updateMember({ kind: 'set', id: 4, name: 'four' }));
      await c.until(() => events.size === 3, 'every member reports the change');
      for (const seen of events.values()) expect(seen).toEqual([JSON.stringify(named)]);
      await c.settle(leader.updateMember({ kind: 'set', id: 4, name: 'n4' }));
      await c.until(
        () => [...events.values()].every((seen) => seen.length === 2),
        'every member reports the change back',
      );
      // A restart loads it from the state; the restarted member then gets a snapshot.
      const restarted = [1, 2, 3].find((id) => id !== leader.id && id !== follower.id)!;
      await c.close(restarted);
      expect(table((await c.startNode(restarted)) as FlotillaNode)).toEqual(expected);
      await c.close(restarted);
      for (let i = 0; i < 5; i++)
        await c.settle(
          Promise.all(Array.from({ length: 10 }, (_, j) => leader.put(put(`k${i}${j}`, 'v')))),
        );
      await c.until(() => leader.status().firstIndex > 1, 'the leader compacted its log');
      // Member 4 joins now: it can only catch up by a snapshot, which carries the table.
      const joiner = await c.startNode(4);
      const installed: number[] = [];
      joiner.on('snapshot', (e) => e.kind === 'installed' && installed.push(e.meta.index));
      const back = await c.startNode(restarted);
      back.on('snapshot', (e) => e.kind === 'installed' && installed.push(e.meta.index));
      events.clear();
      follow(joiner);
      follow(back);
      await c.until(
        () => [joiner, back].every((n) => n.status().appliedIndex === leader.status().appliedIndex),
        'the joiner and the restarted member catch up',
      );
      expect(installed.length).toBe(2);
      for (const n of c.running()) expect(table(n)).toEqual(expected);
      // The install replaced their tables: each says so, with the table it now has.
      expect(events.get(4)?.at(-1)).toBe(JSON.stringify(expected));
      expect(events.get(restarted)?.at(-1)).toBe(JSON.stringify(expected));
      // Promotion and removal change the table through their conf changes.
      await c.settle(leader.promote(4));
      await c.settle(leader.removeMember(4));
      await c.until(
        () => c.running().every((n) => n.id === 4 || table(n).length === 0),
        'the removal is applied everywhere',
      );
    } finally {
      await c.shutdown();
    }
  });

  it('hashKv is equal on every member at the same applied state', async () => {
    const c = await MemCluster.start(62, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      for (let i = 0; i < 5; i++) await c.settle(leader.put(put(`k${i}`, `${i}`)));
      await c.until(
        () => c.running().every((n) => n.status().revision === leader.status().revision),
        'every member applied the writes',
      );
      const hashes = await Promise.all(c.running().map((n) => n.hashKv()));
      expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
      expect(hashes[0]!.hashRevision).toBe(leader.status().revision);
    } finally {
      await c.shutdown();
    }
  });
});
