// Connections within the overload limits, on a real member: a client that
// trickles its headers (slowloris) or its body is answered 408 and closed
// after headersTimeoutMs / requestTimeoutMs; connections beyond
// connectionsMax are closed as soon as they are accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import { connect, postHead, refusals, until } from './overload-raw.js';

let cluster: LocalCluster;
let member: LocalMember;

beforeAll(async () => {
  cluster = await startLocalCluster({
    size: 1,
    httpLimits: { headersTimeoutMs: 300, requestTimeoutMs: 600, connectionsMax: 3 },
  });
  member = await cluster.leader();
});

afterAll(async () => {
  await cluster?.close();
});

/** Sends one more byte every 50 ms until the connection closes, so it is never idle. */
function trickle(write: () => void): () => void {
  const timer = setInterval(write, 50);
  return () => clearInterval(timer);
}

describe('connections within the overload limits', () => {
  it('answers a client that trickles its headers (slowloris) with 408 and closes it after headersTimeoutMs', async () => {
    const conn = await connect(member.url);
    conn.socket.write('POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let n = 0;
    const stop = trickle(() => conn.socket.writable && conn.socket.write(`X-Pad-${n++}: a\r\n`));
    await until('the server to close the connection', () => conn.closed.then(() => true), 5_000);
    stop();
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(await refusals(member.url, 'timeout')).toBeGreaterThanOrEqual(1);
  });

  it('answers a client that trickles its body with 408 and closes it after requestTimeoutMs', async () => {
    const before = await refusals(member.url, 'timeout');
    const conn = await connect(member.url);
    conn.socket.write(`${postHead('/v3/kv/range', { 'Content-Length': 10_000 })}{"key":"`);
    const stop = trickle(() => conn.socket.writable && conn.socket.write('Y'));
    await until('the server to close the connection', () => conn.closed.then(() => true), 5_000);
    stop();
    expect(conn.received()).not.toMatch(/^HTTP\/1\.1 200 /);
    expect(await refusals(member.url, 'timeout')).toBeGreaterThan(before);
  });

  it('closes connections beyond connectionsMax as soon as they are accepted, and counts them', async () => {
    const before = await refusals(member.url, 'connectionsMax');
    const open = [await connect(member.url), await connect(member.url), await connect(member.url)];
    const extra = await connect(member.url);
    await until('the extra connection to be closed', () => extra.closed.then(() => true), 5_000);
    // Not a 408 from the header timeout: closed unanswered, at once.
    expect(extra.received()).toBe('');
    for (const c of open) c.socket.destroy();
    await Promise.all(open.map((c) => c.closed));
    expect(await refusals(member.url, 'connectionsMax')).toBeGreaterThan(before);
  });
});
