// A hostile client against real `flotilla start` processes with TLS on both
// ports (client certificates required, mutual TLS between peers; certificates
// made at test time) and auth enabled (through the HTTP API): every attack that
// worked with plain curl before is refused, and the data, the history and the
// membership are unchanged afterwards. The hostile client holds a valid client
// certificate (the worst case: TLS lets it in, auth must stop it); a client
// with another CA's certificate and a raw TCP peer are refused before that.
// Runs the built bin (pnpm build first).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCerts } from '../../tools/gen-certs.js';
import {
  MemberExitedError,
  ProcessCluster,
} from '../../packages/server/src/demo/process-cluster.js';
import { memberIdOf } from '../../packages/server/src/cluster/member-id.js';

let cluster: ProcessCluster;
let baseDir: string;
let certDir: string;
let root: string;
let alice: string;

const b64 = (s: string): string => Buffer.from(s).toString('base64');
type Answer = { status: number; type: string; json: Record<string, unknown> };

async function post(url: string, path: string, body: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: token ? { authorization: token } : {},
    signal: AbortSignal.timeout(10_000),
    dispatcher: cluster.dispatcher,
  } as RequestInit);
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text.split('\n')[0]!) as Record<string, unknown>;
  } catch {
    json = { bytes: text.length };
  }
  return { status: res.status, type, json };
}

async function ok(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const a = await post(url, path, body, token);
  if (a.status !== 200) throw new Error(`${path}: ${a.status} ${JSON.stringify(a.json)}`);
  return a.json;
}

const DENIED = { status: 403, code: 7, message: 'etcdserver: permission denied' };
const NO_USER = { status: 400, code: 3, message: 'etcdserver: user name is empty' };
const BAD_TOKEN = { status: 401, code: 16, message: 'etcdserver: invalid auth token' };

function refused(a: Answer, expected: { status: number; code: number; message: string }): void {
  expect({ status: a.status, code: a.json['code'], message: a.json['message'] }).toEqual(expected);
  expect(a.type).toMatch(/application\/json/);
}

/** Everything an attack could change: every key with its revisions, the store's revision, and the membership. */
async function fingerprint(): Promise<unknown> {
  const url = cluster.endpoints[0]!;
  const all = await ok(url, '/v3/kv/range', { key: b64('\0'), range_end: b64('\0') }, root);
  const members = await ok(url, '/v3/cluster/member/list', {}, root);
  const strip = (m: Record<string, unknown>): unknown => ({
    ID: m['ID'],
    name: m['name'],
    peerURLs: m['peerURLs'],
    clientURLs: m['clientURLs'],
  });
  return {
    revision: (all['header'] as { revision: string }).revision,
    kvs: all['kvs'],
    members: (members['members'] as Record<string, unknown>[])
      .map(strip)
      .sort((a, b) =>
        String((a as { ID: string }).ID).localeCompare(String((b as { ID: string }).ID)),
      ),
  };
}

async function login(name: string, password: string): Promise<string> {
  return (await ok(cluster.endpoints[1]!, '/v3/auth/authenticate', { name, password }))[
    'token'
  ] as string;
}

beforeAll(async () => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-security-'));
  certDir = path.join(baseDir, 'certs');
  generateCerts(certDir, ['n1', 'n2', 'n3', 'client']);
  for (let attempt = 1; ; attempt++) {
    cluster = await ProcessCluster.create({
      baseDir: path.join(baseDir, `try${attempt}`),
      logLevel: 'warn',
      tls: { dir: certDir },
    });
    cluster.startAll();
    try {
      await cluster.waitHealthy(30_000);
      break;
    } catch (err) {
      await cluster.close();
      if (!(err instanceof MemberExitedError) || attempt >= 2) throw err;
    }
  }
  const u = cluster.endpoints[0]!;
  await ok(u, '/v3/kv/put', { key: b64('a/1'), value: b64('alice data') });
  await ok(u, '/v3/kv/put', { key: b64('c/secret'), value: b64('v1') });
  await ok(u, '/v3/kv/put', { key: b64('c/secret'), value: b64('v2') });
  await ok(u, '/v3/auth/user/add', { name: 'root', password: 'root-pw' });
  await ok(u, '/v3/auth/role/add', { name: 'root' });
  await ok(u, '/v3/auth/user/grant', { user: 'root', role: 'root' });
  await ok(u, '/v3/auth/user/add', { name: 'alice', password: 'alice-pw' });
  await ok(u, '/v3/auth/role/add', { name: 'a-to-b' });
  await ok(u, '/v3/auth/role/grant', {
    name: 'a-to-b',
    perm: { permType: 'READWRITE', key: b64('a'), range_end: b64('b') },
  });
  await ok(u, '/v3/auth/user/grant', { user: 'alice', role: 'a-to-b' });
  await ok(u, '/v3/auth/enable', {});
  root = await login('root', 'root-pw');
  alice = await login('alice', 'alice-pw');
}, 90_000);

