// Auth against a real etcd 3.4 and against Flotilla (3 nodes, real HTTP):
// the same users, roles and requests, with each system's own tokens; the
// answers (HTTP status, gRPC code, etcd's message, and the body on success)
// must match. Tokens themselves differ by design (etcd's `simple` tokens vs
// Flotilla's signed ones) and are not compared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../../packages/testkit/src/etcd-cluster.js';
import { startLocalCluster, type LocalCluster } from '../../packages/server/src/index.js';
import { b64 } from './differential-cases.js';
import { normalise, type WireAnswer } from './differential-harness.js';

/** One request; `as` names whose token to send (a user logged in by an earlier `login`), or a raw token. */
interface Step {
  readonly path: string;
  readonly body: unknown;
  readonly as?: string;
  readonly raw?: string;
  /** Log in as this user (body: {name, password}) and keep the token. */
  readonly login?: string;
  /**
   * A deliberate difference (documented in docs/security-auth.md): what etcd
   * answers and what Flotilla answers instead, each checked.
   */
  readonly differs?: { readonly why: string; readonly etcd: unknown; readonly flotilla: unknown };
}

const answer = (status: number, code: number, error: string): unknown => ({ status, code, error });
const DENIED = answer(403, 7, 'etcdserver: permission denied');

const step = (path: string, body: unknown, as?: string): Step => ({
  path,
  body,
  ...(as ? { as } : {}),
});
const login = (name: string, password: string): Step => ({
  path: '/v3/auth/authenticate',
  body: { name, password },
  login: name,
});

const SETUP: readonly Step[] = [
  step('/v3/auth/user/add', { name: 'root', password: 'rootpw' }),
  step('/v3/auth/user/add', { name: 'root', password: 'again' }),
  step('/v3/auth/user/add', { name: '', password: 'x' }),
  step('/v3/auth/enable', {}),
  step('/v3/auth/role/add', { name: 'root' }),
  step('/v3/auth/user/grant', { user: 'root', role: 'root' }),
  step('/v3/auth/user/add', { name: 'alice', password: 'alicepw' }),
  step('/v3/auth/role/add', { name: 'ab' }),
  step('/v3/auth/role/add', { name: 'ab' }),
  step('/v3/auth/role/add', { name: '' }),
  step('/v3/auth/role/grant', {
    name: 'ab',
    perm: { permType: 'READWRITE', key: b64('a'), range_end: b64('b') },
  }),
  step('/v3/auth/role/grant', { name: 'ab', perm: { key: b64('readonly') } }),
  step('/v3/auth/role/grant', { name: 'nope', perm: { permType: 'READ', key: b64('x') } }),
  step('/v3/auth/user/grant', { user: 'alice', role: 'ab' }),
  step('/v3/auth/user/grant', { user: 'alice', role: 'nope' }),
  step('/v3/auth/user/grant', { user: 'nobody', role: 'ab' }),
  step('/v3/auth/user/get', { name: 'alice' }),
  step('/v3/auth/role/get', { role: 'ab' }),
  step('/v3/auth/user/list', {}),
  step('/v3/auth/role/list', {}),
  step('/v3/kv/put', { key: b64('c'), value: b64('secret') }),
  step('/v3/auth/enable', {}),
];

