// The leader: replication responses and flow control (§5.3, thesis §10.2),
// commit by counting (§5.4.2), read-index confirmation (thesis §6.4) and
// leadership transfer (thesis §3.10).
import type { Raft } from './raft.js';
import type { StepResult } from './step-result.js';
import { RaftInvariantError, StepRejectedError } from './errors.js';
import type { Message } from './types.js';

type Msg<T extends Message['type']> = Extract<Message, { type: T }>;

const OK: StepResult = { ok: true };

export function stepLeader(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'appendResp':
      return withProgress(r, m, () => handleAppendResp(r, m));
    case 'heartbeatResp':
      return withProgress(r, m, () => handleHeartbeatResp(r, m));
    case 'readIndex':
      if (!r.leaderRead(m.from, m.context)) {
        r.send({
          type: 'readIndexResp',
          from: r.id,
          to: m.from,
          term: r.term,
          index: 0,
          context: m.context,
          reject: true,
        });
      }
      return OK;
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // Another leader in our own term would break election safety.
      throw new RaftInvariantError(
        `leader ${r.id} of term ${r.term} got a ${m.type} from ${m.from} of the same term`,
      );
    case 'preVote':
    case 'vote':
    case 'preVoteResp':
    case 'voteResp':
    case 'timeoutNow':
    case 'readIndexResp':
      return OK;
    default: {
      const never: never = m;
      throw new Error(`unhandled message ${JSON.stringify(never)}`);
    }
  }
}

function withProgress(r: Raft, m: Message, handle: () => void): StepResult {
  const pr = r.progress.get(m.from);
  if (pr === undefined) {
    return {
      ok: false,
      error: new StepRejectedError('unknownSender', `${m.type} from ${m.from}, not a member`),
    };
  }
  pr.recentActive = true;
  handle();
  return OK;
}

function handleAppendResp(r: Raft, m: Msg<'appendResp'>): void {
  const pr = r.progress.get(m.from)!;
  if (m.reject) {
    // Fast back-off: jump to the last index where our logs can match.
    const probe =
      m.hintTerm > 0 ? r.log.findConflictByTerm(m.rejectHint, m.hintTerm).index : m.rejectHint;
    if (pr.maybeDecrTo(m.index, probe)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      r.sendAppend(m.from, true);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe')) {
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (r.maybeCommit()) r.bcastAppend(true);
    else if (wasPaused) r.sendAppend(m.from, true);
    // Fill the inflight window with whatever else is waiting.
    while (r.sendAppend(m.from, false));
    if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from);
  }
}

function handleHeartbeatResp(r: Raft, m: Msg<'heartbeatResp'>): void {
  const pr = r.progress.get(m.from)!;
  // Recovery at most once per heartbeat interval (see Progress.heartbeatRecoveryDue).
  if (pr.heartbeatRecoveryDue) {
    pr.heartbeatRecoveryDue = false;
    pr.probeSent = false;
    // A full window with the follower still answering means appends were lost.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    // The follower lags: send what it lacks, or (if all is in flight) an empty
    // append at `next`, which it rejects if appends were lost, so we fall back to
    // probing. Over an ordered channel it just arrives after the real ones.
    if (pr.match < r.log.lastIndex()) r.sendAppend(m.from, true);
  }
  if (m.context !== '') r.maybeReleaseReads(m.context, r.reads.ack(m.from, m.context));
}
