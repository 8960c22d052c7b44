// How state is laid out in LevelDB (one generation sublevel, 'view' keys and
// values). One byte of section prefix keeps sections apart and in a fixed
// order, so a snapshot (a scan of the generation) starts with the meta record.
//
//   01                 meta: [format, appliedIndex, revision, compactRevision]
//   02 main:8 sub:4    one change: [key, value, createRevision, version, lease] or [key] (deletion)
//   03 id:8            lease: [ttl, checkpointTtl]
//   04 clientId(utf8)  exactly-once client: [seq, lastIndex, result]
//   05                 exactly-once eviction floor: [highest lastIndex of an evicted client]
//   06 00              auth meta: [enabled, authRevision, signingKey]      (auth/store.ts)
//   06 01 name(utf8)   auth user: [name, passwordHash | null, roles, epoch]
//   06 02 name(utf8)   auth role: [name, [[permType, key, rangeEnd | null], ...]]
//   07 id:8            member: [id, name, peerUrls, clientUrls, isLearner]       (members.ts)

import { Packr } from 'msgpackr';
import {
  fromKeyStr,
  plain,
  readUint32,
  readUint53,
  toKeyStr,
  writeUint32,
  writeUint53,
  type KeyStr,
} from './bytes.js';
import { KvInvariantError } from './errors.js';
import type { KeySpan, RevPos } from './key-index.js';
import type { KeyValue } from './types.js';

export const FORMAT = 1;
export const SECTION_META = 0x01;
export const SECTION_REV = 0x02;
export const SECTION_LEASE = 0x03;
export const SECTION_CLIENT = 0x04;
export const SECTION_CLIENT_FLOOR = 0x05;

export const packr = new Packr({ useRecords: false });

export const META_KEY = new Uint8Array([SECTION_META]);
export const CLIENT_FLOOR_KEY = new Uint8Array([SECTION_CLIENT_FLOOR]);

export interface Meta {
  appliedIndex: number;
  revision: number;
  compactRevision: number;
}

export function encodeMeta(m: Meta): Uint8Array {
  return packr.pack([FORMAT, m.appliedIndex, m.revision, m.compactRevision]);
}

export function decodeMeta(data: Uint8Array): Meta {
  const v = packr.unpack(data) as unknown;
  if (
    !Array.isArray(v) ||
    v[0] !== FORMAT ||
    v.length !== 4 ||
    !v.every((n) => Number.isSafeInteger(n))
  ) {
    throw new KvInvariantError(
      `kv meta record is unreadable or of an unknown format (expected format ${FORMAT}); the data directory is corrupt or from a newer version`,
    );
  }
  return {
    appliedIndex: v[1] as number,
    revision: v[2] as number,
    compactRevision: v[3] as number,
  };
}

export function revKey(main: number, sub: number): Uint8Array {
  const k = new Uint8Array(13);
  k[0] = SECTION_REV;
  writeUint53(k, 1, main);
  writeUint32(k, 9, sub);
  return k;
}

export function parseRevKey(k: Uint8Array): RevPos {
  return {
    main: readUint53(k, 1),
    sub: readUint32(k, 9),
  };
}

/** A change as stored: the key and, for a put, its KeyValue. */
export interface ChangeRecord {
  key: Uint8Array;
  kv: KeyValue | undefined;
}

export function encodePut(kv: KeyValue): Uint8Array {
  return packr.pack([kv.key, kv.value, kv.createRevision, kv.version, kv.lease]);
}

export function encodeTombstone(key: Uint8Array): Uint8Array {
  return packr.pack([key]);
}

export function decodeChange(pos: RevPos, data: Uint8Array): ChangeRecord {
  const v = packr.unpack(data) as unknown[];
  const key = plain(v[0] as Uint8Array);
  if (v.length === 1) return { key, kv: undefined };
  return {
    key,
    kv: {
      key,
      value: plain(v[1] as Uint8Array),
      createRevision: v[2] as number,
      modRevision: pos.main,
      version: v[3] as number,
      lease: v[4] as number,
    },
  };
}

export function leaseKey(id: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = SECTION_LEASE;
  writeUint53(k, 1, id);
  return k;
}

export function clientKey(clientId: string): Uint8Array {
  const id = Buffer.from(clientId, 'utf8');
  const k = new Uint8Array(1 + id.length);
  k[0] = SECTION_CLIENT;
  k.set(id, 1);
  return k;
}

/** The span a request's key/rangeEnd select, per etcd's rules. */
export function spanOf(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const start = toKeyStr(key);
  if (!rangeEnd || rangeEnd.byteLength === 0) return { start, end: 'single' };
  if (rangeEnd.byteLength === 1 && rangeEnd[0] === 0) return { start, end: undefined };
  return { start, end: toKeyStr(rangeEnd) };
}

export function inSpan(key: KeyStr, span: KeySpan): boolean {
  if (span.end === 'single') return key === span.start;
  return key >= span.start && (span.end === undefined || key < span.end);
}

export { fromKeyStr };
