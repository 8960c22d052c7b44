import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import type { NodeId, SnapshotMeta } from '@flotilla/raft';
import { FAST, MemCluster } from './mem-cluster.js';
import type { FlotillaNode } from '../src/index.js';
import { encodeWire } from '../src/wire.js';

const key = (i: number) => bytes(`k${String(i).padStart(4, '0')}`);

async function writeMany(
  c: MemCluster,
  via: FlotillaNode,
  from: number,
  count: number,
): Promise<void> {
  await c.settle(
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        via.put({ key: key(from + i), value: bytes(`v${from + i}`) }),
      ),
    ),
  );
}

async function valuesOn(c: MemCluster, n: FlotillaNode, count: number): Promise<string[]> {
  const r = await c.settle(
    n.range({ key: key(0), rangeEnd: bytes('l') }, { consistency: 'serializable' }),
  );
  expect(r.kvs.length).toBe(count);
  return r.kvs.map((kv) => text(kv.value));
}

describe('snapshots and compaction', () => {
  it('takes a snapshot every snapshotEntries applied entries and compacts the log behind it', async () => {
    const c = await MemCluster.start(11, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 20,
      snapshotCatchUpEntries: 5,
    });
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
    const c = await MemCluster.start(12, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 30,
      snapshotCatchUpEntries: 0,
      snapshotChunkBytes: 64,
      snapshotWindowChunks: 3,
    });
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
      await c.until(
        () => restarted.status().appliedIndex === leader.status().appliedIndex,
        'the lagging follower caught up',
      );
      expect(installed.length).toBe(1);
      expect(leader.status().metrics.snapshots.sent).toBeGreaterThanOrEqual(1);
      await writeMany(c, leader, 100, 10);
      await c.until(
        () => restarted.status().appliedIndex === leader.status().appliedIndex,
        'and follows the log after it',
      );
      expect(await valuesOn(c, restarted, 110)).toEqual(await valuesOn(c, leader, 110));
    } finally {
      await c.shutdown();
    }
  });

  it('a snapshot transfer finishes under message loss, duplication and reordering (failed attempts are retried)', async () => {
    const c = await MemCluster.start(13, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 30,
      snapshotCatchUpEntries: 0,
      snapshotChunkBytes: 128,
      snapshotTimeoutMs: 300,
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
      await c.until(
        () => restarted.status().appliedIndex >= 100,
        'the lagging follower installs a snapshot',
        60_000,
      );
      c.network.faults.reset();
      await c.until(
        () => restarted.status().appliedIndex === leader.status().appliedIndex,
        'caught up',
      );
      expect(await valuesOn(c, restarted, 100)).toEqual(await valuesOn(c, leader, 100));
    } finally {
      await c.shutdown();
    }
  });

  describe('a stored snapshot the core refused (bug: install and restart opened the newest stored one)', () => {
    const SNAP = { ...FAST, snapshotEntries: 30, snapshotCatchUpEntries: 0 };
    const junk = (meta: SnapshotMeta): Uint8Array =>
      bytes(`not the state at ${meta.index}`.repeat(10));

    /** A 3-member cluster past term 1, with `lagger` down and the leader's log compacted past it. */
    async function laggingCluster(
      seed: number,
    ): Promise<{ c: MemCluster; leader: FlotillaNode; lagger: NodeId }> {
      const c = await MemCluster.start(seed, [1, 2, 3], SNAP);
      const first = await c.waitLeader();
      await c.crash(first.id);
      await c.until(
        () => c.leader() !== undefined && c.leader()!.status().term > 1,
        'a leader of a later term',
      );
      await c.startNode(first.id);
      const leader = await c.waitLeader();
      // Not the restarted one: the lagger must have stored the later term before it went down.
      const lagger = [1, 2, 3].find((id) => id !== leader.id && id !== first.id)! as NodeId;
      expect(c.node(lagger).status().term).toBeGreaterThan(1);
      await c.crash(lagger);
      await writeMany(c, leader, 0, 100);
      await c.until(() => leader.status().firstIndex > 2, 'leader compacted its log');
      return { c, leader, lagger };
    }

    it('a transfer from a deposed term, stored but refused, neither breaks the install of the right snapshot nor a restart, and is deleted', async () => {
      const { c, leader, lagger } = await laggingCluster(14);
      try {
        const restarted = await c.startNode(lagger);
        // A verified transfer from term 1 (a deposed leader) of a snapshot newer than anything the cluster has.
        const meta: SnapshotMeta = {
          index: leader.status().appliedIndex + 500,
          term: 1,
          confState: { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] },
        };
        const data = junk(meta);
        const digest = new Uint8Array(createHash('sha256').update(data).digest());
        c.network.transport(9).send(lagger, [
          encodeWire(9 as NodeId, lagger, {
            k: 'snap',
            xfer: 1,
            seq: 0,
            term: 1,
            meta,
            data,
            digest,
          }),
        ]);
        const installed: number[] = [];
        restarted.on('snapshot', (e) => {
          if (e.kind === 'installed') installed.push(e.meta.index);
        });
        await c.until(
          () => restarted.status().appliedIndex === leader.status().appliedIndex,
          'the lagging follower installed the right snapshot',
        );
        expect(installed.length).toBe(1);
        const stored = async () =>
          (await c.members.get(lagger)!.storage.snapshots.list()).map((i) => i.meta.index);
        expect(await stored()).not.toContain(meta.index);
        await c.crash(lagger);
        const again = await c.startNode(lagger);
        await writeMany(c, leader, 100, 10);
        await c.until(
          () => again.status().appliedIndex === leader.status().appliedIndex,
          'restarted and caught up',
        );
        expect(await valuesOn(c, again, 110)).toEqual(await valuesOn(c, leader, 110));
      } finally {
        await c.shutdown();
      }
    });

    it('a restart that finishes a cut-short install restores the installed snapshot, not a newer refused one, and deletes that one', async () => {
      const { c, leader, lagger } = await laggingCluster(15);
      try {
        const source = (await c.members.get(leader.id)!.storage.snapshots.openLatest())!;
        const storage = c.members.get(lagger)!.storage;
        // What a crash leaves after persisting a received install but before restoring the KV state,
        // with a newer refused transfer stored too.
        await storage.snapshots.create(source.meta, await source.read());
        await storage.persist({ snapshotMeta: source.meta }, { sync: true });
        const refused: SnapshotMeta = { ...source.meta, index: source.meta.index + 40 };
        await storage.snapshots.create(refused, junk(refused));
        const restarted = await c.startNode(lagger);
        expect(restarted.status().appliedIndex).toBeGreaterThanOrEqual(source.meta.index);
        expect((await storage.snapshots.list()).map((i) => i.meta.index)).toEqual([
          source.meta.index,
        ]);
        await c.until(
          () => restarted.status().appliedIndex === leader.status().appliedIndex,
          'caught up',
        );
        expect(await valuesOn(c, restarted, 100)).toEqual(await valuesOn(c, leader, 100));
      } finally {
        await c.shutdown();
      }
    });
  });
});
