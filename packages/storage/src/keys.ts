// Log keys are 8-byte big-endian indexes, so LevelDB's bytewise order is
// index order and a range scan reads entries in sequence.

export const INDEX_KEY_BYTES = 8;
const TWO_POW_32 = 2 ** 32;

export function indexKey(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new RangeError(`log index must be a safe non-negative integer, got ${index}`);
  const key = new Uint8Array(INDEX_KEY_BYTES);
  const view = new DataView(key.buffer);
  view.setUint32(0, Math.floor(index / TWO_POW_32));
  view.setUint32(4, index >>> 0);
  return key;
}

export function keyIndex(key: Uint8Array): number {
  if (key.byteLength !== INDEX_KEY_BYTES)
    throw new RangeError(`log key must be ${INDEX_KEY_BYTES} bytes, got ${key.byteLength}`);
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(0) * TWO_POW_32 + view.getUint32(4);
}
