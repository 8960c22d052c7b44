// The client port over HTTPS: the same JSON API, client certificates verified
// against --trusted-ca-file when --client-cert-auth is on, and the remote
// client speaking HTTPS with etcdctl's options. Refused handshakes are
// counted on /metrics and change nothing. Certificates are made at test time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { remoteKv } from '@flotilla/client';
import { openNode, type FlotillaNode } from '@flotilla/node';
import {
  clientTlsFromFlags,
  memberIdOf,
  MemberDirectory,
  serveNode,
  startHttpServer,
  servedNode,
  type RunningHttpServer,
} from '../src/index.js';
import { testPki, type Pki } from '../../transport/test/tls-pki.js';

let pki: Pki;
let dataDir: string;
let node: FlotillaNode;
let secure: RunningHttpServer; // client-cert-auth on
let serverOnly: RunningHttpServer; // TLS, no client certificates asked
let plain: RunningHttpServer;

const directory = (): MemberDirectory =>
  new MemberDirectory([{ id: 1, name: 'n1', peerUrls: ['http://127.0.0.1:1'], clientUrls: [] }]);

beforeAll(async () => {
  pki = testPki(['n1']);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-https-'));
  node = await openNode({
    id: 1,
    clusterId: 'https-test',
    dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
  });
  const server = pki.certs['n1']!;
  secure = await serveNode({
    node,
    directory: directory(),
    tls: {
      certFile: server.cert,
      keyFile: server.key,
      trustedCaFile: pki.ca,
      clientCertAuth: true,
    },
  });
  serverOnly = await startHttpServer({
    node: servedNode(node, { directory: directory() }),
    tls: { certFile: server.cert, keyFile: server.key },
  });
  plain = await startHttpServer({ node: servedNode(node, { directory: directory() }) });
  const deadline = Date.now() + 10_000;
  while (node.status().leader !== 1) {
    if (Date.now() > deadline) throw new Error('the single member did not become leader');
    await new Promise((r) => setTimeout(r, 10));
  }
});

afterAll(async () => {
  await secure?.close();
  await serverOnly?.close();
  await plain?.close();
  await node?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  pki?.remove();
});

function client(endpoint: string, tls: Parameters<typeof remoteKv>[0]['tls']) {
  return remoteKv({
    endpoints: [endpoint],
    discover: false,
    exactlyOnce: true,
    retry: { attemptsMax: 2, backoffInitialMs: 1, backoffMaxMs: 2 },
    requestTimeoutMs: 3_000,
    ...(tls ? { tls } : {}),
  });
}

const goodTls = () => ({
  cacert: pki.ca,
  cert: pki.certs['client']!.cert,
  key: pki.certs['client']!.key,
});

