// Helpers for single-node step tests: build a RawNode in a given state, run
// its Ready cycle as an ideal driver would, and forge peer messages.
import {
  RawNode,
  seededRng,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type Ready,
} from '@flotilla/raft';
import { bytes } from './harness.js';

export interface NodeSetup extends Partial<Omit<RaftConfig, 'id' | 'rng' | 'initial'>> {
  voters?: NodeId[];
  learners?: NodeId[];
  /** Terms of the stored log entries, index 1.. */
  logTerms?: number[];
  term?: number;
  commit?: number;
  seed?: number;
}

export function entriesWithTerms(terms: number[], from = 1): Entry[] {
  return terms.map((term, i) => ({
    type: 'normal',
    term,
    index: from + i,
    data: bytes(`e${from + i}`),
  }));
}

export function newNode(id: NodeId, s: NodeSetup = {}): RawNode {
  const {
    voters = [1, 2, 3],
    learners = [],
    logTerms = [],
    term,
    commit = 0,
    seed = id,
    ...opts
  } = s;
  return new RawNode({
    id,
    rng: seededRng(seed),
    ...opts,
    initial: {
      hardState: { term: term ?? logTerms.at(-1) ?? 0, vote: 0, commit },
      confState: { voters, votersOutgoing: [], learners, learnersNext: [] },
      entries: entriesWithTerms(logTerms),
    },
  });
}

/** One Ready cycle with instant persistence. Returns the Ready. */
export function cycle(raw: RawNode): Ready {
  const rd = raw.ready();
  raw.advance(rd);
  return rd;
}

/** All messages of one Ready cycle (early first). */
export function sent(raw: RawNode): Message[] {
  if (!raw.hasReady()) return [];
  const rd = cycle(raw);
  return [...rd.earlyMessages, ...rd.messages];
}

export function ofType<T extends Message['type']>(
  msgs: readonly Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return msgs.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

/** Makes `raw` the leader by granting it the (pre-)votes of `grant`. Drains its Readies. */
export function elect(raw: RawNode, grant: NodeId[]): void {
  raw.campaign();
  const id = raw.status().id;
  for (let round = 0; round < 2 && raw.status().softState.role !== 'leader'; round++) {
    const reqs = sent(raw).filter((m) => m.type === 'preVote' || m.type === 'vote');
    for (const m of reqs) {
      if (!grant.includes(m.to)) continue;
      const type = m.type === 'preVote' ? 'preVoteResp' : 'voteResp';
      raw.step({ type, from: m.to, to: id, term: m.term, reject: false });
    }
  }
  if (raw.status().softState.role !== 'leader') throw new Error(`node ${id} did not win`);
  while (raw.hasReady()) cycle(raw);
}

export function appendResp(from: NodeId, to: NodeId, term: number, index: number): Message {
  return { type: 'appendResp', from, to, term, reject: false, index, rejectHint: 0, hintTerm: 0 };
}

/** The error `f` throws (fails the test if it returns). */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
