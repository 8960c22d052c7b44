// RawNode configuration: defaults and validation. Bad configuration is driver
// misuse, so it throws ConfigError at construction rather than failing later.
import { ConfigError } from './errors.js';
import type { Rng } from './rng.js';
import type { ConfState, Entry, HardState, NodeId, SnapshotMeta } from './types.js';

/** What storage loaded (restart), or the bootstrap state of a brand-new node. */
export interface InitialState {
  readonly hardState: HardState;
  /**
   * The configuration at the compaction point: for a node without a snapshot,
   * the cluster's bootstrap configuration (the same on every node, including
   * nodes added later); with a snapshot, `snapshotMeta.confState` is used and
   * this must equal it. Conf changes in the log up to `applied` are replayed.
   */
  readonly confState: ConfState;
  /** The compaction point: the log holds only entries after `snapshotMeta.index`. */
  readonly snapshotMeta?: SnapshotMeta;
  /** The stored log after the compaction point, contiguous. */
  readonly entries: readonly Entry[];
  /** The index the state machine has already applied (default: the snapshot index, or 0). */
  readonly applied?: number;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly rng: Rng;
  /** Election timeout; a follower's is randomized in [electionTicks, 2*electionTicks). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /**
   * A restarted voter (stored term > 0) ignores vote and pre-vote requests of
   * higher terms for electionTicks ticks after it starts. Before its restart it
   * may have acknowledged a leader, promising not to help elect another for an
   * election timeout (the leader lease, thesis §6.4.1), and it no longer knows
   * which leader or when. A brand-new member (term 0) has promised nothing, so
   * a new cluster elects as fast as ever. Default false.
   */
  readonly leaseGuardAtRestart?: boolean;
  /** 'leaseBased' answers reads from the leader's lease; it requires checkQuorum. */
  readonly readOnly?: 'safe' | 'leaseBased';
  /** Upper bound on the entries' bytes in one append (at least one entry is always sent). */
  readonly maxMsgBytes?: number;
  /** Appends in flight to one follower in replicate state before sending pauses. */
  readonly maxInflightMsgs?: number;
  /** Entry bytes in flight to one follower in replicate state before sending pauses (at least one append always goes). */
  readonly maxInflightBytes?: number;
  /** Bytes of uncommitted entries a leader accepts before refusing proposals. */
  readonly maxUncommittedBytes?: number;
  /** Upper bound on committedEntries' bytes in one Ready (at least one entry). */
  readonly maxCommittedBytesPerReady?: number;
  /** Read-index requests a leader keeps waiting (confirmation or first commit). */
  readonly maxPendingReads?: number;
  readonly initial: InitialState;
}

export interface ResolvedConfig {
  readonly id: NodeId;
  readonly rng: Rng;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly leaseGuardAtRestart: boolean;
  readonly readOnly: 'safe' | 'leaseBased';
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly maxUncommittedBytes: number;
  readonly maxCommittedBytesPerReady: number;
  readonly maxPendingReads: number;
}

const MIB = 1024 * 1024;

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  positiveInt('id', c.id);
  const electionTicks = positiveInt('electionTicks', c.electionTicks ?? 10);
  const heartbeatTicks = positiveInt('heartbeatTicks', c.heartbeatTicks ?? 1);
  if (heartbeatTicks >= electionTicks) {
    throw new ConfigError(
      `heartbeatTicks (${heartbeatTicks}) must be smaller than electionTicks (${electionTicks})`,
    );
  }
  const checkQuorum = c.checkQuorum ?? true;
  const readOnly = c.readOnly ?? 'safe';
  if (readOnly === 'leaseBased' && !checkQuorum) {
    throw new ConfigError(
      "readOnly 'leaseBased' requires checkQuorum: without it a deposed leader could serve stale reads",
    );
  }
  return {
    id: c.id,
    rng: c.rng,
    electionTicks,
    heartbeatTicks,
    preVote: c.preVote ?? true,
    checkQuorum,
    leaseGuardAtRestart: c.leaseGuardAtRestart ?? false,
    readOnly,
    maxMsgBytes: positiveInt('maxMsgBytes', c.maxMsgBytes ?? MIB),
    maxInflightMsgs: positiveInt('maxInflightMsgs', c.maxInflightMsgs ?? 256),
    maxInflightBytes: positiveInt('maxInflightBytes', c.maxInflightBytes ?? 16 * MIB),
    maxUncommittedBytes: positiveInt('maxUncommittedBytes', c.maxUncommittedBytes ?? 64 * MIB),
    maxCommittedBytesPerReady: positiveInt(
      'maxCommittedBytesPerReady',
      c.maxCommittedBytesPerReady ?? 64 * MIB,
    ),
    maxPendingReads: positiveInt('maxPendingReads', c.maxPendingReads ?? 4096),
  };
}
