// Client specs (loose keys, prefix ranges, `=` operators) to the canonical
// request shapes of @flotilla/kv that every backend translates to its wire.

import type {
  Compare,
  CompareResult,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
  WatchRequest,
} from '@flotilla/kv';
import { InvalidRequestError } from '@flotilla/kv';
import { toBytes, toSpan } from './bytes.js';
import type {
  Bytes,
  CompareOp,
  CompareSpec,
  DeleteOptions,
  KeyRange,
  OpSpec,
  PutOptions,
  RangeSpec,
  TxnSpec,
  WatchOptions,
} from './types.js';

export function rangeRequest(spec: RangeSpec): RangeRequest {
  const req: RangeRequest = { ...toSpan(spec) };
  if (spec.limit) req.limit = spec.limit;
  if (spec.revision) req.revision = spec.revision;
  if (spec.keysOnly) req.keysOnly = true;
  if (spec.countOnly) req.countOnly = true;
  if (spec.sort?.order && spec.sort.order !== 'NONE') req.sortOrder = spec.sort.order;
  if (spec.sort?.target && spec.sort.target !== 'KEY') req.sortTarget = spec.sort.target;
  if (spec.consistency === 'serializable') req.serializable = true;
  return req;
}

export function putRequest(key: Bytes, value: Bytes, options: PutOptions = {}): PutRequest {
  const req: PutRequest = { key: toBytes(key), value: toBytes(value) };
  if (options.lease) req.lease = options.lease;
  if (options.prevKv) req.prevKv = true;
  return req;
}

export function deleteRequest(
  target: Bytes | KeyRange,
  options: DeleteOptions = {},
): DeleteRangeRequest {
  const req: DeleteRangeRequest = { ...toSpan(target) };
  if (options.prevKv) req.prevKv = true;
  return req;
}

const ops: Record<CompareOp, CompareResult> = {
  '=': 'EQUAL',
  '!=': 'NOT_EQUAL',
  '<': 'LESS',
  '>': 'GREATER',
  EQUAL: 'EQUAL',
  NOT_EQUAL: 'NOT_EQUAL',
  LESS: 'LESS',
  GREATER: 'GREATER',
};

export function compareRequest(spec: CompareSpec): Compare {
  const result = ops[spec.result];
  if (!result)
    throw new InvalidRequestError(
      `unknown compare operator ${String(spec.result)}; use = != < > or EQUAL NOT_EQUAL LESS GREATER`,
    );
  const cmp: Compare = {
    result,
    target: spec.target,
    ...toSpan(spec.rangeEnd === undefined ? spec.key : { key: spec.key, rangeEnd: spec.rangeEnd }),
  };
  if (spec.target === 'VALUE') {
    if (spec.value === undefined) throw new InvalidRequestError('a VALUE compare needs `value`');
    cmp.value = toBytes(spec.value);
    return cmp;
  }
  if (spec.number === undefined)
    throw new InvalidRequestError(`a ${spec.target} compare needs \`number\``);
  if (spec.target === 'VERSION') cmp.version = spec.number;
  else if (spec.target === 'CREATE') cmp.createRevision = spec.number;
  else if (spec.target === 'MOD') cmp.modRevision = spec.number;
  else cmp.lease = spec.number;
  return cmp;
}

export function requestOp(op: OpSpec): RequestOp {
  if ('range' in op) return { requestRange: rangeRequest(op.range) };
  if ('put' in op) return { requestPut: putRequest(op.put.key, op.put.value, op.put) };
  if ('delete' in op) return { requestDeleteRange: deleteRequest(op.delete, op.delete) };
  return { requestTxn: txnRequest(op.txn) };
}

export function txnRequest(spec: TxnSpec): TxnRequest {
  return {
    compare: (spec.compare ?? []).map(compareRequest),
    success: (spec.success ?? []).map(requestOp),
    failure: (spec.failure ?? []).map(requestOp),
  };
}

export function watchRequest(target: Bytes | KeyRange, options: WatchOptions = {}): WatchRequest {
  const req: WatchRequest = { ...toSpan(target) };
  if (options.startRevision) req.startRevision = options.startRevision;
  if (options.prevKv) req.prevKv = true;
  if (options.filters && options.filters.length > 0) req.filters = [...options.filters];
  return req;
}

/** Small builders so transactions read like etcd's clientv3 (`compare('k', 'VALUE', '=', 'x')`, `op.put('k', 'v')`). */
export function compare(
  key: Bytes,
  target: 'VALUE',
  result: CompareOp,
  operand: Bytes,
): CompareSpec;
export function compare(
  key: Bytes,
  target: 'VERSION' | 'CREATE' | 'MOD' | 'LEASE',
  result: CompareOp,
  operand: number,
): CompareSpec;
export function compare(
  key: Bytes,
  target: CompareSpec['target'],
  result: CompareOp,
  operand: Bytes | number,
): CompareSpec {
  return typeof operand === 'number'
    ? { key, target, result, number: operand }
    : { key, target, result, value: operand };
}

export const op = {
  get: (key: Bytes, options: Omit<RangeSpec, 'key' | 'rangeEnd' | 'prefix'> = {}): OpSpec => ({
    range: { key, ...options },
  }),
  range: (spec: RangeSpec): OpSpec => ({ range: spec }),
  put: (key: Bytes, value: Bytes, options: PutOptions = {}): OpSpec => ({
    put: { key, value, ...options },
  }),
  delete: (target: Bytes | KeyRange, options: DeleteOptions = {}): OpSpec => ({
    delete:
      typeof target === 'string' || target instanceof Uint8Array
        ? { key: target, ...options }
        : { ...target, ...options },
  }),
  txn: (spec: TxnSpec): OpSpec => ({ txn: spec }),
};
