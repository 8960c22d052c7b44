// Encoding of the Raft types into checksummed records, with shape checks on
// the way back: a record that passes its checksum but does not have the
// expected shape (or sits under the wrong key) is corruption too.
import type { ConfState, Entry, HardState, SnapshotMeta } from '@flotilla/raft';
import { CorruptionError } from './errors.js';
import { decodeRecord, encodeBody } from './record.js';

/** The msgpack body of an entry; its length is the entry's size for `maxBytes`. */
export function encodeEntryBody(entry: Entry): Uint8Array {
  return encodeBody(entry);
}

export function decodeEntry(record: Uint8Array, expectedIndex: number): Entry {
  const where = `log entry ${expectedIndex}`;
  const value = decodeRecord(record, where, expectedIndex);
  if (!isRecord(value) || !isCount(value.term) || value.index !== expectedIndex) {
    throw new CorruptionError(where, 'record is not an entry at this index', expectedIndex);
  }
  if (value.type === 'normal' && value.data instanceof Uint8Array) {
    // msgpackr yields a Buffer; hand out a plain Uint8Array like the memory store does.
    const data = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    return { type: 'normal', term: value.term, index: expectedIndex, data };
  }
  if (
    value.type === 'confChange' &&
    isRecord(value.change) &&
    Array.isArray(value.change.changes)
  ) {
    return value as unknown as Entry;
  }
  throw new CorruptionError(where, `unknown entry type ${String(value.type)}`, expectedIndex);
}

export function decodeHardState(record: Uint8Array): HardState {
  const value = decodeRecord(record, 'hard state');
  if (!isRecord(value) || !isCount(value.term) || !isCount(value.vote) || !isCount(value.commit)) {
    throw new CorruptionError('hard state', 'record is not a hard state');
  }
  return { term: value.term, vote: value.vote, commit: value.commit };
}

export function decodeSnapshotMeta(record: Uint8Array, where: string): SnapshotMeta {
  const value = decodeRecord(record, where);
  if (!isSnapshotMeta(value)) throw new CorruptionError(where, 'record is not snapshot metadata');
  return value;
}

export function isSnapshotMeta(value: unknown): value is SnapshotMeta {
  return (
    isRecord(value) && isCount(value.index) && isCount(value.term) && isConfState(value.confState)
  );
}

function isConfState(value: unknown): value is ConfState {
  return (
    isRecord(value) &&
    Array.isArray(value.voters) &&
    Array.isArray(value.votersOutgoing) &&
    Array.isArray(value.learners) &&
    Array.isArray(value.learnersNext)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
