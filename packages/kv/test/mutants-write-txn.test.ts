// Written for mutants that survived `pnpm mutation kv` (docs/testing.md,
// "Mutation testing"): what a txn's later ops see of its own earlier writes,
// and the checks and events of WriteTxn.commit.
import { MemoryLevel } from 'memory-level';
import { describe, expect, it } from 'vitest';
import { toKeyStr } from '../src/bytes.js';
import { KvInvariantError } from '../src/errors.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { Batch, KvState, ReadView } from '../src/store.js';
import type { KeyValue, RequestOp, TxnResponse } from '../src/index.js';
import { WriteTxn } from '../src/write-txn.js';
import { del, k, ok, openMemory, put } from './helpers.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('a txn sees its own earlier writes', () => {
  it("a range after puts and a delete in the same txn lists the txn's keys in key order", async () => {
    const { sm } = await openMemory();
    for (const cmd of [put('c', 'c0'), put('e', 'e0'), put('g', 'g0'), del('g')]) await ok(sm, cmd);
    const success: RequestOp[] = [
      { requestPut: { key: k('f'), value: k('f1') } }, // new, staged before a key staged below it
      { requestPut: { key: k('b'), value: k('b1') } }, // new
      { requestPut: { key: k('z'), value: k('z1') } }, // new, outside the range
      { requestPut: { key: k('c'), value: k('c1') } }, // existing, changed
      { requestDeleteRange: { key: k('e') } }, // existing, deleted
      { requestPut: { key: k('g'), value: k('g1') } }, // deleted before the txn: in the index, not live
      { requestRange: { key: k('a'), rangeEnd: k('y') } },
    ];
    const r = await ok<TxnResponse>(sm, {
      op: 'txn',
      request: { compare: [], success, failure: [] },
    });
    const kvs = r.responses[6]!.responseRange!.kvs;
    expect(kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`)).toEqual([
      'b=b1',
      'c=c1',
      'f=f1',
      'g=g1',
    ]);
  });

  it('a range of a single key changed earlier in the txn returns its new value', async () => {
    const { sm } = await openMemory();
    await ok(sm, put('a', 'old'));
    const r = await ok<TxnResponse>(sm, {
      op: 'txn',
      request: {
        compare: [],
        success: [
          { requestPut: { key: k('a'), value: k('new') } },
          { requestRange: { key: k('a') } },
        ],
        failure: [],
      },
    });
    expect(r.responses[1]!.responseRange!.kvs.map((kv) => text(kv.value))).toEqual(['new']);
  });

  it('refuses a txn that changes a key twice, saying so', async () => {
    const { sm } = await openMemory();
    const cmd = {
      op: 'txn' as const,
      request: {
        compare: [],
        success: [
          { requestPut: { key: k('a'), value: k('1') } },
          { requestDeleteRange: { key: k('a') } },
        ],
        failure: [],
      },
    };
    await expect(ok(sm, cmd)).rejects.toThrow(
      'InvalidRequestError: duplicate key given in txn request: a txn may change each key at most once',
    );
    expect(sm.revision).toBe(1);
  });
});

function expectInvariant(run: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(KvInvariantError);
  expect((thrown as Error).message).toBe(message);
}

describe('WriteTxn.commit', () => {
  function fresh(): {
    state: KvState;
    txn: WriteTxn;
    kv: (key: string, lease?: number) => KeyValue;
  } {
    const state = new KvState(
      new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }),
      DEFAULT_LIMITS,
    );
    const txn = new WriteTxn(state, new ReadView(state, undefined, undefined), false);
    const kv = (key: string, lease = 0): KeyValue => ({
      key: k(key),
      value: k('v'),
      createRevision: txn.rev,
      modRevision: txn.rev,
      version: 1,
      lease,
    });
    return { state, txn, kv };
  }

  it('returns one event per staged change, in staging order, and moves the revision by one', () => {
    const { state, txn, kv } = fresh();
    txn.stagePut(kv('b'), toKeyStr(k('b')), undefined, undefined);
    txn.stagePut(kv('a'), toKeyStr(k('a')), undefined, undefined);
    const events = txn.commit(new Batch());
    expect(events.map((e) => [text(e.key), e.main, e.sub])).toEqual([
      ['b', 2, 0],
      ['a', 2, 1],
    ]);
    expect(state.revision).toBe(2);
  });

  it('refuses to commit when the revision moved while the write was staged', () => {
    const { state, txn, kv } = fresh();
    txn.stagePut(kv('a'), toKeyStr(k('a')), undefined, undefined);
    state.revision++;
    expectInvariant(() => txn.commit(new Batch()), 'revision moved while a write was staged');
  });

  it('refuses to attach a key to a lease that vanished while the write was staged', () => {
    const { state, txn, kv } = fresh();
    state.leases.set(7, { id: 7, ttl: 60, checkpointTtl: -1, keys: new Set() });
    txn.stagePut(kv('a', 7), toKeyStr(k('a')), undefined, undefined);
    state.leases.delete(7);
    expectInvariant(
      () => txn.commit(new Batch()),
      'lease 7 vanished while a write to it was staged',
    );
  });
});
