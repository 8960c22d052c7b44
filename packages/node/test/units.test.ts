import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytes, LeaseNotFoundError } from '@flotilla/kv';
import { MemorySnapshotStore } from '@flotilla/storage';
import { CommitTimes } from '../src/commit-times.js';
import { Histogram } from '../src/histogram.js';
import { LeaderLeases } from '../src/leases.js';
import { RtoTracker } from '../src/rto.js';
import { frameChunks, unframeChunks } from '../src/snapshot-framing.js';
import { SnapshotReceiver } from '../src/snapshot-receiver.js';
import type { NodeWire } from '../src/wire.js';
import { MemCluster } from './mem-cluster.js';

async function* from(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe('building blocks', () => {
  it("the leader's lease clocks never renew a lease that ran out, nor one whose expiry is in flight", () => {
    const leases = new LeaderLeases();
    leases.becomeLeader([], 0, 0);
    leases.granted(1, 1, 0);
    leases.granted(2, 1, 0);
    expect(leases.keepAlive(1, 500)).toBe(1); // alive: renewed until 1500
    // Lease 2 ran out at 1000; lease 1 is due at 1500.
    expect(leases.keepAlive(2, 1000)).toBeUndefined();
    expect(leases.dueForExpiry(1000)).toEqual([2]);
    // Its expiry is proposed: a keep-alive now must not bring it back.
    expect(leases.keepAlive(2, 1000)).toBeUndefined();
    expect(leases.keepAlive(1, 1200)).toBe(1);
    // The expiry proposal failed (leader change): lease 2 stays due, still not renewable, proposed again.
    leases.settled([2]);
    expect(leases.keepAlive(2, 1300)).toBeUndefined();
    expect(leases.dueForExpiry(1300)).toEqual([2]);
    leases.gone([2]);
    expect(leases.keepAlive(2, 1400)).toBeUndefined();
    expect(leases.remainingMs(1, 1400)).toBe(800);
  });

  it("the leader's lease clocks follow the applied leases, expire at most 1,000 per entry, and are idle off the leader", () => {
    const leases = new LeaderLeases();
    leases.becomeLeader([], 0, 0);
    for (let id = 1; id <= 1_500; id++) leases.granted(id, 1, 0);
    // Reconciled with an applied state holding leases 1…1,200: the others are forgotten, these stay renewable.
    const applied = Array.from({ length: 1_200 }, (_, i) => ({
      id: i + 1,
      ttl: 1,
      remainingMs: 1_000,
    }));
    leases.reconcile(applied, 0);
    expect(leases.keepAlive(1_300, 100)).toBeUndefined();
    expect(leases.keepAlive(1, 100)).toBe(1);
    // All but lease 1 run out at 1,000: one entry takes 1,000 of them, the next the other 199.
    const first = leases.dueForExpiry(1_000);
    expect(first).toHaveLength(1_000);
    const second = leases.dueForExpiry(1_000);
    expect(second).toHaveLength(199);
    expect(new Set([...first, ...second]).size).toBe(1_199);
    expect(leases.dueForExpiry(1_000)).toEqual([]);
    // Leases due later but with smaller ids than those being expired: still at most 1,000 per entry.
    const more = new LeaderLeases();
    more.becomeLeader([], 0, 0);
    for (let id = 1; id <= 2_500; id++) more.granted(id, id > 1_500 ? 1 : 2, 0);
    expect(more.dueForExpiry(1_000)).toHaveLength(1_000);
    expect(more.dueForExpiry(2_000)).toHaveLength(1_000);
    // Off the leader nothing is renewed, expired or reconciled.
    leases.stepDown();
    expect(leases.keepAlive(1, 1_000)).toBeUndefined();
    expect(leases.dueForExpiry(5_000)).toEqual([]);
    leases.reconcile([], 5_000);
    expect(leases.remainingMs(1, 1_000)).toBeUndefined();
  });

  it('histogram quantiles are within one bucket (±5%) and memory does not grow with samples', () => {
    const h = new Histogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 … 1000 ms, uniform
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.p50 / 500).toBeGreaterThan(0.95);
    expect(s.p50 / 500).toBeLessThan(1.05);
    expect(s.p99 / 990).toBeGreaterThan(0.95);
    expect(s.p99 / 990).toBeLessThan(1.05);
    expect(s.min).toBe(0.1);
    expect(s.max).toBe(1000);
    expect(new Histogram().summary().p99).toBe(0);
  });

  it('commit times answer the first commit point at or after an index, and forget what fell out of the ring', () => {
    const t = new CommitTimes(3);
    t.reset(10);
    t.record(12, 100);
    t.record(15, 200);
    expect(t.commitTimeOf(10)).toBeUndefined(); // committed before the reign
    expect(t.commitTimeOf(11)).toBe(100);
    expect(t.commitTimeOf(13)).toBe(200);
    expect(t.commitTimeOf(16)).toBeUndefined(); // not committed yet
    t.record(20, 300);
    t.record(25, 400); // evicts 12
    expect(t.commitTimeOf(11)).toBeUndefined();
    expect(t.commitTimeOf(12)).toBeUndefined();
    expect(t.commitTimeOf(13)).toBe(200);
    expect(t.commitTimeOf(25)).toBe(400);
  });

  it('RTO runs from the last contact with the lost leader until the new leader commits in its term', () => {
    const r = new RtoTracker(2, 0);
    r.leaderChanged(1, 1, 0);
    r.contact(1, 50);
    r.contact(3, 90); // not the leader: no contact
    r.leaderChanged(0, 1, 200);
    r.leaderChanged(3, 2, 300);
    r.committedInTerm(1, 2, 310); // an old-term entry does not end it
    expect(r.last).toBeUndefined();
    r.committedInTerm(2, 2, 350);
    expect(r.last).toMatchObject({ rtoMs: 300, from: 1, to: 3, term: 2 });
  });

  it('snapshot framing gives back the exact chunks however the stored stream is cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        async (chunks, cuts) => {
          const whole = Buffer.concat(await collect(frameChunks(from(chunks))));
          const pieces: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < whole.length; i++) {
            const n = cuts[i % cuts.length]!;
            pieces.push(new Uint8Array(whole.subarray(at, at + n)));
            at += n;
          }
          const back = await collect(unframeChunks(from(pieces), 1024));
          expect(back.map((c) => [...c])).toEqual(chunks.map((c) => [...c]));
        },
      ),
      { numRuns: 200 },
    );
    await expect(
      collect(unframeChunks(from([new Uint8Array([0, 0, 0, 5, 1])]), 1024)),
    ).rejects.toThrow(/ends inside a frame/);
    await expect(
      collect(unframeChunks(from([new Uint8Array([0, 1, 0, 0])]), 1024)),
    ).rejects.toThrow(/over 1024/);
  });

  it('a snapshot transfer whose digest does not match is refused and never handed to the core', async () => {
    const sent: NodeWire[] = [];
    const stored: number[] = [];
    const store = new MemorySnapshotStore();
    const rx = new SnapshotReceiver({
      snapshots: store,
      send: (_to, body) => sent.push(body),
      stored: (_f, _t, meta) => stored.push(meta.index),
      now: () => 0,
      bytesMax: 1 << 20,
      queueBytesMax: 1 << 16,
      timeoutMs: 1000,
    });
    const meta = {
      index: 9,
      term: 2,
      confState: { voters: [1], votersOutgoing: [], learners: [], learnersNext: [] },
    };
    rx.chunk(1, { k: 'snap', xfer: 1, seq: 0, term: 2, meta, data: new Uint8Array([1, 2]) });
    rx.chunk(1, {
      k: 'snap',
      xfer: 1,
      seq: 1,
      term: 2,
      meta,
      data: new Uint8Array([3]),
      digest: new Uint8Array(32),
    });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(stored).toEqual([]);
    expect(await store.openLatest()).toBeUndefined();
    const last = sent.at(-1) as Extract<NodeWire, { k: 'snapAck' }>;
    expect(last).toMatchObject({ k: 'snapAck', ok: false, done: true });
    expect(last.reason).toMatch(/SHA-256/);
    // Out of order: refused too.
    rx.chunk(1, { k: 'snap', xfer: 2, seq: 1, term: 2, meta, data: new Uint8Array([1]) });
    expect(sent.at(-1)).toMatchObject({ k: 'snapAck', xfer: 2, ok: false });
  });

  it('a KV error on a forwarded write reaches the follower as the same error class', async () => {
    const c = await MemCluster.start(81, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      const follower = c.running().find((n) => n !== leader)!;
      const err = await c
        .settle(follower.put({ key: bytes('a'), value: bytes('1'), lease: 12345 }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseNotFoundError);
    } finally {
      await c.shutdown();
    }
  });
});
