// Authentication and authorization over a real three-node cluster (in
// process, LevelDB + TCP + HTTP): every refusal path answers with etcd's
// gRPC code, HTTP status and message, is counted on /metrics, and changes
// nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { issueToken, readToken } from '../src/auth/token.js';

let cluster: LocalCluster;
let leader: LocalMember;
let follower: LocalMember;
let rootToken: string;
let aliceToken: string;

const b64 = (s: string): string => Buffer.from(s).toString('base64');
type Answer = { status: number; json: Record<string, unknown> };

async function post(url: string, path: string, body: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: token ? { authorization: token } : {},
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text.startsWith('{')
      ? (JSON.parse(text.split('\n')[0]!) as Record<string, unknown>)
      : { raw: text },
  };
}

async function ok(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const a = await post(url, path, body, token);
  if (a.status !== 200) throw new Error(`${path}: ${a.status} ${JSON.stringify(a.json)}`);
  return a.json;
}

async function login(url: string, name: string, password: string): Promise<string> {
  return (await ok(url, '/v3/auth/authenticate', { name, password }))['token'] as string;
}

const DENIED = {
  status: 403,
  json: {
    error: 'etcdserver: permission denied',
    message: 'etcdserver: permission denied',
    code: 7,
  },
};
const BAD_TOKEN = {
  status: 401,
  json: {
    error: 'etcdserver: invalid auth token',
    message: 'etcdserver: invalid auth token',
    code: 16,
  },
};
const NO_USER = {
  status: 400,
  json: {
    error: 'etcdserver: user name is empty',
    message: 'etcdserver: user name is empty',
    code: 3,
  },
};

async function valueOf(key: string): Promise<string | undefined> {
  const res = await ok(leader.url, '/v3/kv/range', { key: b64(key) }, rootToken);
  const kv = (res['kvs'] as { value?: string }[] | undefined)?.[0];
  return kv ? Buffer.from(kv.value ?? '', 'base64').toString() : undefined;
}

async function revision(): Promise<string> {
  return (
    (await ok(leader.url, '/v3/kv/range', { key: b64('a') }, rootToken))['header'] as {
      revision: string;
    }
  ).revision;
}

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 3 });
  leader = await cluster.leader();
  follower = cluster.members.find((m) => m !== leader)!;
  const u = follower.url;
  await ok(u, '/v3/auth/user/add', { name: 'root', password: 'rootpw' });
  await ok(u, '/v3/auth/role/add', { name: 'root' });
  await ok(u, '/v3/auth/user/grant', { user: 'root', role: 'root' });
  await ok(u, '/v3/auth/user/add', { name: 'alice', password: 'alicepw' });
  await ok(u, '/v3/auth/role/add', { name: 'ab' });
  await ok(u, '/v3/auth/role/grant', {
    name: 'ab',
    perm: { permType: 'READWRITE', key: b64('a'), range_end: b64('b') },
  });
  await ok(u, '/v3/auth/user/grant', { user: 'alice', role: 'ab' });
  await ok(u, '/v3/kv/put', { key: b64('c'), value: b64('secret') });
  await ok(u, '/v3/auth/enable', {});
  rootToken = await login(u, 'root', 'rootpw');
  aliceToken = await login(u, 'alice', 'alicepw');
});

afterAll(async () => {
  await cluster?.close();
});

describe('authentication', () => {
  it('a wrong password and an unknown user get the same refusal (InvalidArgument, 400)', async () => {
    const expected = {
      status: 400,
      json: {
        error: 'etcdserver: authentication failed, invalid user ID or password',
        message: 'etcdserver: authentication failed, invalid user ID or password',
        code: 3,
      },
    };
    expect(
      await post(follower.url, '/v3/auth/authenticate', { name: 'alice', password: 'wrong' }),
    ).toEqual(expected);
    expect(
      await post(follower.url, '/v3/auth/authenticate', { name: 'mallory', password: 'x' }),
    ).toEqual(expected);
  });

  it('no token, a garbage token and a token signed with another key are refused', async () => {
    expect(await post(follower.url, '/v3/kv/range', { key: b64('a') })).toEqual(NO_USER);
    expect(await post(follower.url, '/v3/kv/range', { key: b64('a') }, 'garbage')).toEqual(
      BAD_TOKEN,
    );
    const forged = issueToken(new Uint8Array(32).fill(1), {
      user: 'root',
      revision: 1_000_000,
      expiresAtMs: Date.now() + 60_000,
    });
    expect(
      await post(follower.url, '/v3/kv/put', { key: b64('c'), value: b64('pwned') }, forged),
    ).toEqual(BAD_TOKEN);
    expect(await valueOf('c')).toBe('secret');
  });

  it('an expired token is not accepted (expiry is part of the signed claims)', () => {
    const key = new Uint8Array(32).fill(3);
    const token = issueToken(key, { user: 'alice', revision: 5, expiresAtMs: 1_000 });
    expect(readToken(key, token, 999)).toEqual({ user: 'alice', revision: 5, expiresAtMs: 1_000 });
    expect(readToken(key, token, 1_000)).toBeUndefined();
    const [head, , mac] = token.split('.');
    const extended = Buffer.from(JSON.stringify({ u: 'alice', r: 5, e: 9e15 })).toString(
      'base64url',
    );
    expect(readToken(key, `${head}.${extended}.${mac}`, 999)).toBeUndefined();
  });

  it('a token issued by one member works on every member, raw or as Bearer', async () => {
    for (const m of cluster.members) {
      expect(
        (await post(m.url, '/v3/kv/put', { key: b64('a1'), value: b64(m.name) }, aliceToken))
          .status,
      ).toBe(200);
      expect(
        (await post(m.url, '/v3/kv/range', { key: b64('a1') }, `Bearer ${aliceToken}`)).status,
      ).toBe(200);
    }
  });
});

