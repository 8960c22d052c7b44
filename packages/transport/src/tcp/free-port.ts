// A free TCP port on loopback (bind to 0, read it, release it). Another
// process could take it before it is used: for tests, the demo and benchmarks,
// which pick ports for members they start themselves.
//
// The kernel may hand the same port out again as soon as it is released (3,000
// calls here gave ~600 repeats), so a cluster that picks its six ports before
// starting anything could give one member's peer port to another's clients.
// Ports this process has handed out are therefore never handed out again
// (up to the last HANDED_OUT_LIMIT of them).
import net from 'node:net';

const HANDED_OUT_LIMIT = 4096;
const MAX_ATTEMPTS = 64;
const handedOut = new Set<number>();

function bindAny(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: net.Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null)
    throw new Error('freePort: a listening server has no port');
  return address.port;
}

function closeAll(servers: readonly net.Server[]): Promise<void> {
  return Promise.all(
    servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  ).then(() => undefined);
}

export async function freePort(): Promise<number> {
  // Repeats stay bound while we try again, so the kernel cannot offer them twice.
  const held: net.Server[] = [];
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const server = await bindAny();
      held.push(server);
      const port = portOf(server);
      if (handedOut.has(port)) continue;
      handedOut.add(port);
      if (handedOut.size > HANDED_OUT_LIMIT) {
        const oldest = handedOut.values().next().value as number;
        handedOut.delete(oldest);
      }
      return port;
    }
    throw new Error(
      `freePort: ${MAX_ATTEMPTS} ports in a row were ones this process already handed out`,
    );
  } finally {
    await closeAll(held);
  }
}
