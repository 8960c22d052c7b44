// The on-disk layout of every value this package writes to LevelDB:
//   [u8 record version][u32 crc32 of body, big-endian][msgpack body]
// The checksum turns a torn or bit-flipped value into a CorruptionError
// instead of silently wrong data.
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { CorruptionError } from './errors.js';

export const RECORD_VERSION = 1;
export const RECORD_HEADER_BYTES = 5;

// Plain maps, no record extension: the bytes must decode without shared
// structure state, in another process, after a restart.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeBody(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function encodeRecord(value: unknown): Uint8Array {
  return frameBody(encodeBody(value));
}

export function frameBody(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + body.byteLength);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(0, RECORD_VERSION);
  view.setUint32(1, crc32(body));
  out.set(body, RECORD_HEADER_BYTES);
  return out;
}

/** Checks and decodes a record; any damage becomes a CorruptionError naming `where`. */
export function decodeRecord(bytes: Uint8Array, where: string, index?: number): unknown {
  if (bytes.byteLength < RECORD_HEADER_BYTES) {
    throw new CorruptionError(
      where,
      `record is ${bytes.byteLength} bytes, shorter than its header`,
      index,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== RECORD_VERSION) {
    throw new CorruptionError(where, `unknown record version ${version}`, index);
  }
  const body = bytes.subarray(RECORD_HEADER_BYTES);
  const expected = view.getUint32(1);
  const actual = crc32(body);
  if (expected !== actual) {
    throw new CorruptionError(
      where,
      `checksum mismatch (stored ${hex(expected)}, computed ${hex(actual)})`,
      index,
    );
  }
  return decodeBody(body, where, index);
}

/** Decodes a msgpack body whose integrity the caller has already checked. */
export function decodeBody(body: Uint8Array, where: string, index?: number): unknown {
  try {
    return packr.unpack(body);
  } catch (err) {
    throw new CorruptionError(where, `undecodable body (${(err as Error).message})`, index);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
