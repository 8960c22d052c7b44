// Quorum arithmetic over a configuration. In a joint configuration both the
// incoming and the outgoing voter sets must agree (Raft thesis §4.3); an empty
// outgoing set places no constraint.
import type { ConfState, NodeId } from './types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

/** The largest index that a majority of `voters` has reached. */
function majorityIndex(voters: readonly NodeId[], indexOf: (id: NodeId) => number): number {
  if (voters.length === 0) return Infinity;
  const sorted = voters.map(indexOf).sort((a, b) => b - a);
  return sorted[Math.floor(voters.length / 2)]!;
}

/** The highest index replicated on a quorum (majority of each set when joint). */
export function committedIndex(conf: ConfState, indexOf: (id: NodeId) => number): number {
  const idx = Math.min(
    majorityIndex(conf.voters, indexOf),
    majorityIndex(conf.votersOutgoing, indexOf),
  );
  return idx === Infinity ? 0 : idx;
}

function majorityVote(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const quorum = Math.floor(voters.length / 2) + 1;
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

/** The outcome of an election (or any yes/no poll) given the votes so far. */
export function voteResult(conf: ConfState, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const a = majorityVote(conf.voters, votes);
  const b = majorityVote(conf.votersOutgoing, votes);
  if (a === 'lost' || b === 'lost') return 'lost';
  if (a === 'won' && b === 'won') return 'won';
  return 'pending';
}

/** Every voter of the configuration (incoming ∪ outgoing), sorted, without duplicates. */
export function allVoters(conf: ConfState): NodeId[] {
  return [...new Set([...conf.voters, ...conf.votersOutgoing])].sort((a, b) => a - b);
}

/** Every member: voters, learners and learners-to-be. */
export function allMembers(conf: ConfState): NodeId[] {
  return [...new Set([...allVoters(conf), ...conf.learners, ...conf.learnersNext])].sort(
    (a, b) => a - b,
  );
}

export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.votersOutgoing.includes(id);
}

export function isJoint(conf: ConfState): boolean {
  return conf.votersOutgoing.length > 0;
}
