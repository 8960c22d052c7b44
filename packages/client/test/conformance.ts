// The behaviour every KV backend promises, run against each of them:
// describeKvConformance(name, start) registers the tests; `start` brings up
// one cluster per file and hands out clients to it. Tests use their own key
// prefixes, so they share the cluster without seeing each other's keys.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  CompactedError,
  Election,
  LeaseNotFoundError,
  Lock,
  compare,
  keepAliveEvery,
  op,
  text,
  textOf,
} from '../src/index.js';
import type { KV, WatchBatch } from '../src/index.js';

export interface KvHarness {
  /** A new client of the one cluster (several may be open at once). */
  client(): Promise<KV>;
  stop(): Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);

/** Reads batches until `count` events arrived (bounded by the test timeout). */
async function collect(
  watch: AsyncIterable<WatchBatch> & { next(): Promise<WatchBatch | undefined> },
  count: number,
): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  let n = 0;
  while (n < count) {
    const batch = await watch.next();
    if (!batch) break;
    out.push(batch);
    n += batch.events.length;
  }
  return out;
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes. */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function describeKvConformance(name: string, start: () => Promise<KvHarness>): void {
  describe(`KV conformance: ${name}`, () => {
    let harness: KvHarness;
    let kv: KV;
    let other: KV;

    beforeAll(async () => {
      harness = await start();
      kv = await harness.client();
      other = await harness.client();
    });

    afterAll(async () => {
      await kv?.close();
      await other?.close();
      await harness?.stop();
    });

    it('put then get returns the value with create/mod revision and version', async () => {
      const first = await kv.put('basic/a', 'one');
      const second = await kv.put('basic/a', enc('two'), { prevKv: true });
      expect(second.header.revision).toBe(first.header.revision + 1);
      expect(textOf(second.prevKv)).toBe('one');
      const got = await kv.get('basic/a');
      expect(textOf(got)).toBe('two');
      expect(got?.createRevision).toBe(first.header.revision);
      expect(got?.modRevision).toBe(second.header.revision);
      expect(got?.version).toBe(2);
      expect(await kv.get('basic/missing')).toBeUndefined();
      expect(await other.get('basic/a', { consistency: 'linearizable' })).toMatchObject({
        version: 2,
      });
    });

    it('range with a prefix returns keys in byte order, and limit reports more and the full count', async () => {
      for (const k of ['c', 'a', 'b', 'd']) await kv.put(`rng/${k}`, k.toUpperCase());
      await kv.put('rng0', 'outside the prefix');
      const all = await kv.range({ prefix: 'rng/' });
      expect(all.kvs.map((x) => text(x.key))).toEqual(['rng/a', 'rng/b', 'rng/c', 'rng/d']);
      expect(all.count).toBe(4);
      expect(all.more).toBe(false);
      const page = await kv.range({ prefix: 'rng/', limit: 2 });
      expect(page.kvs.map((x) => text(x.key))).toEqual(['rng/a', 'rng/b']);
      expect(page.more).toBe(true);
      expect(page.count).toBe(4);
      const span = await kv.range({ key: 'rng/b', rangeEnd: 'rng/d' });
      expect(span.kvs.map((x) => text(x.key))).toEqual(['rng/b', 'rng/c']);
      const desc = await kv.range({ prefix: 'rng/', sort: { target: 'KEY', order: 'DESCEND' } });
      expect(desc.kvs.map((x) => text(x.value))).toEqual(['D', 'C', 'B', 'A']);
    });

    it('the empty prefix is every key (etcd refuses an empty key; it is sent as [\\0, \\0))', async () => {
      await kv.put('every/x', 'x');
      const everything = await kv.range({ prefix: '' });
      expect(everything.kvs.map((x) => text(x.key))).toContain('every/x');
      expect(everything.count).toBe(everything.kvs.length);
      const deleted = await kv.delete({ prefix: 'every/' });
      expect(deleted.deleted).toBe(1);
    });

    it('a read at a past revision sees the value as it was then', async () => {
      const r1 = await kv.put('rev/k', 'v1');
      await kv.put('rev/k', 'v2');
      await kv.delete('rev/k');
      expect(textOf(await kv.get('rev/k', { revision: r1.header.revision }))).toBe('v1');
      expect(textOf(await kv.get('rev/k', { revision: r1.header.revision + 1 }))).toBe('v2');
      expect(await kv.get('rev/k')).toBeUndefined();
      const old = await kv.range({ prefix: 'rev/', revision: r1.header.revision });
      expect(old.header.revision).toBeGreaterThanOrEqual(r1.header.revision + 2);
    });

    it('keysOnly omits values and countOnly returns only the count', async () => {
      await kv.put('ko/a', 'value-a');
      await kv.put('ko/b', 'value-b');
      const keys = await kv.range({ prefix: 'ko/', keysOnly: true });
      expect(keys.kvs.map((x) => [text(x.key), x.value.length])).toEqual([
        ['ko/a', 0],
        ['ko/b', 0],
      ]);
      const counted = await kv.range({ prefix: 'ko/', countOnly: true });
      expect(counted.kvs).toEqual([]);
      expect(counted.count).toBe(2);
    });

    it('delete returns the deleted count and, with prevKv, the deleted pairs', async () => {
      await kv.put('del/a', '1');
      await kv.put('del/b', '2');
      await kv.put('del/c', '3');
      const one = await kv.delete('del/a', { prevKv: true });
      expect(one.deleted).toBe(1);
      expect(one.prevKvs.map((x) => text(x.value))).toEqual(['1']);
      const rest = await kv.delete({ prefix: 'del/' });
      expect(rest.deleted).toBe(2);
      expect(rest.prevKvs).toEqual([]);
      const none = await kv.delete('del/a');
      expect(none.deleted).toBe(0);
      expect((await kv.range({ prefix: 'del/' })).count).toBe(0);
    });

    it('txn compares value, version, create and mod revision with = != < > and runs the matching branch', async () => {
      const p = await kv.put('txn/k', 'v1');
      const rev = p.header.revision;
      const cases: [Parameters<KV['txn']>[0]['compare'], boolean][] = [
        [[compare('txn/k', 'VALUE', '=', 'v1')], true],
        [[compare('txn/k', 'VALUE', '!=', 'v1')], false],
        [[compare('txn/k', 'VALUE', '<', 'v2')], true],
        [[compare('txn/k', 'VALUE', '>', 'v2')], false],
        [[compare('txn/k', 'VERSION', '=', 1)], true],
        [[compare('txn/k', 'VERSION', '>', 1)], false],
        [[compare('txn/k', 'CREATE', '=', rev)], true],
        [[compare('txn/k', 'CREATE', '<', rev)], false],
        [[compare('txn/k', 'MOD', '>', rev - 1)], true],
        [[compare('txn/k', 'MOD', '!=', rev)], false],
        [[compare('txn/missing', 'VERSION', '=', 0)], true],
        [[compare('txn/k', 'VALUE', '=', 'v1'), compare('txn/k', 'VERSION', '=', 2)], false],
      ];
      for (const [cmp, expected] of cases) {
        const res = await kv.txn({
          compare: cmp,
          success: [op.get('txn/k')],
          failure: [op.get('txn/missing')],
        });
        expect(res.succeeded, JSON.stringify(cmp)).toBe(expected);
        expect(res.responses[0]?.responseRange?.count).toBe(expected ? 1 : 0);
      }
      const write = await kv.txn({
        compare: [compare('txn/k', 'VALUE', '=', 'v1')],
        success: [
          op.put('txn/k', 'v2', { prevKv: true }),
          op.put('txn/other', 'x'),
          op.get('txn/k'),
        ],
        failure: [],
      });
      expect(write.succeeded).toBe(true);
      expect(write.header.revision).toBe(rev + 1);
      expect(textOf(write.responses[0]?.responsePut?.prevKv)).toBe('v1');
      expect(textOf(write.responses[2]?.responseRange?.kvs[0])).toBe('v2');
      const failed = await kv.txn({
        compare: [compare('txn/k', 'VALUE', '=', 'v1')],
        success: [op.put('txn/k', 'never')],
        failure: [op.delete('txn/other', { prevKv: true })],
      });
      expect(failed.succeeded).toBe(false);
      expect(failed.responses[0]?.responseDeleteRange?.deleted).toBe(1);
      expect(textOf(await kv.get('txn/k'))).toBe('v2');
    });

    it('a lease carries keys: timeToLive lists them, keepAlive renews, revoke deletes them', async () => {
      const lease = await kv.leaseGrant(30);
      expect(lease.ttlSeconds).toBe(30);
      await kv.put('lease/a', '1', { lease: lease.id });
      await kv.put('lease/b', '2', { lease: lease.id });
      expect((await kv.get('lease/a'))?.lease).toBe(lease.id);
      expect(await kv.leases()).toContain(lease.id);
      const ttl = await kv.leaseTimeToLive(lease.id, { keys: true });
      expect(ttl?.grantedTtlSeconds).toBe(30);
      expect(ttl?.ttlSeconds).toBeGreaterThan(0);
      expect(ttl?.ttlSeconds).toBeLessThanOrEqual(30);
      expect(ttl?.keys.map(text).sort()).toEqual(['lease/a', 'lease/b']);
      const renewed = await kv.leaseKeepAlive(lease.id);
      expect(renewed).toEqual({ id: lease.id, ttlSeconds: 30 });
      await kv.leaseRevoke(lease.id);
      expect((await kv.range({ prefix: 'lease/' })).count).toBe(0);
      expect(await kv.leaseTimeToLive(lease.id)).toBeUndefined();
      expect(await kv.leases()).not.toContain(lease.id);
      await expect(kv.leaseRevoke(lease.id)).rejects.toBeInstanceOf(LeaseNotFoundError);
      await expect(kv.leaseKeepAlive(lease.id)).rejects.toBeInstanceOf(LeaseNotFoundError);
      await expect(kv.put('lease/c', '3', { lease: lease.id })).rejects.toBeInstanceOf(
        LeaseNotFoundError,
      );
    });

    it('a watch from a past revision replays history in order with no gaps, then follows live writes', async () => {
      const first = await kv.put('w/a', '1');
      await kv.put('w/b', '2');
      await kv.delete('w/a');
      await kv.txn({ success: [op.put('w/c', '3'), op.put('w/d', '4')] });
      const watch = other.watch({ prefix: 'w/' }, { startRevision: first.header.revision });
      await watch.ready();
      await kv.put('w/e', '5');
      const batches = await collect(watch, 6);
      const events = batches.flatMap((b) => b.events);
      expect(events.map((e) => `${e.type} ${text(e.kv.key)}`)).toEqual([
        'PUT w/a',
        'PUT w/b',
        'DELETE w/a',
        'PUT w/c',
        'PUT w/d',
        'PUT w/e',
      ]);
      const revs = events.map((e) => e.kv.modRevision);
      expect(revs).toEqual([0, 1, 2, 3, 3, 4].map((d) => first.header.revision + d));
      // The two puts of one txn share a revision and arrive in one batch.
      expect(
        batches.some(
          (b) =>
            b.events.filter((e) => e.kv.modRevision === first.header.revision + 3).length === 2,
        ),
      ).toBe(true);
      expect(watch.nextRevision).toBe(first.header.revision + 5);
      watch.cancel();
      expect(await watch.next()).toBeUndefined();
    });

    it('a watch with prevKv carries the previous value, and filters drop puts or deletes', async () => {
      const start = (await kv.put('wf/k', 'old')).header.revision + 1;
      await kv.put('wf/k', 'new');
      await kv.delete('wf/k');
      const withPrev = kv.watch('wf/k', { startRevision: start, prevKv: true });
      const [put, del] = (await collect(withPrev, 2)).flatMap((b) => b.events);
      expect(text(put!.prevKv!.value)).toBe('old');
      expect(del!.type).toBe('DELETE');
      expect(text(del!.prevKv!.value)).toBe('new');
      withPrev.cancel();
      const noPut = kv.watch('wf/k', { startRevision: start, filters: ['NOPUT'] });
      const onlyDeletes = (await collect(noPut, 1)).flatMap((b) => b.events);
      expect(onlyDeletes.map((e) => e.type)).toEqual(['DELETE']);
      noPut.cancel();
      const noDelete = kv.watch('wf/k', { startRevision: start, filters: ['NODELETE'] });
      const onlyPuts = (await collect(noDelete, 1)).flatMap((b) => b.events);
      expect(onlyPuts.map((e) => `${e.type} ${text(e.kv.value)}`)).toEqual(['PUT new']);
      noDelete.cancel();
    });

    it('a cancelled watch ends its iteration and receives nothing more', async () => {
      const watch = kv.watch({ prefix: 'wc/' });
      await watch.ready();
      await kv.put('wc/a', '1');
      const [batch] = await collect(watch, 1);
      expect(batch?.events.map((e) => text(e.kv.key))).toEqual(['wc/a']);
      watch.cancel();
      await kv.put('wc/b', '2');
      const seen: string[] = [];
      for await (const b of watch) seen.push(...b.events.map((e) => text(e.kv.key)));
      expect(seen).toEqual([]);
      expect(watch.closed).toBe(true);
    });

    it('a lock admits one holder at a time across clients, with growing fencing revisions', async () => {
      const a = new Lock(kv, 'locks/one', { ttlSeconds: 10 });
      const b = new Lock(other, 'locks/one', { ttlSeconds: 10 });
      const holdA = await a.acquire();
      let bHeld = false;
      const bAcquired = b.acquire().then((h) => {
        bHeld = true;
        return h;
      });
      // b must be queued behind a: its key exists but it does not hold the lock.
      await until(
        async () => (await kv.range({ prefix: 'locks/one/', countOnly: true })).count === 2,
        'b to queue',
      );
      expect(bHeld).toBe(false);
      await a.release();
      const holdB = await bAcquired;
      expect(holdB.revision).toBeGreaterThan(holdA.revision);
      expect((await kv.range({ prefix: 'locks/one/' })).kvs.map((x) => text(x.key))).toEqual([
        holdB.key,
      ]);
      await b.release();
      expect((await kv.range({ prefix: 'locks/one/', countOnly: true })).count).toBe(0);
    });

    it('an aborted lock wait gives up with AbortedError and removes its key, leaving the holder alone', async () => {
      const a = new Lock(kv, 'locks/abort', { ttlSeconds: 10 });
      const b = new Lock(other, 'locks/abort', { ttlSeconds: 10 });
      const holdA = await a.acquire();
      const abort = new AbortController();
      const waiting = b.acquire({ signal: abort.signal });
      await until(
        async () => (await kv.range({ prefix: 'locks/abort/', countOnly: true })).count === 2,
        'b to queue',
      );
      abort.abort();
      await expect(waiting).rejects.toBeInstanceOf(AbortedError);
      expect((await kv.range({ prefix: 'locks/abort/' })).kvs.map((x) => text(x.key))).toEqual([
        holdA.key,
      ]);
      await a.release();
    });

    it('keepAliveEvery renews a lease on its interval and reports it lost once revoked', async () => {
      const lease = await kv.leaseGrant(5);
      const alive = keepAliveEvery(kv, lease.id, { ttlSeconds: 5, intervalMs: 50 });
      try {
        await other.leaseRevoke(lease.id);
        const reason = await alive.lost;
        expect(reason).toBeInstanceOf(LeaseNotFoundError);
      } finally {
        alive.stop();
      }
    });

    it('an election hands leadership to the next candidate on resign, and observe follows it', async () => {
      const e1 = new Election(kv, 'elect/svc', { ttlSeconds: 10 });
      const e2 = new Election(other, 'elect/svc', { ttlSeconds: 10 });
      const l1 = await e1.campaign('node-1');
      expect(textOf(await e2.leader())).toBe('node-1');
      let e2Won = false;
      const second = e2.campaign('node-2').then((l) => {
        e2Won = true;
        return l;
      });
      const observer = new Election(kv, 'elect/svc');
      const abort = new AbortController();
      const seen: string[] = [];
      const observing = (async () => {
        for await (const leader of observer.observe({ signal: abort.signal })) {
          seen.push(text(leader.value));
          if (seen.length === 3) abort.abort();
        }
      })();
      await until(() => seen.length >= 1, 'the observer to see the first leader');
      await e1.proclaim('node-1b');
      await until(() => seen.length >= 2, 'the observer to see the proclamation');
      expect(e2Won).toBe(false);
      await e1.resign();
      const l2 = await second;
      expect(l2.revision).toBeGreaterThan(l1.revision);
      expect(textOf(await e1.leader())).toBe('node-2');
      await observing;
      expect(seen).toEqual(['node-1', 'node-1b', 'node-2']);
      await expect(e1.proclaim('stale')).rejects.toThrow(/not the elected leader/);
      await e2.resign();
      expect(await e1.leader()).toBeUndefined();
    });

    it('after compaction, reads and watches below the compacted revision fail with CompactedError', async () => {
      const old = await kv.put('cmp/k', 'v1');
      await kv.put('cmp/k', 'v2');
      const now = (await kv.put('cmp/k', 'v3')).header.revision;
      await kv.compact(now);
      await expect(kv.get('cmp/k', { revision: old.header.revision })).rejects.toBeInstanceOf(
        CompactedError,
      );
      expect(textOf(await kv.get('cmp/k', { revision: now }))).toBe('v3');
      const watch = kv.watch('cmp/k', { startRevision: old.header.revision });
      await expect(watch.next()).rejects.toBeInstanceOf(CompactedError);
      expect(watch.closed).toBe(true);
    });

    it('status reports the backend and a current revision', async () => {
      const rev = (await kv.put('status/k', 'v')).header.revision;
      // A status is the answering member's own applied state (etcd's too), and a client may ask
      // another member than the one that took the put: that one catches up within a moment.
      let status = await kv.status();
      for (let i = 0; i < 100 && status.revision < rev; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = await kv.status();
      }
      expect(['embedded', 'remote', 'etcd']).toContain(status.backend);
      expect(status.revision).toBeGreaterThanOrEqual(rev);
      expect(status.leaderId).not.toBe('');
    });
  });
}
