// The remote backend's retry rules, against scripted servers: which failures
// are retried, on which endpoint, and with which exactly-once headers.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CompactedError,
  SessionExpiredError,
  UnavailableError,
  ClientUnknownOutcomeError,
  remoteKv,
} from '../src/index.js';
import type { KV } from '../src/index.js';
import {
  putAnswer,
  scriptedServer,
  type Answer,
  type ScriptedServer,
  type Seen,
} from './scripted-server.js';

// No real waiting between attempts: back-off is exercised by retry.test.ts.
const env = { sleep: async () => undefined, random: () => 0.5 };
const servers: ScriptedServer[] = [];
const clients: KV[] = [];

async function server(...args: Parameters<typeof scriptedServer>): Promise<ScriptedServer> {
  const s = await scriptedServer(...args);
  servers.push(s);
  return s;
}

function client(options: Parameters<typeof remoteKv>[0]): KV {
  const kv = remoteKv({ discover: false, env, requestTimeoutMs: 2_000, ...options });
  clients.push(kv);
  return kv;
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) await s.close();
});

/** A URL where nothing listens (a port that was just free). */
let closedUrl = '';
beforeAll(async () => {
  const s = await scriptedServer(() => ({ kind: 'drop' }));
  closedUrl = s.url;
  await s.close();
});

const writes = (s: ScriptedServer) => s.seen.filter((r) => r.path === '/v3/kv/put');
const REGISTER_PATH = '/flotilla/session/register';
const registers = (s: ScriptedServer) =>
  s.seen
    .filter((r) => r.path === REGISTER_PATH)
    .map((r) => [r.headers['x-flotilla-client-id'], r.headers['x-flotilla-seq']]);

/** Registers succeed, as on a Flotilla server; `answer` numbers the other requests from 0. */
function registering(answer: (req: Seen, index: number) => Answer): (req: Seen) => Answer {
  let n = 0;
  return (req) => (req.path === REGISTER_PATH ? putAnswer(1) : answer(req, n++));
}

