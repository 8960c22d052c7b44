// @flotilla/kv: the replicated state machine (etcd v3's data model).

export { KvStateMachine, type KvLevel, type KvOptions, type EntryInput } from './state-machine.js';
export type { ApplyResult } from './apply.js';
export type { Outcome } from './clients.js';
export {
  encodeCommand,
  decodeCommand,
  type Command,
  type CommandOp,
  type CommandEnvelope,
  type DecodeResult,
} from './command.js';
export { LeaseTracker, type TrackedLease } from './lease-tracker.js';
export { Watcher } from './watcher.js';
export { SnapshotCorruptError, type KvSnapshot } from './snapshot.js';
export { DEFAULT_LIMITS, type KvLimits } from './limits.js';
export { bytes, text, prefixEnd, compareBytes } from './bytes.js';
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
  SessionExpiredError,
  KvInvariantError,
  errorFromData,
  type KvErrorName,
  type KvErrorData,
} from './errors.js';
export type * from './types.js';
export type { AuthView } from './auth/store.js';
export {
  MEMBERS_MAX,
  MEMBER_URLS_MAX,
  MEMBER_TEXT_BYTES_MAX,
  type MemberRecord,
  type MemberRequest,
  type MemberView,
} from './members.js';
export type { KvHash } from './hash.js';
export { ROOT as ROOT_NAME } from './auth/types.js';
export type {
  AuthContext,
  AuthKind,
  AuthRequest,
  AuthRole,
  AuthUser,
  Permission,
  PermType,
} from './auth/types.js';
export { intervalOf, covered, type Interval } from './auth/perms.js';
export { AUTH_NAME_BYTES_MAX } from './auth/validate.js';
export {
  AUTH_MESSAGES,
  AuthError,
  UserEmptyError,
  UserExistsError,
  UserNotFoundError,
  RoleEmptyError,
  RoleExistsError,
  RoleNotFoundError,
  RoleNotGrantedError,
  PermissionNotGrantedError,
  RootUserMissingError,
  RootRoleMissingError,
  InvalidAuthMgmtError,
  AuthNotEnabledError,
  PermissionDeniedError,
  InvalidAuthTokenError,
  AuthFailedError,
  type AuthErrorName,
} from './errors.js';
