// @flotilla/server: the HTTP API (etcd v3 JSON-gateway compatible), etcd's v3 gRPC API, metrics,
// and the building blocks of the `flotilla` CLI.
export { startHttpServer, type HttpServerOptions, type RunningHttpServer } from './http/server.js';
export {
  loadClientTls,
  clientTlsFromFlags,
  type ClientTlsOptions,
  type ClientTls,
  type ClientTlsFlags,
} from './http/tls.js';
export { CLIENT_ID_HEADER, SEQ_HEADER } from './http/context.js';
export { BODY_BYTES_MAX_DEFAULT } from './http/body.js';
export { HTTP_LIMITS_DEFAULT, resolveHttpLimits, type HttpLimits } from './http/limits.js';
export { SERVER_VERSION } from './http/handlers-cluster.js';
export type { StatusReport, LatencyReport } from './http/report.js';
export type {
  ServedNode,
  ServedStatus,
  WriteContext,
  MemberInfo,
  AddMemberRequest,
  LeaseGrantResult,
  LeaseTtlResult,
  WatchStream,
  NodeMetricsSnapshot,
  Quantiles,
} from './http/served-node.js';
export {
  servedNode,
  wireClusterId,
  MembershipError,
  MemberNotFoundError,
  type NodeAdapterOptions,
} from './cluster/node-adapter.js';
export { serveNode, type ServeNodeOptions } from './cluster/serve.js';
export {
  startLocalCluster,
  type LocalCluster,
  type LocalMember,
  type LocalClusterOptions,
} from './cluster/local-cluster.js';
export { MemberDirectory, type DirectoryEntry } from './cluster/directory.js';
export { memberIdOf } from './cluster/member-id.js';
export { GatewayError, type ErrorBody } from './codec/gateway-error.js';
export { GrpcCode, httpStatusOf } from './codec/grpc-code.js';
export { toGatewayError } from './codec/error-map.js';
export {
  startGrpcServer,
  createGrpcServer,
  GRPC_MESSAGE_BYTES_MAX_DEFAULT,
  type GrpcServerOptions,
  type RunningGrpcServer,
} from './grpc/server.js';
export { serveNodeGrpc, type ServeNodeGrpcOptions } from './grpc/serve-grpc.js';
export { ERROR_DETAIL_METADATA } from './grpc/status.js';
// Auth building blocks, for other front ends (gRPC) that must apply the same rules as the HTTP API.
export {
  identify,
  callerFor,
  admit,
  routePolicy,
  needsCatchUp,
  writeAuth,
  requireUser,
  requireRoot,
  requirePermission,
  tokenOf,
  failureReason,
  MissingTokenError,
  type Caller,
  type RoutePolicy,
} from './auth/gate.js';
export {
  issueToken,
  readToken,
  validClaims,
  TOKEN_TTL_MS_DEFAULT,
  type TokenClaims,
} from './auth/token.js';
export { hashPassword, verifyPassword } from './auth/password.js';
export { checkPeerAnnouncement, PeerAnnounceRefusedError } from './auth/peer-announce.js';
export {
  ProcessCluster,
  type ProcessMember,
  type ProcessClusterOptions,
  DEFAULT_BIN,
  clientTlsArgs,
  memberTlsArgs,
} from './demo/process-cluster.js';
