import { describe, expect, it } from 'vitest';
import { RaftInvariantError, type Entry, type Message } from '@flotilla/raft';
import { cycle, entriesWithTerms, newNode, ofType, thrown } from './util.js';

// A follower checks the shape of an append before taking it: its entries must
// follow prevIndex one by one and carry no term above the leader's. An append
// that does not is not from a correct leader (or was corrupted on the way);
// taking it would put entries at the wrong index or from the future into the
// log, so the node stops with an RaftInvariantError naming the bad entry.

function append(prevIndex: number, prevTerm: number, entries: Entry[], term = 2): Message {
  return { type: 'append', from: 2, to: 1, term, prevIndex, prevTerm, entries, commit: 0 };
}

describe('a follower refuses a malformed append', () => {
  it('whose entries do not start right after prevIndex', () => {
    const f = newNode(1, { logTerms: [1], term: 2 });
    const e = thrown(() => f.step(append(1, 1, entriesWithTerms([2], 3))));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain(
      'append from 2 (term 2) has entry 3@2 at position 0 after prevIndex 1',
    );
    expect(f.status().lastIndex).toBe(1);
  });

  it('whose entries skip an index further on', () => {
    const f = newNode(1, { logTerms: [1], term: 2 });
    const entries = [...entriesWithTerms([2], 2), ...entriesWithTerms([2], 4)];
    const e = thrown(() => f.step(append(1, 1, entries)));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('has entry 4@2 at position 1 after prevIndex 1');
  });

  it('with an entry of a term above the leader’s own', () => {
    const f = newNode(1, { logTerms: [1], term: 2 });
    const e = thrown(() => f.step(append(1, 1, entriesWithTerms([3], 2))));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('append from 2 (term 2) has entry 2@3 at position 0');
    expect(f.status().lastIndex).toBe(1);
  });

  it('but takes entries of the leader’s term and of earlier terms', () => {
    const f = newNode(1, { logTerms: [1], term: 2 });
    expect(f.step(append(1, 1, entriesWithTerms([1, 2, 2], 2)))).toEqual({ ok: true });
    const rd = cycle(f);
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([
      [2, 1],
      [3, 2],
      [4, 2],
    ]);
    expect(ofType(rd.messages, 'appendResp')[0]).toMatchObject({ reject: false, index: 4 });
  });
});
