// A remote watch survives the loss of the member it streams from: it
// reconnects to another member and resumes from the last delivered revision
// + 1, so the consumer sees every revision exactly once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteKv, text } from '../src/index.js';
import type { Event, KV } from '../src/index.js';
import { startEtcdCluster, type EtcdCluster } from '../../testkit/src/etcd-cluster.js';

describe('remote watch resume', () => {
  let cluster: EtcdCluster;
  const clients: KV[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 3, heartbeatMs: 50, electionMs: 500 });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await cluster?.stop();
  });

  it('resumes from the last seen revision + 1 on another member after its member is killed, with no gap or duplicate', async () => {
    // Watch through a follower and kill that one: the writes keep a stable leader, so none has an unknown outcome.
    const probe = remoteKv({
      endpoints: [cluster.endpoints[0]!],
      discover: false,
      exactlyOnce: false,
    });
    clients.push(probe);
    const status = await probe.status();
    const followerIndex = status.memberId === status.leaderId ? 1 : 0;
    const follower = cluster.endpoints[followerIndex]!;
    const others = cluster.endpoints.filter((e) => e !== follower);
    const watcherKv = remoteKv({
      endpoints: [follower, ...others],
      discover: false,
      exactlyOnce: false,
      retry: { attemptsMax: 10, backoffInitialMs: 50 },
    });
    const writer = remoteKv({ endpoints: others, discover: false, exactlyOnce: false });
    clients.push(watcherKv, writer);
    const start = (await writer.put('resume/seed', '0')).header.revision + 1;
    const watch = watcherKv.watch({ prefix: 'resume/' }, { startRevision: start });
    await watch.ready();
    const seen: Event[] = [];
    const reading = (async () => {
      for await (const batch of watch) {
        seen.push(...batch.events);
        if (seen.length === 10) return;
      }
    })();
    for (let i = 0; i < 5; i++) await writer.put(`resume/${i}`, `before-${i}`);
    // Wait until the watcher has the first five, so the kill happens mid-stream, not before it started.
    const deadline = Date.now() + 10_000;
    while (seen.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen.length).toBe(5);
    cluster.kill(followerIndex);
    for (let i = 5; i < 10; i++) await writer.put(`resume/${i}`, `after-${i}`);
    await reading;
    watch.cancel();
    expect(seen.map((e) => text(e.kv.key))).toEqual(
      Array.from({ length: 10 }, (_, i) => `resume/${i}`),
    );
    expect(seen.map((e) => e.kv.modRevision)).toEqual(
      Array.from({ length: 10 }, (_, i) => start + i),
    );
  });
});
