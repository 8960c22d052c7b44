// A member that has not yet applied `auth enable` when a request arrives must
// not answer it as if auth were off once it has caught up: a linearizable
// read is re-checked after its read barrier, and a root-only route first
// waits for the member to catch up. The node here applies `auth enable`
// exactly when the barrier runs (what a lagging follower does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthView } from '@flotilla/kv';
import { startHttpServer, type RunningHttpServer } from '../src/http/server.js';
import type { ServedNode, ServedStatus } from '../src/http/served-node.js';
import { DISABLED_AUTH } from './disabled-auth.js';

const ENABLED_NO_USERS: AuthView = {
  ...DISABLED_AUTH,
  enabled: true,
  revision: 1,
  signingKey: new Uint8Array(32).fill(9),
};
let view: AuthView = DISABLED_AUTH;
const reached: string[] = [];

function laggingNode(): ServedNode {
  const status: ServedStatus = {
    memberId: 7,
    clusterId: '99',
    leaderId: 7,
    term: 2,
    role: 'follower',
    commitIndex: 5,
    appliedIndex: 4,
    revision: 1,
    isLearner: false,
    dbSizeBytes: 0,
  };
  const catchUp = (): void => {
    view = ENABLED_NO_USERS;
  };
  const unused = (name: string) => (): never => {
    reached.push(name);
    throw new Error(`${name} must not be reached`);
  };
  return {
    status: () => status,
    range: async () => {
      catchUp(); // the read barrier: this member applies what was committed before the read, `auth enable` included
      return {
        header: { revision: 1 },
        kvs: [
          {
            key: new Uint8Array([99]),
            value: new Uint8Array([1]),
            createRevision: 1,
            modRevision: 1,
            version: 1,
            lease: 0,
          },
        ],
        more: false,
        count: 1,
      };
    },
    syncAuth: async () => catchUp(),
    auth: () => view,
    put: unused('put'),
    deleteRange: unused('deleteRange'),
    txn: unused('txn'),
    compact: unused('compact'),
    leaseGrant: unused('leaseGrant'),
    leaseRevoke: unused('leaseRevoke'),
    leaseKeepAlive: unused('leaseKeepAlive'),
    leaseTimeToLive: unused('leaseTimeToLive'),
    leases: unused('leases'),
    watch: unused('watch'),
    members: async () => [],
    addMember: unused('addMember'),
    removeMember: unused('removeMember'),
    promoteMember: unused('promoteMember'),
    moveLeader: unused('moveLeader'),
    learnPeer: unused('learnPeer'),
    updateMember: unused('updateMember'),
    hashKv: unused('hashKv'),
    authChange: unused('authChange'),
    register: unused('register'),
    isMember: () => true,
    metrics: () => ({ applyLagEntries: 1, leaderChanges: 1 }),
    metricsText: () => '',
  };
}

let server: RunningHttpServer;

beforeAll(async () => {
  server = await startHttpServer({ node: laggingNode() });
});

afterAll(async () => {
  await server.close();
});

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('a member that applies auth enable while serving a request', () => {
  it('refuses the linearizable read it would have answered without a token', async () => {
    view = DISABLED_AUTH;
    const res = await post('/v3/kv/range', { key: Buffer.from('c').toString('base64') });
    expect(res.status).toBe(400);
    expect(res.json['message']).toBe('etcdserver: user name is empty');
  });

  it('catches up before a root-only route and refuses it without a token', async () => {
    view = DISABLED_AUTH;
    const res = await post('/v3/cluster/member/remove', { ID: '7' });
    expect(res.status).toBe(400);
    expect(res.json['message']).toBe('etcdserver: user name is empty');
    expect(reached).toEqual([]);
  });
});
