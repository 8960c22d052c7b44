// @flotilla/storage: the Raft log, hard state and snapshots. Storage is the
// interface the node writes through; LevelStorage (LevelDB) and MemoryStorage
// (a twin that models fsync and crashes) implement it.

// The interface.
export {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  type LoadedState,
  type LogStore,
  type OpenedSnapshot,
  type PersistBatch,
  type SnapshotInfo,
  type SnapshotSource,
  type SnapshotStore,
  type StableStore,
  type Storage,
  type WriteOptions,
} from './types.js';

// LevelDB on disk.
export { FORMAT_VERSION, type UpgradeStep } from './level/format.js';
export type { RootDb } from './level/level-db.js';
export { LevelStorage } from './level/level-storage.js';
export { openLevelStorage, type OpenLevelStorageOptions } from './level/open-level.js';
export { FileSnapshotStore } from './snapshot/file-snapshot-store.js';
export { fsyncDir } from './snapshot/fs-sync.js';

// In memory, for tests and simulations.
export {
  MemoryStorage,
  type CrashOptions,
  type MemoryStorageOptions,
  type WriteLatency,
} from './memory/memory-storage.js';
export { MemorySnapshotStore } from './snapshot/memory-snapshot-store.js';

// Errors.
export {
  LogCompactedError,
  CorruptionError,
  DirectoryLockedError,
  EntryUnavailableError,
  FormatVersionError,
  IdentityMismatchError,
  MissingDataDirError,
  StorageClosedError,
} from './errors.js';
export { StorageInvariantError } from './invariant.js';
