// Test helpers shared by the storage suites.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfState, Entry, SnapshotMeta } from '@flotilla/raft';

/** A normal entry whose data encodes its index and term, so damage or mix-ups are visible. */
export function entry(index: number, term: number, dataBytes = 8): Entry {
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { type: 'normal', term, index, data };
}

/** Entries lo..hi inclusive, all in `term`. */
export function entries(lo: number, hi: number, term: number, dataBytes = 8): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term, dataBytes));
  return out;
}

export const CONF: ConfState = {
  voters: [1, 2, 3],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
};

export function meta(index: number, term: number, confState: ConfState = CONF): SnapshotMeta {
  return { index, term, confState };
}

export async function tempDir(
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `flotilla-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function* chunked(data: Uint8Array, chunkBytes: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.byteLength; at += chunkBytes) yield data.subarray(at, at + chunkBytes);
}