describe('authorization: refused, and nothing changes', () => {
  it('a permission on [a, b) does not read c, nor the range [a, c)', async () => {
    expect(await post(follower.url, '/v3/kv/range', { key: b64('c') }, aliceToken)).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/kv/range', { key: b64('a'), range_end: b64('c') }, aliceToken),
    ).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/kv/range', { key: b64('c'), serializable: true }, aliceToken),
    ).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/kv/range', { key: b64('a'), range_end: b64('b') }, aliceToken),
    ).toMatchObject({ status: 200 });
  });

  it('writes outside the permission are refused at apply', async () => {
    const before = await revision();
    expect(
      await post(follower.url, '/v3/kv/put', { key: b64('c'), value: b64('x') }, aliceToken),
    ).toEqual(DENIED);
    expect(
      await post(
        follower.url,
        '/v3/kv/deleterange',
        { key: b64('a'), range_end: b64('d') },
        aliceToken,
      ),
    ).toEqual(DENIED);
    expect(await revision()).toBe(before);
    expect(await valueOf('c')).toBe('secret');
  });

  it('a txn whose else branch touches a forbidden key is refused whole', async () => {
    const before = await revision();
    const txn = {
      compare: [{ key: b64('a1'), target: 'VERSION', result: 'EQUAL', version: '0' }],
      success: [{ request_put: { key: b64('a2'), value: b64('x') } }],
      failure: [{ request_delete_range: { key: b64('c') } }],
    };
    expect(await post(follower.url, '/v3/kv/txn', txn, aliceToken)).toEqual(DENIED);
    expect(await revision()).toBe(before);
    expect(await valueOf('c')).toBe('secret');
  });

  it('a watch on a forbidden range is refused', async () => {
    expect(
      await post(follower.url, '/v3/watch', { create_request: { key: b64('c') } }, aliceToken),
    ).toEqual(DENIED);
    expect(
      await post(
        follower.url,
        '/v3/watch',
        { create_request: { key: b64('a'), range_end: b64('\0') } },
        aliceToken,
      ),
    ).toEqual(DENIED);
  });

  it('attaching a lease that holds a forbidden key, or revoking it, is refused', async () => {
    const lease = (await ok(leader.url, '/v3/lease/grant', { TTL: '600' }, rootToken))[
      'ID'
    ] as string;
    await ok(leader.url, '/v3/kv/put', { key: b64('c/leased'), value: b64('v'), lease }, rootToken);
    expect(
      await post(
        follower.url,
        '/v3/kv/put',
        { key: b64('a3'), value: b64('v'), lease },
        aliceToken,
      ),
    ).toEqual(DENIED);
    expect(await post(follower.url, '/v3/lease/revoke', { ID: lease }, aliceToken)).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/lease/timetolive', { ID: lease, keys: true }, aliceToken),
    ).toEqual(DENIED);
    expect(await valueOf('c/leased')).toBe('v');
    expect(await valueOf('a3')).toBeUndefined();
  });

  it('cluster, maintenance, compaction and auth management need root', async () => {
    const memberId = String(follower.node.id);
    const before = await revision();
    expect(await post(follower.url, '/v3/kv/compaction', { revision: before }, aliceToken)).toEqual(
      DENIED,
    );
    expect(await post(follower.url, '/v3/maintenance/snapshot', {}, aliceToken)).toEqual(DENIED);
    expect(
      await post(
        follower.url,
        '/v3/maintenance/transfer-leadership',
        { targetID: memberId },
        aliceToken,
      ),
    ).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/cluster/member/remove', { ID: memberId }, aliceToken),
    ).toEqual(DENIED);
    expect(
      await post(
        follower.url,
        '/v3/cluster/member/add',
        { peerURLs: ['http://127.0.0.1:1'] },
        aliceToken,
      ),
    ).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/auth/user/add', { name: 'eve', password: 'x' }, aliceToken),
    ).toEqual(DENIED);
    expect(
      await post(follower.url, '/v3/auth/user/grant', { user: 'alice', role: 'root' }, aliceToken),
    ).toEqual(DENIED);
    expect(await post(follower.url, '/v3/auth/disable', {}, aliceToken)).toEqual(DENIED);
    expect(await post(follower.url, '/v3/auth/user/get', { name: 'root' }, aliceToken)).toEqual(
      DENIED,
    );
    expect(await post(follower.url, '/v3/cluster/member/remove', { ID: memberId })).toEqual(
      NO_USER,
    );
    // Allowed as in etcd: member list, status, a user's own record.
    expect((await post(follower.url, '/v3/cluster/member/list', {}, aliceToken)).status).toBe(200);
    expect((await post(follower.url, '/v3/maintenance/status', {})).status).toBe(200);
    expect(
      (await ok(follower.url, '/v3/auth/user/get', { name: 'alice' }, aliceToken))['roles'],
    ).toEqual(['ab']);
    const members = (await ok(leader.url, '/v3/cluster/member/list', {}, rootToken))[
      'members'
    ] as unknown[];
    expect(members).toHaveLength(3);
    expect(await revision()).toBe(before);
    expect((await ok(leader.url, '/v3/auth/user/list', {}, rootToken))['users']).toEqual([
      'alice',
      'root',
    ]);
  });

  it("/flotilla/peer/add needs root, and even root cannot rewrite a current member's address", async () => {
    const id = String(follower.node.id);
    const rewrite = {
      ID: id,
      name: follower.name,
      peerURLs: ['http://127.0.0.1:9'],
      clientURLs: ['http://127.0.0.1:9'],
    };
    expect(await post(leader.url, '/flotilla/peer/add', rewrite)).toEqual(NO_USER);
    expect(await post(leader.url, '/flotilla/peer/add', rewrite, aliceToken)).toEqual(DENIED);
    const asRoot = await post(leader.url, '/flotilla/peer/add', rewrite, rootToken);
    expect(asRoot.status).toBe(412);
    const members = (await ok(leader.url, '/v3/cluster/member/list', {}, rootToken))['members'] as {
      ID: string;
      clientURLs: string[];
    }[];
    expect(members.find((m) => m.ID === id)!.clientURLs).toEqual([follower.url]);
  });
});

