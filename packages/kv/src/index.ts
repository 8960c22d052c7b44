// @flotilla/kv: the replicated state machine (etcd v3's data model): MVCC
// keys and revisions, txn, leases, watch and auth, applied from Raft entries.

// The state machine and the commands it applies.
export type { ApplyResult } from './apply.js';
export type { Outcome } from './clients.js';
export {
  decodeCommand,
  encodeCommand,
  type Command,
  type CommandEnvelope,
  type CommandOp,
  type DecodeResult,
} from './command.js';
export { LeaseTracker, type TrackedLease } from './lease-tracker.js';
export { DEFAULT_LIMITS, type KvLimits } from './limits.js';
export type { Meta as KvSnapshotMeta } from './layout.js';
export { SnapshotCorruptError, type KvSnapshot } from './snapshot.js';
export {
  KvStateMachine,
  type EntryInput,
  type KvLevel,
  type KvOptions,
} from './state-machine.js';
export { Watcher } from './watcher.js';

// Requests and responses (etcd v3's shapes).
export type {
  CommandResponse,
  CompactionRequest,
  CompactionResponse,
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  LeaseCheckpointRequest,
  LeaseCheckpointResponse,
  LeaseExpireRequest,
  LeaseExpireResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseStatus,
  LeaseTimeToLiveResponse,
  NoopResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
  WatchFilter,
  WatchRequest,
  WatchResponse,
} from './types.js';

// Keys and values are bytes.
export { bytes, prefixEnd, text } from './bytes.js';

// Member metadata (replicated with the conf changes) and the KV hash.
export {
  MEMBERS_MAX,
  MEMBER_URLS_MAX,
  MEMBER_TEXT_BYTES_MAX,
  type MemberRecord,
  type MemberRequest,
  type MemberView,
} from './members.js';
export type { KvHash } from './hash.js';

// Auth.
export type { AuthView } from './auth/store.js';
export {
  ROOT as ROOT_NAME,
  type AuthContext,
  type AuthKind,
  type AuthRequest,
  type AuthRole,
  type AuthUser,
  type Permission,
  type PermType,
} from './auth/types.js';
export { covered, intervalOf, type Interval } from './auth/perms.js';
export { AUTH_NAME_BYTES_MAX } from './auth/validate.js';

// Errors: what a request can fail with, and their wire form.
export {
  AUTH_MESSAGES,
  AuthError,
  AuthFailedError,
  AuthNotEnabledError,
  CompactedError,
  errorFromData,
  FutureRevisionError,
  InvalidAuthMgmtError,
  InvalidAuthTokenError,
  InvalidRequestError,
  KeyNotFoundError,
  KeyTooLargeError,
  KvError,
  KvInvariantError,
  KvWriteFailedError,
  LeaseExistsError,
  LeaseNotFoundError,
  PermissionDeniedError,
  PermissionNotGrantedError,
  RequestTooLargeError,
  RoleEmptyError,
  RoleExistsError,
  RoleNotFoundError,
  RoleNotGrantedError,
  RootRoleMissingError,
  RootUserMissingError,
  SessionExpiredError,
  StaleSequenceError,
  TooManyOpsError,
  UserEmptyError,
  UserExistsError,
  UserNotFoundError,
  ValueTooLargeError,
  type AuthErrorName,
  type KvErrorData,
  type KvErrorName,
} from './errors.js';
