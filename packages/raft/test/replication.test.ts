import { describe, expect, it } from 'vitest';
import { entryBytes, RaftInvariantError, ProposalDroppedError, type Message } from '@flotilla/raft';
import { bytes, Cluster } from './harness.js';
import { appendResp, cycle, elect, entriesWithTerms, newNode, ofType, sent } from './util.js';

/** A leader (node 1 of 1,2,3) at term `term` whose followers 2 and 3 are in replicate state. */
function replicatingLeader(opts: Parameters<typeof newNode>[1] = {}) {
  const raw = newNode(1, opts);
  elect(raw, [2, 3]);
  const { term } = raw.status().hardState;
  const last = raw.status().lastIndex;
  raw.step(appendResp(2, 1, term, last));
  raw.step(appendResp(3, 1, term, last));
  while (raw.hasReady()) cycle(raw);
  return { raw, term };
}

describe('log replication', () => {
  it('batching: one append carries several entries but stays within maxMsgBytes', () => {
    const { raw } = replicatingLeader({ maxMsgBytes: 300 });
    for (let i = 0; i < 10; i++) raw.propose(new Uint8Array(100));
    const appends = ofType(sent(raw), 'append').filter((m) => m.to === 2);
    expect(appends.length).toBeGreaterThan(1);
    for (const a of appends) {
      expect(a.entries.reduce((n, e) => n + entryBytes(e), 0)).toBeLessThanOrEqual(300);
      expect(a.entries.length).toBe(2);
    }
    expect(appends.flatMap((a) => a.entries).length).toBe(10);
  });

  it('proposals between two Readies share one append per follower', () => {
    const { raw } = replicatingLeader();
    for (let i = 0; i < 5; i++) raw.propose(bytes(`p${i}`));
    const appends = ofType(sent(raw), 'append');
    expect(appends.map((a) => [a.to, a.entries.length])).toEqual([
      [2, 5],
      [3, 5],
    ]);
  });

  it('inflight window: a follower in replicate state gets at most maxInflightMsgs unacknowledged appends', () => {
    const { raw, term } = replicatingLeader({ maxInflightMsgs: 2 });
    const to2: Message[] = [];
    for (let i = 0; i < 4; i++) {
      raw.propose(bytes(`p${i}`));
      to2.push(...sent(raw).filter((m) => m.type === 'append' && m.to === 2));
    }
    expect(to2).toHaveLength(2);
    expect(raw.status().progress?.get(2)?.inflight).toBe(2);
    // An ack frees the window and the rest goes out at once.
    const first = to2[0] as Extract<Message, { type: 'append' }>;
    raw.step(appendResp(2, 1, term, first.entries.at(-1)!.index));
    const more = ofType(sent(raw), 'append').filter((m) => m.to === 2);
    expect(more.flatMap((m) => m.entries.map((e) => e.index))).toEqual([4, 5]);
  });

  it('inflight window in bytes: appends pause once maxInflightBytes are unacknowledged, and resume on the ack', () => {
    // Each entry is 100 bytes + 16 of overhead: two appends fill 200 bytes.
    const { raw, term } = replicatingLeader({ maxInflightMsgs: 100, maxInflightBytes: 200 });
    const to2: Extract<Message, { type: 'append' }>[] = [];
    for (let i = 0; i < 5; i++) {
      raw.propose(new Uint8Array(100));
      to2.push(...ofType(sent(raw), 'append').filter((m) => m.to === 2));
    }
    expect(to2).toHaveLength(2);
    expect(raw.status().progress?.get(2)?.inflight).toBe(2);
    raw.step(appendResp(2, 1, term, to2[1]!.entries.at(-1)!.index));
    const more = ofType(sent(raw), 'append').filter((m) => m.to === 2);
    expect(more.flatMap((m) => m.entries).length).toBe(3);
  });

  it('fast back-off (thesis §5.3): a divergent follower is found in one rejection using rejectHint/hintTerm', () => {
    // Leader: terms 1 1 1 3 3 3 3 3 3 3; follower holds an old leader's 1 1 1 2 2 2 2 2 2 2 2 2.
    const leader = newNode(1, { logTerms: [1, 1, 1, 3, 3, 3, 3, 3, 3, 3], term: 3, commit: 3 });
    elect(leader, [3]);
    const term = leader.status().hardState.term;
    const follower = newNode(2, {
      logTerms: [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2],
      term: 2,
      commit: 3,
    });
    let rejections = 0;
    for (let round = 0; round < 10; round++) {
      leader.tick();
      for (const m of sent(leader)) if (m.to === 2) follower.step(m);
      for (const m of sent(follower)) {
        if (m.type === 'appendResp' && m.reject) rejections++;
        leader.step(m);
      }
      if (leader.status().progress?.get(2)?.match === leader.status().lastIndex) break;
    }
    expect(leader.status().progress?.get(2)?.match).toBe(11);
    expect(rejections).toBe(1);
    expect(follower.status().lastIndex).toBe(11);
    expect(term).toBe(4);
  });

  it('a burst of heartbeat responses re-probes a lagging follower at most once per heartbeat interval', () => {
    const raw = newNode(1, { heartbeatTicks: 2, electionTicks: 20 });
    elect(raw, [2, 3]);
    const term = raw.status().hardState.term;
    expect(raw.status().progress?.get(2)?.state).toBe('probe');
    for (let i = 0; i < 5; i++) raw.propose(bytes(`p${i}`));
    sent(raw);
    const appendsTo2 = (): number => ofType(sent(raw), 'append').filter((m) => m.to === 2).length;
    // Read rounds make heartbeats with contexts; their answers can arrive in a burst.
    for (let i = 0; i < 100; i++)
      raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context: `r${i}` });
    expect(appendsTo2()).toBe(0);
    // A periodic heartbeat allows one recovery: one probe for the whole next burst.
    raw.tick();
    raw.tick();
    sent(raw);
    for (let i = 0; i < 100; i++)
      raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context: '' });
    expect(appendsTo2()).toBe(1);
  });

  it('a burst of heartbeat responses frees at most one slot of a full inflight window per heartbeat interval', () => {
    const { raw, term } = replicatingLeader({
      maxInflightMsgs: 2,
      heartbeatTicks: 2,
      electionTicks: 20,
    });
    for (let i = 0; i < 4; i++) {
      raw.propose(bytes(`p${i}`));
      sent(raw);
    }
    expect(raw.status().progress?.get(2)?.inflight).toBe(2);
    raw.tick();
    raw.tick();
    sent(raw);
    for (let i = 0; i < 50; i++)
      raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context: '' });
    const resent = ofType(sent(raw), 'append').filter((m) => m.to === 2);
    expect(resent).toHaveLength(1);
  });

  it('probe → replicate: a follower is probed one append at a time until it answers', () => {
    const raw = newNode(1);
    elect(raw, [2, 3]);
    expect(raw.status().progress?.get(2)?.state).toBe('probe');
    raw.propose(bytes('x'));
    raw.propose(bytes('y'));
    // Paused in probe: the proposals wait for the probe's answer.
    expect(ofType(sent(raw), 'append').filter((m) => m.to === 2)).toHaveLength(0);
    raw.step(appendResp(2, 1, raw.status().hardState.term, 1));
    expect(raw.status().progress?.get(2)?.state).toBe('replicate');
    const next = ofType(sent(raw), 'append').filter((m) => m.to === 2);
    expect(next.flatMap((m) => m.entries.map((e) => e.index))).toEqual([2, 3]);
    // A rejection puts it back into probe.
    raw.step({
      type: 'appendResp',
      from: 2,
      to: 1,
      term: raw.status().hardState.term,
      reject: true,
      index: 3,
      rejectHint: 1,
      hintTerm: 1,
    });
    expect(raw.status().progress?.get(2)?.state).toBe('probe');
  });

  it('maxUncommittedBytes: the leader refuses proposals when over, and accepts again after commit', () => {
    const { raw, term } = replicatingLeader({ maxUncommittedBytes: 150 });
    expect(raw.propose(new Uint8Array(100)).ok).toBe(true);
    const refused = raw.propose(new Uint8Array(100));
    expect(
      !refused.ok && refused.error instanceof ProposalDroppedError && refused.error.reason,
    ).toBe('uncommittedLimit');
    cycle(raw);
    raw.step(appendResp(2, 1, term, raw.status().lastIndex));
    expect(raw.status().hardState.commit).toBe(raw.status().lastIndex);
    expect(raw.propose(new Uint8Array(100)).ok).toBe(true);
  });

  it("maxUncommittedBytes: the new leader's no-op is always appended, and one entry always fits an empty pipeline", () => {
    const raw = newNode(1, { maxUncommittedBytes: 1 });
    elect(raw, [2]);
    // The no-op (16 bytes) went in although the limit is 1 byte.
    expect(raw.status().lastIndex).toBe(1);
    const refused = raw.propose(new Uint8Array(1000));
    expect(
      !refused.ok && refused.error instanceof ProposalDroppedError && refused.error.reason,
    ).toBe('uncommittedLimit');
    raw.step(appendResp(2, 1, raw.status().hardState.term, 1));
    expect(raw.status().hardState.commit).toBe(1);
    // Nothing uncommitted: a proposal larger than the limit is not starved.
    expect(raw.propose(new Uint8Array(1000)).ok).toBe(true);
  });

  it('Figure 8: a leader commits an entry of an earlier term only by committing one of its own term', () => {
    // Node 1 holds index 2 from term 2 (never committed), and becomes leader in term 4.
    const raw = newNode(1, { logTerms: [1, 2], term: 3, commit: 1 });
    elect(raw, [2]);
    const term = raw.status().hardState.term;
    expect(term).toBe(4);
    // Followers now hold index 2 (term 2): a majority, but not of this term.
    raw.step(appendResp(2, 1, term, 2));
    raw.step(appendResp(3, 1, term, 2));
    expect(raw.status().hardState.commit).toBe(1);
    // The no-op at index 3 (term 4) reaches a majority: now 2 and 3 commit together.
    raw.step(appendResp(2, 1, term, 3));
    expect(raw.status().hardState.commit).toBe(3);
  });

  it('a leader counts itself in the quorum only after advance() reports its entries persisted', () => {
    const { raw, term } = replicatingLeader();
    const before = raw.status().hardState.commit;
    const { index } = raw.propose(bytes('x')) as { index: number };
    const rd = raw.ready();
    // Appends go out early, before the leader's own write.
    expect(ofType(rd.earlyMessages, 'append').map((m) => m.to)).toEqual([2, 3]);
    expect(rd.entries.map((e) => e.index)).toEqual([index]);
    // One follower acks: with 3 voters that plus the leader would be a quorum,
    // but the leader's own entry is not yet persisted.
    raw.step(appendResp(2, 1, term, index));
    expect(raw.status().hardState.commit).toBe(before);
    raw.advance(rd);
    expect(raw.status().hardState.commit).toBe(index);
  });

  it('followers answer only after persisting: responses are in `messages`, never early', () => {
    const f = newNode(2);
    f.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      entries: entriesWithTerms([1, 1]),
      commit: 0,
    });
    const rd = cycle(f);
    expect(rd.earlyMessages).toEqual([]);
    expect(rd.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(ofType(rd.messages, 'appendResp')[0]).toMatchObject({ reject: false, index: 2 });
  });

  it('committed entries are handed out only up to the locally persisted index', () => {
    const f = newNode(2);
    f.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      entries: entriesWithTerms([1, 1]),
      commit: 2,
    });
    const rd1 = f.ready();
    expect(rd1.entries).toHaveLength(2);
    expect(rd1.hardState?.commit).toBe(2);
    expect(rd1.committedEntries).toEqual([]);
    f.advance(rd1);
    const rd2 = cycle(f);
    expect(rd2.committedEntries.map((e) => e.index)).toEqual([1, 2]);
    expect(f.status().applied).toBe(2);
  });

  it('maxCommittedBytesPerReady bounds committedEntries per Ready (at least one entry)', () => {
    const f = newNode(2, { maxCommittedBytesPerReady: 20 });
    f.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      entries: entriesWithTerms([1, 1, 1]),
      commit: 3,
    });
    cycle(f);
    const sizes: number[] = [];
    while (f.hasReady()) sizes.push(cycle(f).committedEntries.length);
    expect(sizes).toEqual([1, 1, 1]);
  });

  it('log matching: a follower replaces a conflicting uncommitted suffix and never a committed one', () => {
    const f = newNode(2, { logTerms: [1, 1, 2, 2], term: 2, commit: 2 });
    f.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 3,
      prevIndex: 2,
      prevTerm: 1,
      entries: entriesWithTerms([3], 3),
      commit: 2,
    });
    const rd = cycle(f);
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[3, 3]]);
    expect(f.status().lastIndex).toBe(3);
    // An append that would rewrite committed entries (a stale or buggy leader) leaves them alone.
    const g = newNode(2, { logTerms: [1, 1, 2, 2], term: 2, commit: 4 });
    g.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 3,
      prevIndex: 2,
      prevTerm: 1,
      entries: entriesWithTerms([3, 3], 3),
      commit: 4,
    });
    const rdG = cycle(g);
    expect(rdG.entries).toEqual([]);
    expect(ofType(rdG.messages, 'appendResp')[0]).toMatchObject({ reject: false, index: 4 });
  });

  it('a short (or reordered) append is acknowledged up to its own last entry, never past it onto a stale suffix', () => {
    // Entries 2..5 came from an old leader of term 1; the new leader (term 2) holds other entries from 4 on.
    const f = newNode(2, { logTerms: [1, 1, 1, 1, 1], term: 1, commit: 1 });
    // The new leader's append for 2..3 arrives (its later append was lost or overtaken): it matches and stops at 3.
    f.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      entries: entriesWithTerms([1, 1], 2),
      commit: 1,
    });
    const rd = cycle(f);
    expect(rd.entries).toEqual([]);
    expect(f.status().lastIndex).toBe(5);
    // Acknowledging 5 would let the leader count this follower for its own entries 4 and 5, which it does not hold.
    expect(ofType(rd.messages, 'appendResp')).toMatchObject([{ reject: false, index: 3 }]);
  });

  it('a stale append (prevIndex below commit) is answered with the commit index', () => {
    const f = newNode(2, { logTerms: [1, 1, 1], term: 1, commit: 3 });
    f.step({
      type: 'append',
      from: 1,
      to: 2,
      term: 1,
      prevIndex: 1,
      prevTerm: 1,
      entries: entriesWithTerms([1], 2),
      commit: 1,
    });
    expect(ofType(sent(f), 'appendResp')[0]).toMatchObject({ reject: false, index: 3 });
  });

  it('the driver misusing Ready/advance is an assertion, not a silent error', () => {
    const f = newNode(2);
    f.ready();
    expect(() => f.ready()).toThrow(RaftInvariantError);
    const g = newNode(2);
    expect(() => g.advance(newNode(3).ready())).toThrow(RaftInvariantError);
  });

  it('a lagging follower catches up in a cluster (harness) and all state machines agree', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    for (let i = 0; i < 20; i++) c.propose(`v${i}`);
    c.heal();
    c.tick(3);
    const want = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const n of c.nodes.values()) expect(n.applied).toEqual(want);
  });
});
