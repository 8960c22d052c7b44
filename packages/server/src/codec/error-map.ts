// Maps the typed errors of @flotilla/kv and @flotilla/node to etcd's error
// bodies. Matching is by `name` (the errors' documented identity, unique across
// the packages), so errors that crossed a process or package boundary map the
// same way; an error etcd has no counterpart for maps by its category.
import { categoryOf, type ErrorCategory } from '@flotilla/errors';
import { GatewayError, EtcdMessage } from './gateway-error.js';
import { GrpcCode } from './grpc-code.js';

interface Mapping {
  readonly code: GrpcCode;
  /** etcd's text when etcd has the same error; otherwise the error's own message is used. */
  readonly message?: string;
  /** Keep the original message after etcd's text: it says what to do. */
  readonly detail?: boolean;
}

const BY_NAME: Record<string, Mapping> = {
  // @flotilla/kv
  KeyTooLargeError: {
    code: GrpcCode.InvalidArgument,
    message: EtcdMessage.requestTooLarge,
    detail: true,
  },
  ValueTooLargeError: {
    code: GrpcCode.InvalidArgument,
    message: EtcdMessage.requestTooLarge,
    detail: true,
  },
  RequestTooLargeError: {
    code: GrpcCode.InvalidArgument,
    message: EtcdMessage.requestTooLarge,
    detail: true,
  },
  TooManyOpsError: {
    code: GrpcCode.InvalidArgument,
    message: EtcdMessage.tooManyOps,
    detail: true,
  },
  CompactedError: { code: GrpcCode.OutOfRange, message: EtcdMessage.compacted },
  FutureRevisionError: { code: GrpcCode.OutOfRange, message: EtcdMessage.futureRevision },
  LeaseNotFoundError: { code: GrpcCode.NotFound, message: EtcdMessage.leaseNotFound },
  LeaseExistsError: { code: GrpcCode.FailedPrecondition, message: EtcdMessage.leaseExists },
  KeyNotFoundError: { code: GrpcCode.InvalidArgument, message: EtcdMessage.keyNotFound },
  InvalidRequestError: { code: GrpcCode.InvalidArgument },
  StaleSequenceError: { code: GrpcCode.FailedPrecondition },
  SessionExpiredError: { code: GrpcCode.FailedPrecondition },
  // @flotilla/node (and NotLeaderError / ProposalDroppedError from @flotilla/raft)
  NotLeaderError: { code: GrpcCode.Unavailable, message: EtcdMessage.notLeader, detail: true },
  ProposalDroppedError: { code: GrpcCode.Unavailable, message: EtcdMessage.timeout, detail: true },
  TooManyRequestsError: {
    code: GrpcCode.ResourceExhausted,
    message: EtcdMessage.tooManyRequests,
    detail: true,
  },
  UnknownOutcomeError: { code: GrpcCode.Unavailable, message: EtcdMessage.timeout, detail: true },
  ProposalLostError: {
    code: GrpcCode.Unavailable,
    message: EtcdMessage.leaderChanged,
    detail: true,
  },
  RequestTimeoutError: { code: GrpcCode.Unavailable, message: EtcdMessage.timeout, detail: true },
  NodeClosedError: { code: GrpcCode.Unavailable, message: EtcdMessage.stopped, detail: true },
  // A node that stopped itself (its storage failed, its worker thread died): etcd's "server stopped".
  NodeFailedError: { code: GrpcCode.Unavailable, message: EtcdMessage.stopped, detail: true },
  NodeWorkerExitedError: {
    code: GrpcCode.Unavailable,
    message: EtcdMessage.stopped,
    detail: true,
  },
  // Its message starts with etcd's text ("etcdserver: leader changed"); like etcd's, clients retry it.
  LeaderChangedError: { code: GrpcCode.Unavailable },
  LeaseExpiredError: { code: GrpcCode.NotFound, message: EtcdMessage.leaseNotFound },
  // @flotilla/server (membership bookkeeping)
  MemberNotFoundError: {
    code: GrpcCode.NotFound,
    message: EtcdMessage.memberNotFound,
    detail: true,
  },
  MembershipError: { code: GrpcCode.FailedPrecondition },
  // auth (@flotilla/kv's messages are etcd's own text)
  MissingTokenError: { code: GrpcCode.InvalidArgument },
  UserEmptyError: { code: GrpcCode.InvalidArgument },
  UserExistsError: { code: GrpcCode.FailedPrecondition },
  UserNotFoundError: { code: GrpcCode.FailedPrecondition },
  RoleEmptyError: { code: GrpcCode.InvalidArgument },
  RoleExistsError: { code: GrpcCode.FailedPrecondition },
  RoleNotFoundError: { code: GrpcCode.FailedPrecondition },
  RoleNotGrantedError: { code: GrpcCode.FailedPrecondition },
  PermissionNotGrantedError: { code: GrpcCode.FailedPrecondition },
  RootUserMissingError: { code: GrpcCode.FailedPrecondition },
  RootRoleMissingError: { code: GrpcCode.FailedPrecondition },
  InvalidAuthMgmtError: { code: GrpcCode.InvalidArgument },
  AuthNotEnabledError: { code: GrpcCode.FailedPrecondition },
  PermissionDeniedError: { code: GrpcCode.PermissionDenied },
  InvalidAuthTokenError: { code: GrpcCode.Unauthenticated },
  AuthFailedError: { code: GrpcCode.InvalidArgument },
  PeerAnnounceRefusedError: { code: GrpcCode.FailedPrecondition },
};

/** Known error names, for tests and docs. */
export const MAPPED_ERROR_NAMES: readonly string[] = Object.keys(BY_NAME);

function etcdDuplicateKey(message: string): string | undefined {
  return message.startsWith('duplicate key given in txn request')
    ? EtcdMessage.duplicateKey
    : undefined;
}

/**
 * Errors without an etcd counterpart, by category: a refusal of the input is
 * InvalidArgument, "try again" is Unavailable. An environment failure (a
 * corrupt or closed store) or a bug is not mapped: the caller answers 500 and
 * logs it.
 */
const BY_CATEGORY: Partial<Record<ErrorCategory, Mapping>> = {
  badInput: { code: GrpcCode.InvalidArgument },
  notApplied: { code: GrpcCode.Unavailable },
  outcomeUnknown: { code: GrpcCode.Unavailable, message: EtcdMessage.timeout, detail: true },
};

/**
 * The GatewayError for any thrown value, or undefined when it is not an
 * expected error (the caller then answers 500 and logs it as a bug).
 */
export function toGatewayError(err: unknown): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  if (!(err instanceof Error)) return undefined;
  const mapping = BY_NAME[err.name] ?? BY_CATEGORY[categoryOf(err) ?? 'bug'];
  if (!mapping) return undefined;
  const etcdText =
    mapping.message ??
    (err.name === 'InvalidRequestError' ? etcdDuplicateKey(err.message) : undefined);
  if (!etcdText) return new GatewayError(mapping.code, err.message);
  // etcd's text first (tools match on it), then ours, which says what to do.
  return new GatewayError(mapping.code, mapping.detail ? `${etcdText} (${err.message})` : etcdText);
}
