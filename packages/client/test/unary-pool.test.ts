// The remote client's unary HTTP path: calls share kept-alive connections,
// answers are bounded in size, and close() ends the calls still waiting.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UnexpectedResponseError, UnavailableError, remoteKv, type KV } from '../src/index.js';

const env = { sleep: async () => undefined, random: () => 0.5 };
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server that answers every range with `body` (or never, if `body` is undefined) and counts connections. */
async function rangeServer(body: unknown): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (body === undefined) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

function client(url: string, options: Partial<Parameters<typeof remoteKv>[0]> = {}): KV {
  const kv = remoteKv({ endpoints: [url], discover: false, exactlyOnce: false, env, ...options });
  closers.push(() => kv.close());
  return kv;
}

const key = new TextEncoder().encode('k');
const emptyRange = { header: { revision: '1' }, kvs: [], count: '0' };

describe('remote unary calls', () => {
  it('reuse one kept-alive connection for calls made one after another', async () => {
    const s = await rangeServer(emptyRange);
    const kv = client(s.url);
    for (let i = 0; i < 20; i++) await kv.get(key);
    expect(s.connections()).toBe(1);
  });

  it('open at most connectionsPerEndpointMax connections however many calls run at once', async () => {
    const s = await rangeServer(emptyRange);
    const kv = client(s.url, { connectionsPerEndpointMax: 2 });
    await Promise.all(Array.from({ length: 16 }, () => kv.get(key)));
    expect(s.connections()).toBeLessThanOrEqual(2);
  });

  it('refuse an answer larger than responseBytesMax with UnexpectedResponseError instead of buffering it', async () => {
    const s = await rangeServer({ ...emptyRange, padding: 'x'.repeat(10_000) });
    const kv = client(s.url, { responseBytesMax: 1_000 });
    await expect(kv.get(key)).rejects.toThrow(UnexpectedResponseError);
  });

  it('end on close(): a call waiting for an answer fails instead of waiting out its timeout', async () => {
    const s = await rangeServer(undefined);
    const kv = remoteKv({
      endpoints: [s.url],
      discover: false,
      exactlyOnce: false,
      env,
      requestTimeoutMs: 600_000,
    });
    const pending = kv.get(key);
    const outcome = expect(pending).rejects.toThrow(UnavailableError);
    // Close once the request has reached the server (its connection is open).
    for (let i = 0; i < 1_000 && s.connections() === 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    await kv.close();
    await outcome;
  });
});
