// Concurrent large puts to a leader beyond the in-flight budget, on a real
// three-member cluster: some are refused with 429 (nothing written for them),
// the rest succeed, no member sees a leader change, and the server still answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';

const KIB = 1024;
const PUTS = 30;
const VALUE_BYTES = 192 * KIB;
const INFLIGHT_BYTES_MAX = 4 * 300 * KIB; // four of these puts at a time

let cluster: LocalCluster;
let leader: LocalMember;

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

const leaderChanges = (): number[] =>
  cluster.members.map((m) => m.node.status().metrics.leaderChanges);

beforeAll(async () => {
  cluster = await startLocalCluster({
    size: 3,
    httpLimits: { inflightBodyBytesMax: INFLIGHT_BYTES_MAX, bodyBytesMax: 300 * KIB },
  });
  leader = await cluster.leader();
});

afterAll(async () => {
  await cluster?.close();
});

describe('concurrent large puts beyond the in-flight budget', () => {
  it('refuses some with 429 and writes none of those, applies the rest, and the leader stays', async () => {
    const changesBefore = leaderChanges();
    const termBefore = leader.node.status().term;
    const value = b64(Buffer.alloc(VALUE_BYTES, 3));
    const statuses = await Promise.all(
      Array.from({ length: PUTS }, async (_, i) => {
        const res = await fetch(`${leader.url}/v3/kv/put`, {
          method: 'POST',
          body: JSON.stringify({ key: b64(`big/${i}`), value }),
        });
        const json = (await res.json()) as { code?: number; message?: string };
        if (res.status === 429)
          expect(json).toMatchObject({
            code: 8,
            message: expect.stringMatching(/^etcdserver: too many requests/),
          });
        return res.status;
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 429).length;
    expect(ok + refused).toBe(PUTS);
    expect(refused).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(0);

    // Exactly the accepted puts were written, on every member.
    for (const m of cluster.members) {
      const res = await fetch(`${m.url}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({
          key: b64('big/'),
          range_end: b64('big0'),
          count_only: true,
          serializable: false,
        }),
      });
      expect(Number(((await res.json()) as { count?: string }).count ?? 0)).toBe(ok);
    }
    expect(leaderChanges()).toEqual(changesBefore);
    expect(leader.node.status().term).toBe(termBefore);
    expect((await fetch(`${leader.url}/health`)).status).toBe(200);
    expect(leader.server.inflightBodyBytes()).toBe(0);
  });
});
