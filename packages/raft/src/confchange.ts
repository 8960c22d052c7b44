// Applying a ConfChange to a ConfState (pure). A change of at most one voter
// is applied directly; more than one voter change, or `joint: true`, enters a
// joint configuration C_old,new whose leave entry (`changes: []`) the leader
// proposes itself once the joint entry is applied (Raft thesis §4.3).
import { isJoint } from './quorum.js';
import type { ConfChange, ConfChangeSingle, ConfState, NodeId } from './types.js';

export type ConfChangeOutcome =
  | { readonly ok: true; readonly confState: ConfState }
  | { readonly ok: false; readonly detail: string };

export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}

export function applyConfChange(cs: ConfState, cc: ConfChange): ConfChangeOutcome {
  for (const c of cc.changes) {
    if (!Number.isInteger(c.nodeId) || c.nodeId <= 0) {
      return { ok: false, detail: `node id ${c.nodeId} is not a positive integer` };
    }
  }
  if (isLeaveJoint(cc)) {
    if (cc.joint === true) return { ok: false, detail: 'a joint change needs at least one change' };
    if (!isJoint(cs))
      return { ok: false, detail: 'cannot leave a joint configuration: not in one' };
    return { ok: true, confState: leaveJoint(cs) };
  }
  if (isJoint(cs)) {
    return {
      ok: false,
      detail: 'the configuration is joint; wait for the leave entry to be applied first',
    };
  }
  const sets = mutableSets(cs);
  for (const c of cc.changes) applySingle(sets, c, new Set<NodeId>());
  const changedVoters = symmetricDifference(cs.voters, sets.voters).length;
  const joint = cc.joint === true || changedVoters > 1;
  if (!joint) {
    if (sets.voters.size === 0) return { ok: false, detail: 'the change would remove every voter' };
    return { ok: true, confState: freeze(sets, []) };
  }
  // Redo the changes with the outgoing set in place, so that a voter demoted to
  // learner waits in learnersNext until the joint configuration is left.
  const outgoing = new Set(cs.voters);
  const jointSets = mutableSets(cs);
  for (const c of cc.changes) applySingle(jointSets, c, outgoing);
  if (jointSets.voters.size === 0)
    return { ok: false, detail: 'the incoming configuration would have no voters' };
  return { ok: true, confState: freeze(jointSets, [...outgoing]) };
}

function leaveJoint(cs: ConfState): ConfState {
  const learners = new Set([...cs.learners, ...cs.learnersNext]);
  for (const v of cs.voters) learners.delete(v);
  return {
    voters: [...cs.voters],
    votersOutgoing: [],
    learners: sorted(learners),
    learnersNext: [],
  };
}

interface MutableSets {
  voters: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
}

function mutableSets(cs: ConfState): MutableSets {
  return {
    voters: new Set(cs.voters),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
  };
}

function applySingle(s: MutableSets, c: ConfChangeSingle, outgoing: ReadonlySet<NodeId>): void {
  const id = c.nodeId;
  switch (c.op) {
    case 'addVoter':
      s.learners.delete(id);
      s.learnersNext.delete(id);
      s.voters.add(id);
      return;
    case 'addLearner':
      s.voters.delete(id);
      if (outgoing.has(id)) {
        // Still a voter of C_old: it becomes a learner only when C_old is left.
        s.learners.delete(id);
        s.learnersNext.add(id);
      } else {
        s.learners.add(id);
      }
      return;
    case 'removeNode':
      s.voters.delete(id);
      s.learners.delete(id);
      s.learnersNext.delete(id);
      return;
    default: {
      const never: never = c.op;
      throw new Error(`unknown conf change op ${String(never)}`);
    }
  }
}

function freeze(s: MutableSets, outgoing: NodeId[]): ConfState {
  return {
    voters: sorted(s.voters),
    votersOutgoing: [...outgoing].sort((a, b) => a - b),
    learners: sorted(s.learners),
    learnersNext: sorted(s.learnersNext),
  };
}

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

function symmetricDifference(a: readonly NodeId[], b: ReadonlySet<NodeId>): NodeId[] {
  const as = new Set(a);
  return [...a.filter((x) => !b.has(x)), ...[...b].filter((x) => !as.has(x))];
}

/** A ConfState as given by a driver, checked and normalised (sorted, disjoint). */
export function normaliseConfState(cs: ConfState): ConfChangeOutcome {
  const voters = new Set(cs.voters);
  for (const l of cs.learners) {
    if (voters.has(l)) return { ok: false, detail: `node ${l} is both a voter and a learner` };
  }
  for (const l of cs.learnersNext) {
    if (!cs.votersOutgoing.includes(l))
      return { ok: false, detail: `learnerNext ${l} is not an outgoing voter` };
  }
  return {
    ok: true,
    confState: {
      voters: sorted(voters),
      votersOutgoing: sorted(new Set(cs.votersOutgoing)),
      learners: sorted(new Set(cs.learners)),
      learnersNext: sorted(new Set(cs.learnersNext)),
    },
  };
}
