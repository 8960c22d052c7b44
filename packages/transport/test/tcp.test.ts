// TCP-specific behaviour: handshake refusals, bounded queues while a peer is
// down, hostile or broken peers, frame limits and the fault hook.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Message, NodeId } from '@flotilla/raft';
import {
  LinkFaults,
  TcpTransport,
  TransportOptionsError,
  type TcpTransportOptions,
} from '../src/index.js';
import { append, heartbeat } from './messages.js';
import { RawPeer } from './raw-peer.js';
import { HOST, recordingLogger, waitFor, type LogLine } from './tcp-harness.js';
import { TestNodes, type TestNode } from './tcp-nodes.js';

const nodes = new TestNodes();
afterEach(() => nodes.closeAll());

type Node = TestNode;
const node = (id: NodeId, extra: Partial<TcpTransportOptions> = {}): Promise<Node> =>
  nodes.node(id, extra);
const raw = (port: number): Promise<RawPeer> => nodes.raw(port);

/** A port nothing listens on (bound once, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const warnings = (log: LogLine[], text: string) =>
  log.filter((l) => l.level === 'warn' && l.msg.includes(text));

describe('TCP handshake', () => {
  it('refuses a node of another cluster at handshake, logs it on both sides, and the dialer does not retry hot', async () => {
    const red = await node(2, { clusterId: 'red' });
    const blue = await node(1, {
      clusterId: 'blue',
      refusedRetryMs: 400,
      peers: { 2: { host: HOST, port: red.port } },
    });
    blue.t.send(2, [heartbeat(1, 2, 1)]);
    await waitFor(
      () => warnings(red.log, 'refused a handshake').length >= 2,
      'a second attempt after the refusal',
      3000,
    );
    const refusals = warnings(red.log, 'refused a handshake');
    expect(refusals[0]!.obj).toMatchObject({ code: 'wrongCluster', from: 1, clusterId: 'blue' });
    expect(warnings(blue.log, 'peer refused the handshake')[0]!.obj).toMatchObject({
      code: 'wrongCluster',
      peer: 2,
      retryMs: 400,
    });
    // Ordinary back-off here is at most 100 ms; a refused dialer waits refusedRetryMs.
    const attempts = red.log.filter((l) => l.msg === 'refused a handshake').length;
    expect(attempts).toBe(2);
    expect(red.got).toEqual([]);
    expect(blue.t.peers().get(2)).toMatchObject({ connected: false, queuedMessages: 1 });
  });

  it('measures the gap between refused attempts as at least refusedRetryMs', async () => {
    const red = await node(2, { clusterId: 'red' });
    const times: number[] = [];
    red.t.onDrop(() => {});
    const logger = recordingLogger([]);
    const origWarn = logger.warn;
    const blue = await node(1, {
      clusterId: 'blue',
      refusedRetryMs: 300,
      peers: { 2: { host: HOST, port: red.port } },
      logger: {
        ...logger,
        warn: (obj, msg) => {
          if (msg.includes('refused')) times.push(Date.now());
          origWarn(obj, msg);
        },
      },
    });
    await waitFor(() => times.length >= 3, 'three refusals', 3000);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(290);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(290);
    expect(blue.t.stats().delivered).toBe(0);
  });

  it('refuses a dialer that reached the wrong node id (wrongNode)', async () => {
    const three = await node(3);
    const one = await node(1, {
      refusedRetryMs: 10_000,
      peers: { 2: { host: HOST, port: three.port } },
    });
    await waitFor(() => warnings(one.log, 'peer refused').length === 1, 'refusal');
    expect(warnings(one.log, 'peer refused')[0]!.obj).toMatchObject({ code: 'wrongNode' });
  });

  it.each([
    ['unknownPeer', { from: 7, to: 5 }],
    ['wrongDialer', { from: 9, to: 5 }],
    ['wrongCluster', { from: 1, to: 5, clusterId: 'other' }],
    ['version', { from: 1, to: 5, v: 99 }],
  ] as const)('refuses a hello with %s and closes the connection', async (code, hello) => {
    const dead = await deadPort();
    const five = await node(5, {
      peers: { 1: { host: HOST, port: dead }, 9: { host: HOST, port: dead } },
    });
    const peer = await raw(five.port);
    const reply = await peer.hello(
      hello.from,
      hello.to,
      'clusterId' in hello ? hello.clusterId : 'test',
      'v' in hello ? hello.v : undefined,
    );
    expect(reply).toMatchObject({ ok: false, code });
    expect(reply.reason).toEqual(expect.any(String));
    await waitFor(() => peer.closed, 'connection closed after the refusal');
    expect(warnings(five.log, 'refused a handshake')[0]!.obj).toMatchObject({ code });
  });

  it('closes a connection that sends no handshake in time, and sheds connections beyond pendingHandshakesMax', async () => {
    const five = await node(5, { handshakeTimeoutMs: 500, pendingHandshakesMax: 2 });
    const a = await raw(five.port);
    const b = await raw(five.port);
    const c = await raw(five.port);
    await waitFor(() => c.closed, 'the third pending connection is shed');
    expect(a.closed || b.closed).toBe(false);
    await waitFor(() => a.closed && b.closed, 'silent connections time out');
    expect(warnings(five.log, 'too many handshakes').length).toBe(1);
  });

  it('keeps one connection per pair: a newer connection from the same peer replaces the older', async () => {
    const five = await node(5, { peers: { 1: { host: HOST, port: await deadPort() } } });
    const first = await raw(five.port);
    expect(await first.hello(1, 5)).toEqual({ ok: true });
    const second = await raw(five.port);
    expect(await second.hello(1, 5)).toEqual({ ok: true });
    await waitFor(() => first.closed, 'the older connection is closed');
    second.write(second.frame([heartbeat(1, 5, 3)]));
    await waitFor(() => five.got.length === 1, 'delivery on the newer connection');
    five.t.send(1, [heartbeat(5, 1, 4)]);
    await waitFor(() => second.replies.length === 2, 'the acceptor sends on the newer connection');
  });
});

describe('TCP peer down', () => {
  it('keeps the send queue within its bound while a peer stays down and messages keep coming, then delivers the newest', async () => {
    const port = await deadPort();
    const one = await node(1, {
      peers: { 2: { host: HOST, port } },
      sendQueueMessagesMax: 100,
      sendQueueBytesMax: 64 * 1024,
      frameBytesMax: 32 * 1024,
    });
    let term = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) one.t.send(2, [append(1, 2, ++term, [[term & 255, 1, 2, 3]])]);
      const peer = one.t.peers().get(2)!;
      expect(peer.connected).toBe(false);
      expect(peer.queuedMessages).toBe(100);
      expect(peer.queuedBytes).toBeLessThanOrEqual(64 * 1024);
      expect(one.t.stats().queued.get(2)).toBe(100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const s = one.t.stats();
    expect(s.sent).toBe(10_000);
    expect(s.dropped.queueFull).toBe(10_000 - 100);
    expect(one.drops.every((d) => d.reason === 'queueFull' && d.peer === 2)).toBe(true);
    const two = await node(2, {
      listen: { host: HOST, port },
      peers: { 1: { host: HOST, port: one.port } },
    });
    await waitFor(() => two.got.length === 100, 'the queued messages arrive once the peer is up');
    expect(two.got.map((r) => r.message.term)).toEqual(
      Array.from({ length: 100 }, (_, i) => 9_901 + i),
    );
    expect(one.t.stats().queued.get(2)).toBeUndefined();
  });

  it('drops a single message larger than frameBytesMax as tooLarge, and splits a large batch into frames that fit', async () => {
    const two = await node(2, {
      frameBytesMax: 64 * 1024,
      peers: { 1: { host: HOST, port: await deadPort() } },
    });
    const one = await node(1, {
      frameBytesMax: 64 * 1024,
      peers: { 2: { host: HOST, port: two.port } },
    });
    await waitFor(() => one.t.peers().get(2)!.connected, 'connected');
    const big: Message = {
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 1,
      snapshot: {
        meta: {
          index: 1,
          term: 1,
          confState: { voters: [1], votersOutgoing: [], learners: [], learnersNext: [] },
        },
        data: new Uint8Array(100 * 1024),
      },
    };
    one.t.send(2, [big]);
    expect(one.t.stats().dropped.tooLarge).toBe(1);
    const batch = Array.from({ length: 50 }, (_, i) =>
      append(1, 2, i + 1, [Array.from({ length: 4096 }, () => i)]),
    );
    one.t.send(2, batch);
    await waitFor(() => two.got.length === 50, 'the split batch arrives');
    expect(two.got.map((r) => r.message)).toEqual(batch);
    expect(warnings(one.log, 'over frameBytesMax')[0]!.obj).toMatchObject({ type: 'snapshot' });
  });
});

describe('TCP hostile and broken peers', () => {
  async function acceptor(): Promise<{ five: Node; peer: RawPeer }> {
    const five = await node(5, {
      peers: { 1: { host: HOST, port: await deadPort() } },
      frameBytesMax: 1024 * 1024,
    });
    const peer = await raw(five.port);
    expect(await peer.hello(1, 5)).toEqual({ ok: true });
    return { five, peer };
  }

  it('a peer that dies mid-frame: the receiver logs a truncated frame and keeps serving', async () => {
    const { five, peer } = await acceptor();
    const frame = peer.frame([heartbeat(1, 5, 1), heartbeat(1, 5, 2)]);
    peer.write(frame);
    peer.write(frame.subarray(0, 7));
    await waitFor(() => five.got.length === 2, 'the complete frame is delivered');
    peer.socket.end();
    await waitFor(
      () => warnings(five.log, 'broke the protocol').length === 1,
      'the truncation is logged',
    );
    expect(warnings(five.log, 'broke the protocol')[0]!.obj).toMatchObject({
      err: 'TruncatedFrameError',
      peer: 1,
    });
    const again = await raw(five.port);
    expect(await again.hello(1, 5)).toEqual({ ok: true });
    again.write(again.frame([heartbeat(1, 5, 3)]));
    await waitFor(() => five.got.length === 3, 'a new connection is served');
  });

  it('a peer that floods: the receiver survives and delivers every message in order', async () => {
    const { five, peer } = await acceptor();
    const n = 20_000;
    const frames = Array.from({ length: n }, (_, i) =>
      peer.frame([heartbeat(1, 5, i + 1, 'x'.repeat(40))]),
    );
    peer.write(Buffer.concat(frames));
    await waitFor(() => five.got.length === n, 'every flooded message is delivered', 20_000);
    expect(five.got.every((r, i) => r.message.term === i + 1)).toBe(true);
    expect(five.t.stats().delivered).toBe(n);
  });

  it.each([
    [
      'a length prefix over frameBytesMax',
      () => Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 1, 2]),
      'FrameTooLargeError',
    ],
    [
      'bytes that are not MessagePack',
      () => Uint8Array.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]),
      'FrameDecodeError',
    ],
    [
      'MessagePack that is not a message list',
      () => Uint8Array.from([0, 0, 0, 2, 0x81, 0x01]),
      'FrameDecodeError',
    ],
    ['a zero-length frame', () => Uint8Array.from([0, 0, 0, 0]), 'EmptyFrameError'],
  ])(
    '%s closes that connection with a logged reason, and the node keeps working',
    async (_what, bytes, err) => {
      const { five, peer } = await acceptor();
      peer.write(bytes());
      await waitFor(() => peer.closed, 'the connection is closed');
      expect(warnings(five.log, 'broke the protocol')[0]!.obj).toMatchObject({ err, peer: 1 });
      const again = await raw(five.port);
      expect(await again.hello(1, 5)).toEqual({ ok: true });
    },
  );

  it('a message claiming another sender closes the connection', async () => {
    const { five, peer } = await acceptor();
    peer.write(peer.frame([heartbeat(3, 5, 1)]));
    await waitFor(() => peer.closed, 'the connection is closed');
    expect(five.got).toEqual([]);
    expect(warnings(five.log, 'broke the protocol')[0]!.obj).toMatchObject({
      err: 'PeerProtocolError',
    });
  });

  it('bytes from another protocol before the handshake (an HTTP request) close the connection without buffering them', async () => {
    const five = await node(5);
    const peer = await raw(five.port);
    peer.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await waitFor(() => peer.closed, 'the connection is closed');
    expect(warnings(five.log, 'broke the protocol')[0]!.obj).toMatchObject({
      err: 'FrameTooLargeError',
    });
  });

  it('a handler that throws is logged and does not close the connection', async () => {
    const { five, peer } = await acceptor();
    let calls = 0;
    five.t.onMessage(() => {
      calls++;
      throw new Error('bug in the driver');
    });
    peer.write(peer.frame([heartbeat(1, 5, 1)]));
    peer.write(peer.frame([heartbeat(1, 5, 2)]));
    await waitFor(() => calls === 2, 'both frames reach the handler');
    expect(peer.closed).toBe(false);
    expect(warnings(five.log, 'handler threw')).toHaveLength(2);
  });
});

describe('TCP fault hook', () => {
  it('blocks a link one way or both, delays a link, and is off unless configured', async () => {
    const faults = new LinkFaults();
    const two = await node(2);
    const one = await node(1, { faults, peers: { 2: { host: HOST, port: two.port } } });
    two.t.addPeer(1, { host: HOST, port: one.port });
    await waitFor(() => one.t.peers().get(2)!.connected, 'connected');
    expect(two.t.faults).toBeUndefined();

    faults.block(2, 'out');
    one.t.send(2, [heartbeat(1, 2, 1)]);
    expect(one.drops).toEqual([{ peer: 2, direction: 'out', count: 1, reason: 'fault' }]);
    two.t.send(1, [heartbeat(2, 1, 2)]);
    await waitFor(() => one.got.length === 1, 'the other direction still works');

    faults.block(2, 'in');
    two.t.send(1, [heartbeat(2, 1, 3)]);
    await waitFor(() => one.t.stats().dropped.fault === 2, 'inbound drop reported');
    expect(one.drops[1]).toEqual({ peer: 2, direction: 'in', count: 1, reason: 'fault' });

    faults.clear();
    faults.delay(2, 80);
    const sentAt = Date.now();
    one.t.send(2, [heartbeat(1, 2, 4)]);
    expect(one.t.stats().queued.get(2)).toBe(1);
    await waitFor(() => two.got.length === 1, 'the delayed message arrives');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(75);
    expect(two.got[0]!.message.term).toBe(4);
  });
});

describe('TCP options', () => {
  it('refuses options that cannot work, with a typed error', () => {
    const base = { id: 1, clusterId: 'c', listen: { host: HOST, port: 0 } };
    expect(
      () => new TcpTransport({ ...base, frameBytesMax: 1024, sendQueueBytesMax: 512 }),
    ).toThrow(TransportOptionsError);
    expect(() => new TcpTransport({ ...base, clusterId: '' })).toThrow(TransportOptionsError);
    expect(() => new TcpTransport({ ...base, peers: { 1: { host: HOST, port: 1 } } })).toThrow(
      /lists itself/,
    );
    expect(() => new TcpTransport({ ...base, reconnect: { baseMs: 100, maxMs: 10 } })).toThrow(
      TransportOptionsError,
    );
  });
});
