// The bytes of a stored snapshot: kv's snapshot chunks, each behind a 4-byte
// big-endian length. kv's restore needs its chunks back exactly as they were
// made (each is one msgpack frame), while a snapshot store and the wire cut a
// stream anywhere; the length prefixes let any cut be undone.
import { SnapshotCorruptError, type KvStateMachine } from '@flotilla/kv';

const PREFIX_BYTES = 4;

export async function* frameChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    const framed = new Uint8Array(PREFIX_BYTES + chunk.byteLength);
    new DataView(framed.buffer).setUint32(0, chunk.byteLength);
    framed.set(chunk, PREFIX_BYTES);
    yield framed;
  }
}

/** Undoes frameChunks over a stream cut anywhere. A frame over `frameBytesMax` or a cut-off end is corruption. */
export async function* unframeChunks(
  stream: AsyncIterable<Uint8Array>,
  frameBytesMax: number,
): AsyncGenerator<Uint8Array> {
  let buf: Uint8Array = new Uint8Array(0);
  for await (const piece of stream) {
    buf = buf.byteLength === 0 ? piece : concat(buf, piece);
    let at = 0;
    for (;;) {
      if (buf.byteLength - at < PREFIX_BYTES) break;
      const length = new DataView(buf.buffer, buf.byteOffset + at).getUint32(0);
      if (length > frameBytesMax)
        throw SnapshotCorruptError.of(`a frame of ${length} bytes is over ${frameBytesMax}`);
      if (buf.byteLength - at - PREFIX_BYTES < length) break;
      yield buf.slice(at + PREFIX_BYTES, at + PREFIX_BYTES + length);
      at += PREFIX_BYTES + length;
    }
    buf = buf.subarray(at);
  }
  if (buf.byteLength > 0) throw SnapshotCorruptError.of('the stream ends inside a frame');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** kv cuts a chunk after snapshotChunkBytes, so one chunk holds at most that plus one record. */
export function snapshotFrameBytesMax(kv: KvStateMachine): number {
  return kv.limits.snapshotChunkBytes + kv.limits.requestBytesMax + 64 * 1024;
}
