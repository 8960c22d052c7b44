import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeCommand,
  KvStateMachine,
  SnapshotCorruptError,
  text,
  type KvSnapshot,
} from '../src/index.js';
import { apply, grant, k, memoryDb, ok, openMemory, put } from './helpers.js';
import { mCommand, toCommand } from './model-gen.js';

async function collect(snap: KvSnapshot): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of snap.chunks) chunks.push(c);
  return chunks;
}

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('persistence on LevelDB', () => {
  it('a restart resumes from the persisted applied index and state, without replaying from zero', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-kv-'));
    dirs.push(dir);
    let db = new ClassicLevel(dir);
    let sm = await KvStateMachine.open(db.sublevel('kv'));
    await apply(sm, grant(4, 30), put('a', '1', { lease: 4 }), put('b', '1'), put('b', '2'), {
      op: 'compact',
      request: { revision: 3 },
    });
    await sm.applyEntries([{ index: 9, data: new Uint8Array(0) }]);
    await sm.close();
    await db.close();

    db = new ClassicLevel(dir);
    sm = await KvStateMachine.open(db.sublevel('kv'));
    expect([sm.appliedIndex, sm.revision, sm.compactRevision]).toEqual([9, 4, 3]);
    expect(sm.leaseTimeToLive(4, true).keys.map(text)).toEqual(['a']);
    expect((await sm.range({ key: k('b') })).kvs[0]!.version).toBe(2);
    await expect(sm.applyEntries([{ index: 9, data: new Uint8Array(0) }])).rejects.toThrow(
      /not above the applied index/,
    );
    await sm.applyEntries([{ index: 10, data: encodeCommand({ cmd: put('c', '1') }) }]);
    expect(sm.revision).toBe(5);
    await db.close();
  });

  it('a crash mid-restore (a half-written next generation) leaves the previous complete state in charge', async () => {
    const db = memoryDb();
    const sm = await KvStateMachine.open(db);
    await apply(sm, put('a', '1'));
    // What a crash during restore leaves behind: entries in generation 1, pointer still at 0.
    await db
      .sublevel<Uint8Array, Uint8Array>('g1', { keyEncoding: 'view', valueEncoding: 'view' })
      .put(new Uint8Array([2, 0]), new Uint8Array([1]));
    const reopened = await KvStateMachine.open(db);
    expect([reopened.appliedIndex, reopened.revision]).toEqual([1, 2]);
    const source = (await openMemory()).sm;
    await apply(source, put('z', '9'), put('y', '9'));
    await reopened.restore((await source.snapshot()).chunks);
    expect(
      (await reopened.range({ key: k('a'), rangeEnd: new Uint8Array([0]) })).kvs.map((kv) =>
        text(kv.key),
      ),
    ).toEqual(['y', 'z']);
    const again = await KvStateMachine.open(db);
    expect([again.appliedIndex, again.revision]).toEqual([2, 3]);
  });

  it('a corrupt or truncated snapshot is refused and the current state is untouched', async () => {
    const { sm: source } = await openMemory();
    await apply(source, put('a', '1'), put('b', '2'));
    const chunks = await collect(await source.snapshot());
    const { sm, db } = await openMemory();
    await apply(sm, put('keep', '1'));
    await expect(sm.restore(replay(chunks.slice(0, -1)))).rejects.toBeInstanceOf(
      SnapshotCorruptError,
    );
    const flipped = chunks.map((c, i) =>
      i === 1 ? Uint8Array.from(c, (b, j) => (j === c.length - 1 ? b ^ 1 : b)) : c,
    );
    await expect(sm.restore(replay(flipped))).rejects.toBeInstanceOf(SnapshotCorruptError);
    expect((await sm.range({ key: k('keep') })).count).toBe(1);
    expect((await KvStateMachine.open(db)).revision).toBe(2);
  });

  it('a snapshot is consistent at one applied index while applies continue', async () => {
    const { sm } = await openMemory({ readPageKeys: 2, snapshotChunkBytes: 16 });
    await apply(sm, ...Array.from({ length: 20 }, (_, i) => put(`k${i}`, 'v')));
    const snap = await sm.snapshot();
    await apply(
      sm,
      ...Array.from({ length: 20 }, (_, i) => put(`k${i}`, 'changed')),
      put('late', '1'),
    );
    const copy = (await openMemory()).sm;
    await copy.restore(snap.chunks);
    expect([copy.appliedIndex, copy.revision, snap.appliedIndex]).toEqual([20, 21, 20]);
    const r = await copy.range({ key: k('a'), rangeEnd: new Uint8Array([0]) });
    expect([r.count, r.kvs.every((kv) => text(kv.value) === 'v')]).toEqual([20, true]);
  });
});

describe('determinism', () => {
  it('two instances fed the same entries (in different batches) give identical responses and byte-identical snapshots', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mCommand, { maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 25, maxLength: 25 }),
        async (cmds, cuts) => {
          const entries = cmds.map((c, i) => ({
            index: i + 1,
            data: encodeCommand({ clientId: `c${i % 3}`, seq: i + 1, cmd: toCommand(c) }),
          }));
          const a = (await openMemory()).sm;
          const b = (await openMemory()).sm;
          const ra = await a.applyEntries(entries);
          const rb = [];
          for (let at = 0, n = 0; at < entries.length; at += cuts[n++]!)
            rb.push(...(await b.applyEntries(entries.slice(at, at + cuts[n]!))));
          expect(rb).toEqual(ra);
          expect(Buffer.concat(await collect(await b.snapshot()))).toEqual(
            Buffer.concat(await collect(await a.snapshot())),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('snapshot round trip at scale', () => {
  it('100,000 keys with history round-trip to byte-identical state', async () => {
    const { sm } = await openMemory();
    const value = new Uint8Array(32).fill(7);
    let index = 0;
    const batch = (from: number, to: number, v: Uint8Array) =>
      sm.applyEntries(
        Array.from({ length: to - from }, (_, i) => ({
          index: ++index,
          data: encodeCommand({
            cmd: {
              op: 'put',
              request: { key: k(`key/${String(from + i).padStart(6, '0')}`), value: v },
            },
          }),
        })),
      );
    for (let at = 0; at < 100_000; at += 5_000) await batch(at, at + 5_000, value);
    await batch(0, 5_000, new Uint8Array(8)); // history: 5,000 keys with two versions
    await ok(sm, {
      op: 'deleteRange',
      request: { key: k('key/099000'), rangeEnd: k('key/099100') },
    });
    const chunks = await collect(await sm.snapshot());
    const { sm: copy } = await openMemory();
    await copy.restore(replay(chunks));
    expect([copy.appliedIndex, copy.revision, copy.indexedKeys]).toEqual([
      sm.appliedIndex,
      sm.revision,
      100_000,
    ]);
    expect((await copy.range({ key: k('key/'), rangeEnd: k('key0'), countOnly: true })).count).toBe(
      99_900,
    );
    const past = await copy.range({ key: k('key/000001'), revision: 3 });
    expect(past.kvs[0]!.value).toEqual(value);
    expect(Buffer.concat(await collect(await copy.snapshot())).equals(Buffer.concat(chunks))).toBe(
      true,
    );
  });
});
