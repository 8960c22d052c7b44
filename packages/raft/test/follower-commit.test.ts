import { describe, expect, it } from 'vitest';
import { cycle, newNode } from './util.js';

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
