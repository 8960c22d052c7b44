// Validation of decoded (untrusted) input into well-typed requests. Builds
// fresh objects holding plain Uint8Arrays, so nothing msgpackr-specific
// (Buffers, extra fields) leaks into state or responses.

import {
  InvalidRequestError,
  KeyTooLargeError,
  KvError,
  TooManyOpsError,
  ValueTooLargeError,
} from './errors.js';
import type { KvLimits } from './limits.js';
import { parseAuthRequest } from './auth/validate.js';
import { parseMemberRequest } from './members.js';
import { plain } from './bytes.js';
import type { Command } from './command-types.js';
import type {
  Compare,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
} from './types.js';

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new InvalidRequestError(message);
}

function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array)
    fail(`${what} must be a map`);
  return v as Obj;
}

function bytesField(o: Obj, name: string, what: string, required: boolean): Uint8Array | undefined {
  const v = o[name];
  if (v === undefined || v === null) {
    if (required) fail(`${what}.${name} is required (bytes)`);
    return undefined;
  }
  if (!(v instanceof Uint8Array)) fail(`${what}.${name} must be bytes`);
  return plain(v);
}

function intField(o: Obj, name: string, what: string): number | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(`${what}.${name} must be a non-negative safe integer`);
  return v;
}

function boolField(o: Obj, name: string, what: string): boolean | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(`${what}.${name} must be a boolean`);
  return v;
}

