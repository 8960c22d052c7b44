// @flotilla/server: the HTTP API (etcd v3 JSON-gateway compatible), etcd's v3 gRPC API and
// metrics over a node. The `flotilla` command is the subpath @flotilla/server/cli; clusters of
// real `flotilla start` processes (for the demo, tests and benchmarks) are the subpath
// @flotilla/server/process-cluster.

// Serving a node over HTTP.
export { BODY_BYTES_MAX_DEFAULT } from './http/body.js';
export type { BackupSourceFn } from './http/handlers-snapshot.js';
export { CLIENT_ID_HEADER, SEQ_HEADER } from './http/context.js';
export { SERVER_VERSION } from './http/handlers-cluster.js';
export { HTTP_LIMITS_DEFAULT, resolveHttpLimits, type HttpLimits } from './http/limits.js';
export type { ServerMetrics } from './http/metrics.js';
export type { LatencyReport, StatusReport } from './http/report.js';
export type {
  AddMemberRequest,
  LeaseGrantResult,
  LeaseTtlResult,
  MemberInfo,
  NodeMetricsSnapshot,
  Quantiles,
  ReadConsistency,
  ServedNode,
  ServedStatus,
  WatchStream,
  WriteContext,
} from './http/served-node.js';
export { startHttpServer, type HttpServerOptions, type RunningHttpServer } from './http/server.js';
export {
  clientTlsFromFlags,
  loadClientTls,
  type ClientTls,
  type ClientTlsFlags,
  type ClientTlsOptions,
} from './http/tls.js';

// Serving a node over gRPC (etcd's v3 API).
export { serveNodeGrpc, type ServeNodeGrpcOptions } from './grpc/serve-grpc.js';
export {
  createGrpcServer,
  GRPC_MESSAGE_BYTES_MAX_DEFAULT,
  startGrpcServer,
  type GrpcServerOptions,
  type RunningGrpcServer,
} from './grpc/server.js';
export { ERROR_DETAIL_METADATA } from './grpc/status.js';

// Error bodies on the wire.
export type { ErrorBody } from './codec/gateway-error.js';
export { GrpcCode } from './codec/grpc-code.js';

// A node and its cluster.
export { MemberDirectory, type DirectoryEntry } from './cluster/directory.js';
export {
  startLocalCluster,
  type LocalCluster,
  type LocalClusterOptions,
  type LocalMember,
} from './cluster/local-cluster.js';
export { memberIdOf } from './cluster/member-id.js';
export {
  MemberNotFoundError,
  MembershipError,
  servedNode,
  type NodeAdapterOptions,
} from './cluster/node-adapter.js';
export { serveNode, type ServeNodeOptions } from './cluster/serve.js';

// Auth refusals a caller of the HTTP API can see.
export { MissingTokenError } from './auth/gate.js';
export { PeerAnnounceRefusedError } from './auth/peer-announce.js';
