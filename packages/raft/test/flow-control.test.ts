import { describe, expect, it } from 'vitest';
import type { Message, RawNode } from '@flotilla/raft';
import { bytes } from './harness.js';
import { appendResp, cycle, elect, newNode, ofType, sent } from './util.js';

// How the leader answers each append response (thesis §5.3, etcd's Progress):
// where it probes after a rejection, when it pipelines, when a response is
// stale and must change nothing, and when a paused follower resumes. Getting
// these wrong does not lose data, but stalls a follower (it never catches up),
// floods it with duplicates, or rewinds it needlessly.

/** Node 1 leads 1,2,3 in term 3 holding 1@1 2@1 3@1 4@2 5@2 and its no-op 6@3. */
function leader(opts: Parameters<typeof newNode>[1] = {}): { l: RawNode; term: number } {
  const l = newNode(1, { logTerms: [1, 1, 1, 2, 2], term: 2, ...opts });
  elect(l, [2, 3]);
  const { term } = l.status().hardState;
  expect([term, l.status().lastIndex]).toEqual([3, 6]);
  return { l, term };
}

/** The appends node `to` gets in the next Ready: [prevIndex, prevTerm, entry indexes, commit]. */
function appendsTo(l: RawNode, to: number): [number, number, number[], number][] {
  return ofType(sent(l), 'append')
    .filter((m) => m.to === to)
    .map((m) => [m.prevIndex, m.prevTerm, m.entries.map((e) => e.index), m.commit]);
}

function reject(from: number, term: number, index: number, hint: number, hintTerm: number) {
  const m: Message = {
    type: 'appendResp',
    from,
    to: 1,
    term,
    reject: true,
    index,
    rejectHint: hint,
    hintTerm,
  };
  return m;
}

const state = (l: RawNode, id: number) => l.status().progress?.get(id);

describe('a rejected probe', () => {
  it('is retried from where the logs can match, using the hint term', () => {
    const { l, term } = leader();
    // The follower holds only term-1 entries up to 3 (hint 3@1): index 3 is where we can match.
    l.step(reject(2, term, 5, 3, 1));
    expect(appendsTo(l, 2)).toEqual([[3, 1, [4, 5, 6], 0]]);
    expect(state(l, 2)).toMatchObject({ state: 'probe', next: 4, match: 0 });
  });

  it('with hint term 0 (below the follower’s compaction point) is retried right after the hint', () => {
    const { l, term } = leader();
    l.step(reject(2, term, 5, 2, 0));
    expect(appendsTo(l, 2)).toEqual([[2, 1, [3, 4, 5, 6], 0]]);
  });

  it('answered twice: the second, stale rejection changes nothing', () => {
    const { l, term } = leader();
    l.step(reject(2, term, 5, 3, 1));
    expect(appendsTo(l, 2)).toHaveLength(1);
    l.step(reject(2, term, 5, 3, 1));
    expect(appendsTo(l, 2)).toEqual([]);
    expect(state(l, 2)).toMatchObject({ state: 'probe', next: 4 });
  });
});

describe('in replicate state', () => {
  /** Follower 2 acknowledged everything: replicate, match 6. */
  function replicating() {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    expect(state(l, 2)).toMatchObject({ state: 'replicate', match: 6, next: 7 });
    return { l, term };
  }

  it('a rejection of an index already acknowledged is stale: no rewind, no resend', () => {
    const { l, term } = replicating();
    l.propose(bytes('x'));
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
    l.step(reject(2, term, 6, 6, 3));
    expect(appendsTo(l, 2)).toEqual([]);
    expect(state(l, 2)).toMatchObject({ state: 'replicate', match: 6, next: 8, inflight: 1 });
  });

  it('a rejection past the match point goes back to probing from the match point', () => {
    const { l, term } = replicating();
    l.propose(bytes('x'));
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
    l.step(reject(2, term, 7, 6, 3));
    expect(state(l, 2)).toMatchObject({ state: 'probe', match: 6, next: 7, inflight: 0 });
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
    // Probing: one append at a time, so a new proposal waits for the answer.
    l.propose(bytes('y'));
    expect(appendsTo(l, 2)).toEqual([]);
    l.step(appendResp(2, 1, term, 7));
    expect(state(l, 2)).toMatchObject({ state: 'replicate', match: 7 });
    expect(appendsTo(l, 2)).toEqual([[7, 3, [8], 7]]);
  });

  it('an acknowledgement of an earlier append frees its slot without resending later ones', () => {
    const { l, term } = replicating();
    l.propose(bytes('x'));
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
    l.propose(bytes('y'));
    expect(appendsTo(l, 2)).toEqual([[7, 3, [8], 6]]);
    expect(state(l, 2)).toMatchObject({ inflight: 2, next: 9 });
    l.step(appendResp(2, 1, term, 7));
    expect(state(l, 2)).toMatchObject({ inflight: 1, next: 9, match: 7 });
    // 7 commits (self + 2): the commit goes out to 2 and 3 in empty appends, 8 is not resent.
    expect(appendsTo(l, 2)).toEqual([[8, 3, [], 7]]);
  });
});

describe('after a commit', () => {
  it('the leader tells every follower the new commit index at once', () => {
    const { l, term } = leader();
    // Node 3 holds 1..5: replicate, with 6 in flight; that commits nothing (5 is of term 2).
    l.step(appendResp(3, 1, term, 5));
    expect(appendsTo(l, 3)).toEqual([[5, 2, [6], 0]]);
    expect(l.status().hardState.commit).toBe(0);
    l.step(appendResp(2, 1, term, 6));
    expect(l.status().hardState.commit).toBe(6);
    expect(appendsTo(l, 3)).toEqual([[6, 3, [], 6]]);
  });
});

