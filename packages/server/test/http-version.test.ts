// GET /version answers as etcd's does (etcdserver, etcdcluster: the etcd API
// level Flotilla implements, so tools that check an etcd's version accept it)
// plus Flotilla's own release; no login needed, as on etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOTILLA_VERSION } from '../src/http/handlers-cluster.js';
import { startHttpServer, type RunningHttpServer } from '../src/http/server.js';
import { fakeServedNode } from './fake-served-node.js';

let server: RunningHttpServer;

beforeAll(async () => {
  server = await startHttpServer({ node: fakeServedNode({}) });
});

afterAll(async () => {
  await server.close();
});

describe('GET /version', () => {
  it("answers etcd's two fields and flotilla's version", async () => {
    const res = await fetch(`${server.url}/version`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe(
      `{"etcdserver":"3.4.0","etcdcluster":"3.4.0","flotilla":"${FLOTILLA_VERSION}"}`,
    );
  });

  it('is the server package version', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      version: string;
    };
    expect(FLOTILLA_VERSION).toBe(pkg.version);
  });

  it('takes GET only', async () => {
    expect((await fetch(`${server.url}/version`, { method: 'POST' })).status).toBe(405);
  });
});
