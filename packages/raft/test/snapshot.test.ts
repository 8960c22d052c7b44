import { describe, expect, it } from 'vitest';
import { RaftInvariantError, type Message } from '@flotilla/raft';
import { Cluster } from './harness.js';
import { cycle, elect, newNode, ofType, sent } from './util.js';

function laggingCluster() {
  const c = new Cluster([1, 2, 3]);
  c.campaign(1);
  c.isolate(3);
  for (let i = 0; i < 10; i++) c.propose(`v${i}`);
  return c;
}

describe('snapshots and compaction (§7)', () => {
  it('compact() drops the log prefix up to a point the driver has a snapshot of', () => {
    const c = laggingCluster();
    const leader = c.node(1);
    const meta = leader.compact();
    expect(meta?.index).toBe(11);
    expect(meta.confState.voters).toEqual([1, 2, 3]);
    expect(leader.raw.status().firstIndex).toBe(12);
    expect(() => leader.raw.compact(leader.raw.status().applied + 1)).toThrow(RaftInvariantError);
  });

  it('a follower whose next index is compacted gets a snapshot message, with data filled by the driver', () => {
    const c = laggingCluster();
    c.node(1).compact();
    c.propose('after');
    c.heal();
    c.tick(3);
    const snaps = c.delivered.filter(
      (m): m is Extract<Message, { type: 'snapshot' }> => m.type === 'snapshot',
    );
    expect(snaps.map((m) => [m.to, m.snapshot.meta.index])).toEqual([[3, 11]]);
    expect(snaps[0]!.snapshot.data.length).toBeGreaterThan(0);
    const want = [...Array.from({ length: 10 }, (_, i) => `v${i}`), 'after'];
    for (const n of c.nodes.values()) expect(n.applied).toEqual(want);
    // The follower's storage was reset to the snapshot, then the rest of the log.
    expect(c.node(3).storage.snapshot?.meta.index).toBe(11);
    expect(c.node(3).raw.status().firstIndex).toBe(12);
    expect(c.leader().raw.status().progress?.get(3)?.state).toBe('replicate');
  });

  it('the core emits snapshot messages with empty data and waits in snapshot state until reportSnapshot', () => {
    const raw = newNode(1, { voters: [1, 2], logTerms: [1, 1, 1], term: 1, commit: 3 });
    elect(raw, [2]);
    while (raw.hasReady()) cycle(raw);
    raw.compact(3);
    const { term } = raw.status().hardState;
    // Node 2 answers (so it is active) and rejects the probe at 3: it lost its log.
    raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context: '' });
    raw.step({
      type: 'appendResp',
      from: 2,
      to: 1,
      term,
      reject: true,
      index: 3,
      rejectHint: 0,
      hintTerm: 0,
    });
    const snap = ofType(sent(raw), 'snapshot');
    expect(snap).toHaveLength(1);
    expect(snap[0]!.snapshot.meta).toMatchObject({ index: 3, term: 1 });
    expect(snap[0]!.snapshot.data.length).toBe(0);
    expect(raw.status().progress?.get(2)?.state).toBe('snapshot');
    // Paused: nothing more goes to node 2 until the snapshot is reported.
    raw.propose(new Uint8Array([1]));
    expect(ofType(sent(raw), 'append').filter((m) => m.to === 2)).toEqual([]);
    raw.reportSnapshot(2, false);
    expect(raw.status().progress?.get(2)?.state).toBe('probe');
  });

  it('a stale snapshot (not newer than the commit index) is ignored', () => {
    const f = newNode(2, { logTerms: [1, 1, 1, 1], term: 1, commit: 4 });
    f.step({
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 1,
      snapshot: {
        meta: {
          index: 3,
          term: 1,
          confState: { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] },
        },
        data: new Uint8Array([9]),
      },
    });
    const rd = cycle(f);
    expect(rd.snapshot).toBeUndefined();
    expect(ofType(rd.messages, 'appendResp')[0]).toMatchObject({ reject: false, index: 4 });
    expect(f.status().lastIndex).toBe(4);
  });

  it('a newer snapshot is returned in ready.snapshot, resets the log and restores its confState', () => {
    const f = newNode(2, { logTerms: [1, 1], term: 1, commit: 1 });
    const conf = { voters: [1, 2, 4], votersOutgoing: [], learners: [5], learnersNext: [] };
    f.step({
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 2,
      snapshot: { meta: { index: 10, term: 2, confState: conf }, data: new Uint8Array([7]) },
    });
    const rd = f.ready();
    expect(rd.snapshot?.meta.index).toBe(10);
    expect(rd.snapshot?.data).toEqual(new Uint8Array([7]));
    expect(rd.mustSync).toBe(true);
    expect(rd.committedEntries).toEqual([]);
    // The ack is sent only after the snapshot is persisted.
    expect(rd.earlyMessages).toEqual([]);
    expect(ofType(rd.messages, 'appendResp')[0]).toMatchObject({ index: 10, reject: false });
    f.advance(rd);
    expect(f.status()).toMatchObject({
      applied: 10,
      firstIndex: 11,
      lastIndex: 10,
      confState: conf,
    });
  });

  it('compact() below a received, not yet applied snapshot returns nothing to store', () => {
    const f = newNode(2, { logTerms: [1, 1, 1], term: 1, commit: 3 });
    const rd0 = cycle(f);
    expect(rd0.committedEntries.map((e) => e.index)).toEqual([1, 2, 3]);
    const conf = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };
    f.step({
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 1,
      snapshot: { meta: { index: 10, term: 1, confState: conf }, data: new Uint8Array([1]) },
    });
    // The snapshot is in flight (ready taken, not advanced): applied is still 3,
    // so state at 3 must not be labelled with the snapshot's index 10.
    const rd = f.ready();
    expect(rd.snapshot?.meta.index).toBe(10);
    expect(f.compact(3)).toBeUndefined();
    f.advance(rd);
    expect(f.compact(10)?.index).toBe(10);
  });

  it('a node restarts from its stored snapshot and log, replaying only what was not applied', () => {
    const c = laggingCluster();
    c.heal();
    c.tick(2);
    const n = c.node(2);
    n.compact();
    c.propose('x');
    c.propose('y');
    const before = [...n.applied];
    n.restart();
    c.tick(2);
    expect(n.applied).toEqual(before);
    expect(n.raw.status().hardState.commit).toBe(c.leader().raw.status().hardState.commit);
  });
});
