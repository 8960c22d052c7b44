import { describe, expect, it } from 'vitest';
import { MemoryLevel } from 'memory-level';
import { KvStateMachine } from '../src/index.js';
import { apply, put } from './helpers.js';

// Written for a mutant that survived `pnpm mutation kv` (docs/testing.md,
// "Mutation testing"): apply.ts turning ANY exception of a command into that
// command's error answer. Only KvErrors are answers; anything else (here a
// failing disk read) is local to this replica and must stop the apply, or one
// replica would record an answer the others never gave.

/** abstract-level's internal multi-get, which every sublevel read ends in (not in its public types). */
interface GetManyHook {
  _getMany(keys: string[], options: object): Promise<(string | undefined)[]>;
}

/** A MemoryLevel whose reads fail once `failReads()` is called: a disk that errors. */
function flakyLevel(): { db: MemoryLevel<string, string>; failReads: () => void } {
  const db = new MemoryLevel<string, string>();
  const hook = db as unknown as GetManyHook;
  const getMany = hook._getMany.bind(db);
  let failing = false;
  hook._getMany = async (keys, options) => {
    if (failing) throw new Error('EIO: disk read failed');
    return getMany(keys, options);
  };
  return { db, failReads: () => (failing = true) };
}

describe('an I/O error during apply', () => {
  it("rejects applyEntries instead of becoming the command's error answer", async () => {
    const { db, failReads } = flakyLevel();
    const sm = await KvStateMachine.open(db);
    await apply(sm, put('a', 'old'));
    failReads();
    await expect(apply(sm, put('a', 'new', { prevKv: true }))).rejects.toThrow(/EIO/);
  });
});
