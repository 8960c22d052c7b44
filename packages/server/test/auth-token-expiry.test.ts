// Token expiry end to end over HTTP, on an injected wall clock: a token is
// accepted until its TTL has passed and refused with etcd's "invalid auth
// token" after. The node here serves a fixed auth state (auth on, one user).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthUser, AuthView } from '@flotilla/kv';
import { hashPassword } from '../src/auth/password.js';
import { startHttpServer, type RunningHttpServer } from '../src/http/server.js';
import type { ServedNode, ServedStatus } from '../src/http/served-node.js';
import { DISABLED_AUTH } from './disabled-auth.js';

let nowMs = 1_000_000;
let server: RunningHttpServer;

async function nodeWithUser(): Promise<ServedNode> {
  const alice: AuthUser = {
    name: 'alice',
    password: await hashPassword('pw'),
    roles: [],
    epoch: 1,
  };
  const view: AuthView = {
    ...DISABLED_AUTH,
    enabled: true,
    revision: 3,
    signingKey: new Uint8Array(32).fill(5),
    user: (name) => (name === 'alice' ? alice : undefined),
    userNames: () => ['alice'],
  };
  const status: ServedStatus = {
    memberId: 7,
    clusterId: '99',
    leaderId: 7,
    term: 2,
    role: 'leader',
    commitIndex: 5,
    appliedIndex: 5,
    revision: 1,
    isLearner: false,
    dbSizeBytes: 0,
  };
  const unused = (): never => {
    throw new Error('not used by this test');
  };
  return {
    status: () => status,
    auth: () => view,
    syncAuth: async () => undefined,
    leases: async () => [],
    range: unused,
    put: unused,
    deleteRange: unused,
    txn: unused,
    compact: unused,
    leaseGrant: unused,
    leaseRevoke: unused,
    leaseKeepAlive: unused,
    leaseTimeToLive: unused,
    watch: unused,
    members: unused,
    addMember: unused,
    removeMember: unused,
    promoteMember: unused,
    moveLeader: unused,
    learnPeer: unused,
    updateMember: unused,
    hashKv: unused,
    authChange: unused,
    register: unused,
    isMember: unused,
    metrics: () => ({ applyLagEntries: 0, leaderChanges: 1 }),
    metricsText: () => '',
  };
}

beforeAll(async () => {
  server = await startHttpServer({
    node: await nodeWithUser(),
    authTokenTtlMs: 60_000,
    nowMs: () => nowMs,
  });
});

afterAll(async () => {
  await server.close();
});

async function post(
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: token ? { authorization: token } : {},
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('token expiry', () => {
  it('a token works until its TTL has passed, then is refused as invalid', async () => {
    const token = (await post('/v3/auth/authenticate', { name: 'alice', password: 'pw' })).json[
      'token'
    ] as string;
    nowMs += 59_999;
    expect((await post('/v3/lease/leases', {}, token)).status).toBe(200);
    nowMs += 1;
    const expired = await post('/v3/lease/leases', {}, token);
    expect({
      status: expired.status,
      code: expired.json['code'],
      message: expired.json['message'],
    }).toEqual({ status: 401, code: 16, message: 'etcdserver: invalid auth token' });
    // Logging in again works with the expired token still attached (public routes ignore it).
    const again = await post('/v3/auth/authenticate', { name: 'alice', password: 'pw' }, token);
    expect(again.status).toBe(200);
    expect((await post('/v3/lease/leases', {}, again.json['token'] as string)).status).toBe(200);
  });
});
