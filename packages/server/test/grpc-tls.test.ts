// etcd's gRPC API on a TLS client port, as etcd serves it: the TLS handshake's
// ALPN picks HTTP/2 (gRPC) or HTTP/1.1 (the JSON API) on the same port; with
// --client-cert-auth a gRPC connection without a trusted certificate is
// refused, counted, and changes nothing. Certificates are made at test time.
import { Etcd3 } from 'etcd3';
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { openNode, type FlotillaNode } from '@flotilla/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberDirectory, serveNode, type RunningHttpServer } from '../src/index.js';
import { chooseProtocol } from '../src/http/server.js';
import { testPki, type Pki } from '../../transport/test/tls-pki.js';

let pki: Pki;
let dataDir: string;
let node: FlotillaNode;
let secure: RunningHttpServer; // client-cert-auth on

beforeAll(async () => {
  pki = testPki(['n1']);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-grpc-tls-'));
  node = await openNode({
    id: 1,
    clusterId: 'grpc-tls-test',
    dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
  });
  const server = pki.certs['n1']!;
  secure = await serveNode({
    node,
    directory: new MemberDirectory([
      { id: 1, name: 'n1', peerUrls: ['http://127.0.0.1:1'], clientUrls: [] },
    ]),
    tls: {
      certFile: server.cert,
      keyFile: server.key,
      trustedCaFile: pki.ca,
      clientCertAuth: true,
    },
  });
  await node.ready({ timeoutMs: 10_000 });
});

afterAll(async () => {
  await secure?.close();
  await node?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  pki?.remove();
});

function etcdClient(certName: 'client' | undefined, ca = pki.ca): Etcd3 {
  return new Etcd3({
    hosts: secure.url,
    credentials: {
      rootCertificate: fs.readFileSync(ca),
      ...(certName === undefined
        ? {}
        : {
            privateKey: fs.readFileSync(pki.certs[certName]!.key),
            certChain: fs.readFileSync(pki.certs[certName]!.cert),
          }),
    },
    dialTimeout: 5_000,
  });
}

function certificateRefusals(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${secure.url}/metrics`,
      {
        ca: fs.readFileSync(pki.ca),
        cert: fs.readFileSync(pki.certs['client']!.cert),
        key: fs.readFileSync(pki.certs['client']!.key),
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const m = /flotilla_client_tls_failures_total\{reason="certificate"\} (\d+)/.exec(body);
          resolve(m === null ? 0 : Number(m[1]));
        });
      },
    );
    req.on('error', reject);
  });
}

describe('gRPC on the TLS client port', () => {
  it('serves the etcd3 client over TLS with a client certificate, next to the JSON API', async () => {
    const etcd = etcdClient('client');
    try {
      await etcd.put('tls/k').value('over-grpc');
      expect(await etcd.get('tls/k').string()).toBe('over-grpc');
    } finally {
      etcd.close();
    }
  });

  it('refuses a gRPC connection without a client certificate, counts it, and writes nothing', async () => {
    const before = await certificateRefusals();
    const etcd = etcdClient(undefined);
    try {
      await expect(etcd.put('tls/refused').value('x')).rejects.toThrow();
    } finally {
      etcd.close();
    }
    expect(await certificateRefusals()).toBeGreaterThan(before);
    const check = etcdClient('client');
    try {
      expect(await check.get('tls/refused').string()).toBeNull();
    } finally {
      check.close();
    }
  });
});

describe('the protocol chosen in the TLS handshake', () => {
  it('is HTTP/1.1 whenever the client offers it, h2 only for a client that offers h2 alone', () => {
    expect(chooseProtocol(['h2', 'http/1.1'], true)).toBe('http/1.1');
    expect(chooseProtocol(['h2'], true)).toBe('h2');
    expect(chooseProtocol(['h2'], false)).toBeUndefined();
    expect(chooseProtocol(['spdy/3'], true)).toBeUndefined();
  });

  it('answers a client that offers h2 and http/1.1 (as curl does) with the JSON API', async () => {
    const url = new URL(secure.url);
    const client = pki.certs['client']!;
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: fs.readFileSync(pki.ca),
      cert: fs.readFileSync(client.cert),
      key: fs.readFileSync(client.key),
      ALPNProtocols: ['h2', 'http/1.1'],
      servername: 'localhost',
      checkServerIdentity: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect(socket.alpnProtocol).toBe('http/1.1');
    socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
    let reply = '';
    for await (const chunk of socket) reply += (chunk as Buffer).toString();
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).toContain('"health":"true"');
  });
});
