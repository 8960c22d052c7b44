// @flotilla/kv: the replicated state machine (etcd v3's data model).

export { KvStateMachine, type KvLevel, type KvOptions, type EntryInput } from './state-machine.js';
export type { ApplyResult } from './apply.js';
export type { Outcome } from './clients.js';
export { encodeCommand, decodeCommand, type Command, type CommandOp, type CommandEnvelope, type DecodeResult } from './command.js';
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
