import { describe, expect, it } from 'vitest';
import type { ConfState } from '@flotilla/raft';
import { allMembers, allVoters, committedIndex, voteResult } from '../src/quorum.js';

// Tests written for mutants that survived `pnpm mutation raft` (docs/testing.md,
// "Mutation testing"): the existing quorum tests only put the undecided or
// losing half of a joint configuration on the incoming side.

const conf = (
  voters: number[],
  votersOutgoing: number[] = [],
  learners: number[] = [],
  learnersNext: number[] = [],
): ConfState => ({
  voters,
  votersOutgoing,
  learners,
  learnersNext,
});

describe('joint elections, outgoing half deciding', () => {
  it('a majority of the incoming set alone does not win while the outgoing set is undecided', () => {
    // incoming [1, 4, 5]: 1 and 4 granted → won; outgoing [1, 2, 3]: only 1 granted, 2 and 3 silent → pending.
    const votes = new Map([
      [1, true],
      [4, true],
    ]);
    expect(voteResult(conf([1, 4, 5], [1, 2, 3]), votes)).toBe('pending');
  });

  it('a majority of the outgoing set refusing loses the election even when the incoming set has won', () => {
    const votes = new Map([
      [1, true],
      [4, true],
      [2, false],
      [3, false],
    ]);
    expect(voteResult(conf([1, 4, 5], [1, 2, 3]), votes)).toBe('lost');
  });

  it('a single configuration: a split with voters still silent is pending, not won', () => {
    expect(
      voteResult(
        conf([1, 2, 3]),
        new Map([
          [1, true],
          [2, false],
        ]),
      ),
    ).toBe('pending');
    expect(
      voteResult(
        conf([1, 2, 3]),
        new Map([
          [1, true],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe('lost');
  });
});

describe('commit index without voters', () => {
  it('is 0, never Infinity, when the configuration has no voters yet', () => {
    expect(committedIndex(conf([]), () => 7)).toBe(0);
  });
});

describe('member lists', () => {
  it('are sorted by id and without duplicates (callers rely on a stable order)', () => {
    const c = conf([9, 3, 11], [11, 2, 9], [20, 4], [1]);
    expect(allVoters(c)).toEqual([2, 3, 9, 11]);
    expect(allMembers(c)).toEqual([1, 2, 3, 4, 9, 11, 20]);
  });
});
