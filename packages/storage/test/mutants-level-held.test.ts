// Written for mutants that survived `pnpm mutation level` (docs/testing.md,
// "Mutation testing"): which reads wait for a write in flight. A spy on the
// storage's LevelDB batch holds one write after LevelDB has applied it and
// before the store moves its bounds, so a read issued then sees the new
// records with the old bounds every time (deterministic; no sleeps).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LogCompactedError,
  CorruptionError,
  EntryUnavailableError,
  type LevelStorage,
  openLevelStorage,
} from '../src/index.js';
import { keyIndex } from '../src/keys.js';
import { levelsOf } from '../src/level/level-db.js';
import { entries, meta, tempDir } from './helpers.js';
import { type Held, holdNextWrite } from './level-spy.js';

const TURNS_MAX = 10_000;
/** Turns given a read that must wait: one that does not settles within a few. */
const TURNS_WAITING = 100;

/** Whether `p` settles within a bounded number of event-loop turns (each long enough for a LevelDB read). */
async function settles(s: LevelStorage, p: Promise<unknown>, turns = TURNS_MAX): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  const { log } = levelsOf(s.db);
  for (let i = 0; i < turns && !settled; i++) {
    await log.get(new Uint8Array(8)); // a round trip through LevelDB's worker thread
    await new Promise((r) => setImmediate(r));
  }
  return settled;
}

/** `p`, marked handled: reads issued during the hold are checked only after it. */
function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function storedIndexes(s: LevelStorage): Promise<number[]> {
  const out: number[] = [];
  for await (const key of levelsOf(s.db).log.keys()) out.push(keyIndex(key));
  return out;
}

describe('LevelStorage reads while a write is held after LevelDB applied it', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s: LevelStorage;
  /** Released after each test, so a failed check does not leave close() waiting for the held write. */
  let held: Held | undefined;
  beforeEach(async () => {
    tmp = await tempDir('level-held');
    s = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    await s.log.append(entries(1, 50, 1));
  });
  afterEach(async () => {
    held?.release();
    held = undefined;
    await s.close();
    await tmp.remove();
  });

  it('truncateSuffix: reads of the removed entries wait, reads below them do not', async () => {
    held = holdNextWrite(s);
    const write = s.log.truncateSuffix(31);
    await held.applied;
    const below = s.log.term(30);
    const head = s.log.entries(25, 31);
    const first = later(s.log.term(31));
    const second = later(s.log.term(32));
    const span = later(s.log.entries(25, 41));
    const loaded = later(s.load());
    expect(await settles(s, below)).toBe(true);
    expect(await settles(s, head)).toBe(true);
    expect(await below).toBe(1);
    expect((await head).map((e) => e.index)).toEqual([25, 26, 27, 28, 29, 30]);
    expect(await settles(s, first, TURNS_WAITING)).toBe(false);
    held.release();
    await write;
    for (const read of [first, second, span]) {
      await expect(read).rejects.toBeInstanceOf(EntryUnavailableError);
      await expect(read).rejects.not.toBeInstanceOf(CorruptionError);
    }
    expect(s.log.lastIndex()).toBe(30);
    expect(await loaded).toMatchObject({
      firstIndex: 1,
      lastIndex: 30,
      entries: entries(1, 30, 1),
    });
    expect(await storedIndexes(s)).toEqual(entries(1, 30, 1).map((e) => e.index));
  });

  it('snapshot install: reads above the snapshot wait; those at or below it read the old log', async () => {
    held = holdNextWrite(s);
    const write = s.persist({ snapshotMeta: meta(30, 3) });
    await held.applied;
    const at = s.log.term(30);
    const below = s.log.entries(1, 31);
    const above = later(s.log.term(31));
    const tail = later(s.log.term(50));
    expect(await settles(s, at)).toBe(true);
    expect(await settles(s, below)).toBe(true);
    expect(await at).toBe(1);
    expect(await below).toEqual(entries(1, 30, 1));
    expect(await settles(s, above, TURNS_WAITING)).toBe(false);
    held.release();
    await write;
    for (const read of [above, tail]) {
      await expect(read).rejects.toBeInstanceOf(EntryUnavailableError);
      await expect(read).rejects.not.toBeInstanceOf(CorruptionError);
    }
    expect(await s.log.term(30)).toBe(3);
    await expect(s.log.term(29)).rejects.toBeInstanceOf(LogCompactedError);
    expect(s.log.firstIndex()).toBe(31);
    expect(s.log.lastIndex()).toBe(30);
    expect(await storedIndexes(s)).toEqual([]);
  });

  it('a compaction removes the entries it covers from LevelDB, and no others', async () => {
    await s.log.compact(meta(20, 1));
    expect(await storedIndexes(s)).toEqual(entries(21, 50, 1).map((e) => e.index));
    await s.log.append(entries(51, 51, 1)); // a write that drops no prefix leaves the rest alone
    expect(await storedIndexes(s)).toEqual(entries(21, 51, 1).map((e) => e.index));
  });
});
