// The suite's own parts, without cluster processes: the proxy on loopback
// sockets (bounded polls), partition shapes, the seeded schedule, the watch
// checker, and the shrinker that makes failing sub-histories readable.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkProxy } from '../../jepsen/src/cluster/link-proxy.js';
import { Network } from '../../jepsen/src/cluster/network.js';
import { pollUntil } from '../../jepsen/src/cluster/process.js';
import { sniffServerFrom } from '../../jepsen/src/cluster/etcd-target.js';
import {
  cut,
  partitionLinks,
  resolveNemeses,
  scheduleFaults,
  UnknownNemesisError,
  victims,
} from '../../jepsen/src/nemesis/faults.js';
import { seededRng } from '../../jepsen/src/rng.js';
import { checkWatcher } from '../../jepsen/src/workloads/watch.js';
import { prepareForCheck, shrinkRegisterViolation } from '../../jepsen/src/workloads/register.js';
import {
  checkLinearizable,
  registerModel,
  type RegisterOp,
} from '../../packages/testkit/src/cluster.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An echo-ish server that records what it received and lets the test write back on the accepted socket. */
async function sink(): Promise<{ port: number; received: () => string; sockets: net.Socket[] }> {
  let data = '';
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  );
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received: () => data,
    sockets,
  };
}

async function dial(
  port: number,
): Promise<{ socket: net.Socket; received: () => string; closed: () => boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  closers.push(() => void socket.destroy());
  return { socket, received: () => data, closed: () => closed };
}

