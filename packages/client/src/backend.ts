// What a backend must provide (canonical @flotilla/kv requests in, responses
// out), and the KV that every backend is wrapped in: it normalises the loose
// client inputs once, so backends only translate to their wire.

import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchRequest,
} from '@flotilla/kv';
import { InvalidRequestError } from '@flotilla/kv';
import { ClientClosedError } from './errors.js';
import { deleteRequest, putRequest, rangeRequest, txnRequest, watchRequest } from './normalize.js';
import type {
  Bytes,
  Consistency,
  DeleteOptions,
  GetOptions,
  KeyRange,
  KV,
  KvStatus,
  LeaseGrant,
  LeaseTimeToLive,
  PutOptions,
  RangeSpec,
  TxnSpec,
  Watch,
  WatchOptions,
} from './types.js';

export interface Backend {
  /** `consistency` is also on the wire request (`serializable`); backends with lease reads look at it for `lease`. */
  range(req: RangeRequest, consistency: Consistency): Promise<RangeResponse>;
  put(req: PutRequest): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  compact(revision: number): Promise<void>;
  watch(req: WatchRequest): Watch;
  leaseGrant(ttlSeconds: number): Promise<LeaseGrant>;
  leaseRevoke(id: number): Promise<void>;
  leaseKeepAlive(id: number): Promise<LeaseGrant>;
  leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLive | undefined>;
  leases(): Promise<number[]>;
  status(): Promise<KvStatus>;
  close(): Promise<void>;
}

const LEASE_TTL_SECONDS_MAX = 9_000_000_000;

export class BackendKv implements KV {
  private closed = false;
  private readonly watches = new Set<Watch>();

  constructor(private readonly backend: Backend) {}

  async get(key: Bytes, options: GetOptions = {}): Promise<KeyValue | undefined> {
    const res = await this.range({ key, ...options });
    return res.kvs[0];
  }

  range(spec: RangeSpec): Promise<RangeResponse> {
    return this.call('range', () =>
      this.backend.range(rangeRequest(spec), spec.consistency ?? 'linearizable'),
    );
  }

  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResponse> {
    return this.call('put', () => this.backend.put(putRequest(key, value, options)));
  }

  delete(target: Bytes | KeyRange, options?: DeleteOptions): Promise<DeleteRangeResponse> {
    return this.call('delete', () => this.backend.deleteRange(deleteRequest(target, options)));
  }

  txn(spec: TxnSpec): Promise<TxnResponse> {
    return this.call('txn', () => this.backend.txn(txnRequest(spec)));
  }

  compact(revision: number): Promise<void> {
    return this.call('compact', () => {
      requireRevision(revision);
      return this.backend.compact(revision);
    });
  }

  watch(target: Bytes | KeyRange, options?: WatchOptions): Watch {
    if (this.closed) throw new ClientClosedError('watch');
    const w = this.backend.watch(watchRequest(target, options));
    for (const old of this.watches) if (old.closed) this.watches.delete(old);
    this.watches.add(w);
    return w;
  }

  leaseGrant(ttlSeconds: number): Promise<LeaseGrant> {
    return this.call('leaseGrant', () => {
      if (
        !Number.isSafeInteger(ttlSeconds) ||
        ttlSeconds < 1 ||
        ttlSeconds > LEASE_TTL_SECONDS_MAX
      ) {
        throw new InvalidRequestError(
          `lease TTL must be a whole number of seconds from 1 to ${LEASE_TTL_SECONDS_MAX}, got ${ttlSeconds}`,
        );
      }
      return this.backend.leaseGrant(ttlSeconds);
    });
  }

  leaseRevoke(id: number): Promise<void> {
    return this.call('leaseRevoke', () => this.backend.leaseRevoke(requireLeaseId(id)));
  }

  leaseKeepAlive(id: number): Promise<LeaseGrant> {
    return this.call('leaseKeepAlive', () => this.backend.leaseKeepAlive(requireLeaseId(id)));
  }

  leaseTimeToLive(
    id: number,
    options: { keys?: boolean } = {},
  ): Promise<LeaseTimeToLive | undefined> {
    return this.call('leaseTimeToLive', () =>
      this.backend.leaseTimeToLive(requireLeaseId(id), options.keys ?? false),
    );
  }

  leases(): Promise<number[]> {
    return this.call('leases', async () => (await this.backend.leases()).sort((a, b) => a - b));
  }

  status(): Promise<KvStatus> {
    return this.call('status', () => this.backend.status());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.cancel();
    this.watches.clear();
    await this.backend.close();
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ClientClosedError(operation);
    return fn();
  }
}

function requireRevision(revision: number): void {
  if (!Number.isSafeInteger(revision) || revision < 1)
    throw new InvalidRequestError(`revision must be a positive integer, got ${revision}`);
}

function requireLeaseId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1)
    throw new InvalidRequestError(`lease id must be a positive safe integer, got ${id}`);
  return id;
}

/** A txn with only range operations (at any depth) changes nothing, so it may be repeated. */
export function isReadOnly(req: TxnRequest): boolean {
  return [...req.success, ...req.failure].every(
    (op) =>
      op.requestRange !== undefined || (op.requestTxn !== undefined && isReadOnly(op.requestTxn)),
  );
}
