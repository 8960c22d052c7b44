// etcd's v3 gRPC API (KV, Watch, Lease, Cluster, Maintenance) over the same
// ServedNode the HTTP server uses, on its own port. Unary calls reuse the
// HTTP gateway's handlers: the request message, converted to the gateway's
// JSON shape (see proto.ts), is decoded and validated by the same code, and
// the handler's JSON answer is the response message.
import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { NotLeaderError } from '@flotilla/node';
import type { Logger } from 'pino';
import type { Json } from '../codec/encode-kv.js';
import { EtcdMessage, GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';
import type { HandlerContext } from '../http/context.js';
import type { JsonObject } from '../codec/json-reader.js';
import type { BackupSourceFn } from '../http/handlers-snapshot.js';
import {
  handleHashKv,
  handleMemberAdd,
  handleMemberList,
  handleMemberPromote,
  handleMemberRemove,
  handleMemberUpdate,
  handleMoveLeader,
  handleStatus,
} from '../http/handlers-cluster.js';
import { handleCompaction, handleDeleteRange, handlePut, handleTxn } from '../http/handlers-kv.js';
import { AUTH_ROUTES } from '../http/handlers-auth.js';
import {
  handleLeaseGrant,
  handleLeaseLeases,
  handleLeaseRevoke,
  handleLeaseTimeToLive,
} from '../http/handlers-lease.js';
import type { UnaryHandler } from '../http/routes.js';
import type { ServedNode } from '../http/served-node.js';
import { admitStream, AUTH_METHOD_PATHS, callContext } from './call-context.js';
import { serveLeaseKeepAlive } from './lease-stream.js';
import { alarm, snapshot, UNIMPLEMENTED_TEXT, unimplemented } from './maintenance.js';
import { etcdServices } from './proto.js';
import { handleBoundedRange, refuseBoundsInTxn } from './range-filters.js';
import { toGrpcStatus } from './status.js';
import { StreamWriter } from './stream-writer.js';
import { serveWatch } from './watch-stream.js';

/** etcd's default: a 1.5 MiB request plus 512 KiB of gRPC overhead. */
export const GRPC_MESSAGE_BYTES_MAX_DEFAULT = 2 * 1024 * 1024;
/** etcd splits a fragmenting watcher's response above its request limit (1.5 MiB). */
export const WATCH_FRAGMENT_BYTES_DEFAULT = 1.5 * 1024 * 1024;

export interface GrpcServerOptions {
  readonly node: ServedNode;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /** Largest request message accepted; larger ones get RESOURCE_EXHAUSTED, as from etcd. */
  readonly messageBytesMax?: number;
  /** Open watchers at most, over all streams; more are created canceled. Default 10,000. */
  readonly watchersMax?: number;
  readonly watchFragmentBytes?: number;
  /**
   * How long a call answered "no leader known" (NotLeaderError: nothing was
   * proposed) is retried before the client gets UNAVAILABLE. etcd holds a
   * request while an election runs instead of failing it, and Go's clientv3
   * does not retry a write that failed with UNAVAILABLE. Default 3,000 ms.
   */
  readonly noLeaderWaitMs?: number;
  /** Serves Maintenance.Snapshot: a backup stream of the member. */
  readonly backup?: BackupSourceFn;
}

export interface RunningGrpcServer {
  /** host:port, as etcdctl's --endpoints takes it. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

export const NO_LEADER_WAIT_MS_DEFAULT = 3_000;
const KV_AND_LEASE: ReadonlySet<string> = new Set([
  'Range',
  'Put',
  'DeleteRange',
  'Txn',
  'Compact',
  'LeaseGrant',
  'LeaseRevoke',
  'LeaseTimeToLive',
  'LeaseLeases',
]);
const NO_LEADER_POLL_MS = 50;

/**
 * Runs `attempt`, and again while it fails with NotLeaderError (the node
 * proposed nothing: no leader was known, or the member it asked had just
 * stepped down), for up to `waitMs`; then the last error stands.
 */
export async function untilLeader<T>(
  attempt: () => Promise<T>,
  waitMs: number,
  gone: () => boolean,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof NotLeaderError) || Date.now() + NO_LEADER_POLL_MS > deadline || gone())
        throw err;
    }
    await new Promise((r) => setTimeout(r, NO_LEADER_POLL_MS));
  }
}

/** etcd answers a transfer to a member it does not have with "bad leader transferee" (FAILED_PRECONDITION). */
async function moveLeader(ctx: HandlerContext): Promise<Json> {
  try {
    return await handleMoveLeader(ctx);
  } catch (err) {
    if ((err as Error).name !== 'MemberNotFoundError') throw err;
    throw new GatewayError(
      GrpcCode.FailedPrecondition,
      `${EtcdMessage.badLeaderTransferee} (${(err as Error).message})`,
    );
  }
}

