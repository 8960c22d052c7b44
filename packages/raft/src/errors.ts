// Errors of the Raft core. Expected failures (not the leader, proposal
// refused, bad conf change) are returned as data inside results; only broken
// invariants and driver misuse throw (RaftInvariantError, ConfigError).
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import type { NodeId } from './types.js';
import { NONE } from './types.js';

/** This node is not the leader. `leader` is the known leader, or NONE. */
export class NotLeaderError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'NotLeaderError';
  constructor(
    readonly leader: NodeId,
    operation: string,
  ) {
    super(
      leader === NONE
        ? `${operation} needs the leader, and no leader is known right now: retry after an election settles`
        : `${operation} needs the leader: send it to node ${leader}`,
    );
  }
}

export type ProposalDropReason =
  /** A leadership transfer is in progress; retry on the new leader. */
  | 'transferring'
  /** The leader holds more uncommitted bytes than maxUncommittedBytes allows. */
  | 'uncommittedLimit'
  /** A conf change is not yet applied; only one may be in flight. */
  | 'confChangePending'
  /** The leader has not yet committed an entry of its own term. */
  | 'notCommittedInTerm'
  /** The leader was removed from the configuration. */
  | 'removedFromCluster';

const dropAdvice: Record<ProposalDropReason, string> = {
  transferring: 'leadership is being transferred; retry on the new leader',
  uncommittedLimit: 'too many uncommitted bytes on the leader; retry after some entries commit',
  confChangePending: 'another conf change is not yet applied; retry once it is',
  notCommittedInTerm: 'the new leader has not committed an entry of its term yet; retry shortly',
  removedFromCluster: 'this leader is no longer a member of the cluster; retry on the new leader',
};

/** The leader refused a proposal; `reason` says why and the message what to do. */
export class ProposalDroppedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'ProposalDroppedError';
  constructor(readonly reason: ProposalDropReason) {
    super(`proposal dropped: ${dropAdvice[reason]}`);
  }
}

/** A conf change that cannot be applied to the current configuration. */
export class InvalidConfChangeError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'InvalidConfChangeError';
  constructor(readonly detail: string) {
    super(`invalid conf change: ${detail}`);
  }
}

export type TransferRefusedReason = 'unknownTarget' | 'learnerTarget';

/** transferLeadership named a node that cannot become leader. */
export class TransferRefusedError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'TransferRefusedError';
  constructor(
    readonly reason: TransferRefusedReason,
    readonly target: NodeId,
  ) {
    super(
      reason === 'unknownTarget'
        ? `cannot transfer leadership to node ${target}: it is not a member; pick a voter from status().confState.voters`
        : `cannot transfer leadership to node ${target}: it is a learner; promote it to voter first`,
    );
  }
}

export type ReadDropReason = 'pendingLimit';

/** A read-index request refused at once (see also Ready.droppedReads for later drops). */
export class ReadIndexRefusedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'ReadIndexRefusedError';
  constructor(readonly reason: ReadDropReason) {
    super('read index refused: too many reads are pending on this leader; retry shortly');
  }
}

/**
 * Why step() ignored a message: sent to another node, from an older term, from
 * a node not in the configuration, or a (pre-)vote refused because a leader's
 * lease may still hold (a live leader is known, or we restarted too recently).
 */
export type StepRejectReason = 'wrongRecipient' | 'staleTerm' | 'unknownSender' | 'leaseHeld';

/** step() did not act on a message. Normal in a real network; useful for diagnostics. */
export class StepRejectedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'StepRejectedError';
  constructor(
    readonly reason: StepRejectReason,
    detail: string,
  ) {
    super(`message ignored (${reason}): ${detail}`);
  }
}

/** The RawNode was configured wrongly; fix the config (thrown by the constructor). */
export class ConfigError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'ConfigError';
  constructor(detail: string) {
    super(`raft config: ${detail}`);
  }
}

/** A broken invariant or a driver that broke the Ready/advance contract. Never expected. */
export class RaftInvariantError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'RaftInvariantError';
  constructor(detail: string) {
    super(`raft invariant broken: ${detail}`);
  }
}

export function invariant(condition: boolean, detail: string | (() => string)): asserts condition {
  if (!condition) throw new RaftInvariantError(typeof detail === 'string' ? detail : detail());
}