function enumField<T extends string>(
  o: Obj,
  name: string,
  what: string,
  allowed: readonly T[],
): T | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    fail(`${what}.${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function arrayField(o: Obj, name: string, what: string): unknown[] {
  const v = o[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`${what}.${name} must be a list`);
  return v;
}

function checkKey(key: Uint8Array, limits: KvLimits): void {
  if (key.byteLength === 0) fail('key must not be empty (etcd rejects empty keys too)');
  if (key.byteLength > limits.keyBytesMax)
    throw KeyTooLargeError.of(key.byteLength, limits.keyBytesMax);
}

/**
 * Drops undefined fields so equal requests encode to equal bytes. Copies instead of deleting:
 * `delete` turns an object into a slow dictionary (one request per write passes here).
 */
function compact<T extends object>(o: T): T {
  const out: Partial<T> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as T;
}

const SORT_ORDERS: readonly SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const SORT_TARGETS: readonly SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];

export function parseRange(v: unknown, limits: KvLimits, what = 'range'): RangeRequest {
  const o = obj(v, what);
  const key = bytesField(o, 'key', what, true)!;
  const rangeEnd = bytesField(o, 'rangeEnd', what, false);
  checkKey(key, limits);
  if (rangeEnd && rangeEnd.byteLength > limits.keyBytesMax)
    throw KeyTooLargeError.of(rangeEnd.byteLength, limits.keyBytesMax);
  return compact({
    key,
    rangeEnd,
    limit: intField(o, 'limit', what),
    revision: intField(o, 'revision', what),
    sortOrder: enumField(o, 'sortOrder', what, SORT_ORDERS),
    sortTarget: enumField(o, 'sortTarget', what, SORT_TARGETS),
    keysOnly: boolField(o, 'keysOnly', what),
    countOnly: boolField(o, 'countOnly', what),
    serializable: boolField(o, 'serializable', what),
  });
}

function parsePut(v: unknown, limits: KvLimits, what = 'put'): PutRequest {
  const o = obj(v, what);
  const key = bytesField(o, 'key', what, true)!;
  const value = bytesField(o, 'value', what, false) ?? new Uint8Array(0);
  checkKey(key, limits);
  if (value.byteLength > limits.valueBytesMax)
    throw ValueTooLargeError.of(value.byteLength, limits.valueBytesMax);
  const req: PutRequest = compact({
    key,
    value,
    lease: intField(o, 'lease', what),
    prevKv: boolField(o, 'prevKv', what),
    ignoreValue: boolField(o, 'ignoreValue', what),
    ignoreLease: boolField(o, 'ignoreLease', what),
  });
  if (req.ignoreValue && value.byteLength > 0)
    fail(`${what}: value is provided together with ignoreValue; send one or the other`);
  if (req.ignoreLease && (req.lease ?? 0) !== 0)
    fail(`${what}: lease is provided together with ignoreLease; send one or the other`);
  return req;
}

function parseDelete(v: unknown, limits: KvLimits, what = 'deleteRange'): DeleteRangeRequest {
  const o = obj(v, what);
  const key = bytesField(o, 'key', what, true)!;
  const rangeEnd = bytesField(o, 'rangeEnd', what, false);
  checkKey(key, limits);
  if (rangeEnd && rangeEnd.byteLength > limits.keyBytesMax)
    throw KeyTooLargeError.of(rangeEnd.byteLength, limits.keyBytesMax);
  return compact({ key, rangeEnd, prevKv: boolField(o, 'prevKv', what) });
}

const COMPARE_RESULTS = ['EQUAL', 'NOT_EQUAL', 'GREATER', 'LESS'] as const;
const COMPARE_TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;

function parseCompare(v: unknown, limits: KvLimits, what: string): Compare {
  const o = obj(v, what);
  const key = bytesField(o, 'key', what, true)!;
  const rangeEnd = bytesField(o, 'rangeEnd', what, false);
  checkKey(key, limits);
  if (rangeEnd && rangeEnd.byteLength > limits.keyBytesMax)
    throw KeyTooLargeError.of(rangeEnd.byteLength, limits.keyBytesMax);
  const result = enumField(o, 'result', what, COMPARE_RESULTS) ?? 'EQUAL';
  const target =
    enumField(o, 'target', what, COMPARE_TARGETS) ?? fail(`${what}.target is required`);
  const value = bytesField(o, 'value', what, false);
  if (value && value.byteLength > limits.valueBytesMax)
    throw ValueTooLargeError.of(value.byteLength, limits.valueBytesMax);
  return compact({
    result,
    target,
    key,
    rangeEnd,
    version: intField(o, 'version', what),
    createRevision: intField(o, 'createRevision', what),
    modRevision: intField(o, 'modRevision', what),
    value,
    lease: intField(o, 'lease', what),
  });
}

function parseOp(v: unknown, limits: KvLimits, depth: number, what: string): RequestOp {
  const o = obj(v, what);
  const present = ['requestRange', 'requestPut', 'requestDeleteRange', 'requestTxn'].filter(
    (k) => o[k] !== undefined && o[k] !== null,
  );
  if (present.length !== 1)
    fail(
      `${what} must set exactly one of requestRange, requestPut, requestDeleteRange, requestTxn`,
    );
  switch (present[0]) {
    case 'requestRange':
      return { requestRange: parseRange(o['requestRange'], limits, `${what}.requestRange`) };
    case 'requestPut':
      return { requestPut: parsePut(o['requestPut'], limits, `${what}.requestPut`) };
    case 'requestDeleteRange':
      return {
        requestDeleteRange: parseDelete(
          o['requestDeleteRange'],
          limits,
          `${what}.requestDeleteRange`,
        ),
      };
    default:
      return { requestTxn: parseTxn(o['requestTxn'], limits, depth + 1, `${what}.requestTxn`) };
  }
}

function parseTxn(v: unknown, limits: KvLimits, depth: number, what = 'txn'): TxnRequest {
  if (depth > limits.txnDepthMax)
    fail(`txns are nested more than ${limits.txnDepthMax} deep (txnDepthMax); flatten the request`);
  const o = obj(v, what);
  const compare = arrayField(o, 'compare', what);
  const success = arrayField(o, 'success', what);
  const failure = arrayField(o, 'failure', what);
  for (const list of [compare, success, failure]) {
    if (list.length > limits.txnOpsMax) throw TooManyOpsError.of(list.length, limits.txnOpsMax);
  }
  return {
    compare: compare.map((c, i) => parseCompare(c, limits, `${what}.compare[${i}]`)),
    success: success.map((op, i) => parseOp(op, limits, depth, `${what}.success[${i}]`)),
    failure: failure.map((op, i) => parseOp(op, limits, depth, `${what}.failure[${i}]`)),
  };
}

function positiveInt(o: Obj, name: string, what: string): number {
  const n = intField(o, name, what);
  if (n === undefined) fail(`${what}.${name} is required`);
  return n;
}

function parseCommand(v: unknown, limits: KvLimits): Command {
  const o = obj(v, 'cmd');
  const request = o['request'];
  switch (o['op']) {
    case 'put':
      return { op: 'put', request: parsePut(request, limits) };
    case 'deleteRange':
      return { op: 'deleteRange', request: parseDelete(request, limits) };
    case 'txn':
      return { op: 'txn', request: parseTxn(request, limits, 0) };
    case 'compact':
      return {
        op: 'compact',
        request: { revision: positiveInt(obj(request, 'compact'), 'revision', 'compact') },
      };
    case 'leaseGrant': {
      const r = obj(request, 'leaseGrant');
      return {
        op: 'leaseGrant',
        request: {
          id: intField(r, 'id', 'leaseGrant') ?? 0,
          ttl: positiveInt(r, 'ttl', 'leaseGrant'),
        },
      };
    }
    case 'leaseRevoke':
      return {
        op: 'leaseRevoke',
        request: { id: positiveInt(obj(request, 'leaseRevoke'), 'id', 'leaseRevoke') },
      };
    case 'leaseCheckpoint': {
      const list = arrayField(obj(request, 'leaseCheckpoint'), 'checkpoints', 'leaseCheckpoint');
      const checkpoints = list.map((c, i) => {
        const co = obj(c, `leaseCheckpoint.checkpoints[${i}]`);
        return {
          id: positiveInt(co, 'id', 'checkpoint'),
          remainingTtl: positiveInt(co, 'remainingTtl', 'checkpoint'),
        };
      });
      return { op: 'leaseCheckpoint', request: { checkpoints } };
    }
    case 'leaseExpire': {
      const ids = arrayField(obj(request, 'leaseExpire'), 'ids', 'leaseExpire');
      for (const id of ids)
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
          fail('leaseExpire.ids must be positive safe integers');
      return { op: 'leaseExpire', request: { ids: ids as number[] } };
    }
    case 'auth':
      return { op: 'auth', request: parseAuthRequest(request, limits) };
    case 'register':
      return { op: 'register' };
    case 'member':
      return { op: 'member', request: parseMemberRequest(request) };
    default:
      return fail(
        `cmd.op must be one of put, deleteRange, txn, compact, leaseGrant, leaseRevoke, leaseCheckpoint, leaseExpire, auth, register, member`,
      );
  }
}

export function validateCommand(v: unknown, limits: KvLimits): Command | KvError {
  try {
    return parseCommand(v, limits);
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
}

/** Validates a range request given directly by a caller (reads are not commands). */
export function validateRange(v: unknown, limits: KvLimits): RangeRequest | KvError {
  try {
    return parseRange(v, limits);
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
}