/** A grpc-js Server with etcd's services over `options.node`, not yet bound to a port. */
export function createGrpcServer(options: Omit<GrpcServerOptions, 'host' | 'port'>): Server {
  const { node, logger } = options;
  const onError = (method: string, err: unknown): void => {
    const mapped = toGrpcStatus(err);
    if (mapped.expected)
      logger?.warn(
        { method, code: mapped.status.code, err: (err as Error)?.message },
        'request refused',
      );
    else logger?.error({ method, err }, 'request failed unexpectedly');
  };
  const noLeaderWaitMs = options.noLeaderWaitMs ?? NO_LEADER_WAIT_MS_DEFAULT;
  // KV and Lease calls wait out an election; cluster and maintenance calls answer at once, as etcd's do (MoveLeader to a follower is "not leader").
  const unary =
    (method: string, handler: UnaryHandler, waitForLeader = KV_AND_LEASE.has(method)) =>
    (call: ServerUnaryCall<JsonObject, Json>, callback: sendUnaryData<Json>): void => {
      const attempt = (): Promise<Json> =>
        handler(callContext(node, method, call.request, call.metadata));
      Promise.resolve()
        .then(() =>
          waitForLeader ? untilLeader(attempt, noLeaderWaitMs, () => call.cancelled) : attempt(),
        )
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            onError(method, err);
            callback(toGrpcStatus(err).status);
          },
        );
    };
  // Streams check the caller once, at their start (see admitStream): with auth on, root only.
  const gated =
    <C extends ServerWritableStream<JsonObject, Json> | ServerDuplexStream<JsonObject, Json>>(
      method: string,
      serve: (call: C) => unknown,
    ) =>
    (call: C): void => {
      try {
        admitStream(node, call.metadata);
      } catch (err) {
        onError(method, err);
        new StreamWriter(call).fail(toGrpcStatus(err).status);
        return;
      }
      void serve(call);
    };
  let watchers = 0;
  const watchersMax = options.watchersMax ?? 10_000;
  const services = etcdServices();
  const server = new Server({
    'grpc.max_receive_message_length': options.messageBytesMax ?? GRPC_MESSAGE_BYTES_MAX_DEFAULT,
  });
  const add = (
    definition: (typeof services)[keyof typeof services],
    impl: UntypedServiceImplementation,
  ): void => server.addService(definition, impl);
  add(services.KV, {
    Range: unary('Range', handleBoundedRange),
    Put: unary('Put', handlePut),
    DeleteRange: unary('DeleteRange', handleDeleteRange),
    Txn: unary('Txn', (ctx) => {
      refuseBoundsInTxn(ctx.body);
      return handleTxn(ctx);
    }),
    Compact: unary('Compact', handleCompaction),
  });
  add(services.Watch, {
    Watch: gated('Watch', (call: Parameters<typeof serveWatch>[0]) =>
      serveWatch(call, {
        node,
        admit: () => (watchers < watchersMax ? (watchers++, true) : false),
        release: () => void watchers--,
        fragmentBytesMax: options.watchFragmentBytes ?? WATCH_FRAGMENT_BYTES_DEFAULT,
        onError,
      }),
    ),
  });
  add(services.Lease, {
    LeaseGrant: unary('LeaseGrant', handleLeaseGrant),
    LeaseRevoke: unary('LeaseRevoke', handleLeaseRevoke),
    LeaseKeepAlive: gated('LeaseKeepAlive', (call: Parameters<typeof serveLeaseKeepAlive>[0]) =>
      serveLeaseKeepAlive(call, node, onError),
    ),
    LeaseTimeToLive: unary('LeaseTimeToLive', handleLeaseTimeToLive),
    LeaseLeases: unary('LeaseLeases', handleLeaseLeases),
  });
  add(services.Cluster, {
    MemberAdd: unary('MemberAdd', handleMemberAdd),
    MemberRemove: unary('MemberRemove', handleMemberRemove),
    MemberUpdate: unary('MemberUpdate', handleMemberUpdate),
    MemberList: unary('MemberList', handleMemberList),
    MemberPromote: unary('MemberPromote', handleMemberPromote),
  });
  // Auth: every RPC runs the JSON gateway's handler of the same call, behind the same gate.
  add(
    services.Auth,
    Object.fromEntries(
      Object.entries(AUTH_METHOD_PATHS).map(([method, path]) => [
        method,
        unary(method, authHandler(path)),
      ]),
    ),
  );
  add(services.Maintenance, {
    Alarm: alarm(node),
    Status: unary('Status', handleStatus),
    Defragment: unimplemented(UNIMPLEMENTED_TEXT.Defragment),
    Hash: unimplemented(UNIMPLEMENTED_TEXT.Hash),
    HashKV: unary('HashKV', handleHashKv),
    Snapshot: gated('Snapshot', snapshot(node, options.backup, onError)),
    MoveLeader: unary('MoveLeader', moveLeader),
    Downgrade: unimplemented(UNIMPLEMENTED_TEXT.Downgrade),
  });
  return server;
}

function authHandler(path: string): UnaryHandler {
  const route = AUTH_ROUTES.find(([p]) => p === path);
  if (route === undefined) throw new Error(`invariant: no JSON-gateway handler for ${path}`);
  return route[1];
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = createGrpcServer(options);
  const host = options.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${hostPart}:${options.port ?? 0}`,
      ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)),
    );
  });
  return {
    endpoint: `${hostPart}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Open streams (watches, keep-alives) never end by themselves: cut them.
        server.forceShutdown();
        resolve();
      }),
  };
}
