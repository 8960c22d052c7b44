// etcd's snapshot files end in a SHA-256 of everything before it, and their
// size is 32 more than a multiple of 512 (bbolt pages); `etcdctl snapshot
// save` checks that size before it keeps a download. Flotilla's gRPC Snapshot
// (the server package) sends a backup followed by such a trailer (zero
// padding to a multiple of 512, then the hash), so etcdctl keeps the file;
// the reader looks through the trailer, checking the padding and the hash.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { BackupCorruptError } from './errors.js';
import { END_MAGIC, startsWith } from './format.js';

export const ETCD_TRAILER_HASH_BYTES = 32;
export const ETCD_TRAILER_ALIGN_BYTES = 512;

/** Hashes a stream as it goes; `end()` is the trailer to append after it. */
export function etcdTrailerWriter(): { update(bytes: Uint8Array): void; end(): Uint8Array } {
  const sha = createHash('sha256');
  let total = 0;
  return {
    update(bytes) {
      sha.update(bytes);
      total += bytes.byteLength;
    },
    end() {
      const padding = new Uint8Array(
        (ETCD_TRAILER_ALIGN_BYTES - (total % ETCD_TRAILER_ALIGN_BYTES)) % ETCD_TRAILER_ALIGN_BYTES,
      );
      sha.update(padding);
      const out = new Uint8Array(padding.byteLength + ETCD_TRAILER_HASH_BYTES);
      out.set(sha.digest(), padding.byteLength);
      return out;
    },
  };
}

type ReadAt = (fh: FileHandle, position: number, length: number) => Promise<Uint8Array>;

/**
 * Where the backup ends in a file of `size` bytes: `size` itself, or, for a
 * backup followed by etcd's trailer, the end of the backup before the padding.
 */
export async function backupEndBefore(
  fh: FileHandle,
  file: string,
  size: number,
  readAt: ReadAt,
): Promise<number> {
  const hashAt = size - ETCD_TRAILER_HASH_BYTES;
  if (
    size % ETCD_TRAILER_ALIGN_BYTES !== ETCD_TRAILER_HASH_BYTES ||
    hashAt < ETCD_TRAILER_ALIGN_BYTES
  )
    return size;
  if (startsWith(await readAt(fh, size - END_MAGIC.byteLength, END_MAGIC.byteLength), END_MAGIC))
    return size; // a plain backup of that size
  const from = Math.max(0, hashAt - (ETCD_TRAILER_ALIGN_BYTES - 1) - END_MAGIC.byteLength);
  const window = await readAt(fh, from, hashAt - from);
  let end = window.byteLength;
  while (end > 0 && window[end - 1] === 0) end--;
  if (
    end < END_MAGIC.byteLength ||
    !startsWith(window.subarray(end - END_MAGIC.byteLength, end), END_MAGIC) ||
    window.byteLength - end >= ETCD_TRAILER_ALIGN_BYTES
  ) {
    return size; // not a trailer after a backup: the reader reports what is wrong with the file
  }
  const sha = createHash('sha256');
  for (let at = 0; at < hashAt; ) {
    const piece = await readAt(fh, at, Math.min(1024 * 1024, hashAt - at));
    if (piece.byteLength === 0) break;
    sha.update(piece);
    at += piece.byteLength;
  }
  const expected = await readAt(fh, hashAt, ETCD_TRAILER_HASH_BYTES);
  if (!sha.digest().equals(expected))
    throw new BackupCorruptError(
      file,
      'its etcd snapshot trailer (the SHA-256 after the backup) does not match the bytes before it',
    );
  return from + end;
}
