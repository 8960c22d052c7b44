import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  encodeCommand,
  FutureRevisionError,
  prefixEnd,
  text,
  type DeleteRangeResponse,
  type PutResponse,
  type RangeResponse,
  type TxnResponse,
} from '../src/index.js';
import { apply, del, k, ok, openMemory, put } from './helpers.js';

const keys = (r: RangeResponse): string[] => r.kvs.map((kv) => text(kv.key));

describe('revisions', () => {
  it('start at 1 and grow by one per write; a txn with several writes is one revision', async () => {
    const { sm } = await openMemory();
    expect(sm.revision).toBe(1);
    await apply(sm, put('a', '1'), put('b', '2'));
    expect(sm.revision).toBe(3);
    const r = await ok<TxnResponse>(sm, {
      op: 'txn',
      request: {
        compare: [],
        success: [
          { requestPut: { key: k('c'), value: k('3') } },
          { requestDeleteRange: { key: k('a') } },
        ],
        failure: [],
      },
    });
    expect(r.header.revision).toBe(4);
    expect(sm.revision).toBe(4);
  });

  it('a write that changes nothing (delete of a missing key, read-only txn) does not bump the revision, as in etcd', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'));
    const d = await ok<DeleteRangeResponse>(sm, del('zzz'));
    expect(d).toEqual({ header: { revision: 2 }, deleted: 0, prevKvs: [] });
    await ok(sm, {
      op: 'txn',
      request: { compare: [], success: [{ requestRange: { key: k('a') } }], failure: [] },
    });
    expect(sm.revision).toBe(2);
  });

  it('keys carry createRevision, modRevision, version and lease; a delete resets the generation', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'), put('a', '2'), del('a'), put('a', '3'));
    const [kv] = (await sm.range({ key: k('a') })).kvs;
    expect({ ...kv, key: text(kv!.key), value: text(kv!.value) }).toEqual({
      key: 'a',
      value: '3',
      createRevision: 5,
      modRevision: 5,
      version: 1,
      lease: 0,
    });
  });
});

