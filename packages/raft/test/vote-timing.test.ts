import { describe, expect, it } from 'vitest';
import { newNode, ofType, sent } from './util.js';

// Timing rules around votes. With checkQuorum a follower that heard from the
// leader within an election timeout refuses to help depose it (leader lease),
// and only for that long; a node that grants a vote restarts its election
// timer, so it gives the candidate a full timeout to win instead of starting
// a competing election. Seed 4 draws a randomized election timeout of 17
// ticks (electionTicks 10), so the node itself does not campaign in these tests.

describe('leader lease (checkQuorum)', () => {
  it('holds for exactly electionTicks ticks after the leader was last heard', () => {
    const f = newNode(1, { seed: 4, electionTicks: 10, logTerms: [1], term: 1, checkQuorum: true });
    f.step({ type: 'heartbeat', from: 2, to: 1, term: 1, commit: 0, context: '' });
    sent(f);
    const preVote = () =>
      f.step({ type: 'preVote', from: 3, to: 1, term: 2, lastLogIndex: 1, lastLogTerm: 1 });
    for (let i = 0; i < 9; i++) f.tick();
    expect(preVote().ok).toBe(false);
    expect(sent(f)).toEqual([]);
    f.tick(); // 10 ticks: the lease is over
    expect(f.status().softState).toEqual({ role: 'follower', leader: 2 });
    expect(preVote().ok).toBe(true);
    expect(ofType(sent(f), 'preVoteResp').map((m) => [m.to, m.term, m.reject])).toEqual([
      [3, 2, false],
    ]);
  });
});

describe('granting a vote', () => {
  it('restarts the election timer: the voter does not campaign against its candidate', () => {
    const f = newNode(1, { seed: 4, electionTicks: 10, logTerms: [1], term: 2 });
    for (let i = 0; i < 16; i++) f.tick();
    expect(f.status().softState.role).toBe('follower');
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
    for (let i = 0; i < 16; i++) f.tick();
    expect(f.status().softState.role).toBe('follower');
    f.tick(); // a full randomized timeout after the vote
    expect(f.status().softState.role).toBe('preCandidate');
  });
});
