// Watch streams within the overload limits, on a real member: more streams
// than watchStreamsMax (or than watchStreamsPerConnectionMax on one
// connection) are refused with etcd's "too many requests"; a client that stops
// reading has its watch cancelled with a reason once its unread bytes pass
// watchStreamBufferBytesMax, and the server's buffered bytes stay bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { connect, postRequest, refusals, until, type RawConnection } from './overload-raw.js';

const KIB = 1024;
const BUFFER_BYTES_MAX = 256 * KIB;
const VALUE_BYTES = 64 * KIB;

let cluster: LocalCluster;
let member: LocalMember;

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  cluster = await startLocalCluster({
    size: 1,
    httpLimits: {
      watchStreamsMax: 3,
      watchStreamsPerConnectionMax: 2,
      watchStreamBufferBytesMax: BUFFER_BYTES_MAX,
    },
  });
  member = await cluster.leader();
});

afterAll(async () => {
  await cluster?.close();
});

const watchBody = (key: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    create_request: {
      key: b64(key),
      range_end: b64(
        `${key.slice(0, -1)}${String.fromCharCode(key.charCodeAt(key.length - 1) + 1)}`,
      ),
      ...extra,
    },
  });

async function openWatch(key: string): Promise<RawConnection> {
  const conn = await connect(member.url);
  conn.socket.write(postRequest('/v3/watch', watchBody(key)));
  await until('the watch to be created', () =>
    conn.received().includes('"created":true') ? true : undefined,
  );
  return conn;
}

async function openWatchers(): Promise<number> {
  const text = await (await fetch(`${member.url}/metrics`)).text();
  return Number(/^flotilla_watchers (\d+)$/m.exec(text)?.[1]);
}

async function closeAll(conns: RawConnection[]): Promise<void> {
  for (const c of conns) c.socket.destroy();
  await until('every watch to be closed', async () =>
    (await openWatchers()) === 0 ? true : undefined,
  );
}

describe('watch streams within the overload limits', () => {
  it('refuses a watch beyond watchStreamsMax with etcd\'s "too many requests" (429, code 8) and takes one again once a stream closes', async () => {
    const conns = [await openWatch('a/'), await openWatch('b/'), await openWatch('c/')];
    const refused = await fetch(`${member.url}/v3/watch`, {
      method: 'POST',
      body: watchBody('d/'),
    });
    const json = (await refused.json()) as Record<string, unknown>;
    expect(refused.status).toBe(429);
    expect(json['code']).toBe(8);
    expect(String(json['message'])).toMatch(
      /^etcdserver: too many requests \(.*watchStreamsMax is 3/,
    );
    expect(await refusals(member.url, 'watchStreamsMax')).toBe(1);
    conns.shift()!.socket.destroy();
    await until('a stream to close', async () => ((await openWatchers()) === 2 ? true : undefined));
    conns.push(await openWatch('d/'));
    expect(await openWatchers()).toBe(3);
    await closeAll(conns);
  });

  it('refuses a watch pipelined beyond watchStreamsPerConnectionMax on one connection', async () => {
    const conn = await connect(member.url);
    conn.socket.write(
      postRequest('/v3/watch', watchBody('a/')) +
        postRequest('/v3/watch', watchBody('b/')) +
        postRequest('/v3/watch', watchBody('c/')),
    );
    await until('the third watch to be refused', async () =>
      (await refusals(member.url, 'watchStreamsPerConnectionMax')) === 1 ? true : undefined,
    );
    expect(await openWatchers()).toBe(2);
    await closeAll([conn]);
  });

  it('cancels the watch of a client that stops reading once its unread bytes pass watchStreamBufferBytesMax, and keeps the buffer bounded', async () => {
    const conn = await openWatch('slow/');
    conn.socket.pause(); // never reads again: the kernel's buffers fill, then the server's
    const value = b64(Buffer.alloc(VALUE_BYTES, 7));
    const lineBytesMax = value.length + 2 * KIB; // one response: the value in base64 plus the JSON around it
    let peak = 0;
    for (
      let i = 0;
      i < 600 && (await refusals(member.url, 'watchStreamBufferBytesMax')) === 0;
      i++
    ) {
      const res = await fetch(`${member.url}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: b64(`slow/${i}`), value }),
      });
      expect(res.status).toBe(200);
      peak = Math.max(peak, member.server.watchBufferedBytes());
    }
    expect(await refusals(member.url, 'watchStreamBufferBytesMax')).toBe(1);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(BUFFER_BYTES_MAX + lineBytesMax);
    expect(await openWatchers()).toBe(0);

    conn.socket.resume();
    await conn.closed;
    const lines = conn
      .received()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    const last = JSON.parse(lines[lines.length - 1]!) as {
      result: { canceled?: boolean; cancel_reason?: string };
    };
    expect(last.result.canceled).toBe(true);
    expect(last.result.cancel_reason).toMatch(
      /^slow watcher: \d+ bytes waiting to be sent to this client \(watchStreamBufferBytesMax 262144\).*start_revision \d+/,
    );
  });

  it('paces a watch that replays history by its reader instead of cancelling it', async () => {
    // Two pages of history (readPageKeys is 1,000 records), each far larger than the buffer bound.
    const value = b64(Buffer.alloc(10 * KIB, 1));
    const first =
      Number(
        (
          (await (
            await fetch(`${member.url}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}' })
          ).json()) as { header: { revision: string } }
        ).header.revision,
      ) + 1;
    for (let t = 0; t < 16; t++) {
      const success = Array.from({ length: 128 }, (_, i) => ({
        request_put: { key: b64(`hist/${t}/${i}`), value },
      }));
      const res = await fetch(`${member.url}/v3/kv/txn`, {
        method: 'POST',
        body: JSON.stringify({ success }),
      });
      expect(res.status).toBe(200);
    }
    const conn = await connect(member.url);
    conn.socket.write(postRequest('/v3/watch', watchBody('hist/', { start_revision: first })));
    const events = await until(
      'the whole history to arrive',
      () => {
        const text = conn.received();
        if (text.includes('"canceled":true')) return -1;
        const n = (text.match(/"type"|"kv":/g) ?? []).filter((m) => m === '"kv":').length;
        return n >= 16 * 128 ? n : undefined;
      },
      30_000,
    );
    conn.socket.destroy();
    expect(events).toBe(16 * 128);
    expect(await refusals(member.url, 'watchStreamBufferBytesMax')).toBe(1); // only the slow watcher's
  });
});
