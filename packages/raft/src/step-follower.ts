// Followers and candidates: accepting the leader's log (§5.3), snapshots
// (§7), elections (§5.2) and forwarded reads. Every response goes into
// `messages`, i.e. is sent only after the Ready that holds the new state is
// persisted.
import { invariant } from './errors.js';
import type { Raft } from './raft.js';
import type { StepResult } from './step-result.js';
import type { Message } from './types.js';
import { NONE } from './types.js';

type Msg<T extends Message['type']> = Extract<Message, { type: T }>;

const OK: StepResult = { ok: true };

export function stepFollower(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'append':
      heardFromLeader(r, m.from);
      handleAppend(r, m);
      return OK;
    case 'heartbeat':
      heardFromLeader(r, m.from);
      handleHeartbeat(r, m);
      return OK;
    case 'snapshot':
      heardFromLeader(r, m.from);
      handleSnapshot(r, m);
      return OK;
    case 'timeoutNow':
      // The leader hands over: campaign now, skipping PreVote and the lease.
      r.campaign('transfer');
      return OK;
    case 'readIndex':
      if (r.lead !== NONE)
        r.send({ type: 'readIndex', from: r.id, to: r.lead, term: 0, context: m.context });
      return OK;
    case 'readIndexResp':
      handleReadIndexResp(r, m);
      return OK;
    case 'preVote':
    case 'vote':
    case 'preVoteResp':
    case 'voteResp':
    case 'appendResp':
    case 'heartbeatResp':
      return OK;
    default: {
      const never: never = m;
      throw new Error(`unhandled message ${JSON.stringify(never)}`);
    }
  }
}

export function stepCandidate(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // A leader of our term exists: we lost this election.
      r.becomeFollower(m.term, m.from);
      return stepFollower(r, m);
    case 'preVoteResp':
    case 'voteResp': {
      const mine = (r.role === 'preCandidate') === (m.type === 'preVoteResp');
      if (!mine) return OK;
      const result = r.poll(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === 'preCandidate') r.campaign('election');
        else r.becomeLeader();
      } else if (result === 'lost') {
        r.becomeFollower(r.term, NONE);
      }
      return OK;
    }
    case 'readIndexResp':
      handleReadIndexResp(r, m);
      return OK;
    case 'timeoutNow':
    case 'readIndex':
    case 'preVote':
    case 'vote':
    case 'appendResp':
    case 'heartbeatResp':
      return OK;
    default: {
      const never: never = m;
      throw new Error(`unhandled message ${JSON.stringify(never)}`);
    }
  }
}

function heardFromLeader(r: Raft, leader: number): void {
  r.electionElapsed = 0;
  r.lead = leader;
}

function handleAppend(r: Raft, m: Msg<'append'>): void {
  const log = r.log;
  if (m.prevIndex < log.committed) {
    // Everything up to our commit is settled; tell the leader where we are.
    reply(r, m.from, false, log.committed);
    return;
  }
  if (!log.matchTerm(m.prevIndex, m.prevTerm)) {
    const hint = log.findConflictByTerm(Math.min(m.prevIndex, log.lastIndex()), m.prevTerm);
    r.send({
      type: 'appendResp',
      from: r.id,
      to: m.from,
      term: r.term,
      reject: true,
      index: m.prevIndex,
      rejectHint: hint.index,
      hintTerm: hint.term,
    });
    return;
  }
  m.entries.forEach((e, i) => {
    invariant(
      e.index === m.prevIndex + 1 + i && e.term <= m.term,
      () =>
        `append from ${m.from} (term ${m.term}) has entry ${e.index}@${e.term} at position ${i} after prevIndex ${m.prevIndex}`,
    );
  });
  const lastNew = m.prevIndex + m.entries.length;
  const conflict = log.findConflict(m.entries);
  if (conflict !== 0) {
    // Log matching: anything we hold from `conflict` on differs from the leader's; replace it.
    // conflict > prevIndex ≥ commit (checked above), and log.append asserts it again.
    log.append(m.entries.slice(conflict - (m.prevIndex + 1)));
  }
  log.commitTo(Math.min(m.commit, lastNew));
  reply(r, m.from, false, lastNew);
}

function handleHeartbeat(r: Raft, m: Msg<'heartbeat'>): void {
  r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send({ type: 'heartbeatResp', from: r.id, to: m.from, term: r.term, context: m.context });
}

function handleSnapshot(r: Raft, m: Msg<'snapshot'>): void {
  const { meta } = m.snapshot;
  const log = r.log;
  if (meta.index <= log.committed) {
    // Stale: we already have (and may have applied) everything it holds.
    reply(r, m.from, false, log.committed);
    return;
  }
  if (log.matchTerm(meta.index, meta.term)) {
    // We hold the snapshot's last entry: the prefix matches, just commit it.
    log.commitTo(meta.index);
    reply(r, m.from, false, log.committed);
    return;
  }
  // Installed even if its configuration lacks us: a node added after the
  // snapshot's index learns of its own addition from the entries that follow.
  log.restore(m.snapshot);
  r.restoreConf(meta);
  reply(r, m.from, false, log.lastIndex());
}

function reply(r: Raft, to: number, reject: boolean, index: number): void {
  r.send({
    type: 'appendResp',
    from: r.id,
    to,
    term: r.term,
    reject,
    index,
    rejectHint: 0,
    hintTerm: 0,
  });
}

function handleReadIndexResp(r: Raft, m: Msg<'readIndexResp'>): void {
  if (m.reject) r.droppedReads.push({ context: m.context, reason: 'rejectedByLeader' });
  else r.readStates.push({ index: m.index, context: m.context });
}
