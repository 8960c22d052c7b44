// TLS through the real binary: three `flotilla start` processes with every
// TLS flag (HTTPS client ports with --client-cert-auth, mutual TLS between
// peers; certificates made now by tools/gen-certs.js, never committed), and
// client commands with etcdctl's --cacert/--cert/--key. A client without a
// certificate, with one from another CA, or without the CA is refused with a
// one-line error; partial TLS flag sets are usage errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../tools/gen-certs.js';
import {
  clientTlsArgs,
  type ProcessCluster,
} from '../../packages/server/src/demo/process-cluster.js';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import {
  expectOneLineError,
  lines,
  runCli,
  startHealthyCluster,
  type CliResult,
} from './run-cli.js';

let cluster: ProcessCluster;
let baseDir: string;
let pki: TestPki;
let endpoints: string;

/** A client command against the cluster, with `tlsArgs` (default: the trusted CA and the client certificate). */
const cli = (
  args: string[],
  tlsArgs: string[] = clientTlsArgs(pki.dir),
  env: Record<string, string> = {},
): Promise<CliResult> => runCli(['--endpoints', endpoints, ...tlsArgs, ...args], { env });

async function ok(
  args: string[],
  tlsArgs?: string[],
  env?: Record<string, string>,
): Promise<string[]> {
  const r = await cli(args, tlsArgs, env);
  expect(r.stderr, `flotilla ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return lines(r);
}

beforeAll(async () => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-tls-'));
  pki = makeTestPki(path.join(baseDir, 'pki'), ['n1', 'n2', 'n3']);
  cluster = await startHealthyCluster(baseDir, { tls: { dir: pki.dir } });
  endpoints = cluster.endpoints.join(',');
}, 90_000);

afterAll(async () => {
  await cluster?.close();
  fs.rmSync(baseDir, { recursive: true, force: true });
});

describe('a three-member cluster started with every TLS flag', () => {
  it('starts with https:// peer and client URLs and every TLS flag on the command line', () => {
    const args = cluster.startArgs(cluster.members[0]!);
    for (const flag of [
      '--cert-file',
      '--key-file',
      '--trusted-ca-file',
      '--client-cert-auth',
      '--peer-cert-file',
      '--peer-key-file',
      '--peer-trusted-ca-file',
      '--peer-client-cert-auth',
    ]) {
      expect(args).toContain(flag);
    }
    expect(
      cluster.members.every(
        (m) => m.peerUrl.startsWith('https://') && m.clientUrl.startsWith('https://'),
      ),
    ).toBe(true);
  });

  it('serves put, get, member list, endpoint status and health --cluster over HTTPS to a client with --cacert/--cert/--key', async () => {
    expect(await ok(['put', 'secure', 'yes'])).toEqual(['OK']);
    expect(await ok(['get', 'secure'])).toEqual(['secure', 'yes']);
    const members = await ok(['member', 'list']);
    expect(members).toHaveLength(3);
    for (const m of cluster.members)
      expect(members.some((l) => l.includes(`, ${m.name}, ${m.peerUrl}, ${m.clientUrl}`))).toBe(
        true,
      );
    const status = await ok(['endpoint', 'status', '--cluster', '-w', 'json']);
    // etcdctl's shape: only the endpoints that answered are listed.
    const rows = JSON.parse(status.join('\n')) as {
      Endpoint: string;
      Status: { leader?: number };
    }[];
    expect(rows.map((r) => r.Endpoint).sort()).toEqual([...cluster.endpoints].sort());
    expect(rows.every((r) => (r.Status.leader ?? 0) !== 0)).toBe(true);
    const health = await ok(['endpoint', 'health', '--cluster']);
    expect(health.filter((l) => / is healthy: /.test(l))).toHaveLength(3);
  });

  it('member add of a learner with an https:// peer URL prints the start line with the TLS flags; remove takes it out', async () => {
    const added = await ok([
      'member',
      'add',
      'n4',
      '--peer-urls',
      `https://127.0.0.1:${await freePort()}`,
      '--learner',
    ]);
    expect(added[0]).toMatch(/^Member [0-9a-f]+ added to cluster [0-9a-f]+ as a learner$/);
    expect(added.at(-1)).toMatch(
      /--peer-cert-file <file> --peer-key-file <file> --peer-trusted-ca-file <file> --peer-client-cert-auth --cert-file <file> --key-file <file> --trusted-ca-file <file> --client-cert-auth$/,
    );
    const id = /^Member ([0-9a-f]+) /.exec(added[0]!)![1]!;
    expect(await ok(['member', 'remove', id])).toEqual([
      expect.stringMatching(new RegExp(`^Member ${id} removed from cluster`)),
    ]);
  });

  it('takes the TLS settings from FLOTILLA_CACERT, FLOTILLA_CERT and FLOTILLA_KEY too', async () => {
    const dir = pki.dir;
    expect(
      await ok(['get', 'secure', '--print-value-only'], [], {
        FLOTILLA_CACERT: path.join(dir, 'ca.crt'),
        FLOTILLA_CERT: path.join(dir, 'client.crt'),
        FLOTILLA_KEY: path.join(dir, 'client.key'),
      }),
    ).toEqual(['yes']);
  });

  it('watches and saves a verified snapshot over HTTPS', async () => {
    const watching = cli(['watch', 'watched-tls', '--max-events', '1']);
    // The watch is open once a put shows up in it; put until it does (the watch may start after the first put).
    let result: CliResult | undefined;
    void watching.then((r) => (result = r));
    for (let i = 0; result === undefined && i < 100; i++) {
      await ok(['put', 'watched-tls', `v${i}`]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await watching;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r).slice(0, 2)).toEqual(['PUT', 'watched-tls']);
    const file = path.join(baseDir, 'tls.snapshot');
    const saved = await cli(['snapshot', 'save', file]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/^Snapshot saved at /m);
    expect(saved.stdout).toMatch(/^OK /m);
  });

  it('refuses a client without a certificate, with one line and exit 1, also when it retries (TLS session resumption)', async () => {
    // get retries on a fresh connection, which resumes the TLS session: the server must still see no certificate.
    expectOneLineError(
      await cli(['get', 'secure'], ['--cacert', pki.ca]),
      1,
      /^Error: server answered 401: client certificate refused: it showed no certificate/,
    );
    expectOneLineError(
      await cli(['member', 'list'], ['--cacert', pki.ca]),
      1,
      /^Error: client certificate refused: it showed no certificate/,
    );
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const other = pki.otherCerts['client']!;
    expectOneLineError(
      await cli(['get', 'secure'], ['--cacert', pki.ca, '--cert', other.cert, '--key', other.key]),
      1,
      /client certificate refused: its certificate did not verify against the trusted CA/,
    );
  });

  it('names the failed TLS handshake when the server certificate cannot be verified (no --cacert)', async () => {
    const client = pki.certs['client']!;
    const r = await cli(
      ['get', 'secure', '--command-timeout', '2s'],
      ['--cert', client.cert, '--key', client.key],
    );
    expectOneLineError(
      r,
      1,
      /TLS handshake failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\).*--cacert/,
    );
    expectOneLineError(
      await cli(['member', 'list'], ['--cert', client.cert, '--key', client.key]),
      1,
      /TLS handshake failed/,
    );
  });

  it('works with --insecure-skip-tls-verify and no --cacert', async () => {
    const client = pki.certs['client']!;
    expect(
      await ok(
        ['get', 'secure', '--print-value-only', '--insecure-skip-tls-verify'],
        ['--cert', client.cert, '--key', client.key],
      ),
    ).toEqual(['yes']);
    expect(
      await ok(
        ['member', 'list'],
        ['--insecure-skip-tls-verify', '--cert', client.cert, '--key', client.key],
      ),
    ).toHaveLength(3);
  });

  it('refuses a client certificate without its key, and a file that is not PEM', async () => {
    const client = pki.certs['client']!;
    expectOneLineError(
      await cli(['get', 'secure'], ['--cacert', pki.ca, '--cert', client.cert]),
      2,
      /a client certificate needs both --cert and --key; missing: --key/,
    );
    const notPem = path.join(baseDir, 'not-pem.crt');
    fs.writeFileSync(notPem, 'hello');
    expectOneLineError(
      await cli(['get', 'secure'], ['--cacert', notPem]),
      1,
      /CA file \(--cacert\) '.*not-pem\.crt' is not a PEM file/,
    );
  });
});