describe('remote backend retries', () => {
  it('a write whose connection drops after sending is not repeated without exactly-once, and surfaces ClientUnknownOutcomeError', async () => {
    const s = await server(() => ({ kind: 'drop' }));
    const kv = client({ endpoints: [s.url], exactlyOnce: false });
    await expect(kv.put('k', 'v')).rejects.toBeInstanceOf(ClientUnknownOutcomeError);
    expect(writes(s)).toHaveLength(1);
  });

  it('with exactly-once, a lane id is registered (seq 1) before its first write (seq 2); a dropped write is retried with the same client id and seq, and the next write gets the next seq', async () => {
    const s = await server(registering((_req, i) => (i === 0 ? { kind: 'drop' } : putAnswer(7))));
    const kv = client({ endpoints: [s.url], exactlyOnce: true, clientId: 'test-client' });
    const res = await kv.put('k', 'v');
    expect(res.header.revision).toBe(7);
    await kv.put('k', 'v2');
    const ids = writes(s).map((r) => [
      r.headers['x-flotilla-client-id'],
      r.headers['x-flotilla-seq'],
    ]);
    expect(ids).toEqual([
      ['test-client.0', '2'],
      ['test-client.0', '2'],
      ['test-client.0', '3'],
    ]);
    expect(registers(s)).toEqual([['test-client.0', '1']]);
  });

  it('a register whose connection drops is repeated (it changes nothing), and the write follows it', async () => {
    let registerTries = 0;
    const s = await server((req) =>
      req.path === REGISTER_PATH && registerTries++ === 0 ? { kind: 'drop' } : putAnswer(4),
    );
    const kv = client({ endpoints: [s.url], exactlyOnce: true, clientId: 'r' });
    expect((await kv.put('k', 'v')).header.revision).toBe(4);
    expect(registers(s)).toEqual([
      ['r.0', '1'],
      ['r.0', '1'],
    ]);
    expect(writes(s).map((r) => r.headers['x-flotilla-seq'])).toEqual(['2']);
  });

  it('concurrent exactly-once writes use different lanes, so no seq is ever older than one the server applied', async () => {
    const s = await server(registering(() => putAnswer(3)));
    const kv = client({
      endpoints: [s.url],
      exactlyOnce: true,
      clientId: 'c',
      writesInFlightMax: 2,
    });
    await Promise.all([kv.put('a', '1'), kv.put('b', '2'), kv.put('c', '3')]);
    const perLane = new Map<string, number[]>();
    for (const r of writes(s)) {
      const lane = String(r.headers['x-flotilla-client-id']);
      perLane.set(lane, [...(perLane.get(lane) ?? []), Number(r.headers['x-flotilla-seq'])]);
    }
    expect([...perLane.keys()].sort()).toEqual(['c.0', 'c.1']);
    for (const seqs of perLane.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect([...perLane.values()].flat().sort()).toEqual([2, 2, 3]);
    expect(
      registers(s)
        .map(([id]) => id)
        .sort(),
    ).toEqual(['c.0', 'c.1']);
  });

  describe('the server no longer remembers the client id (session expired)', () => {
    // What a Flotilla server answers for kv's SessionExpiredError (FailedPrecondition, the message as is).
    const expired = (req: { headers: Record<string, unknown> }) => {
      const message = `session expired: client "${String(req.headers['x-flotilla-client-id'])}" is no longer remembered by the exactly-once table; start a new client id`;
      return { kind: 'json' as const, status: 412, body: { error: message, message, code: 9 } };
    };
    const ids = (s: ScriptedServer) =>
      writes(s).map((r) => [
        String(r.headers['x-flotilla-client-id']),
        r.headers['x-flotilla-seq'],
      ]);

    it('a write refused on its first attempt is repeated once under a new client id, registered again, whose writes start at seq 2', async () => {
      const s = await server(registering((req, i) => (i === 1 ? expired(req) : putAnswer(5))));
      const kv = client({ endpoints: [s.url], exactlyOnce: true, clientId: 'svc' });
      await kv.put('k', 'v1');
      await kv.put('k', 'v2');
      await kv.put('k', 'v3');
      const seen = ids(s);
      expect(seen.slice(0, 2)).toEqual([
        ['svc.0', '2'],
        ['svc.0', '3'],
      ]);
      const renewed = seen[2]![0]!;
      expect(renewed).toMatch(/^svc~.+\.0$/);
      expect(seen.slice(2)).toEqual([
        [renewed, '2'],
        [renewed, '3'],
      ]);
      expect(registers(s)).toEqual([
        ['svc.0', '1'],
        [renewed, '1'],
      ]);
    });

    it('a write whose earlier attempt may have been applied surfaces SessionExpiredError (read first), and the next write uses a new id', async () => {
      const s = await server(
        registering((req, i) =>
          i === 0 ? { kind: 'drop' } : i === 1 ? expired(req) : putAnswer(5),
        ),
      );
      const kv = client({ endpoints: [s.url], exactlyOnce: true, clientId: 'svc' });
      await expect(kv.put('k', 'v1')).rejects.toBeInstanceOf(SessionExpiredError);
      await kv.put('k', 'v2');
      const seen = ids(s);
      expect(seen.slice(0, 2)).toEqual([
        ['svc.0', '2'],
        ['svc.0', '2'],
      ]);
      expect(seen[2]![0]).toMatch(/^svc~.+\.0$/);
      expect(seen[2]![1]).toBe('2');
      expect(registers(s)).toEqual([
        ['svc.0', '1'],
        [seen[2]![0], '1'],
      ]);
    });
  });

  it('a read is retried on another endpoint when the first one refuses connections', async () => {
    const s = await server(() => ({
      kind: 'json',
      body: { header: { revision: '4' }, count: '0' },
    }));
    const kv = client({ endpoints: [closedUrl, s.url], exactlyOnce: false });
    const res = await kv.range({ prefix: 'x' });
    expect(res.header.revision).toBe(4);
  });

  it('a write refused before sending (connection refused) is safe to retry even without exactly-once', async () => {
    const s = await server(() => putAnswer(5));
    const kv = client({ endpoints: [closedUrl, s.url], exactlyOnce: false });
    expect((await kv.put('k', 'v')).header.revision).toBe(5);
    expect(writes(s)).toHaveLength(1);
  });

  it('"not leader" with a leader hint moves the client to the leader; a redirect is followed too', async () => {
    const leader = await server(() => putAnswer(9));
    const follower = await server(() => ({
      kind: 'json',
      status: 503,
      body: { error: 'etcdserver: not leader', message: 'etcdserver: not leader', code: 14 },
      headers: { 'x-flotilla-leader': leader.url },
    }));
    const redirecting = await server(() => ({
      kind: 'redirect',
      location: `${leader.url}/v3/kv/put`,
    }));
    const kv = client({ endpoints: [follower.url], exactlyOnce: false });
    expect((await kv.put('k', 'v')).header.revision).toBe(9);
    const kv2 = client({ endpoints: [redirecting.url], exactlyOnce: false });
    expect((await kv2.put('k', 'v')).header.revision).toBe(9);
    expect(writes(follower)).toHaveLength(1);
    expect(writes(leader)).toHaveLength(2);
  });

  it('"leader changed" (a node\'s LeaderChangedError: nothing applied) is retried, as etcd\'s Unavailable is for reads', async () => {
    const changed = {
      error: 'etcdserver: leader changed (retry)',
      message: 'etcdserver: leader changed (retry)',
      code: 14,
    };
    const s = await server((_req, index) =>
      index === 0
        ? { kind: 'json', status: 503, body: changed }
        : { kind: 'json', body: { header: { revision: '4' }, kvs: [], count: '0' } },
    );
    const kv = client({ endpoints: [s.url], exactlyOnce: false });
    expect((await kv.range({ key: 'k' })).header.revision).toBe(4);
    expect(s.seen).toHaveLength(2);
  });

  it('retries are bounded: an endpoint that is always unavailable ends in UnavailableError after attemptsMax tries', async () => {
    const s = await server(() => ({
      kind: 'json',
      status: 503,
      body: { error: 'etcdserver: no leader', message: 'etcdserver: no leader', code: 14 },
    }));
    const kv = client({ endpoints: [s.url], exactlyOnce: false, retry: { attemptsMax: 4 } });
    await expect(kv.range({ key: 'k' })).rejects.toBeInstanceOf(UnavailableError);
    expect(s.seen).toHaveLength(4);
  });

  it('store errors are typed and not retried', async () => {
    const msg = 'etcdserver: mvcc: required revision has been compacted';
    const s = await server(() => ({
      kind: 'json',
      status: 400,
      body: { error: msg, message: msg, code: 11 },
    }));
    const kv = client({ endpoints: [s.url], exactlyOnce: false });
    await expect(kv.get('k', { revision: 1 })).rejects.toBeInstanceOf(CompactedError);
    expect(s.seen).toHaveLength(1);
  });

  it("discovery adds the members' client URLs, so a client given one dead endpoint still finds the cluster", async () => {
    const live = await server((req) =>
      req.path === '/v3/cluster/member/list'
        ? { kind: 'json', body: { members: [{ clientURLs: [closedUrl] }] } }
        : putAnswer(11),
    );
    const seed = await server((req) =>
      req.path === '/v3/cluster/member/list'
        ? { kind: 'json', body: { members: [{ clientURLs: [live.url] }] } }
        : { kind: 'drop' },
    );
    const kv = remoteKv({ endpoints: [seed.url], env, exactlyOnce: false });
    clients.push(kv);
    expect((await kv.range({ key: 'k' })).header.revision).toBe(11);
    // The seed dropped the read; it was retried on the discovered member.
    expect(seed.seen.map((r) => r.path)).toEqual(['/v3/cluster/member/list', '/v3/kv/range']);
    expect(live.seen.map((r) => r.path)).toEqual(['/v3/kv/range']);
  });

  it('"auto" turns exactly-once on for a server whose status names Flotilla, and leaves it off for etcd', async () => {
    const flaky = (version: string) => {
      let puts = 0;
      return (req: { path: string }) => {
        if (req.path === '/v3/maintenance/status')
          return { kind: 'json' as const, body: { version } };
        if (req.path === '/v3/cluster/member/list')
          return { kind: 'json' as const, body: { members: [] } };
        if (req.path === REGISTER_PATH) return putAnswer(1);
        return puts++ === 0 ? { kind: 'drop' as const } : putAnswer(2);
      };
    };
    const flotilla = await server(flaky('flotilla-0.1.0'));
    const etcd = await server(flaky('3.4.23'));
    const onFlotilla = remoteKv({ endpoints: [flotilla.url], env });
    const onEtcd = remoteKv({ endpoints: [etcd.url], env });
    clients.push(onFlotilla, onEtcd);
    expect((await onFlotilla.put('k', 'v')).header.revision).toBe(2);
    expect(writes(flotilla).map((r) => r.headers['x-flotilla-seq'])).toEqual(['2', '2']);
    expect(registers(flotilla)).toHaveLength(1);
    expect(registers(etcd)).toHaveLength(0);
    await expect(onEtcd.put('k', 'v')).rejects.toBeInstanceOf(ClientUnknownOutcomeError);
    expect(writes(etcd)).toHaveLength(1);
    expect(writes(etcd)[0]?.headers['x-flotilla-seq']).toBeUndefined();
  });
});
