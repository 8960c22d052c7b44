// The etcd backend: a real etcd v3 cluster through the `etcd3` package's
// gRPC clients. etcd3's own retry policy is switched off (it would repeat
// writes blindly); reads and idempotent calls are retried here, and a write
// whose connection failed surfaces as ClientUnknownOutcomeError.

import { Etcd3, type IOptions, isRecoverableError } from 'etcd3';
import { CompactedError, LeaseExistsError, LeaseNotFoundError } from '@flotilla/kv';
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
import type { Backend } from '../backend.js';
import { BackendKv, isReadOnly } from '../backend.js';
import { UnavailableError, ClientUnknownOutcomeError } from '../errors.js';
import { isEtcdUnavailableMessage, kvErrorFromEtcdMessage } from '../etcd-errors.js';
import { DEFAULT_RETRY, realEnv, type RetryEnv, type RetryOptions, withRetry } from '../retry.js';
import type { KV, KvStatus, LeaseGrant, LeaseTimeToLive, Watch } from '../types.js';
import { get, int, list, asWire } from '../wire.js';
import { grpcCodec } from './grpc-codec.js';
import { DEFAULT_WATCH_BUFFER_EVENTS_MAX } from '../watch-stream.js';
import { randomLeaseId } from '../lease-id.js';
import { EtcdWatch } from './etcd-watch.js';

export interface EtcdKvOptions {
  /** Client URLs of the etcd members, e.g. http://127.0.0.1:2379. */
  endpoints: readonly string[];
  retry?: Partial<RetryOptions>;
  /** Deadline for one gRPC call. */
  requestTimeoutMs?: number;
  watchBufferEventsMax?: number;
  /** Extra etcd3 options (credentials, auth); faultHandling is always replaced, see above. */
  etcd3?: Omit<IOptions, 'hosts' | 'faultHandling'>;
  /** Injected time and randomness (tests). */
  env?: RetryEnv;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** A pass-through policy: one call, no retry, no circuit breaker. */
const noPolicy = {
  execute: <T>(
    fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T,
    signal?: AbortSignal,
  ): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
} as unknown as Policy;

export function etcdKv(options: EtcdKvOptions): KV {
  return new BackendKv(new EtcdBackend(options));
}

class EtcdBackend implements Backend {
  private readonly client: Etcd3;
  private readonly retry: RetryOptions;
  private readonly env: RetryEnv;
  private readonly timeoutMs: number;

  constructor(private readonly options: EtcdKvOptions) {
    this.client = new Etcd3({
      ...options.etcd3,
      hosts: [...options.endpoints],
      faultHandling: { host: () => noPolicy, global: noPolicy },
    });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.env = options.env ?? realEnv;
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
  }

