// Written for mutants that survived `pnpm mutation driver` (docs/testing.md,
// "Mutation testing"): the order of a Raft batch in the driver (persist before
// the acknowledgements leave; the leader's appends before or after its own
// write as parallelLeaderWrite says), what each write asks of the storage
// (sync, hard state), and what the node reports of its work (status(), the
// 'applied' event, the latency and fsync metrics). All on virtual time, with
// small clusters and few ticks: these tests run once per mutant.
import { MemoryLevel } from 'memory-level';
import type { Entry, Message, NodeId } from '@flotilla/raft';
import { MemoryStorage, type PersistBatch } from '@flotilla/storage';
import type { VirtualClock, WireMessage } from '@flotilla/transport';
import { describe, expect, it } from 'vitest';
import { bytes } from '@flotilla/kv';
import {
  TooManyRequestsError,
  UnknownOutcomeError,
  type FlotillaNode,
  type NodeOptions,
} from '../src/index.js';
import { FAST, MemCluster } from './mem-cluster.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });

/** One write as the storage saw it, and when it finished (undefined while in progress). */
interface Write {
  readonly node: NodeId;
  readonly batch: PersistBatch;
  readonly sync: boolean | undefined;
  readonly startMs: number;
  endMs: number | undefined;
}

/** MemoryStorage that records every persist call (with the options it was given) in a shared list. */
class RecordingStorage extends MemoryStorage {
  /** Highest entry index whose write has finished. */
  persistedIndex = 0;
  /** Virtual ms each write takes (0 while the node starts: createNode writes before time runs). */
  writeMs = 0;
  /** The next write fails with this error (after taking writeMs), as a failing disk's would. */
  failNext: Error | undefined;

  constructor(
    private readonly node: NodeId,
    private readonly clock: VirtualClock,
    private readonly writes: Write[],
  ) {
    super();
  }

  override async persist(batch: PersistBatch, options?: { sync?: boolean }): Promise<void> {
    const w: Write = {
      node: this.node,
      batch,
      sync: options?.sync,
      startMs: this.clock.now(),
      endMs: undefined,
    };
    this.writes.push(w);
    const ms = this.writeMs;
    if (ms > 0) await new Promise<void>((resolve) => this.clock.setTimer(ms, resolve));
    const fail = this.failNext;
    this.failNext = undefined;
    if (fail !== undefined) throw fail;
    await super.persist(batch, options);
    w.endMs = this.clock.now();
    const last = batch.entries?.at(-1)?.index;
    if (last !== undefined) this.persistedIndex = last;
  }
}

interface Recorded {
  readonly c: MemCluster;
  readonly writes: Write[];
  readonly storage: (id: NodeId) => RecordingStorage;
  /** Closes every member, running virtual time: a graceful close waits for the write in progress. */
  readonly shutdown: () => Promise<void>;
}

/** A 3-member MemCluster whose members write through RecordingStorage. */
async function recordedCluster(seed: number, options: NodeOptions, writeMs = 0): Promise<Recorded> {
  const ids = [1, 2, 3];
  const c = new MemCluster(seed, ids, options);
  const writes: Write[] = [];
  const storages = new Map<NodeId, RecordingStorage>();
  for (const id of ids) {
    const storage = new RecordingStorage(id, c.clock, writes);
    storages.set(id, storage);
    c.members.set(id, {
      node: undefined,
      transport: undefined,
      storage,
      state: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }),
    });
    await c.startNode(id);
  }
  for (const s of storages.values()) s.writeMs = writeMs;
  const shutdown = () => c.settle(c.shutdown());
  return { c, writes, storage: (id) => storages.get(id)!, shutdown };
}

/** A leader with a write committed and every follower replicating (no probes, no catch-up), and one follower. */
async function steady(c: MemCluster): Promise<{ leader: FlotillaNode; f: FlotillaNode }> {
  const leader = await c.waitLeader();
  await c.settle(leader.put(put('warm', 'v')));
  await c.run(50);
  return { leader, f: c.running().find((n) => n !== leader)! };
}

