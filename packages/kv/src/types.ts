// Request and response shapes, following etcd v3's API (camelCase, as in its
// JSON gateway). Revisions and lease ids are JS numbers (safe integers), where
// etcd uses int64.

export interface ResponseHeader {
  revision: number;
}

export interface KeyValue {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Uint8Array;
  /** Absent/empty: just `key`. A single zero byte: every key ≥ `key`. */
  rangeEnd?: Uint8Array;
  /** 0 = no limit (still capped by rangeKeysMax, see README). */
  limit?: number;
  /** 0 = current revision. */
  revision?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  keysOnly?: boolean;
  countOnly?: boolean;
  /** Accepted for etcd compatibility; the node layer decides linearizability. */
  serializable?: boolean;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Uint8Array;
  value: Uint8Array;
  lease?: number;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface PutResponse {
  header: ResponseHeader;
  prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  prevKv?: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'NOT_EQUAL' | 'GREATER' | 'LESS';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Uint8Array;
  lease?: number;
}

/** Exactly one field is set. */
export interface RequestOp {
  requestRange?: RangeRequest;
  requestPut?: PutRequest;
  requestDeleteRange?: DeleteRangeRequest;
  requestTxn?: TxnRequest;
}

export interface ResponseOp {
  responseRange?: RangeResponse;
  responsePut?: PutResponse;
  responseDeleteRange?: DeleteRangeResponse;
  responseTxn?: TxnResponse;
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
}

export interface CompactionResponse {
  header: ResponseHeader;
}

export interface LeaseGrantRequest {
  /** 0: derived from the entry's index (see README). */
  id: number;
  /** Seconds. */
  ttl: number;
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: number;
  ttl: number;
}

export interface LeaseRevokeRequest {
  id: number;
}

export interface LeaseRevokeResponse {
  header: ResponseHeader;
}

export interface LeaseCheckpointRequest {
  checkpoints: { id: number; remainingTtl: number }[];
}

export interface LeaseCheckpointResponse {
  header: ResponseHeader;
}

export interface LeaseExpireRequest {
  ids: number[];
}

export interface LeaseExpireResponse {
  header: ResponseHeader;
  /** The ids that existed and were revoked (unknown ids are skipped: already gone). */
  revoked: number[];
}

export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  id: number;
  /** Granted TTL in seconds; remaining time is leader-local (LeaseTracker). */
  grantedTtl: number;
  /** Last replicated checkpoint of the remaining TTL in seconds, or -1 if none. */
  checkpointTtl: number;
  keys: Uint8Array[];
}

export interface LeaseStatus {
  id: number;
  ttl: number;
}

/** A raft no-op entry (empty data) only advances the applied index. */
export interface NoopResponse {
  header: ResponseHeader;
}

export type CommandResponse =
  | PutResponse
  | DeleteRangeResponse
  | TxnResponse
  | CompactionResponse
  | LeaseGrantResponse
  | LeaseRevokeResponse
  | LeaseCheckpointResponse
  | LeaseExpireResponse
  | NoopResponse;

export type WatchFilter = 'NOPUT' | 'NODELETE';

export interface WatchRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  /** 0/absent: only future events (current revision + 1). */
  startRevision?: number;
  prevKv?: boolean;
  filters?: WatchFilter[];
  /** Receive progress notifications on progressTick() while idle. */
  progressNotify?: boolean;
}

export interface Event {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchResponse {
  /** The revision the store had reached when this response was formed. */
  revision: number;
  events: Event[];
  /** Set (with canceled) when the start revision was compacted away. */
  compactRevision?: number;
  canceled?: boolean;
  cancelReason?: string;
}
