// Converting the loose inputs (string | Uint8Array) to the bytes every
// backend works with, and the string helpers for results.

import { bytes as utf8, prefixEnd, text } from '@flotilla/kv';
import type { Bytes, KeyRange } from './types.js';

export { prefixEnd, text };

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? utf8(value) : value;
}

/** The `[key, rangeEnd)` of a key, range or prefix (rangeEnd undefined: one key). */
export function toSpan(target: Bytes | KeyRange): { key: Uint8Array; rangeEnd?: Uint8Array } {
  if (typeof target === 'string' || target instanceof Uint8Array) return { key: toBytes(target) };
  if ('prefix' in target) {
    const key = toBytes(target.prefix);
    // The empty prefix is every key: etcd refuses an empty key, so it is sent as etcd's clients send it, [\0, \0).
    if (key.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
    return { key, rangeEnd: prefixEnd(key) };
  }
  return target.rangeEnd === undefined
    ? { key: toBytes(target.key) }
    : { key: toBytes(target.key), rangeEnd: toBytes(target.rangeEnd) };
}

/** A value as a UTF-8 string; undefined passes through, so `textOf(await kv.get(k))` is the common read. */
export function textOf(kv: { value: Uint8Array } | undefined): string | undefined {
  return kv === undefined ? undefined : text(kv.value);
}
