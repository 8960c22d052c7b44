// The conformance suite against an embedded 3-member Flotilla cluster in this
// process (openNode: LevelDB + TCP on loopback); the suite's two clients sit
// on different members, so forwarding to the leader is exercised too.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openNode, type FlotillaNode } from '@flotilla/node';
import { embeddedKv } from '../src/index.js';
import { describeKvConformance } from './conformance.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

describeKvConformance('embedded (3-member in-process cluster)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-client-embedded-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const address = (id: number) => ({ host: '127.0.0.1', port: ports[id - 1]! });
  const nodes: FlotillaNode[] = await Promise.all(
    [1, 2, 3].map((id) =>
      openNode({
        id,
        clusterId: 'client-conformance',
        dataDir: path.join(dir, `n${id}`),
        listen: address(id),
        peers: Object.fromEntries([1, 2, 3].filter((p) => p !== id).map((p) => [p, address(p)])),
      }),
    ),
  );
  // Requests would wait for the election themselves; ready() keeps the suite's first timings out of it.
  await Promise.all(nodes.map((n) => n.ready({ timeoutMs: 20_000 })));
  let next = 0;
  return {
    client: async () => embeddedKv(nodes[next++ % nodes.length]!),
    stop: async () => {
      await Promise.all(nodes.map((n) => n.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
