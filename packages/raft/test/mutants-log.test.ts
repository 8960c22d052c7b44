import { describe, expect, it } from 'vitest';
import { RaftLog } from '../src/log.js';
import { entriesWithTerms } from './util.js';

// Tests written for mutants that survived `pnpm mutation raft` (docs/testing.md,
// "Mutation testing"): RaftLog's commit, stability and compaction bookkeeping
// checked directly, since the cluster tests never drive these corners.

/** A log holding entries 1..terms.length with those terms, all committed and applied up to `applied`. */
function logOf(terms: number[], committed: number, applied: number): RaftLog {
  return new RaftLog({ index: 0, term: 0 }, entriesWithTerms(terms), committed, applied);
}

describe('RaftLog.commitTo', () => {
  it('never moves the commit index back (a new leader may know a lower commit than we do)', () => {
    const log = logOf([1, 1, 1, 1, 1], 0, 0);
    expect(log.commitTo(4)).toBe(true);
    expect(log.commitTo(2)).toBe(false);
    expect(log.committed).toBe(4);
    expect(log.commitTo(4)).toBe(false);
    expect(log.committed).toBe(4);
  });
});

describe('RaftLog.stableTo', () => {
  it('ignores an acknowledgement for an entry that was replaced meanwhile, and never moves back', () => {
    const log = logOf([1, 1], 0, 0);
    log.append(entriesWithTerms([1, 1], 3)); // 3@1, 4@1 unstable
    log.append(entriesWithTerms([2], 4)); // 4@2 replaces 4@1 before its write is acknowledged
    log.stableTo(4, 1); // the stale acknowledgement of 4@1
    expect(log.stableIndex).toBe(2);
    log.stableTo(4, 2);
    expect(log.stableIndex).toBe(4);
    log.stableTo(3, 1); // a late, lower acknowledgement
    expect(log.stableIndex).toBe(4);
  });
});

describe('RaftLog.compact', () => {
  it('compacting twice keeps every remaining entry at its index', () => {
    const log = logOf([1, 1, 2, 2, 3, 3, 3, 4, 4, 4], 10, 10);
    log.compact(3);
    log.compact(6);
    expect(log.firstIndex()).toBe(7);
    expect(log.term(6)).toBe(3);
    expect(log.slice(7, 11).map((e) => [e.index, e.term])).toEqual([
      [7, 3],
      [8, 4],
      [9, 4],
      [10, 4],
    ]);
    log.compact(4); // below the snapshot: nothing to do
    expect(log.firstIndex()).toBe(7);
    expect(log.term(6)).toBe(3);
  });
});
