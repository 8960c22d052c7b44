// Byte helpers. Keys are held internally as latin1 strings: one char per byte,
// so JavaScript's string order is exactly etcd's bytewise key order and a key
// can be a Map key without copying.

export type KeyStr = string;

/**
 * Buffer's latin1 decoder applied to the Uint8Array itself, when this Node has it: the
 * documented `Buffer.from(…).toString('latin1')` wraps every key in a new Buffer first, and
 * keys are converted several times per write.
 */
const latin1Slice = (
  Buffer.prototype as unknown as {
    latin1Slice?: (this: Uint8Array, start: number, end: number) => string;
  }
).latin1Slice;

export function toKeyStr(bytes: Uint8Array): KeyStr {
  if (latin1Slice !== undefined) return latin1Slice.call(bytes, 0, bytes.byteLength);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function fromKeyStr(key: KeyStr): Uint8Array {
  return plain(Buffer.from(key, 'latin1'));
}

/** A plain Uint8Array view (not a Buffer), so results compare equal to what callers passed in. */
export function plain(bytes: Uint8Array): Uint8Array {
  if (bytes.constructor === Uint8Array) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && compareBytes(a, b) === 0;
}

/** etcd's "prefix end": the smallest key greater than every key that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.slice(0, i + 1);
    }
  }
  // All 0xff (or empty): no upper bound, which etcd spells as a single zero byte.
  return new Uint8Array([0]);
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Convenience for callers and tests: a UTF-8 string as bytes. */
export function bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

export function text(data: Uint8Array): string {
  return utf8d.decode(data);
}

// Big-endian integers written and read byte by byte: a DataView per call would be one more
// object per key, and keys are encoded on every write.

export function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

export function readUint32(source: Uint8Array, offset: number): number {
  if (offset < 0 || offset + 4 > source.byteLength)
    throw new RangeError(`cannot read 4 bytes at offset ${offset} of ${source.byteLength}`);
  return (
    source[offset]! * 0x100_0000 +
    ((source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!)
  );
}

export function writeUint53(target: Uint8Array, offset: number, value: number): void {
  writeUint32(target, offset, Math.floor(value / 0x1_0000_0000));
  writeUint32(target, offset + 4, value >>> 0);
}

export function readUint53(source: Uint8Array, offset: number): number {
  return readUint32(source, offset) * 0x1_0000_0000 + readUint32(source, offset + 4);
}
