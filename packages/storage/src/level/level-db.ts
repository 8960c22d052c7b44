// The one LevelDB database of a data directory and its sublevels. Log, hard
// state and metadata live in separate sublevels of ONE database so that a
// single synced batch can write to all of them atomically.
import type { AbstractSublevel, AbstractSublevelOptions } from 'abstract-level';
import { ClassicLevel } from 'classic-level';
import { INDEX_KEY_BYTES, indexKey } from '../keys.js';

export type RootDb = ClassicLevel<Uint8Array, Uint8Array>;
export type Sub<K> = AbstractSublevel<RootDb, string | Buffer | Uint8Array, K, Uint8Array>;

export interface Levels {
  readonly root: RootDb;
  /**
   * The root-database key of log entry `index` (the log sublevel's prefix +
   * the 8-byte index). Batches put these on the root directly: going through
   * the `sublevel` option costs several microseconds per entry, which is most
   * of a large batch's CPU time.
   */
  readonly logKey: (index: number) => Uint8Array;
  /** Key: 8-byte big-endian index. Value: checksummed entry record. */
  readonly log: Sub<Uint8Array>;
  /** Key 'hardState'. */
  readonly hard: Sub<string>;
  /** Keys 'format', 'identity', 'snapshotMeta'. */
  readonly meta: Sub<string>;
}

export const META_FORMAT = 'format';
export const META_IDENTITY = 'identity';
export const META_SNAPSHOT = 'snapshotMeta';
/** Never stored: deleting it gives a synced write something to write. */
export const META_SYNC_BARRIER = 'syncBarrier';
export const HARD_STATE = 'hardState';
/** Sublevel names used by this package; `stateLevel()`/`sublevel()` may not reuse them. */
export const RESERVED_SUBLEVELS: ReadonlySet<string> = new Set(['log', 'hard', 'meta']);

export function createRoot(location: string, createIfMissing: boolean): RootDb {
  return new ClassicLevel<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    createIfMissing,
  });
}

export function levelsOf(root: RootDb): Levels {
  const view: AbstractSublevelOptions<Uint8Array, Uint8Array> = {
    keyEncoding: 'view',
    valueEncoding: 'view',
  };
  const named: AbstractSublevelOptions<string, Uint8Array> = {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
  };
  const log = root.sublevel<Uint8Array, Uint8Array>('log', view);
  const prefix = new TextEncoder().encode(log.prefix);
  const logKey = (index: number): Uint8Array => {
    const key = new Uint8Array(prefix.byteLength + INDEX_KEY_BYTES);
    key.set(prefix, 0);
    key.set(indexKey(index), prefix.byteLength);
    return key;
  };
  return {
    root,
    logKey,
    log,
    hard: root.sublevel<string, Uint8Array>('hard', named),
    meta: root.sublevel<string, Uint8Array>('meta', named),
  };
}
