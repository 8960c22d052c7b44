// Opening a data directory: identity, single-writer lock, format version.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  DirectoryLockedError,
  FORMAT_VERSION,
  FormatVersionError,
  IdentityMismatchError,
  StorageInvariantError,
  MissingDataDirError,
  openLevelStorage,
  StorageClosedError,
} from '../src/index.js';
import { upgradeFormat } from '../src/level/format.js';
import { createRoot, levelsOf, META_FORMAT } from '../src/level/level-db.js';
import { encodeRecord } from '../src/record.js';
import { runFixture } from './fixtures/child.js';
import { entries, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir('open');
});
afterEach(async () => {
  await tmp.remove();
});

describe('identity of a data directory', () => {
  it('reopens with the same cluster id and node id and keeps the data', async () => {
    const a = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    await a.log.append(entries(1, 3, 1));
    await a.close();
    const b = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    expect(b.log.lastIndex()).toBe(3);
    await b.close();
  });

  it('refuses a directory copied to another node id, saying which id and how to fix it', async () => {
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
    const err = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 2 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdentityMismatchError);
    const e = err as IdentityMismatchError;
    expect(e.field).toBe('nodeId');
    expect(e.stored).toEqual({ clusterId: 'c1', nodeId: 1 });
    expect(e.message).toContain('belongs to node 1 of cluster "c1"');
    expect(e.message).toContain('use a fresh --data-dir for a new member');
  });

  it('refuses a directory from another cluster, naming the cluster ids', async () => {
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
    const err = await openLevelStorage({ dir: tmp.dir, clusterId: 'c2', nodeId: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdentityMismatchError);
    expect((err as IdentityMismatchError).field).toBe('clusterId');
    expect((err as Error).message).toContain(
      'cluster id "c2" was given but the directory holds cluster "c1"',
    );
  });

  it('leaves the directory openable by its rightful owner after refusing an impostor', async () => {
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
    await expect(
      openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 3 }),
    ).rejects.toBeInstanceOf(IdentityMismatchError);
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
  });

  it('refuses bad ids before touching the disk', async () => {
    await expect(
      openLevelStorage({ dir: tmp.dir, clusterId: '', nodeId: 1 }),
    ).rejects.toBeInstanceOf(StorageInvariantError);
    await expect(
      openLevelStorage({ dir: tmp.dir, clusterId: 'c', nodeId: 0 }),
    ).rejects.toBeInstanceOf(StorageInvariantError);
  });

  it('with create: false, refuses a directory that holds no data', async () => {
    const dir = path.join(tmp.dir, 'absent');
    await expect(
      openLevelStorage({ dir, clusterId: 'c1', nodeId: 1, create: false }),
    ).rejects.toBeInstanceOf(MissingDataDirError);
  });
});

describe('single writer', () => {
  it('refuses a second open in the same process, and the first handle keeps working', async () => {
    const a = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    await expect(
      openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 }),
    ).rejects.toBeInstanceOf(DirectoryLockedError);
    await a.log.append(entries(1, 1, 1));
    // The refused attempt must not have released the cross-process lock.
    const other = await runFixture('try-open.ts', [tmp.dir], 20_000);
    expect(JSON.parse(other.stdout.trim())).toMatchObject({
      ok: false,
      name: 'DirectoryLockedError',
    });
    await a.close();
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
  });

  it('refuses a second process with a clear DirectoryLockedError', async () => {
    const a = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    const other = await runFixture('try-open.ts', [tmp.dir], 20_000);
    await a.close();
    const outcome = JSON.parse(other.stdout.trim()) as {
      ok: boolean;
      name: string;
      message: string;
    };
    expect(outcome).toMatchObject({ ok: false, name: 'DirectoryLockedError' });
    expect(outcome.message).toContain('Only one process may use a data directory at a time');
  });

  it('lets another process open the directory once it is closed', async () => {
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
    const other = await runFixture('try-open.ts', [tmp.dir], 20_000);
    expect(JSON.parse(other.stdout.trim())).toEqual({ ok: true });
  });

  it('refuses use of a closed handle', async () => {
    const a = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    await a.close();
    expect(() => a.log.lastIndex()).toThrow(StorageClosedError);
    await expect(a.load()).rejects.toBeInstanceOf(StorageClosedError);
  });
});

describe('format version', () => {
  async function writeFormat(version: number): Promise<void> {
    const root = createRoot(path.join(tmp.dir, 'db'), false);
    await root.open();
    await levelsOf(root).meta.put(META_FORMAT, encodeRecord({ version }));
    await root.close();
  }

  it('refuses a directory written in a newer format, saying to upgrade', async () => {
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
    await writeFormat(FORMAT_VERSION + 1);
    const err = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatVersionError);
    expect((err as Error).message).toContain('written by a newer Flotilla');
    // The refusal released the directory.
    await writeFormat(FORMAT_VERSION);
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
  });

  it('runs the upgrade hook on open for an older format and records the new version', async () => {
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 })).close();
    await writeFormat(FORMAT_VERSION - 1);
    const ran: number[] = [];
    const upgrades = new Map([[FORMAT_VERSION - 1, async (from: number) => void ran.push(from)]]);
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1, upgrades })).close();
    expect(ran).toEqual([FORMAT_VERSION - 1]);
    await (await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1, upgrades })).close();
    expect(ran).toHaveLength(1);
  });

  it('chains upgrade steps in order, recording each version', async () => {
    const recorded: number[] = [];
    const ran: number[] = [];
    const step = async (from: number): Promise<void> => void ran.push(from);
    await upgradeFormat({
      dir: 'd',
      stored: 1,
      current: 3,
      upgrades: new Map([
        [1, step],
        [2, step],
      ]),
      record: async (v) => void recorded.push(v),
    });
    expect(ran).toEqual([1, 2]);
    expect(recorded).toEqual([2, 3]);
  });

  it('refuses an older format with no upgrade step', async () => {
    await expect(
      upgradeFormat({
        dir: 'd',
        stored: 1,
        current: 3,
        upgrades: new Map([[1, async () => undefined]]),
        record: async () => undefined,
      }),
    ).rejects.toBeInstanceOf(FormatVersionError);
  });
});