describe('range', () => {
  async function seeded() {
    const { sm } = await openMemory();
    await apply(
      sm,
      put('a', 'x'),
      put('b/1', 'yy'),
      put('b/2', 'z'),
      put('c', 'wwww'),
      put('b/1', 'y2'),
    );
    return sm;
  }

  it('selects a single key, [key, rangeEnd), a prefix and everything from a key', async () => {
    const sm = await seeded();
    expect(keys(await sm.range({ key: k('b/1') }))).toEqual(['b/1']);
    expect(keys(await sm.range({ key: k('a'), rangeEnd: k('b/2') }))).toEqual(['a', 'b/1']);
    expect(keys(await sm.range({ key: k('b/'), rangeEnd: prefixEnd(k('b/')) }))).toEqual([
      'b/1',
      'b/2',
    ]);
    expect(keys(await sm.range({ key: k('b/2'), rangeEnd: new Uint8Array([0]) }))).toEqual([
      'b/2',
      'c',
    ]);
    expect(keys(await sm.range({ key: k('c'), rangeEnd: k('a') }))).toEqual([]);
  });

  it('limit reports more and the full count; countOnly and keysOnly', async () => {
    const sm = await seeded();
    const r = await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]), limit: 2 });
    expect([keys(r), r.more, r.count, r.header.revision]).toEqual([['a', 'b/1'], true, 4, 6]);
    const c = await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]), countOnly: true });
    expect([c.kvs.length, c.count, c.more]).toEqual([0, 4, false]);
    const ko = await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]), keysOnly: true });
    expect(ko.kvs.every((kv) => kv.value.byteLength === 0 && kv.modRevision > 0)).toBe(true);
  });

  it('sorts by key, version, create, mod and value, ascending and descending', async () => {
    const sm = await seeded();
    const all = { key: k('a'), rangeEnd: new Uint8Array([0]) };
    expect(keys(await sm.range({ ...all, sortOrder: 'DESCEND' }))).toEqual([
      'c',
      'b/2',
      'b/1',
      'a',
    ]);
    expect(keys(await sm.range({ ...all, sortTarget: 'MOD', sortOrder: 'DESCEND' }))).toEqual([
      'b/1',
      'c',
      'b/2',
      'a',
    ]);
    expect(
      keys(await sm.range({ ...all, sortTarget: 'VERSION', sortOrder: 'DESCEND', limit: 1 })),
    ).toEqual(['b/1']);
    expect(keys(await sm.range({ ...all, sortTarget: 'CREATE', sortOrder: 'ASCEND' }))).toEqual([
      'a',
      'b/1',
      'b/2',
      'c',
    ]);
    expect(keys(await sm.range({ ...all, sortTarget: 'VALUE' }))).toEqual(['c', 'a', 'b/1', 'b/2']);
  });

  it('reads the past at a revision until it is compacted; a compacted or future revision is a typed error', async () => {
    const sm = await seeded();
    const past = await sm.range({ key: k('b/1'), revision: 3 });
    expect(text(past.kvs[0]!.value)).toBe('yy');
    expect((await sm.range({ key: k('c'), revision: 3 })).kvs).toEqual([]);
    await expect(sm.range({ key: k('a'), revision: 99 })).rejects.toBeInstanceOf(
      FutureRevisionError,
    );
    await ok(sm, { op: 'compact', request: { revision: 4 } });
    const err = await sm.range({ key: k('a'), revision: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompactedError);
    expect((err as CompactedError).compactRevision).toBe(4);
    // At the compaction revision itself the state is still readable.
    expect(text((await sm.range({ key: k('b/1'), revision: 4 })).kvs[0]!.value)).toBe('yy');
  });

  it('caps a range at rangeKeysMax and rangeBytesMax so a huge range cannot exhaust memory; more says to continue', async () => {
    const { sm } = await openMemory({ rangeKeysMax: 3, rangeBytesMax: 10, readPageKeys: 2 });
    await apply(sm, ...['a', 'b', 'c', 'd', 'e'].map((x) => put(x, '1234')));
    const byKeys = await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]), keysOnly: true });
    expect([keys(byKeys), byKeys.more, byKeys.count]).toEqual([['a', 'b', 'c'], true, 5]);
    const byBytes = await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]) });
    expect([keys(byBytes), byBytes.more]).toEqual([['a', 'b'], true]);
    const next = await sm.range({ key: k('b\0'), rangeEnd: new Uint8Array([0]) });
    expect(keys(next)).toEqual(['c', 'd']);
  });
});

describe('put and deleteRange', () => {
  it('put returns prevKv on request, keeps value with ignoreValue and lease with ignoreLease', async () => {
    const { sm } = await openMemory();
    await apply(
      sm,
      { op: 'leaseGrant', request: { id: 7, ttl: 10 } },
      put('a', 'one', { lease: 7 }),
    );
    const r = await ok<PutResponse>(sm, put('a', 'two', { prevKv: true, ignoreLease: true }));
    expect(text(r.prevKv!.value)).toBe('one');
    await ok(sm, {
      op: 'put',
      request: { key: k('a'), value: new Uint8Array(0), ignoreValue: true, lease: 0 },
    });
    const [kv] = (await sm.range({ key: k('a') })).kvs;
    expect([text(kv!.value), kv!.lease, kv!.version]).toEqual(['two', 0, 3]);
  });

  it('ignoreValue/ignoreLease on a missing key and an unknown lease are typed errors that change nothing', async () => {
    const { sm } = await openMemory();
    const [a, b] = await apply(
      sm,
      { op: 'put', request: { key: k('x'), value: new Uint8Array(0), ignoreValue: true } },
      put('y', '1', { lease: 5 }),
    );
    expect(a!.ok ? '' : a!.error.name).toBe('KeyNotFoundError');
    expect(b!.ok ? '' : b!.error.name).toBe('LeaseNotFoundError');
    expect(sm.revision).toBe(1);
  });

  it('deleteRange deletes a range in one revision and returns prevKvs', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'), put('b', '2'), put('c', '3'));
    const r = await ok<DeleteRangeResponse>(sm, del('a', 'c', true));
    expect([r.deleted, r.prevKvs.map((kv) => text(kv.value)), r.header.revision]).toEqual([
      2,
      ['1', '2'],
      5,
    ]);
    expect(keys(await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]) }))).toEqual(['c']);
  });
});

