// etcd JSON requests → @flotilla/kv request shapes. Validation that etcd does
// before a request reaches raft (key present, enums known) happens here, so a
// bad request is refused without touching the cluster.
import type {
  Compare,
  CompactionRequest,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '@flotilla/kv';
import { EtcdMessage, GatewayError } from './gateway-error.js';
import {
  asObject,
  readArray,
  readBool,
  readBytes,
  readEnum,
  readInt64,
  type JsonObject,
} from './json-reader.js';

export const SORT_ORDERS = ['NONE', 'ASCEND', 'DESCEND'] as const;
export const SORT_TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
export const COMPARE_RESULTS = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
export const COMPARE_TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;

function requireKey(obj: JsonObject, path: string): Uint8Array {
  const key = readBytes(obj, 'key', path);
  if (!key || key.length === 0) throw GatewayError.invalidArgument(EtcdMessage.keyNotProvided);
  return key;
}

/** Copies only the fields that are set, so decoded requests compare equal to hand-written ones. */
function defined<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as (keyof T)[]) if (obj[k] === undefined) delete obj[k];
  return obj;
}

export function decodeRangeRequest(json: JsonObject, path = 'range'): RangeRequest {
  return defined({
    key: requireKey(json, path),
    rangeEnd: readBytes(json, 'range_end', path),
    limit: readInt64(json, 'limit', path),
    revision: readInt64(json, 'revision', path),
    sortOrder: readEnum(json, 'sort_order', SORT_ORDERS, path),
    sortTarget: readEnum(json, 'sort_target', SORT_TARGETS, path),
    serializable: readBool(json, 'serializable', path),
    keysOnly: readBool(json, 'keys_only', path),
    countOnly: readBool(json, 'count_only', path),
  });
}

export function decodePutRequest(json: JsonObject, path = 'put'): PutRequest {
  return defined({
    key: requireKey(json, path),
    value: readBytes(json, 'value', path) ?? new Uint8Array(0),
    lease: readInt64(json, 'lease', path),
    prevKv: readBool(json, 'prev_kv', path),
    ignoreValue: readBool(json, 'ignore_value', path),
    ignoreLease: readBool(json, 'ignore_lease', path),
  });
}

export function decodeDeleteRangeRequest(
  json: JsonObject,
  path = 'deleterange',
): DeleteRangeRequest {
  return defined({
    key: requireKey(json, path),
    rangeEnd: readBytes(json, 'range_end', path),
    prevKv: readBool(json, 'prev_kv', path),
  });
}

export function decodeCompactionRequest(json: JsonObject, path = 'compaction'): CompactionRequest {
  return { revision: readInt64(json, 'revision', path) ?? 0 };
}

function decodeCompare(value: unknown, path: string): Compare {
  const json = asObject(value, path);
  return defined({
    result: readEnum(json, 'result', COMPARE_RESULTS, path) ?? 'EQUAL',
    target: readEnum(json, 'target', COMPARE_TARGETS, path) ?? 'VERSION',
    key: requireKey(json, path),
    rangeEnd: readBytes(json, 'range_end', path),
    version: readInt64(json, 'version', path),
    createRevision: readInt64(json, 'create_revision', path),
    modRevision: readInt64(json, 'mod_revision', path),
    value: readBytes(json, 'value', path),
    lease: readInt64(json, 'lease', path),
  });
}

function decodeRequestOp(value: unknown, path: string): RequestOp {
  const json = asObject(value, path);
  const range = readObjectField(json, 'request_range');
  if (range) return { requestRange: decodeRangeRequest(range, `${path}.request_range`) };
  const put = readObjectField(json, 'request_put');
  if (put) return { requestPut: decodePutRequest(put, `${path}.request_put`) };
  const del = readObjectField(json, 'request_delete_range');
  if (del)
    return { requestDeleteRange: decodeDeleteRangeRequest(del, `${path}.request_delete_range`) };
  const txn = readObjectField(json, 'request_txn');
  if (txn) return { requestTxn: decodeTxnRequest(txn, `${path}.request_txn`) };
  // etcd answers an empty op with an empty response; a request that does nothing is refused here instead.
  throw GatewayError.invalidArgument(
    `${path} must set one of request_range, request_put, request_delete_range, request_txn`,
  );
}

function readObjectField(json: JsonObject, name: string): JsonObject | undefined {
  const camelName = name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  const value = json[name] ?? json[camelName];
  return value === undefined || value === null ? undefined : asObject(value, name);
}

export function decodeTxnRequest(json: JsonObject, path = 'txn'): TxnRequest {
  const list = <T>(name: string, each: (v: unknown, p: string) => T): T[] =>
    (readArray(json, name, path) ?? []).map((v, i) => each(v, `${path}.${name}[${i}]`));
  return {
    compare: list('compare', decodeCompare),
    success: list('success', decodeRequestOp),
    failure: list('failure', decodeRequestOp),
  };
}
