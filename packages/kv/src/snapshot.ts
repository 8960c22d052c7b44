// Snapshot streams. A snapshot is every entry of one generation, read through
// a single LevelDB iterator (one implicit snapshot, so one applied index even
// while applies continue), framed as msgpack chunks:
//
//   ['flotilla-kv', FORMAT, appliedIndex, revision, compactRevision]  header
//   ['d', [key, value, key, value, ...]]                               data, ≈ snapshotChunkBytes each
//   ['t', entryCount, sha256 of every data chunk]                      trailer
//
// Deterministic: the same state gives the same bytes (sorted keys, no
// timestamps), so replicas can compare snapshots byte for byte.

import { createHash, type Hash } from 'node:crypto';
import { InvalidRequestError } from './errors.js';
import { decodeMeta, FORMAT, META_KEY, packr, type Meta } from './layout.js';
import type { GenLevel } from './store.js';
import { bytesEqual, plain } from './bytes.js';

const MAGIC = 'flotilla-kv';

export interface KvSnapshot extends Meta {
  chunks: AsyncIterable<Uint8Array>;
  /** Releases the underlying iterator if the chunks are not consumed to the end. */
  close(): Promise<void>;
}

export class SnapshotCorruptError extends InvalidRequestError {
  static of(what: string): SnapshotCorruptError {
    return new SnapshotCorruptError(
      `snapshot stream is corrupt or truncated: ${what}; fetch the snapshot again`,
    );
  }
}

export async function openSnapshot(
  gen: GenLevel,
  chunkBytes: number,
  pageKeys: number,
): Promise<KvSnapshot> {
  const it = gen.iterator();
  let first: [Uint8Array, Uint8Array][];
  try {
    first = await it.nextv(pageKeys);
  } catch (err) {
    await it.close();
    throw err;
  }
  const head = first[0];
  const meta: Meta =
    head && bytesEqual(head[0], META_KEY)
      ? decodeMeta(head[1])
      : { appliedIndex: 0, revision: 1, compactRevision: 0 };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      yield packr.pack([MAGIC, FORMAT, meta.appliedIndex, meta.revision, meta.compactRevision]);
      const hash = createHash('sha256');
      let count = 0;
      let flat: Uint8Array[] = [];
      let bytes = 0;
      const flush = (): Uint8Array => {
        const chunk = packr.pack(['d', flat]);
        hash.update(chunk);
        flat = [];
        bytes = 0;
        return chunk;
      };
      for (let page = first; page.length > 0; page = await it.nextv(pageKeys)) {
        for (const [k, v] of page) {
          flat.push(k, v);
          bytes += k.byteLength + v.byteLength;
          count++;
          if (bytes >= chunkBytes) yield flush();
        }
      }
      if (flat.length > 0) yield flush();
      yield packr.pack(['t', count, hash.digest()]);
    } finally {
      await it.close();
    }
  }
  return { ...meta, chunks: chunks(), close: () => it.close() };
}

/** Reads a snapshot stream, handing data entries to `write` page by page; returns the header. */
export async function readSnapshot(
  chunks: AsyncIterable<Uint8Array>,
  write: (entries: [Uint8Array, Uint8Array][]) => Promise<void>,
): Promise<Meta> {
  let header: Meta | undefined;
  let hash: Hash | undefined;
  let count = 0;
  let done = false;
  for await (const chunk of chunks) {
    if (done) throw SnapshotCorruptError.of('data after the trailer');
    let frame: unknown[];
    try {
      frame = packr.unpack(chunk) as unknown[];
    } catch {
      throw SnapshotCorruptError.of('a chunk is not valid msgpack');
    }
    if (!Array.isArray(frame)) throw SnapshotCorruptError.of('a chunk is not a frame');
    if (!header) {
      if (frame[0] !== MAGIC || frame[1] !== FORMAT)
        throw SnapshotCorruptError.of(`unknown header (expected ${MAGIC} format ${FORMAT})`);
      header = {
        appliedIndex: frame[2] as number,
        revision: frame[3] as number,
        compactRevision: frame[4] as number,
      };
      hash = createHash('sha256');
    } else if (frame[0] === 'd' && Array.isArray(frame[1]) && frame[1].length % 2 === 0) {
      hash!.update(chunk);
      const flat = frame[1] as Uint8Array[];
      const entries: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < flat.length; i += 2) {
        if (!(flat[i] instanceof Uint8Array) || !(flat[i + 1] instanceof Uint8Array))
          throw SnapshotCorruptError.of('an entry is not bytes');
        entries.push([plain(flat[i]!), plain(flat[i + 1]!)]);
      }
      count += entries.length;
      await write(entries);
    } else if (frame[0] === 't') {
      const digest = hash!.digest();
      if (frame[1] !== count)
        throw SnapshotCorruptError.of(
          `trailer counts ${String(frame[1])} entries, stream had ${count}`,
        );
      if (!(frame[2] instanceof Uint8Array) || !bytesEqual(frame[2], digest))
        throw SnapshotCorruptError.of('checksum mismatch');
      done = true;
    } else {
      throw SnapshotCorruptError.of('unknown frame');
    }
  }
  if (!header || !done) throw SnapshotCorruptError.of('missing header or trailer');
  return header;
}