describe('txn', () => {
  it('compares value, version, createRevision, modRevision and lease with = != < >', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', 'm'), put('a', 'm'));
    const cases: [Record<string, unknown>, boolean][] = [
      [{ target: 'VALUE', result: 'EQUAL', value: k('m') }, true],
      [{ target: 'VALUE', result: 'GREATER', value: k('a') }, true],
      [{ target: 'VALUE', result: 'LESS', value: k('a') }, false],
      [{ target: 'VERSION', result: 'EQUAL', version: 2 }, true],
      [{ target: 'VERSION', result: 'NOT_EQUAL', version: 2 }, false],
      [{ target: 'CREATE', result: 'EQUAL', createRevision: 2 }, true],
      [{ target: 'MOD', result: 'GREATER', modRevision: 2 }, true],
      [{ target: 'MOD', result: 'LESS', modRevision: 3 }, false],
      [{ target: 'LEASE', result: 'EQUAL', lease: 0 }, true],
    ];
    for (const [cmp, expected] of cases) {
      const r = await ok<TxnResponse>(sm, {
        op: 'txn',
        request: { compare: [{ key: k('a'), ...cmp } as never], success: [], failure: [] },
      });
      expect(r.succeeded, JSON.stringify(cmp)).toBe(expected);
    }
    // A missing key compares as version 0, and any value compare on it fails.
    const missing = await ok<TxnResponse>(sm, {
      op: 'txn',
      request: {
        compare: [
          { key: k('nope'), target: 'VERSION', result: 'EQUAL', version: 0 },
          { key: k('nope'), target: 'VALUE', result: 'NOT_EQUAL', value: k('x') },
        ],
        success: [],
        failure: [],
      },
    });
    expect(missing.succeeded).toBe(false);
  });

  it('runs the chosen branch (with nested txns and ranges that see earlier writes) atomically in one revision', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'));
    const r = await ok<TxnResponse>(sm, {
      op: 'txn',
      request: {
        compare: [{ key: k('a'), target: 'VALUE', result: 'EQUAL', value: k('1') }],
        success: [
          { requestPut: { key: k('b'), value: k('2') } },
          { requestRange: { key: k('a'), rangeEnd: k('z') } },
          {
            requestTxn: {
              compare: [{ key: k('b'), target: 'VERSION', result: 'EQUAL', version: 0 }],
              success: [{ requestPut: { key: k('c'), value: k('3') } }],
              failure: [],
            },
          },
        ],
        failure: [{ requestPut: { key: k('f'), value: k('x') } }],
      },
    });
    expect(r.succeeded).toBe(true);
    expect(r.responses[1]!.responseRange!.kvs.map((kv) => text(kv.key))).toEqual(['a', 'b']);
    // Nested compares see the state before the txn (b did not exist yet), as in etcd.
    expect(r.responses[2]!.responseTxn!.succeeded).toBe(true);
    expect(sm.revision).toBe(3);
    expect(keys(await sm.range({ key: k('a'), rangeEnd: k('z') }))).toEqual(['a', 'b', 'c']);
  });

  it('a txn that fails part-way (duplicate key, unknown lease) changes nothing', async () => {
    const { sm } = await openMemory();
    const [dup, lease] = await apply(
      sm,
      {
        op: 'txn',
        request: {
          compare: [],
          success: [
            { requestPut: { key: k('a'), value: k('1') } },
            { requestPut: { key: k('a'), value: k('2') } },
          ],
          failure: [],
        },
      },
      {
        op: 'txn',
        request: {
          compare: [],
          success: [
            { requestPut: { key: k('b'), value: k('1') } },
            { requestPut: { key: k('c'), value: k('1'), lease: 9 } },
          ],
          failure: [],
        },
      },
    );
    expect([dup!.ok ? '' : dup!.error.name, lease!.ok ? '' : lease!.error.name]).toEqual([
      'InvalidRequestError',
      'LeaseNotFoundError',
    ]);
    expect(sm.revision).toBe(1);
    expect((await sm.range({ key: k('a'), rangeEnd: new Uint8Array([0]) })).count).toBe(0);
  });
});

