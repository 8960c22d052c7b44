// Each invariant of RaftInvariantChecker fires on a hand-built history that
// breaks it, and stays quiet on the matching legal one.
import { describe, expect, it } from 'vitest';
import type { Entry, NodeId } from '@flotilla/raft';
import {
  CHAIN_START,
  chainNext,
  entryKey,
  LogMirror,
  RaftInvariantChecker,
  SafetyViolationError,
  type RaftInvariant,
} from '../src/raft-sim.js';

const enc = new TextEncoder();
const e = (index: number, term: number, data = `d${index}`): Entry => ({
  type: 'normal',
  index,
  term,
  data: enc.encode(data),
});
const state = (
  node: NodeId,
  term: number,
  role: 'leader' | 'follower',
  commit = 0,
  incarnation = 0,
) => ({ node, incarnation, term, role, commit });

function violation(fn: () => void): RaftInvariant {
  try {
    fn();
  } catch (err) {
    if (err instanceof SafetyViolationError) return err.invariant;
    throw err;
  }
  throw new Error('expected a SafetyViolationError');
}

describe('RaftInvariantChecker', () => {
  it('election safety: two leaders of one term are a violation; one leader per term is not', () => {
    const c = new RaftInvariantChecker();
    c.observeState(state(1, 2, 'leader'));
    c.observeState(state(2, 3, 'leader'));
    c.observeState(state(1, 2, 'leader'));
    expect(violation(() => c.observeState(state(3, 2, 'leader')))).toBe('electionSafety');
  });

  it('commit never goes back within an incarnation; a restart may resume lower', () => {
    const c = new RaftInvariantChecker();
    c.observeState(state(1, 1, 'follower', 5));
    c.observeState(state(1, 1, 'follower', 3, 1));
    expect(violation(() => c.observeState(state(1, 1, 'follower', 2, 1)))).toBe('commitMonotonic');
  });

  it('log matching: one (index, term) with two contents or two predecessors is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeAppend(1, 0, [e(1, 1), e(2, 1)]);
    c.observeAppend(2, 1, [e(2, 1), e(3, 2)]);
    expect(violation(() => c.observeAppend(3, 1, [e(2, 1, 'other')]))).toBe('logMatching');
    expect(violation(() => c.observeAppend(3, 2, [e(3, 2)]))).toBe('logMatching');
  });

  it('state machine safety: different entries applied at one index, or a gap, are violations', () => {
    const c = new RaftInvariantChecker();
    c.observeApply(1, 0, 1, e(1, 1));
    c.observeApply(2, 0, 1, e(1, 1));
    expect(violation(() => c.observeApply(3, 0, 1, e(1, 2)))).toBe('stateMachineSafety');
    expect(violation(() => c.observeApply(1, 0, 1, e(3, 1)))).toBe('stateMachineSafety');
  });

  it('state machine safety: a snapshot whose chain differs from the applied prefix is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeApply(1, 0, 1, e(1, 1));
    const good = chainNext(CHAIN_START, entryKey(e(1, 1)));
    c.observeStateMachineReset(2, 0, 1, good);
    expect(violation(() => c.observeStateMachineReset(3, 0, 1, chainNext(CHAIN_START, 'x')))).toBe(
      'stateMachineSafety',
    );
  });

  it('leader completeness: a later leader missing an entry committed earlier is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeApply(1, 0, 1, e(1, 1));
    const log = new LogMirror();
    log.append([e(1, 1), e(2, 2)]);
    c.checkLeaderLog(2, 2, log);
    const stale = new LogMirror();
    stale.append([e(1, 2, 'else')]);
    expect(violation(() => c.checkLeaderLog(3, 3, stale))).toBe('leaderCompleteness');
    // An entry first seen committed in term 3 need not be in the log of term 3's leader.
    c.observeApply(1, 0, 3, e(2, 2));
    const short = new LogMirror();
    short.append([e(1, 1)]);
    c.checkLeaderLog(2, 3, short);
    expect(violation(() => c.checkLeaderLog(2, 4, short))).toBe('leaderCompleteness');
  });

  it('read index: an answer below a commit known before the request is a violation', () => {
    const c = new RaftInvariantChecker();
    c.observeState(state(1, 1, 'leader', 7));
    c.observeReadRequest('r1');
    c.observeReadState(1, 'r1', 7);
    c.observeReadRequest('r2');
    expect(violation(() => c.observeReadState(1, 'r2', 6))).toBe('readIndexSafety');
  });
});

describe('LogMirror', () => {
  it('replaces the suffix an append overlaps, compacts, and resets to a snapshot', () => {
    const m = new LogMirror();
    expect(m.append([e(1, 1), e(2, 1), e(3, 1)])).toBe(0);
    expect(m.append([e(3, 2), e(4, 2)])).toBe(1);
    expect([m.lastIndex, m.term(3), m.key(3)]).toEqual([4, 2, entryKey(e(3, 2))]);
    m.compact({
      index: 2,
      term: 1,
      confState: { voters: [1], votersOutgoing: [], learners: [], learnersNext: [] },
    });
    expect([m.snapIndex, m.term(2), m.key(2), m.key(4)]).toEqual([
      2,
      1,
      undefined,
      entryKey(e(4, 2)),
    ]);
    m.reset({
      index: 9,
      term: 3,
      confState: { voters: [1], votersOutgoing: [], learners: [], learnersNext: [] },
    });
    expect([m.snapIndex, m.lastIndex, m.term(9)]).toEqual([9, 9, 3]);
    expect(() => m.append([e(11, 3)])).toThrow(/does not fit/);
  });
});
