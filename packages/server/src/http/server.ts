// The HTTP server: etcd v3 JSON gateway routes, /metrics, /health, /readyz
// and /flotilla/status on node:http. Every failure is an etcd-style error
// body; nothing is applied for a request that fails to decode.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import tlsModule, { type TLSSocket } from 'node:tls';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { looksLikeTls } from '@flotilla/transport';
import type { Logger } from 'pino';
import type { Json } from '../codec/encode-kv.js';
import { toGatewayError } from '../codec/error-map.js';
import { GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';
import type { GrpcOnHttpPort } from '../grpc/multiplex.js';
import { routeByPreface } from '../grpc/preface.js';
import { parseJsonBody } from '../codec/json-reader.js';
import { BodyTooLargeError, DRAIN_BYTES_MAX, readBody } from './body.js';
import { makeHeader, readLeaseRead, readWriteContext, type HandlerContext } from './context.js';
import { VERSION_BODY } from './handlers-cluster.js';
import { SNAPSHOT_PATH, streamSnapshot, type BackupSourceFn } from './handlers-snapshot.js';
import { streamWatch } from './handlers-watch.js';
import { TOKEN_TTL_MS_DEFAULT } from '../auth/token.js';
import {
  admit,
  callerFor,
  failureReason,
  identify,
  needsCatchUp,
  tokenOf,
  writeAuth,
} from '../auth/gate.js';
import {
  ByteBudget,
  connectionsCheckingIntervalMs,
  declaredBodyBytes,
  LARGE_BODY_BYTES_MIN,
  ParseGate,
  TurnPacer,
  WATCH_WRITES_PER_TURN,
  resolveHttpLimits,
  tooManyRequests,
  tooManyWatchStreams,
  type HttpLimits,
} from './limits.js';
import { ServerMetrics } from './metrics.js';
import { statusReport } from './report.js';
import { requestPath, UNARY_ROUTES, WATCH_PATH } from './routes.js';
import {
  type ClientTls,
  clientTlsFailureReason,
  loadClientTls,
  type ClientTlsOptions,
} from './tls.js';
import type { ServedNode, WatchStream } from './served-node.js';

export interface HttpServerOptions {
  readonly node: ServedNode;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /** Overload limits (./limits.ts); each defaults to HTTP_LIMITS_DEFAULT's. */
  readonly limits?: Partial<HttpLimits>;
  /** Same as limits.bodyBytesMax (kept for callers from before `limits`). */
  readonly bodyBytesMax?: number;
  /** /readyz fails while this node is more than this many committed entries behind in applying. */
  readonly readyLagEntriesMax?: number;
  /** Same as limits.watchStreamsMax (kept for callers from before `limits`). */
  readonly watchStreamsMax?: number;
  /** Names of the cluster's founding voters, reported by /flotilla/status. */
  readonly founders?: readonly string[];
  /** Serves POST /v3/maintenance/snapshot: a backup stream of the member (`backupStream(node).readable()`). */
  readonly backup?: BackupSourceFn;
  /** More Prometheus text appended to /metrics (the backup scheduler's). */
  readonly extraMetricsText?: () => string;
  /** More fields for /flotilla/status (the backup scheduler's newest verified backup). */
  readonly extraStatus?: () => Record<string, unknown>;
  /** Serve HTTPS (same JSON API) instead of plain HTTP; see ./tls.ts. */
  readonly tls?: ClientTlsOptions;
  /**
   * Also serve etcd's gRPC API on this port, as etcd does: on plain HTTP an
   * HTTP/2 connection is told apart by its preface; with `tls`, by the
   * protocol the client offers in the handshake (ALPN `h2` without
   * `http/1.1`, see chooseProtocol). Default true.
   */
  readonly grpc?: boolean;
  /** Lifetime of auth tokens this server issues. Default 300,000 (etcd's --auth-token-ttl). */
  readonly authTokenTtlMs?: number;
  /** Wall clock for token expiry (tests). Default Date.now. */
  readonly nowMs?: () => number;
}

export interface RunningHttpServer {
  readonly url: string;
  readonly port: number;
  readonly metrics: ServerMetrics;
  /** The limits in force (options over defaults). */
  readonly limits: HttpLimits;
  /** Request body bytes taken from the in-flight budget right now. */
  inflightBodyBytes(): number;
  /** Bytes waiting to be sent on all open watch streams right now. */
  watchBufferedBytes(): number;
  close(): Promise<void>;
}

const JSON_TYPE = { 'content-type': 'application/json' };

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { node, logger } = options;
  const limits = resolveHttpLimits({
    bodyBytesMax: options.bodyBytesMax,
    watchStreamsMax: options.watchStreamsMax,
    ...options.limits,
  });
  const readyLagEntriesMax = options.readyLagEntriesMax ?? 1_000;
  const metrics = new ServerMetrics(node);
  const now = options.nowMs ?? Date.now;
  const budget = new ByteBudget(limits.inflightBodyBytesMax);
  const gate = new ParseGate(LARGE_BODY_BYTES_MIN);
  const pacer = new TurnPacer(WATCH_WRITES_PER_TURN);
  metrics.trackInflightBodyBytes(() => budget.inUseBytes);
  const refuse = (limit: keyof HttpLimits, error: GatewayError): GatewayError => {
    metrics.overloadRefused(limit);
    return error;
  };
  /** Open watch streams, with the response each writes to (for their buffered bytes). */
  const watches = new Map<WatchStream, ServerResponse>();
  const watchesOnSocket = new WeakMap<Duplex, Set<WatchStream>>();
  // Keyed by the request's socket: a pipelined response has none of its own until those before
  // it end, and gets no 'close' of its own when the socket goes, so the socket's close ends it.
  const register =
    (res: ServerResponse, socket: Duplex) =>
    (stream: WatchStream): (() => void) => {
      let onSocket = watchesOnSocket.get(socket);
      if (onSocket === undefined) {
        const streams = new Set<WatchStream>();
        watchesOnSocket.set(socket, (onSocket = streams));
        socket.once('close', () => {
          for (const w of streams) w.cancel();
        });
      }
      onSocket.add(stream);
      watches.set(stream, res);
      metrics.watcherOpened();
      return () => {
        if (!watches.delete(stream)) return;
        onSocket.delete(stream);
        metrics.watcherClosed();
      };
    };
  const admitWatch = (req: IncomingMessage): void => {
    if (watches.size >= limits.watchStreamsMax)
      throw refuse(
        'watchStreamsMax',
        tooManyWatchStreams(watches.size, 'watchStreamsMax', limits.watchStreamsMax),
      );
    const onSocket = watchesOnSocket.get(req.socket)?.size ?? 0;
    if (onSocket >= limits.watchStreamsPerConnectionMax) {
      throw refuse(
        'watchStreamsPerConnectionMax',
        tooManyWatchStreams(
          onSocket,
          'watchStreamsPerConnectionMax',
          limits.watchStreamsPerConnectionMax,
        ),
      );
    }
  };
  const watchBufferedBytes = (): number => {
    let sum = 0;
    for (const res of watches.values()) sum += res.writableLength;
    return sum;
  };

  /**
   * Reads a request body within the limits. The body's bytes are taken from the
   * in-flight budget before it is read (from Content-Length) and given back when
   * the answer is sent, so a flood of large requests is refused up front instead
   * of being buffered and parsed all at once.
   */
  const admitBody = (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    const declared = declaredBodyBytes(req.headers['content-length']);
    if (declared !== undefined && declared > limits.bodyBytesMax) {
      // Node reads and drops the unread body after the answer; past DRAIN_BYTES_MAX it is cheaper to close.
      if (declared > DRAIN_BYTES_MAX) res.shouldKeepAlive = false;
      throw refuse('bodyBytesMax', BodyTooLargeError.of(limits.bodyBytesMax, declared));
    }
    let held = 0;
    res.once('close', () => budget.give(held));
    const take = (bytes: number): GatewayError | undefined => {
      if (!budget.tryTake(bytes))
        return refuse(
          'inflightBodyBytesMax',
          tooManyRequests(budget.inUseBytes, held + bytes, budget.bytesMax),
        );
      held += bytes;
      return undefined;
    };
    if (declared === undefined) return readBody(req, limits.bodyBytesMax, take);
    const refusal = take(declared);
    if (refusal !== undefined) throw refusal;
    return readBody(req, limits.bodyBytesMax);
  };

  const handleGet = async (path: string, res: ServerResponse): Promise<number> => {
    if (path === '/metrics') {
      const text =
        (await metrics.text()) + node.metricsText() + (options.extraMetricsText?.() ?? '');
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return 200;
    }
    if (path === '/version') {
      send(res, 200, VERSION_BODY);
      return 200;
    }
    const s = node.status();
    if (path === '/health') {
      const ok = s.leaderId !== 0;
      send(
        res,
        ok ? 200 : 503,
        ok ? { health: 'true' } : { health: 'false', reason: 'no leader known to this member' },
      );
      return ok ? 200 : 503;
    }
    if (path === '/readyz') {
      const lag = s.commitIndex - s.appliedIndex;
      const reason =
        s.leaderId === 0
          ? 'no leader known to this member'
          : lag > readyLagEntriesMax
            ? `applying: ${lag} committed entries behind`
            : undefined;
      send(res, reason ? 503 : 200, reason ? { ready: false, reason } : { ready: true });
      return reason ? 503 : 200;
    }
    send(res, 200, { ...statusReport(node, options.founders ?? []), ...options.extraStatus?.() });
    return 200;
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<{ status: number; code?: number }> => {
    const isGet =
      path === '/metrics' ||
      path === '/health' ||
      path === '/readyz' ||
      path === '/version' ||
      path === '/flotilla/status';
    if (isGet) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new GatewayError(GrpcCode.Unimplemented, `${path} takes GET, not ${req.method}`, 405);
      return { status: await handleGet(path, res) };
    }
    const unary = UNARY_ROUTES.get(path);
    if (!unary && path !== WATCH_PATH && path !== SNAPSHOT_PATH) {
      throw new GatewayError(
        GrpcCode.NotFound,
        `unknown path ${path}: Flotilla serves etcd's v3 JSON API under /v3/ (e.g. POST /v3/kv/range)`,
        404,
      );
    }
    if (req.method !== 'POST')
      throw new GatewayError(
        GrpcCode.Unimplemented,
        `${path} takes POST with a JSON body, not ${req.method}`,
        405,
      );
    if (path === WATCH_PATH) admitWatch(req);
    const text = await admitBody(req, res);
    const token = tokenOf(req.headers);
    // A root-only route that acts on this member alone (snapshot, membership): a member that has
    // not yet applied `auth enable` must not serve it as if auth were off, so it first catches up
    // (if it can reach a leader; without one it decides on what it has applied, as etcd does).
    if (needsCatchUp(path) && !node.auth().enabled)
      await Promise.resolve()
        .then(() => node.syncAuth())
        .catch(() => undefined);
    const view = node.auth();
    const caller = callerFor(view, path, token, now());
    admit(view, caller, path);
    // A large body's parse and decode (the handler's synchronous part) take their turn at the gate.
    const gated = await gate.enter(text.length);
    let ctx: HandlerContext;
    let pending: Promise<Json> | undefined;
    try {
      const body = parseJsonBody(text);
      ctx = {
        node,
        body,
        write: { ...readWriteContext(req.headers), auth: writeAuth(caller) },
        leaseRead: readLeaseRead(req.headers),
        caller,
        callerNow: () => identify(node.auth(), token, now()),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        now,
        tokenTtlMs: options.authTokenTtlMs ?? TOKEN_TTL_MS_DEFAULT,
        header: (revision) => makeHeader(node, revision),
      };
      if (unary) pending = unary(ctx);
    } finally {
      if (gated) gate.leave();
    }
    if (path === SNAPSHOT_PATH) {
      await streamSnapshot(res, options.backup);
      return { status: 200 };
    }
    if (path === WATCH_PATH) {
      admitWatch(req); // again: others may have opened while this body was read
      await streamWatch(ctx, res, register(res, req.socket), {
        bufferBytesMax: limits.watchStreamBufferBytesMax,
        onSlow: () => metrics.overloadRefused('watchStreamBufferBytesMax'),
        pacer,
      });
      return { status: 200 };
    }
    const result: Json = await pending!;
    send(res, 200, result);
    return { status: 200 };
  };

  const tls = options.tls === undefined ? undefined : loadClientTls(options.tls);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (tls?.clientCertAuth === true && refuseUnverifiedClient(req, res)) return;
    const started = process.hrtime.bigint();
    const path = requestPath(req.url ?? '/');
    const route =
      UNARY_ROUTES.has(path) ||
      path === WATCH_PATH ||
      path === SNAPSHOT_PATH ||
      path.startsWith('/metrics') ||
      path === '/health' ||
      path === '/readyz' ||
      path === '/version' ||
      path === '/flotilla/status'
        ? path
        : 'other';
    const finish = (status: number, code: number | undefined): void => {
      metrics.observe(route, status, code, Number(process.hrtime.bigint() - started) / 1e9);
    };
    handle(req, res, path).then(
      ({ status }) => finish(status, undefined),
      (err: unknown) => {
        const mapped = toGatewayError(err);
        const gatewayError =
          mapped ??
          new GatewayError(
            GrpcCode.Internal,
            `internal error: ${(err as Error)?.message ?? String(err)}`,
          );
        if (mapped)
          logger?.warn(
            {
              path,
              method: req.method,
              code: mapped.code,
              status: mapped.httpStatus,
              err: mapped.message,
            },
            'request refused',
          );
        else logger?.error({ path, method: req.method, err }, 'request failed unexpectedly');
        finish(gatewayError.httpStatus, gatewayError.code);
        const reason = failureReason(err);
        if (reason) metrics.authFailure(reason);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        send(res, gatewayError.httpStatus, gatewayError.body());
      },
    );
  };
  /**
   * A request the HTTP parser refused on the plain port. A TLS ClientHello
   * (an https:// client on this http:// port) is named, counted and logged.
   * Every refusal gets Node's default answer (431, 408 or 400, then close):
   * a TLS client reads that as a non-TLS record and fails its handshake
   * cleanly (EPROTO), knowing its request was never sent.
   */
  const refuseBadClient = (
    err: NodeJS.ErrnoException & { rawPacket?: Buffer },
    socket: Duplex,
  ): void => {
    if (err.rawPacket !== undefined && looksLikeTls(err.rawPacket)) {
      metrics.clientTlsFailed('tlsOnPlain');
      logger?.warn(
        { reason: 'tlsOnPlain' },
        'a TLS client connected to this plain-HTTP client port; use http:// or start the server with --cert-file/--key-file',
      );
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.overloadRefused('timeout');
    if (!socket.writable) return void socket.destroy();
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  };

  /**
   * With --client-cert-auth, the TLS handshake asks for a certificate and this
   * answers a client whose certificate is missing or untrusted with 401 before
   * any handler runs (a refusal at the handshake itself would reach the client
   * as a bare connection reset after it sent its request: an unknown outcome).
   */
  const refuseUnverifiedClient = (req: IncomingMessage, res: ServerResponse): boolean => {
    const socket = req.socket as TLSSocket;
    const shown = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    // Both: a TLS session resumed from one in which the client showed no certificate
    // reports authorized = true (no verification failed), yet carries no certificate.
    if (socket.authorized && shown) return false;
    const why = shown
      ? `its certificate did not verify against the trusted CA (${String(socket.authorizationError)})`
      : 'it showed no certificate';
    metrics.clientTlsFailed('certificate');
    logger?.warn(
      { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: 'certificate', err: why },
      'client refused: client-cert-auth is on and ' + why,
    );
    const error = new GatewayError(
      GrpcCode.Unauthenticated,
      `client certificate refused: ${why}; this server requires a client certificate signed by its trusted CA (etcdctl --cert/--key, remoteKv tls.cert/tls.key)`,
      401,
    );
    res.shouldKeepAlive = false;
    send(res, 401, error.body());
    return true;
  };
  // Slowloris: a client that trickles its headers or body is answered 408 and closed.
  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
  };
  // HTTP/1.1 parsing; the listener below owns the port (TCP, a preface router or TLS) and hands it connections.
  const server = http.createServer(timeouts, onRequest);
  // Connections beyond connectionsMax are closed as soon as they are accepted ('drop').
  server.maxConnections = limits.connectionsMax;
  server.on('drop', () => {
    metrics.overloadRefused('connectionsMax');
    logger?.warn(
      { connectionsMax: limits.connectionsMax },
      'connection refused: connectionsMax open connections',
    );
  });
  // A refused TLS handshake never reaches a handler: it is counted and logged here, and changes nothing.
  const onTlsClientError = (err: NodeJS.ErrnoException, socket: TLSSocket): void => {
    // A client that went away mid-handshake is not a refusal.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    const reason = clientTlsFailureReason(err);
    metrics.clientTlsFailed(reason);
    logger?.warn(
      {
        remote: `${socket.remoteAddress}:${socket.remotePort}`,
        reason,
        code: err.code,
        err: err.message,
      },
      'client TLS handshake failed',
    );
  };
  if (tls === undefined)
    server.on(
      'clientError',
      (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) =>
        refuseBadClient(err, socket),
    );
  server.keepAliveTimeout = 5_000;

  // etcd's gRPC API on the same port, as etcd serves it: HTTP/2 connections go to gRPC, the rest to this server.
  // grpc-js and the protos are loaded when the first HTTP/2 connection arrives, so a member nobody asks in gRPC never pays for them.
  let grpc: Promise<GrpcOnHttpPort> | undefined;
  const toHttp2 = (socket: net.Socket): void => {
    // grpc-js sets TCP_NODELAY only on sockets it accepts itself; this one reaches it wrapped (the
    // authority fixer), so without this Nagle holds each answer's second write until the client's
    // delayed ACK: 40 ms per unary call.
    socket.setNoDelay(true);
    grpc ??= import('../grpc/multiplex.js').then((m) =>
      m.grpcOnHttpPort({
        node,
        ...(logger ? { logger } : {}),
        ...(options.backup ? { backup: options.backup } : {}),
      }),
    );
    grpc.then(
      (g) => g.inject(socket),
      (err: unknown) => {
        logger?.error({ err }, 'cannot serve gRPC');
        socket.destroy();
      },
    );
  };
  const toHttp1 = (socket: net.Socket): void => {
    // The router's listener accepted it (node:http's own would have set this): without it Nagle
    // holds each watch event written after the first until the client's delayed ACK.
    socket.setNoDelay(true);
    server.emit('connection', socket);
    socket.resume(); // routeByPreface paused it to put the first bytes back
  };
  /** gRPC over TLS: with --client-cert-auth the certificate is checked once, for the whole connection. */
  const toHttp2Tls = (socket: TLSSocket): void => {
    const shown = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    if (tls?.clientCertAuth === true && !(socket.authorized && shown)) {
      metrics.clientTlsFailed('certificate');
      logger?.warn(
        { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: 'certificate' },
        'gRPC client refused: client-cert-auth is on and its certificate is missing or did not verify',
      );
      socket.destroy();
      return;
    }
    toHttp2(socket);
  };
  const listener =
    tls !== undefined
      ? tlsListener(tls, options.grpc !== false, (socket) =>
          socket.alpnProtocol === 'h2' ? toHttp2Tls(socket) : toHttp1(socket),
        )
      : options.grpc === false
        ? server
        : net.createServer((socket) => routeByPreface(socket, toHttp1, toHttp2));
  if (tls !== undefined) listener.on('tlsClientError', onTlsClientError);
  if (listener !== server) {
    // The router owns the port: connectionsMax counts gRPC connections too.
    listener.maxConnections = limits.connectionsMax;
    listener.on('drop', () => server.emit('drop'));
  }
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      listener.off('error', reject);
      // node:http starts checking headersTimeout/requestTimeout when it listens; behind the router it never does itself.
      if (listener !== server) server.emit('listening');
      resolve();
    });
  });
  const address = listener.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${host}:${address.port}`,
    port: address.port,
    metrics,
    limits,
    inflightBodyBytes: () => budget.inUseBytes,
    watchBufferedBytes,
    async close() {
      for (const w of watches.keys()) w.cancel();
      await grpc?.then(
        (g) => g.close(),
        () => undefined,
      );
      await new Promise<void>((resolve) => {
        if (listener !== server) listener.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The protocol of a TLS connection to the client port, from those the client
 * offers. HTTP/1.1 whenever offered: curl and browsers offer both h2 and
 * http/1.1 and speak JSON, which is served on HTTP/1.1 only (the HTTP/2 side
 * is the gRPC server, which answers anything else with 415); gRPC clients
 * (grpc-go in etcdctl, grpc-js in etcd3) offer h2 alone. Undefined (no
 * common protocol) ends the handshake with a no_application_protocol alert.
 */
export function chooseProtocol(offered: readonly string[], grpc: boolean): string | undefined {
  if (offered.includes('http/1.1')) return 'http/1.1';
  if (grpc && offered.includes('h2')) return 'h2';
  return undefined;
}

/**
 * The client port with TLS: HTTP/1.1 (the JSON API) and, when gRPC is served,
 * HTTP/2 (gRPC) chosen by ALPN during the handshake (chooseProtocol), as etcd
 * serves both on one TLS port. The certificate request is made here; whether a missing or
 * unverified certificate is refused is decided per request (JSON) or per
 * connection (gRPC), so the refusal can say why.
 */
function tlsListener(
  tls: ClientTls,
  grpc: boolean,
  onSecure: (socket: TLSSocket) => void,
): tlsModule.Server {
  return tlsModule.createServer(
    {
      cert: tls.cert,
      key: tls.key,
      ...(tls.ca ? { ca: tls.ca } : {}),
      requestCert: tls.clientCertAuth,
      rejectUnauthorized: false,
      ALPNCallback: ({ protocols }) => chooseProtocol(protocols, grpc),
    },
    onSecure,
  );
}
