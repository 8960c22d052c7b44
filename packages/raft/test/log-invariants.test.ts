import { describe, expect, it } from 'vitest';
import { RaftInvariantError, type Entry } from '@flotilla/raft';
import { RaftLog } from '../src/log.js';
import { entriesWithTerms, thrown } from './util.js';

// The log refuses changes that would break Raft's log properties (an entry
// below the commit replaced, a hole, terms going down, a commit past the last
// entry, a slice or compaction of entries it does not hold). A peer or driver
// that asks for one is broken; the node must stop with an RaftInvariantError that
// says what was asked, not carry on with a log that differs from its peers'.
// The legal boundary case next to each refusal is checked too.

/** Entries 1..terms.length with those terms; committed and applied as given. */
function logOf(terms: number[], committed = 0, applied = 0): RaftLog {
  return new RaftLog({ index: 0, term: 0 }, entriesWithTerms(terms), committed, applied);
}

describe('RaftLog.append refuses', () => {
  it('to replace a committed entry, but replaces the first uncommitted one', () => {
    const log = logOf([1, 1, 1, 1], 3, 0);
    const e = thrown(() => log.append(entriesWithTerms([2], 3)));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('entry 3 would overwrite committed entries (commit 3)');
    expect(log.term(3)).toBe(1);
    log.append(entriesWithTerms([2], 4));
    expect([log.lastIndex(), log.term(4)]).toEqual([4, 2]);
  });

  it('to leave a hole after the last entry, but appends right after it', () => {
    const log = logOf([1, 1, 1]);
    const e = thrown(() => log.append(entriesWithTerms([1], 5)));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('append at 5 leaves a hole after last index 3');
    expect(log.lastIndex()).toBe(3);
    log.append(entriesWithTerms([1], 4));
    expect(log.lastIndex()).toBe(4);
  });

  it('an entry whose term is lower than the one before it, but takes an equal term', () => {
    const log = logOf([1, 2]);
    const e = thrown(() => log.append(entriesWithTerms([1], 3)));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('entry 3 has term 1, lower than the term 2 before it');
    expect(log.lastIndex()).toBe(2);
    log.append(entriesWithTerms([2], 3));
    expect(log.lastTerm()).toBe(2);
  });
});

describe('RaftLog.commitTo', () => {
  it('refuses a commit index past the last entry, and takes the last one', () => {
    const log = logOf([1, 1, 1]);
    const e = thrown(() => log.commitTo(4));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('commit 4 is beyond the last index 3');
    expect(log.committed).toBe(0);
    expect(log.commitTo(3)).toBe(true);
    expect(log.committed).toBe(3);
  });
});

describe('RaftLog.slice', () => {
  it('refuses ranges reaching below the compaction point or past the last entry', () => {
    const log = logOf([1, 1, 2, 2, 2], 5, 5);
    log.compact(2);
    const below = thrown(() => log.slice(2, 4));
    expect(below).toBeInstanceOf(RaftInvariantError);
    expect(below.message).toContain('slice [2, 4) is outside the log (2, 5]');
    const past = thrown(() => log.slice(3, 7));
    expect(past).toBeInstanceOf(RaftInvariantError);
    expect(past.message).toContain('slice [3, 7) is outside the log (2, 5]');
    expect(log.slice(3, 6).map((x) => x.index)).toEqual([3, 4, 5]);
    expect(log.slice(3, 5).map((x) => x.index)).toEqual([3, 4]);
    expect(log.slice(4, 5).map((x) => x.index)).toEqual([4]);
  });
});

describe('RaftLog.compact', () => {
  it('refuses to drop entries the state machine has not applied, and drops up to applied', () => {
    const log = logOf([1, 1, 1, 1], 4, 2);
    const e = thrown(() => log.compact(3));
    expect(e).toBeInstanceOf(RaftInvariantError);
    expect(e.message).toContain('compact(3) beyond applied 2');
    expect(log.firstIndex()).toBe(1);
    log.compact(2);
    expect(log.firstIndex()).toBe(3);
  });
});

describe('RaftLog.findConflictByTerm (where the leader probes next)', () => {
  const log = logOf([1, 1, 2, 2, 3]);

  it('is the last entry whose term is at most the given term', () => {
    expect(log.findConflictByTerm(5, 2)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(3, 3)).toEqual({ index: 3, term: 2 });
  });

  it('starts from our last entry when asked about an index past it', () => {
    expect(log.findConflictByTerm(9, 3)).toEqual({ index: 5, term: 3 });
  });

  it('stops below the compaction point with term 0 (the leader then sends a snapshot)', () => {
    const compacted = logOf([1, 2, 2, 3, 3], 5, 5);
    compacted.compact(3);
    expect(compacted.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 0 });
    expect(compacted.findConflictByTerm(5, 2)).toEqual({ index: 3, term: 2 });
  });
});

describe('RaftLog.append and stability', () => {
  it('appending nothing changes nothing', () => {
    const log = logOf([1, 1], 1, 0);
    log.append([]);
    expect([log.lastIndex(), log.stableIndex, log.committed]).toEqual([2, 2, 1]);
    expect(log.unstableEntries()).toEqual([]);
  });

  it('entries that replace persisted ones are unstable again: they must be written again', () => {
    const log = logOf([1, 1, 1, 1]); // 1..4 persisted
    expect(log.stableIndex).toBe(4);
    log.append(entriesWithTerms([2, 2], 3)); // a new leader replaces 3 and 4
    expect(log.stableIndex).toBe(2);
    expect(log.unstableEntries().map((e) => [e.index, e.term])).toEqual([
      [3, 2],
      [4, 2],
    ]);
  });
});

describe('RaftLog.slice of an empty range', () => {
  it('is empty, also right after the compaction point and at the end', () => {
    const log = logOf([1, 1, 1, 1], 4, 4);
    log.compact(2);
    expect(log.slice(3, 3)).toEqual([]);
    expect(log.slice(5, 5)).toEqual([]);
  });
});

describe('RaftLog.hasUnappliedConfChanges (a node must not campaign with one pending)', () => {
  const conf = (index: number, term = 1): Entry => ({
    type: 'confChange',
    term,
    index,
    change: { changes: [] },
  });
  const normal = (index: number, term = 1): Entry => entriesWithTerms([term], index)[0]!;

  it('sees a committed conf change anywhere between applied and commit, the last one included', () => {
    const log = new RaftLog({ index: 0, term: 0 }, [normal(1), conf(2), normal(3)], 3, 0);
    expect(log.hasUnappliedConfChanges()).toBe(true);
    log.appliedTo(1);
    expect(log.hasUnappliedConfChanges()).toBe(true);
    log.appliedTo(2);
    expect(log.hasUnappliedConfChanges()).toBe(false);
    const last = new RaftLog({ index: 0, term: 0 }, [normal(1), normal(2), conf(3)], 3, 2);
    expect(last.hasUnappliedConfChanges()).toBe(true);
  });

  it('ignores conf changes not yet committed, and is false with nothing left to apply', () => {
    const log = new RaftLog({ index: 0, term: 0 }, [normal(1), normal(2), conf(3)], 2, 0);
    expect(log.hasUnappliedConfChanges()).toBe(false);
    log.appliedTo(2);
    expect(log.hasUnappliedConfChanges()).toBe(false);
  });
});
