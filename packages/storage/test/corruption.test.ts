// Damaged data on disk is detected and reported as CorruptionError naming
// what was damaged, never returned as data.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CorruptionError, openLevelStorage, type LevelStorage } from '../src/index.js';
import { indexKey } from '../src/keys.js';
import { createRoot, HARD_STATE, type Levels, levelsOf } from '../src/level/level-db.js';
import { entries, meta, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const open = (): Promise<LevelStorage> =>
  openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });

beforeEach(async () => {
  tmp = await tempDir('corrupt');
  const s = await open();
  await s.persist({ entries: entries(1, 5, 1, 64), hardState: { term: 1, vote: 1, commit: 3 } });
  await s.close();
});
afterEach(async () => {
  await tmp.remove();
});

/** Edits the database through a raw classic-level handle while the store is closed. */
async function raw(edit: (levels: Levels) => Promise<void>): Promise<void> {
  const root = createRoot(path.join(tmp.dir, 'db'), false);
  await root.open();
  try {
    await edit(levelsOf(root));
  } finally {
    await root.close();
  }
}

async function corruptEntry(
  index: number,
  damage: (value: Uint8Array) => Uint8Array,
): Promise<void> {
  await raw(async ({ log }) => {
    const value = await log.get(indexKey(index));
    if (value === undefined) throw new Error(`no entry ${index} to corrupt`);
    await log.put(indexKey(index), damage(Uint8Array.from(value)));
  });
}

function flipBit(at: number): (v: Uint8Array) => Uint8Array {
  return (v) => {
    const pos = at < 0 ? v.byteLength + at : at;
    v[pos]! ^= 0x10;
    return v;
  };
}

async function expectCorruption(p: Promise<unknown>, index?: number): Promise<CorruptionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptionError);
  if (index !== undefined) expect((err as CorruptionError).index).toBe(index);
  return err as CorruptionError;
}

describe('corrupt log records', () => {
  it('detects a bit flipped in an entry body, naming the index, on read and on load', async () => {
    await corruptEntry(3, flipBit(-2));
    const s = await open();
    try {
      const err = await expectCorruption(s.log.entries(1, 6), 3);
      expect(err.message).toContain('log entry 3');
      await expectCorruption(s.load(), 3);
      await expectCorruption(s.log.term(3), 3);
      // Entries before the damage still read correctly.
      expect((await s.log.entries(1, 3)).map((e) => e.index)).toEqual([1, 2]);
    } finally {
      await s.close();
    }
  });

  it('detects a flipped checksum byte', async () => {
    await corruptEntry(2, flipBit(2));
    const s = await open();
    await expectCorruption(s.log.entries(2, 3), 2).finally(() => s.close());
  });

  it('detects a truncated record', async () => {
    await corruptEntry(4, (v) => v.subarray(0, v.byteLength - 10));
    const s = await open();
    await expectCorruption(s.log.entries(4, 5), 4).finally(() => s.close());
  });

  it('detects a record cut inside its header', async () => {
    await corruptEntry(5, (v) => v.subarray(0, 3));
    const s = await open();
    await expectCorruption(s.log.term(5), 5).finally(() => s.close());
  });

  it('detects a valid record stored under the wrong index', async () => {
    await raw(async ({ log }) => {
      const two = await log.get(indexKey(2));
      await log.put(indexKey(4), two!);
    });
    const s = await open();
    await expectCorruption(s.log.entries(1, 6), 4).finally(() => s.close());
  });

  it('detects a hole in the log', async () => {
    await raw(async ({ log }) => log.del(indexKey(3)));
    const s = await open();
    try {
      await expectCorruption(s.load(), 3);
      await expectCorruption(s.log.term(3), 3);
    } finally {
      await s.close();
    }
  });
});

describe('corrupt metadata', () => {
  it('refuses to open with a damaged hard state', async () => {
    await raw(async ({ hard }) => {
      const v = Uint8Array.from((await hard.get(HARD_STATE))!);
      v[v.byteLength - 1]! ^= 1;
      await hard.put(HARD_STATE, v);
    });
    const err = await expectCorruption(open());
    expect(err.where).toBe('hard state');
    // A refused open releases the directory lock.
    await expectCorruption(open());
  });
});

describe('corrupt snapshot files', () => {
  const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 13) & 0xff);

  async function snapshotFile(): Promise<string> {
    const s = await open();
    await s.snapshots.create(meta(5, 1), bytes);
    await s.close();
    const dir = path.join(tmp.dir, 'snapshots');
    const names = (await readdir(dir)).filter((n) => n.endsWith('.snap'));
    return path.join(dir, names[0]!);
  }

  async function openLatestOf(): Promise<unknown> {
    const s = await open();
    try {
      return await s.snapshots.openLatest();
    } finally {
      await s.close();
    }
  }

  it('detects a truncated snapshot on open', async () => {
    const file = await snapshotFile();
    await truncate(file, 50_000);
    const err = await expectCorruption(openLatestOf());
    expect(err.message).toContain('truncated');
  });

  it('detects a bit flip in the snapshot data on open', async () => {
    const file = await snapshotFile();
    const content = await readFile(file);
    content[content.byteLength - 1000]! ^= 0x01;
    await writeFile(file, content);
    const err = await expectCorruption(openLatestOf());
    expect(err.message).toContain('data checksum mismatch');
  });

  it('detects a bit flip in the snapshot header', async () => {
    const file = await snapshotFile();
    const content = await readFile(file);
    content[12]! ^= 0x01;
    await writeFile(file, content);
    await expectCorruption(openLatestOf());
  });

  it('removes temporaries left by a crash in the middle of create', async () => {
    const file = await snapshotFile();
    const stray = path.join(
      path.dirname(file),
      '.tmp-snap-0000000000000009-0000000000000001.snap-1-0',
    );
    await writeFile(stray, 'partial');
    const s = await open();
    try {
      expect((await readdir(path.dirname(file))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      expect((await s.snapshots.openLatest())?.meta.index).toBe(5);
    } finally {
      await s.close();
    }
  });
});
