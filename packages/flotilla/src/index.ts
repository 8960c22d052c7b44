// flotilla: the one package to install. A Flotilla node embedded in this
// process (openNode / createNode), the byte helpers, the client's KV
// interface over an embedded node or a remote cluster, the lock and election
// recipes, and the typed errors; the `flotilla` command comes as its bin. The
// etcd backend is the subpath flotilla/etcd (it needs etcd3), kept apart so
// this entry point never loads gRPC.
//
// Two errors exist twice with different meanings: the node's NotLeaderError
// and UnknownOutcomeError (what node.put and friends throw) keep their names;
// the client's are ElectionNotLeaderError (an Election call on a candidate
// that is not the leader) and ClientUnknownOutcomeError (a write through a KV
// backend whose outcome cannot be known).

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
  ProtocolError,
  AbortedError,
  NotLeaderError as ElectionNotLeaderError,
  UnknownOutcomeError as ClientUnknownOutcomeError,
} from '@flotilla/client';
