// The storage conformance suite: a factory in, tests out. Every Storage
// implementation runs it (docs/conventions.md, convention 8).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../src/index.js';
import {
  LogCompactedError,
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  EntryUnavailableError,
  StorageInvariantError,
} from '../src/index.js';
import { encodeEntryBody } from '../src/codec.js';
import { chunked, CONF, entries, entry, meta } from './helpers.js';

export interface StorageHarness {
  readonly storage: Storage;
  /** A clean restart: everything written with sync is there afterwards. */
  restart(): Promise<Storage>;
  /** Closes whatever is open and removes what the harness created. */
  dispose(): Promise<void>;
}

export function storageConformance(name: string, makeStore: () => Promise<StorageHarness>): void {
  describe(`storage conformance: ${name}`, () => {
    let h: StorageHarness;
    let s: Storage;
    beforeEach(async () => {
      h = await makeStore();
      s = h.storage;
    });
    afterEach(async () => {
      await h.dispose();
    });

    describe('empty log', () => {
      it('has firstIndex 1, lastIndex 0 and term(0) = 0', async () => {
        expect(s.log.firstIndex()).toBe(1);
        expect(s.log.lastIndex()).toBe(0);
        expect(await s.log.term(0)).toBe(0);
        expect(await s.log.entries(1, 1)).toEqual([]);
      });

      it('loads the zero hard state, no snapshot meta, the empty configuration and no entries', async () => {
        expect(await s.load()).toEqual({
          hardState: EMPTY_HARD_STATE,
          snapshotMeta: undefined,
          confState: EMPTY_CONF_STATE,
          entries: [],
          firstIndex: 1,
          lastIndex: 0,
        });
      });

      it('reports reads past the end as EntryUnavailableError', async () => {
        await expect(s.log.term(1)).rejects.toBeInstanceOf(EntryUnavailableError);
        await expect(s.log.entries(1, 2)).rejects.toBeInstanceOf(EntryUnavailableError);
      });
    });

    describe('append and read', () => {
      it('reads back appended entries in [lo, hi) with their terms', async () => {
        await s.log.append([...entries(1, 3, 1), ...entries(4, 6, 2)]);
        expect(s.log.lastIndex()).toBe(6);
        expect(await s.log.entries(2, 5)).toEqual([entry(2, 1), entry(3, 1), entry(4, 2)]);
        expect(await s.log.term(3)).toBe(1);
        expect(await s.log.term(6)).toBe(2);
      });

      it('keeps confChange entries intact', async () => {
        const cc = {
          type: 'confChange' as const,
          term: 1,
          index: 1,
          change: { changes: [{ op: 'addVoter' as const, nodeId: 4 }] },
        };
        await s.log.append([cc]);
        expect(await s.log.entries(1, 2)).toEqual([cc]);
      });

      it('appends across separate calls', async () => {
        await s.log.append(entries(1, 2, 1));
        await s.log.append(entries(3, 4, 1));
        expect(await s.log.entries(1, 5)).toEqual(entries(1, 4, 1));
      });

      it('refuses an append that would leave a hole', async () => {
        await s.log.append(entries(1, 2, 1));
        await expect(s.log.append(entries(4, 5, 1))).rejects.toBeInstanceOf(StorageInvariantError);
        expect(s.log.lastIndex()).toBe(2);
      });

      it('refuses non-contiguous entries in one append', async () => {
        await expect(s.log.append([entry(1, 1), entry(3, 1)])).rejects.toBeInstanceOf(
          StorageInvariantError,
        );
        expect(s.log.lastIndex()).toBe(0);
      });

      it('accepts an empty append as a no-op', async () => {
        await s.log.append(entries(1, 2, 1));
        await s.log.append([]);
        expect(s.log.lastIndex()).toBe(2);
      });
    });

    describe('conflict truncation', () => {
      it('replaces the suffix from entries[0].index when appending over stored entries', async () => {
        await s.log.append(entries(1, 5, 1));
        await s.log.append(entries(3, 4, 2));
        expect(s.log.lastIndex()).toBe(4);
        expect(await s.log.entries(1, 5)).toEqual([
          entry(1, 1),
          entry(2, 1),
          entry(3, 2),
          entry(4, 2),
        ]);
        await expect(s.log.term(5)).rejects.toBeInstanceOf(EntryUnavailableError);
      });

      it('can replace a suffix with a longer one', async () => {
        await s.log.append(entries(1, 3, 1));
        await s.log.append(entries(2, 6, 3));
        expect(await s.log.entries(1, 7)).toEqual([entry(1, 1), ...entries(2, 6, 3)]);
      });

      it('truncateSuffix removes every entry from the given index on', async () => {
        await s.log.append(entries(1, 5, 1));
        await s.log.truncateSuffix(3);
        expect(s.log.lastIndex()).toBe(2);
        await s.log.truncateSuffix(10);
        expect(s.log.lastIndex()).toBe(2);
        await s.log.append(entries(3, 3, 2));
        expect(await s.log.entries(1, 4)).toEqual([entry(1, 1), entry(2, 1), entry(3, 2)]);
      });
    });

    describe('compaction', () => {
      it('drops the prefix up to the snapshot and keeps term(snapshot index) answerable', async () => {
        await s.log.append(entries(1, 6, 1));
        await s.log.compact(meta(3, 1));
        expect(s.log.firstIndex()).toBe(4);
        expect(s.log.lastIndex()).toBe(6);
        expect(await s.log.term(3)).toBe(1);
        expect(await s.log.entries(4, 7)).toEqual(entries(4, 6, 1));
      });

      it('reports reads below the compaction point as LogCompactedError', async () => {
        await s.log.append(entries(1, 6, 1));
        await s.log.compact(meta(3, 1));
        await expect(s.log.term(2)).rejects.toBeInstanceOf(LogCompactedError);
        await expect(s.log.entries(3, 5)).rejects.toBeInstanceOf(LogCompactedError);
      });

      it('can compact the whole log, leaving it empty after the snapshot', async () => {
        await s.log.append(entries(1, 4, 2));
        await s.log.compact(meta(4, 2));
        expect(s.log.firstIndex()).toBe(5);
        expect(s.log.lastIndex()).toBe(4);
        expect(await s.log.term(4)).toBe(2);
        await s.log.append(entries(5, 5, 2));
        expect(await s.log.entries(5, 6)).toEqual([entry(5, 2)]);
      });

      it('refuses to compact past the last index or with the wrong term', async () => {
        await s.log.append(entries(1, 4, 2));
        await expect(s.log.compact(meta(5, 2))).rejects.toBeInstanceOf(StorageInvariantError);
        await expect(s.log.compact(meta(3, 1))).rejects.toBeInstanceOf(StorageInvariantError);
        expect(s.log.firstIndex()).toBe(1);
      });

      it('skips appended entries at or below the compaction point', async () => {
        await s.log.append(entries(1, 4, 1));
        await s.log.compact(meta(3, 1));
        await s.log.append(entries(2, 6, 1));
        expect(s.log.firstIndex()).toBe(4);
        expect(await s.log.entries(4, 7)).toEqual(entries(4, 6, 1));
      });

      it('refuses to truncate into the compacted prefix', async () => {
        await s.log.append(entries(1, 4, 1));
        await s.log.compact(meta(2, 1));
        await expect(s.log.truncateSuffix(2)).rejects.toBeInstanceOf(StorageInvariantError);
      });

      it('survives a restart, with the compaction meta reported by load()', async () => {
        await s.log.append(entries(1, 6, 1));
        await s.log.compact(meta(3, 1));
        s = await h.restart();
        const loaded = await s.load();
        expect(loaded.snapshotMeta).toEqual(meta(3, 1));
        expect(loaded.confState).toEqual(CONF);
        expect(loaded.firstIndex).toBe(4);
        expect(loaded.entries).toEqual(entries(4, 6, 1));
        expect(await s.log.term(3)).toBe(1);
      });
    });

    describe('range boundaries', () => {
      it('refuses lo > hi', async () => {
        await s.log.append(entries(1, 3, 1));
        await expect(s.log.entries(3, 2)).rejects.toBeInstanceOf(StorageInvariantError);
      });

      it('allows hi = lastIndex + 1 and no further', async () => {
        await s.log.append(entries(1, 3, 1));
        expect(await s.log.entries(3, 4)).toEqual([entry(3, 1)]);
        await expect(s.log.entries(3, 5)).rejects.toBeInstanceOf(EntryUnavailableError);
        expect(await s.log.entries(4, 4)).toEqual([]);
      });

      it('answers term(lastIndex) and refuses term(lastIndex + 1)', async () => {
        await s.log.append(entries(1, 3, 4));
        expect(await s.log.term(3)).toBe(4);
        await expect(s.log.term(4)).rejects.toBeInstanceOf(EntryUnavailableError);
      });
    });

    describe('maxBytes', () => {
      const size = (index: number): number => encodeEntryBody(entry(index, 1, 100)).byteLength;

      it('returns at least one entry even when it alone exceeds maxBytes', async () => {
        await s.log.append(entries(1, 5, 1, 100));
        expect(await s.log.entries(1, 6, 1)).toEqual([entry(1, 1, 100)]);
        expect(await s.log.entries(1, 6, 0)).toEqual([entry(1, 1, 100)]);
      });

      it('stops before the entry that would exceed maxBytes, inclusive at the exact limit', async () => {
        await s.log.append(entries(1, 5, 1, 100));
        const two = size(1) + size(2);
        expect((await s.log.entries(1, 6, two)).map((e) => e.index)).toEqual([1, 2]);
        expect((await s.log.entries(1, 6, two - 1)).map((e) => e.index)).toEqual([1]);
        expect((await s.log.entries(1, 6, two + size(3))).map((e) => e.index)).toEqual([1, 2, 3]);
      });

      it('returns the whole range when maxBytes is large or absent', async () => {
        await s.log.append(entries(1, 5, 1, 100));
        expect(await s.log.entries(2, 6, 1 << 30)).toEqual(entries(2, 5, 1, 100));
        expect(await s.log.entries(2, 6)).toEqual(entries(2, 5, 1, 100));
      });
    });

    describe('hard state', () => {
      it('stores the hard state and returns it after a restart', async () => {
        await s.stable.setHardState({ term: 3, vote: 2, commit: 0 });
        expect(await s.stable.hardState()).toEqual({ term: 3, vote: 2, commit: 0 });
        s = await h.restart();
        expect(await s.stable.hardState()).toEqual({ term: 3, vote: 2, commit: 0 });
      });
    });

    describe('persist', () => {
      it('writes entries and hard state together, and load() returns both after a restart', async () => {
        await s.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 2 } });
        await s.persist({ entries: entries(3, 4, 2), hardState: { term: 2, vote: 3, commit: 2 } });
        s = await h.restart();
        const loaded = await s.load();
        expect(loaded.hardState).toEqual({ term: 2, vote: 3, commit: 2 });
        expect(loaded.entries).toEqual([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]);
        expect(loaded.lastIndex).toBe(4);
      });

      it('installing a snapshot resets the log to start after it', async () => {
        await s.persist({ entries: entries(1, 5, 1) });
        await s.persist({ snapshotMeta: meta(8, 2), hardState: { term: 2, vote: 1, commit: 8 } });
        expect(s.log.firstIndex()).toBe(9);
        expect(s.log.lastIndex()).toBe(8);
        expect(await s.log.term(8)).toBe(2);
        await expect(s.log.term(5)).rejects.toBeInstanceOf(LogCompactedError);
        s = await h.restart();
        const loaded = await s.load();
        expect(loaded).toMatchObject({
          snapshotMeta: meta(8, 2),
          confState: CONF,
          entries: [],
          firstIndex: 9,
          lastIndex: 8,
        });
      });

      it('installing a snapshot below the last index drops the entries after it too', async () => {
        await s.persist({ entries: entries(1, 6, 1) });
        await s.persist({ snapshotMeta: meta(3, 1), entries: entries(4, 4, 2) });
        expect(await s.log.entries(4, 5)).toEqual([entry(4, 2)]);
        s = await h.restart();
        expect((await s.load()).entries).toEqual([entry(4, 2)]);
      });

      it('records a bootstrap configuration with a snapshot meta at index 0', async () => {
        await s.persist({ snapshotMeta: meta(0, 0) });
        s = await h.restart();
        const loaded = await s.load();
        expect(loaded.confState).toEqual(CONF);
        expect(loaded.firstIndex).toBe(1);
      });

      it('refuses a snapshot older than the compaction point', async () => {
        await s.persist({ snapshotMeta: meta(5, 1) });
        await expect(s.persist({ snapshotMeta: meta(4, 1) })).rejects.toBeInstanceOf(
          StorageInvariantError,
        );
      });
    });

    describe('snapshot store', () => {
      const data = (n: number, seed: number): Uint8Array =>
        Uint8Array.from({ length: n }, (_, i) => (i * seed) & 0xff);

      it('has no latest snapshot at first', async () => {
        expect(await s.snapshots.openLatest()).toBeUndefined();
        expect(await s.snapshots.list()).toEqual([]);
      });

      it('reads back a snapshot created from a buffer, as a buffer and as a stream', async () => {
        const bytes = data(1000, 3);
        await s.snapshots.create(meta(10, 2), bytes);
        const latest = await s.snapshots.openLatest();
        expect(latest?.meta).toEqual(meta(10, 2));
        expect(await latest?.read()).toEqual(bytes);
        const parts: Uint8Array[] = [];
        for await (const chunk of latest!.stream()) parts.push(chunk);
        expect(Buffer.concat(parts)).toEqual(Buffer.from(bytes));
      });

      it('stores a snapshot created from a stream of chunks', async () => {
        const bytes = data(200_000, 7);
        await s.snapshots.create(meta(5, 1), chunked(bytes, 10_000));
        expect(await (await s.snapshots.openLatest())?.read()).toEqual(bytes);
      });

      it('stores an empty snapshot', async () => {
        await s.snapshots.create(meta(1, 1), new Uint8Array(0));
        expect(await (await s.snapshots.openLatest())?.read()).toEqual(new Uint8Array(0));
      });

      it('replaces the latest with a newer snapshot and keeps only the newest two', async () => {
        await s.snapshots.create(meta(10, 1), data(10, 1));
        await s.snapshots.create(meta(20, 1), data(20, 2));
        await s.snapshots.create(meta(30, 2), data(30, 3));
        const latest = await s.snapshots.openLatest();
        expect(latest?.meta.index).toBe(30);
        expect(await latest?.read()).toEqual(data(30, 3));
        expect((await s.snapshots.list()).map((i) => i.meta.index)).toEqual([20, 30]);
      });

      it('orders by index, not by creation time', async () => {
        await s.snapshots.create(meta(30, 2), data(5, 1));
        await s.snapshots.create(meta(20, 2), data(5, 2));
        expect((await s.snapshots.openLatest())?.meta.index).toBe(30);
      });

      it('opens a snapshot by exact index and term, whichever is newest', async () => {
        await s.snapshots.create(meta(20, 2), data(20, 2));
        await s.snapshots.create(meta(30, 2), data(30, 3));
        const at20 = await s.snapshots.open(20, 2);
        expect(at20?.meta).toEqual(meta(20, 2));
        expect(await at20?.read()).toEqual(data(20, 2));
        expect((await s.snapshots.open(30, 2))?.meta.index).toBe(30);
        expect(await s.snapshots.open(20, 3)).toBeUndefined();
        expect(await s.snapshots.open(25, 2)).toBeUndefined();
        s = await h.restart();
        expect(await (await s.snapshots.open(20, 2))?.read()).toEqual(data(20, 2));
      });

      it('deletes a snapshot by name and prunes to a count', async () => {
        const a = await s.snapshots.create(meta(10, 1), data(10, 1));
        await s.snapshots.create(meta(20, 1), data(10, 2));
        await s.snapshots.delete(a.name);
        expect((await s.snapshots.list()).map((i) => i.meta.index)).toEqual([20]);
        await s.snapshots.prune(0);
        expect(await s.snapshots.openLatest()).toBeUndefined();
      });

      it('keeps snapshots across a restart', async () => {
        await s.snapshots.create(meta(10, 1), data(64, 5));
        s = await h.restart();
        const latest = await s.snapshots.openLatest();
        expect(latest?.meta).toEqual(meta(10, 1));
        expect(await latest?.read()).toEqual(data(64, 5));
      });
    });
  });
}