const isRaft = (m: WireMessage): m is Message => m.type !== 'node';
const entriesOf = (m: Message): readonly Entry[] => (m.type === 'append' ? m.entries : []);

/** (node → peer, entry index) for every entry an append carries, in send order. */
function tapAppends(
  c: MemCluster,
  id: NodeId,
  seen: string[],
  atSend?: (m: Message) => void,
): void {
  c.tap(id, (to, m) => {
    if (!isRaft(m)) return;
    atSend?.(m);
    for (const e of entriesOf(m)) seen.push(`${id}→${to} #${e.index}`);
  });
}

describe('a Raft batch: persist, then send', () => {
  it("a follower acknowledges entries only after its write of them finished (the acknowledgement is the leader's quorum)", async () => {
    const { c, storage, shutdown } = await recordedCluster(101, FAST, 2);
    try {
      const leader = await c.waitLeader();
      const acks: { index: number; persisted: number }[] = [];
      for (const f of c.running().filter((n) => n !== leader)) {
        const s = storage(f.id);
        c.tap(f.id, (_to, m) => {
          if (isRaft(m) && m.type === 'appendResp' && !m.reject)
            acks.push({ index: m.index, persisted: s.persistedIndex });
        });
      }
      for (let i = 0; i < 3; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      const first = leader.status().commitIndex - 2;
      expect(acks.filter((a) => a.index >= first).length).toBeGreaterThanOrEqual(6);
      for (const a of acks) expect(a.persisted).toBeGreaterThanOrEqual(a.index);
    } finally {
      await shutdown();
    }
  });

  it('with parallelLeaderWrite (the default) the leader sends each new entry to each follower once, before its own write finished', async () => {
    const { c, storage, shutdown } = await recordedCluster(102, FAST, 2);
    try {
      const { leader } = await steady(c);
      const seen: string[] = [];
      const early: number[] = [];
      const s = storage(leader.id);
      tapAppends(c, leader.id, seen, (m) => {
        for (const e of entriesOf(m)) if (s.persistedIndex < e.index) early.push(e.index);
      });
      const from = leader.status().lastIndex + 1;
      for (let i = 0; i < 4; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      const to = leader.status().lastIndex;
      const expected = c
        .running()
        .filter((n) => n !== leader)
        .flatMap((f) =>
          Array.from({ length: to - from + 1 }, (_, k) => `${leader.id}→${f.id} #${from + k}`),
        );
      expect(seen.sort()).toEqual(expected.sort());
      expect(early.length).toBeGreaterThan(0);
    } finally {
      await shutdown();
    }
  });

  it('without parallelLeaderWrite the leader sends an entry only after its own write of it finished, once per follower', async () => {
    const { c, storage, shutdown } = await recordedCluster(
      103,
      { ...FAST, parallelLeaderWrite: false },
      2,
    );
    try {
      const { leader } = await steady(c);
      const seen: string[] = [];
      const early: number[] = [];
      const s = storage(leader.id);
      tapAppends(c, leader.id, seen, (m) => {
        for (const e of entriesOf(m)) if (s.persistedIndex < e.index) early.push(e.index);
      });
      const from = leader.status().lastIndex + 1;
      for (let i = 0; i < 4; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      expect(early).toEqual([]);
      expect(seen.length).toBe(2 * (leader.status().lastIndex - from + 1));
      expect(new Set(seen).size).toBe(seen.length);
    } finally {
      await shutdown();
    }
  });
});

describe('what each write asks of the storage, and the metrics about it', () => {
  it('entries and a new term or vote are written synced, a commit-only hard state unsynced; fsync metrics count the synced entry writes', async () => {
    const { c, writes, shutdown } = await recordedCluster(104, FAST, 3);
    try {
      const leader = await c.waitLeader();
      for (let i = 0; i < 3; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.run(30); // the followers learn the last commit
      const done = writes.filter((w) => w.endMs !== undefined);
      // Every entry write is synced: an acknowledgement must survive a crash.
      for (const w of done.filter((w) => (w.batch.entries?.length ?? 0) > 0))
        expect(w.sync).toBe(true);
      // A write that only moves the commit index need not be (the commit index can be learnt again).
      expect(done.some((w) => w.batch.entries === undefined && w.sync === false)).toBe(true);
      // Nothing is written for a batch with nothing to persist.
      for (const w of writes)
        expect(
          w.batch.entries !== undefined ||
            w.batch.hardState !== undefined ||
            w.batch.snapshotMeta !== undefined,
        ).toBe(true);
      for (const n of c.running()) {
        const synced = done.filter(
          (w) => w.node === n.id && w.sync === true && (w.batch.entries?.length ?? 0) > 0,
        );
        const m = n.status().metrics;
        expect(m.fsyncMs.count).toBe(synced.length);
        expect(m.entriesPerFsync.count).toBe(synced.length);
        const entries = synced.reduce((a, w) => a + w.batch.entries!.length, 0);
        expect(m.entriesPerFsync.mean * m.entriesPerFsync.count).toBeCloseTo(entries, 6);
        // Each write takes 3 virtual ms here.
        expect(m.fsyncMs.min).toBe(3);
        expect(m.fsyncMs.max).toBe(3);
      }
    } finally {
      await shutdown();
    }
  });

  it('the leader persists each new term and vote in its hard state before it leads', async () => {
    const { c, writes, shutdown } = await recordedCluster(105, FAST, 1);
    try {
      const leader = await c.waitLeader();
      const term = leader.status().term;
      const own = writes.filter((w) => w.node === leader.id && w.batch.hardState !== undefined);
      const voted = own.find(
        (w) => w.batch.hardState!.term === term && w.batch.hardState!.vote === leader.id,
      );
      expect(voted?.sync).toBe(true);
      // The write that raised the term finished before anything of the new term was sent.
      expect(voted!.endMs).toBeDefined();
      const last = own.at(-1)!.batch.hardState!;
      expect(last.term).toBe(term);
      expect(last.commit).toBeGreaterThanOrEqual(1);
    } finally {
      await shutdown();
    }
  });

  it('commit latency and backend commit time are what virtual time says; one latency per write accepted here', async () => {
    const { c, shutdown } = await recordedCluster(106, FAST, 2);
    try {
      const leader = await c.waitLeader();
      await c.run(500); // far from time 0: a sum of times would show
      const before = leader.status().metrics.commitLatencyMs.count;
      for (let i = 0; i < 3; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      const m = leader.status().metrics;
      expect(m.commitLatencyMs.count - before).toBe(3);
      // accepted → applied: the leader's write and one round trip, a few virtual ms.
      expect(m.commitLatencyMs.max).toBeGreaterThan(0);
      expect(m.commitLatencyMs.max).toBeLessThan(50);
      for (const n of c.running()) {
        const b = n.status().metrics.backendCommitMs;
        expect(b.count).toBeGreaterThan(0);
        expect(b.max).toBeLessThan(50);
      }
    } finally {
      await shutdown();
    }
  });
});

describe("the 'applied' event and status()", () => {
  it('each batch applied is announced once, with a rising index that status() then reports', async () => {
    const { c, shutdown } = await recordedCluster(107, FAST, 1);
    try {
      const seen = new Map<NodeId, number[]>();
      for (const n of c.running()) {
        const list: number[] = [];
        seen.set(n.id, list);
        n.on('applied', (e) => list.push(e.index));
      }
      const leader = await c.waitLeader();
      for (let i = 0; i < 3; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.run(100); // heartbeats: batches with nothing to apply
      for (const n of c.running()) {
        const list = seen.get(n.id)!;
        expect(list.length).toBeGreaterThan(0);
        for (let i = 1; i < list.length; i++) expect(list[i]!).toBeGreaterThan(list[i - 1]!);
        expect(list.at(-1)).toBe(n.status().appliedIndex);
        expect(n.status().appliedIndex).toBe(leader.status().commitIndex);
      }
    } finally {
      await shutdown();
    }
  });
});

/** Whether `p` settles within the current virtual ms (the event loop drained, the clock not moved). */
async function settlesAtOnce(c: MemCluster, p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await c.run(0);
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

/** A lease read of key `a` issued now; its promise never rejects unobserved. */
function leaseRead(n: FlotillaNode): Promise<unknown> {
  const p = n.range({ key: bytes('a') }, { consistency: 'lease' });
  p.catch(() => undefined);
  return p;
}

const LEASE_MS = FAST.electionTicks! * FAST.tickMs! * 0.8;

describe('lease reads', () => {
  it('hold from the first commit of the term on: no write is needed after the election', async () => {
    const c = await MemCluster.start(111, [1, 2, 3], { ...FAST, leaseFraction: 0.8 });
    try {
      const leader = await c.waitLeader(); // its term's first entry is committed
      await c.settle(leader.range({ key: bytes('a') })); // a confirmed round
      c.network.faults.isolate(leader.id);
      expect(await settlesAtOnce(c, leaseRead(leader))).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('end exactly electionTicks × tickMs × leaseFraction after the confirming round was issued, and survive commits meanwhile', async () => {
    const c = await MemCluster.start(112, [1, 2, 3], { ...FAST, leaseFraction: 0.8 });
    try {
      const leader = await c.waitLeader();
      await c.run(20);
      const issuedAtMs = c.clock.now();
      await c.settle(leader.range({ key: bytes('a') })); // the round is issued in this ms
      // Commits (new hard states) in the same term do not end the lease.
      await c.settle(leader.put(put('a', '1')));
      await c.settle(leader.put(put('a', '2')));
      c.network.faults.isolate(leader.id);
      await c.run(issuedAtMs + LEASE_MS - 1 - c.clock.now());
      expect(await settlesAtOnce(c, leaseRead(leader))).toBe(true);
      await c.run(1);
      expect(await settlesAtOnce(c, leaseRead(leader))).toBe(false);
    } finally {
      await c.shutdown();
    }
  });

  it('count against pendingReadsMax like any read: a full node refuses one, although the lease holds', async () => {
    const c = await MemCluster.start(113, [1, 2, 3], { ...FAST, pendingReadsMax: 1 });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.range({ key: bytes('a') }));
      c.network.faults.isolate(leader.id);
      // A linearizable read that the isolated leader cannot confirm occupies the only slot.
      const stuck = leader.range({ key: bytes('a') });
      stuck.catch(() => undefined);
      await c.run(1);
      const err = await leaseRead(leader).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TooManyRequestsError);
      expect((err as TooManyRequestsError).limit).toBe('pendingReadsMax');
    } finally {
      await c.shutdown();
    }
  });
});

describe('lease renewal', () => {
  it('a round confirmed after its reads timed out leaves the lease as it was: a later round renews it', async () => {
    const c = await MemCluster.start(131, [1, 2, 3], { ...FAST, readTimeoutMs: 30 });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('a', '1')));
      const others = c.running().filter((n) => n !== leader);
      const delay = (ms: number) => {
        for (const n of others)
          c.network.faults.setLinkDelay(n.id, leader.id, { minMs: ms, maxMs: ms });
      };
      delay(60); // the confirmation comes after readTimeoutMs
      const late = await c.settle(leader.range({ key: bytes('a') })).catch((e: unknown) => e);
      expect((late as Error).name).toBe('RequestTimeoutError');
      delay(0);
      await c.run(40); // the late confirmation arrives: a round this node no longer knows
      expect(leader.status().role).toBe('leader');
      await c.settle(leader.range({ key: bytes('a') }));
      c.network.faults.isolate(leader.id);
      expect(await settlesAtOnce(c, leaseRead(leader))).toBe(true);
    } finally {
      await c.shutdown();
    }
  });

  it('a leader elected alone (term and leadership in one batch) holds no lease past its last round once it has peers', async () => {
    const c = await MemCluster.start(132, [1], { ...FAST, leaseFraction: 0.8 });
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('a', '1')));
      for (const id of [2, 3]) {
        await c.startNode(id);
        await c.settle(leader.addLearner(id));
        await c.until(
          () => c.node(id).status().appliedIndex >= leader.status().commitIndex,
          'the learner catches up',
        );
        await c.settle(leader.promote(id));
      }
      await c.settle(leader.range({ key: bytes('a') }));
      await c.run(LEASE_MS + 5);
      expect(leader.status().role).toBe('leader');
      c.network.faults.isolate(leader.id);
      expect(await settlesAtOnce(c, leaseRead(leader))).toBe(false);
    } finally {
      await c.shutdown();
    }
  });
});

describe("the 'leaderChanged' event", () => {
  it('names the term in which the node leads', async () => {
    const c = await MemCluster.start(114, [1, 2, 3]);
    try {
      const events: { id: NodeId; term: number; role: string }[] = [];
      for (const n of c.running())
        n.on('leaderChanged', (e) => events.push({ id: n.id, term: e.term, role: e.role }));
      const leader = await c.waitLeader();
      const own = events.filter((e) => e.id === leader.id && e.role === 'leader');
      expect(own.map((e) => e.term)).toEqual([leader.status().term]);
    } finally {
      await c.shutdown();
    }
  });
});

/** The follower's successful append responses, with its persisted index when each left. */
function tapAcks(
  c: MemCluster,
  f: NodeId,
  s: RecordingStorage,
): { index: number; persisted: number }[] {
  const acks: { index: number; persisted: number }[] = [];
  c.tap(f, (_to, m) => {
    if (isRaft(m) && m.type === 'appendResp' && !m.reject)
      acks.push({ index: m.index, persisted: s.persistedIndex });
  });
  return acks;
}

describe('a write that does not complete', () => {
  it('a leader that crashes while writing a batch that also commits an entry does not answer its proposer', async () => {
    const { c, writes, storage } = await recordedCluster(121, FAST);
    try {
      const { leader } = await steady(c);
      storage(leader.id).writeMs = 5; // the followers write at once and acknowledge within the leader's write
      const a = leader.put(put('a', '1'));
      a.catch(() => undefined);
      await c.run(1);
      const aIndex = leader.status().lastIndex;
      leader.put(put('b', '1')).catch(() => undefined); // goes into the next batch, with a's commit
      await c.until(
        () =>
          writes.some(
            (w) =>
              w.node === leader.id &&
              w.endMs === undefined &&
              (w.batch.entries?.length ?? 0) > 0 &&
              (w.batch.hardState?.commit ?? 0) >= aIndex,
          ),
        'the leader writes the batch that commits a',
        100,
      );
      await c.settle(c.crash(leader.id));
      // Crashed before that batch was done: a's result is unknown to its caller, never a success.
      expect(
        await a.then(
          () => 'answered',
          (e: unknown) => e,
        ),
      ).toBeInstanceOf(UnknownOutcomeError);
    } finally {
      await c.settle(c.shutdown());
    }
  });

  it('a failed write ends the loop: nothing of the batch is acknowledged, and close() reports the error', async () => {
    const { c, writes, storage } = await recordedCluster(122, FAST);
    try {
      const { leader, f } = await steady(c);
      const s = storage(f.id);
      const acks = tapAcks(c, f.id, s);
      s.writeMs = 5;
      s.failNext = new Error('disk failed');
      const from = leader.status().lastIndex + 1;
      const written = leader.put(put('a', '1'));
      await c.until(
        () => writes.some((w) => w.node === f.id && w.endMs === undefined),
        'the follower writes',
        100,
      );
      const closing = f.close().then(
        () => 'closed',
        (e: unknown) => e,
      );
      c.members.get(f.id)!.node = undefined;
      expect(((await c.settle(closing)) as Error).message).toBe('disk failed');
      expect(acks.filter((a) => a.index >= from)).toEqual([]);
      await c.settle(written); // the other follower makes the quorum
    } finally {
      await c.settle(c.shutdown());
    }
  });

  it('a crash that takes the storage away during a write stops the node without an error', async () => {
    const { c, writes, storage } = await recordedCluster(123, FAST);
    try {
      const { leader, f } = await steady(c);
      storage(f.id).writeMs = 5;
      leader.put(put('a', '1')).catch(() => undefined);
      await c.until(
        () => writes.some((w) => w.node === f.id && w.endMs === undefined),
        'the follower writes',
        100,
      );
      const crashing = f.crash();
      storage(f.id).crash(); // the write in progress finds its storage gone
      c.members.get(f.id)!.node = undefined;
      await c.settle(crashing);
    } finally {
      await c.settle(c.shutdown());
    }
  });
});

describe('unsafeTestFaults.sendBeforePersist (the simulators self-test with it)', () => {
  it('re-introduces the bug: acknowledgements leave before the write, each once', async () => {
    const { c, storage, shutdown } = await recordedCluster(
      124,
      { ...FAST, unsafeTestFaults: { sendBeforePersist: true } },
      2,
    );
    try {
      const { leader, f } = await steady(c);
      const acks = tapAcks(c, f.id, storage(f.id));
      let appends = 0;
      c.tap(leader.id, (to, m) => {
        if (to === f.id && m.type === 'append') appends++;
      });
      for (let i = 0; i < 3; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.run(20);
      // One answer per append (an append that only carries the commit index is answered too).
      expect(acks.length).toBe(appends);
      expect(acks.filter((a) => a.persisted < a.index).length).toBe(3);
    } finally {
      await shutdown();
    }
  });
});

describe('unsafeTestFaults.ignoreFailedLogWrites (the whole-cluster simulator self-tests with it)', () => {
  it('re-introduces the bug: a follower whose log writes fail carries on and applies', async () => {
    const c = await MemCluster.start(126, [1, 2, 3], {
      ...FAST,
      unsafeTestFaults: { ignoreFailedLogWrites: true },
    });
    try {
      const leader = await c.waitLeader();
      const f = c.running().find((n) => n !== leader)!;
      let failed = 0;
      f.on('failed', () => failed++);
      c.members.get(f.id)!.storage.persist = () => Promise.reject(new Error('EIO'));
      for (let i = 0; i < 3; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.until(
        () => f.status().appliedIndex >= leader.status().commitIndex,
        'the broken follower applied entries it never wrote',
      );
      expect(failed).toBe(0);
    } finally {
      await c.shutdown();
    }
  });
});

describe('snapshots', () => {
  it('one is taken once the applied entries reach snapshotBytes', async () => {
    const c = await MemCluster.start(125, [1, 2, 3], {
      ...FAST,
      snapshotBytes: 400,
      snapshotEntries: 1_000,
    });
    try {
      const leader = await c.waitLeader();
      const created: number[] = [];
      leader.on('snapshot', (e) => {
        if (e.kind === 'created') created.push(e.meta.index);
      });
      await c.settle(leader.put(put('a', 'x'.repeat(150))));
      await c.settle(leader.put(put('b', 'x'.repeat(150))));
      await c.run(20);
      expect(created).toEqual([]);
      await c.settle(leader.put(put('c', 'x'.repeat(150))));
      await c.until(() => created.length > 0, 'a snapshot by bytes', 500);
      expect(created).toEqual([leader.status().appliedIndex]);
    } finally {
      await c.shutdown();
    }
  });

  it("a follower that installs one announces it with 'applied' at the snapshot's index", async () => {
    const c = await MemCluster.start(126, [1, 2, 3], {
      ...FAST,
      snapshotEntries: 5,
      snapshotCatchUpEntries: 0,
    });
    try {
      const leader = await c.waitLeader();
      const f = c.running().find((n) => n !== leader)!;
      const applied: number[] = [];
      const installed: number[] = [];
      f.on('applied', (e) => applied.push(e.index));
      f.on('snapshot', (e) => {
        if (e.kind === 'installed') installed.push(e.meta.index);
      });
      c.network.faults.isolate(f.id);
      for (let i = 0; i < 8; i++) await c.settle(leader.put(put(`k${i}`, 'v')));
      await c.until(() => leader.status().firstIndex > f.status().lastIndex + 1, 'compaction');
      c.network.faults.heal();
      await c.until(() => installed.length > 0, 'the follower installs a snapshot', 2_000);
      expect(applied).toContain(installed[0]);
    } finally {
      await c.shutdown();
    }
  });
});
