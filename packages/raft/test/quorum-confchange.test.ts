import { describe, expect, it } from 'vitest';
import { applyConfChange, type ConfState } from '@flotilla/raft';
import { committedIndex, voteResult } from '../src/quorum.js';

const conf = (voters: number[], votersOutgoing: number[] = []): ConfState => ({
  voters,
  votersOutgoing,
  learners: [],
  learnersNext: [],
});

describe('quorum arithmetic', () => {
  it('commit index: the highest index a majority has reached', () => {
    const match = new Map([
      [1, 9],
      [2, 5],
      [3, 7],
    ]);
    expect(committedIndex(conf([1, 2, 3]), (id) => match.get(id) ?? 0)).toBe(7);
    expect(committedIndex(conf([1, 2, 3, 4]), (id) => match.get(id) ?? 0)).toBe(5);
  });

  it('joint quorum: commit is the minimum of both majorities', () => {
    const match = new Map([
      [1, 9],
      [2, 9],
      [3, 9],
      [4, 2],
      [5, 1],
    ]);
    expect(committedIndex(conf([1, 4, 5], [1, 2, 3]), (id) => match.get(id) ?? 0)).toBe(2);
  });

  it('joint quorum: a majority of the new voters alone commits nothing the old voters lack', () => {
    const match = new Map([
      [1, 9],
      [2, 1],
      [3, 1],
      [4, 9],
      [5, 9],
    ]);
    expect(committedIndex(conf([1, 4, 5], [1, 2, 3]), (id) => match.get(id) ?? 0)).toBe(1);
    expect(committedIndex(conf([1, 2, 3], [1, 4, 5]), (id) => match.get(id) ?? 0)).toBe(1);
  });

  it('joint election: a candidate needs a majority of both configurations', () => {
    const votes = new Map([
      [1, true],
      [2, true],
      [3, false],
    ]);
    expect(voteResult(conf([1, 2, 3]), votes)).toBe('won');
    expect(voteResult(conf([1, 4, 5], [1, 2, 3]), votes)).toBe('pending');
    votes.set(4, false);
    votes.set(5, false);
    expect(voteResult(conf([1, 4, 5], [1, 2, 3]), votes)).toBe('lost');
  });
});

describe('applyConfChange', () => {
  const base = conf([1, 2, 3]);

  it('one voter change is applied directly', () => {
    const r = applyConfChange(base, { changes: [{ op: 'addVoter', nodeId: 4 }] });
    expect(r).toEqual({ ok: true, confState: conf([1, 2, 3, 4]) });
  });

  it('more than one voter change, or joint: true, enters a joint configuration', () => {
    const r = applyConfChange(base, {
      changes: [
        { op: 'addVoter', nodeId: 4 },
        { op: 'removeNode', nodeId: 1 },
      ],
    });
    expect(r).toEqual({ ok: true, confState: conf([2, 3, 4], [1, 2, 3]) });
    const j = applyConfChange(base, { changes: [{ op: 'addLearner', nodeId: 9 }], joint: true });
    expect(j).toEqual({
      ok: true,
      confState: { voters: [1, 2, 3], votersOutgoing: [1, 2, 3], learners: [9], learnersNext: [] },
    });
  });

  it('leaving a joint configuration drops C_old and turns learnersNext into learners', () => {
    const joint: ConfState = {
      voters: [2, 3, 4],
      votersOutgoing: [1, 2, 3],
      learners: [],
      learnersNext: [1],
    };
    expect(applyConfChange(joint, { changes: [] })).toEqual({
      ok: true,
      confState: { voters: [2, 3, 4], votersOutgoing: [], learners: [1], learnersNext: [] },
    });
  });

  it('refuses: removing every voter, a change while joint, leaving when not joint, bad ids', () => {
    expect(applyConfChange(conf([1]), { changes: [{ op: 'removeNode', nodeId: 1 }] }).ok).toBe(
      false,
    );
    expect(
      applyConfChange(conf([2, 3], [1, 2]), { changes: [{ op: 'addVoter', nodeId: 5 }] }).ok,
    ).toBe(false);
    expect(applyConfChange(base, { changes: [] }).ok).toBe(false);
    expect(applyConfChange(base, { changes: [{ op: 'addVoter', nodeId: 0 }] }).ok).toBe(false);
  });
});
