// The remote backend: any node of a Flotilla cluster (or any etcd v3 JSON
// gateway) over HTTP. Endpoints are discovered from the member list; failed
// attempts move to another endpoint with bounded back-off; a write is
// repeated only when the server makes repeats exactly-once (client id + seq
// headers), otherwise an unanswered write is an ClientUnknownOutcomeError.

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LeaseExistsError, LeaseNotFoundError, CompactedError } from '@flotilla/kv';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchRequest,
} from '@flotilla/kv';
import { BackendKv, isReadOnly, type Backend } from '../backend.js';
import { UnavailableError, ClientUnknownOutcomeError } from '../errors.js';
import { randomLeaseId } from '../lease-id.js';
import { DEFAULT_RETRY, realEnv, withRetry, type RetryEnv, type RetryOptions } from '../retry.js';
import type { Consistency, KV, KvStatus, LeaseGrant, LeaseTimeToLive, Watch } from '../types.js';

/** Asks a Flotilla server for a lease read (packages/server reads the same name). */
export const READ_CONSISTENCY_HEADER = 'x-flotilla-read-consistency';
const CLIENT_ID_HEADER = 'x-flotilla-client-id';
const SEQ_HEADER = 'x-flotilla-seq';
/** Registers an exactly-once client id (Flotilla's own route; see @flotilla/server). */
const REGISTER_PATH = '/flotilla/session/register';
import { DEFAULT_WATCH_BUFFER_EVENTS_MAX } from '../watch-stream.js';
import { asWire, get, int, jsonStyle, list } from '../wire.js';
import { Endpoints } from './endpoints.js';
import { AttemptError, jsonLines, postStream } from './http.js';
import { HttpPool } from './unary.js';
import https from 'node:https';
import { agentTlsOptions, loadRemoteTls, type RemoteTls, type RemoteTlsOptions } from './tls.js';
import {
  ExpiredOnFirstTry,
  isSessionExpired,
  Lanes,
  renewedClientId,
  repeatIfExpiredOnFirstTry,
} from '../lanes.js';
import { jsonCodec } from './json-codec.js';
import { RemoteWatch } from './remote-watch.js';
import { AuthSession, type Credentials } from './auth-session.js';

export interface RemoteKvOptions {
  /** One or more client URLs of cluster members, e.g. http://127.0.0.1:2379. */
  endpoints: readonly string[];
  /** Learn the other members' client URLs from /v3/cluster/member/list (default true). */
  discover?: boolean;
  /**
   * Whether the server honours x-flotilla-client-id / x-flotilla-seq, so an
   * unanswered write may be retried. true for a Flotilla cluster; false for
   * plain etcd. 'auto' (default): asks /v3/maintenance/status once; true if
   * the server's version is `flotilla-…` (or answers carry x-flotilla-* headers).
   */
  exactlyOnce?: boolean | 'auto';
  /** Base of the exactly-once client ids (default: a random UUID per client). */
  clientId?: string;
  /** Writes in flight at once (each on its own exactly-once lane). */
  writesInFlightMax?: number;
  retry?: Partial<RetryOptions>;
  requestTimeoutMs?: number;
  watchBufferEventsMax?: number;
  /** Largest single streamed message accepted (watch responses). */
  streamMessageBytesMax?: number;
  /** Largest answer to a unary call (a range, say) accepted. */
  responseBytesMax?: number;
  /** Kept-alive HTTP connections per endpoint at most; calls beyond it wait for a free one. */
  connectionsPerEndpointMax?: number;
  /**
   * A user of a cluster with auth enabled: the client logs in on first use,
   * sends the token with every request and logs in again when the token
   * expires or is revoked. Without it, requests carry no token.
   */
  auth?: Credentials;
  env?: RetryEnv;
  /** HTTPS settings for https:// endpoints (etcdctl's --cacert, --cert, --key, --insecure-skip-tls-verify); files are read once, here. */
  tls?: RemoteTlsOptions;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
export const DEFAULT_WRITES_IN_FLIGHT_MAX = 16;
export const DEFAULT_STREAM_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;
export const DEFAULT_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;
export const DEFAULT_CONNECTIONS_PER_ENDPOINT_MAX = 256;

export function remoteKv(options: RemoteKvOptions): KV {
  return new BackendKv(new RemoteBackend(options));
}

type CallKind = 'read' | 'idempotent' | 'write';

export class RemoteBackend implements Backend {
  readonly endpoints: Endpoints;
  readonly retry: RetryOptions;
  readonly env: RetryEnv;
  readonly timeoutMs: number;
  private readonly lanes: Lanes;
  private readonly pool: HttpPool;
  /** For streams (watch, keep-alive) to https:// endpoints; unary calls use the pool's own agent. */
  private readonly streamAgent: https.Agent;
  private flotilla: boolean | undefined;
  private preparing: Promise<void> | undefined;
  private readonly closing = new AbortController();
  private readonly session: AuthSession;

