// Read consistency over HTTP: etcd's body field `serializable`, and
// Flotilla's `x-flotilla-read-consistency: lease` header for a lease read.
// The node here records the consistency each range reached it with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteKv } from '@flotilla/client';
import { startHttpServer, type RunningHttpServer } from '../src/http/server.js';
import type { ReadConsistency, ServedNode } from '../src/http/served-node.js';
import { fakeServedNode } from './fake-served-node.js';

const reached: ReadConsistency[] = [];

function recordingNode(): ServedNode {
  return fakeServedNode({
    range: async (_req, consistency) => {
      reached.push(consistency);
      return { header: { revision: 1 }, kvs: [], more: false, count: 0 };
    },
  });
}

let server: RunningHttpServer;

beforeAll(async () => {
  server = await startHttpServer({ node: recordingNode() });
});

afterAll(async () => {
  await server.close();
});

async function range(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: 'YQ==', ...body }),
    headers,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('read consistency over HTTP', () => {
  it('reaches the node as linearizable, serializable (body) or lease (header)', async () => {
    reached.length = 0;
    expect((await range({})).status).toBe(200);
    expect((await range({ serializable: true })).status).toBe(200);
    expect((await range({}, { 'x-flotilla-read-consistency': 'lease' })).status).toBe(200);
    expect(reached).toEqual(['linearizable', 'serializable', 'lease']);
  });

  it('refuses an unknown value and a read that is both serializable and lease, before the node', async () => {
    reached.length = 0;
    const bogus = await range({}, { 'x-flotilla-read-consistency': 'fast' });
    expect(bogus.status).toBe(400);
    expect(String(bogus.json['message'])).toContain('must be "lease"');
    const both = await range({ serializable: true }, { 'x-flotilla-read-consistency': 'lease' });
    expect(both.status).toBe(400);
    expect(reached).toEqual([]);
  });

  it('the remote client asks for each consistency the way the server reads it', async () => {
    reached.length = 0;
    const kv = remoteKv({ endpoints: [server.url], discover: false, exactlyOnce: false });
    try {
      await kv.get('a');
      await kv.get('a', { consistency: 'serializable' });
      await kv.range({ prefix: 'a', consistency: 'lease' });
      await kv.get('a', { consistency: 'lease' });
    } finally {
      await kv.close();
    }
    expect(reached).toEqual(['linearizable', 'serializable', 'lease', 'lease']);
  });
});