describe('a paused follower that answers', () => {
  it('learns the commit index in the reply even when its answer commits nothing', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    expect(l.status().hardState.commit).toBe(6);
    // Node 3 was probed before the commit; its answer now commits nothing new.
    expect(state(l, 3)).toMatchObject({ state: 'probe' });
    l.step(appendResp(3, 1, term, 6));
    expect(state(l, 3)).toMatchObject({ state: 'replicate', match: 6 });
    expect(appendsTo(l, 3)).toEqual([[6, 3, [], 6]]);
  });

  it('in probe state at its match point (after reportUnreachable) goes back to replicate', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    l.reportUnreachable(2);
    expect(state(l, 2)).toMatchObject({ state: 'probe', match: 6, next: 7 });
    l.step(appendResp(2, 1, term, 6));
    expect(state(l, 2)).toMatchObject({ state: 'replicate', match: 6, next: 7 });
    l.propose(bytes('x'));
    l.propose(bytes('y'));
    sent(l);
    l.propose(bytes('z'));
    // Pipelining again: a new append goes out although the earlier ones are unanswered.
    expect(appendsTo(l, 2)).toEqual([[8, 3, [9], 6]]);
  });
});

describe('a follower that took a snapshot', () => {
  it('resumes replication as soon as it acknowledges the snapshot index', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    expect(l.status().applied).toBe(6);
    l.compact(6);
    // Node 3 has an empty log: everything it needs is compacted.
    l.step(reject(3, term, 5, 0, 0));
    expect(ofType(sent(l), 'snapshot').map((m) => [m.to, m.snapshot.meta.index])).toEqual([[3, 6]]);
    expect(state(l, 3)).toMatchObject({ state: 'snapshot' });
    l.step(appendResp(3, 1, term, 6));
    expect(state(l, 3)).toMatchObject({ state: 'replicate', match: 6, next: 7 });
    expect(appendsTo(l, 3)).toEqual([[6, 3, [], 6]]);
    l.propose(bytes('x'));
    expect(appendsTo(l, 3)).toEqual([[6, 3, [7], 6]]);
  });
});

describe('leadership transfer', () => {
  it('sends timeoutNow only once the target has acknowledged the last entry, and to no one else', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    expect(l.transferLeadership(3).ok).toBe(true);
    expect(ofType(sent(l), 'timeoutNow')).toEqual([]);
    l.step(appendResp(2, 1, term, 6)); // a caught-up node that is not the target
    l.step(appendResp(3, 1, term, 5)); // the target, not yet caught up
    expect(ofType(sent(l), 'timeoutNow')).toEqual([]);
    l.step(appendResp(3, 1, term, 6));
    expect(ofType(sent(l), 'timeoutNow').map((m) => m.to)).toEqual([3]);
  });
});

describe('a delayed acknowledgement of an older index', () => {
  it('never moves the match point back, and does not end probing', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    l.step(appendResp(2, 1, term, 5));
    expect(state(l, 2)).toMatchObject({ state: 'replicate', match: 6, next: 7 });
    l.reportUnreachable(2);
    l.step(appendResp(2, 1, term, 5));
    expect(state(l, 2)).toMatchObject({ state: 'probe', match: 6, next: 7 });
  });
});

describe('a pipeline whose first append was lost', () => {
  it('is re-probed from the match point as soon as the follower rejects that append', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    l.propose(bytes('x'));
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
    l.propose(bytes('y'));
    expect(appendsTo(l, 2)).toEqual([[7, 3, [8], 6]]);
    // 7 was lost: the follower rejects the append of 8 (prevIndex 7).
    l.step(reject(2, term, 7, 6, 3));
    expect(state(l, 2)).toMatchObject({ state: 'probe', match: 6, next: 7, inflight: 0 });
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7, 8], 6]]);
  });
});

describe('a rejection with a hint below the match point', () => {
  it('never makes the leader resend what the follower acknowledged (that is durable there)', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    l.reportUnreachable(2);
    l.propose(bytes('x'));
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
    l.step(reject(2, term, 6, 2, 0));
    expect(state(l, 2)).toMatchObject({ state: 'probe', match: 6, next: 7 });
    expect(appendsTo(l, 2)).toEqual([[6, 3, [7], 6]]);
  });
});

describe('a follower in snapshot state', () => {
  it('that acknowledges an index still below the compaction point stays there: no second snapshot', () => {
    const { l, term } = leader();
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    l.compact(6);
    l.step(reject(3, term, 5, 0, 0));
    expect(ofType(sent(l), 'snapshot').map((m) => m.to)).toEqual([3]);
    // A late answer to an append sent before the compaction.
    l.step(appendResp(3, 1, term, 3));
    expect(state(l, 3)).toMatchObject({ state: 'snapshot', match: 3 });
    expect(sent(l).filter((m) => m.to === 3)).toEqual([]);
  });
});

describe('when a probe is answered', () => {
  it('the follower gets every pending entry at once, in as many appends as maxMsgBytes requires', () => {
    const { l, term } = leader({ maxMsgBytes: 1 });
    l.step(appendResp(2, 1, term, 6));
    while (l.hasReady()) cycle(l);
    // Node 3 is still probed (its first append is unanswered): proposals wait.
    for (const p of ['x', 'y', 'z']) l.propose(bytes(p));
    expect(appendsTo(l, 3)).toEqual([]);
    l.step(appendResp(3, 1, term, 6));
    expect(appendsTo(l, 3).map(([prev, , entries]) => [prev, entries])).toEqual([
      [6, [7]],
      [7, [8]],
      [8, [9]],
    ]);
  });
});
