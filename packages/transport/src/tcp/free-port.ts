// A free TCP port on loopback (bind to 0, read it, release it). Another
// process could take it before it is used: for tests, the demo and benchmarks,
// which pick ports for members they start themselves.
import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
