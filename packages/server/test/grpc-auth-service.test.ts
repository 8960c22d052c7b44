// etcd's Auth service over gRPC: the etcd3 client manages users and roles,
// enables auth, and then logs in (Authenticate over gRPC, the token in the
// call metadata) as a user whose role grants one key range. Each RPC runs the
// JSON gateway's handler behind the same gate, so the refusals match.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../src/index.js';

let cluster: LocalCluster;
let admin: Etcd3;
const opened: Etcd3[] = [];

function client(auth?: { username: string; password: string }): Etcd3 {
  const c = new Etcd3({
    hosts: cluster.endpoints[0]!,
    ...(auth ? { auth } : {}),
    dialTimeout: 5_000,
  });
  opened.push(c);
  return c;
}

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 1, grpc: true });
  await cluster.leader();
  admin = client();
});

afterAll(async () => {
  for (const c of opened) c.close();
  await cluster?.close();
});

describe('gRPC Auth service', () => {
  it('creates users and roles, grants a range, enables auth, and then enforces it', async () => {
    await admin.user('root').create('rootpw');
    await admin.role('root').create();
    await admin.user('root').addRole('root');
    await admin.role('writer-a').create();
    await admin
      .role('writer-a')
      .grant({ permission: 'Readwrite', range: admin.range({ prefix: 'a/' }) });
    await admin.user('alice').create('alicepw');
    await admin.user('alice').addRole('writer-a');
    expect((await admin.getUsers()).map((u) => u.name).sort()).toEqual(['alice', 'root']);
    expect((await admin.user('alice').roles()).map((r) => r.name)).toEqual(['writer-a']);
    await admin.auth.authEnable();

    const alice = client({ username: 'alice', password: 'alicepw' });
    await alice.put('a/1').value('mine');
    expect(await alice.get('a/1').string()).toBe('mine');
    await expect(alice.put('z/1').value('not mine')).rejects.toThrow(/permission denied/);

    const wrong = client({ username: 'alice', password: 'nope' });
    await expect(wrong.get('a/1').string()).rejects.toThrow(/authentication failed/);

    const root = client({ username: 'root', password: 'rootpw' });
    expect(await root.get('z/1').string()).toBeNull();
    await root.auth.authDisable();
    expect(await admin.get('a/1').string()).toBe('mine');
  });
});
