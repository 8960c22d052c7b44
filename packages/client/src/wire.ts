// etcd v3's wire shapes (snake_case fields, int64 as strings, enums) to and
// from @flotilla/kv's canonical shapes. Shared by the remote backend (JSON
// gateway: bytes as base64, enums by name) and the etcd backend (etcd3's
// gRPC objects: bytes as Buffers, enums by number). Responses are read
// leniently: missing fields are etcd's zero values, camelCase is accepted too.

import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchRequest,
} from '@flotilla/kv';
import { UnexpectedResponseError } from './errors.js';

export type Wire = Record<string, unknown>;

export interface WireStyle {
  encodeBytes(bytes: Uint8Array): unknown;
  decodeBytes(value: unknown): Uint8Array;
  /** true: enums by etcd's JSON name ('EQUAL'); false: by number. */
  enumNames: boolean;
}

const SORT_ORDER = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const;
const SORT_TARGET = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const;
const COMPARE_RESULT = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
const COMPARE_TARGET = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;
const FILTER = { NOPUT: 0, NODELETE: 1 } as const;

export const jsonStyle: WireStyle = {
  encodeBytes: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'),
  decodeBytes: (v) =>
    typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : new Uint8Array(0),
  enumNames: true,
};

export class WireCodec {
  constructor(private readonly style: WireStyle) {}

  private enumOf<T extends Record<string, number>>(table: T, name: keyof T & string): unknown {
    return this.style.enumNames ? name : table[name];
  }

  private span(out: Wire, key: Uint8Array, rangeEnd: Uint8Array | undefined): Wire {
    out['key'] = this.style.encodeBytes(key);
    if (rangeEnd && rangeEnd.length > 0) out['range_end'] = this.style.encodeBytes(rangeEnd);
    return out;
  }

  range(req: RangeRequest): Wire {
    const out = this.span({}, req.key, req.rangeEnd);
    if (req.limit) out['limit'] = req.limit;
    if (req.revision) out['revision'] = req.revision;
    if (req.sortOrder && req.sortOrder !== 'NONE')
      out['sort_order'] = this.enumOf(SORT_ORDER, req.sortOrder);
    if (req.sortTarget && req.sortTarget !== 'KEY')
      out['sort_target'] = this.enumOf(SORT_TARGET, req.sortTarget);
    if (req.serializable) out['serializable'] = true;
    if (req.keysOnly) out['keys_only'] = true;
    if (req.countOnly) out['count_only'] = true;
    return out;
  }

  put(req: PutRequest): Wire {
    const out: Wire = {
      key: this.style.encodeBytes(req.key),
      value: this.style.encodeBytes(req.value),
    };
    if (req.lease) out['lease'] = req.lease;
    if (req.prevKv) out['prev_kv'] = true;
    if (req.ignoreValue) out['ignore_value'] = true;
    if (req.ignoreLease) out['ignore_lease'] = true;
    return out;
  }

  deleteRange(req: DeleteRangeRequest): Wire {
    const out = this.span({}, req.key, req.rangeEnd);
    if (req.prevKv) out['prev_kv'] = true;
    return out;
  }

  compare(cmp: Compare): Wire {
    const out = this.span({}, cmp.key, cmp.rangeEnd);
    out['result'] = this.enumOf(COMPARE_RESULT, cmp.result);
    out['target'] = this.enumOf(COMPARE_TARGET, cmp.target);
    if (cmp.target === 'VALUE')
      out['value'] = this.style.encodeBytes(cmp.value ?? new Uint8Array(0));
    else if (cmp.target === 'VERSION') out['version'] = cmp.version ?? 0;
    else if (cmp.target === 'CREATE') out['create_revision'] = cmp.createRevision ?? 0;
    else if (cmp.target === 'MOD') out['mod_revision'] = cmp.modRevision ?? 0;
    else out['lease'] = cmp.lease ?? 0;
    return out;
  }

  requestOp(op: RequestOp): Wire {
    if (op.requestRange) return { request_range: this.range(op.requestRange) };
    if (op.requestPut) return { request_put: this.put(op.requestPut) };
    if (op.requestDeleteRange)
      return { request_delete_range: this.deleteRange(op.requestDeleteRange) };
    if (op.requestTxn) return { request_txn: this.txn(op.requestTxn) };
    throw new UnexpectedResponseError(
      'a txn operation must set one of requestRange, requestPut, requestDeleteRange, requestTxn',
    );
  }

