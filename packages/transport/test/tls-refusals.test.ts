// Peer TLS: what is refused, with which counted reason and which log line,
// and that a refused connection never reaches the Raft layer (nothing is
// delivered, no link is up). Certificates are made at test time (tls-pki.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectTls } from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NodeId } from '@flotilla/raft';
import {
  peerTlsFromFlags,
  TcpTransport,
  TransportOptionsError,
  PROTOCOL_VERSION,
  type TcpTransportOptions,
} from '../src/index.js';
import { makeCert } from '../../../tools/gen-certs.js';
import { heartbeat } from './messages.js';
import { HOST, waitFor, type LogLine } from './tcp-harness.js';
import { TestNodes, type TestNode } from './tcp-nodes.js';
import { testPki, type Pki } from './tls-pki.js';
import { encodeFrame, FrameDecoder } from '../src/framing.js';
import { createPackr } from '../src/codec.js';

let pki: Pki;
beforeAll(() => {
  pki = testPki();
});
afterAll(() => pki.remove());

const nodes = new TestNodes();
afterEach(() => nodes.closeAll());

type Node = TestNode;
/** Refused dialers retry quickly here, so a refusal is seen more than once within a test. */
const node = (id: NodeId, extra: Partial<TcpTransportOptions> = {}): Promise<Node> =>
  nodes.node(id, { refusedRetryMs: 50, ...extra });

/** Node `dialerId` dials node `acceptorId` (the lower id dials), each with its own options. */
async function link(
  dialerId: NodeId,
  dialer: Partial<TcpTransportOptions>,
  acceptorId: NodeId,
  acceptor: Partial<TcpTransportOptions>,
): Promise<{ a: Node; b: Node }> {
  const b = await node(acceptorId, acceptor);
  const a = await node(dialerId, {
    ...dialer,
    peers: { [acceptorId]: { host: HOST, port: b.port } },
  });
  b.t.addPeer(dialerId, { host: HOST, port: a.port });
  return { a, b };
}

const warned = (log: LogLine[], code: string) =>
  log.filter((l) => l.level === 'warn' && l.obj['code'] === code);

/** The dialer keeps sending; after the refusal was seen, nothing has been delivered and no link is up. */
async function expectNothingReached(a: Node, b: Node, acceptorId: NodeId): Promise<void> {
  a.t.send(acceptorId, [heartbeat(a.t.id, acceptorId, 1)]);
  expect(b.got).toEqual([]);
  expect(b.t.stats().delivered).toBe(0);
  expect(a.t.peers().get(acceptorId)?.connected).toBe(false);
  expect([...b.t.peers().values()].every((p) => !p.connected)).toBe(true);
}

