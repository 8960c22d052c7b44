// With auth on, the gRPC API is no back door: unary RPCs pass the same gate
// and key permissions as the JSON API (the token in etcd's `token`
// metadata), and the streams (Watch, LeaseKeepAlive, Snapshot) are root's.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { rawClient, rawStream, unaryCall } from './grpc-helpers.js';

let cluster: LocalCluster;
let member: LocalMember;
let rootToken: string;
let aliceToken: string;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function ok(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${member.url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: token ? { authorization: token } : {},
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const withToken = (token: string): Metadata => {
  const md = new Metadata();
  md.set('token', token);
  return md;
};

async function refusal(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err = (await call.then(
    () => undefined,
    (e: ServiceError) => e,
  )) as ServiceError | undefined;
  expect(err, 'the call was refused').toBeDefined();
  return { code: err!.code, details: err!.details };
}

async function value(key: string): Promise<string | undefined> {
  const res = await ok('/v3/kv/range', { key: b64(key) }, rootToken);
  const kv = (res['kvs'] as { value?: string }[] | undefined)?.[0];
  return kv ? Buffer.from(kv.value ?? '', 'base64').toString() : undefined;
}

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 1, grpc: true });
  member = await cluster.leader();
  await ok('/v3/auth/user/add', { name: 'root', password: 'rootpw' });
  await ok('/v3/auth/role/add', { name: 'root' });
  await ok('/v3/auth/user/grant', { user: 'root', role: 'root' });
  await ok('/v3/auth/user/add', { name: 'alice', password: 'alicepw' });
  await ok('/v3/auth/role/add', { name: 'ab' });
  await ok('/v3/auth/role/grant', {
    name: 'ab',
    perm: { permType: 'READWRITE', key: b64('a'), range_end: b64('b') },
  });
  await ok('/v3/auth/user/grant', { user: 'alice', role: 'ab' });
  await ok('/v3/kv/put', { key: b64('c'), value: b64('secret') });
  await ok('/v3/auth/enable', {});
  rootToken = (await ok('/v3/auth/authenticate', { name: 'root', password: 'rootpw' }))[
    'token'
  ] as string;
  aliceToken = (await ok('/v3/auth/authenticate', { name: 'alice', password: 'alicepw' }))[
    'token'
  ] as string;
});

afterAll(async () => {
  await cluster?.close();
});

describe('gRPC with auth on', () => {
  it('refuses a call without a token or with a forged one, and changes nothing', async () => {
    const kv = rawClient(member.grpc!.endpoint, 'KV');
    expect(await refusal(unaryCall(kv, 'Put', { key: b64('c'), value: b64('stolen') }))).toEqual({
      code: 3,
      details: 'etcdserver: user name is empty',
    });
    expect(await refusal(unaryCall(kv, 'Range', { key: b64('c') }))).toEqual({
      code: 3,
      details: 'etcdserver: user name is empty',
    });
    expect(
      await refusal(
        unaryCall(kv, 'Put', { key: b64('c'), value: b64('stolen') }, withToken('garbage')),
      ),
    ).toEqual({ code: 16, details: 'etcdserver: invalid auth token' });
    expect(await value('c')).toBe('secret');
  });

  it('checks key permissions as the JSON API does: alice may use a–b, not c', async () => {
    const kv = rawClient(member.grpc!.endpoint, 'KV');
    await unaryCall(kv, 'Put', { key: b64('a1'), value: b64('mine') }, withToken(aliceToken));
    expect(await value('a1')).toBe('mine');
    expect(await refusal(unaryCall(kv, 'Range', { key: b64('c') }, withToken(aliceToken)))).toEqual(
      { code: 7, details: 'etcdserver: permission denied' },
    );
    expect(
      await refusal(
        unaryCall(kv, 'Put', { key: b64('c'), value: b64('x') }, withToken(aliceToken)),
      ),
    ).toEqual({ code: 7, details: 'etcdserver: permission denied' });
    const txn = {
      compare: [],
      success: [{ request_put: { key: b64('a2'), value: b64('y') } }],
      failure: [{ request_delete_range: { key: b64('c') } }],
    };
    expect((await refusal(unaryCall(kv, 'Txn', txn, withToken(aliceToken)))).code).toBe(7);
    expect(await value('c')).toBe('secret');
    expect(await value('a2')).toBeUndefined();
  });

  it('cluster and maintenance calls need root', async () => {
    const cl = rawClient(member.grpc!.endpoint, 'Cluster');
    expect(
      (await refusal(unaryCall(cl, 'MemberRemove', { ID: '1' }, withToken(aliceToken)))).code,
    ).toBe(7);
    const kv = rawClient(member.grpc!.endpoint, 'KV');
    expect(
      (await refusal(unaryCall(kv, 'Compact', { revision: '2' }, withToken(aliceToken)))).code,
    ).toBe(7);
    const list = (await unaryCall(cl, 'MemberList', {}, withToken(rootToken))) as {
      members: unknown[];
    };
    expect(list.members).toHaveLength(1);
  });

  it("streams are root's: a watch by alice or without a token is refused, root's is served", async () => {
    const denied = rawStream<unknown>(
      rawClient(member.grpc!.endpoint, 'Watch'),
      'Watch',
      withToken(aliceToken),
    );
    denied.write({ create_request: { key: b64('a') } });
    await expect(denied.next(5_000)).rejects.toMatchObject({ code: 7 });
    const anonymous = rawStream<unknown>(rawClient(member.grpc!.endpoint, 'Watch'), 'Watch');
    anonymous.write({ create_request: { key: b64('c') } });
    await expect(anonymous.next(5_000)).rejects.toMatchObject({ code: 3 });
    const root = rawStream<{ created?: boolean }>(
      rawClient(member.grpc!.endpoint, 'Watch'),
      'Watch',
      withToken(rootToken),
    );
    root.write({ create_request: { key: b64('c') } });
    expect((await root.next(5_000)).created).toBe(true);
    root.cancel();
  });
});