  txn(req: TxnRequest): Wire {
    return {
      compare: req.compare.map((c) => this.compare(c)),
      success: req.success.map((o) => this.requestOp(o)),
      failure: req.failure.map((o) => this.requestOp(o)),
    };
  }

  watchCreate(req: WatchRequest): Wire {
    const out = this.span({}, req.key, req.rangeEnd);
    if (req.startRevision) out['start_revision'] = req.startRevision;
    if (req.prevKv) out['prev_kv'] = true;
    if (req.filters && req.filters.length > 0)
      out['filters'] = req.filters.map((f) => this.enumOf(FILTER, f));
    if (req.progressNotify) out['progress_notify'] = true;
    return out;
  }

  // ---- responses ----

  keyValue(o: unknown): KeyValue {
    const w = asWire(o);
    return {
      key: this.style.decodeBytes(get(w, 'key')),
      value: this.style.decodeBytes(get(w, 'value')),
      createRevision: int(get(w, 'create_revision')),
      modRevision: int(get(w, 'mod_revision')),
      version: int(get(w, 'version')),
      lease: int(get(w, 'lease')),
    };
  }

  rangeResponse(o: unknown): RangeResponse {
    const w = asWire(o);
    return {
      header: header(w),
      kvs: list(get(w, 'kvs')).map((k) => this.keyValue(k)),
      more: get(w, 'more') === true,
      count: int(get(w, 'count')),
    };
  }

  putResponse(o: unknown): PutResponse {
    const w = asWire(o);
    const prev = get(w, 'prev_kv');
    const res: PutResponse = { header: header(w) };
    if (isPresentKv(prev)) res.prevKv = this.keyValue(prev);
    return res;
  }

  deleteRangeResponse(o: unknown): DeleteRangeResponse {
    const w = asWire(o);
    return {
      header: header(w),
      deleted: int(get(w, 'deleted')),
      prevKvs: list(get(w, 'prev_kvs')).map((k) => this.keyValue(k)),
    };
  }

  responseOp(o: unknown): ResponseOp {
    const w = asWire(o);
    const r = get(w, 'response_range');
    if (r != null) return { responseRange: this.rangeResponse(r) };
    const p = get(w, 'response_put');
    if (p != null) return { responsePut: this.putResponse(p) };
    const d = get(w, 'response_delete_range');
    if (d != null) return { responseDeleteRange: this.deleteRangeResponse(d) };
    const t = get(w, 'response_txn');
    if (t != null) return { responseTxn: this.txnResponse(t) };
    // etcd3's decoder sets every oneof member; an all-empty op is a range with no keys.
    return { responseRange: { header: { revision: 0 }, kvs: [], more: false, count: 0 } };
  }

  txnResponse(o: unknown): TxnResponse {
    const w = asWire(o);
    return {
      header: header(w),
      succeeded: get(w, 'succeeded') === true,
      responses: list(get(w, 'responses')).map((r) => this.responseOp(r)),
    };
  }

  event(o: unknown): Event {
    const w = asWire(o);
    const t = get(w, 'type');
    const ev: Event = {
      type: t === 'DELETE' || t === 'Delete' || t === 1 ? 'DELETE' : 'PUT',
      kv: this.keyValue(get(w, 'kv')),
    };
    const prev = get(w, 'prev_kv');
    if (isPresentKv(prev)) ev.prevKv = this.keyValue(prev);
    return ev;
  }
}

export function asWire(o: unknown): Wire {
  if (o === null || o === undefined) return {};
  if (typeof o !== 'object')
    throw new UnexpectedResponseError(`expected a JSON object, got ${typeof o}`);
  return o as Wire;
}

/** A field by its snake_case name, or the camelCase spelling. */
export function get(w: Wire, snake: string): unknown {
  const v = w[snake];
  if (v !== undefined) return v;
  return w[snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
}

/** int64 on the wire (string or number; absent = 0) to a JS number. */
export function int(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n))
    throw new UnexpectedResponseError(`expected an integer, got ${JSON.stringify(v)}`);
  return n;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function header(w: Wire): { revision: number } {
  return { revision: int(get(asWire(get(w, 'header')), 'revision')) };
}

/** etcd3's decoder fills absent messages with empty objects; a prevKv without a key is no prevKv. */
function isPresentKv(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const key = (v as Wire)['key'];
  return (
    key !== undefined &&
    key !== null &&
    (typeof key === 'string' ? key.length > 0 : (key as Uint8Array).length > 0)
  );
}
