// The same requests to a real etcd 3.4 and to Flotilla (3 nodes, real HTTP):
// the answers must match field for field, after dropping what must differ
// (cluster and member ids, raft terms, a lease's remaining seconds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../../packages/testkit/src/etcd-cluster.js';
import { startLocalCluster, type LocalCluster } from '../../packages/server/src/index.js';
import { CASES, b64 } from './differential-cases.js';
import { normalise, readWatchLines, send } from './differential-harness.js';

let etcd: EtcdCluster;
let flotilla: LocalCluster;
let etcdEndpoint: string;
let flotillaEndpoint: string;

beforeAll(async () => {
  [etcd, flotilla] = await Promise.all([
    startEtcdCluster({ size: 1 }),
    startLocalCluster({ size: 3 }),
  ]);
  etcdEndpoint = etcd.endpoints[0]!;
  const leader = await flotilla.leader();
  // A follower: writes and linearizable reads are forwarded to the leader, as a client of any member sees them.
  flotillaEndpoint = flotilla.members.find((m) => m !== leader)!.url;
});

afterAll(async () => {
  await Promise.all([etcd?.stop(), flotilla?.close()]);
});

describe('Flotilla answers like etcd 3.4 for the same requests', () => {
  // Cases run in order: both stores start empty, so revisions agree throughout.
  for (const c of CASES) {
    it(c.name, async () => {
      for (const request of c.requests) {
        const fromEtcd = normalise(request, await send(etcdEndpoint, request));
        const fromFlotilla = normalise(request, await send(flotillaEndpoint, request));
        expect({
          request: `${request.method ?? 'POST'} ${request.path} ${JSON.stringify(request.body).slice(0, 120)}`,
          answer: fromFlotilla,
        }).toEqual({
          request: `${request.method ?? 'POST'} ${request.path} ${JSON.stringify(request.body).slice(0, 120)}`,
          answer: fromEtcd,
        });
      }
    });
  }

  it('watch: created line, then one line per revision with prev_kv and DELETE events', async () => {
    const watch = async (endpoint: string): Promise<unknown[]> =>
      readWatchLines(
        endpoint,
        { create_request: { key: b64('w/'), range_end: b64('w0'), prev_kv: true } },
        4,
        async () => {
          await send(endpoint, { path: '/v3/kv/put', body: { key: b64('w/1'), value: b64('a') } });
          await send(endpoint, { path: '/v3/kv/put', body: { key: b64('w/1'), value: b64('b') } });
          await send(endpoint, { path: '/v3/kv/deleterange', body: { key: b64('w/1') } });
        },
      );
    expect(await watch(flotillaEndpoint)).toEqual(await watch(etcdEndpoint));
  });

  it('watch from a compacted revision: created, then canceled with compact_revision', async () => {
    const body = { create_request: { key: b64('w/'), start_revision: '3' } };
    const fromEtcd = await readWatchLines(etcdEndpoint, body, 2, async () => {});
    const fromFlotilla = await readWatchLines(flotillaEndpoint, body, 2, async () => {});
    expect(fromFlotilla).toEqual(fromEtcd);
  });
});
