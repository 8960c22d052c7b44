import { describe, expect, it } from 'vitest';
import { cycle, entriesWithTerms, newNode, ofType } from './util.js';

// A follower commits only entries the leader has shown it holds in the same
// form: a heartbeat carries min(match, commit) and the follower caps it by its
// own log, so a leftover suffix from an old leader is never committed.

describe('a heartbeat', () => {
  it('moves the commit index to the leader’s commit, never over a leftover suffix', () => {
    // Entries 2 and 3 are leftovers of term 1; the term-2 leader has confirmed only index 1.
    const f = newNode(1, { logTerms: [1, 1, 1], term: 2 });
    f.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 1, context: '' });
    cycle(f);
    expect(f.status().hardState.commit).toBe(1);
  });

  it('with a commit past our log commits what we hold, and never moves the commit back', () => {
    const f = newNode(1, { logTerms: [1, 1], term: 2 });
    f.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 5, context: '' });
    cycle(f);
    expect(f.status().hardState.commit).toBe(2);
    f.step({ type: 'heartbeat', from: 2, to: 1, term: 2, commit: 1, context: '' });
    cycle(f);
    expect(f.status().hardState.commit).toBe(2);
  });
});

describe('an append overlapping what the follower holds', () => {
  it('writes only the entries from the first conflict on, not the matching ones again', () => {
    const f = newNode(1, { logTerms: [1, 1, 1], term: 2 });
    // 2@1 matches; 3@2 replaces our 3@1; 4@2 is new.
    f.step({
      type: 'append',
      from: 2,
      to: 1,
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      entries: entriesWithTerms([1, 2, 2], 2),
      commit: 0,
    });
    const rd = cycle(f);
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([
      [3, 2],
      [4, 2],
    ]);
  });
});

describe('a snapshot older than our own compaction point', () => {
  it('is answered with our commit index and changes nothing', () => {
    const f = newNode(1, { logTerms: [1, 1, 1, 1, 1], term: 1, commit: 5 });
    while (f.hasReady()) cycle(f);
    expect(f.compact(4)).toMatchObject({ index: 4 });
    const conf = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };
    const res = f.step({
      type: 'snapshot',
      from: 2,
      to: 1,
      term: 1,
      snapshot: { meta: { index: 2, term: 1, confState: conf }, data: new Uint8Array(0) },
    });
    expect(res.ok).toBe(true);
    const rd = cycle(f);
    expect(rd.snapshot).toBeUndefined();
    expect(ofType(rd.messages, 'appendResp').map((m) => [m.reject, m.index])).toEqual([[false, 5]]);
    expect(f.status()).toMatchObject({ firstIndex: 5, lastIndex: 5, hardState: { commit: 5 } });
  });
});
