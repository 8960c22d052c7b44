// @flotilla/kv responses → etcd's proto3 JSON: snake_case names, int64s as
// decimal strings, bytes as base64, and zero/false/empty fields omitted, so a
// response is byte-for-byte what etcd's gateway would send for the same data.
import type {
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutResponse,
  RangeResponse,
  ResponseOp,
  TxnResponse,
} from '@flotilla/kv';
import { encodeBase64 } from './base64.js';

export type Json = Record<string, unknown>;

/** The top-level header etcd puts on every response. ids are decimal uint64 strings. */
export interface WireHeader {
  readonly clusterId: string;
  readonly memberId: string;
  readonly revision: number;
  readonly raftTerm: number;
}

/** An int64 field: a string, or undefined (omitted) when zero. */
export function i64(n: number | undefined): string | undefined {
  return n ? String(n) : undefined;
}

export function b64(data: Uint8Array | undefined): string | undefined {
  return data && data.length > 0 ? encodeBase64(data) : undefined;
}

function flag(value: boolean | undefined): true | undefined {
  return value ? true : undefined;
}

function list<T>(
  items: readonly T[] | undefined,
  each: (item: T) => unknown,
): unknown[] | undefined {
  return items && items.length > 0 ? items.map(each) : undefined;
}

export function encodeHeader(h: WireHeader): Json {
  return {
    cluster_id: h.clusterId === '0' ? undefined : h.clusterId,
    member_id: h.memberId === '0' ? undefined : h.memberId,
    revision: i64(h.revision),
    raft_term: i64(h.raftTerm),
  };
}

export function encodeKeyValue(kv: KeyValue): Json {
  return {
    key: b64(kv.key),
    create_revision: i64(kv.createRevision),
    mod_revision: i64(kv.modRevision),
    version: i64(kv.version),
    value: b64(kv.value),
    lease: i64(kv.lease),
  };
}

/** Range/put/delete responses nested in a txn carry a header with only the revision, as etcd's do. */
function nestedHeader(revision: number): Json {
  return { revision: i64(revision) };
}

export function encodeRangeBody(r: RangeResponse, header: Json): Json {
  return { header, kvs: list(r.kvs, encodeKeyValue), more: flag(r.more), count: i64(r.count) };
}

export function encodePutBody(r: PutResponse, header: Json): Json {
  return { header, prev_kv: r.prevKv ? encodeKeyValue(r.prevKv) : undefined };
}

export function encodeDeleteRangeBody(r: DeleteRangeResponse, header: Json): Json {
  return { header, deleted: i64(r.deleted), prev_kvs: list(r.prevKvs, encodeKeyValue) };
}

function encodeResponseOp(op: ResponseOp): Json {
  if (op.responseRange)
    return {
      response_range: encodeRangeBody(
        op.responseRange,
        nestedHeader(op.responseRange.header.revision),
      ),
    };
  if (op.responsePut)
    return {
      response_put: encodePutBody(op.responsePut, nestedHeader(op.responsePut.header.revision)),
    };
  if (op.responseDeleteRange) {
    return {
      response_delete_range: encodeDeleteRangeBody(
        op.responseDeleteRange,
        nestedHeader(op.responseDeleteRange.header.revision),
      ),
    };
  }
  // etcd leaves a nested txn's header empty (its ops carry the revision).
  if (op.responseTxn) return { response_txn: encodeTxnBody(op.responseTxn, {}) };
  return {};
}

export function encodeTxnBody(r: TxnResponse, header: Json): Json {
  return { header, succeeded: flag(r.succeeded), responses: list(r.responses, encodeResponseOp) };
}

export function encodeEvent(e: Event): Json {
  return {
    type: e.type === 'DELETE' ? 'DELETE' : undefined,
    kv: encodeKeyValue(e.kv),
    prev_kv: e.prevKv ? encodeKeyValue(e.prevKv) : undefined,
  };
}