  constructor(private readonly options: RemoteKvOptions) {
    this.endpoints = new Endpoints(options.endpoints);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.env = options.env ?? realEnv;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.lanes = new Lanes(
      options.clientId ?? randomUUID(),
      options.writesInFlightMax ?? DEFAULT_WRITES_IN_FLIGHT_MAX,
    );
    const tls: RemoteTls | undefined =
      options.tls === undefined ? undefined : loadRemoteTls(options.tls);
    this.pool = new HttpPool({
      connectionsPerEndpointMax:
        options.connectionsPerEndpointMax ?? DEFAULT_CONNECTIONS_PER_ENDPOINT_MAX,
      responseBytesMax: options.responseBytesMax ?? DEFAULT_RESPONSE_BYTES_MAX,
      ...(tls ? { tls } : {}),
    });
    this.streamAgent = new https.Agent(agentTlsOptions(tls));
    if (typeof options.exactlyOnce === 'boolean') this.flotilla = options.exactlyOnce;
    // Logging in is a read: any member answers, and a failed endpoint moves on like any call.
    this.session = new AuthSession(options.auth, (body) =>
      this.callOnce('/v3/auth/authenticate', body, 'read', 'authenticate', { n: 0 }, {}),
    );
  }

  private get exactlyOnce(): boolean {
    return this.flotilla === true;
  }

  /** Once, before the first request: learn the other endpoints and whether the server is Flotilla. */
  private prepare(): Promise<void> {
    this.preparing ??= (async () => {
      if (this.options.discover !== false) await this.discover();
      if (this.flotilla === undefined) await this.detectFlotilla();
    })();
    return this.preparing;
  }

  /** Failures are ignored: the configured endpoints still work. */
  private async discover(): Promise<void> {
    for (const endpoint of [...this.endpoints.all]) {
      try {
        const headers = await this.session.headers();
        const answer = await this.pool.postJson(
          endpoint,
          '/v3/cluster/member/list',
          {},
          { headers, timeoutMs: this.timeoutMs },
        );
        this.noteServer(answer.headers);
        const body = asWire(answer.body);
        for (const m of list(get(body, 'members')))
          for (const url of list(get(asWire(m), 'clientURLs'))) this.endpoints.add(String(url));
        return;
      } catch {
        this.endpoints.failed(endpoint);
      }
    }
  }

  /** A Flotilla server reports a `flotilla-…` version in its status (or marks answers with x-flotilla-* headers). */
  private async detectFlotilla(): Promise<void> {
    for (const endpoint of [...this.endpoints.all]) {
      try {
        const answer = await this.pool.postJson(
          endpoint,
          '/v3/maintenance/status',
          {},
          { timeoutMs: this.timeoutMs },
        );
        this.noteServer(answer.headers);
        if (/^flotilla/i.test(String(get(asWire(answer.body), 'version') ?? '')))
          this.flotilla = true;
        return;
      } catch {
        this.endpoints.failed(endpoint);
      }
    }
  }

  private noteServer(headers: IncomingHttpHeaders): void {
    if (this.flotilla !== undefined) return;
    for (const name of Object.keys(headers)) {
      if (name.startsWith('x-flotilla-')) {
        this.flotilla = true;
        return;
      }
    }
  }

  /** POSTs with retries; `kind` decides what may be repeated. */
  async call(
    path: string,
    body: unknown,
    kind: CallKind,
    what: string,
    attempts = { n: 0 },
    extraHeaders: Readonly<Record<string, string>> = {},
  ): Promise<unknown> {
    return this.session.run((auth) =>
      repeatIfExpiredOnFirstTry(() =>
        this.callOnce(path, body, kind, what, attempts, { ...extraHeaders, ...auth }),
      ),
    );
  }

