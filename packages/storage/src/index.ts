export type {
  LoadedState,
  LogStore,
  OpenedSnapshot,
  PersistBatch,
  SnapshotInfo,
  SnapshotSource,
  SnapshotStore,
  StableStore,
  Storage,
  WriteOptions,
} from './types.js';
export { EMPTY_CONF_STATE, EMPTY_HARD_STATE } from './types.js';
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
export {
  MemoryStorage,
  type CrashOptions,
  type MemoryStorageOptions,
  type WriteLatency,
} from './memory/memory-storage.js';
export { MemorySnapshotStore } from './snapshot/memory-snapshot-store.js';
export { FileSnapshotStore } from './snapshot/file-snapshot-store.js';
export { fsyncDir } from './snapshot/fs-sync.js';
export {
  openLevelStorage,
  FORMAT_UPGRADES,
  type OpenLevelStorageOptions,
} from './level/open-level.js';
export { LevelStorage } from './level/level-storage.js';
export { FORMAT_VERSION, type UpgradeStep } from './level/format.js';
export type { RootDb } from './level/level-db.js';
