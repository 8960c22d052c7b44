// The README's embedding example, runnable: three members in one process on
// loopback (each would normally be its own service instance).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { openNode, type FlotillaNode } from '../src/index.js';
import { freePort, waitFor } from './tcp-harness.js';

const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-embed-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('embeds a three-member cluster: write on one member, read it linearizably on another', async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const address = (i: number) => ({ host: '127.0.0.1', port: ports[i - 1]! });
  const members: FlotillaNode[] = await Promise.all([1, 2, 3].map((id) => openNode({
    id,
    clusterId: 'orders',
    dataDir: path.join(dir, `member-${id}`),
    listen: address(id),
    peers: Object.fromEntries([1, 2, 3].filter((p) => p !== id).map((p) => [p, address(p)])),
  })));
  try {
    const [a, b] = members as [FlotillaNode, FlotillaNode, FlotillaNode];
    await waitFor(() => members.every((m) => m.status().leader !== 0), 'every member knows the elected leader');

    const written = await a.put({ key: bytes('config/mode'), value: bytes('active') });
    const r = await b.range({ key: bytes('config/mode') });
    expect(text(r.kvs[0]!.value)).toBe('active');
    expect(r.header).toMatchObject({ clusterId: 'orders', memberId: 2 });
    expect(r.header.revision).toBeGreaterThanOrEqual(written.header.revision);
    expect(b.status().metrics.leaderChanges).toBeGreaterThanOrEqual(1);
    expect(a.status().metrics.commitLatencyMs.count).toBe(1);
  } finally {
    await Promise.all(members.map((m) => m.close()));
  }
});
