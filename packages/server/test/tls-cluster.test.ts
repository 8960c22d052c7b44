// An embedded three-member cluster (openNode) over mutual TLS: it elects a
// leader and serves a write; a member with a certificate from another CA is
// refused and counted on the members' /metrics text; the exposure check
// refuses the default cluster token beyond loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openNode, type FlotillaNode } from '@flotilla/node';
import { freePort, InsecureListenError, TcpTransport } from '@flotilla/transport';
import { testPki, type Pki } from '../../transport/test/tls-pki.js';

let pki: Pki;
let baseDir: string;
const nodes = new Map<number, FlotillaNode>();
const ports = new Map<number, number>();
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  pki = testPki();
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-mtls-'));
  for (const id of [1, 2, 3]) ports.set(id, await freePort());
  for (const id of [1, 2, 3]) {
    const peers = Object.fromEntries(
      [...ports].filter(([p]) => p !== id).map(([p, port]) => [p, { host: '127.0.0.1', port }]),
    );
    nodes.set(
      id,
      await openNode({
        id,
        clusterId: 'mtls-test',
        dataDir: path.join(baseDir, String(id)),
        listen: { host: '127.0.0.1', port: ports.get(id)! },
        peers,
        peerTls: pki.peer(id),
      }),
    );
  }
});

afterAll(async () => {
  for (const node of nodes.values()) await node.close();
  fs.rmSync(baseDir, { recursive: true, force: true });
  pki.remove();
});

describe('openNode over mutual TLS', () => {
  it('elects a leader and serves a write that every member applies', async () => {
    const leaderId = await until('an agreed leader', () => {
      const leaders = new Set([...nodes.values()].map((n) => n.status().leader));
      const [only] = leaders;
      return leaders.size === 1 && only ? only : undefined;
    });
    await nodes.get(leaderId)!.put({ key: bytes('over-mtls'), value: bytes('yes') });
    for (const node of nodes.values()) {
      // A linearizable read on each member: a follower confirms with the leader over the TLS links.
      const got = await node.range({ key: bytes('over-mtls') });
      expect(new TextDecoder().decode(got.kvs[0]!.value)).toBe('yes');
    }
  });

  it('refuses a would-be member whose certificate comes from another CA, and counts it on /metrics', async () => {
    // Node 1 is the lower id, so an impostor calling itself 1 dials node 2.
    const impostor = new TcpTransport({
      id: 1,
      clusterId: 'mtls-test',
      listen: { host: '127.0.0.1', port: 0 },
      peers: { 2: { host: '127.0.0.1', port: ports.get(2)! } },
      tls: {
        certFile: pki.otherCerts['1']!.cert,
        keyFile: pki.otherCerts['1']!.key,
        trustedCaFile: pki.ca,
      },
    });
    try {
      const text = await until('the refusal counted on member 2', () => {
        const t = nodes.get(2)!.prometheusText();
        return /flotilla_peer_handshake_failures_total\{reason="tls"\} [1-9]/.test(t)
          ? t
          : undefined;
      });
      expect(text).toContain('# TYPE flotilla_peer_handshake_failures_total counter');
      expect(impostor.peers().get(2)?.connected).toBe(false);
    } finally {
      await impostor.close();
    }
    const leaderId = [...nodes.values()][0]!.status().leader;
    await nodes.get(leaderId)!.put({ key: bytes('still-serving'), value: bytes('yes') });
  });

  it('refuses the default cluster token beyond loopback before opening anything', async () => {
    const dataDir = path.join(baseDir, 'exposed');
    await expect(
      openNode({ id: 9, dataDir, listen: { host: '0.0.0.0', port: 0 }, peers: {} }),
    ).rejects.toThrow(InsecureListenError);
    await expect(
      openNode({ id: 9, dataDir, listen: { host: '0.0.0.0', port: 0 }, peers: {} }),
    ).rejects.toThrow(/default cluster token 'flotilla'/);
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
