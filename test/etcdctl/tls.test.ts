// The real etcdctl against `flotilla start` with a TLS client port: gRPC and
// the JSON API share the https:// port, told apart by ALPN in the handshake,
// as on etcd. With --client-cert-auth, etcdctl without --cert/--key is
// refused and writes nothing. Real process; needs the build.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';
import { generateCerts } from '../../tools/gen-certs.js';
import { etcdctl } from './run-etcdctl.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-etcdctl-tls-'));
let child: ChildProcess | undefined;
let endpoint = '';
let certs: ReturnType<typeof generateCerts>;

beforeAll(async () => {
  certs = generateCerts(path.join(dir, 'pki'), ['n1', 'client']);
  const [peer, client] = [await freePort(), await freePort()];
  endpoint = `https://127.0.0.1:${client}`;
  child = spawn(
    process.execPath,
    [
      DEFAULT_BIN,
      'start',
      '--name',
      'n1',
      '--data-dir',
      path.join(dir, 'data'),
      '--listen-peer',
      `http://127.0.0.1:${peer}`,
      '--listen-client',
      endpoint,
      '--initial-cluster',
      `n1=http://127.0.0.1:${peer}`,
      '--cert-file',
      certs.certs['n1']!.cert,
      '--key-file',
      certs.certs['n1']!.key,
      '--trusted-ca-file',
      certs.ca,
      '--client-cert-auth',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}, 30_000);

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const withCert = (): string[] => [
  '--cacert',
  certs.ca,
  '--cert',
  certs.certs['client']!.cert,
  '--key',
  certs.certs['client']!.key,
];

describe('etcdctl over TLS', () => {
  it('puts and gets through gRPC on the https:// client port with a client certificate', async () => {
    const deadline = Date.now() + 20_000;
    let put = await etcdctl([endpoint], [...withCert(), 'put', 'tls-k', 'v']);
    while (put.code !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      put = await etcdctl([endpoint], [...withCert(), 'put', 'tls-k', 'v']);
    }
    expect(put.stdout).toBe('OK\n');
    expect((await etcdctl([endpoint], [...withCert(), 'get', 'tls-k'])).stdout).toBe('tls-k\nv\n');
  });

  it('refuses etcdctl without a client certificate, and nothing is written', async () => {
    const refused = await etcdctl([endpoint], ['--cacert', certs.ca, 'put', 'tls-refused', 'x']);
    expect(refused.code).not.toBe(0);
    const get = await etcdctl([endpoint], [...withCert(), 'get', 'tls-refused']);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('');
  });
});
