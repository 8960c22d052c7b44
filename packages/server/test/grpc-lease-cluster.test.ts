// etcd's Lease, Cluster and Maintenance RPCs over a real three-node cluster,
// the etcd3 client's Lock and Election recipes on top of them, and malformed
// requests answered with INVALID_ARGUMENT while the server keeps serving.
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { verifyBackup } from '@flotilla/backup';
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERVER_VERSION,
  startLocalCluster,
  type LocalCluster,
  type LocalMember,
} from '../src/index.js';
import { UNIMPLEMENTED_TEXT } from '../src/grpc/maintenance.js';
import { b64, rawClient, rawStream, text, unaryCall, until } from './grpc-helpers.js';

let cluster: LocalCluster;
let leader: LocalMember;
let follower: LocalMember;
let etcd: Etcd3;
let other: Etcd3;

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 3, grpc: true });
  leader = await cluster.leader();
  follower = cluster.members.find((m) => m !== leader)!;
  etcd = new Etcd3({ hosts: [`http://${follower.grpc!.endpoint}`] });
  other = new Etcd3({ hosts: [`http://${leader.grpc!.endpoint}`] });
});

afterAll(async () => {
  etcd?.close();
  other?.close();
  await cluster?.close();
});

const call = (
  service: 'KV' | 'Lease' | 'Cluster' | 'Maintenance',
  method: string,
  request: unknown,
  m: LocalMember = follower,
): Promise<unknown> => {
  const client = rawClient(m.grpc!.endpoint, service);
  return unaryCall(client, method, request).finally(() => client.close());
};
const failure = (p: Promise<unknown>): Promise<ServiceError> =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ServiceError) => e,
  );

describe('gRPC Lease', () => {
  it('grants, keeps alive, reports time-to-live with keys, and revokes (deleting the keys)', async () => {
    const lease = etcd.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('lease/a').value('1');
    await lease.put('lease/b').value('2');
    const kept = await lease.keepaliveOnce();
    expect(Number(kept.TTL)).toBeGreaterThan(0);
    const ttl = (await call('Lease', 'LeaseTimeToLive', { ID: id, keys: true })) as {
      TTL: string;
      grantedTTL: string;
      keys: string[];
    };
    expect(ttl.grantedTTL).toBe('30');
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
    expect(ttl.keys.map(text).sort()).toEqual(['lease/a', 'lease/b']);
    const leases = (await call('Lease', 'LeaseLeases', {})) as { leases: { ID: string }[] };
    expect(leases.leases.map((l) => l.ID)).toContain(id);
    await lease.revoke();
    expect(await etcd.getAll().prefix('lease/').keys()).toEqual([]);
    const gone = (await call('Lease', 'LeaseTimeToLive', { ID: id })) as { TTL: string };
    expect(gone.TTL).toBe('-1');
  });

  it('answers keep-alives in order on one stream, with TTL 0 for an unknown lease', async () => {
    const lease = etcd.lease(20, { autoKeepAlive: false });
    const id = await lease.grant();
    const client = rawClient(follower.grpc!.endpoint, 'Lease');
    const stream = rawStream<{ ID?: string; TTL?: string }>(client, 'LeaseKeepAlive');
    stream.write({ ID: id });
    stream.write({ ID: '12345' });
    stream.write({ ID: id });
    const answers = [await stream.next(), await stream.next(), await stream.next()];
    expect(
      answers.map((a) => [a.ID, a.TTL === undefined ? 0 : Number(a.TTL) > 0 ? 'live' : a.TTL]),
    ).toEqual([
      [id, 'live'],
      ['12345', 0],
      [id, 'live'],
    ]);
    stream.end();
    client.close();
    await lease.revoke();
  });

  it("refuses to revoke an unknown lease with NOT_FOUND and etcd's message", async () => {
    const err = await failure(call('Lease', 'LeaseRevoke', { ID: '777' }));
    expect(err.code).toBe(5);
    expect(err.details).toBe('etcdserver: requested lease not found');
  });
});