const CASES: readonly { name: string; steps: readonly Step[] }[] = [
  {
    name: 'logging in: unknown user, wrong password, no token, a garbage token',
    steps: [
      step('/v3/kv/range', { key: b64('a') }),
      step('/v3/auth/authenticate', { name: 'alice', password: 'wrong' }),
      step('/v3/auth/authenticate', { name: 'mallory', password: 'x' }),
      login('root', 'rootpw'),
      login('alice', 'alicepw'),
      { path: '/v3/kv/range', body: { key: b64('a') }, raw: 'not-a-token' },
    ],
  },
  {
    name: 'a permission on [a, b): inside allowed, c and [a, c) denied, a txn with a forbidden else branch denied',
    steps: [
      step('/v3/kv/put', { key: b64('a1'), value: b64('v') }, 'alice'),
      step('/v3/kv/range', { key: b64('a1') }, 'alice'),
      step('/v3/kv/range', { key: b64('a'), range_end: b64('b') }, 'alice'),
      step('/v3/kv/put', { key: b64('c'), value: b64('x') }, 'alice'),
      step('/v3/kv/range', { key: b64('c') }, 'alice'),
      step('/v3/kv/range', { key: b64('a'), range_end: b64('c') }, 'alice'),
      step('/v3/kv/deleterange', { key: b64('a'), range_end: b64('\0') }, 'alice'),
      step('/v3/kv/range', { key: b64('readonly') }, 'alice'),
      step('/v3/kv/put', { key: b64('readonly'), value: b64('x') }, 'alice'),
      step(
        '/v3/kv/txn',
        {
          compare: [{ key: b64('a1'), target: 'VERSION', result: 'EQUAL', version: '1' }],
          success: [{ request_range: { key: b64('a1') } }],
          failure: [{ request_put: { key: b64('c'), value: b64('pwned') } }],
        },
        'alice',
      ),
      step('/v3/kv/range', { key: b64('c') }, 'root'),
    ],
  },
  {
    name: 'leases: any user grants; attaching to or revoking a lease that holds a forbidden key is denied',
    steps: [
      step('/v3/lease/grant', { ID: '7001', TTL: '600' }, 'alice'),
      step('/v3/lease/grant', { ID: '7002', TTL: '600' }, 'root'),
      step('/v3/kv/put', { key: b64('c-leased'), value: b64('v'), lease: '7002' }, 'root'),
      step('/v3/kv/put', { key: b64('a-leased'), value: b64('v'), lease: '7002' }, 'alice'),
      step('/v3/kv/put', { key: b64('c'), value: b64('v'), lease: '7001' }, 'alice'),
      step('/v3/lease/revoke', { ID: '7002' }, 'alice'),
      step('/v3/kv/put', { key: b64('a-leased'), value: b64('v'), lease: '7001' }, 'alice'),
      step('/v3/lease/revoke', { ID: '7001' }, 'alice'),
    ],
  },
  {
    name: 'auth and cluster management need root; a user may read its own record and roles',
    steps: [
      step('/v3/auth/user/add', { name: 'eve', password: 'x' }, 'alice'),
      step('/v3/auth/user/changepw', { name: 'alice', password: 'x' }, 'alice'),
      step('/v3/auth/user/grant', { user: 'alice', role: 'root' }, 'alice'),
      step('/v3/auth/role/add', { name: 'mine' }, 'alice'),
      step('/v3/auth/disable', {}, 'alice'),
      step('/v3/auth/user/get', { name: 'alice' }, 'alice'),
      step('/v3/auth/user/get', { name: 'root' }, 'alice'),
      step('/v3/auth/role/get', { role: 'ab' }, 'alice'),
      step('/v3/auth/role/get', { role: 'root' }, 'alice'),
      step('/v3/auth/user/list', {}, 'alice'),
      step('/v3/cluster/member/remove', { ID: '1' }, 'alice'),
      step('/v3/cluster/member/add', { peerURLs: ['http://127.0.0.1:1'] }, 'alice'),
      {
        ...step('/v3/kv/compaction', { revision: '1' }, 'alice'),
        differs: {
          why: 'compaction destroys history: Flotilla requires root, etcd 3.4 lets any user compact',
          etcd: { status: 200 },
          flotilla: DENIED,
        },
      },
    ],
  },
  {
    name: 'root: what even root may not do, and not-found answers',
    steps: [
      step('/v3/auth/user/delete', { name: 'root' }, 'root'),
      step('/v3/auth/role/delete', { role: 'root' }, 'root'),
      step('/v3/auth/user/revoke', { name: 'root', role: 'root' }, 'root'),
      step('/v3/auth/role/revoke', { role: 'ab', key: b64('zz') }, 'root'),
      step('/v3/auth/user/revoke', { name: 'alice', role: 'zz' }, 'root'),
      step('/v3/auth/user/get', { name: 'zzz' }, 'root'),
      step('/v3/auth/role/get', { role: 'zzz' }, 'root'),
      step('/v3/auth/user/delete', { name: 'zzz' }, 'root'),
      step('/v3/auth/role/delete', { role: 'zzz' }, 'root'),
      step('/v3/auth/user/list', {}, 'root'),
    ],
  },
  {
    name: 'revocation: a token replayed after its user is deleted or its password changed',
    steps: [
      step('/v3/auth/user/add', { name: 'bob', password: 'bobpw' }, 'root'),
      step('/v3/auth/user/grant', { user: 'bob', role: 'ab' }, 'root'),
      login('bob', 'bobpw'),
      step('/v3/kv/put', { key: b64('a-bob'), value: b64('1') }, 'bob'),
      step('/v3/auth/user/changepw', { name: 'bob', password: 'new' }, 'root'),
      step('/v3/kv/put', { key: b64('a-bob'), value: b64('2') }, 'bob'),
      step('/v3/auth/authenticate', { name: 'bob', password: 'bobpw' }),
      login('bob', 'new'),
      step('/v3/auth/user/revoke', { name: 'bob', role: 'ab' }, 'root'),
      {
        ...step('/v3/kv/range', { key: b64('a-bob') }, 'bob'),
        differs: {
          why: 'Flotilla invalidates the tokens a user held before losing a role; etcd keeps them and denies by permission',
          etcd: DENIED,
          flotilla: answer(401, 16, 'etcdserver: invalid auth token'),
        },
      },
      login('bob', 'new'),
      step('/v3/kv/range', { key: b64('a-bob') }, 'bob'),
      step('/v3/auth/user/delete', { name: 'bob' }, 'root'),
      step('/v3/kv/range', { key: b64('a-bob') }, 'bob'),
      step('/v3/kv/range', { key: b64('a-bob') }, 'root'),
    ],
  },
  {
    name: 'disabling auth: root only, then requests need no token',
    steps: [
      step('/v3/auth/disable', {}, 'root'),
      step('/v3/kv/range', { key: b64('c') }),
      step('/v3/auth/disable', {}),
      step('/v3/auth/authenticate', { name: 'root', password: 'rootpw' }),
    ],
  },
];

