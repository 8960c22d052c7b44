// An HTTP proxy that forwards every request to a real server but can lose
// the answer to chosen requests after the server has handled them: the
// failure that makes a write's outcome unknown to its client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LossyProxy {
  url: string;
  /** Requests forwarded, by path, with their exactly-once headers. */
  forwarded: { path: string; clientId?: string; seq?: string }[];
  close(): Promise<void>;
}

export async function lossyProxy(
  target: string,
  loseAnswer: (path: string, index: number) => boolean,
): Promise<LossyProxy> {
  const forwarded: LossyProxy['forwarded'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const index = forwarded.length;
      const clientId = req.headers['x-flotilla-client-id'];
      const seq = req.headers['x-flotilla-seq'];
      forwarded.push({
        path,
        clientId: typeof clientId === 'string' ? clientId : undefined,
        seq: typeof seq === 'string' ? seq : undefined,
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (typeof clientId === 'string') headers['x-flotilla-client-id'] = clientId;
      if (typeof seq === 'string') headers['x-flotilla-seq'] = seq;
      void fetch(`${target}${path}`, { method: 'POST', headers, body: Buffer.concat(chunks) }).then(
        async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          if (loseAnswer(path, index)) {
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(body);
        },
        () => req.socket.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
