// LevelDB-specific behaviour: key order, reads racing writes, the test-only
// slow-disk option, and the state sublevel sharing the database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Entry } from '@flotilla/raft';
import { StorageInvariantError, type LevelStorage, openLevelStorage } from '../src/index.js';
import { indexKey, keyIndex } from '../src/keys.js';
import { entries, entry, tempDir } from './helpers.js';
import { spyBatches } from './level-spy.js';

describe('index keys', () => {
  it('round-trip and sort bytewise in index order', () => {
    const maxIndex = Number.MAX_SAFE_INTEGER;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: maxIndex }),
        fc.integer({ min: 0, max: maxIndex }),
        (a, b) => {
          expect(keyIndex(indexKey(a))).toBe(a);
          expect(Math.sign(Buffer.compare(indexKey(a), indexKey(b)))).toBe(Math.sign(a - b));
        },
      ),
    );
  });
});

describe('LevelStorage', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s: LevelStorage;
  beforeEach(async () => {
    tmp = await tempDir('level');
    s = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
  });
  afterEach(async () => {
    await s.close();
    await tmp.remove();
  });

  it('never shows a reader a half-applied truncation while the write is in flight', async () => {
    await s.log.append(entries(1, 50, 1));
    for (let round = 2; round < 40; round++) {
      const from = 20 + (round % 10);
      const end = 50 + (round % 7) * 3;
      // Unsynced, so LevelDB applies the batch on its worker thread while JS runs on: reads
      // issued meanwhile must each see the old log or the new one, whole.
      let done = false;
      const write = s.log
        .append(entries(from, end, round), { sync: false })
        .then(() => (done = true));
      const loads: Promise<Awaited<ReturnType<LevelStorage['load']>>>[] = [];
      const heads: Promise<Entry[]>[] = [];
      for (let tick = 0; tick < 50 && !done; tick++) {
        loads.push(s.load());
        heads.push(s.log.entries(1, from));
        await new Promise((r) => setImmediate(r));
      }
      await write;
      for (const l of await Promise.all(loads)) {
        expect(l.entries.map((e) => e.index)).toEqual(
          Array.from({ length: l.lastIndex }, (_, i) => i + 1),
        );
      }
      for (const h of await Promise.all(heads))
        expect(h.map((e) => e.index)).toEqual(Array.from({ length: from - 1 }, (_, i) => i + 1));
    }
    expect(s.log.lastIndex()).toBe(50 + (39 % 7) * 3);
    expect(await s.log.term(s.log.lastIndex())).toBe(39);
  });

  it('serialises writes issued without awaiting, in call order', async () => {
    const writes = [
      s.log.append(entries(1, 10, 1)),
      s.log.append(entries(5, 12, 2)),
      s.stable.setHardState({ term: 2, vote: 1, commit: 4 }),
      s.log.truncateSuffix(11),
    ];
    await Promise.all(writes);
    expect(s.log.lastIndex()).toBe(10);
    expect(await s.log.entries(4, 6)).toEqual([entry(4, 1), entry(5, 2)]);
  });

  it('waits fsyncDelayMs after each synced write (test-only slow disk), and not after unsynced ones', async () => {
    await s.close();
    s = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1, fsyncDelayMs: 60 });
    const t0 = performance.now();
    await s.log.append(entries(1, 1, 1), { sync: true });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    const t1 = performance.now();
    await s.log.append(entries(2, 2, 1), { sync: false });
    expect(performance.now() - t1).toBeLessThan(55);
  });

  it('hands LevelDB the requested sync flag on every write (a kill -9 cannot tell; a power cut can)', async () => {
    // The OS cache survives a process kill, so only the options LevelDB receives show whether a
    // "synced" write would reach the disk before resolving.
    const writes = spyBatches(s);
    const record = async (write: () => Promise<void>): Promise<(boolean | undefined)[]> => {
      writes.length = 0;
      await write();
      return writes.map((w) => w.sync);
    };
    expect(
      await record(() =>
        s.persist(
          { entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } },
          { sync: true },
        ),
      ),
    ).toEqual([true]);
    expect(await record(() => s.persist({ entries: entries(4, 5, 1) }, { sync: false }))).toEqual([
      false,
    ]);
    expect(await record(() => s.persist({ entries: entries(6, 6, 1) }))).toEqual([true]);
    expect(
      await record(() =>
        s.persist({ hardState: { term: 1, vote: 1, commit: 6 } }, { sync: false }),
      ),
    ).toEqual([false]);
    expect(await record(() => s.log.append(entries(7, 7, 1)))).toEqual([true]);
    expect(
      await record(() => s.stable.setHardState({ term: 2, vote: 0, commit: 6 }, { sync: true })),
    ).toEqual([true]);
  });

  it('gives the state machine a sublevel of the same database, written atomically with its own batches', async () => {
    const state = s.stateLevel<string, string>();
    await state.batch([
      { type: 'put', key: 'applied', value: '7' },
      { type: 'put', key: 'k', value: 'v' },
    ]);
    expect(await state.get('k')).toBe('v');
    await s.close();
    s = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    expect(await s.stateLevel<string, string>().get('applied')).toBe('7');
    // The state sublevel does not leak into the log.
    expect(s.log.lastIndex()).toBe(0);
  });

  it('refuses sublevel names the storage uses itself', () => {
    expect(() => s.sublevel('log')).toThrow(StorageInvariantError);
    expect(() => s.sublevel('meta')).toThrow(StorageInvariantError);
  });
});
