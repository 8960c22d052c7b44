// The snapshot file layout. Every field the reader trusts is covered by a checksum:
//   [4  magic "FLSN"][u8 format version][u32 metaBytes][meta: msgpack SnapshotMeta]
//   [u32 dataBytes high][u32 dataBytes low][u32 dataCrc][u32 headerCrc]  [data …]
// headerCrc covers everything before it. dataBytes and dataCrc are known only
// after the data is streamed, so the writer fills them in last (see file-snapshot-store.ts).
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { SnapshotMeta } from '@flotilla/raft';
import { isSnapshotMeta } from '../codec.js';
import { CorruptionError } from '../errors.js';
import { decodeBody, encodeBody } from '../record.js';

export const SNAPSHOT_FILE_VERSION = 1;
const MAGIC = Uint8Array.from([0x46, 0x4c, 0x53, 0x4e]); // "FLSN"
const PREFIX_BYTES = 9;
const SUFFIX_BYTES = 16;
/** A snapshot's meta is a few numbers and id lists; anything larger is damage. */
const META_BYTES_MAX = 1 << 20;
export const SNAPSHOT_CHUNK_BYTES = 64 * 1024;

export interface SnapshotHeader {
  readonly meta: SnapshotMeta;
  readonly headerBytes: number;
  readonly dataBytes: number;
  readonly dataCrc: number;
}

/** The header with dataBytes and dataCrc still unknown; `finishHeader` fills them in. */
export function startHeader(meta: SnapshotMeta): Uint8Array {
  const metaBody = encodeBody(meta);
  const header = new Uint8Array(PREFIX_BYTES + metaBody.byteLength + SUFFIX_BYTES);
  header.set(MAGIC, 0);
  const view = new DataView(header.buffer);
  view.setUint8(4, SNAPSHOT_FILE_VERSION);
  view.setUint32(5, metaBody.byteLength);
  header.set(metaBody, PREFIX_BYTES);
  return header;
}

export function finishHeader(header: Uint8Array, dataBytes: number, dataCrc: number): void {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const at = header.byteLength - SUFFIX_BYTES;
  view.setUint32(at, Math.floor(dataBytes / 2 ** 32));
  view.setUint32(at + 4, dataBytes >>> 0);
  view.setUint32(at + 8, dataCrc);
  view.setUint32(at + 12, crc32(header.subarray(0, at + 12)));
}

/** Reads and checks the header; `fileBytes` is the file's size, to catch truncation. */
export async function readHeader(
  fh: FileHandle,
  fileBytes: number,
  where: string,
): Promise<SnapshotHeader> {
  const prefix = await readExactly(fh, 0, PREFIX_BYTES, where);
  const pview = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (!MAGIC.every((b, i) => prefix[i] === b))
    throw new CorruptionError(where, 'not a snapshot file (bad magic)');
  const version = pview.getUint8(4);
  if (version !== SNAPSHOT_FILE_VERSION)
    throw new CorruptionError(where, `unknown snapshot file version ${version}`);
  const metaBytes = pview.getUint32(5);
  if (metaBytes > META_BYTES_MAX)
    throw new CorruptionError(where, `meta length ${metaBytes} exceeds ${META_BYTES_MAX}`);
  const headerBytes = PREFIX_BYTES + metaBytes + SUFFIX_BYTES;
  const header = new Uint8Array(headerBytes);
  header.set(prefix, 0);
  header.set(await readExactly(fh, PREFIX_BYTES, metaBytes + SUFFIX_BYTES, where), PREFIX_BYTES);
  const view = new DataView(header.buffer);
  const at = headerBytes - SUFFIX_BYTES;
  if (crc32(header.subarray(0, at + 12)) !== view.getUint32(at + 12)) {
    throw new CorruptionError(where, 'header checksum mismatch');
  }
  const meta = decodeMeta(header.subarray(PREFIX_BYTES, at), where);
  const dataBytes = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
  if (fileBytes !== headerBytes + dataBytes) {
    throw new CorruptionError(
      where,
      `file is ${fileBytes} bytes, header says ${headerBytes + dataBytes} (truncated or extended)`,
    );
  }
  return { meta, headerBytes, dataBytes, dataCrc: view.getUint32(at + 8) };
}

/** Streams the data section, checking its checksum once the last byte is read. */
export async function* readData(
  fh: FileHandle,
  header: SnapshotHeader,
  where: string,
): AsyncGenerator<Uint8Array> {
  let crc = 0;
  let at = 0;
  while (at < header.dataBytes) {
    const want = Math.min(SNAPSHOT_CHUNK_BYTES, header.dataBytes - at);
    const chunk = await readExactly(fh, header.headerBytes + at, want, where);
    crc = crc32(chunk, crc);
    at += want;
    yield chunk;
  }
  if (crc !== header.dataCrc) throw new CorruptionError(where, 'data checksum mismatch');
}

async function readExactly(
  fh: FileHandle,
  position: number,
  length: number,
  where: string,
): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0)
      throw new CorruptionError(
        where,
        `file ends at byte ${position + got}, expected ${position + length}`,
      );
    got += bytesRead;
  }
  return buf;
}

function decodeMeta(body: Uint8Array, where: string): SnapshotMeta {
  // The header checksum already covers the meta, so it has no record framing of its own.
  const value = decodeBody(body, where);
  if (!isSnapshotMeta(value))
    throw new CorruptionError(where, 'header does not hold snapshot metadata');
  return value;
}
