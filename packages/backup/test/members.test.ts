// The replicated member table in backups: a backup carries it (it is part of
// the KV state), and a restore into a new cluster empties it, in the KV state
// and in the Raft snapshot a leader sends to members that join later (the old
// members' names and URLs describe other machines).
import path from 'node:path';
import { KvStateMachine, type Command } from '@flotilla/kv';
import { snapshotFrameBytesMax, unframeChunks } from '@flotilla/node';
import { openLevelStorage } from '@flotilla/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackup, restoreBackup, saveBackup } from '../src/index.js';
import { restoreContent } from '../src/restore-check.js';
import { applyCommands, memoryKv, richKv, source, tempDir } from './helpers.js';

const member = (id: number, name: string): Command => ({
  op: 'member',
  request: {
    kind: 'set',
    id,
    name,
    peerUrls: [`http://10.0.0.${id}:2380`],
    clientUrls: [`http://10.0.0.${id}:2379`],
  },
});

let dir: string;
let cleanup: () => Promise<void>;
let file: string;
let table: unknown;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const kv = await richKv(50);
  await applyCommands(kv, [member(1, 'n1'), member(2, 'n2'), member(3, 'n3')]);
  table = kv.members.list();
  file = path.join(dir, 'members.fbk');
  await saveBackup(source(kv), file);
  await kv.close();
});
afterAll(() => cleanup());

describe('member table in backups', () => {
  it('a backup carries the member table', async () => {
    const kv = await memoryKv();
    await restoreContent(kv, await openBackup(file));
    expect(kv.members.list()).toEqual(table);
    expect(kv.members.list()).toHaveLength(3);
    await kv.close();
  });

  it('a restore into a new cluster starts with an empty table, in the state and in the stored snapshot', async () => {
    const dataDir = path.join(dir, 'restored-1');
    const restored = await restoreBackup(file, {
      members: [1, 2, 3],
      dataDirs: { 1: dataDir },
      clusterId: 'restored',
    });
    const storage = await openLevelStorage({ dir: dataDir, clusterId: 'restored', nodeId: 1 });
    try {
      const kv = await KvStateMachine.open(storage.stateLevel());
      expect(kv.members.list()).toEqual([]);
      const snap = await storage.snapshots.open(restored.index, restored.term);
      const joiner = await memoryKv();
      await joiner.restore(unframeChunks(snap!.stream(), snapshotFrameBytesMax(joiner)));
      expect(joiner.members.list()).toEqual([]);
      expect(joiner.revision).toBe(kv.revision);
      await joiner.close();
      await kv.close();
    } finally {
      await storage.close();
    }
  });
});
