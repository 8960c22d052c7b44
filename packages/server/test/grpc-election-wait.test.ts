// A KV call that finds no leader (NotLeaderError: nothing was proposed) is
// retried for a bounded time, as etcd holds requests while an election runs;
// after the bound the client gets UNAVAILABLE "etcdserver: not leader".
// MoveLeader on a non-leader is answered at once. The node here is a fake
// that has no leader for its first N calls.
import { NotLeaderError } from '@flotilla/raft';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer, type RunningGrpcServer } from '../src/grpc/server.js';
import type { ServedNode } from '../src/http/served-node.js';
import { FAKE_STATUS, fakeServedNode } from './fake-served-node.js';
import { b64, rawClient, unaryCall } from './grpc-helpers.js';

let leaderlessCalls = 0;
let putCalls = 0;
let moveCalls = 0;

function electingNode(): ServedNode {
  return fakeServedNode({
    status: () => ({ ...FAKE_STATUS, leaderId: 0, role: 'follower' }),
    put: async () => {
      putCalls++;
      if (putCalls <= leaderlessCalls) throw new NotLeaderError(0, 'put');
      return { header: { revision: 2 } };
    },
    moveLeader: async () => {
      moveCalls++;
      throw new NotLeaderError(0, 'transferLeadership');
    },
  });
}

let server: RunningGrpcServer;
beforeAll(async () => {
  server = await startGrpcServer({ node: electingNode(), noLeaderWaitMs: 1_000 });
});
afterAll(async () => {
  await server?.close();
});

describe('waiting out an election', () => {
  it('retries a put that found no leader until one is known', async () => {
    [leaderlessCalls, putCalls] = [3, 0];
    const kv = rawClient(server.endpoint, 'KV');
    const res = (await unaryCall(kv, 'Put', { key: b64('k') })) as { header: { revision: string } };
    kv.close();
    expect(res.header.revision).toBe('2');
    expect(putCalls).toBe(4);
  });

  it('answers UNAVAILABLE with etcd\'s "not leader" once the wait is over', async () => {
    [leaderlessCalls, putCalls] = [1_000_000, 0];
    const kv = rawClient(server.endpoint, 'KV');
    const err = (await unaryCall(kv, 'Put', { key: b64('k') }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    kv.close();
    expect([err.code, err.details]).toEqual([14, 'etcdserver: not leader']);
    expect(putCalls).toBeGreaterThan(1);
  });

  it('does not wait for MoveLeader on a member that is not the leader', async () => {
    moveCalls = 0;
    const m = rawClient(server.endpoint, 'Maintenance');
    const err = (await unaryCall(m, 'MoveLeader', { targetID: '1' }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    m.close();
    expect(err.code).toBe(14);
    expect(moveCalls).toBe(1);
  });
});
