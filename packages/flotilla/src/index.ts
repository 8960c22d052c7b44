// flotilla: the one package to install. A Flotilla node embedded in this
// process (openNode / createNode), the byte helpers, the client's KV
// interface over an embedded node or a remote cluster, the lock and election
// recipes, and the typed errors; the `flotilla` command comes as its bin. The
// etcd backend is the subpath flotilla/etcd (it needs etcd3), kept apart so
// this entry point never loads gRPC.
//
// Every error class name is unique across the packages, and every error
// declares a category (@flotilla/errors): decide with isNotApplied,
// isOutcomeUnknown, isBadInput, isEnvironment and isBug, not by class lists.

// A node in this process.
export { openNode, createNode, FlotillaNode, DEFAULT_OPTIONS } from '@flotilla/node';
export type {
  OpenNodeOptions,
  NodeOptions,
  CreateNodeParams,
  WriteOptions,
  ReadOptions,
  ReadConsistency,
  NodeHeader,
  NodeStatus,
  PeerProgress,
  NodeEvents,
  NodeEventName,
  MetricsStatus,
  FollowerLatency,
  HistogramSummary,
  RtoRecord,
} from '@flotilla/node';
export {
  NotLeaderError,
  ProposalDroppedError,
  TooManyRequestsError,
  UnknownOutcomeError,
  ProposalLostError,
  RequestTimeoutError,
  NodeClosedError,
  NodeFailedError,
  NodeOptionsError,
  NodeWorkerExitedError,
} from '@flotilla/node';

// Keys and values are bytes.
export { bytes, text, prefixEnd } from '@flotilla/kv';

// Errors the store reports, the same classes on every backend.
export {
  KvError,
  KeyTooLargeError,
  ValueTooLargeError,
  TooManyOpsError,
  RequestTooLargeError,
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  LeaseExistsError,
  KeyNotFoundError,
  InvalidRequestError,
  StaleSequenceError,
} from '@flotilla/kv';

// One KV interface over an embedded node or a remote cluster.
export type {
  KV,
  Bytes,
  KeyRange,
  Consistency,
  RangeOptions,
  RangeSpec,
  GetOptions,
  PutOptions,
  DeleteOptions,
  CompareOp,
  CompareSpec,
  OpSpec,
  TxnSpec,
  WatchOptions,
  WatchBatch,
  Watch,
  LeaseGrant,
  LeaseTimeToLive,
  KvStatus,
  KeyValue,
  Event,
  RangeResponse,
  PutResponse,
  DeleteRangeResponse,
  TxnResponse,
  EmbeddedKvOptions,
  RemoteKvOptions,
  RetryOptions,
  LockHold,
  Leadership,
  SessionOptions,
  KeepAlive,
  KeepAliveOptions,
} from '@flotilla/client';
export {
  embeddedKv,
  remoteKv,
  toBytes,
  textOf,
  compare,
  op,
  Lock,
  Election,
  Session,
  keepAliveEvery,
  UnavailableError,
  ClientClosedError,
  WatchCanceledError,
  UnexpectedResponseError,
  AbortedError,
  ElectionNotLeaderError,
  ClientUnknownOutcomeError,
} from '@flotilla/client';

// The error taxonomy.
export {
  FlotillaError,
  categoryOf,
  isNotApplied,
  isOutcomeUnknown,
  isBadInput,
  isEnvironment,
  isBug,
  isExpected,
} from '@flotilla/errors';
export type { ErrorCategory } from '@flotilla/errors';
