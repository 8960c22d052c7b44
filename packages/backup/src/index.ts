// @flotilla/backup: consistent backups of a running node, verified restores
// (the restore test), restore into a new cluster, and force-new-cluster
// disaster recovery.
export { saveBackup, writeBackupFile, type SavedBackup } from './save.js';
export { backupStream, type BackupStream, type BackupStreamOptions } from './stream.js';
export { verifyBackup, type BackupVerdict, type VerifyOptions } from './verify.js';
export { restoreBackup, type RestoreOptions, type RestoredCluster } from './restore.js';
export {
  forceNewCluster,
  type ForceNewClusterOptions,
  type ForcedCluster,
} from './force-new-cluster.js';
export {
  BackupScheduler,
  type BackupSchedulerOptions,
  type BackupSchedulerStatus,
  type BackupRun,
  type NewestVerified,
} from './scheduler.js';
export { openBackup, type OpenedBackup } from './reader.js';
export {
  etcdTrailerWriter,
  ETCD_TRAILER_ALIGN_BYTES,
  ETCD_TRAILER_HASH_BYTES,
} from './etcd-trailer.js';
export { nodeSource, kvSource, type BackupSource } from './source.js';
export { FORMAT_VERSION, type BackupManifest } from './format.js';
export {
  BackupFileError,
  BackupFormatError,
  BackupVersionError,
  BackupTruncatedError,
  BackupCorruptError,
  BackupMismatchError,
  BackupUnreadableError,
  DataDirNotEmptyError,
  BackupOptionsError,
  BackupSourceError,
  ForceNewClusterError,
} from './errors.js';