afterAll(async () => {
  await cluster?.close();
  if (baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
});

describe('a client or peer that TLS refuses', () => {
  it('a client certificate from another CA gets 401 before any handler runs, and changes nothing', async () => {
    const before = await fingerprint();
    const other = generateCerts(path.join(baseDir, 'other'), ['client'], { caName: 'another CA' });
    const ca = fs.readFileSync(path.join(certDir, 'ca.crt'));
    const foreign = new Agent({
      connect: {
        ca,
        cert: fs.readFileSync(other.certs['client']!.cert),
        key: fs.readFileSync(other.certs['client']!.key),
      },
    });
    try {
      const res = await fetch(`${cluster.endpoints[0]}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: b64('c/secret'), value: b64('stolen') }),
        headers: { authorization: root },
        dispatcher: foreign,
      } as RequestInit);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: number }).code).toBe(16);
    } finally {
      await foreign.destroy();
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('a raw TCP handshake on the peer port (no certificate) never reaches Raft', async () => {
    const before = await fingerprint();
    const peer = new URL(cluster.member('n1').peerUrl);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(peer.port), peer.hostname, () =>
        socket.write(Buffer.from('{"hello":"I am n2","clusterToken":"flotilla"}\n')),
      );
      socket.on('data', () => undefined);
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(true));
      setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 10_000);
    });
    expect(closed, 'the peer port closes a connection that is not TLS').toBe(true);
    // Refused as plain TCP on a TLS port, before any frame was decoded: counted as such.
    const metrics = await (
      await fetch(`${cluster.member('n1').clientUrl}/metrics`, {
        dispatcher: cluster.dispatcher,
      } as RequestInit)
    ).text();
    expect(
      Number(
        /^flotilla_peer_handshake_failures_total\{reason="plainOnTls"\} (\d+)$/m.exec(
          metrics,
        )?.[1] ?? 0,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(await fingerprint()).toEqual(before);
  });
});

describe('a hostile client against three real processes with auth enabled', () => {
  it('cannot download a snapshot without root', async () => {
    const before = await fingerprint();
    for (const m of cluster.endpoints) {
      refused(await post(m, '/v3/maintenance/snapshot', {}), NO_USER);
      refused(await post(m, '/v3/maintenance/snapshot', {}, alice), DENIED);
    }
    const asRoot = await fetch(`${cluster.endpoints[0]}/v3/maintenance/snapshot`, {
      method: 'POST',
      body: '{}',
      headers: { authorization: root },
      dispatcher: cluster.dispatcher,
    } as RequestInit);
    expect(asRoot.headers.get('content-type')).toBe('application/octet-stream');
    await asRoot.body?.cancel();
    expect(await fingerprint()).toEqual(before);
  });

  it('cannot compact away history without root', async () => {
    const before = await fingerprint();
    const rev = Number((before as { revision: string }).revision);
    refused(
      await post(cluster.endpoints[1]!, '/v3/kv/compaction', { revision: String(rev) }),
      NO_USER,
    );
    refused(
      await post(
        cluster.endpoints[1]!,
        '/v3/kv/compaction',
        { revision: String(rev), physical: true },
        alice,
      ),
      DENIED,
    );
    // The first version of c/secret is still readable at its revision.
    const old = await ok(
      cluster.endpoints[0]!,
      '/v3/kv/range',
      { key: b64('c/secret'), revision: '3' },
      root,
    );
    expect(Buffer.from((old['kvs'] as { value: string }[])[0]!.value, 'base64').toString()).toBe(
      'v1',
    );
    expect(await fingerprint()).toEqual(before);
  });

  it('cannot remove a member without root', async () => {
    const before = await fingerprint();
    const victim = String(memberIdOf('n3'));
    refused(
      await post(cluster.endpoints[0]!, '/v3/cluster/member/remove', { ID: victim }),
      NO_USER,
    );
    refused(
      await post(cluster.endpoints[0]!, '/v3/cluster/member/remove', { ID: victim }, alice),
      DENIED,
    );
    refused(
      await post(
        cluster.endpoints[2]!,
        '/v3/maintenance/transfer-leadership',
        { targetID: victim },
        alice,
      ),
      DENIED,
    );
    expect(await fingerprint()).toEqual(before);
  });

  it("cannot rewrite a member's address through /flotilla/peer/add", async () => {
    const before = await fingerprint();
    const n2 = cluster.member('n2');
    const rewrite = {
      ID: String(memberIdOf('n2')),
      name: 'n2',
      peerURLs: ['http://127.0.0.1:9'],
      clientURLs: ['http://127.0.0.1:9'],
    };
    for (const url of [cluster.endpoints[0]!, cluster.endpoints[2]!]) {
      refused(await post(url, '/flotilla/peer/add', rewrite), NO_USER);
      refused(await post(url, '/flotilla/peer/add', rewrite, alice), DENIED);
      const asRoot = await post(url, '/flotilla/peer/add', rewrite, root);
      expect({ status: asRoot.status, code: asRoot.json['code'] }).toEqual({
        status: 412,
        code: 9,
      });
    }
    expect(await fingerprint()).toEqual(before);
    // n2 is still reachable over its real peer address: a write through it commits.
    await ok(n2.clientUrl, '/v3/kv/put', { key: b64('a/through-n2'), value: b64('ok') }, alice);
  });

  it('cannot replay a token after its user is deleted', async () => {
    await ok(
      cluster.endpoints[0]!,
      '/v3/auth/user/add',
      { name: 'mallory', password: 'm-pw' },
      root,
    );
    await ok(
      cluster.endpoints[0]!,
      '/v3/auth/user/grant',
      { user: 'mallory', role: 'a-to-b' },
      root,
    );
    const token = await login('mallory', 'm-pw');
    await ok(cluster.endpoints[2]!, '/v3/kv/range', { key: b64('a/1') }, token);
    await ok(cluster.endpoints[0]!, '/v3/auth/user/delete', { name: 'mallory' }, root);
    const before = await fingerprint();
    for (const url of cluster.endpoints) {
      refused(
        await post(url, '/v3/kv/put', { key: b64('a/1'), value: b64('overwritten') }, token),
        BAD_TOKEN,
      );
      refused(
        await post(url, '/v3/kv/range', { key: b64('a/1'), serializable: true }, token),
        BAD_TOKEN,
      );
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('cannot use a permission on [a, b) to read c', async () => {
    refused(
      await post(cluster.endpoints[1]!, '/v3/kv/range', { key: b64('c/secret') }, alice),
      DENIED,
    );
    refused(
      await post(
        cluster.endpoints[1]!,
        '/v3/kv/range',
        { key: b64('a'), range_end: b64('d') },
        alice,
      ),
      DENIED,
    );
    refused(
      await post(
        cluster.endpoints[1]!,
        '/v3/kv/range',
        { key: b64('a'), range_end: b64('\0') },
        alice,
      ),
      DENIED,
    );
    refused(
      await post(
        cluster.endpoints[1]!,
        '/v3/kv/range',
        { key: b64('c/secret'), serializable: true },
        alice,
      ),
      DENIED,
    );
  });

  it('cannot watch a forbidden range', async () => {
    refused(
      await post(
        cluster.endpoints[2]!,
        '/v3/watch',
        { create_request: { key: b64('c/'), range_end: b64('c0') } },
        alice,
      ),
      DENIED,
    );
    refused(
      await post(
        cluster.endpoints[2]!,
        '/v3/watch',
        { create_request: { key: b64('\0'), range_end: b64('\0') } },
        alice,
      ),
      DENIED,
    );
  });

  it("cannot smuggle a forbidden key through a txn's else branch", async () => {
    const before = await fingerprint();
    const txn = {
      compare: [{ key: b64('a/1'), target: 'VALUE', result: 'EQUAL', value: b64('no such value') }],
      success: [{ request_range: { key: b64('a/1') } }],
      failure: [
        { request_put: { key: b64('c/secret'), value: b64('pwned') } },
        { request_range: { key: b64('c/secret') } },
      ],
    };
    refused(await post(cluster.endpoints[0]!, '/v3/kv/txn', txn, alice), DENIED);
    expect(await fingerprint()).toEqual(before);
  });

  it('cannot attach a lease to a forbidden key (nor revoke a lease holding one)', async () => {
    const own = (await ok(cluster.endpoints[0]!, '/v3/lease/grant', { TTL: '600' }, alice))[
      'ID'
    ] as string;
    const rootLease = (await ok(cluster.endpoints[0]!, '/v3/lease/grant', { TTL: '600' }, root))[
      'ID'
    ] as string;
    await ok(
      cluster.endpoints[0]!,
      '/v3/kv/put',
      { key: b64('c/leased'), value: b64('v'), lease: rootLease },
      root,
    );
    const before = await fingerprint();
    refused(
      await post(
        cluster.endpoints[1]!,
        '/v3/kv/put',
        { key: b64('c/secret'), value: b64('x'), lease: own },
        alice,
      ),
      DENIED,
    );
    refused(
      await post(
        cluster.endpoints[1]!,
        '/v3/kv/put',
        { key: b64('a/leased'), value: b64('x'), lease: rootLease },
        alice,
      ),
      DENIED,
    );
    refused(
      await post(cluster.endpoints[1]!, '/v3/lease/revoke', { ID: rootLease }, alice),
      DENIED,
    );
    expect(await fingerprint()).toEqual(before);
  });
});