describe('membership with auth on', () => {
  it("member add by root tells the other members about the new member with the caller's token", async () => {
    const res = await post(
      follower.url,
      '/v3/cluster/member/add',
      { peerURLs: ['http://127.0.0.1:1'], isLearner: true, name: 'n4' },
      rootToken,
    );
    expect(res.status).toBe(200);
    // The add is answered once applied on the member that took it; the leader applies it on its
    // own schedule (a member list is served from the member's applied state, as etcd 3.4 does).
    type Member = { name: string; isLearner?: boolean };
    const n4On = async (url: string): Promise<Member | undefined> =>
      ((await ok(url, '/v3/cluster/member/list', {}, rootToken))['members'] as Member[]).find(
        (m) => m.name === 'n4',
      );
    let added = await n4On(leader.url);
    for (let i = 0; i < 100 && added === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      added = await n4On(leader.url);
    }
    expect(added).toMatchObject({ isLearner: true });
    expect(await n4On(follower.url)).toMatchObject({ isLearner: true });
  });
});

describe('token revocation', () => {
  it('a token replayed after its user is deleted (or its password changed) is refused, on every member', async () => {
    await ok(leader.url, '/v3/auth/user/add', { name: 'bob', password: 'bobpw' }, rootToken);
    await ok(leader.url, '/v3/auth/user/grant', { user: 'bob', role: 'ab' }, rootToken);
    const bob = await login(follower.url, 'bob', 'bobpw');
    await ok(follower.url, '/v3/kv/put', { key: b64('a-bob'), value: b64('1') }, bob);
    await ok(leader.url, '/v3/auth/user/changepw', { name: 'bob', password: 'new' }, rootToken);
    expect(
      await post(leader.url, '/v3/kv/put', { key: b64('a-bob'), value: b64('2') }, bob),
    ).toEqual(BAD_TOKEN);
    const bob2 = await login(follower.url, 'bob', 'new');
    await ok(leader.url, '/v3/auth/user/delete', { name: 'bob' }, rootToken);
    for (const m of cluster.members) {
      // The follower may apply the delete a moment after the leader: the write is refused at apply regardless.
      expect(await post(m.url, '/v3/kv/put', { key: b64('a-bob'), value: b64('3') }, bob2)).toEqual(
        BAD_TOKEN,
      );
    }
    await ok(leader.url, '/v3/auth/user/add', { name: 'bob', password: 'new' }, rootToken);
    expect(await post(leader.url, '/v3/kv/range', { key: b64('a-bob') }, bob2)).toEqual(BAD_TOKEN);
    expect(await valueOf('a-bob')).toBe('1');
  });

  it('refusals are counted by reason on /metrics', async () => {
    const text = await (await fetch(`${follower.url}/metrics`)).text();
    const count = (reason: string): number =>
      Number(
        new RegExp(`flotilla_auth_failures_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ??
          0,
      );
    expect(count('permission_denied')).toBeGreaterThan(5);
    expect(count('invalid_token')).toBeGreaterThan(0);
    expect(count('missing_token')).toBeGreaterThan(0);
    expect(count('bad_credentials')).toBe(2);
  });
});
