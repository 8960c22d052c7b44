// @flotilla/raft: the pure Raft core. RawNode is the whole interface: feed it
// ticks, messages and proposals, take Ready batches out. Everything else here
// is the data those calls take and return.

// The core.
export { RawNode } from './raw-node.js';
export type { ProposeResult, RequestResult } from './local-input.js';
export type { InitialState, RaftConfig } from './config.js';
export type { StepResult } from './step-result.js';

// Membership changes.
export { applyConfChange, type ConfChangeOutcome } from './confchange.js';

// The data the core takes and returns.
export {
  NONE,
  type ConfChange,
  type ConfChangeEntry,
  type ConfChangeSingle,
  type ConfState,
  type DroppedRead,
  type Entry,
  type Envelope,
  type HardState,
  type Message,
  type MessageType,
  type NodeId,
  type NormalEntry,
  type ProgressStatus,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SnapshotMeta,
  type SoftState,
  type Status,
} from './types.js';

// Sizes, for byte limits counted the way the core counts them.
export { CONF_CHANGE_ENTRY_BYTES, ENTRY_OVERHEAD_BYTES, entryBytes } from './sizes.js';

// Seeded randomness (the core's only source of it).
export { randomInt, seededRng, type Rng } from './rng.js';

// Errors. The `invariant` assertion helper stays internal.
export {
  ConfigError,
  InvalidConfChangeError,
  NotLeaderError,
  RaftInvariantError,
  ProposalDroppedError,
  ReadIndexRefusedError,
  StepRejectedError,
  TransferRefusedError,
  type ProposalDropReason,
  type ReadDropReason,
  type StepRejectReason,
  type TransferRefusedReason,
} from './errors.js';
