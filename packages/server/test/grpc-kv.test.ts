// etcd's gRPC KV service over a real three-node cluster, driven by the
// `etcd3` npm client: put/get/range with prefix and revision, delete with
// prev_kv, txn, compaction error codes, and exactly-once metadata.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { Etcd3, GRPCOutOfRangeError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { rawClient, unaryCall } from './grpc-helpers.js';

let cluster: LocalCluster;
let follower: LocalMember;
let leader: LocalMember;
let etcd: Etcd3;

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 3, grpc: true });
  leader = await cluster.leader();
  follower = cluster.members.find((m) => m !== leader)!;
  // The client port itself (HTTP/1.1 JSON and HTTP/2 gRPC on one port); the other suites use the separate gRPC port.
  etcd = new Etcd3({ hosts: [follower.url] });
});

afterAll(async () => {
  etcd?.close();
  await cluster?.close();
});

describe('gRPC KV through the etcd3 client', () => {
  it('puts, gets, and ranges by prefix and at an older revision', async () => {
    await etcd.put('kv/a').value('1');
    const first = await etcd.put('kv/b').value('2').exec();
    await etcd.put('kv/b').value('3');
    await etcd.put('other').value('x');
    expect(await etcd.get('kv/a').string()).toBe('1');
    expect(await etcd.getAll().prefix('kv/').strings()).toEqual({ 'kv/a': '1', 'kv/b': '3' });
    const old = await etcd.getAll().prefix('kv/').revision(first.header.revision).strings();
    expect(old).toEqual({ 'kv/a': '1', 'kv/b': '2' });
    expect(await etcd.getAll().prefix('kv/').count()).toBe(2);
    const limited = await etcd.getAll().prefix('kv/').limit(1).sort('Key', 'Descend').exec();
    expect(limited.kvs.map((kv) => kv.key.toString())).toEqual(['kv/b']);
    expect(limited.more).toBe(true);
    expect(await etcd.get('missing').string()).toBeNull();
  });

  it('applies min/max mod and create revision bounds after the read, then the limit, as etcd does', async () => {
    const revs: number[] = [];
    for (const k of ['b/1', 'b/2', 'b/3'])
      revs.push((await etcd.put(k).value('x').exec()).header.revision as unknown as number);
    const [c1, c2, c3] = revs.map(Number) as [number, number, number];
    const kv = rawClient(follower.grpc!.endpoint, 'KV');
    const range = (
      extra: object,
    ): Promise<{ kvs?: { key: string }[]; more?: boolean; count?: string }> =>
      unaryCall(kv, 'Range', {
        key: Buffer.from('b/').toString('base64'),
        range_end: Buffer.from('b0').toString('base64'),
        ...extra,
      }) as Promise<never>;
    const predecessor = await range({
      max_create_revision: String(c3 - 1),
      sort_order: 2,
      sort_target: 2,
      limit: '1',
    });
    expect(predecessor.kvs?.map((k) => Buffer.from(k.key, 'base64').toString())).toEqual(['b/2']);
    expect(predecessor.more).toBe(true);
    expect(predecessor.count).toBe('3');
    const newest = await range({ min_mod_revision: String(c3) });
    expect(newest.kvs?.map((k) => Buffer.from(k.key, 'base64').toString())).toEqual(['b/3']);
    const middle = await range({ min_create_revision: String(c2), max_mod_revision: String(c2) });
    expect(middle.kvs?.map((k) => Buffer.from(k.key, 'base64').toString())).toEqual(['b/2']);
    expect(c1).toBeLessThan(c2);
    const nested = (await unaryCall(kv, 'Txn', {
      success: [
        {
          request_range: {
            key: Buffer.from('b/1').toString('base64'),
            max_create_revision: String(c1),
          },
        },
      ],
    }).catch((e: unknown) => e)) as ServiceError;
    expect(nested.code).toBe(3);
    kv.close();
  });

  it('deletes a prefix and returns the previous values', async () => {
    await etcd.put('del/1').value('a');
    await etcd.put('del/2').value('b');
    const res = await etcd.delete().prefix('del/').getPrevious();
    expect(res.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`).sort()).toEqual([
      'del/1=a',
      'del/2=b',
    ]);
    expect(await etcd.getAll().prefix('del/').keys()).toEqual([]);
  });

  it('runs a txn with compares and both branches', async () => {
    await etcd.put('txn/k').value('v1');
    const ok = await etcd
      .if('txn/k', 'Value', '==', 'v1')
      .then(etcd.put('txn/k').value('v2'))
      .else(etcd.get('txn/k'))
      .commit();
    expect(ok.succeeded).toBe(true);
    const no = await etcd
      .if('txn/k', 'Value', '==', 'v1')
      .then(etcd.put('txn/k').value('v3'))
      .else(etcd.get('txn/k'))
      .commit();
    expect(no.succeeded).toBe(false);
    expect(no.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('v2');
    const created = await etcd
      .if('txn/new', 'Create', '==', 0)
      .then(etcd.put('txn/new').value('x'))
      .commit();
    expect(created.succeeded).toBe(true);
  });

  it("refuses reads below the compacted revision with OUT_OF_RANGE and etcd's message", async () => {
    const a = await etcd.put('cmp/k').value('1').exec();
    await etcd.put('cmp/k').value('2');
    const b = await etcd.put('cmp/k').value('3').exec();
    const kv = rawClient(follower.grpc!.endpoint, 'KV');
    await unaryCall(kv, 'Compact', { revision: b.header.revision, physical: true });
    const err = await etcd
      .get('cmp/k')
      .revision(a.header.revision)
      .string()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GRPCOutOfRangeError);
    expect((err as Error).message).toContain(
      'etcdserver: mvcc: required revision has been compacted',
    );
    const raw = (await unaryCall(kv, 'Range', {
      key: Buffer.from('cmp/k').toString('base64'),
      revision: String(a.header.revision),
    }).catch((e: unknown) => e)) as ServiceError;
    expect(raw.code).toBe(11);
    expect(raw.details).toBe('etcdserver: mvcc: required revision has been compacted');
    const future = (await unaryCall(kv, 'Range', {
      key: Buffer.from('cmp/k').toString('base64'),
      revision: String(Number(b.header.revision) + 1000),
    }).catch((e: unknown) => e)) as ServiceError;
    expect(future.code).toBe(11);
    expect(future.details).toBe('etcdserver: mvcc: required revision is a future revision');
    kv.close();
  });

  it('applies a write retried with the same client id and seq metadata once, and refuses an older seq', async () => {
    const md = (seq: string): Metadata => {
      const m = new Metadata();
      m.set('x-flotilla-client-id', 'grpc-test-client');
      m.set('x-flotilla-seq', seq);
      return m;
    };
    const onFollower = rawClient(follower.grpc!.endpoint, 'KV');
    const onLeader = rawClient(leader.grpc!.endpoint, 'KV');
    const put = {
      key: Buffer.from('once').toString('base64'),
      value: Buffer.from('v').toString('base64'),
    };
    const revisionOf = (res: unknown): number =>
      Number((res as { header: { revision: string } }).header.revision);
    const first = revisionOf(await unaryCall(onFollower, 'Put', put, md('1')));
    expect(revisionOf(await unaryCall(onLeader, 'Put', put, md('1')))).toBe(first);
    expect(revisionOf(await unaryCall(onFollower, 'Put', put, md('2')))).toBe(first + 1);
    const stale = (await unaryCall(onFollower, 'Put', put, md('1')).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect(stale.code).toBe(9);
    const bad = (await unaryCall(onFollower, 'Put', put, md('zero')).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect(bad.code).toBe(3);
    expect(bad.details).toContain('x-flotilla-seq');
    const range = (await unaryCall(onFollower, 'Range', { key: put.key })) as {
      kvs: { version: string }[];
    };
    expect(range.kvs[0]?.version).toBe('2');
    onFollower.close();
    onLeader.close();
  });
});
