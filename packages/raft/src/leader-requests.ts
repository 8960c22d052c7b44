// The leader's decisions on the driver's requests: which proposals it takes
// (and which it drops, with a reason), read index, leadership transfer
// (thesis §3.10), and what the transport reports about a follower.
import { applyConfChange } from './confchange.js';
import {
  InvalidConfChangeError,
  ProposalDroppedError,
  ReadIndexRefusedError,
  TransferRefusedError,
} from './errors.js';
import type { LocalInput, LocalResult, ProposeResult, RequestResult } from './local-input.js';
import { isVoter } from './quorum.js';
import type { Raft } from './raft.js';
import { CONF_CHANGE_ENTRY_BYTES, ENTRY_OVERHEAD_BYTES } from './sizes.js';
import type { ConfChange, NodeId } from './types.js';
import { NONE } from './types.js';

export function stepLeaderLocal<I extends LocalInput>(r: Raft, input: I): LocalResult<I>;
export function stepLeaderLocal(r: Raft, input: LocalInput): LocalResult<LocalInput> {
  switch (input.type) {
    case 'propose':
      return propose(r, input.data);
    case 'proposeConfChange':
      return proposeConfChange(r, input.change);
    case 'readIndex':
      return r.leaderRead(r.id, input.context)
        ? { ok: true }
        : { ok: false, error: new ReadIndexRefusedError('pendingLimit') };
    case 'transferLeadership':
      return transferLeadership(r, input.to);
    case 'unreachable': {
      // Stop pipelining to it and probe.
      const pr = r.progress.get(input.id);
      if (pr?.state === 'replicate') pr.becomeProbe();
      return undefined;
    }
    case 'snapshotStatus': {
      const pr = r.progress.get(input.id);
      if (pr?.state !== 'snapshot') return undefined;
      if (!input.ok) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      // Wait for the follower's next heartbeat response before probing.
      pr.probeSent = true;
      return undefined;
    }
  }
}

function propose(r: Raft, data: Uint8Array): ProposeResult {
  const refused = refuseProposal(r);
  if (refused !== undefined) return refused;
  if (!fitsUncommitted(r, data.length + ENTRY_OVERHEAD_BYTES)) {
    return { ok: false, error: new ProposalDroppedError('uncommittedLimit') };
  }
  const [e] = r.appendAsLeader([{ type: 'normal', data }]);
  return { ok: true, index: e!.index, term: e!.term };
}

/** A membership change takes effect when its entry is applied, one at a time. */
function proposeConfChange(r: Raft, cc: ConfChange): ProposeResult {
  const refused = refuseProposal(r);
  if (refused !== undefined) return refused;
  if (!r.committedEntryInCurrentTerm())
    return { ok: false, error: new ProposalDroppedError('notCommittedInTerm') };
  if (r.pendingConfIndex > r.log.applied)
    return { ok: false, error: new ProposalDroppedError('confChangePending') };
  const outcome = applyConfChange(r.conf, cc);
  if (!outcome.ok) return { ok: false, error: new InvalidConfChangeError(outcome.detail) };
  if (!fitsUncommitted(r, CONF_CHANGE_ENTRY_BYTES + (cc.context?.length ?? 0))) {
    return { ok: false, error: new ProposalDroppedError('uncommittedLimit') };
  }
  const [e] = r.appendAsLeader([{ type: 'confChange', change: cc }]);
  r.pendingConfIndex = e!.index;
  return { ok: true, index: e!.index, term: e!.term };
}

/** A leader in the middle of a transfer, or removed from the configuration, takes no proposals. */
function refuseProposal(r: Raft): ProposeResult | undefined {
  if (r.leadTransferee !== NONE)
    return { ok: false, error: new ProposalDroppedError('transferring') };
  if (!isVoter(r.conf, r.id))
    return { ok: false, error: new ProposalDroppedError('removedFromCluster') };
  return undefined;
}

function fitsUncommitted(r: Raft, bytes: number): boolean {
  // An empty pipeline always takes one entry, however large.
  const used = r.uncommittedBytes;
  return used === 0 || used + bytes <= r.cfg.maxUncommittedBytes;
}

function transferLeadership(r: Raft, to: NodeId): RequestResult {
  if (to === r.id) return { ok: true };
  const pr = r.progress.get(to);
  if (pr === undefined) return { ok: false, error: new TransferRefusedError('unknownTarget', to) };
  if (!isVoter(r.conf, to))
    return { ok: false, error: new TransferRefusedError('learnerTarget', to) };
  if (r.leadTransferee === to) return { ok: true };
  r.leadTransferee = to;
  // The transfer gets one election timeout to finish.
  r.electionElapsed = 0;
  if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(to);
  else r.sendAppend(to, true);
  return { ok: true };
}