  private async callOnce(
    path: string,
    body: unknown,
    kind: CallKind,
    what: string,
    attempts: { n: number },
    extraHeaders: Readonly<Record<string, string>>,
  ): Promise<unknown> {
    if (path !== '/v3/auth/authenticate') await this.prepare();
    const ticket = kind === 'write' && this.exactlyOnce ? await this.lanes.acquire() : undefined;
    const headers: Record<string, string> = {
      ...extraHeaders,
      ...(ticket ? { [CLIENT_ID_HEADER]: ticket.clientId, [SEQ_HEADER]: String(ticket.seq) } : {}),
    };
    // A new lane id is registered first (seq 1; see lanes.ts); repeating the register is harmless.
    let registering = ticket?.register ?? false;
    let unknown: AttemptError | undefined;
    try {
      return await withRetry(
        this.retry,
        this.env,
        async () => {
          const endpoint = this.endpoints.current();
          attempts.n++;
          try {
            if (registering) {
              await this.pool.postJson(
                endpoint,
                REGISTER_PATH,
                {},
                { headers: { ...headers, [SEQ_HEADER]: '1' }, timeoutMs: this.timeoutMs },
              );
              registering = false;
            }
            const answer = await this.pool.postJson(endpoint, path, body, {
              headers,
              timeoutMs: this.timeoutMs,
            });
            this.noteServer(answer.headers);
            return answer.body;
          } catch (err) {
            if (err instanceof AttemptError) {
              if (err.leaderHint) this.endpoints.prefer(err.leaderHint);
              else this.endpoints.failed(endpoint);
            }
            throw err;
          }
        },
        (err) => {
          if (!(err instanceof AttemptError) || this.closing.signal.aborted) return 'fail';
          if (err.kind !== 'unknown' || kind !== 'write' || ticket) {
            if (err.kind === 'unknown' && !registering) unknown = err;
            return 'retry';
          }
          return 'fail';
        },
        (err, attempts) =>
          kind === 'write' && unknown
            ? new ClientUnknownOutcomeError(what, unknown)
            : new UnavailableError(what, attempts, err),
      );
    } catch (err) {
      if (ticket && isSessionExpired(err)) {
        // The server forgot this id: continue under a new one. If no earlier attempt may
        // have been applied, the write is safe to repeat; otherwise the caller must read first.
        this.lanes.renew(renewedClientId(this.options.clientId, randomUUID));
        if (unknown === undefined) throw new ExpiredOnFirstTry(err);
      }
      if (err instanceof AttemptError && err.kind === 'unknown' && kind === 'write')
        throw new ClientUnknownOutcomeError(what, err);
      if (err instanceof AttemptError) throw new UnavailableError(what, 1, err);
      throw err;
    } finally {
      ticket?.release();
    }
  }

  /** A lease read asks for it with a header, which an etcd gateway ignores: it answers linearizably, the stronger read. */
  async range(req: RangeRequest, consistency: Consistency): Promise<RangeResponse> {
    const headers: Record<string, string> =
      consistency === 'lease' ? { [READ_CONSISTENCY_HEADER]: 'lease' } : {};
    return jsonCodec.rangeResponse(
      await this.call('/v3/kv/range', jsonCodec.range(req), 'read', 'range', { n: 0 }, headers),
    );
  }

  async put(req: PutRequest): Promise<PutResponse> {
    return jsonCodec.putResponse(await this.call('/v3/kv/put', jsonCodec.put(req), 'write', 'put'));
  }

