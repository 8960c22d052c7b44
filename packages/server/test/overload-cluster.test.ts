// The overload attacks of benchmarks/overload at a CI-sized scale, on a real
// three-member cluster: concurrent large puts beyond the in-flight budget (some
// refused with 429, nothing written for them, the rest applied), a flood of
// watch streams opened at once with puts fanning out to all of them, and
// watchers that never read under large puts (cancelled as slow, the buffered
// bytes bounded). No member sees a leader change in any of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { connect, postRequest, refusals, until, type RawConnection } from './overload-raw.js';

const KIB = 1024;
const PUTS = 30;
const VALUE_BYTES = 192 * KIB;
const INFLIGHT_BYTES_MAX = 4 * 300 * KIB; // four of these puts at a time
const WATCH_FLOOD = 300;
const SLOW_WATCHERS = 8;
const WATCH_BUFFER_BYTES_MAX = 128 * KIB;

let cluster: LocalCluster;
let leader: LocalMember;

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

const leaderChanges = (): number[] =>
  cluster.members.map((m) => m.node.status().metrics.leaderChanges);

beforeAll(async () => {
  cluster = await startLocalCluster({
    size: 3,
    httpLimits: {
      inflightBodyBytesMax: INFLIGHT_BYTES_MAX,
      bodyBytesMax: 300 * KIB,
      watchStreamBufferBytesMax: WATCH_BUFFER_BYTES_MAX,
    },
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

const watchRequest = (prefix: string): string =>
  postRequest(
    '/v3/watch',
    JSON.stringify({
      create_request: { key: b64(prefix), range_end: b64(`${prefix.slice(0, -1)}0`) },
    }),
  );

async function openWatchers(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^flotilla_watchers (\d+)$/m.exec(text)?.[1]);
}

async function put(url: string, key: string, value: string): Promise<number> {
  const res = await fetch(`${url}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key), value }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('watch streams against the leader', () => {
  it('a flood of streams opened at once is served, puts fan out to every one, and the leader stays', async () => {
    const changesBefore = leaderChanges();
    const termBefore = leader.node.status().term;
    const conns: RawConnection[] = await Promise.all(
      Array.from({ length: WATCH_FLOOD }, async () => {
        const c = await connect(leader.url);
        c.socket.write(watchRequest('flood/'));
        return c;
      }),
    );
    try {
      await until('every stream created', () =>
        conns.every((c) => c.received().includes('"created":true')) ? true : undefined,
      );
      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => put(leader.url, `flood/${i}`, b64('v'))),
      );
      expect(statuses).toEqual(Array(10).fill(200));
      await until('every stream got every put', () =>
        conns.every((c) => (c.received().match(/"kv":/g) ?? []).length === 10) ? true : undefined,
      );
      expect(leaderChanges()).toEqual(changesBefore);
      expect(leader.node.status().term).toBe(termBefore);
    } finally {
      for (const c of conns) c.socket.destroy();
    }
    await until('the streams closed', async () =>
      (await openWatchers(leader.url)) === 0 ? true : undefined,
    );
  });

  it('watchers that never read are cancelled as slow under large puts; buffered bytes stay bounded and the leader stays', async () => {
    const changesBefore = leaderChanges();
    const termBefore = leader.node.status().term;
    const refusedBefore = await refusals(leader.url, 'watchStreamBufferBytesMax');
    const conns = await Promise.all(
      Array.from({ length: SLOW_WATCHERS }, async () => {
        const c = await connect(leader.url);
        c.socket.write(watchRequest('slow/'));
        await until('the watch created', () =>
          c.received().includes('"created":true') ? true : undefined,
        );
        c.socket.pause(); // never reads again
        return c;
      }),
    );
    try {
      const value = b64(Buffer.alloc(64 * KIB, 7));
      const responseBytesMax = value.length + 2 * KIB;
      let peak = 0;
      for (let i = 0; i < 400; i++) {
        if (
          (await refusals(leader.url, 'watchStreamBufferBytesMax')) - refusedBefore >=
          SLOW_WATCHERS
        )
          break;
        expect(await put(leader.url, `slow/${i}`, value)).toBe(200);
        peak = Math.max(peak, leader.server.watchBufferedBytes());
      }
      expect((await refusals(leader.url, 'watchStreamBufferBytesMax')) - refusedBefore).toBe(
        SLOW_WATCHERS,
      );
      expect(peak).toBeLessThanOrEqual(SLOW_WATCHERS * (WATCH_BUFFER_BYTES_MAX + responseBytesMax));
      expect(leader.server.watchBufferedBytes()).toBe(0);
      expect(leaderChanges()).toEqual(changesBefore);
      expect(leader.node.status().term).toBe(termBefore);
    } finally {
      for (const c of conns) c.socket.destroy();
    }
  });
});
