// HashKV: a CRC-32 over the stored MVCC history up to a revision, for
// comparing members (etcd's Maintenance.HashKV). It covers every record of
// section 02 with a main revision ≤ the revision asked for, in revision order:
// the revision key bytes and the record bytes. Records are written the same
// way on every replica and compaction removes the same ones everywhere (a
// restored snapshot carries them byte for byte), so members at the same
// applied state give the same hash.
import { crc32 } from 'node:zlib';
import { CompactedError, FutureRevisionError } from './errors.js';
import { revKey, SECTION_REV } from './layout.js';
import type { GenLevel } from './store.js';

export interface KvHash {
  /** CRC-32 (unsigned) of the history up to `hashRevision`. */
  readonly hash: number;
  /** The revision hashed up to (the current revision when 0 was asked for). */
  readonly hashRevision: number;
  /** The compaction revision when the hash began. */
  readonly compactRevision: number;
  /** The current revision when the hash began. */
  readonly revision: number;
}

export interface HashStart {
  readonly revision: number;
  readonly compactRevision: number;
}

/** Checks `revision` against the state (etcd's rules: 0 = current; compacted or future revisions are refused). */
export function hashRevisionOf(asked: number, at: HashStart): number {
  if (asked > at.revision) throw FutureRevisionError.of(asked, at.revision);
  if (asked > 0 && asked <= at.compactRevision) throw CompactedError.of(asked, at.compactRevision);
  return asked === 0 ? at.revision : asked;
}

/** An iterator over the records to hash; open it where no batch is mid-write (its implicit snapshot is the state hashed). */
export function openHashIterator(gen: GenLevel, hashRevision: number) {
  return gen.iterator({ gte: new Uint8Array([SECTION_REV]), lt: revKey(hashRevision + 1, 0) });
}

export async function hashRecords(
  it: ReturnType<typeof openHashIterator>,
  pageKeys: number,
): Promise<number> {
  let hash = 0;
  try {
    for (;;) {
      const page = await it.nextv(pageKeys);
      if (page.length === 0) return hash >>> 0;
      for (const [k, v] of page) hash = crc32(v, crc32(k, hash));
    }
  } finally {
    await it.close();
  }
}
