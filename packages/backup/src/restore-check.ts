// The restore test proper: restore a backup's content into a KV state
// machine, then recompute from the restored store what the manifest claims.
import { KvStateMachine, SnapshotCorruptError } from '@flotilla/kv';
import { snapshotFrameBytesMax, unframeChunks } from '@flotilla/node';
import { digestChunks } from './content-hash.js';
import { BackupCorruptError, BackupFileError, BackupMismatchError } from './errors.js';
import type { OpenedBackup } from './reader.js';
import { countKv } from './source.js';

/** Replaces kv's state with the backup's content (kv keeps its old state if the content is bad). */
export async function restoreContent(kv: KvStateMachine, backup: OpenedBackup): Promise<void> {
  const { file } = backup;
  try {
    await kv.restore(unframeChunks(backup.content(), snapshotFrameBytesMax(kv)));
  } catch (err) {
    if (err instanceof BackupFileError) throw err;
    if (err instanceof SnapshotCorruptError)
      throw new BackupCorruptError(file, `the KV content does not restore: ${err.message}`);
    throw err;
  }
}

/** Recomputes from kv's state what the manifest claims: index, revisions, key count, records and content hash. */
export async function checkAgainstManifest(
  kv: KvStateMachine,
  backup: OpenedBackup,
): Promise<void> {
  const { file, manifest: m } = backup;
  const same = (field: string, expected: number | string, actual: number | string): void => {
    if (expected !== actual) throw new BackupMismatchError(file, field, expected, actual);
  };
  same('appliedIndex', m.appliedIndex, kv.appliedIndex);
  same('revision', m.revision, kv.revision);
  same('compactRevision', m.compactRevision, kv.compactRevision);
  same('keyCount', m.keyCount, await countKv(kv));
  const snap = await kv.snapshot();
  try {
    const digest = await digestChunks(snap.chunks);
    same('kvFormat', m.kvFormat, digest.header.kvFormat);
    same('recordCount', m.recordCount, digest.recordCount);
    same('contentHash', m.contentHash, digest.contentHash);
  } finally {
    await snap.close();
  }
}