async function tlsFailures(reason: string): Promise<number> {
  // GET /metrics over HTTPS with a trusted client certificate: the counter lives on the HTTPS server.
  const res = await new Promise<string>((resolve, reject) => {
    const req = https.get(
      `${secure.url}/metrics`,
      {
        ca: fs.readFileSync(pki.ca),
        cert: fs.readFileSync(pki.certs['client']!.cert),
        key: fs.readFileSync(pki.certs['client']!.key),
      },
      (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
  });
  const line = res
    .split('\n')
    .find((l) => l.startsWith(`flotilla_client_tls_failures_total{reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

async function keyCount(): Promise<number> {
  const kv = client(secure.url, goodTls());
  try {
    return (await kv.range({ key: 'k', rangeEnd: 'l' })).count;
  } finally {
    await kv.close();
  }
}

describe('HTTPS client port', () => {
  it('serves the JSON API over HTTPS to a client with a trusted certificate: writes, reads and a watch stream', async () => {
    expect(secure.url.startsWith('https://127.0.0.1:')).toBe(true);
    const kv = client(secure.url, goodTls());
    try {
      const watch = kv.watch('kw');
      await watch.ready();
      await kv.put('kw', 'v1');
      expect(new TextDecoder().decode((await kv.get('kw'))!.value)).toBe('v1');
      const batch = await watch.next();
      expect(batch?.events.map((e) => new TextDecoder().decode(e.kv.key))).toEqual(['kw']);
      watch.cancel();
    } finally {
      await kv.close();
    }
  });

  it('refuses a client certificate from another CA, counts it, and nothing is written', async () => {
    const before = await keyCount();
    const failures = await tlsFailures('certificate');
    const kv = client(secure.url, {
      cacert: pki.ca,
      cert: pki.otherCerts['client']!.cert,
      key: pki.otherCerts['client']!.key,
    });
    await expect(kv.put('k1', 'intruder')).rejects.toThrow(
      /401: client certificate refused: its certificate did not verify against the trusted CA/,
    );
    await kv.close();
    expect(await tlsFailures('certificate')).toBeGreaterThan(failures);
    expect(await keyCount()).toBe(before);
  });

  it('refuses a client that shows no certificate when client-cert-auth is on', async () => {
    const before = await keyCount();
    const failures = await tlsFailures('certificate');
    const kv = client(secure.url, { cacert: pki.ca });
    await expect(kv.put('k2', 'anonymous')).rejects.toThrow(
      /401: client certificate refused: it showed no certificate/,
    );
    await kv.close();
    expect(await tlsFailures('certificate')).toBeGreaterThan(failures);
    expect(await keyCount()).toBe(before);
  });

  it('refuses plain HTTP on the TLS port, counted as plaintext on /metrics', async () => {
    const failures = await tlsFailures('plaintext');
    const url = secure.url.replace('https://', 'http://');
    await expect(
      fetch(`${url}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: 'aw==', value: 'eA==' }),
      }),
    ).rejects.toThrow();
    const deadline = Date.now() + 5_000;
    while ((await tlsFailures('plaintext')) <= failures) {
      if (Date.now() > deadline) throw new Error('the plaintext request was not counted');
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('a TLS client against a plain-HTTP port fails with an error that says TLS, counted there as tlsOnPlain', async () => {
    const kv = client(plain.url.replace('http://', 'https://'), { cacert: pki.ca });
    await expect(kv.put('k3', 'x')).rejects.toThrow(
      /TLS handshake failed \((EPROTO|ERR_SSL_[A-Z_]+)\)/,
    );
    await kv.close();
    expect(
      await plain.metrics.registry.getSingleMetricAsString('flotilla_client_tls_failures_total'),
    ).toMatch(/reason="tlsOnPlain"} [1-9]/);
    // Plain HTTP on the plain port still works, and a malformed request still gets 400.
    expect((await fetch(`${plain.url}/health`)).status).toBe(200);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(plain.port, '127.0.0.1', () =>
        socket.write('NOT HTTP AT ALL\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.startsWith('HTTP/1.1 400 Bad Request')).toBe(true);
  });

  it('verifies the server: an unknown CA is refused unless insecureSkipTlsVerify; without client-cert-auth no client certificate is needed', async () => {
    const unverified = client(serverOnly.url, { cacert: pki.otherCa });
    await expect(unverified.put('k4', 'x')).rejects.toThrow(/TLS handshake failed/);
    await unverified.close();
    const skipping = client(serverOnly.url, { insecureSkipTlsVerify: true });
    await skipping.put('k4', 'ok');
    await skipping.close();
    const verified = client(serverOnly.url, { cacert: pki.ca });
    expect(new TextDecoder().decode((await verified.get('k4'))!.value)).toBe('ok');
    await verified.close();
  });

  it('members announce a new peer to each other over HTTPS with their certificate (client-cert-auth on the receiver)', async () => {
    const server = pki.certs['n1']!;
    const receiverDirectory = directory();
    const receiver = await serveNode({
      node,
      directory: receiverDirectory,
      tls: {
        certFile: server.cert,
        keyFile: server.key,
        trustedCaFile: pki.ca,
        clientCertAuth: true,
      },
    });
    const announcer = await serveNode({
      node,
      directory: new MemberDirectory([
        { id: 1, name: 'n1', peerUrls: ['http://127.0.0.1:1'], clientUrls: [] },
        { id: 77, name: 'receiver', peerUrls: ['http://127.0.0.1:2'], clientUrls: [receiver.url] },
      ]),
      tls: {
        certFile: server.cert,
        keyFile: server.key,
        trustedCaFile: pki.ca,
        clientCertAuth: true,
      },
    });
    try {
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(
          `${announcer.url}/v3/cluster/member/add`,
          {
            method: 'POST',
            ca: fs.readFileSync(pki.ca),
            cert: fs.readFileSync(pki.certs['client']!.cert),
            key: fs.readFileSync(pki.certs['client']!.key),
          },
          (r) => {
            let text = '';
            r.on('data', (c: Buffer) => (text += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(
          JSON.stringify({ name: 'learner-x', peerURLs: ['http://127.0.0.1:3'], isLearner: true }),
        );
      });
      expect(res).toMatchObject({ status: 200 });
      expect(receiverDirectory.get(memberIdOf('learner-x'))?.name).toBe('learner-x');
    } finally {
      await announcer.close();
      await receiver.close();
    }
  });

  it('refuses bad TLS options with errors that name the flag and file', async () => {
    await expect(
      startHttpServer({
        node: servedNode(node, { directory: directory() }),
        tls: { certFile: '/nonexistent.crt', keyFile: pki.certs['n1']!.key },
      }),
    ).rejects.toThrow(/cannot read client-port certificate \(--cert-file\) '\/nonexistent.crt'/);
    await expect(
      startHttpServer({
        node: servedNode(node, { directory: directory() }),
        tls: {
          certFile: pki.certs['n1']!.cert,
          keyFile: pki.certs['n1']!.key,
          clientCertAuth: true,
        },
      }),
    ).rejects.toThrow(/--client-cert-auth needs --trusted-ca-file/);
    expect(() => client(secure.url, { cert: pki.certs['client']!.cert })).toThrow(
      /needs both tls.cert and tls.key/,
    );
    expect(clientTlsFromFlags({})).toBeUndefined();
    expect(() => clientTlsFromFlags({ clientCertAuth: true })).toThrow(
      /need TLS on the client port/,
    );
    expect(() => clientTlsFromFlags({ certFile: 'a.crt' })).toThrow(/missing: --key-file/);
    expect(
      clientTlsFromFlags({
        certFile: 'a.crt',
        keyFile: 'a.key',
        trustedCaFile: 'ca.crt',
        clientCertAuth: true,
      }),
    ).toEqual({
      certFile: 'a.crt',
      keyFile: 'a.key',
      trustedCaFile: 'ca.crt',
      clientCertAuth: true,
    });
    expect(() => client(secure.url, { cacert: '/nonexistent-ca.crt' })).toThrow(
      /cannot read CA file \(--cacert\)/,
    );
  });
});
