import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import type { NodeId } from '@flotilla/raft';
import { FAST, MemCluster } from './mem-cluster.js';
import type { FlotillaNode } from '../src/index.js';

const key = (i: number) => bytes(`k${String(i).padStart(4, '0')}`);

async function writeMany(c: MemCluster, via: FlotillaNode, from: number, count: number): Promise<void> {
  await c.settle(Promise.all(Array.from({ length: count }, (_, i) => via.put({ key: key(from + i), value: bytes(`v${from + i}`) }))));
}

async function valuesOn(c: MemCluster, n: FlotillaNode, count: number): Promise<string[]> {
  const r = await c.settle(n.range({ key: key(0), rangeEnd: bytes('l') }, { consistency: 'serializable' }));
  expect(r.kvs.length).toBe(count);
  return r.kvs.map((kv) => text(kv.value));
}

describe('snapshots and compaction', () => {
  it('takes a snapshot every snapshotEntries applied entries and compacts the log behind it', async () => {
    const c = await MemCluster.start(11, [1, 2, 3], { ...FAST, snapshotEntries: 20, snapshotCatchUpEntries: 5 });
    try {
      const leader = await c.waitLeader();
      const created: number[] = [];
      leader.on('snapshot', (e) => {
        if (e.kind === 'created') created.push(e.meta.index);
      });
      for (let round = 0; round < 5; round++) await writeMany(c, leader, round * 10, 10);
      await c.until(() => leader.status().metrics.snapshots.created >= 2, 'two snapshots');
      const st = leader.status();
      expect(created.length).toBeGreaterThanOrEqual(2);
      expect(st.metrics.snapshotSaveMs.count).toBe(st.metrics.snapshots.created);
      expect(st.snapshotIndex).toBeGreaterThanOrEqual(40);
      // The log keeps snapshotCatchUpEntries behind the newest snapshot and no more.
      await c.run(20);
      expect(leader.status().firstIndex).toBe(leader.status().snapshotIndex - 5 + 1);
    } finally {
      await c.shutdown();
    }
  });

  it('a follower too far behind is sent a snapshot in many small chunks, installs it, then follows the log', async () => {
    const c = await MemCluster.start(12, [1, 2, 3], { ...FAST, snapshotEntries: 30, snapshotCatchUpEntries: 0, snapshotChunkBytes: 64, snapshotWindowChunks: 3 });
    try {
      const leader = await c.waitLeader();
      const lagger = [1, 2, 3].find((id) => id !== leader.id)! as NodeId;
      await c.crash(lagger);
      await writeMany(c, leader, 0, 100);
      await c.until(() => leader.status().firstIndex > 2, 'leader compacted its log');
      const restarted = await c.startNode(lagger);
      const installed: number[] = [];
      restarted.on('snapshot', (e) => {
        if (e.kind === 'installed') installed.push(e.meta.index);
      });
      await c.until(() => restarted.status().appliedIndex === leader.status().appliedIndex, 'the lagging follower caught up');
      expect(installed.length).toBe(1);
      expect(leader.status().metrics.snapshots.sent).toBeGreaterThanOrEqual(1);
      await writeMany(c, leader, 100, 10);
      await c.until(() => restarted.status().appliedIndex === leader.status().appliedIndex, 'and follows the log after it');
      expect(await valuesOn(c, restarted, 110)).toEqual(await valuesOn(c, leader, 110));
    } finally {
      await c.shutdown();
    }
  });

  it('a snapshot transfer finishes under message loss, duplication and reordering (failed attempts are retried)', async () => {
    const c = await MemCluster.start(13, [1, 2, 3], {
      ...FAST, snapshotEntries: 30, snapshotCatchUpEntries: 0, snapshotChunkBytes: 128, snapshotTimeoutMs: 300,
    });
    try {
      const leader = await c.waitLeader();
      const lagger = [1, 2, 3].find((id) => id !== leader.id)! as NodeId;
      await c.crash(lagger);
      await writeMany(c, leader, 0, 100);
      await c.until(() => leader.status().firstIndex > 2, 'leader compacted its log');
      c.network.faults.setDrop(0.03);
      c.network.faults.setDuplicate(0.1);
      c.network.faults.setReorder(0.05, 10);
      const restarted = await c.startNode(lagger);
      await c.until(() => restarted.status().appliedIndex >= 100, 'the lagging follower installs a snapshot', 60_000);
      c.network.faults.reset();
      await c.until(() => restarted.status().appliedIndex === leader.status().appliedIndex, 'caught up');
      expect(await valuesOn(c, restarted, 100)).toEqual(await valuesOn(c, leader, 100));
    } finally {
      await c.shutdown();
    }
  });
});
