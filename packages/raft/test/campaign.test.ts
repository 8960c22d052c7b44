import { describe, expect, it } from 'vitest';
import { bytes } from './harness.js';
import { appendResp, cycle, elect, newNode, ofType, sent } from './util.js';

// What a campaign sends, how votes are counted, and what the leader sends when
// its own write completes a quorum. A vote marked `transfer` overrides the
// followers' leader lease, so only a handover from the leader may carry it.

describe('a campaign', () => {
  it('an ordinary election asks for votes without the transfer flag, at the next term', () => {
    const c = newNode(1, { logTerms: [1, 2], term: 2, preVote: false });
    c.campaign();
    expect(c.status().hardState).toMatchObject({ term: 3, vote: 1 });
    expect(
      ofType(sent(c), 'vote').map((m) => [m.to, m.term, m.lastLogIndex, m.lastLogTerm, m.transfer]),
    ).toEqual([
      [2, 3, 2, 2, false],
      [3, 3, 2, 2, false],
    ]);
  });

  it('a handover (timeoutNow) skips the pre-vote and marks its votes as a transfer', () => {
    const c = newNode(1, { logTerms: [1, 2], term: 2 });
    c.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 0, context: '' });
    sent(c);
    c.step({ type: 'timeoutNow', from: 2, to: 1, term: 2 });
    expect(c.status().softState.role).toBe('candidate');
    expect(ofType(sent(c), 'vote').map((m) => [m.to, m.term, m.transfer])).toEqual([
      [2, 3, true],
      [3, 3, true],
    ]);
  });

  it('a pre-election asks at the next term without moving its own term', () => {
    const c = newNode(1, { logTerms: [1, 2], term: 2 });
    c.campaign();
    expect(c.status().softState.role).toBe('preCandidate');
    expect(c.status().hardState).toMatchObject({ term: 2, vote: 0 });
    expect(ofType(sent(c), 'preVote').map((m) => [m.to, m.term, m.lastLogIndex])).toEqual([
      [2, 3, 2],
      [3, 3, 2],
    ]);
  });
});

describe('counting votes', () => {
  it('a voter’s first answer counts; a later contradicting copy does not change it', () => {
    const c = newNode(1, { voters: [1, 2, 3, 4, 5], preVote: false });
    c.campaign();
    sent(c);
    const { term } = c.status().hardState;
    c.step({ type: 'voteResp', from: 2, to: 1, term, reject: false });
    c.step({ type: 'voteResp', from: 2, to: 1, term, reject: true });
    expect(c.status().softState.role).toBe('candidate');
    c.step({ type: 'voteResp', from: 3, to: 1, term, reject: false });
    expect(c.status().softState.role).toBe('leader');
  });
});

describe('the leader’s own write', () => {
  it('completing a quorum commits, and the followers are told the new commit at once', () => {
    const l = newNode(1);
    elect(l, [2, 3]);
    const { term } = l.status().hardState;
    l.step(appendResp(2, 1, term, 1));
    l.step(appendResp(3, 1, term, 1));
    while (l.hasReady()) cycle(l);
    const { index } = l.propose(bytes('x')) as { index: number };
    const rd = l.ready();
    // One follower acknowledges before the leader's own write is done: no quorum yet.
    l.step(appendResp(2, 1, term, index));
    expect(l.status().hardState.commit).toBe(index - 1);
    l.advance(rd);
    expect(l.status().hardState.commit).toBe(index);
    const next = l.ready();
    expect(
      ofType([...next.earlyMessages, ...next.messages], 'append').map((m) => [m.to, m.commit]),
    ).toEqual([
      [2, index],
      [3, index],
    ]);
  });
});
