// saveBackup: the backup stream of a node (or KV source) written to a file
// durably (fs-util's temporary file → fsync → rename → fsync dir).
import type { FlotillaNode } from '@flotilla/node';
import type { BackupManifest } from './format.js';
import { writeFileAtomic } from './fs-util.js';
import type { BackupSource } from './source.js';
import { backupStream, type BackupStreamOptions } from './stream.js';

export interface SavedBackup {
  readonly file: string;
  readonly bytes: number;
  readonly manifest: BackupManifest;
  readonly durationMs: number;
}

/** Takes a consistent backup of `from` (writes keep going meanwhile) into `file`. */
export async function saveBackup(
  from: FlotillaNode | BackupSource,
  file: string,
  options: BackupStreamOptions = {},
): Promise<SavedBackup> {
  const started = performance.now();
  const stream = backupStream(from, options);
  const bytes = await writeFileAtomic(file, stream.chunks);
  const manifest = await stream.manifest;
  return { file, bytes, manifest, durationMs: performance.now() - started };
}

/**
 * Writes backup bytes that come from elsewhere (an HTTP download of
 * /v3/maintenance/snapshot) to `file` durably. Check the result with
 * verifyBackup: the bytes are not trusted here.
 */
export function writeBackupFile(file: string, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  return writeFileAtomic(file, chunks);
}
