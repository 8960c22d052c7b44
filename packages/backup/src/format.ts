// The backup file, byte by byte:
//
//   preamble  "FLOTILLA-BACKUP\n" (16 bytes) | u32 BE format version
//   content   the KV snapshot of kv's snapshot(): each kv chunk behind a u32 BE
//             length (the node's snapshot framing, so the content doubles as a
//             Raft snapshot file's data)
//   trailer   manifest (UTF-8 JSON) | u32 BE manifest bytes | u32 BE CRC-32 of
//             the manifest | "FLBK-END" (8 bytes)
//
// The manifest is at the end because its checksums and counts are known only
// once the content is written: the file (and the HTTP stream) is produced in
// one pass. A file cut short loses its end marker, so truncation is seen
// before any content is trusted.
import { crc32 } from 'node:zlib';

export const FORMAT_VERSION = 1;
export const MAGIC = new TextEncoder().encode('FLOTILLA-BACKUP\n');
export const END_MAGIC = new TextEncoder().encode('FLBK-END');
export const PREAMBLE_BYTES = MAGIC.byteLength + 4;
export const TRAILER_FIXED_BYTES = 4 + 4 + END_MAGIC.byteLength;
/** A manifest is a few hundred bytes; anything near this is damage, not a manifest. */
export const MANIFEST_BYTES_MAX = 64 * 1024;

/** What a backup holds, written after its content. */
export interface BackupManifest {
  /** The backup file format (FORMAT_VERSION). */
  readonly formatVersion: number;
  /** The KV snapshot format inside (kv's snapshot header). */
  readonly kvFormat: number;
  readonly clusterId: string;
  /** The member the backup was taken from. */
  readonly memberId: number;
  /** The KV revision and compaction revision at the backup's point in time. */
  readonly revision: number;
  readonly compactRevision: number;
  /** The Raft index the KV state had applied: the backup's point in time. */
  readonly appliedIndex: number;
  /** Live keys at `revision`. */
  readonly keyCount: number;
  /** KV records in the content (history, leases, exactly-once table, meta). */
  readonly recordCount: number;
  /** Wall-clock time the snapshot was taken, ms since the epoch, and the same as ISO text. */
  readonly createdAtMs: number;
  readonly createdAt: string;
  readonly contentBytes: number;
  /** SHA-256 (hex) of the content bytes as stored. */
  readonly contentSha256: string;
  /** SHA-256 (hex) over the KV records themselves, independent of how they were chunked. */
  readonly contentHash: string;
}

export function encodePreamble(): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.byteLength, FORMAT_VERSION);
  return out;
}

export function encodeTrailer(manifest: BackupManifest): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const out = new Uint8Array(json.byteLength + TRAILER_FIXED_BYTES);
  out.set(json, 0);
  const view = new DataView(out.buffer);
  view.setUint32(json.byteLength, json.byteLength);
  view.setUint32(json.byteLength + 4, crc32(json));
  out.set(END_MAGIC, json.byteLength + 8);
  return out;
}

export function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.byteLength < prefix.byteLength) return false;
  for (let i = 0; i < prefix.byteLength; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

const NUMBER_FIELDS = [
  'formatVersion',
  'kvFormat',
  'memberId',
  'revision',
  'compactRevision',
  'appliedIndex',
  'keyCount',
  'recordCount',
  'createdAtMs',
  'contentBytes',
] as const;
const HEX_FIELDS = ['contentSha256', 'contentHash'] as const;

/** Checks the manifest's shape; returns what is wrong, or undefined. */
export function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'the manifest is not an object';
  const m = value as Record<string, unknown>;
  for (const f of NUMBER_FIELDS) {
    if (!Number.isSafeInteger(m[f]) || (m[f] as number) < 0)
      return `manifest field ${f} is not a non-negative integer`;
  }
  for (const f of HEX_FIELDS) {
    if (typeof m[f] !== 'string' || !/^[0-9a-f]{64}$/.test(m[f] as string))
      return `manifest field ${f} is not a SHA-256 in hex`;
  }
  if (typeof m['clusterId'] !== 'string' || m['clusterId'].length === 0)
    return 'manifest field clusterId is not a non-empty string';
  if (typeof m['createdAt'] !== 'string') return 'manifest field createdAt is not a string';
  return undefined;
}
