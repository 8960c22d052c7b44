// The one KV interface every backend implements. Requests accept strings
// (UTF-8) or bytes; results are always bytes (Uint8Array), in the response
// shapes of @flotilla/kv (etcd v3's, camelCase). Headers are normalised to
// `{ revision }`: cluster/member ids and raft terms differ per backend and
// are available from status() instead.

import type {
  CompareResult,
  CompareTarget,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutResponse,
  RangeResponse,
  SortOrder,
  SortTarget,
  TxnResponse,
  WatchFilter,
} from '@flotilla/kv';

export type {
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutResponse,
  RangeResponse,
  TxnResponse,
  WatchFilter,
  SortOrder,
  SortTarget,
  CompareResult,
  CompareTarget,
};

/** A key or value: a string is encoded as UTF-8. */
export type Bytes = string | Uint8Array;

/** One key (`{ key }`), a half-open range (`{ key, rangeEnd }`; rangeEnd "\0" = every key ≥ key) or every key with a prefix. */
export type KeyRange = { key: Bytes; rangeEnd?: Bytes } | { prefix: Bytes };

/**
 * linearizable (default): the read reflects every write acknowledged before it started.
 * lease: linearizable too, but the leader answers from its leader lease without
 *   a confirmation round when it holds one (needs bounded clock drift between
 *   members); otherwise it falls back to a linearizable round. Flotilla only:
 *   etcd has no lease reads and serves one as linearizable (the stronger read).
 * serializable: served from the contacted member's local state; may be stale, never torn.
 */
export type Consistency = 'linearizable' | 'lease' | 'serializable';

export interface RangeOptions {
  /** 0/absent: no limit (Flotilla still caps a page, see `more`). */
  limit?: number;
  /** Read at this past revision; 0/absent: the current one. */
  revision?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  sort?: { target?: SortTarget; order?: SortOrder };
  consistency?: Consistency;
}

export type RangeSpec = KeyRange & RangeOptions;

export type GetOptions = Pick<RangeOptions, 'revision' | 'keysOnly' | 'consistency'>;

export interface PutOptions {
  /** Attach the key to this lease (0/absent: none). */
  lease?: number;
  prevKv?: boolean;
}

export interface DeleteOptions {
  prevKv?: boolean;
}

/** Written as `=` `!=` `<` `>` or with etcd's names. */
export type CompareOp = '=' | '!=' | '<' | '>' | CompareResult;

export interface CompareSpec {
  key: Bytes;
  rangeEnd?: Bytes;
  target: CompareTarget;
  result: CompareOp;
  /** The operand for target VALUE. */
  value?: Bytes;
  /** The operand for VERSION, CREATE, MOD or LEASE (whichever `target` names). */
  number?: number;
}

export type OpSpec =
  | { range: RangeSpec }
  | { put: { key: Bytes; value: Bytes } & PutOptions }
  | { delete: KeyRange & DeleteOptions }
  | { txn: TxnSpec };

export interface TxnSpec {
  compare?: CompareSpec[];
  success?: OpSpec[];
  failure?: OpSpec[];
}

export interface WatchOptions {
  /** First revision to deliver; absent: only changes after the watch is created. */
  startRevision?: number;
  prevKv?: boolean;
  filters?: WatchFilter[];
}

/** The events of one or more whole revisions, in revision order. */
export interface WatchBatch {
  /** The store's revision when the batch was formed (≥ every event's modRevision). */
  revision: number;
  events: Event[];
}

/**
 * A watch stream: ordered, no gaps, no duplicates, each revision's events
 * together. Iteration ends after cancel(); it throws CompactedError if the
 * history it needs is gone, and WatchCanceledError if the backend ends it
 * for good.
 */
export interface Watch extends AsyncIterable<WatchBatch> {
  /** The next revision the watch will deliver (resume a new watch here). */
  readonly nextRevision: number;
  /** True once cancelled or ended by an error. */
  readonly closed: boolean;
  /** Resolves once the backend has registered the watch (events after this point are never missed). */
  ready(): Promise<void>;
  /** The next batch, or undefined once cancelled. */
  next(): Promise<WatchBatch | undefined>;
  cancel(): void;
}

export interface LeaseGrant {
  id: number;
  ttlSeconds: number;
}

export interface LeaseTimeToLive {
  id: number;
  /** Remaining seconds as the leader sees it. */
  ttlSeconds: number;
  grantedTtlSeconds: number;
  /** Attached keys, when asked for with `{ keys: true }`. */
  keys: Uint8Array[];
}

export interface KvStatus {
  backend: 'embedded' | 'remote' | 'etcd';
  /** Current revision of the answering member. */
  revision: number;
  /** Backend-specific member id of the answering member and of the leader it knows ('' if none). */
  memberId: string;
  leaderId: string;
  raftTerm: number;
  raftIndex: number;
}

export interface KV {
  /** The key's current (or past, with `revision`) value, undefined if absent. */
  get(key: Bytes, options?: GetOptions): Promise<KeyValue | undefined>;
  range(spec: RangeSpec): Promise<RangeResponse>;
  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResponse>;
  delete(target: Bytes | KeyRange, options?: DeleteOptions): Promise<DeleteRangeResponse>;
  txn(spec: TxnSpec): Promise<TxnResponse>;
  /** Discards history at revisions before `revision`: reads and watches below it fail with CompactedError. */
  compact(revision: number): Promise<void>;
  watch(target: Bytes | KeyRange, options?: WatchOptions): Watch;
  leaseGrant(ttlSeconds: number): Promise<LeaseGrant>;
  /** Revokes the lease and deletes its keys; LeaseNotFoundError if it is gone. */
  leaseRevoke(id: number): Promise<void>;
  /** One keep-alive; LeaseNotFoundError if the lease is gone. See keepAliveEvery() for a loop. */
  leaseKeepAlive(id: number): Promise<LeaseGrant>;
  /** undefined if the lease does not exist (any more). */
  leaseTimeToLive(id: number, options?: { keys?: boolean }): Promise<LeaseTimeToLive | undefined>;
  /** Ids of the live leases, ascending. */
  leases(): Promise<number[]>;
  status(): Promise<KvStatus>;
  /** Cancels watches and releases connections. Further calls reject with ClientClosedError. */
  close(): Promise<void>;
}
