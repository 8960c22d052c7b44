// @flotilla/node: the running node. createNode composes any storage, transport
// and clock; openNode is the embedding convenience (LevelDB + TCP + real time).
export { createNode } from './create-node.js';
export { openNode, type OpenNodeOptions } from './open-node.js';
export { WorkerNode, type HopCounters } from './thread/worker-node.js';
export { NodeWorkerExitedError } from './thread/worker-exited-error.js';
export {
  FlotillaNode,
  type LeaseKeepAliveResponse,
  type NodeLeaseTimeToLive,
} from './flotilla-node.js';
export { InlineNode } from './node.js';
export type {
  CreateNodeParams,
  WriteOptions,
  ReadOptions,
  ReadConsistency,
  NodeHeader,
  WithHeader,
  NodeStatus,
  PeerProgress,
} from './types.js';
export {
  DEFAULT_OPTIONS,
  LEASE_CLOCK_DRIFT_MAX,
  leaseFractionMax,
  type NodeOptions,
  type UnsafeTestFaults,
} from './options.js';
export type { NodeEvents, NodeEventName } from './events.js';
export type { MetricsStatus, FollowerLatency } from './metrics.js';
export type { HistogramSummary } from './histogram.js';
export type { MemberNames } from './prometheus.js';
export type { RtoRecord } from './rto.js';
export {
  NotLeaderError,
  ProposalDroppedError,
  TooManyRequestsError,
  UnknownOutcomeError,
  ProposalLostError,
  RequestTimeoutError,
  NodeClosedError,
  LeaderChangedError,
  NodeOptionsError,
  NodeInvariantError,
} from './errors.js';
export { frameChunks, unframeChunks, snapshotFrameBytesMax } from './snapshot-framing.js';
export { SkewedClock, NO_SKEW, type ClockSkew } from './skewed-clock.js';
