// @flotilla/client/wire-json: the etcd v3 JSON request bodies the remote
// backend sends, built from the same client specs. For tools that call the
// gateway themselves because they need its answer untouched (the flotilla
// CLI's -w json prints the full header and uint64 ids digit for digit, which
// the KV interface's numbers cannot carry).
import { deleteRequest, putRequest, rangeRequest, txnRequest } from '../normalize.js';
import { jsonCodec } from '../remote/json-codec.js';
import type { Bytes, DeleteOptions, KeyRange, PutOptions, RangeSpec, TxnSpec } from '../types.js';
import type { Wire } from '../wire.js';

export type { Wire };

/** POST /v3/kv/range's body for a range spec. */
export function rangeBody(spec: RangeSpec): Wire {
  return jsonCodec.range(rangeRequest(spec));
}

/** POST /v3/kv/put's body. */
export function putBody(key: Bytes, value: Bytes, options: PutOptions = {}): Wire {
  return jsonCodec.put(putRequest(key, value, options));
}

/** POST /v3/kv/deleterange's body. */
export function deleteBody(target: Bytes | KeyRange, options: DeleteOptions = {}): Wire {
  return jsonCodec.deleteRange(deleteRequest(target, options));
}

/** POST /v3/kv/txn's body. */
export function txnBody(spec: TxnSpec): Wire {
  return jsonCodec.txn(txnRequest(spec));
}