describe('etcd3 recipes over gRPC', () => {
  it('Lock: a second holder is refused until the first releases', async () => {
    const first = await etcd.lock('recipe-lock').ttl(10).acquire();
    await expect(other.lock('recipe-lock').ttl(10).acquire()).rejects.toBeInstanceOf(
      EtcdLockFailedError,
    );
    await first.release();
    const second = await other.lock('recipe-lock').ttl(10).acquire();
    await second.release();
  });

  it('Election: the first campaigner leads, the second takes over when it resigns', async () => {
    const a = etcd.election('recipe-election', 10).campaign('a');
    await a.wait();
    const b = other.election('recipe-election', 10).campaign('b');
    let bElected = false;
    b.on('elected', () => {
      bElected = true;
    });
    expect(await etcd.election('recipe-election').leader()).toBe('a');
    await a.proclaim('a2');
    expect(await other.election('recipe-election').leader()).toBe('a2');
    await a.resign();
    await until('b elected', () => (bElected ? true : undefined));
    expect(await etcd.election('recipe-election').leader()).toBe('b');
    await b.resign();
  });
});

describe('gRPC Cluster and Maintenance', () => {
  it('lists the members with names and URLs', async () => {
    const res = await etcd.cluster.memberList({});
    expect(res.members.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(res.members.find((m) => m.name === leader.name)?.ID).toBe(String(leader.id));
    expect(res.members.every((m) => m.peerURLs.length === 1 && m.clientURLs.length === 1)).toBe(
      true,
    );
  });

  it('reports status: leader, indexes, term and version', async () => {
    const s = await etcd.maintenance.status({});
    expect(s.leader).toBe(String(leader.id));
    expect(Number(s.raftIndex)).toBeGreaterThan(0);
    expect(Number(s.raftTerm)).toBeGreaterThan(0);
    expect(s.version).toBe(SERVER_VERSION);
    expect(s.header.member_id).toBe(String(follower.id));
  });

  it('lists no alarms, and answers Defragment with UNIMPLEMENTED and a reason', async () => {
    const alarms = (await call('Maintenance', 'Alarm', { action: 0 })) as {
      alarms?: unknown[];
      header: unknown;
    };
    expect(alarms.alarms).toBeUndefined();
    expect(alarms.header).toBeDefined();
    const defrag = await failure(call('Maintenance', 'Defragment', {}));
    expect([defrag.code, defrag.details]).toEqual([12, UNIMPLEMENTED_TEXT.Defragment]);
  });

  it('HashKV is equal on every member at the same revision and changes with a write', async () => {
    type Hash = { header: { revision: string }; hash: number; compact_revision?: string };
    const hashes = async (revision: string): Promise<Hash[]> =>
      (await Promise.all(
        cluster.members.map((m) => call('Maintenance', 'HashKV', { revision }, m)),
      )) as Hash[];
    await etcd.put('hash/a').value('1');
    const rev = (await etcd.put('hash/b').value('2').exec()).header.revision;
    // Every member answers for the same history once it has applied rev (a lagging one says "future revision").
    const first = await until('every member applied rev', () => hashes(rev).catch(() => undefined));
    expect(new Set(first.map((h) => h.hash)).size).toBe(1);
    expect(first.every((h) => (h.compact_revision ?? '0') === '0')).toBe(true); // proto3 leaves out 0
    const next = (await etcd.put('hash/a').value('3').exec()).header.revision;
    const second = await until('every member applied the write', () =>
      hashes(next).catch(() => undefined),
    );
    expect(new Set(second.map((h) => h.hash)).size).toBe(1);
    expect(second[0]!.hash).not.toBe(first[0]!.hash);
    // The history up to rev is unchanged, so its hash is too; the current one is what revision 0 asks for.
    expect((await hashes(rev)).map((h) => h.hash)).toEqual(first.map((h) => h.hash));
    const future = await failure(call('Maintenance', 'HashKV', { revision: '999999' }));
    expect(future.code).toBe(11); // OUT_OF_RANGE, etcd's "required revision is a future revision"
  });

  it('MemberUpdate changes peer URLs through the log: every member lists the new ones and dials there', async () => {
    const target = cluster.members.find((m) => m !== leader && m !== follower)!;
    const before = (await etcd.cluster.memberList({})).members.find((m) => m.name === target.name)!;
    // The same port under another name of the loopback address: the member stays reachable.
    const moved = before.peerURLs[0]!.replace('127.0.0.1', 'localhost');
    const res = (await call('Cluster', 'MemberUpdate', {
      ID: String(target.id),
      peerURLs: [moved],
    })) as { members: { name: string; peerURLs: string[] }[] };
    expect(res.members.find((m) => m.name === target.name)?.peerURLs).toEqual([moved]);
    for (const m of cluster.members) {
      const listed = await until(`${m.name} applied the update`, async () => {
        const list = (await call('Cluster', 'MemberList', {}, m)) as typeof res;
        const urls = list.members.find((x) => x.name === target.name)?.peerURLs;
        return urls?.[0] === moved ? list : undefined;
      });
      expect(listed.members).toHaveLength(3);
    }
    await etcd.put('after-update').value('1');
    const missing = await failure(
      call('Cluster', 'MemberUpdate', { ID: '12345', peerURLs: ['http://127.0.0.1:1'] }),
    );
    expect(missing.code).toBe(5); // NOT_FOUND, etcd's "member not found"
  });

  it('streams a snapshot that verifies as a Flotilla backup', async () => {
    await etcd.put('snap/k').value('v');
    const client = rawClient(follower.grpc!.endpoint, 'Maintenance');
    const blobs: Buffer[] = [];
    const messages: { remaining_bytes?: string; header?: unknown }[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = (client as unknown as { Snapshot(req: unknown): NodeJS.ReadableStream }).Snapshot(
        {},
      );
      s.on('data', (m: { blob?: string; remaining_bytes?: string; header?: unknown }) => {
        blobs.push(Buffer.from(m.blob ?? '', 'base64'));
        messages.push(m);
      });
      s.on('end', resolve);
      s.on('error', reject);
    });
    client.close();
    expect(messages[0]?.header).toBeDefined();
    expect(messages.at(-1)?.remaining_bytes).toBeUndefined();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'grpc-snap-'));
    try {
      const file = path.join(dir, 'snap.flotilla');
      await writeFile(file, Buffer.concat(blobs));
      const verdict = await verifyBackup(file, { scratchDir: dir });
      expect(verdict.ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('moves the leadership to another voter', async () => {
    const target = cluster.members.find((m) => m !== leader)!;
    await call('Maintenance', 'MoveLeader', { targetID: String(target.id) }, leader);
    await until('new leader', () =>
      follower.node.status().leader === target.id ? true : undefined,
    );
    leader = await cluster.leader();
    expect(leader.id).toBe(target.id);
  });
});

describe('malformed gRPC requests', () => {
  it("answers INVALID_ARGUMENT with etcd's messages and keeps serving", async () => {
    const noKey = await failure(call('KV', 'Range', {}));
    expect([noKey.code, noKey.details]).toEqual([3, 'etcdserver: key is not provided']);
    const hugeLease = await failure(
      call('KV', 'Put', { key: b64('k'), lease: '9007199254740993' }),
    );
    expect(hugeLease.code).toBe(3);
    const emptyOp = await failure(call('KV', 'Txn', { success: [{}] }));
    expect(emptyOp.code).toBe(3);
    const dup = await failure(
      call('KV', 'Txn', {
        success: [{ request_put: { key: b64('d') } }, { request_put: { key: b64('d') } }],
      }),
    );
    expect([dup.code, dup.details]).toEqual([3, 'etcdserver: duplicate key given in txn request']);
    const noPeer = await failure(call('Cluster', 'MemberAdd', {}));
    expect(noPeer.code).toBe(3);
    const badSeq = new Metadata();
    badSeq.set('x-flotilla-client-id', 'c');
    const kv = rawClient(follower.grpc!.endpoint, 'KV');
    const halfIdentity = (await unaryCall(kv, 'Put', { key: b64('k') }, badSeq).catch(
      (e: unknown) => e,
    )) as ServiceError;
    kv.close();
    expect(halfIdentity.code).toBe(3);
    expect(
      await etcd
        .put('still')
        .value('serving')
        .then(() => etcd.get('still').string()),
    ).toBe('serving');
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED and bytes that are not protobuf with INTERNAL, as etcd does', async () => {
    const big = await failure(
      call('KV', 'Put', {
        key: b64('big'),
        value: Buffer.alloc(3 * 1024 * 1024).toString('base64'),
      }),
    );
    expect(big.code).toBe(8);
    const junk = new Client(follower.grpc!.endpoint, credentials.createInsecure());
    const err = await new Promise<ServiceError>((resolve) => {
      junk.makeUnaryRequest(
        '/etcdserverpb.KV/Range',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        (e) => resolve(e as ServiceError),
      );
    });
    junk.close();
    expect(err.code).toBe(13);
    expect(await etcd.get('still').string()).toBe('serving');
  });
});
