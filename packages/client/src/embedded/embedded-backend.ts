// The embedded backend: a @flotilla/node node in this process. Requests go
// straight to the node (which forwards to the leader itself). Every write
// carries an exactly-once identity (kv's clientId/seq envelope) so a write
// whose fate the node reports as unknown can be retried safely.

import { isNotApplied, isOutcomeUnknown } from '@flotilla/errors';
import { randomUUID } from 'node:crypto';
import { LeaseNotFoundError } from '@flotilla/kv';
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
import { type FlotillaNode, isNodeStopped, type WriteOptions } from '@flotilla/node';
import { BackendKv, type Backend } from '../backend.js';
import { UnavailableError, ClientUnknownOutcomeError } from '../errors.js';
import {
  ExpiredOnFirstTry,
  isSessionExpired,
  Lanes,
  renewedClientId,
  repeatIfExpiredOnFirstTry,
} from '../lanes.js';
import { DEFAULT_RETRY, realEnv, withRetry, type RetryEnv, type RetryOptions } from '../retry.js';
import type { Consistency, KV, KvStatus, LeaseGrant, LeaseTimeToLive, Watch } from '../types.js';
import { DEFAULT_WATCH_BUFFER_EVENTS_MAX } from '../watch-stream.js';
import { EmbeddedWatch } from './embedded-watch.js';

export interface EmbeddedKvOptions {
  /** Close the node when the client is closed (default false: the caller owns the node). */
  closeNode?: boolean;
  /** Base of the exactly-once client ids (default: a random UUID). */
  clientId?: string;
  writesInFlightMax?: number;
  retry?: Partial<RetryOptions>;
  watchBufferEventsMax?: number;
  env?: RetryEnv;
}

/** Worth asking this node again: not applied or unknown, unless the node itself is gone. */
function retryable(err: unknown): boolean {
  if (isNodeStopped(err)) return false;
  return isNotApplied(err) || isOutcomeUnknown(err);
}

export function embeddedKv(node: FlotillaNode, options: EmbeddedKvOptions = {}): KV {
  return new BackendKv(new EmbeddedBackend(node, options));
}

class EmbeddedBackend implements Backend {
  private readonly lanes: Lanes;
  private readonly retry: RetryOptions;
  private readonly env: RetryEnv;

  constructor(
    private readonly node: FlotillaNode,
    private readonly options: EmbeddedKvOptions,
  ) {
    this.lanes = new Lanes(options.clientId ?? randomUUID(), options.writesInFlightMax ?? 16);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.env = options.env ?? realEnv;
  }

  private read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(
      this.retry,
      this.env,
      fn,
      (err) =>
        // A read changes nothing: "not applied" and "unknown" alike can be asked again.
        retryable(err) ? 'retry' : 'fail',
      (err, attempts) => new UnavailableError(what, attempts, err),
    );
  }

  private async write<T>(what: string, fn: (ids: WriteOptions) => Promise<T>): Promise<T> {
    return repeatIfExpiredOnFirstTry(() => this.writeOnce(what, fn));
  }

  private async writeOnce<T>(what: string, fn: (ids: WriteOptions) => Promise<T>): Promise<T> {
    const ticket = await this.lanes.acquire();
    let registering = ticket.register;
    let unknown: unknown;
    try {
      return await withRetry(
        this.retry,
        this.env,
        async () => {
          // A new lane id is registered first (seq 1); repeating the register is harmless.
          if (registering) await this.node.register({ clientId: ticket.clientId });
          registering = false;
          return fn({ clientId: ticket.clientId, seq: ticket.seq });
        },
        (err) => {
          // Repeating is safe under the lane's exactly-once identity; remember an
          // unknown outcome so that giving up reports it rather than "unavailable".
          if (isOutcomeUnknown(err) && !registering) unknown = err;
          return retryable(err) ? 'retry' : 'fail';
        },
        (err, attempts) =>
          unknown
            ? new ClientUnknownOutcomeError(what, unknown)
            : new UnavailableError(what, attempts, err),
      );
    } catch (err) {
      if (isSessionExpired(err)) {
        // The state machine forgot this id: continue under a new one (see RemoteBackend.call).
        this.lanes.renew(renewedClientId(this.options.clientId, randomUUID));
        if (unknown === undefined) throw new ExpiredOnFirstTry(err);
      }
      throw err;
    } finally {
      ticket.release();
    }
  }

  async range(req: RangeRequest, consistency: Consistency): Promise<RangeResponse> {
    const { serializable: _onTheWire, ...request } = req;
    const res = await this.read('range', () => this.node.range(request, { consistency }));
    return { ...res, header: { revision: res.header.revision } };
  }

  async put(req: PutRequest): Promise<PutResponse> {
    const res = await this.write('put', (ids) => this.node.put(req, ids));
    return { ...res, header: { revision: res.header.revision } };
  }

  async deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    const res = await this.write('delete', (ids) => this.node.deleteRange(req, ids));
    return { ...res, header: { revision: res.header.revision } };
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    const res = await this.write('txn', (ids) => this.node.txn(req, ids));
    return { ...res, header: { revision: res.header.revision } };
  }

  async compact(revision: number): Promise<void> {
    await this.write('compact', (ids) => this.node.compact({ revision }, ids));
  }

  watch(req: WatchRequest): Watch {
    return new EmbeddedWatch(this.node, req, {
      bufferEventsMax: this.options.watchBufferEventsMax ?? DEFAULT_WATCH_BUFFER_EVENTS_MAX,
      retry: this.retry,
      env: this.env,
    });
  }

  async leaseGrant(ttlSeconds: number): Promise<LeaseGrant> {
    // id 0: the state machine derives it from the entry index (unique, the same on every replica).
    const res = await this.write('leaseGrant', (ids) =>
      this.node.leaseGrant({ id: 0, ttl: ttlSeconds }, ids),
    );
    return { id: res.id, ttlSeconds: res.ttl };
  }

  async leaseRevoke(id: number): Promise<void> {
    await this.write('leaseRevoke', (ids) => this.node.leaseRevoke({ id }, ids));
  }

  async leaseKeepAlive(id: number): Promise<LeaseGrant> {
    const res = await this.read('leaseKeepAlive', () => this.node.leaseKeepAlive(id));
    if (res.ttl <= 0) throw LeaseNotFoundError.of(id);
    return { id, ttlSeconds: res.ttl };
  }

  async leaseTimeToLive(id: number, keys: boolean): Promise<LeaseTimeToLive | undefined> {
    try {
      const res = await this.read('leaseTimeToLive', () => this.node.leaseTimeToLive(id, { keys }));
      return { id, ttlSeconds: res.ttl, grantedTtlSeconds: res.grantedTtl, keys: res.keys };
    } catch (err) {
      if (err instanceof LeaseNotFoundError) return undefined;
      throw err;
    }
  }

  async leases(): Promise<number[]> {
    // The node lists its applied state; a linearizable barrier first makes the list current.
    await this.read('leases', () => this.node.range({ key: new Uint8Array([0]) }));
    return this.node.leaseLeases().leases.map((l) => l.id);
  }

  async status(): Promise<KvStatus> {
    const s = this.node.status();
    return {
      backend: 'embedded',
      revision: s.revision,
      memberId: String(s.id),
      leaderId: s.leader === 0 ? '' : String(s.leader),
      raftTerm: s.term,
      raftIndex: s.commitIndex,
    };
  }

  async close(): Promise<void> {
    if (this.options.closeNode) await this.node.close();
  }
}