describe('peer TLS refusals', () => {
  it('a dialer whose certificate comes from another CA is refused at the TLS layer, counted as tls', async () => {
    const { a, b } = await link(
      1,
      {
        tls: {
          ...pki.peer(1),
          certFile: pki.otherCerts['1']!.cert,
          keyFile: pki.otherCerts['1']!.key,
        },
      },
      2,
      { tls: pki.peer(2) },
    );
    await waitFor(
      () => (b.t.handshakeFailures().tls ?? 0) >= 2,
      'two refusals counted by the acceptor',
    );
    expect(warned(b.log, 'tls')[0]?.obj['reason']).toMatch(
      /did not verify against the peer trusted CA/,
    );
    // The dialer is told why over the TLS connection, and waits refusedRetryMs before dialing again.
    await waitFor(
      () => a.log.some((l) => l.msg === 'peer refused the handshake; retrying later'),
      'the dialer hears the refusal',
    );
    const heard = a.log.find((l) => l.msg === 'peer refused the handshake; retrying later')!;
    expect([heard.obj['code'], heard.obj['retryMs']]).toEqual(['tls', 50]);
    expect(String(heard.obj['reason'])).toMatch(/did not verify against the peer trusted CA/);
    await expectNothingReached(a, b, 2);
  });

  it('a dialer that trusts another CA refuses the acceptor, and a dialer with no certificate is refused when client-cert-auth is on', async () => {
    const { a, b } = await link(1, { tls: { ...pki.peer(1), trustedCaFile: pki.otherCa } }, 2, {
      tls: pki.peer(2),
    });
    await waitFor(
      () => (a.t.handshakeFailures().tls ?? 0) >= 1,
      'the dialer counts the failed verification',
    );
    expect(warned(a.log, 'tls')[0]?.obj['reason']).toMatch(/certificate/);
    await expectNothingReached(a, b, 2);
    await a.t.close();
    const socket = connectTls({ host: HOST, port: b.port, ca: readFileSync(pki.ca) });
    socket.on('error', () => {});
    await waitFor(
      () =>
        warned(b.log, 'tls').some((l) => String(l.obj['reason']).includes('showed no certificate')),
      'the certificate-less dialer is refused',
    );
    expect(
      warned(b.log, 'tls').some((l) => String(l.obj['reason']).includes('showed no certificate')),
    ).toBe(true);
    socket.destroy();
  });

  it('identity: a peer with a valid certificate for node 2 claiming to be node 1 is refused (identity), never reaching Raft', async () => {
    const { a, b } = await link(1, { tls: { ...pki.peer(2) } }, 3, { tls: pki.peer(3) });
    b.t.addPeer(2, { host: HOST, port: 1 });
    await waitFor(
      () =>
        (b.t.handshakeFailures().identity ?? 0) >= 1 &&
        (a.t.handshakeFailures().identity ?? 0) >= 1,
      'the acceptor refuses the claimed id, and the dialer counts the refusal',
    );
    const refusal = b.log.find((l) => l.msg === 'refused a handshake');
    expect(refusal?.obj['code']).toBe('identity');
    expect(String(refusal?.obj['reason'])).toContain('names node 2, but it claims to be node 1');
    expect(a.t.handshakeFailures().identity).toBeGreaterThanOrEqual(1);
    await expectNothingReached(a, b, 3);
  });

  it('identity: a certificate naming a node that is not a peer is refused before any frame is read', async () => {
    const { a, b } = await link(1, { tls: pki.peer(3) }, 2, { tls: pki.peer(2) });
    await waitFor(
      () => (b.t.handshakeFailures().identity ?? 0) >= 1,
      'refused on the certificate alone',
    );
    expect(warned(b.log, 'identity')[0]?.obj['reason']).toContain(
      'names node 3, which is not a peer of node 2',
    );
    await waitFor(
      () => (a.t.handshakeFailures().identity ?? 0) >= 1,
      'the dialer counts the refusal it was told',
    );
    // No hello was ever decoded: the handshake refusal path (which reads the hello) never ran.
    expect(b.log.some((l) => l.msg === 'refused a handshake')).toBe(false);
    await expectNothingReached(a, b, 2);
  });

  it('identity: a dialer that reaches an acceptor whose certificate names another node does not send its hello', async () => {
    const { a, b } = await link(1, { tls: pki.peer(1) }, 2, { tls: pki.peer(3) });
    await waitFor(
      () => (a.t.handshakeFailures().identity ?? 0) >= 1,
      'the dialer refuses the acceptor',
    );
    expect(warned(a.log, 'identity')[0]?.obj['reason']).toContain('dialed node 2');
    expect(b.log.some((l) => l.msg === 'refused a handshake')).toBe(false);
    await expectNothingReached(a, b, 2);
  });

  it('allowedCn: certificates must carry the allowed CN; the member name then comes from the SAN URI', async () => {
    const refused = await link(1, { tls: pki.peer(1) }, 2, {
      tls: pki.peer(2, { allowedCn: 'flotilla-peer' }),
    });
    await waitFor(
      () => (refused.b.t.handshakeFailures().identity ?? 0) >= 1,
      'a CN other than the allowed one is refused',
    );
    expect(warned(refused.b.log, 'identity')[0]?.obj['reason']).toContain(
      "is not the allowed CN 'flotilla-peer'",
    );
    await expectNothingReached(refused.a, refused.b, 2);
    for (const name of ['4', '5']) makeCert(pki.dir, name, { cn: 'flotilla-peer' });
    const ok = await link(4, { tls: pki.peer(4, { allowedCn: 'flotilla-peer' }) }, 5, {
      tls: pki.peer(5, { allowedCn: 'flotilla-peer' }),
    });
    await waitFor(
      () => ok.a.t.peers().get(5)?.connected === true,
      'members with the allowed CN connect',
    );
    ok.a.t.send(5, [heartbeat(4, 5, 7)]);
    await waitFor(() => ok.b.got.length === 1, 'and exchange messages');
  });

  it('a plain-TCP dialer on a TLS port is refused (plainOnTls), and so is a raw hello', async () => {
    const { a, b } = await link(1, {}, 2, { tls: pki.peer(2) });
    await waitFor(
      () => (b.t.handshakeFailures().plainOnTls ?? 0) >= 1,
      'the plain dialer is refused',
    );
    expect(warned(b.log, 'plainOnTls')[0]?.obj['reason']).toContain('does not speak TLS');
    await expectNothingReached(a, b, 2);
    const peer = await nodes.raw(b.port);
    await peer.hello(1, 2);
    await waitFor(() => peer.closed, 'the raw hello is answered by a close');
    expect(peer.replies).toEqual([]);
  });

  it('a TLS dialer on a plain-TCP port is refused there (tlsOnPlain) and the dialer counts a TLS failure', async () => {
    const { a, b } = await link(1, { tls: pki.peer(1) }, 2, {});
    await waitFor(
      () =>
        (b.t.handshakeFailures().tlsOnPlain ?? 0) >= 1 && (a.t.handshakeFailures().tls ?? 0) >= 1,
      'both sides count it',
    );
    expect(warned(a.log, 'tls')[0]?.obj['reason']).toMatch(
      /the peer answered in clear; is peer TLS on at the peer\?/,
    );
    expect(warned(b.log, 'tlsOnPlain')[0]?.obj['reason']).toContain(
      'a TLS client connected to this plain-TCP peer port',
    );
    // Named as TLS before the frame decoder could mistake the TLS record for a huge frame.
    expect(b.log.some((l) => l.msg === 'closing connection: peer broke the protocol')).toBe(false);
    await expectNothingReached(a, b, 2);
  });

  it('with client-cert-auth off, a dialer without a certificate is taken on its claimed id', async () => {
    const b = await node(2, {
      tls: pki.peer(2, { clientCertAuth: false }),
      peers: { 1: { host: HOST, port: 1 } },
    });
    const socket = connectTls({ host: HOST, port: b.port, ca: readFileSync(pki.ca) });
    const replies: unknown[] = [];
    const packr = createPackr();
    const decoder = new FrameDecoder(4096);
    socket.on('data', (chunk: Buffer) =>
      replies.push(...decoder.push(chunk).frames.map((f) => packr.unpack(f))),
    );
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(
      encodeFrame(packr.pack({ v: PROTOCOL_VERSION, clusterId: 'test', from: 1, to: 2 })),
    );
    await waitFor(() => replies.length === 1, 'the hello is answered');
    expect(replies[0]).toEqual({ ok: true });
    socket.destroy();
  });
});

