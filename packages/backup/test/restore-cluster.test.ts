// Done-when: back up a cluster under write load, restore into a NEW 3-node
// cluster, and every write acknowledged at or before the backup's revision is
// there, nothing after it.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bytes, text } from '@flotilla/kv';
import { IdentityMismatchError, openLevelStorage } from '@flotilla/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  restoreBackup,
  saveBackup,
  verifyBackup,
  DataDirNotEmptyError,
  BackupOptionsError,
  BackupCorruptError,
} from '../src/index.js';
import { Members, scan, waitFor } from './cluster-harness.js';
import { richKv, source, tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir('flotilla-restore-')));
afterAll(() => cleanup());

interface Ack {
  key: string;
  value: string;
  revision: number;
}

describe('backup under write load, restore into a new cluster', () => {
  it('keeps every write acknowledged at or before the backup revision and nothing after it', async () => {
    const old = new Members('prod', root);
    await old.startAll([1, 2, 3]);
    const leader = await old.waitLeader();
    const acks: Ack[] = [];
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let seq = 0; !stop; seq++) {
        const key = `w/${w}/${String(seq).padStart(6, '0')}`;
        const value = `value ${w}.${seq}`;
        try {
          const r = await leader.put({ key: bytes(key), value: bytes(value) });
          acks.push({ key, value, revision: r.header.revision });
        } catch {
          // Unknown outcome: such a key may be in the backup or not, checked below only by its revision.
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await waitFor(() => acks.length >= 400, 'writes before the backup');
    const ackedBefore = Math.max(...acks.map((a) => a.revision));
    const file = path.join(root, 'prod.fbk');
    const saved = await saveBackup(leader, file);
    const countAtSave = acks.length;
    await waitFor(() => acks.length >= countAtSave + 300, 'writes after the backup');
    stop = true;
    await Promise.all(writers);
    const R = saved.manifest.revision;
    expect(R).toBeGreaterThanOrEqual(ackedBefore);
    expect(acks.some((a) => a.revision > R)).toBe(true); // the load really went on past the backup
    expect((await verifyBackup(file)).ok).toBe(true);
    await old.closeAll();

    const fresh = new Members('prod-restored', root);
    // Member 1 seeded on its own, 2 and 3 together: the way the CLI (one member per call) and the API can do it.
    const restored = await restoreBackup(file, {
      members: [1, 2, 3],
      dataDirs: { 1: fresh.dataDir(1) },
      clusterId: 'prod-restored',
    });
    expect(restored).toMatchObject({
      clusterId: 'prod-restored',
      index: saved.manifest.appliedIndex,
    });
    await restoreBackup(file, {
      members: [1, 2, 3],
      dataDirs: new Map([
        [2, fresh.dataDir(2)],
        [3, fresh.dataDir(3)],
      ]),
      clusterId: 'prod-restored',
    });
    // The restored members belong to the new cluster: the old cluster id is refused.
    await expect(
      openLevelStorage({ dir: fresh.dataDir(1), clusterId: 'prod', nodeId: 1 }),
    ).rejects.toBeInstanceOf(IdentityMismatchError);

    await fresh.startAll([1, 2, 3]);
    const newLeader = await fresh.waitLeader();
    const present = new Map(
      (await scan(newLeader, 'w/', 'linearizable')).map((kv) => [text(kv.key), kv] as const),
    );
    for (const a of acks) {
      const kv = present.get(a.key);
      if (a.revision <= R) {
        expect(kv, `acknowledged at revision ${a.revision} ≤ ${R}: ${a.key}`).toBeDefined();
        expect(text(kv!.value)).toBe(a.value);
        expect(kv!.modRevision).toBe(a.revision);
      } else {
        expect(kv, `acknowledged at revision ${a.revision} > ${R}: ${a.key}`).toBeUndefined();
      }
    }
    for (const kv of present.values()) expect(kv.modRevision).toBeLessThanOrEqual(R);
    expect(present.size).toBe(saved.manifest.keyCount);

    // The new cluster takes writes, on from the backup's revision, and every member converges.
    const r = await newLeader.put({ key: bytes('after-restore'), value: bytes('yes') });
    expect(r.header.revision).toBe(R + 1);
    await fresh.waitConverged();
    for (const n of fresh.nodes.values()) {
      expect(
        (await n.range({ key: bytes('after-restore') }, { consistency: 'serializable' })).kvs,
      ).toHaveLength(1);
      expect(n.clusterId).toBe('prod-restored');
    }
    await fresh.closeAll();
  });
});

describe('restore refuses to do harm', () => {
  it('never overwrites a non-empty data directory unless forced', async () => {
    const kv = await richKv(50);
    const file = path.join(root, 'small.fbk');
    await saveBackup(source(kv), file);
    await kv.close();
    const dirs = { 1: path.join(root, 'guard-1') };
    await restoreBackup(file, { members: [1], dataDirs: dirs, clusterId: 'guard' });
    await expect(
      restoreBackup(file, { members: [1], dataDirs: dirs, clusterId: 'guard' }),
    ).rejects.toBeInstanceOf(DataDirNotEmptyError);
    const again = await restoreBackup(file, {
      members: [1],
      dataDirs: dirs,
      clusterId: 'guard-2',
      force: true,
    });
    expect(again.clusterId).toBe('guard-2');
    await expect(
      openLevelStorage({ dir: dirs[1], clusterId: 'guard-2', nodeId: 1 }).then((s) => s.close()),
    ).resolves.toBeUndefined();
  });

  it('refuses the old cluster id, and a bad file before touching any directory', async () => {
    const kv = await richKv(20);
    const file = path.join(root, 'tiny.fbk');
    await saveBackup(source(kv), file);
    await kv.close();
    await expect(
      restoreBackup(file, {
        members: [1],
        dataDirs: { 1: path.join(root, 'x1') },
        clusterId: 'test-cluster',
      }),
    ).rejects.toBeInstanceOf(BackupOptionsError);
    await expect(
      restoreBackup(file, { members: [1], dataDirs: { 2: path.join(root, 'x2') } }),
    ).rejects.toThrow(/not among the members/);
    // Without a cluster id, every call on the same file picks the same new one.
    const a = await restoreBackup(file, {
      members: [1, 2],
      dataDirs: { 1: path.join(root, 'same-1') },
    });
    const b = await restoreBackup(file, {
      members: [1, 2],
      dataDirs: { 2: path.join(root, 'same-2') },
    });
    expect(a.clusterId).toBe(b.clusterId);
    expect(a.clusterId).toMatch(/^test-cluster-restored-[0-9a-f]{8}$/);
    const data = new Uint8Array(await readFile(file));
    data[40]! ^= 0x10;
    const bad = path.join(root, 'tiny-bad.fbk');
    await writeFile(bad, data);
    const forced = path.join(root, 'forced-dir');
    await restoreBackup(file, { members: [1], dataDirs: { 1: forced }, clusterId: 'keep-me' });
    const before = await readdir(forced);
    await expect(
      restoreBackup(bad, {
        members: [1],
        dataDirs: { 1: forced },
        clusterId: 'other',
        force: true,
      }),
    ).rejects.toBeInstanceOf(BackupCorruptError);
    expect(await readdir(forced)).toEqual(before);
  });
});
