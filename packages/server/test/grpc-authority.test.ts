// etcdctl sends a whole URL as the HTTP/2 :authority when it dials a URL
// endpoint; nghttp2 refuses that. The fixer in front of the gRPC server must
// rewrite it to host:port, keep every other header and frame as sent, and
// follow the client's HPACK dynamic table across header blocks.
import hpack from 'hpack.js';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { authorityOf, withFixedAuthority } from '../src/grpc/authority.js';
import { HTTP2_PREFACE } from '../src/grpc/preface.js';

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

function encode(
  enc: ReturnType<typeof hpack.compressor.create>,
  headers: { name: string; value: string }[],
): Buffer {
  enc.write(headers);
  return enc.read() as Buffer;
}

/** Splits frames and decodes their header blocks with one decoder, as a server would. */
function parse(
  bytes: Buffer,
): { type: number; headers?: Record<string, string>; payload: Buffer }[] {
  const dec = hpack.decompressor.create({ table: { size: 4096 } });
  const out: { type: number; headers?: Record<string, string>; payload: Buffer }[] = [];
  let rest = bytes.subarray(HTTP2_PREFACE.length);
  while (rest.length >= 9) {
    const len = rest.readUIntBE(0, 3);
    const type = rest[3]!;
    const payload = rest.subarray(9, 9 + len);
    rest = rest.subarray(9 + len);
    if (type !== 1) {
      out.push({ type, payload });
      continue;
    }
    dec.write(payload);
    dec.execute();
    const headers: Record<string, string> = {};
    for (
      let h = dec.read() as { name: string; value: string } | null;
      h;
      h = dec.read() as typeof h
    )
      headers[h.name] = h.value;
    out.push({ type, headers, payload });
  }
  return out;
}

describe('the :authority fixer', () => {
  it('strips a scheme and path from a URL authority and leaves a host:port alone', () => {
    expect(authorityOf('http://127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(authorityOf('https://node-1.example:2379/')).toBe('node-1.example:2379');
    expect(authorityOf('127.0.0.1:2379')).toBe('127.0.0.1:2379');
  });

  it('rewrites the authority of every header block, follows the dynamic table, and passes other frames', async () => {
    const socket = new PassThrough();
    const fixed = withFixedAuthority(socket as unknown as Socket);
    const chunks: Buffer[] = [];
    fixed.on('data', (c: Buffer) => chunks.push(c));
    const client = hpack.compressor.create({ table: { size: 4096 } });
    const request = [
      { name: ':method', value: 'POST' },
      { name: ':scheme', value: 'http' },
      { name: ':path', value: '/etcdserverpb.Maintenance/Status' },
      { name: ':authority', value: 'http://127.0.0.1:2379' },
      { name: 'content-type', value: 'application/grpc' },
      { name: 'token', value: 'abc' },
    ];
    const data = frame(0, 1, 1, Buffer.from([0, 0, 0, 0, 0]));
    // The second block repeats the headers: the client's encoder now sends them as table indexes.
    const first = encode(client, request);
    const second = encode(client, request);
    expect(second.length).toBeLessThan(first.length);
    const wire = Buffer.concat([
      HTTP2_PREFACE,
      frame(4, 0, 0, Buffer.alloc(0)), // SETTINGS
      frame(1, 4, 1, first), // HEADERS, END_HEADERS
      data,
      frame(1, 0, 3, second.subarray(0, 3)), // HEADERS without END_HEADERS, then CONTINUATION
      frame(9, 4, 3, second.subarray(3)),
    ]);
    // Byte by byte: frames split anywhere must still be found.
    for (const b of wire) socket.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
    const frames = parse(Buffer.concat(chunks));
    expect(frames.map((f) => f.type)).toEqual([4, 1, 0, 1]);
    for (const f of [frames[1]!, frames[3]!]) {
      expect(f.headers).toEqual({
        ':method': 'POST',
        ':scheme': 'http',
        ':path': '/etcdserverpb.Maintenance/Status',
        ':authority': '127.0.0.1:2379',
        'content-type': 'application/grpc',
        token: 'abc',
      });
    }
    expect(frames[2]!.payload).toEqual(data.subarray(9));
  });

  it('closes the connection on a CONTINUATION that belongs to no header block', async () => {
    const socket = new PassThrough();
    const fixed = withFixedAuthority(socket as unknown as Socket);
    const failed = new Promise<Error>((resolve) => fixed.on('error', resolve));
    socket.write(Buffer.concat([HTTP2_PREFACE, frame(9, 4, 1, Buffer.from([0x82]))]));
    expect((await failed).message).toMatch(/CONTINUATION outside a header block/);
  });
});
