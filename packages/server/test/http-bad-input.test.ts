// Bad input is refused before it reaches the node: a 4xx with an etcd-style
// body, and no call into the node at all. The node here records calls and
// fails the test if a write method is reached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../src/http/server.js';
import type { ServedNode, ServedStatus } from '../src/http/served-node.js';
import { DISABLED_AUTH } from './disabled-auth.js';
import { checkExposition } from '../../testkit/src/exposition-check.js';

const calls: string[] = [];

function recordingNode(): ServedNode {
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
  const refuse = (name: string) => (): never => {
    calls.push(name);
    throw new Error(`${name} must not be reached for bad input`);
  };
  return {
    status: () => status,
    range: refuse('range'),
    put: refuse('put'),
    deleteRange: refuse('deleteRange'),
    txn: refuse('txn'),
    compact: refuse('compact'),
    leaseGrant: refuse('leaseGrant'),
    leaseRevoke: refuse('leaseRevoke'),
    leaseKeepAlive: refuse('leaseKeepAlive'),
    leaseTimeToLive: refuse('leaseTimeToLive'),
    leases: refuse('leases'),
    watch: refuse('watch'),
    members: refuse('members'),
    addMember: refuse('addMember'),
    removeMember: refuse('removeMember'),
    promoteMember: refuse('promoteMember'),
    moveLeader: refuse('moveLeader'),
    learnPeer: refuse('learnPeer'),
    updateMember: refuse('updateMember'),
    hashKv: refuse('hashKv'),
    auth: () => DISABLED_AUTH,
    authChange: refuse('authChange'),
    register: refuse('register'),
    syncAuth: async () => undefined, // a read barrier, not a change: root-only routes may run it before decoding
    isMember: refuse('isMember'),
    metrics: () => ({ applyLagEntries: 0, leaderChanges: 1 }),
    metricsText: () =>
      '# HELP flotilla_server_leader_changes_seen_total Leader changes.\n# TYPE flotilla_server_leader_changes_seen_total counter\nflotilla_server_leader_changes_seen_total 1\n',
  };
}

let server: RunningHttpServer;

beforeAll(async () => {
  server = await startHttpServer({ node: recordingNode(), bodyBytesMax: 64 * 1024 });
});

afterAll(async () => {
  await server.close();
});

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const cases: [string, string, string, number, number][] = [
  ['malformed JSON', '/v3/kv/put', '{"key":', 400, 3],
  ['a JSON array body', '/v3/kv/put', '[1]', 400, 3],
  ['a key of the wrong type', '/v3/kv/range', '{"key":5}', 400, 3],
  ['a limit of the wrong type', '/v3/kv/range', '{"key":"YQ==","limit":true}', 400, 3],
  ['bad base64', '/v3/kv/put', '{"key":"!!!","value":"YQ=="}', 400, 3],
  ['a missing key', '/v3/kv/put', '{"value":"YQ=="}', 400, 3],
  [
    'an unknown compare target',
    '/v3/kv/txn',
    '{"compare":[{"key":"YQ==","target":"BOGUS"}]}',
    400,
    3,
  ],
  ['an empty txn op', '/v3/kv/txn', '{"success":[{}]}', 400, 3],
  ['a watch without create_request', '/v3/watch', '{}', 400, 3],
  ['a member add without peer URLs', '/v3/cluster/member/add', '{}', 400, 3],
  ['a member remove without an id', '/v3/cluster/member/remove', '{}', 400, 3],
  ['a lease id that is not an integer', '/v3/lease/revoke', '{"ID":"abc"}', 400, 3],
  [
    'a peer announcement without a peer URL',
    '/flotilla/peer/add',
    '{"ID":"5","name":"n5"}',
    400,
    3,
  ],
  ['an unknown path', '/v3/kv/nothing', '{}', 404, 5],
];

describe('bad input is refused with an etcd-style error and nothing reaches the node', () => {
  it.each(cases)('%s', async (_name, path, body, status, code) => {
    const res = await post(path, body);
    expect(res.status).toBe(status);
    expect(res.json['code']).toBe(code);
    expect(res.json['error']).toBe(res.json['message']);
    expect(typeof res.json['message']).toBe('string');
    expect(calls).toEqual([]);
  });

  it('refuses an oversized body with ResourceExhausted (429), as etcd does', async () => {
    const res = await post(
      '/v3/kv/put',
      JSON.stringify({ key: 'YQ==', value: 'A'.repeat(100 * 1024) }),
    );
    expect(res.status).toBe(429);
    expect(res.json['code']).toBe(8);
    expect(calls).toEqual([]);
  });

  it('refuses half-given exactly-once headers', async () => {
    const res = await post('/v3/kv/put', '{"key":"YQ==","value":"YQ=="}', {
      'x-flotilla-client-id': 'c1',
    });
    expect(res.status).toBe(400);
    expect(String(res.json['message'])).toContain('x-flotilla-seq');
    expect(calls).toEqual([]);
  });

  it('answers GET on an API path with 405', async () => {
    const res = await fetch(`${server.url}/v3/kv/range`);
    expect(res.status).toBe(405);
    expect(((await res.json()) as { code: number }).code).toBe(12);
  });

  it('counts refused requests in /metrics by route and gRPC code', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /flotilla_http_request_errors_total\{path="\/v3\/kv\/put",code="3"\} [1-9]/,
    );
    expect(text).toMatch(/flotilla_http_request_errors_total\{path="other",code="5"\} 1/);
    // The node's own families follow the server's, and the whole page is valid.
    expect(text).toContain('flotilla_server_leader_changes_seen_total 1\n');
    expect(checkExposition(text).has('flotilla_http_request_errors_total')).toBe(true);
  });

  it('reports health from whether a leader is known', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ health: 'true' });
  });
});
