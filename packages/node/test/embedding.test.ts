// The README's embedding example, runnable: three members in one process on
// loopback (each would normally be its own service instance).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bytes, text } from '@flotilla/kv';
import { openNode, type FlotillaNode } from '../src/index.js';
import { freePort } from './tcp-harness.js';

const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-embed-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('embeds a three-member cluster: write on one member, read it linearizably on another', async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const address = (i: number) => ({ host: '127.0.0.1', port: ports[i - 1]! });
  const members: FlotillaNode[] = await Promise.all(
    [1, 2, 3].map((id) =>
      openNode({
        id,
        clusterId: 'orders',
        dataDir: path.join(dir, `member-${id}`),
        listen: address(id),
        peers: Object.fromEntries([1, 2, 3].filter((p) => p !== id).map((p) => [p, address(p)])),
      }),
    ),
  );
  try {
    const [a, b] = members as [FlotillaNode, FlotillaNode, FlotillaNode];
    // Right after opening, before any election: the write waits for a leader (as the README shows).
    const written = await a.put({ key: bytes('config/mode'), value: bytes('active') });
    const r = await b.range({ key: bytes('config/mode') });
    expect(text(r.kvs[0]!.value)).toBe('active');
    expect(r.header).toMatchObject({ clusterId: 'orders', memberId: 2 });
    expect(r.header.revision).toBeGreaterThanOrEqual(written.header.revision);
    expect(b.status().metrics.leaderChanges).toBeGreaterThanOrEqual(1);
    // The write's commit latency is recorded on the member it was issued on (on a follower, the forward
    // lane's registration that travels with the first forwarded write may be recorded too).
    expect(a.status().metrics.commitLatencyMs.count).toBeGreaterThanOrEqual(1);
    expect(a.status().metrics.commitLatencyMs.count).toBeLessThanOrEqual(2);
    await Promise.all(members.map((m) => m.ready({ timeoutMs: 10_000 })));
  } finally {
    await Promise.all(members.map((m) => m.close()));
  }
});

it('a single member takes a write right after openNode', async () => {
  const node = await openNode({
    id: 1,
    clusterId: 'solo',
    dataDir: path.join(dir, 'solo'),
    listen: { host: '127.0.0.1', port: await freePort() },
    peers: {},
  });
  try {
    const written = await node.put({ key: bytes('k'), value: bytes('v') });
    expect(written.header.memberId).toBe(1);
    await node.ready({ timeoutMs: 10_000 });
  } finally {
    await node.close();
  }
});
