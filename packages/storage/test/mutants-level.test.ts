// Tests written for mutants that survived `pnpm mutation level` (docs/testing.md,
// "Mutation testing"): reads racing a truncating write. The test-only slow
// disk (fsyncDelayMs) holds a synced write in flight after LevelDB has applied
// it and before the store's bounds move, so the race is hit every time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CorruptionError,
  EntryUnavailableError,
  type LevelStorage,
  openLevelStorage,
} from '../src/index.js';
import { levelsOf } from '../src/level/level-db.js';
import { entries, entry, tempDir } from './helpers.js';

const FSYNC_DELAY_MS = 300;
const POLLS_MAX = 10_000;

describe('LevelStorage reads during an in-flight truncation', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s: LevelStorage;
  beforeEach(async () => {
    tmp = await tempDir('level-mutants');
    s = await openLevelStorage({
      dir: tmp.dir,
      clusterId: 'c1',
      nodeId: 1,
      fsyncDelayMs: FSYNC_DELAY_MS,
    });
  });
  afterEach(async () => {
    await s.close();
    await tmp.remove();
  });

  /** Polls (bounded, no sleeps) until LevelDB holds no entry at `index`: the batch is applied. */
  async function untilDeleted(index: number): Promise<void> {
    const { log, logKey } = levelsOf(s.db);
    for (let i = 0; i < POLLS_MAX; i++) {
      if ((await log.get(logKey(index))) === undefined) return;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`entry ${index} still stored after ${POLLS_MAX} polls`);
  }

  it('wait for the write instead of reading a half-moved log (never a "hole" CorruptionError)', async () => {
    await s.log.append(entries(1, 50, 1));
    // Replace 20..50 (term 1) by 20..30 (term 2); 31..50 disappear.
    const write = s.log.append(entries(20, 30, 2), { sync: true });
    await untilDeleted(45);
    const term45 = s.log.term(45);
    const tail = s.log.entries(20, 46);
    const term20 = s.log.term(20); // the first replaced index
    const term25 = s.log.term(25);
    const head = s.log.entries(1, 20); // below the truncation: answered without waiting
    await write;
    await expect(term45).rejects.toBeInstanceOf(EntryUnavailableError);
    await expect(tail).rejects.toBeInstanceOf(EntryUnavailableError);
    await expect(term45).rejects.not.toBeInstanceOf(CorruptionError);
    expect(await term20).toBe(2);
    expect(await term25).toBe(2);
    expect(await head).toEqual(entries(1, 19, 1));
    expect(await s.log.entries(29, 31)).toEqual([entry(29, 2), entry(30, 2)]);
  });
});
