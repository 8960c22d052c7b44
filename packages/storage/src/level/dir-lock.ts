// LevelDB's LOCK file keeps a second PROCESS out. Inside one process it is
// not enough: LevelDB refuses the second open, but closing that attempt's
// file descriptor drops the process's POSIX lock on LOCK (fcntl locks belong
// to the process, and any close releases them), so a third process could then
// open the directory. A process-wide registry stops the second open first.
import { DirectoryLockedError } from '../errors.js';

const openDirs = new Set<string>();

export function claimDir(dir: string): void {
  if (openDirs.has(dir))
    throw new DirectoryLockedError(dir, 'another handle in this process has it open');
  openDirs.add(dir);
}

export function releaseDir(dir: string): void {
  openDirs.delete(dir);
}

/** Maps classic-level's open failure to DirectoryLockedError when it is the LOCK. */
export function lockErrorOf(err: unknown, dir: string): DirectoryLockedError | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (e?.code !== 'LEVEL_LOCKED' && e?.cause?.code !== 'LEVEL_LOCKED') return undefined;
  const detail =
    typeof e.cause?.message === 'string' ? e.cause.message : 'the LevelDB LOCK is held';
  return new DirectoryLockedError(dir, `another process holds it: ${detail}`);
}