/** One system under test: its endpoint and the tokens it issued. */
class Target {
  readonly tokens = new Map<string, string>();
  constructor(readonly endpoint: string) {}

  async send(s: Step): Promise<WireAnswer> {
    const token = s.raw ?? (s.as ? this.tokens.get(s.as) : undefined);
    if (s.as && token === undefined) throw new Error(`no token for ${s.as}: log in first`);
    const res = await fetch(`${this.endpoint}${s.path}`, {
      method: 'POST',
      body: JSON.stringify(s.body),
      headers: token ? { authorization: token } : {},
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // compared as text
    }
    if (s.login && res.status === 200) {
      const { token: issued, ...rest } = body as { token: string };
      this.tokens.set(s.login, issued);
      body = rest;
    }
    return { status: res.status, body };
  }
}

let etcd: EtcdCluster;
let flotilla: LocalCluster;
let etcdTarget: Target;
let flotillaTarget: Target;

async function compare(steps: readonly Step[]): Promise<void> {
  for (const s of steps) {
    const label = `${s.as ?? s.raw ?? '-'} ${s.path} ${JSON.stringify(s.body)}`;
    const fromEtcd = normalise({ path: s.path, body: s.body }, await etcdTarget.send(s));
    const fromFlotilla = normalise({ path: s.path, body: s.body }, await flotillaTarget.send(s));
    if (s.differs) {
      const status = (a: unknown): unknown =>
        (s.differs!.etcd as { code?: number }).code === undefined
          ? { status: (a as { status: number }).status }
          : a;
      expect({
        step: label,
        why: s.differs.why,
        etcd: status(fromEtcd),
        flotilla: fromFlotilla,
      }).toEqual({
        step: label,
        why: s.differs.why,
        etcd: s.differs.etcd,
        flotilla: s.differs.flotilla,
      });
      continue;
    }
    expect({ step: label, answer: fromFlotilla }).toEqual({ step: label, answer: fromEtcd });
  }
}

beforeAll(async () => {
  [etcd, flotilla] = await Promise.all([
    startEtcdCluster({ size: 1 }),
    startLocalCluster({ size: 3 }),
  ]);
  const leader = await flotilla.leader();
  etcdTarget = new Target(etcd.endpoints[0]!);
  // A follower: auth changes and writes are forwarded to the leader.
  flotillaTarget = new Target(flotilla.members.find((m) => m !== leader)!.url);
});

afterAll(async () => {
  await Promise.all([etcd?.stop(), flotilla?.close()]);
});

describe('Flotilla answers auth requests like etcd 3.4', () => {
  it('setting up users and roles, and enabling auth', async () => {
    await compare(SETUP);
  });
  for (const c of CASES) {
    it(c.name, async () => {
      await compare(c.steps);
    });
  }
});
