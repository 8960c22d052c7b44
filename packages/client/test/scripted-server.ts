// A tiny HTTP server whose answers a test scripts request by request, to
// drive the remote client into failures a real cluster produces only by
// chance: a dropped connection after the request arrived, "not leader", a
// redirect. It records every request it saw (path, headers, body).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export type Answer =
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'drop' }
  | { kind: 'redirect'; location: string };

export interface ScriptedServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

export async function scriptedServer(
  answer: (req: Seen, index: number) => Answer,
): Promise<ScriptedServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const s: Seen = {
        path: req.url ?? '',
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(s);
      const a = answer(s, seen.length - 1);
      if (a.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (a.kind === 'redirect') {
        res.writeHead(307, { location: a.location });
        res.end();
        return;
      }
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const putAnswer = (revision: number): Answer => ({
  kind: 'json',
  body: { header: { revision: String(revision) } },
});
