// Request bodies within the overload limits, on a real member: a body declared
// larger than bodyBytesMax is refused from its Content-Length before it is
// sent; a body that would overrun the in-flight budget gets etcd's "too many
// requests" (429, code 8); nothing refused is written; the budget is given back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { connect, postHead, refusals, until } from './overload-raw.js';

const KIB = 1024;
const BODY_BYTES_MAX = 64 * KIB;
const INFLIGHT_BYTES_MAX = 100 * KIB;

let cluster: LocalCluster;
let member: LocalMember;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A put body of exactly `bytes` bytes (padded with a field the server ignores). */
function putBody(key: string, bytes: number): string {
  const head = `{"key":"${b64(key)}","value":"${b64('v')}","pad":"`;
  const tail = '"}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

async function keyCount(key: string): Promise<number> {
  const res = await fetch(`${member.url}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key) }),
  });
  const json = (await res.json()) as { count?: string };
  return Number(json.count ?? 0);
}

/** Parses the first HTTP response on a raw connection: status and JSON body. */
function parseResponse(
  text: string,
): { status: number; json: Record<string, unknown> } | undefined {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const length = /content-length: (\d+)/i.exec(text.slice(0, split));
  if (!length || text.length < split + 4 + Number(length[1])) return undefined;
  return {
    status: Number(text.slice(9, 12)),
    json: JSON.parse(text.slice(split + 4, split + 4 + Number(length[1]))) as Record<
      string,
      unknown
    >,
  };
}

beforeAll(async () => {
  cluster = await startLocalCluster({
    size: 1,
    httpLimits: { bodyBytesMax: BODY_BYTES_MAX, inflightBodyBytesMax: INFLIGHT_BYTES_MAX },
  });
  member = await cluster.leader();
});

afterAll(async () => {
  await cluster?.close();
});

describe('request bodies within the overload limits', () => {
  it("refuses a Content-Length over bodyBytesMax before the body is sent: 429, etcd's message, nothing written", async () => {
    const conn = await connect(member.url);
    conn.socket.write(
      `${postHead('/v3/kv/put', { 'Content-Length': 10_000_000 })}{"key":"${b64('huge')}","value":"AAAA`,
    );
    const res = await until('an answer before the body was sent', () =>
      parseResponse(conn.received()),
    );
    conn.socket.destroy();
    expect(res.status).toBe(429);
    expect(res.json['code']).toBe(8);
    expect(res.json['message']).toBe(res.json['error']);
    expect(String(res.json['message'])).toMatch(
      /^grpc: received message larger than max \(10000000 vs\. 65536\)/,
    );
    expect(await keyCount('huge')).toBe(0);
    expect(await refusals(member.url, 'bodyBytesMax')).toBe(1);
  });

  it('refuses a body that would overrun the in-flight budget with "etcdserver: too many requests", writes nothing, and gives the budget back', async () => {
    const held = putBody('held', 60 * KIB);
    const conn = await connect(member.url);
    conn.socket.write(
      postHead('/v3/kv/put', { 'Content-Length': held.length }) + held.slice(0, 1000),
    );
    await until('the held request to take its bytes', () =>
      member.server.inflightBodyBytes() === held.length ? true : undefined,
    );

    const refused = await fetch(`${member.url}/v3/kv/put`, {
      method: 'POST',
      body: putBody('refused', 50 * KIB),
    });
    const json = (await refused.json()) as Record<string, unknown>;
    expect(refused.status).toBe(429);
    expect(json['code']).toBe(8);
    expect(String(json['message'])).toMatch(/^etcdserver: too many requests \(/);
    expect(await keyCount('refused')).toBe(0);

    conn.socket.write(held.slice(1000));
    const done = await until('the held request to be answered', () =>
      parseResponse(conn.received()),
    );
    conn.socket.destroy();
    expect(done.status).toBe(200);
    await until('the budget to be given back', () =>
      member.server.inflightBodyBytes() === 0 ? true : undefined,
    );
    const retried = await fetch(`${member.url}/v3/kv/put`, {
      method: 'POST',
      body: putBody('refused', 50 * KIB),
    });
    expect(retried.status).toBe(200);
    expect(await keyCount('refused')).toBe(1);
    expect(await keyCount('held')).toBe(1);
  });

  it('counts a chunked body (no Content-Length) against the budget as it arrives', async () => {
    const held = putBody('held2', 60 * KIB);
    const conn = await connect(member.url);
    conn.socket.write(
      postHead('/v3/kv/put', { 'Content-Length': held.length }) + held.slice(0, 1000),
    );
    await until('the held request to take its bytes', () =>
      member.server.inflightBodyBytes() === held.length ? true : undefined,
    );

    const chunked = await connect(member.url);
    const body = putBody('chunked', 50 * KIB);
    chunked.socket.write(
      `${postHead('/v3/kv/put', { 'Transfer-Encoding': 'chunked' })}${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    const text = await until('the chunked request to be answered', () =>
      /\r\n\r\n.*\}/s.test(chunked.received()) ? chunked.received() : undefined,
    );
    chunked.socket.destroy();
    expect(text.slice(9, 12)).toBe('429');
    expect(text).toContain('etcdserver: too many requests');
    expect(await keyCount('chunked')).toBe(0);

    conn.socket.write(held.slice(1000));
    await until('the held request to be answered', () => parseResponse(conn.received()));
    conn.socket.destroy();
    await until('the budget to be given back', () =>
      member.server.inflightBodyBytes() === 0 ? true : undefined,
    );
  });
});
