// @flotilla/client: one KV interface, three backends (embedded node, remote
// Flotilla cluster over HTTP, real etcd through etcd3), and the lock and
// election recipes built on that interface alone. The etcd backend is the
// subpath @flotilla/client/etcd, so this entry point never loads etcd3.

// The KV interface every backend implements, and what its calls take and return
// (the response shapes are @flotilla/kv's, re-exported).
export type {
  Bytes,
  CompareOp,
  CompareResult,
  CompareSpec,
  CompareTarget,
  Consistency,
  DeleteOptions,
  DeleteRangeResponse,
  Event,
  GetOptions,
  KeyRange,
  KeyValue,
  KV,
  KvStatus,
  LeaseGrant,
  LeaseTimeToLive,
  OpSpec,
  PutOptions,
  PutResponse,
  RangeOptions,
  RangeResponse,
  RangeSpec,
  SortOrder,
  SortTarget,
  TxnResponse,
  TxnSpec,
  Watch,
  WatchBatch,
  WatchFilter,
  WatchOptions,
} from './types.js';
export { remoteKv, type RemoteKvOptions } from './remote/remote-backend.js';
export type { RemoteTlsOptions } from './remote/tls.js';
export { embeddedKv, type EmbeddedKvOptions } from './embedded/embedded-backend.js';
export { toBytes, textOf, text, prefixEnd } from './bytes.js';
export { compare, op } from './normalize.js';
export { backoffMs, DEFAULT_RETRY, type RetryEnv, type RetryOptions } from './retry.js';
export {
  ClientUnknownOutcomeError,
  UnavailableError,
  ClientClosedError,
  WatchCanceledError,
  UnexpectedResponseError,
  AbortedError,
  ElectionNotLeaderError,
  KvError,
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  LeaseExistsError,
  KeyNotFoundError,
  InvalidRequestError,
  KeyTooLargeError,
  ValueTooLargeError,
  TooManyOpsError,
  RequestTooLargeError,
  StaleSequenceError,
  SessionExpiredError,
} from './errors.js';
// Auth refusals (the same classes on every backend that has auth).
export {
  AuthFailedError,
  InvalidAuthTokenError,
  PermissionDeniedError,
  UserEmptyError,
  AuthNotEnabledError,
} from '@flotilla/kv';
export type { Credentials } from './remote/auth-session.js';
export { Lock, type LockHold } from './recipes/lock.js';
export { Election, type Leadership } from './recipes/election.js';
export { Session, type SessionOptions } from './recipes/session.js';
export { keepAliveEvery, type KeepAlive, type KeepAliveOptions } from './recipes/keep-alive.js';
