// Byte helpers. Keys are held internally as latin1 strings: one char per byte,
// so JavaScript's string order is exactly etcd's bytewise key order and a key
// can be a Map key without copying.

export type KeyStr = string;

export function toKeyStr(bytes: Uint8Array): KeyStr {
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

export function writeUint53(target: Uint8Array, offset: number, value: number): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000));
  view.setUint32(offset + 4, value >>> 0);
}

export function readUint53(source: Uint8Array, offset: number): number {
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  return view.getUint32(offset) * 0x1_0000_0000 + view.getUint32(offset + 4);
}
