// Message entry point: term handling and voting, common to every role (Raft
// paper §5.1, §5.2, §5.4.1; thesis §9.6 PreVote, §4.2.3 leader lease), then
// the role's own step function.
import { StepRejectedError } from './errors.js';
import type { Raft } from './raft.js';
import { stepCandidate, stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import type { StepResult } from './step-result.js';
import type { Message } from './types.js';
import { NONE } from './types.js';

const OK: StepResult = { ok: true };

function rejected(reason: StepRejectedError['reason'], detail: string): StepResult {
  return { ok: false, error: new StepRejectedError(reason, detail) };
}

export function step(r: Raft, m: Message): StepResult {
  if (m.to !== r.id)
    return rejected('wrongRecipient', `a ${m.type} for node ${m.to} reached node ${r.id}`);
  // A forwarded read request carries no term: it moves no one's term.
  if (m.type !== 'readIndex') {
    if (m.term > r.term) {
      const ignored = stepHigherTerm(r, m);
      if (ignored !== undefined) return ignored;
    } else if (m.term < r.term) {
      stepLowerTerm(r, m);
      return rejected('staleTerm', `${m.type} from ${m.from} at term ${m.term} < ${r.term}`);
    }
  }
  if (m.type === 'preVote' || m.type === 'vote') {
    handleVoteRequest(r, m);
    return OK;
  }
  switch (r.role) {
    case 'leader':
      return stepLeader(r, m);
    case 'candidate':
    case 'preCandidate':
      return stepCandidate(r, m);
    case 'follower':
      return stepFollower(r, m);
  }
}

/** Returns a result if the message is to be ignored, else adjusts the term. */
function stepHigherTerm(r: Raft, m: Message): StepResult | undefined {
  if (m.type === 'preVote' || m.type === 'vote') {
    const force = m.type === 'vote' && m.transfer;
    // Leader lease: while we hear from a live leader, nobody may depose it.
    const inLease = r.cfg.checkQuorum && r.lead !== NONE && r.electionElapsed < r.cfg.electionTicks;
    if (!force && inLease)
      return rejected('leaseHeld', `${m.type} from ${m.from} ignored: leader ${r.lead} is alive`);
    // Just restarted: a lease we granted before may still run, to a leader we no longer know.
    if (!force && r.restartGuardTicks > 0) {
      return rejected(
        'leaseHeld',
        `${m.type} from ${m.from} ignored: restarted less than an election timeout ago, a lease it granted before may still hold`,
      );
    }
  }
  // A pre-vote (or its grant) carries a future term: no one adopts it.
  if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) return undefined;
  // No leader yet: for an append, heartbeat or snapshot the follower's handler
  // records the sender as leader (heardFromLeader) right after this.
  r.becomeFollower(m.term, NONE);
  return undefined;
}

function stepLowerTerm(r: Raft, m: Message): void {
  if ((r.cfg.checkQuorum || r.cfg.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
    // A deposed leader (e.g. back from a partition) learns our term and steps
    // down; with PreVote it might otherwise never hear a higher term.
    r.send({
      type: 'appendResp',
      from: r.id,
      to: m.from,
      term: r.term,
      reject: true,
      index: 0,
      rejectHint: 0,
      hintTerm: 0,
    });
  } else if (m.type === 'preVote') {
    r.send({ type: 'preVoteResp', from: r.id, to: m.from, term: r.term, reject: true });
  }
}

function handleVoteRequest(r: Raft, m: Extract<Message, { type: 'preVote' | 'vote' }>): void {
  const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
  // At most one vote per term; a pre-vote for a future term binds nothing.
  const canVote =
    r.vote === m.from ||
    (r.vote === NONE && r.lead === NONE) ||
    (m.type === 'preVote' && m.term > r.term);
  if (canVote && r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
    r.send({ type: respType, from: r.id, to: m.from, term: m.term, reject: false });
    if (m.type === 'vote') {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
  }
}
