// @flotilla/client's remote backend with { user, password } against a real
// cluster with auth enabled: logs in, sends the token, logs in again when
// the token stops being valid, and surfaces refusals as typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailedError, PermissionDeniedError, remoteKv, text } from '@flotilla/client';
import { startLocalCluster, type LocalCluster } from '../src/index.js';

let cluster: LocalCluster;
let root: string;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function post(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: token ? { authorization: token } : {},
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 3 });
  await cluster.leader();
  const u = cluster.endpoints[0]!;
  await post(u, '/v3/auth/user/add', { name: 'root', password: 'rootpw' });
  await post(u, '/v3/auth/user/grant', { user: 'root', role: 'root' });
  await post(u, '/v3/auth/user/add', { name: 'app', password: 'apppw' });
  await post(u, '/v3/auth/role/add', { name: 'app' });
  await post(u, '/v3/auth/role/grant', {
    name: 'app',
    perm: { permType: 'READWRITE', key: b64('app/'), range_end: b64('app0') },
  });
  await post(u, '/v3/auth/user/grant', { user: 'app', role: 'app' });
  await post(u, '/v3/auth/enable', {});
  root = (await post(u, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' }))[
    'token'
  ] as string;
});

afterAll(async () => {
  await cluster?.close();
});

describe('remote client with credentials', () => {
  it('reads and writes within its permissions; a forbidden key is a PermissionDeniedError', async () => {
    const kv = remoteKv({ endpoints: cluster.endpoints, auth: { user: 'app', password: 'apppw' } });
    try {
      await kv.put('app/x', '1');
      expect(text((await kv.get('app/x'))!.value)).toBe('1');
      await expect(kv.put('other', '1')).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(kv.get('other')).rejects.toBeInstanceOf(PermissionDeniedError);
    } finally {
      await kv.close();
    }
  });

  it('logs in again when its token is revoked (user re-created with the same password)', async () => {
    const kv = remoteKv({ endpoints: cluster.endpoints, auth: { user: 'app', password: 'apppw' } });
    try {
      await kv.put('app/y', '1');
      const u = cluster.endpoints[1]!;
      await post(u, '/v3/auth/user/delete', { name: 'app' }, root);
      await post(u, '/v3/auth/user/add', { name: 'app', password: 'apppw' }, root);
      await post(u, '/v3/auth/user/grant', { user: 'app', role: 'app' }, root);
      await kv.put('app/y', '2');
      expect(text((await kv.get('app/y'))!.value)).toBe('2');
    } finally {
      await kv.close();
    }
  });

  it('a wrong password is an AuthFailedError', async () => {
    const kv = remoteKv({ endpoints: cluster.endpoints, auth: { user: 'app', password: 'nope' } });
    try {
      await expect(kv.get('app/x')).rejects.toBeInstanceOf(AuthFailedError);
    } finally {
      await kv.close();
    }
  });
});
