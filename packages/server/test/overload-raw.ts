// Raw HTTP/1.1 over a TCP socket for the overload tests: a client that sends
// part of a request, pipelines, or stops reading — what fetch cannot do.
import net from 'node:net';

export interface RawConnection {
  readonly socket: net.Socket;
  /** Everything received so far, as text. */
  received(): string;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
}

export function connect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined); // a reset shows as `closed`
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

export function postHead(path: string, headers: Record<string, string | number>): string {
  const lines = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export function postRequest(path: string, body: string): string {
  return postHead(path, { 'Content-Length': Buffer.byteLength(body) }) + body;
}

/** Bounded poll: resolves with the first defined value of `check`, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The count of `flotilla_http_overload_refusals_total{limit}` on a server's /metrics page. */
export async function refusals(url: string, limit: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(
    `^flotilla_http_overload_refusals_total\\{limit="${limit}"\\} (\\d+)$`,
    'm',
  ).exec(text);
  return match ? Number(match[1]) : 0;
}
