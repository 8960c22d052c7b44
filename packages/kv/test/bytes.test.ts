// The byte helpers every key goes through: latin1 key strings (bytewise order,
// views at an offset) and the big-endian integers of the storage layout.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromKeyStr,
  readUint32,
  readUint53,
  toKeyStr,
  writeUint32,
  writeUint53,
} from '../src/bytes.js';
import { parseRevKey, revKey } from '../src/layout.js';

describe('key strings', () => {
  it('map every byte value to one char and back, for views at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(8), fc.nat(8), (bytes, pre, post) => {
        // The key sits inside a larger buffer, as keys decoded from a message do.
        const buf = new Uint8Array(pre + bytes.length + post).fill(0xaa);
        buf.set(bytes, pre);
        const view = buf.subarray(pre, pre + bytes.length);
        const s = toKeyStr(view);
        expect(s.length).toBe(bytes.length);
        expect(fromKeyStr(s)).toEqual(bytes);
      }),
    );
  });

  it('order as the bytes do (etcd: bytewise)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        const bytewise = Buffer.compare(Buffer.from(a), Buffer.from(b));
        const [sa, sb] = [toKeyStr(a), toKeyStr(b)];
        expect(Math.sign(sa < sb ? -1 : sa > sb ? 1 : 0)).toBe(bytewise);
      }),
    );
  });
});

describe('big-endian integers', () => {
  it('round-trip uint32 and uint53 at any offset, big-endian', () => {
    fc.assert(
      fc.property(fc.nat(3), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (at, n) => {
        const b = new Uint8Array(at + 4);
        writeUint32(b, at, n);
        expect(readUint32(b, at)).toBe(n);
        expect(new DataView(b.buffer).getUint32(at)).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.nat(3), fc.maxSafeNat(), (at, n) => {
        const b = new Uint8Array(at + 8);
        writeUint53(b, at, n);
        expect(readUint53(b, at)).toBe(n);
      }),
    );
  });

  it('refuse to read past the end (a short stored key is an error, not NaN)', () => {
    expect(() => readUint32(new Uint8Array(3), 0)).toThrow(RangeError);
    expect(() => readUint53(new Uint8Array(7), 0)).toThrow(RangeError);
    expect(() => parseRevKey(new Uint8Array(12))).toThrow(RangeError);
  });

  it('revision keys sort by (main, sub) and parse back', () => {
    const keys = [
      [1, 0],
      [1, 1],
      [1, 2 ** 32 - 1],
      [2, 0],
      [2 ** 40, 5],
    ].map(([main, sub]) => revKey(main!, sub!));
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(sorted).toEqual(keys);
    expect(parseRevKey(revKey(2 ** 40, 5))).toEqual({ main: 2 ** 40, sub: 5 });
    expect(parseRevKey(revKey(7, 2 ** 32 - 1))).toEqual({ main: 7, sub: 2 ** 32 - 1 });
  });
});