describe('peer TLS options', () => {
  it('maps the CLI flags: none means plain TCP, a partial set is refused, client-cert-auth off unless given (as in etcd)', () => {
    expect(peerTlsFromFlags({})).toBeUndefined();
    expect(() => peerTlsFromFlags({ peerClientCertAuth: true })).toThrow(/need peer TLS/);
    expect(() => peerTlsFromFlags({ peerCertFile: 'a.crt', peerTrustedCaFile: 'ca.crt' })).toThrow(
      /missing: --peer-key-file$/,
    );
    const idOf = (name: string) => (name === 'n1' ? 11 : undefined);
    expect(
      peerTlsFromFlags(
        {
          peerCertFile: 'a.crt',
          peerKeyFile: 'a.key',
          peerTrustedCaFile: 'ca.crt',
          peerCertAllowedCn: 'peer',
        },
        idOf,
      ),
    ).toEqual({
      certFile: 'a.crt',
      keyFile: 'a.key',
      trustedCaFile: 'ca.crt',
      clientCertAuth: false,
      allowedCn: 'peer',
      memberIdOf: idOf,
    });
    expect(
      peerTlsFromFlags({
        peerCertFile: 'a.crt',
        peerKeyFile: 'a.key',
        peerTrustedCaFile: 'ca.crt',
        peerClientCertAuth: true,
      })?.clientCertAuth,
    ).toBe(true);
  });

  it('refuses missing, non-PEM and mismatched files with a typed error naming the file', () => {
    const make = (tls: TcpTransportOptions['tls']) =>
      new TcpTransport({
        id: 1,
        clusterId: 'test',
        listen: { host: HOST, port: 0 },
        ...(tls ? { tls } : {}),
      });
    expect(() => make({ ...pki.peer(1), certFile: '/nonexistent/1.crt' })).toThrow(
      TransportOptionsError,
    );
    expect(() => make({ ...pki.peer(1), certFile: '/nonexistent/1.crt' })).toThrow(
      /cannot read peer certificate \(--peer-cert-file\) '\/nonexistent\/1.crt'/,
    );
    const notPem = path.join(pki.dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    expect(() => make({ ...pki.peer(1), trustedCaFile: notPem })).toThrow(
      /peer trusted CA \(--peer-trusted-ca-file\) '.*not-pem.txt' is not a PEM file/,
    );
    expect(() => make({ ...pki.peer(1), keyFile: pki.certs['2']!.key })).toThrow(
      /peer TLS files do not work together/,
    );
  });
});
