// Disaster recovery: a majority lost for good, the survivor restarted as a
// one-voter cluster from its own data, then grown back by membership changes.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { bytes, encodeCommand, KvStateMachine, text } from '@flotilla/kv';
import { openNode } from '@flotilla/node';
import type { Entry } from '@flotilla/raft';
import { openLevelStorage } from '@flotilla/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceNewCluster, ForceNewClusterError } from '../src/index.js';
import { FAST, freePort, Members, scan, waitFor } from './cluster-harness.js';
import { tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir('flotilla-dr-')));
afterAll(() => cleanup());

describe('force-new-cluster', () => {
  it('recovers the last member of three, grows back to three new members, and the data is intact', async () => {
    const old = new Members('dr', root);
    await old.startAll([1, 2, 3]);
    const leader = await old.waitLeader();
    const written = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 60; i++) {
          const key = `d/${w}/${i}`;
          await leader.put({ key: bytes(key), value: bytes(`v${w}.${i}`) });
          written.set(key, `v${w}.${i}`);
        }
      }),
    );
    // The members' records, as `flotilla start` publishes them.
    const record = (id: number) => ({
      id,
      name: `m${id}`,
      peerUrls: [`http://10.0.0.${id}:2380`],
      clientUrls: [`http://10.0.0.${id}:2379`],
      isLearner: false,
    });
    for (const id of [1, 2, 3]) await leader.updateMember({ kind: 'set', ...record(id) });
    await old.waitConverged();
    const survivor = [1, 2, 3].find((id) => id !== leader.id)!;
    // Two members are lost for good: killed, their disks gone.
    for (const id of [1, 2, 3].filter((i) => i !== survivor)) {
      await old.crash(id);
      await rm(old.dataDir(id), { recursive: true, force: true });
    }
    await old.crash(survivor);

    const forced = await forceNewCluster(old.dataDir(survivor), {
      nodeId: survivor,
      clusterId: 'dr',
    });
    expect(forced.nodeId).toBe(survivor);

    const grown = new Members('dr', root);
    grown.addresses.set(survivor, old.addresses.get(survivor)!);
    const first = await grown.open(survivor, { peers: [], dataDir: old.dataDir(survivor) });
    await waitFor(() => first.status().role === 'leader', 'the survivor leads alone');
    expect(first.status().confState.voters).toEqual([survivor]);
    // The lost members are gone from the member table too (etcd's member list after the flag).
    expect(first.members.list()).toEqual([record(survivor)]);
    const seen = await scan(first, 'd/', 'linearizable');
    expect(new Map(seen.map((kv) => [text(kv.key), text(kv.value)]))).toEqual(written);
    await first.put({ key: bytes('d/after'), value: bytes('recovered') });
    written.set('d/after', 'recovered');

    for (const id of [4, 5]) {
      grown.addresses.set(id, { host: '127.0.0.1', port: await freePort() });
      const joiner = await grown.open(id, {
        peers: [...grown.nodes.keys()],
        initialVoters: [survivor],
      });
      for (const other of grown.nodes.values())
        if (other !== joiner) other.addPeer(id, grown.addresses.get(id)!);
      await first.addLearner(id);
      await waitFor(
        () => joiner.status().appliedIndex >= first.status().commitIndex,
        `member ${id} caught up`,
      );
      // The log starts after the recovery point, so a joiner is seeded by the snapshot forceNewCluster stored.
      expect(joiner.status().metrics.snapshots.installed).toBe(1);
      // Seeded by that snapshot: the survivor's record, none of the lost members'.
      expect(joiner.members.list()).toEqual(first.members.list());
      expect(joiner.members.get(survivor)).toEqual(record(survivor));
      for (const lost of [1, 2, 3].filter((i) => i !== survivor))
        expect(joiner.members.get(lost)).toBeUndefined();
      await first.promote(id);
    }
    expect([...first.status().confState.voters].sort()).toEqual([4, 5, survivor].sort());

    await grown.waitConverged();
    for (const id of [4, 5]) {
      const kvs = await scan(grown.node(id), 'd/');
      expect(
        new Map(kvs.map((kv) => [text(kv.key), text(kv.value)])),
        `data on member ${id}`,
      ).toEqual(written);
    }
    // The new members carry the cluster on their own: lose the survivor, they still elect and serve.
    await grown.crash(survivor);
    const next = await grown.waitLeader();
    expect([4, 5]).toContain(next.id);
    await next.put({ key: bytes('d/without-survivor'), value: bytes('ok') });
    expect((await scan(next, 'd/', 'linearizable')).length).toBe(written.size + 1);
    await grown.closeAll();
  });

  it('keeps committed entries the survivor had not applied yet and drops entries after its commit index', async () => {
    const dir = path.join(root, 'hand-made');
    const storage = await openLevelStorage({ dir, clusterId: 'hm', nodeId: 2 });
    const confState = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };
    await storage.persist({ snapshotMeta: { index: 0, term: 0, confState } });
    const put = (i: number): Entry => ({
      type: 'normal',
      term: 1,
      index: i,
      data: encodeCommand({
        cmd: { op: 'put', request: { key: bytes(`k${i}`), value: bytes(`v${i}`) } },
      }),
    });
    const entries: Entry[] = [1, 2, 3, 4, 5].map(put);
    entries.push({
      type: 'confChange',
      term: 1,
      index: 6,
      change: { changes: [{ op: 'addLearner', nodeId: 4 }] },
    });
    entries.push(...[7, 8, 9, 10].map(put));
    await storage.persist({ entries, hardState: { term: 1, vote: 1, commit: 8 } });
    const kv = await KvStateMachine.open(storage.stateLevel());
    await kv.applyEntries(
      entries
        .slice(0, 3)
        .map((e) => ({ index: e.index, data: e.type === 'normal' ? e.data : new Uint8Array(0) })),
    );
    await kv.close();
    await storage.close();

    const forced = await forceNewCluster(dir, { nodeId: 2, clusterId: 'hm' });
    expect(forced).toMatchObject({
      index: 8,
      term: 1,
      appliedDuringRecovery: 5,
      discardedEntries: 2,
    });
    // Rerunning it is harmless (a crash halfway is finished by running it again).
    expect(await forceNewCluster(dir, { nodeId: 2, clusterId: 'hm' })).toMatchObject({
      index: 8,
      discardedEntries: 0,
    });

    const node = await openNode({
      id: 2,
      clusterId: 'hm',
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      peers: {},
      ...FAST,
    });
    try {
      await waitFor(() => node.status().role === 'leader', 'the recovered member leads');
      const keys = (await scan(node, 'k', 'linearizable')).map((kv) => text(kv.key)).sort();
      expect(keys).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k7', 'k8']);
      expect(node.status().confState).toMatchObject({ voters: [2], learners: [] });
    } finally {
      await node.close();
    }
  });

  it('refuses an empty data directory and a member that is still running', async () => {
    const dir = path.join(root, 'empty-raft');
    const storage = await openLevelStorage({ dir, clusterId: 'e', nodeId: 1 });
    await storage.close();
    await expect(forceNewCluster(dir, { nodeId: 1, clusterId: 'e' })).rejects.toBeInstanceOf(
      ForceNewClusterError,
    );
    const running = await openNode({
      id: 1,
      clusterId: 'r',
      dataDir: path.join(root, 'running'),
      listen: { host: '127.0.0.1', port: 0 },
      peers: {},
      ...FAST,
    });
    try {
      await expect(
        forceNewCluster(path.join(root, 'running'), { nodeId: 1, clusterId: 'r' }),
      ).rejects.toThrow(/open|lock/i);
    } finally {
      await running.close();
    }
  });
});
