// routeByPreface: a connection whose first bytes are the HTTP/2 preface goes
// to gRPC, any other to HTTP/1.1, and the receiver reads every byte from the
// first one, also when the preface arrives in pieces.
import net, { type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP2_PREFACE, routeByPreface } from '../src/grpc/preface.js';

const open: (Socket | net.Server)[] = [];
afterEach(() => {
  for (const x of open.splice(0)) 'destroy' in x ? x.destroy() : x.close();
});

/** Sends `pieces` (one per tick) and resolves with which side got the connection and all it read. */
async function route(
  pieces: readonly string[],
  expectBytes: number,
): Promise<{ side: 'http1' | 'http2'; bytes: string }> {
  let done!: (r: { side: 'http1' | 'http2'; bytes: string }) => void;
  const result = new Promise<{ side: 'http1' | 'http2'; bytes: string }>(
    (resolve) => (done = resolve),
  );
  const take =
    (side: 'http1' | 'http2') =>
    (socket: Socket): void => {
      let bytes = '';
      socket.on('data', (d: Buffer) => {
        bytes += d.toString('latin1');
        if (bytes.length >= expectBytes) done({ side, bytes });
      });
      socket.resume();
    };
  const server = net.createServer((s) => routeByPreface(s, take('http1'), take('http2')));
  open.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.setNoDelay(true);
  open.push(client);
  await new Promise<void>((r) => client.once('connect', () => r()));
  for (const p of pieces) {
    client.write(p, 'latin1');
    await new Promise((r) => setTimeout(r, 10));
  }
  return result;
}

describe('routeByPreface', () => {
  const preface = HTTP2_PREFACE.toString('latin1');

  it('hands the HTTP/2 preface (even split in pieces) to the HTTP/2 side with every byte', async () => {
    const tail = '\x00\x00\x00\x04\x00\x00\x00\x00\x00';
    const r = await route(
      [preface.slice(0, 3), preface.slice(3, 10), preface.slice(10) + tail],
      preface.length + tail.length,
    );
    expect(r).toEqual({ side: 'http2', bytes: preface + tail });
  });

  it('hands an HTTP/1.1 request (also one starting with P) to the HTTP/1 side with every byte', async () => {
    const request = 'POST /v3/kv/range HTTP/1.1\r\nhost: x\r\n\r\n';
    expect(await route(['P', 'OS', request.slice(3)], request.length)).toEqual({
      side: 'http1',
      bytes: request,
    });
    const put = 'PRX';
    expect(await route([put], put.length)).toEqual({ side: 'http1', bytes: put });
  });
});
