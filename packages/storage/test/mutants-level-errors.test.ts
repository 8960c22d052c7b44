// Written for mutants that survived `pnpm mutation level` (docs/testing.md,
// "Mutation testing"): the errors a LevelStorage gives must say what happened
// (the class, and in the message which call or which entry).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CorruptionError,
  type LevelStorage,
  openLevelStorage,
  StorageClosedError,
} from '../src/index.js';
import { levelsOf } from '../src/level/level-db.js';
import { entries, tempDir } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('LevelStorage errors', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s: LevelStorage;
  beforeEach(async () => {
    tmp = await tempDir('level-errors');
    s = await openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
    await s.log.append(entries(1, 5, 1));
  });
  afterEach(async () => {
    await s.close();
    await tmp.remove();
  });

  it('a missing entry is a "hole" CorruptionError naming its index, wherever it is read', async () => {
    const { logKey } = levelsOf(s.db);
    await s.db.del(logKey(3));
    await s.db.del(logKey(5));
    for (const [read, index] of [
      [() => s.log.entries(1, 6), 3],
      [() => s.log.entries(4, 6), 5],
      [() => s.log.term(3), 3],
      [() => s.load(), 3],
    ] as const) {
      const err = await rejection(read());
      expect(err).toBeInstanceOf(CorruptionError);
      expect(err).toMatchObject({
        where: `log entry ${index}`,
        reason: 'missing: the log has a hole',
        index,
      });
    }
  });

  it('a call on a closed handle names the call', async () => {
    await s.close();
    for (const [call, name] of [
      [() => s.load(), 'load'],
      [() => s.persist({ entries: entries(6, 6, 1) }), 'persist'],
      [() => s.log.term(1), 'term'],
    ] as const) {
      let err: unknown;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StorageClosedError);
      expect((err as Error).message).toBe(
        `${name} was called on a closed storage handle; open the storage again.`,
      );
    }
  });
});