  async deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return jsonCodec.deleteRangeResponse(
      await this.call('/v3/kv/deleterange', jsonCodec.deleteRange(req), 'write', 'delete'),
    );
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    return jsonCodec.txnResponse(
      await this.call('/v3/kv/txn', jsonCodec.txn(req), isReadOnly(req) ? 'read' : 'write', 'txn'),
    );
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.call('/v3/kv/compaction', { revision }, 'idempotent', 'compact');
    } catch (err) {
      // Compacting again to a revision already compacted is what a retry of a successful compaction finds.
      if (!(err instanceof CompactedError)) throw err;
    }
  }

  watch(req: WatchRequest): Watch {
    return new RemoteWatch(this, req, {
      bufferEventsMax: this.options.watchBufferEventsMax ?? DEFAULT_WATCH_BUFFER_EVENTS_MAX,
      messageBytesMax: this.options.streamMessageBytesMax ?? DEFAULT_STREAM_MESSAGE_BYTES_MAX,
    });
  }

  /** Opens a streaming POST on the current endpoint (watch); failures rotate the endpoint. */
  async openStream(
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<{ res: Response; endpoint: string }> {
    await this.prepare();
    const endpoint = this.endpoints.current();
    try {
      // The timeout covers only connecting and the headers; a watch then stays open.
      const res = await this.session.run((headers) =>
        postStream(endpoint, path, body, {
          headers,
          timeoutMs: this.timeoutMs,
          signal: AbortSignal.any([signal, this.closing.signal]),
          httpsAgent: this.streamAgent,
        }),
      );
      return { res, endpoint };
    } catch (err) {
      if (err instanceof AttemptError) {
        if (err.leaderHint) this.endpoints.prefer(err.leaderHint);
        else this.endpoints.failed(endpoint);
      }
      throw err;
    }
  }

  async leaseGrant(ttlSeconds: number): Promise<LeaseGrant> {
    // Client-chosen ids stay exact in JavaScript numbers and make the grant safe to repeat:
    // a repeat that finds its own id taken means the first attempt succeeded.
    const id = randomLeaseId(this.env.random);
    const attempts = { n: 0 };
    try {
      const res = asWire(
        await this.call(
          '/v3/lease/grant',
          { ID: id, TTL: ttlSeconds },
          'idempotent',
          'leaseGrant',
          attempts,
        ),
      );
      const error = get(res, 'error');
      if (typeof error === 'string' && error) throw new LeaseExistsError(error);
      return { id: int(get(res, 'ID')), ttlSeconds: int(get(res, 'TTL')) };
    } catch (err) {
      if (err instanceof LeaseExistsError && attempts.n > 1) return { id, ttlSeconds };
      throw err;
    }
  }

  async leaseRevoke(id: number): Promise<void> {
    const attempts = { n: 0 };
    try {
      await this.call('/v3/lease/revoke', { ID: id }, 'idempotent', 'leaseRevoke', attempts);
    } catch (err) {
      // A repeat that finds the lease gone: the first attempt revoked it.
      if (!(err instanceof LeaseNotFoundError && attempts.n > 1)) throw err;
    }
  }

  async leaseKeepAlive(id: number): Promise<LeaseGrant> {
    const result = await withRetry(
      this.retry,
      this.env,
      async () => {
        const { res, endpoint } = await this.openStream(
          '/v3/lease/keepalive',
          { ID: id },
          AbortSignal.timeout(this.timeoutMs),
        );
        try {
          for await (const message of jsonLines(res, 64 * 1024))
            return asWire(get(asWire(message), 'result'));
        } catch (err) {
          throw new AttemptError('unknown', endpoint, 'keep-alive stream broke', undefined, {
            cause: err,
          });
        } finally {
          await res.body?.cancel().catch(() => undefined);
        }
        throw new AttemptError('unknown', endpoint, 'keep-alive stream ended without an answer');
      },
      (err) => (err instanceof AttemptError ? 'retry' : 'fail'),
      (err, attempts) => new UnavailableError('leaseKeepAlive', attempts, err),
    );
    const ttl = int(get(result, 'TTL'));
    if (ttl <= 0) throw LeaseNotFoundError.of(id);
    return { id, ttlSeconds: ttl };
  }

  async leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLive | undefined> {
    const res = asWire(
      await this.call(
        '/v3/lease/timetolive',
        keys ? { ID: id, keys: true } : { ID: id },
        'read',
        'leaseTimeToLive',
      ),
    );
    const ttl = int(get(res, 'TTL'));
    if (ttl < 0) return undefined;
    return {
      id,
      ttlSeconds: ttl,
      grantedTtlSeconds: int(get(res, 'grantedTTL')),
      keys: list(get(res, 'keys')).map((k) => jsonStyle.decodeBytes(k)),
    };
  }

  async leases(): Promise<number[]> {
    const res = asWire(await this.call('/v3/lease/leases', {}, 'read', 'leases'));
    return list(get(res, 'leases')).map((l) => int(get(asWire(l), 'ID')));
  }

  async status(): Promise<KvStatus> {
    const res = asWire(await this.call('/v3/maintenance/status', {}, 'read', 'status'));
    const header = asWire(get(res, 'header'));
    return {
      backend: 'remote',
      revision: int(get(header, 'revision')),
      memberId: String(get(header, 'member_id') ?? ''),
      leaderId: String(get(res, 'leader') ?? ''),
      raftTerm: int(get(res, 'raftTerm')),
      raftIndex: int(get(res, 'raftIndex')),
    };
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.pool.close();
    this.streamAgent.destroy();
  }
}
