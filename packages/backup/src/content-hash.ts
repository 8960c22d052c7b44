// The logical content hash: SHA-256 over the KV records a snapshot carries
// (each key and value behind its length), not over the chunk bytes. Two
// snapshots of the same state hash the same however they were cut into
// chunks, so verify can recompute it from a restored store and compare.
//
// It reads kv's snapshot frames (msgpack arrays): a header
// ['flotilla-kv', format, appliedIndex, revision, compactRevision], data
// frames ['d', [key, value, ...]] and a trailer ['t', count, sha256].
import { createHash, type Hash } from 'node:crypto';
import { Unpackr } from 'msgpackr';
import { LiveKeyCounter } from './live-keys.js';

const KV_MAGIC = 'flotilla-kv';
const DOMAIN = 'flotilla-backup-content-v1\n';
const unpackr = new Unpackr({ useRecords: false });

export interface KvHeader {
  readonly kvFormat: number;
  readonly appliedIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
}

export interface ContentDigest {
  readonly header: KvHeader;
  readonly recordCount: number;
  /** Live keys at the snapshot's revision, counted from its change records. */
  readonly keyCount: number;
  readonly contentHash: string;
}

/** Feed kv snapshot chunks in order; `digest()` after the last. Throws a plain Error naming what does not parse. */
export class ContentHasher {
  private readonly hash: Hash = createHash('sha256').update(DOMAIN);
  private header: KvHeader | undefined;
  private liveKeys: LiveKeyCounter | undefined;
  private records = 0;
  private trailerSeen = false;

  update(chunk: Uint8Array): void {
    let frame: unknown;
    try {
      frame = unpackr.unpack(chunk);
    } catch {
      throw new Error('a KV snapshot chunk is not valid msgpack');
    }
    if (!Array.isArray(frame)) throw new Error('a KV snapshot chunk is not a frame');
    if (this.trailerSeen) throw new Error('KV snapshot data after its trailer');
    if (this.header === undefined) {
      this.header = parseHeader(frame);
      this.liveKeys = new LiveKeyCounter(this.header.compactRevision);
      return;
    }
    if (frame[0] === 'd' && Array.isArray(frame[1])) {
      const flat = frame[1] as unknown[];
      if (flat.length % 2 !== 0)
        throw new Error('a KV snapshot data frame has a key without a value');
      this.hash.update(lengthPrefixed(flat));
      for (let i = 0; i < flat.length; i += 2)
        this.liveKeys!.record(flat[i] as Uint8Array, flat[i + 1] as Uint8Array);
      this.records += flat.length / 2;
    } else if (frame[0] === 't') {
      if (frame[1] !== this.records)
        throw new Error(
          `the KV snapshot trailer counts ${String(frame[1])} records, the stream had ${this.records}`,
        );
      this.trailerSeen = true;
    } else {
      throw new Error('an unknown KV snapshot frame');
    }
  }

  digest(): ContentDigest {
    if (this.header === undefined || !this.trailerSeen)
      throw new Error('the KV snapshot has no header or no trailer');
    return {
      header: this.header,
      recordCount: this.records,
      keyCount: this.liveKeys!.count,
      contentHash: this.hash.digest('hex'),
    };
  }
}

/** Every part behind its u32 BE length, in one buffer: one hash update per frame instead of two per part. */
function lengthPrefixed(parts: readonly unknown[]): Uint8Array {
  let size = 0;
  for (const part of parts) {
    if (!(part instanceof Uint8Array)) throw new Error('a KV snapshot record is not bytes');
    size += 4 + part.byteLength;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const part of parts as readonly Uint8Array[]) {
    view.setUint32(at, part.byteLength);
    out.set(part, at + 4);
    at += 4 + part.byteLength;
  }
  return out;
}

function parseHeader(frame: unknown[]): KvHeader {
  const [magic, kvFormat, appliedIndex, revision, compactRevision] = frame;
  if (magic !== KV_MAGIC) throw new Error('the content does not start with a KV snapshot header');
  for (const n of [kvFormat, appliedIndex, revision, compactRevision]) {
    if (!Number.isSafeInteger(n)) throw new Error('the KV snapshot header holds a non-integer');
  }
  return {
    kvFormat: kvFormat as number,
    appliedIndex: appliedIndex as number,
    revision: revision as number,
    compactRevision: compactRevision as number,
  };
}

/** Hashes a whole kv snapshot stream (used on a restored store). */
export async function digestChunks(chunks: AsyncIterable<Uint8Array>): Promise<ContentDigest> {
  const hasher = new ContentHasher();
  for await (const chunk of chunks) hasher.update(chunk);
  return hasher.digest();
}