describe('limits and malformed input', () => {
  it('oversized keys, values, txns and requests are typed errors', async () => {
    const { sm } = await openMemory({
      keyBytesMax: 8,
      valueBytesMax: 16,
      txnOpsMax: 2,
      requestBytesMax: 200,
    });
    const ops = [0, 1, 2].map((i) => ({ requestPut: { key: k(`k${i}`), value: k('v') } }));
    const results = await apply(
      sm,
      put('a-very-long-key', 'v'),
      put('a', 'x'.repeat(17)),
      { op: 'txn', request: { compare: [], success: ops, failure: [] } },
      put('a', 'x'.repeat(16)),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.error.name))).toEqual([
      'KeyTooLargeError',
      'ValueTooLargeError',
      'TooManyOpsError',
      'ok',
    ]);
    // 201 bytes of otherwise valid msgpack padding: the size check comes before decoding.
    const padded = encodeCommand({
      cmd: { op: 'put', request: { key: k('p'), value: new Uint8Array(0) } },
      pad: 'x'.repeat(170),
    } as never);
    expect(padded.byteLength).toBeGreaterThan(200);
    const [tooBig] = await sm.applyEntries([{ index: sm.appliedIndex + 1, data: padded }]);
    expect(tooBig!.ok ? '' : tooBig!.error.name).toBe('RequestTooLargeError');
  });

  it('garbage and ill-typed entries yield the same InvalidRequestError on every replica, never a crash', async () => {
    const a = (await openMemory()).sm;
    const b = (await openMemory()).sm;
    const bad = [
      new Uint8Array([0xc1]),
      new Uint8Array([1, 2, 3]),
      encodeCommand({ cmd: { op: 'put', request: { key: 'not bytes' } } } as never),
      encodeCommand({ cmd: { op: 'explode', request: {} } } as never),
      encodeCommand({ cmd: { op: 'put', request: { key: new Uint8Array(0), value: k('v') } } }),
      encodeCommand({ clientId: '', seq: 1, cmd: { op: 'compact', request: { revision: 1 } } }),
      encodeCommand({
        cmd: { op: 'txn', request: { compare: [{ key: k('a') }], success: [], failure: [] } },
      } as never),
    ];
    const entries = bad.map((data, i) => ({ index: i + 1, data }));
    const ra = await a.applyEntries(entries);
    const rb = await b.applyEntries(entries);
    expect(ra.map((r) => (r.ok ? 'ok' : r.error.name))).toEqual(
      bad.map(() => 'InvalidRequestError'),
    );
    expect(ra.map((r) => (r.ok ? '' : r.error.message))).toEqual(
      rb.map((r) => (r.ok ? '' : r.error.message)),
    );
    expect(a.appliedIndex).toBe(bad.length);
  });

  it('an empty entry (raft no-op) only advances the applied index', async () => {
    const { sm } = await openMemory();
    const [r] = await sm.applyEntries([{ index: 5, data: new Uint8Array(0) }]);
    expect(r).toEqual({ index: 5, ok: true, response: { header: { revision: 1 } } });
    expect([sm.appliedIndex, sm.revision]).toEqual([5, 1]);
    await expect(sm.applyEntries([{ index: 5, data: new Uint8Array(0) }])).rejects.toThrow(
      /not above the applied index/,
    );
  });
});

describe('compaction', () => {
  it('drops history up to a revision, refuses future or already-compacted revisions, and keeps current state', async () => {
    const { sm } = await openMemory();
    await apply(sm, put('a', '1'), put('a', '2'), put('b', '1'), del('b'));
    const results = await apply(
      sm,
      { op: 'compact', request: { revision: 9 } },
      { op: 'compact', request: { revision: 4 } },
      { op: 'compact', request: { revision: 3 } },
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.error.name))).toEqual([
      'FutureRevisionError',
      'ok',
      'CompactedError',
    ]);
    expect(sm.compactRevision).toBe(4);
    await ok(sm, { op: 'compact', request: { revision: 5 } });
    // b's whole history (put, delete) is gone from the index; a keeps its latest version.
    expect(sm.indexedKeys).toBe(1);
    expect(text((await sm.range({ key: k('a') })).kvs[0]!.value)).toBe('2');
  });
});