describe('LinkProxy', () => {
  it('forwards both directions while the link is healthy', async () => {
    const server = await sink();
    const network = new Network(2);
    const proxy = await LinkProxy.listen({
      source: 0,
      target: 1,
      targetPort: server.port,
      policy: network,
    });
    closers.push(() => proxy.close());
    const client = await dial(proxy.port);
    client.socket.write('ping');
    expect(
      await pollUntil(() => server.received() === 'ping' && server.sockets.length === 1, 5_000, 10),
    ).toBe(true);
    server.sockets[0]?.write('pong');
    expect(await pollUntil(() => client.received() === 'pong', 5_000, 10)).toBe(true);
  });

  it('a one-way block drops only that direction, and healing closes the torn connection so the nodes reconnect cleanly', async () => {
    const server = await sink();
    const network = new Network(2);
    const proxy = await LinkProxy.listen({
      source: 0,
      target: 1,
      targetPort: server.port,
      policy: network,
    });
    network.adopt(proxy);
    closers.push(() => proxy.close());
    const client = await dial(proxy.port);
    client.socket.write('a');
    expect(await pollUntil(() => server.received() === 'a', 5_000, 10)).toBe(true);
    network.block([[0, 1]]);
    client.socket.write('b');
    server.sockets[0]?.write('back');
    expect(await pollUntil(() => client.received() === 'back', 5_000, 10)).toBe(true);
    expect(server.received()).toBe('a');
    network.heal();
    expect(await pollUntil(() => client.closed(), 5_000, 10)).toBe(true);
    expect(server.received()).toBe('a');
  });

  it('a full partition cuts open connections and refuses new ones until healed', async () => {
    const server = await sink();
    const network = new Network(2);
    const proxy = await LinkProxy.listen({
      source: 0,
      target: 1,
      targetPort: server.port,
      policy: network,
    });
    network.adopt(proxy);
    closers.push(() => proxy.close());
    const before = await dial(proxy.port);
    network.block(cut([0], [1]));
    expect(await pollUntil(() => before.closed(), 5_000, 10)).toBe(true);
    const during = await dial(proxy.port);
    expect(await pollUntil(() => during.closed(), 5_000, 10)).toBe(true);
    network.heal();
    const after = await dial(proxy.port);
    after.socket.write('x');
    expect(await pollUntil(() => server.received().endsWith('x'), 5_000, 10)).toBe(true);
  });

  it('attributes etcd peer connections by their X-Server-From header, resolved when the ids become known', async () => {
    const server = await sink();
    const network = new Network(2);
    const ids = new Map<string, number>();
    const proxy = await LinkProxy.listen({
      source: { sniff: sniffServerFrom, resolve: (h) => ids.get(h) },
      target: 1,
      targetPort: server.port,
      policy: network,
    });
    network.adopt(proxy);
    closers.push(() => proxy.close());
    const c = await dial(proxy.port);
    c.socket.write('GET /raft/stream/message/2 HTTP/1.1\r\nHost: x\r\nX-Server-From: 8a3f\r\n\r\n');
    expect(await pollUntil(() => server.received().includes('X-Server-From'), 5_000, 10)).toBe(
      true,
    );
    ids.set('8a3f', 0);
    network.block(cut([0], [1]));
    expect(await pollUntil(() => c.closed(), 5_000, 10)).toBe(true);
  });

  it('reads the sender from the request head and asks for more bytes until the head is complete', () => {
    expect(sniffServerFrom(Buffer.from('POST /raft HTTP/1.1\r\nX-Server-From: ABC1\r\n\r\n'))).toBe(
      'abc1',
    );
    expect(sniffServerFrom(Buffer.from('POST /raft HTTP/1.1\r\nHost: x'))).toBe('more');
    expect(sniffServerFrom(Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'))).toBeUndefined();
  });
});

describe('nemesis shapes and schedule', () => {
  const sides = (links: [number, number][], n: number): boolean[][] => {
    const m = Array.from({ length: n }, () => Array.from({ length: n }, () => true));
    for (const [a, b] of links) (m[a] as boolean[])[b] = false;
    return m;
  };

  it('isolate-leader cuts the leader from everyone both ways; one-way only silences it', () => {
    const iso = sides(partitionLinks('partition-isolate-leader', 5, 7, 2), 5);
    for (let i = 0; i < 5; i++)
      if (i !== 2) expect([iso[2]?.[i], iso[i]?.[2]]).toEqual([false, false]);
    const oneWay = sides(partitionLinks('partition-one-way', 5, 7, 2), 5);
    for (let i = 0; i < 5; i++)
      if (i !== 2) expect([oneWay[2]?.[i], oneWay[i]?.[2]]).toEqual([false, true]);
  });

  it('halves leave a majority and a minority; a bridge node sees both sides; a ring gives every node a different majority', () => {
    const halves = partitionLinks('partition-halves', 5, 3, 0);
    expect(halves.length).toBe(2 * 2 * 3);
    const bridge = sides(partitionLinks('partition-bridge', 5, 3, 0), 5);
    const bridgeNode = [0, 1, 2, 3, 4].find((i) =>
      [0, 1, 2, 3, 4].every((j) => bridge[i]?.[j] && bridge[j]?.[i]),
    );
    expect(bridgeNode).toBeDefined();
    const ring = sides(partitionLinks('partition-ring', 5, 3, 0), 5);
    for (let i = 0; i < 5; i++) expect(ring[i]?.filter(Boolean).length).toBe(3); // itself and two neighbours
  });

  it('kill-minority hits fewer than half the nodes; kill-leader hits the leader', () => {
    expect(victims('kill-minority', 5, 9, 0)).toHaveLength(2);
    expect(victims('kill-leader', 3, 9, 1)).toEqual([1]);
  });

  it('the same seed gives the same schedule; windows never overlap and end before the quiet tail', () => {
    const kinds = resolveNemeses(['partition', 'kill']);
    const a = scheduleFaults(seededRng(5), { kinds, durationMs: 60_000 });
    expect(scheduleFaults(seededRng(5), { kinds, durationMs: 60_000 })).toEqual(a);
    expect(a.length).toBeGreaterThan(3);
    for (let i = 1; i < a.length; i++)
      expect(a[i]?.startMs).toBeGreaterThan(a[i - 1]?.endMs ?? Infinity);
    expect(a[a.length - 1]?.endMs).toBeLessThanOrEqual(58_000);
    expect(() => resolveNemeses(['flood'])).toThrow(UnknownNemesisError);
  });
});

describe('watch checker', () => {
  const e = (revision: number, key: string, value: string, batch: number) => ({
    revision,
    key,
    type: 'PUT',
    value,
    batch,
  });
  const final = [e(2, 'a', '1', 0), e(3, 'b', '1', 0), e(3, 'c', '1', 0), e(4, 'a', '2', 0)];

  it('accepts a watcher that saw exactly a prefix of the final history', () => {
    expect(
      checkWatcher({ events: [e(2, 'a', '1', 0), e(3, 'b', '1', 1), e(3, 'c', '1', 1)] }, final),
    ).toEqual([]);
  });

  it('reports a gap, a duplicate, reordering and a revision split over two batches', () => {
    expect(checkWatcher({ events: [e(2, 'a', '1', 0), e(4, 'a', '2', 1)] }, final).join()).toMatch(
      /gap/,
    );
    expect(checkWatcher({ events: [e(2, 'a', '1', 0), e(2, 'a', '1', 1)] }, final).join()).toMatch(
      /twice/,
    );
    expect(checkWatcher({ events: [e(3, 'b', '1', 0), e(2, 'a', '1', 1)] }, final).join()).toMatch(
      /out of order/,
    );
    expect(
      checkWatcher(
        { events: [e(2, 'a', '1', 0), e(3, 'b', '1', 1), e(3, 'c', '1', 2)] },
        final,
      ).join(),
    ).toMatch(/not atomic/);
  });
});

describe('failing sub-history shrinking', () => {
  it('shrinks a long history with one stale read to the read and the two writes that make it stale', () => {
    const ops: RegisterOp[] = [];
    let t = 0;
    const add = (o: Partial<RegisterOp> & Pick<RegisterOp, 'op'>): void => {
      ops.push({
        id: ops.length,
        process: ops.length % 3,
        key: 'k',
        invokeTime: t,
        completeTime: t + 1,
        outcome: 'ok',
        ...o,
      } as RegisterOp);
      t += 2;
    };
    for (let i = 0; i < 30; i++) {
      add({ op: 'write', value: `v${i}`, result: { revision: 10 + i } });
      add({ op: 'read', result: { value: `v${i}`, modRevision: 10 + i } });
    }
    add({ op: 'read', result: { value: 'v28', modRevision: 38 } }); // stale: v29 was acknowledged before
    const check = checkLinearizable(registerModel, ops);
    expect(check.verdict).toBe('violation');
    const v = check.violations[0];
    const byId = new Map(ops.map((o) => [o.id, o]));
    const shrunk = shrinkRegisterViolation(
      v?.prefixOpIds.map((id) => byId.get(id) as RegisterOp) ?? [],
      v?.culpritOpId,
    );
    expect(shrunk.map((o) => [o.op, o.value ?? o.result?.value])).toEqual([
      ['write', 'v28'],
      ['write', 'v29'],
      ['read', 'v28'],
    ]);
  });
});

describe('register history preparation', () => {
  const base = { process: 0, key: 'k', invokeTime: 0, completeTime: 1 } as const;

  it('turns a failed compare-and-set into the read it made, and drops unknown writes nobody observed', () => {
    const history: RegisterOp[] = [
      { ...base, id: 0, op: 'write', value: 'a', outcome: 'ok', result: { revision: 2 } },
      { ...base, id: 1, op: 'write', value: 'ghost', outcome: 'unknown', completeTime: Infinity },
      { ...base, id: 2, op: 'write', value: 'seen', outcome: 'unknown', completeTime: Infinity },
      {
        ...base,
        id: 3,
        op: 'cas',
        value: 'c',
        expected: { value: 'zzz' },
        outcome: 'ok',
        result: { succeeded: false, value: 'seen', modRevision: 4 },
        invokeTime: 2,
        completeTime: 3,
      },
    ];
    const prepared = prepareForCheck(history);
    expect(prepared.ops.map((o) => [o.id, o.op])).toEqual([
      [0, 'write'],
      [2, 'write'],
      [3, 'read'],
    ]);
    expect(prepared.dropped).toBe(1);
    expect(checkLinearizable(registerModel, prepared.ops).verdict).toBe('ok');
  });

  it('a failed compare-and-set that saw a value older than an acknowledged write is a stale read', () => {
    const history: RegisterOp[] = [
      { ...base, id: 0, op: 'write', value: 'a', outcome: 'ok', result: { revision: 2 } },
      {
        ...base,
        id: 1,
        op: 'write',
        value: 'b',
        outcome: 'ok',
        result: { revision: 3 },
        invokeTime: 2,
        completeTime: 3,
      },
      {
        ...base,
        id: 2,
        op: 'cas',
        value: 'c',
        expected: { value: 'x' },
        outcome: 'ok',
        result: { succeeded: false, value: 'a', modRevision: 2 },
        invokeTime: 4,
        completeTime: 5,
      },
    ];
    expect(checkLinearizable(registerModel, history).verdict).toBe('ok'); // as a bare failed cas it proves nothing
    expect(checkLinearizable(registerModel, prepareForCheck(history).ops).verdict).toBe(
      'violation',
    );
  });
});
