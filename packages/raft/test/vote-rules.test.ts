import { describe, expect, it } from 'vitest';
import { newNode, ofType, sent } from './util.js';

// Who may get a vote, and what granting one binds. The leader lease exists
// only with checkQuorum and only while a leader is known; a transfer vote
// (sent after the leader's timeoutNow) overrides it, an ordinary vote does not;
// a pre-vote binds nothing.

const vote = (from: number, term: number, transfer = false) =>
  ({
    type: 'vote',
    from,
    to: 1,
    term,
    lastLogIndex: 1,
    lastLogTerm: 1,
    transfer,
  }) as const;

const heartbeat = { type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: '' } as const;

describe('the leader lease', () => {
  it('makes a follower refuse an ordinary vote for a higher term, keeping its term', () => {
    const f = newNode(1, { logTerms: [1], term: 1, checkQuorum: true });
    f.step(heartbeat);
    sent(f);
    expect(f.step(vote(3, 2)).ok).toBe(false);
    expect(sent(f)).toEqual([]);
    expect(f.status().hardState).toMatchObject({ term: 1, vote: 0 });
    // A transfer vote is the leader's own handover: granted.
    expect(f.step(vote(3, 2, true)).ok).toBe(true);
    expect(ofType(sent(f), 'voteResp').map((m) => [m.term, m.reject])).toEqual([[2, false]]);
  });

  it('does not exist without checkQuorum: a follower that just heard the leader still votes', () => {
    const f = newNode(1, { logTerms: [1], term: 1, checkQuorum: false });
    f.step(heartbeat);
    sent(f);
    expect(f.step(vote(3, 2)).ok).toBe(true);
    expect(ofType(sent(f), 'voteResp').map((m) => [m.term, m.reject])).toEqual([[2, false]]);
    expect(f.status().hardState).toMatchObject({ term: 2, vote: 3 });
  });

  it('does not exist while no leader is known: a node that never heard one votes at once', () => {
    const f = newNode(1, { logTerms: [1], term: 1, checkQuorum: true });
    expect(f.step(vote(3, 2)).ok).toBe(true);
    expect(ofType(sent(f), 'voteResp').map((m) => [m.term, m.reject])).toEqual([[2, false]]);
  });
});

describe('a pre-vote', () => {
  it('granted, binds nothing: our term and vote stay, and a real candidate can still get the vote', () => {
    const f = newNode(1, { logTerms: [1], term: 1 });
    f.step({ type: 'preVote', from: 2, to: 1, term: 2, lastLogIndex: 1, lastLogTerm: 1 });
    expect(ofType(sent(f), 'preVoteResp').map((m) => [m.to, m.term, m.reject])).toEqual([
      [2, 2, false],
    ]);
    expect(f.status().hardState).toMatchObject({ term: 1, vote: 0 });
    f.step({ ...vote(3, 1) });
    expect(ofType(sent(f), 'voteResp').map((m) => [m.to, m.reject])).toEqual([[3, false]]);
    expect(f.status().hardState).toMatchObject({ term: 1, vote: 3 });
  });
});
