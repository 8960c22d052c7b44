// Sample messages for the tests: one of each kind a transport must carry.
import type { Message, NodeId } from '@flotilla/raft';

export function append(
  from: NodeId,
  to: NodeId,
  term: number,
  payloads: readonly number[][] = [[1, 2, 3]],
): Message {
  return {
    type: 'append',
    from,
    to,
    term,
    prevIndex: 4,
    prevTerm: 1,
    commit: 3,
    entries: payloads.map((bytes, i) => ({
      type: 'normal' as const,
      term,
      index: 5 + i,
      data: new Uint8Array(bytes),
    })),
  };
}

export function heartbeat(from: NodeId, to: NodeId, term: number, context = ''): Message {
  return { type: 'heartbeat', from, to, term, commit: 0, context };
}

/** One message of every type, addressed from → to. */
export function everyKind(from: NodeId, to: NodeId): Message[] {
  const env = { from, to, term: 7 };
  const confState = { voters: [1, 2, 3], votersOutgoing: [], learners: [4], learnersNext: [] };
  return [
    { ...env, type: 'preVote', lastLogIndex: 10, lastLogTerm: 6 },
    { ...env, type: 'preVoteResp', reject: false },
    { ...env, type: 'vote', lastLogIndex: 10, lastLogTerm: 6, transfer: true },
    { ...env, type: 'voteResp', reject: true },
    {
      ...env,
      type: 'append',
      prevIndex: 9,
      prevTerm: 6,
      commit: 8,
      entries: [
        { type: 'normal', term: 7, index: 10, data: new Uint8Array([0, 255, 7]) },
        { type: 'normal', term: 7, index: 11, data: new Uint8Array(0) },
        {
          type: 'confChange',
          term: 7,
          index: 12,
          change: { changes: [{ op: 'addLearner', nodeId: 4 }], joint: false },
        },
      ],
    },
    { ...env, type: 'appendResp', reject: true, index: 9, rejectHint: 5, hintTerm: 3 },
    { ...env, type: 'heartbeat', commit: 8, context: 'ctx' },
    { ...env, type: 'heartbeatResp', context: 'ctx' },
    {
      ...env,
      type: 'snapshot',
      snapshot: { meta: { index: 100, term: 6, confState }, data: new Uint8Array(70_000).fill(9) },
    },
    { ...env, type: 'timeoutNow' },
    { ...env, type: 'readIndex', context: 'r1' },
    { ...env, type: 'readIndexResp', index: 99, context: 'r1', reject: false },
  ];
}
