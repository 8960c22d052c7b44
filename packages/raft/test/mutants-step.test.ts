import { describe, expect, it } from 'vitest';
import type { ConfState } from '@flotilla/raft';
import { cycle, elect, entriesWithTerms, newNode, ofType, sent } from './util.js';

// Tests written for mutants that survived `pnpm mutation raft` (docs/testing.md,
// "Mutation testing"): message handling at the edges the cluster tests do not
// reach — stale terms, misrouted messages, commit capping, votes while a
// leader is known, snapshots of a prefix we already hold.

const CONF: ConfState = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };

describe('messages of a stale term', () => {
  it('an append from a deposed leader (lower term) is refused and leaves the log alone', () => {
    const f = newNode(1, { logTerms: [1, 3], term: 3 });
    const r = f.step({
      type: 'append',
      from: 2,
      to: 1,
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      entries: entriesWithTerms([2], 2),
      commit: 2,
    });
    expect(r.ok).toBe(false);
    cycle(f);
    expect(f.status()).toMatchObject({ lastIndex: 2, hardState: { term: 3, commit: 0 } });
    expect(f.status().softState.leader).not.toBe(2);
  });
});

describe('answers to a stale sender, so it learns the newer term', () => {
  it('with checkQuorum or preVote, a stale append or heartbeat gets a rejecting appendResp at our term', () => {
    for (const opts of [
      { checkQuorum: true, preVote: false },
      { checkQuorum: false, preVote: true },
    ]) {
      const f = newNode(1, { logTerms: [1, 3], term: 3, ...opts });
      f.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 0, context: '' });
      f.step({
        type: 'append',
        from: 2,
        to: 1,
        term: 2,
        prevIndex: 1,
        prevTerm: 1,
        entries: [],
        commit: 0,
      });
      expect(
        sent(f).map((m) => [m.type, m.to, m.term, 'reject' in m ? m.reject : undefined]),
      ).toEqual([
        ['appendResp', 2, 3, true],
        ['appendResp', 2, 3, true],
      ]);
    }
  });

  it('with preVote, a stale pre-vote gets a pre-vote refusal (not an appendResp), a stale vote answer nothing', () => {
    const f = newNode(1, { logTerms: [1, 3], term: 3, preVote: true });
    f.step({ type: 'preVote', from: 2, to: 1, term: 2, lastLogIndex: 9, lastLogTerm: 2 });
    f.step({ type: 'voteResp', from: 2, to: 1, term: 2, reject: false });
    expect(
      sent(f).map((m) => [m.type, m.to, m.term, 'reject' in m ? m.reject : undefined]),
    ).toEqual([['preVoteResp', 2, 3, true]]);
  });

  it('without them, stale appends are dropped silently; a stale pre-vote is always refused', () => {
    const f = newNode(1, { logTerms: [1, 3], term: 3, checkQuorum: false, preVote: false });
    f.step({
      type: 'append',
      from: 2,
      to: 1,
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      entries: [],
      commit: 0,
    });
    f.step({ type: 'preVote', from: 2, to: 1, term: 2, lastLogIndex: 9, lastLogTerm: 2 });
    f.step({ type: 'voteResp', from: 2, to: 1, term: 2, reject: false });
    expect(
      sent(f).map((m) => [m.type, m.to, m.term, 'reject' in m ? m.reject : undefined]),
    ).toEqual([['preVoteResp', 2, 3, true]]);
  });
});

describe('misrouted messages', () => {
  it('a message addressed to another node is refused', () => {
    const f = newNode(1, { logTerms: [1], term: 1 });
    const r = f.step({
      type: 'append',
      from: 2,
      to: 3,
      term: 1,
      prevIndex: 1,
      prevTerm: 1,
      entries: entriesWithTerms([1], 2),
      commit: 2,
    });
    expect(r.ok).toBe(false);
    expect(f.status().lastIndex).toBe(1);
  });
});

describe('follower commit', () => {
  it('is capped at the last entry the append verified, not at a stale suffix we still hold', () => {
    // 3@1 is a leftover from an old leader; the new leader's append covers only up to index 1.
    const f = newNode(1, { logTerms: [1, 1, 1], term: 2 });
    f.step({
      type: 'append',
      from: 2,
      to: 1,
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      entries: [],
      commit: 3,
    });
    cycle(f);
    expect(f.status().hardState.commit).toBe(1);
  });
});

describe('votes while a leader is known', () => {
  it('a follower that heard from the leader of this term refuses another candidate of the same term', () => {
    const f = newNode(1, { logTerms: [1], term: 2 });
    f.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 0, context: '' });
    cycle(f);
    f.step({
      type: 'vote',
      from: 3,
      to: 1,
      term: 2,
      lastLogIndex: 5,
      lastLogTerm: 2,
      transfer: false,
    });
    expect(ofType(sent(f), 'voteResp').map((m) => m.reject)).toEqual([true]);
    expect(f.status().hardState.vote).toBe(0);
  });

  it('after voting in this term, a pre-vote of the same term from another node is refused', () => {
    const f = newNode(1, { logTerms: [1], term: 2 });
    f.step({
      type: 'vote',
      from: 2,
      to: 1,
      term: 2,
      lastLogIndex: 1,
      lastLogTerm: 1,
      transfer: false,
    });
    expect(ofType(sent(f), 'voteResp').map((m) => m.reject)).toEqual([false]);
    f.step({ type: 'preVote', from: 3, to: 1, term: 2, lastLogIndex: 5, lastLogTerm: 2 });
    expect(ofType(sent(f), 'preVoteResp').map((m) => m.reject)).toEqual([true]);
  });
});

describe('campaign on a leader', () => {
  it('is a no-op: the leader keeps its term and role', () => {
    const l = newNode(1, { logTerms: [1], term: 1 });
    elect(l, [2, 3]);
    const term = l.status().hardState.term;
    l.campaign();
    while (l.hasReady()) cycle(l);
    expect(l.status().softState.role).toBe('leader');
    expect(l.status().hardState.term).toBe(term);
  });
});

describe('a snapshot of a prefix we already hold', () => {
  it('commits up to it and keeps the entries after it (they may be acknowledged to the leader)', () => {
    const f = newNode(2, { logTerms: [1, 1, 1, 1, 1], term: 1, commit: 2 });
    f.step({
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 1,
      snapshot: { meta: { index: 3, term: 1, confState: CONF }, data: new Uint8Array([9]) },
    });
    const rd = cycle(f);
    expect(rd.snapshot).toBeUndefined();
    expect(ofType(rd.messages, 'appendResp')[0]).toMatchObject({ reject: false, index: 3 });
    expect(f.status()).toMatchObject({ lastIndex: 5, hardState: { commit: 3 } });
  });
});
