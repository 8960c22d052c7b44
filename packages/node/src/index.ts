// @flotilla/node: the running node. createNode composes any storage, transport
// and clock; openNode is the embedding convenience (LevelDB + TCP + real time).

// Making a node.
export { createNode } from './create-node.js';
export { openNode, type OpenNodeOptions } from './open-node.js';
export {
  DEFAULT_OPTIONS,
  LEASE_CLOCK_DRIFT_MAX,
  leaseFractionMax,
  type NodeOptions,
  type ResolvedOptions,
  type UnsafeTestFaults,
} from './options.js';

// The node and what its calls take and return: FlotillaNode is the API; an
// InlineNode runs in this thread, a WorkerNode proxies one in a worker thread.
export {
  FlotillaNode,
  type LeaseKeepAliveResponse,
  type NodeLeaseTimeToLive,
} from './flotilla-node.js';
export { InlineNode } from './node.js';
export { WorkerNode, type HopCounters } from './thread/worker-node.js';
export type {
  CreateNodeParams,
  NodeHeader,
  NodeStatus,
  PeerProgress,
  ReadConsistency,
  ReadOptions,
  WithHeader,
  WriteOptions,
} from './types.js';

// Events and metrics.
export type { NodeEventName, NodeEvents } from './events.js';
export type { HistogramSummary } from './histogram.js';
export type { FollowerLatency, MetricsStatus } from './metrics.js';
export type { MemberNames } from './prometheus.js';
export type { RtoRecord } from './rto.js';

// Snapshot streams, shared with @flotilla/backup.
export { frameChunks, snapshotFrameBytesMax, unframeChunks } from './snapshot-framing.js';

// A clock that runs fast, slow or offset, for clock-fault simulation.
export { SkewedClock, type ClockSkew } from './skewed-clock.js';

// Errors.
export {
  LeaderChangedError,
  isNodeStopped,
  NodeClosedError,
  NodeFailedError,
  NodeInvariantError,
  NodeOptionsError,
  NotLeaderError,
  ProposalDroppedError,
  ProposalLostError,
  RequestTimeoutError,
  TooManyRequestsError,
  UnknownOutcomeError,
} from './errors.js';
export { NodeWorkerExitedError } from './thread/worker-exited-error.js';
