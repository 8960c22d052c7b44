import { describe, expect, it } from 'vitest';
import { NotLeaderError, ReadIndexRefusedError } from '@flotilla/raft';
import { bytes, Cluster } from './harness.js';
import { appendResp, cycle, elect, newNode, ofType, sent } from './util.js';

/** Node 1 leads 1,2,3 and has committed its no-op. */
function committedLeader(opts: Parameters<typeof newNode>[1] = {}) {
  const raw = newNode(1, opts);
  elect(raw, [2, 3]);
  const { term } = raw.status().hardState;
  raw.step(appendResp(2, 1, term, 1));
  while (raw.hasReady()) cycle(raw);
  expect(raw.status().hardState.commit).toBe(1);
  return { raw, term };
}

describe('ReadIndex (thesis §6.4)', () => {
  it('safe: a read is confirmed only by a heartbeat quorum carrying its context', () => {
    const { raw, term } = committedLeader();
    expect(raw.readIndex('r1')).toEqual({ ok: true });
    const rd = cycle(raw);
    expect(rd.readStates).toEqual([]);
    const hbs = ofType(rd.earlyMessages, 'heartbeat');
    expect(hbs.map((m) => m.to)).toEqual([2, 3]);
    const context = hbs[0]!.context;
    expect(context).not.toBe('');
    // A heartbeat response without the context does not confirm it.
    raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context: '' });
    expect(cycle(raw).readStates).toEqual([]);
    raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context });
    expect(cycle(raw).readStates).toEqual([{ index: 1, context: 'r1' }]);
  });

  it('a new leader answers reads only after committing an entry of its own term', () => {
    const raw = newNode(1);
    elect(raw, [2, 3]);
    const { term } = raw.status().hardState;
    raw.readIndex('early');
    const rd = cycle(raw);
    expect(ofType(rd.earlyMessages, 'heartbeat').filter((m) => m.context !== '')).toEqual([]);
    raw.step(appendResp(2, 1, term, 1));
    const hb = ofType(sent(raw), 'heartbeat').find((m) => m.context !== '');
    expect(hb).toBeDefined();
    raw.step({ type: 'heartbeatResp', from: 3, to: 1, term, context: hb!.context });
    expect(cycle(raw).readStates).toEqual([{ index: 1, context: 'early' }]);
  });

  it('many reads between two Readies share one heartbeat round', () => {
    const { raw, term } = committedLeader();
    raw.readIndex('a');
    raw.readIndex('b');
    raw.propose(bytes('x'));
    raw.readIndex('c');
    const rd = cycle(raw);
    const hbs = ofType(rd.earlyMessages, 'heartbeat');
    expect(hbs).toHaveLength(2);
    raw.step({ type: 'heartbeatResp', from: 3, to: 1, term, context: hbs[0]!.context });
    expect(cycle(raw).readStates.map((s) => s.context)).toEqual(['a', 'b', 'c']);
  });

  it('an ack for a later round confirms the earlier rounds too', () => {
    const { raw, term } = committedLeader();
    raw.readIndex('first');
    const c1 = ofType(sent(raw), 'heartbeat')[0]!.context;
    raw.readIndex('second');
    const c2 = ofType(sent(raw), 'heartbeat')[0]!.context;
    expect(c2).not.toBe(c1);
    raw.step({ type: 'heartbeatResp', from: 2, to: 1, term, context: c2 });
    expect(cycle(raw).readStates.map((s) => s.context)).toEqual(['first', 'second']);
  });

  it('on a follower the read is forwarded to the leader and comes back as a ReadState', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose('x');
    expect(c.node(2).raw.readIndex('f1')).toEqual({ ok: true });
    c.stabilize();
    const fwd = c.delivered.filter((m) => m.type === 'readIndex');
    expect(fwd.map((m) => [m.from, m.to, m.term])).toEqual([[2, 1, 0]]);
    expect(c.node(2).readStates).toEqual([{ index: 2, context: 'f1' }]);
    // Without a known leader the follower refuses at once.
    const lone = newNode(2);
    const r = lone.readIndex('x');
    expect(!r.ok && r.error instanceof NotLeaderError).toBe(true);
  });

  it('lease-based: a leader with CheckQuorum answers at once, without a heartbeat round', () => {
    const { raw } = committedLeader({ readOnly: 'leaseBased' });
    raw.readIndex('lease');
    const rd = cycle(raw);
    expect(rd.readStates).toEqual([{ index: 1, context: 'lease' }]);
    expect(ofType(rd.earlyMessages, 'heartbeat')).toEqual([]);
  });

  it('a leader that loses leadership reports its pending reads as dropped', () => {
    const { raw, term } = committedLeader();
    raw.readIndex('lost');
    cycle(raw);
    raw.step({ type: 'heartbeatResp', from: 2, to: 1, term: term + 1, context: '' });
    const rd = cycle(raw);
    expect(rd.readStates).toEqual([]);
    expect(rd.droppedReads).toEqual([{ context: 'lost', reason: 'leaderChanged' }]);
  });

  it('pending reads are bounded by maxPendingReads', () => {
    const { raw } = committedLeader({ maxPendingReads: 2 });
    expect(raw.readIndex('1').ok).toBe(true);
    expect(raw.readIndex('2').ok).toBe(true);
    const r = raw.readIndex('3');
    expect(!r.ok && r.error instanceof ReadIndexRefusedError).toBe(true);
  });

  it('a single-voter leader answers a read at once', () => {
    const raw = newNode(1, { voters: [1] });
    raw.campaign();
    cycle(raw);
    cycle(raw);
    raw.readIndex('solo');
    expect(cycle(raw).readStates).toEqual([{ index: 1, context: 'solo' }]);
  });
});
