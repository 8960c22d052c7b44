// A spy on the LevelDB batches a LevelStorage writes. Neither a process kill
// (the OS cache survives it) nor timing shows whether a write was synced or
// when the store saw it done; the batches the storage hands LevelDB do.
import type { LevelStorage, RootDb } from '../src/index.js';

export interface BatchWrite {
  /** The `sync` option the storage passed to LevelDB. */
  readonly sync: boolean | undefined;
  /** Operations in the batch. */
  readonly ops: number;
}

/**
 * Records every batch write of `s` from now on. `after`, if given, runs once
 * LevelDB has applied a write and before the storage sees the write done.
 */
export function spyBatches(s: LevelStorage, after?: () => Promise<void>): BatchWrite[] {
  const db = s.db;
  const batch = db.batch.bind(db) as () => ReturnType<RootDb['batch']>;
  const seen: BatchWrite[] = [];
  (db as { batch: unknown }).batch = (...args: unknown[]) => {
    if (args.length > 0) throw new Error('the storage writes chained batches only');
    const b = batch();
    const write = b.write.bind(b);
    b.write = (async (options?: { sync?: boolean }) => {
      seen.push({ sync: options?.sync, ops: b.length });
      await write(options ?? {});
      await after?.();
    }) as typeof b.write;
    return b;
  };
  return seen;
}

export interface Held {
  /** Resolves once LevelDB has applied the held write. */
  readonly applied: Promise<void>;
  /** Lets the held write return to the storage. */
  readonly release: () => void;
}

/** Holds the next batch write of `s` between LevelDB applying it and the storage seeing it done. */
export function holdNextWrite(s: LevelStorage): Held {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let markApplied!: () => void;
  const applied = new Promise<void>((r) => (markApplied = r));
  let first = true;
  spyBatches(s, async () => {
    if (!first) return;
    first = false;
    markApplied();
    await released;
  });
  return { applied, release };
}
