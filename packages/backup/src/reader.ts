// Reading a backup file without trusting it: the preamble, the trailer and
// the manifest's CRC are checked on open; the content's SHA-256 as it streams
// (a mismatch fails the stream at its end, so a consumer such as kv's
// restore, which keeps the old state on failure, never commits it).
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import {
  BackupCorruptError,
  BackupFormatError,
  BackupTruncatedError,
  BackupUnreadableError,
  BackupVersionError,
} from './errors.js';
import {
  END_MAGIC,
  FORMAT_VERSION,
  MAGIC,
  MANIFEST_BYTES_MAX,
  manifestProblem,
  PREAMBLE_BYTES,
  startsWith,
  TRAILER_FIXED_BYTES,
  type BackupManifest,
} from './format.js';
import { backupEndBefore } from './etcd-trailer.js';

const READ_BYTES = 1024 * 1024;
/** Other files people may hand us by mistake, to say what they are. */
const KNOWN_FOREIGN: readonly [string, string][] = [
  ['FLSN', 'it is a Raft snapshot file from a data directory'],
  ['SQLite format 3', 'it is an SQLite database'],
];

export interface OpenedBackup {
  readonly file: string;
  readonly sizeBytes: number;
  readonly manifest: BackupManifest;
  /** The content (framed KV chunks) in pieces; throws BackupCorruptError at the end on a SHA-256 mismatch. */
  content(): AsyncIterable<Uint8Array>;
}

export async function openBackup(file: string): Promise<OpenedBackup> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new BackupUnreadableError(file, (err as Error).message);
  }
  try {
    const sizeBytes = (await fh.stat()).size;
    // A backup saved by `etcdctl snapshot save` from Flotilla's gRPC API ends in etcd's trailer (see etcd-trailer.ts).
    const manifest = await readManifest(
      fh,
      file,
      await backupEndBefore(fh, file, sizeBytes, readAt),
    );
    return { file, sizeBytes, manifest, content: () => readContent(file, manifest) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR')
      throw new BackupUnreadableError(file, 'it is a directory');
    throw err;
  } finally {
    await fh.close();
  }
}

async function readManifest(fh: FileHandle, file: string, size: number): Promise<BackupManifest> {
  const head = await readAt(fh, 0, Math.min(size, 64));
  if (!startsWith(head, MAGIC)) {
    if (size < MAGIC.byteLength && startsWith(MAGIC, head) && size > 0)
      throw new BackupTruncatedError(file, `only ${size} bytes`);
    throw new BackupFormatError(file, describeForeign(head, size));
  }
  if (size < PREAMBLE_BYTES + TRAILER_FIXED_BYTES)
    throw new BackupTruncatedError(file, `only ${size} bytes, shorter than an empty backup`);
  const version = new DataView(head.buffer, head.byteOffset).getUint32(MAGIC.byteLength);
  const fixed = await readAt(fh, size - TRAILER_FIXED_BYTES, TRAILER_FIXED_BYTES);
  const read = await tryTrailer(fh, file, size, fixed);
  if (version !== FORMAT_VERSION) {
    // A readable trailer that says this format means the version field itself was damaged.
    if (read.ok && read.manifest.formatVersion === FORMAT_VERSION)
      throw new BackupCorruptError(
        file,
        `the format version field reads ${version}, the manifest says ${FORMAT_VERSION}`,
      );
    throw new BackupVersionError(file, version, FORMAT_VERSION);
  }
  if (!read.ok) throw read.error;
  const m = read.manifest;
  if (m.formatVersion !== version)
    throw new BackupCorruptError(
      file,
      `the manifest says format ${m.formatVersion}, the preamble ${version}`,
    );
  const contentBytes = size - PREAMBLE_BYTES - read.manifestBytes - TRAILER_FIXED_BYTES;
  if (m.contentBytes !== contentBytes)
    throw new BackupCorruptError(
      file,
      `the manifest says ${m.contentBytes} content bytes, the file holds ${contentBytes}`,
    );
  return m;
}

type TrailerRead =
  | { ok: true; manifest: BackupManifest; manifestBytes: number }
  | { ok: false; error: Error };

async function tryTrailer(
  fh: FileHandle,
  file: string,
  size: number,
  fixed: Uint8Array,
): Promise<TrailerRead> {
  if (!startsWith(fixed.subarray(8), END_MAGIC)) {
    return {
      ok: false,
      error: new BackupTruncatedError(
        file,
        `it does not end with the backup end marker (${size} bytes): cut short, or damaged at its end`,
      ),
    };
  }
  const view = new DataView(fixed.buffer, fixed.byteOffset);
  const manifestBytes = view.getUint32(0);
  const crc = view.getUint32(4);
  if (
    manifestBytes > MANIFEST_BYTES_MAX ||
    manifestBytes > size - PREAMBLE_BYTES - TRAILER_FIXED_BYTES
  ) {
    return {
      ok: false,
      error: new BackupCorruptError(file, `the manifest length field reads ${manifestBytes} bytes`),
    };
  }
  const json = await readAt(fh, size - TRAILER_FIXED_BYTES - manifestBytes, manifestBytes);
  if (crc32(json) !== crc)
    return {
      ok: false,
      error: new BackupCorruptError(file, 'the manifest checksum does not match'),
    };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    return { ok: false, error: new BackupCorruptError(file, 'the manifest is not JSON') };
  }
  const problem = manifestProblem(value);
  if (problem !== undefined) return { ok: false, error: new BackupCorruptError(file, problem) };
  return { ok: true, manifest: value as BackupManifest, manifestBytes };
}

async function* readContent(file: string, manifest: BackupManifest): AsyncGenerator<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const sha = createHash('sha256');
    const end = PREAMBLE_BYTES + manifest.contentBytes;
    for (let at = PREAMBLE_BYTES; at < end; ) {
      const piece = await readAt(fh, at, Math.min(READ_BYTES, end - at));
      if (piece.byteLength === 0)
        throw new BackupTruncatedError(file, `the file shrank while it was read (at byte ${at})`);
      sha.update(piece);
      at += piece.byteLength;
      yield piece;
    }
    const actual = sha.digest('hex');
    if (actual !== manifest.contentSha256)
      throw new BackupCorruptError(
        file,
        `content SHA-256 is ${actual.slice(0, 16)}…, the manifest says ${manifest.contentSha256.slice(0, 16)}…`,
      );
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function describeForeign(head: Uint8Array, size: number): string {
  if (size === 0) return 'the file is empty';
  const text = new TextDecoder('latin1').decode(head);
  for (const [prefix, what] of KNOWN_FOREIGN) if (text.startsWith(prefix)) return what;
  const shown = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `it starts with bytes ${shown}, not the backup magic`;
}