describe('flotilla start refuses TLS settings that cannot work', () => {
  const start = async (extra: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const peer = `127.0.0.1:${await freePort()}`;
    return runCli(
      [
        'start',
        '--name',
        'solo',
        '--data-dir',
        path.join(baseDir, `solo-${Date.now()}`),
        '--initial-cluster',
        `solo=${extra.includes('--peer-cert-file') ? 'https' : 'http'}://${peer}`,
        ...extra,
      ],
      { env },
    );
  };
  const c = (name: string): { cert: string; key: string } => pki.certs[name]!;

  it('a certificate without its key, on either port', async () => {
    expectOneLineError(
      await start(['--cert-file', c('n1').cert]),
      2,
      /TLS on the client port needs both --cert-file and --key-file; missing: --key-file/,
    );
    expectOneLineError(
      await start(['--peer-cert-file', c('n1').cert, '--peer-trusted-ca-file', pki.ca]),
      2,
      /peer TLS needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file together; missing: --peer-key-file/,
    );
  });

  it('--client-cert-auth without a certificate to serve, and --client-cert-auth without --trusted-ca-file', async () => {
    expectOneLineError(
      await start(['--client-cert-auth']),
      2,
      /--client-cert-auth and --trusted-ca-file need TLS on the client port/,
    );
    expectOneLineError(
      await start(['--peer-client-cert-auth']),
      2,
      /--peer-client-cert-auth and --peer-cert-allowed-cn need peer TLS/,
    );
    expectOneLineError(
      await start([
        '--cert-file',
        c('n1').cert,
        '--key-file',
        c('n1').key,
        '--client-cert-auth',
        '--listen-client',
        `https://127.0.0.1:${await freePort()}`,
      ]),
      2,
      /--client-cert-auth needs --trusted-ca-file/,
    );
  });

  it('a certificate file that is missing, before the data directory is created', async () => {
    const dataDir = path.join(baseDir, 'never-created');
    const peer = `127.0.0.1:${await freePort()}`;
    const r = await runCli([
      'start',
      '--name',
      'solo',
      '--data-dir',
      dataDir,
      '--initial-cluster',
      `solo=http://${peer}`,
      '--cert-file',
      path.join(baseDir, 'missing.crt'),
      '--key-file',
      c('n1').key,
    ]);
    expectOneLineError(
      r,
      1,
      /cannot read client-port certificate \(--cert-file\) '.*missing\.crt'/,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('a URL whose scheme disagrees with the flags', async () => {
    expectOneLineError(
      await start(['--listen-client', `https://127.0.0.1:${await freePort()}`]),
      2,
      /--listen-client .* is https:\/\/ but the client port has no TLS/,
    );
    expectOneLineError(
      await start([
        '--cert-file',
        c('n1').cert,
        '--key-file',
        c('n1').key,
        '--listen-client',
        `http://127.0.0.1:${await freePort()}`,
      ]),
      2,
      /is http:\/\/ but --cert-file\/--key-file turn on TLS there; write it https:\/\//,
    );
  });

  it('takes TLS settings from the environment: a partial set there is refused the same way', async () => {
    expectOneLineError(
      await start([], { FLOTILLA_PEER_CERT_FILE: c('n1').cert }),
      2,
      /missing: --peer-key-file, --peer-trusted-ca-file/,
    );
    expectOneLineError(
      await start([], { FLOTILLA_CLIENT_CERT_AUTH: 'yes' }),
      2,
      /--client-cert-auth is on or off/,
    );
  });

  it('refuses the default cluster token on a client port beyond loopback (checkExposure)', async () => {
    expectOneLineError(
      await start(['--listen-client', `http://0.0.0.0:${await freePort()}`]),
      1,
      /refusing to listen beyond loopback \(client port on 0\.0\.0\.0\) with the default cluster token 'flotilla'/,
    );
  });
});
