// Member metadata (section 07) and HashKV: replicated, persisted, carried by
// snapshots, invisible to KV reads; the hash equal for equal histories.
import { describe, expect, it } from 'vitest';
import { KvStateMachine, type Command } from '../src/index.js';
import {
  apply,
  k,
  memoryDb,
  ok,
  openMemory,
  put,
  replayChunks as replay,
  snapshotChunks as collect,
} from './helpers.js';

const n1: Command = {
  op: 'member',
  request: {
    kind: 'set',
    id: 11,
    name: 'n1',
    peerUrls: ['http://127.0.0.1:2380'],
    clientUrls: ['http://127.0.0.1:2379'],
  },
};
const n2Learner: Command = {
  op: 'member',
  request: {
    kind: 'set',
    id: 22,
    name: 'n2',
    peerUrls: ['http://127.0.0.1:2480'],
    isLearner: true,
  },
};

describe('member metadata', () => {
  it('set creates and merges, remove deletes; no revision and no key is written', async () => {
    const { sm } = await openMemory();
    await ok(sm, n1);
    await ok(sm, n2Learner);
    // A partial set changes only what it names (member update: peer URLs; promote: the learner flag).
    await ok(sm, { op: 'member', request: { kind: 'set', id: 22, isLearner: false } });
    await ok(sm, {
      op: 'member',
      request: { kind: 'set', id: 11, peerUrls: ['http://127.0.0.1:2381'] },
    });
    expect(sm.members.list()).toEqual([
      {
        id: 11,
        name: 'n1',
        peerUrls: ['http://127.0.0.1:2381'],
        clientUrls: ['http://127.0.0.1:2379'],
        isLearner: false,
      },
      { id: 22, name: 'n2', peerUrls: ['http://127.0.0.1:2480'], clientUrls: [], isLearner: false },
    ]);
    await ok(sm, { op: 'member', request: { kind: 'remove', id: 22 } });
    expect(sm.members.list().map((m) => m.id)).toEqual([11]);
    expect(sm.revision).toBe(1);
    expect((await sm.range({ key: k('\0'), rangeEnd: k('\0') })).kvs).toEqual([]);
  });

  it('keepOnlyMember leaves one record, as a voter, and the reopened state agrees', async () => {
    const db = memoryDb();
    let sm = await KvStateMachine.open(db);
    await ok(sm, n1);
    await ok(sm, n2Learner);
    const changes = sm.members.changes;
    await sm.keepOnlyMember(22);
    const kept = {
      id: 22,
      name: 'n2',
      peerUrls: ['http://127.0.0.1:2480'],
      clientUrls: [],
      isLearner: false,
    };
    expect(sm.members.list()).toEqual([kept]);
    expect(sm.members.changes).toBeGreaterThan(changes);
    await sm.close();
    sm = await KvStateMachine.open(db);
    expect(sm.members.list()).toEqual([kept]);
    // A member with no record of its own: the table ends empty.
    await sm.keepOnlyMember(99);
    expect(sm.members.list()).toEqual([]);
    await sm.close();
  });

  it('refuses malformed requests with an error result on every replica', async () => {
    const { sm } = await openMemory();
    const bad = [
      { kind: 'set', id: 0 },
      { kind: 'set', id: 1, peerUrls: 'http://x' },
      { kind: 'set', id: 1, isLearner: 'yes' },
      { kind: 'rename', id: 1 },
    ];
    const results = await apply(
      sm,
      ...bad.map((request) => ({ op: 'member', request }) as Command),
    );
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false]);
    expect(sm.members.list()).toEqual([]);
  });

  it('survives a reopen and travels in a snapshot', async () => {
    const db = memoryDb();
    let sm = await KvStateMachine.open(db);
    await apply(sm, n1, n2Learner, put('a', '1'));
    await sm.close();
    sm = await KvStateMachine.open(db);
    expect(sm.members.list().map((m) => [m.id, m.name, m.isLearner])).toEqual([
      [11, 'n1', false],
      [22, 'n2', true],
    ]);
    const chunks = await collect(await sm.snapshot());
    const { sm: other } = await openMemory();
    await other.restore(replay(chunks));
    expect(other.members.list()).toEqual(sm.members.list());
  });
});

describe('hashKv', () => {
  it('is equal for equal histories, differs after a different write, and follows the revision asked for', async () => {
    const a = (await openMemory()).sm;
    const b = (await openMemory()).sm;
    for (const sm of [a, b]) await apply(sm, put('x', '1'), put('y', '2'), n1, put('x', '3'));
    const ha = await a.hashKv();
    expect(ha).toEqual(await b.hashKv());
    expect(ha.hashRevision).toBe(4);
    expect(ha.revision).toBe(4);
    await apply(a, put('z', '1'));
    await apply(b, put('z', '2'));
    expect((await a.hashKv()).hash).not.toBe((await b.hashKv()).hash);
    // History up to revision 4 is still the same on both.
    expect((await a.hashKv(4)).hash).toBe(ha.hash);
    expect((await b.hashKv(4)).hash).toBe(ha.hash);
    // Member metadata is not MVCC history: it leaves the hash alone.
    await apply(a, n2Learner);
    expect((await a.hashKv(4)).hash).toBe(ha.hash);
  });

  it('is the same after a snapshot restore and refuses future and compacted revisions', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('x', '1'), put('x', '2'), put('y', '1'), {
      op: 'compact',
      request: { revision: 2 },
    });
    const before = await sm.hashKv();
    expect(before.compactRevision).toBe(2);
    const { sm: other } = await openMemory();
    await other.restore(replay(await collect(await sm.snapshot())));
    expect(await other.hashKv()).toEqual(before);
    await expect(sm.hashKv(9)).rejects.toMatchObject({ name: 'FutureRevisionError' });
    await expect(sm.hashKv(2)).rejects.toMatchObject({ name: 'CompactedError' });
  });
});
