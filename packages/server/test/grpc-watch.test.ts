// etcd's Watch RPC over a real three-node cluster: the etcd3 client's watcher
// (start revision, prev_kv, deletes) and the raw stream's etcd semantics
// (watch ids, duplicate ids, empty ranges, cancel, progress, compaction,
// fragments).
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemberDirectory,
  servedNode,
  startLocalCluster,
  type LocalCluster,
  type LocalMember,
} from '../src/index.js';
import { startGrpcServer, type RunningGrpcServer } from '../src/grpc/server.js';
import { WatchCancelText } from '../src/grpc/watch-stream.js';
import {
  b64,
  rawClient,
  rawStream,
  text,
  unaryCall,
  until,
  type RawStream,
} from './grpc-helpers.js';

interface WatchRes {
  header?: { revision?: string };
  watch_id?: string;
  created?: boolean;
  canceled?: boolean;
  cancel_reason?: string;
  compact_revision?: string;
  fragment?: boolean;
  events?: {
    type?: number;
    kv: { key: string; value?: string; mod_revision: string };
    prev_kv?: { value?: string };
  }[];
}

let cluster: LocalCluster;
let member: LocalMember;
let etcd: Etcd3;

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 3, grpc: true });
  const leader = await cluster.leader();
  member = cluster.members.find((m) => m !== leader)!;
  etcd = new Etcd3({ hosts: [`http://${member.grpc!.endpoint}`] });
});

afterAll(async () => {
  etcd?.close();
  await cluster?.close();
});

