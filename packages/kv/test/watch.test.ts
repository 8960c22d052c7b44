import { describe, expect, it } from 'vitest';
import { text, type WatchResponse } from '../src/index.js';
import { apply, del, drain, k, ok, openMemory, put, until } from './helpers.js';

const evs = (rs: WatchResponse[]): string[] =>
  rs.flatMap((r) => r.events.map((e) => `${e.type} ${text(e.kv.key)}@${e.kv.modRevision}`));

describe('watch', () => {
  it('delivers live events over a key range with prevKv, through the async iterator', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '0'));
    const w = sm.watch({ key: k('a'), rangeEnd: k('c'), prevKv: true });
    await apply(sm, put('a', '1'), put('z', '1'), del('a'));
    const it = w[Symbol.asyncIterator]();
    // One applied batch is one response (atomic per revision, several revisions allowed).
    const first = (await it.next()).value as WatchResponse;
    expect(evs([first])).toEqual(['PUT a@3', 'DELETE a@5']);
    expect(first.events.map((e) => text(e.prevKv!.value))).toEqual(['0', '1']);
    w.cancel();
    expect((await it.next()).done).toBe(true);
    expect(sm.watcherCount).toBe(0);
  });

  it('replays history from a start revision, then continues live, and filters puts or deletes', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'), del('a'), put('a', '2'));
    const all = sm.watch({ key: k('a'), startRevision: 2 });
    const noDel = sm.watch({ key: k('a'), startRevision: 2, filters: ['NODELETE'] });
    const noPut = sm.watch({ key: k('a'), startRevision: 2, filters: ['NOPUT'] });
    await until(
      () => all.state === 'synced' && noDel.state === 'synced' && noPut.state === 'synced',
      'catch-up',
    );
    await apply(sm, del('a'));
    expect(evs(drain(all))).toEqual(['PUT a@2', 'DELETE a@3', 'PUT a@4', 'DELETE a@5']);
    expect(evs(drain(noDel))).toEqual(['PUT a@2', 'PUT a@4']);
    expect(evs(drain(noPut))).toEqual(['DELETE a@3', 'DELETE a@5']);
  });

  it('a start revision at or before the compaction revision gets a compacted signal and is cancelled', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'), put('a', '2'), { op: 'compact', request: { revision: 3 } });
    const w = sm.watch({ key: k('a'), startRevision: 3 });
    const r = await w.next();
    expect([r?.canceled, r?.compactRevision, r?.events.length]).toEqual([true, 3, 0]);
    expect(await w.next()).toBeUndefined();
    const ok4 = sm.watch({ key: k('a'), startRevision: 4 });
    await until(() => ok4.state === 'synced', 'synced');
    expect(ok4.closed).toBe(false);
  });

  it('resumes without gap or duplicate from the revision after the last one seen', async () => {
    const { sm } = await openMemory();
    const w = sm.watch({ key: k('a'), rangeEnd: k('b') });
    await apply(sm, put('a', '1'), put('a', '2'));
    const seen = drain(w);
    w.cancel();
    await apply(sm, put('a', '3'));
    const last = seen.at(-1)!.events.at(-1)!.kv.modRevision;
    const resumed = sm.watch({ key: k('a'), rangeEnd: k('b'), startRevision: last + 1 });
    await until(() => resumed.state === 'synced', 'catch-up');
    await apply(sm, put('a', '4'));
    expect([...evs(seen), ...evs(drain(resumed))]).toEqual([
      'PUT a@2',
      'PUT a@3',
      'PUT a@4',
      'PUT a@5',
    ]);
  });

  it('a slow watcher is cancelled with a reason once its buffer is full, instead of growing without limit', async () => {
    const { sm } = await openMemory({ watchBufferEventsMax: 3 });
    const w = sm.watch({ key: k('a'), rangeEnd: k('z') });
    for (let i = 0; i < 5; i++) await apply(sm, put('a', String(i)));
    const rs = drain(w);
    expect(evs(rs)).toEqual(['PUT a@2', 'PUT a@3', 'PUT a@4']);
    expect(rs.at(-1)!.canceled).toBe(true);
    expect(rs.at(-1)!.cancelReason).toMatch(/slow watcher.*startRevision 5/);
    expect(w.nextRevision).toBe(5);
    expect(sm.watcherCount).toBe(0);
  });

  it('history replay is paced by the consumer rather than cancelled', async () => {
    const { sm } = await openMemory({ watchBufferEventsMax: 4, readPageKeys: 2 });
    for (let i = 0; i < 10; i++) await apply(sm, put('a', String(i)));
    const w = sm.watch({ key: k('a'), startRevision: 2 });
    const got: WatchResponse[] = [];
    while (w.state !== 'synced' || w.buffered > 0) {
      const r = await w.next();
      if (r) got.push(r);
    }
    expect(evs(got).length).toBe(10);
    expect(w.closed).toBe(false);
  });

  it('requestProgress and progressTick send progress notifications with the current revision', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'));
    const notify = sm.watch({ key: k('a'), progressNotify: true });
    const quiet = sm.watch({ key: k('b') });
    sm.progressTick();
    expect(drain(notify)).toEqual([{ revision: 2, events: [] }]);
    expect(drain(quiet)).toEqual([]);
    await apply(sm, put('a', '2'));
    sm.progressTick(); // had an event since the last tick: no progress needed
    expect(evs(drain(notify))).toEqual(['PUT a@3']);
    sm.requestProgress();
    expect(drain(quiet)).toEqual([{ revision: 3, events: [] }]);
  });

  it('watchers are cancelled when the state is replaced by a snapshot restore', async () => {
    const { sm } = await openMemory();
    await ok(sm, put('a', '1'));
    const w = sm.watch({ key: k('a') });
    const source = (await openMemory()).sm;
    await ok(source, put('b', '1'));
    await sm.restore((await source.snapshot()).chunks);
    const r = drain(w);
    expect(r.at(-1)?.canceled).toBe(true);
    expect(r.at(-1)?.cancelReason).toMatch(/snapshot/);
  });
});