  private callOptions(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.timeoutMs) };
  }

  /** Reads and idempotent calls: retried on transport errors. */
  private read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(
      this.retry,
      this.env,
      () =>
        fn().catch((err: unknown) => {
          throw mapError(err);
        }),
      (err) => (isTransient(err) ? 'retry' : 'fail'),
      (err, attempts) => new UnavailableError(what, attempts, err),
    );
  }

  /** Non-idempotent writes: one attempt; a transport failure has an unknown outcome. */
  private async write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const mapped = mapError(err);
      if (isTransient(mapped)) throw new ClientUnknownOutcomeError(what, mapped);
      throw mapped;
    }
  }

  /** etcd has no lease reads: `lease` is served as linearizable (no `serializable` on the wire), the stronger read. */
  async range(req: RangeRequest): Promise<RangeResponse> {
    const res = await this.read('range', () =>
      this.client.kv.range(grpcCodec.range(req), this.callOptions()),
    );
    return grpcCodec.rangeResponse(res);
  }

  async put(req: PutRequest): Promise<PutResponse> {
    return grpcCodec.putResponse(
      await this.write('put', () => this.client.kv.put(grpcCodec.put(req), this.callOptions())),
    );
  }

  async deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return grpcCodec.deleteRangeResponse(
      await this.write('delete', () =>
        this.client.kv.deleteRange(grpcCodec.deleteRange(req), this.callOptions()),
      ),
    );
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    const readOnly = isReadOnly(req);
    const call = () => this.client.kv.txn(grpcCodec.txn(req), this.callOptions());
    return grpcCodec.txnResponse(
      await (readOnly ? this.read('txn', call) : this.write('txn', call)),
    );
  }

  async compact(revision: number): Promise<void> {
    // Compacting twice to the same revision is harmless; a retry that finds it already done is success.
    try {
      await this.read('compact', () => this.client.kv.compact({ revision }, this.callOptions()));
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
    }
  }

  watch(req: WatchRequest): Watch {
    return new EtcdWatch(this.client, req, {
      bufferEventsMax: this.options.watchBufferEventsMax ?? DEFAULT_WATCH_BUFFER_EVENTS_MAX,
      retry: this.retry,
      env: this.env,
    });
  }

  async leaseGrant(ttlSeconds: number): Promise<LeaseGrant> {
    // The id is chosen here (a safe integer, unlike etcd's own int64 ids), which
    // also makes the grant retryable: a retry that finds its own id taken succeeded.
    const id = randomLeaseId(this.env.random);
    let attempts = 0;
    try {
      const res = await this.read('leaseGrant', () => {
        attempts++;
        return this.client.leaseClient.leaseGrant({ ID: id, TTL: ttlSeconds }, this.callOptions());
      });
      return { id: int(res.ID), ttlSeconds: int(res.TTL) };
    } catch (err) {
      if (err instanceof LeaseExistsError && attempts > 1) return { id, ttlSeconds };
      throw err;
    }
  }

  async leaseRevoke(id: number): Promise<void> {
    let attempts = 0;
    try {
      await this.read('leaseRevoke', () => {
        attempts++;
        return this.client.leaseClient.leaseRevoke({ ID: id }, this.callOptions());
      });
    } catch (err) {
      // A retry that finds the lease gone: the first attempt revoked it.
      if (err instanceof LeaseNotFoundError && attempts > 1) return;
      throw err;
    }
  }

  leaseKeepAlive(id: number): Promise<LeaseGrant> {
    return this.read('leaseKeepAlive', async () => {
      const stream = await this.client.leaseClient.leaseKeepAlive();
      try {
        const res = await new Promise<unknown>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.on('end', () =>
            reject(new Error('Unavailable: keep-alive stream ended before answering')),
          );
          stream.write({ ID: id });
        });
        const ttl = int(get(asWire(res), 'TTL'));
        if (ttl <= 0) throw LeaseNotFoundError.of(id);
        return { id, ttlSeconds: ttl };
      } finally {
        stream.end();
        stream.cancel();
      }
    });
  }

  async leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLive | undefined> {
    const res = await this.read('leaseTimeToLive', () =>
      this.client.leaseClient.leaseTimeToLive({ ID: id, keys }, this.callOptions()),
    );
    const ttl = int(res.TTL);
    if (ttl < 0) return undefined;
    return {
      id,
      ttlSeconds: ttl,
      grantedTtlSeconds: int(res.grantedTTL),
      keys: list(res.keys).map((k) => grpcCodec.keyValue({ key: k }).key),
    };
  }

  async leases(): Promise<number[]> {
    const res = await this.read('leases', () =>
      this.client.leaseClient.leaseLeases(this.callOptions()),
    );
    return list(res.leases).map((l) => int(get(asWire(l), 'ID')));
  }

  async status(): Promise<KvStatus> {
    const res = await this.read('status', () => this.client.maintenance.status(this.callOptions()));
    return {
      backend: 'etcd',
      revision: int(res.header.revision),
      memberId: String(res.header.member_id),
      leaderId: String(res.leader),
      raftTerm: int(res.raftTerm),
      raftIndex: int(res.raftIndex),
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** etcd3's errors to the typed store errors; transport errors pass through. */
export function mapError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return kvErrorFromEtcdMessage(err.message) ?? err;
}

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name.endsWith('Error') && kvErrorFromEtcdMessage(err.message)) return false;
  return (
    isRecoverableError(err) ||
    isEtcdUnavailableMessage(err.message) ||
    /DEADLINE|deadline|ECONNREFUSED|ECONNRESET|No connection established/i.test(err.message)
  );
}