function openWatch(endpoint = member.grpc!.endpoint): RawStream<WatchRes> & { close(): void } {
  const client = rawClient(endpoint, 'Watch');
  const stream = rawStream<WatchRes>(client, 'Watch');
  return {
    ...stream,
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}

describe('gRPC Watch', () => {
  it('replays from a start revision with previous values, then follows live writes (etcd3 watcher)', async () => {
    const r1 = await etcd.put('w/a').value('1').exec();
    await etcd.put('w/a').value('2');
    await etcd.delete().key('w/a');
    const seen: string[] = [];
    const watcher = await etcd
      .watch()
      .prefix('w/')
      .startRevision(r1.header.revision)
      .withPreviousKV()
      .create();
    watcher.on('put', (kv, prev) =>
      seen.push(
        `put ${kv.key.toString()}=${kv.value.toString()} prev=${prev?.value.toString() ?? '-'}`,
      ),
    );
    watcher.on('delete', (kv, prev) =>
      seen.push(`del ${kv.key.toString()} prev=${prev?.value.toString() ?? '-'}`),
    );
    await etcd.put('w/b').value('3');
    await until('four events', () => (seen.length >= 4 ? true : undefined));
    expect(seen).toEqual([
      'put w/a=1 prev=-',
      'put w/a=2 prev=1',
      'del w/a prev=2',
      'put w/b=3 prev=-',
    ]);
    await watcher.cancel();
  });

  it('numbers watchers per stream, refuses a duplicate id and an empty range, cancels and answers progress requests as etcd 3.4 does', async () => {
    const w = openWatch();
    w.write({ create_request: { key: b64('x/'), range_end: b64('x0') } });
    const first = await w.next();
    expect(first).toMatchObject({ created: true });
    expect(first.watch_id ?? '0').toBe('0');
    w.write({ create_request: { key: b64('x/one') } });
    expect(await w.next()).toMatchObject({ created: true, watch_id: '1' });
    w.write({ create_request: { key: b64('x/two'), watch_id: '1' } });
    expect(await w.next()).toMatchObject({
      created: true,
      canceled: true,
      watch_id: '-1',
      cancel_reason: WatchCancelText.duplicateId,
    });
    w.write({ create_request: { key: b64('b'), range_end: b64('a') } });
    expect(await w.next()).toMatchObject({
      created: true,
      canceled: true,
      watch_id: '-1',
      cancel_reason: WatchCancelText.emptyRange,
    });
    const put = (await etcd.put('x/one').value('v').exec()).header.revision;
    const events = [await w.next(), await w.next()].sort(
      (a, b) => Number(a.watch_id ?? 0) - Number(b.watch_id ?? 0),
    );
    expect(
      events.map((e) => [e.watch_id ?? '0', e.header?.revision, text(e.events?.[0]?.kv.key)]),
    ).toEqual([
      ['0', put, 'x/one'],
      ['1', put, 'x/one'],
    ]);
    w.write({ cancel_request: { watch_id: '1' } });
    expect(await w.next()).toMatchObject({ canceled: true, watch_id: '1' });
    w.write({ cancel_request: { watch_id: '99' } }); // unknown: no answer
    w.write({ progress_request: {} });
    const progress = await w.next();
    expect(progress).toMatchObject({ watch_id: '-1' });
    expect(progress.canceled).toBeUndefined();
    expect(Number(progress.header?.revision)).toBeGreaterThanOrEqual(Number(put));
    await etcd.put('x/one').value('w');
    const after = await w.next();
    expect(after.watch_id ?? '0').toBe('0'); // watcher 1 was cancelled
    w.write({ create_request: { key: b64('x/three') } });
    expect(await w.next()).toMatchObject({ created: true, watch_id: '2' });
    w.close();
  });

  it('honours filters and creates a watch on "\\0" for an empty key', async () => {
    const w = openWatch();
    w.write({ create_request: { key: b64('f/'), range_end: b64('f0'), filters: [0] } }); // NOPUT
    await w.next();
    await etcd.put('f/k').value('1');
    await etcd.delete().key('f/k');
    const del = await w.next();
    expect(del.events?.map((e) => e.type)).toEqual([1]);
    w.write({ create_request: {} });
    expect(await w.next()).toMatchObject({ created: true, watch_id: '1' });
    w.close();
  });

  it('creates, then cancels with compact_revision, a watch that starts below the compacted revision', async () => {
    await etcd.put('c/k').value('1');
    const last = await etcd.put('c/k').value('2').exec();
    await unaryCall(rawClient(member.grpc!.endpoint, 'KV'), 'Compact', {
      revision: last.header.revision,
    });
    const w = openWatch();
    w.write({ create_request: { key: b64('c/k'), start_revision: '1' } });
    expect(await w.next()).toMatchObject({ created: true });
    const cancel = await w.next();
    expect(cancel).toMatchObject({ canceled: true, compact_revision: last.header.revision });
    expect(cancel.cancel_reason).toBeUndefined();
    w.close();
  });

  describe('fragments', () => {
    let small: RunningGrpcServer;
    beforeAll(async () => {
      const node = servedNode(member.node, { directory: new MemberDirectory([]) });
      small = await startGrpcServer({ node, watchFragmentBytes: 200 });
    });
    afterAll(async () => {
      await small?.close();
    });

    it('splits a large response into fragments only when the watcher asked for it', async () => {
      const plain = openWatch(small.endpoint);
      const split = openWatch(small.endpoint);
      plain.write({ create_request: { key: b64('big/'), range_end: b64('big0') } });
      split.write({ create_request: { key: b64('big/'), range_end: b64('big0'), fragment: true } });
      await plain.next();
      await split.next();
      const value = 'v'.repeat(120);
      await etcd
        .if('big/none', 'Create', '==', 0)
        .then(
          etcd.put('big/1').value(value),
          etcd.put('big/2').value(value),
          etcd.put('big/3').value(value),
        )
        .commit();
      const whole = await plain.next();
      expect(whole.events).toHaveLength(3);
      expect(whole.fragment).toBeUndefined();
      const parts: WatchRes[] = [];
      do parts.push(await split.next());
      while (parts.at(-1)!.fragment);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.flatMap((p) => p.events ?? []).map((e) => text(e.kv.key))).toEqual([
        'big/1',
        'big/2',
        'big/3',
      ]);
      expect(new Set(parts.map((p) => p.header?.revision)).size).toBe(1);
      plain.close();
      split.close();
    });

    it('refuses watchers over watchersMax (created+canceled with the reason) and admits again after a cancel', async () => {
      const limited = await startGrpcServer({
        node: servedNode(member.node, { directory: new MemberDirectory([]) }),
        watchersMax: 3,
      });
      const w = openWatch(limited.endpoint);
      for (let i = 0; i < 3; i++) {
        w.write({ create_request: { key: b64(`lim/${i}`) } });
        const created = await w.next();
        expect([created.created, created.watch_id ?? '0']).toEqual([true, String(i)]);
      }
      w.write({ create_request: { key: b64('lim/3') } });
      const refused = await w.next();
      expect(refused).toMatchObject({ created: true, canceled: true, watch_id: '-1' });
      expect(refused.cancel_reason).toContain('watchersMax');
      w.write({ cancel_request: { watch_id: '2' } });
      expect(await w.next()).toMatchObject({ canceled: true, watch_id: '2' });
      w.write({ create_request: { key: b64('lim/3') } });
      expect(await w.next()).toMatchObject({ created: true, watch_id: '3' }); // ids count up, as etcd's do: 2 is not reused
      w.close();
      await limited.close();
    });
  });
});
