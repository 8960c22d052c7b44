// The one error type the HTTP layer answers with: a gRPC code, the HTTP
// status etcd's gateway would use, and the message. Its body is etcd's
// `{"error", "message", "code"}`.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import { GrpcCode, httpStatusOf } from './grpc-code.js';

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly code: number;
}

export class GatewayError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name: string = 'GatewayError';
  readonly code: GrpcCode;
  readonly httpStatus: number;

  constructor(code: GrpcCode, message: string, httpStatus: number = httpStatusOf(code)) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  static invalidArgument(message: string): GatewayError {
    return new GatewayError(GrpcCode.InvalidArgument, message);
  }

  body(): ErrorBody {
    return { error: this.message, message: this.message, code: this.code };
  }
}

/** etcd's own text for the errors both systems have, so tools that match on it keep working. */
export const EtcdMessage = {
  keyNotProvided: 'etcdserver: key is not provided',
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  futureRevision: 'etcdserver: mvcc: required revision is a future revision',
  leaseNotFound: 'etcdserver: requested lease not found',
  leaseExists: 'etcdserver: lease already exists',
  leaseTtlTooLarge: 'etcdserver: too large lease TTL',
  keyNotFound: 'etcdserver: key not found',
  requestTooLarge: 'etcdserver: request is too large',
  tooManyOps: 'etcdserver: too many operations in txn request',
  duplicateKey: 'etcdserver: duplicate key given in txn request',
  memberNotFound: 'etcdserver: member not found',
  badLeaderTransferee: 'etcdserver: bad leader transferee',
  notLeader: 'etcdserver: not leader',
  noLeader: 'etcdserver: no leader',
  timeout: 'etcdserver: request timed out',
  leaderChanged: 'etcdserver: leader changed',
  tooManyRequests: 'etcdserver: too many requests',
  stopped: 'etcdserver: server stopped',
} as const;
