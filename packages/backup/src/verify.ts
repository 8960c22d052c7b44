// verifyBackup: the restore test. The backup is restored for real into a
// scratch store (LevelDB in a temporary directory by default), reopened, and
// its revision, key count and content hash recomputed and compared with the
// manifest. Bad files are a verdict, not an exception.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { KvStateMachine, type KvLevel, type KvLimits } from '@flotilla/kv';
import { MemoryLevel } from 'memory-level';
import { BackupFileError } from './errors.js';
import type { BackupManifest } from './format.js';
import { openBackup } from './reader.js';
import { checkAgainstManifest, restoreContent } from './restore-check.js';

export interface VerifyOptions {
  /** Where to restore: 'disk' (LevelDB under scratchDir, the default) or 'memory' (memory-level). */
  readonly scratch?: 'disk' | 'memory';
  /** Parent of the temporary scratch directory; default the OS temp dir. */
  readonly scratchDir?: string;
  /** KV limits of the cluster (only snapshotChunkBytes/requestBytesMax matter here). */
  readonly kvLimits?: Partial<KvLimits>;
}

export type BackupVerdict =
  | {
      readonly ok: true;
      readonly file: string;
      readonly manifest: BackupManifest;
      readonly durationMs: number;
      readonly line: string;
    }
  | {
      readonly ok: false;
      readonly file: string;
      readonly kind: BackupFileError['kind'];
      readonly reason: string;
      readonly durationMs: number;
      readonly line: string;
    };

export async function verifyBackup(
  file: string,
  options: VerifyOptions = {},
): Promise<BackupVerdict> {
  const started = performance.now();
  try {
    const backup = await openBackup(file);
    await withScratch(options, async (level) => {
      const limits = options.kvLimits ?? {};
      const kv = await KvStateMachine.open(level, { limits });
      try {
        await restoreContent(kv, backup);
      } finally {
        await kv.close();
      }
      // Checked after a reopen, which rebuilds everything from the stored records: what a node booting on it would see.
      const reopened = await KvStateMachine.open(level, { limits });
      try {
        await checkAgainstManifest(reopened, backup);
      } finally {
        await reopened.close();
      }
    });
    const m = backup.manifest;
    const durationMs = performance.now() - started;
    const line =
      `OK ${file}: cluster ${m.clusterId} member ${m.memberId}, revision ${m.revision}, applied index ${m.appliedIndex}, ` +
      `${m.keyCount} keys, taken ${m.createdAt}, content sha256 ${m.contentSha256.slice(0, 12)}…, restored and checked in ${Math.round(durationMs)} ms`;
    return { ok: true, file, manifest: m, durationMs, line };
  } catch (err) {
    if (!(err instanceof BackupFileError)) throw err;
    const durationMs = performance.now() - started;
    return {
      ok: false,
      file,
      kind: err.kind,
      reason: err.message,
      durationMs,
      line: `FAILED ${err.kind}: ${err.message}`,
    };
  }
}

async function withScratch(
  options: VerifyOptions,
  use: (level: KvLevel) => Promise<void>,
): Promise<void> {
  if (options.scratch === 'memory') {
    const level = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' });
    try {
      await use(level);
    } finally {
      await level.close();
    }
    return;
  }
  const dir = await mkdtemp(path.join(options.scratchDir ?? tmpdir(), 'flotilla-verify-'));
  try {
    const level = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
    try {
      await use(level);
    } finally {
      await level.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
