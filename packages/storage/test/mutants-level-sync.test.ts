// Written for mutants that survived `pnpm mutation level` (docs/testing.md,
// "Mutation testing"): the sync flag of each write and the sync barrier. A
// kill -9 cannot tell a synced write from an unsynced one (the OS cache
// survives it), so these tests read the options the storage hands LevelDB.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LevelStorage, openLevelStorage } from '../src/index.js';
import { entries, meta, tempDir } from './helpers.js';
import { spyBatches } from './level-spy.js';

describe('LevelStorage sync flags', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s: LevelStorage;
  beforeEach(async () => {
    tmp = await tempDir('level-sync');
    s = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
  });
  afterEach(async () => {
    await s.close();
    await tmp.remove();
  });

  it('an empty synced write after unsynced ones makes LevelDB sync (one barrier op), and only then', async () => {
    const seen = spyBatches(s);
    await s.persist({}); // nothing unsynced yet: nothing to write
    expect(seen).toEqual([]);
    await s.log.append(entries(1, 3, 1), { sync: false });
    await s.persist({}, { sync: false }); // an unsynced caller asks for no barrier
    expect(seen).toEqual([{ sync: false, ops: 3 }]);
    await s.persist({});
    expect(seen).toEqual([
      { sync: false, ops: 3 },
      { sync: true, ops: 1 },
    ]);
    await s.persist({}, { sync: true }); // synced since: nothing to write
    await s.log.append(entries(4, 4, 1)); // a synced write clears the debt too
    await s.stable.setHardState({ term: 1, vote: 1, commit: 4 }, { sync: false });
    await s.log.append(entries(5, 5, 1), { sync: true });
    await s.persist({});
    expect(seen.slice(2)).toEqual([
      { sync: true, ops: 1 },
      { sync: false, ops: 1 },
      { sync: true, ops: 1 },
    ]);
  });

  it('compact and truncateSuffix sync unless told not to', async () => {
    await s.log.append(entries(1, 10, 1));
    const seen = spyBatches(s);
    await s.log.compact(meta(2, 1));
    await s.log.compact(meta(4, 1), { sync: false });
    await s.log.compact(meta(6, 1), { sync: true });
    await s.log.truncateSuffix(10);
    await s.log.truncateSuffix(9, { sync: false });
    expect(seen.map((w) => w.sync)).toEqual([true, false, true, true, false]);
    expect(s.log.firstIndex()).toBe(7);
    expect(s.log.lastIndex()).toBe(8);
  });
});
