// fast-check generators for model commands, and translation of model
// commands and real responses into each other's terms.

import fc from 'fast-check';
import {
  bytes,
  text,
  type Command,
  type Compare,
  type KeyValue,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
} from '../src/index.js';
import type { MCommand, MCompare, MKv, MOp, MRange } from './model.js';

export const KEYS = ['a', 'ab', 'b', 'ba', 'c', 'd'];
const key = fc.constantFrom(...KEYS);
const end = fc.constantFrom<string | undefined>(undefined, undefined, '\0', 'b', 'c', 'e');
const value = fc.constantFrom('', 'v1', 'v2', 'v3');
const lease = fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4);
const rarely = fc.constantFrom(false, false, false, false, true);

export const mRange: fc.Arbitrary<MRange> = fc.record(
  {
    key,
    end,
    revision: fc.nat(20),
    limit: fc.constantFrom(0, 1, 2, 3),
    sortOrder: fc.constantFrom('NONE', 'ASCEND', 'DESCEND'),
    sortTarget: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
    keysOnly: fc.boolean(),
    countOnly: fc.boolean(),
  },
  { requiredKeys: ['key'] },
);

const mPut: fc.Arbitrary<MOp> = fc
  .record({ key, value, lease, prevKv: fc.boolean(), ignoreValue: rarely, ignoreLease: rarely })
  .map((p) => ({
    t: 'put' as const,
    ...p,
    value: p.ignoreValue ? '' : p.value,
    lease: p.ignoreLease ? 0 : p.lease,
  }));

const mDel: fc.Arbitrary<MOp> = fc
  .record({ key, end, prevKv: fc.boolean() })
  .map((d) => ({ t: 'del' as const, ...d }));

const mCompare: fc.Arbitrary<MCompare> = fc.record({
  target: fc.constantFrom('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
  result: fc.constantFrom('EQUAL', 'NOT_EQUAL', 'GREATER', 'LESS'),
  key,
  end: fc.constantFrom<string | undefined>(undefined, undefined, undefined, 'c'),
  n: fc.nat(6),
  value,
});

const mTxn: fc.Arbitrary<MOp> = fc.letrec<{ txn: MOp; op: MOp }>((tie) => ({
  txn: fc
    .record({
      compare: fc.array(mCompare, { maxLength: 2 }),
      success: fc.array(tie('op'), { maxLength: 3 }),
      failure: fc.array(tie('op'), { maxLength: 3 }),
    })
    .map((t) => ({ t: 'txn' as const, ...t })),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    mPut,
    mDel,
    mRange.map((range) => ({ t: 'range' as const, range })),
    tie('txn'),
  ),
})).txn;

export const mCommand: fc.Arbitrary<MCommand> = fc.oneof(
  { weight: 5, arbitrary: mPut },
  { weight: 2, arbitrary: mDel },
  { weight: 3, arbitrary: mTxn },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 20 })
      .map((revision) => ({ t: 'compact' as const, revision })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ id: fc.constantFrom(0, 1, 2, 3), ttl: fc.integer({ min: 1, max: 100 }) })
      .map((g) => ({ t: 'grant' as const, ...g })),
  },
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 4).map((id) => ({ t: 'revoke' as const, id })) },
  {
    weight: 1,
    arbitrary: fc
      .uniqueArray(fc.constantFrom(1, 2, 3, 4, 5), { maxLength: 3 })
      .map((ids) => ({ t: 'expire' as const, ids })),
  },
);

const b = bytes;
const endBytes = (e: string | undefined): { rangeEnd?: Uint8Array } =>
  e === undefined ? {} : { rangeEnd: e === '\0' ? new Uint8Array([0]) : b(e) };

export function toRangeRequest(r: MRange): RangeRequest {
  const { key: k, end: e, ...rest } = r;
  return { key: b(k), ...endBytes(e), ...rest };
}

function toCompare(c: MCompare): Compare {
  const base = { key: b(c.key), ...endBytes(c.end), target: c.target, result: c.result };
  switch (c.target) {
    case 'VALUE':
      return { ...base, value: b(c.value) };
    case 'VERSION':
      return { ...base, version: c.n };
    case 'CREATE':
      return { ...base, createRevision: c.n };
    case 'MOD':
      return { ...base, modRevision: c.n };
    case 'LEASE':
      return { ...base, lease: c.n };
  }
}

function toOp(op: MOp): RequestOp {
  switch (op.t) {
    case 'put':
      return {
        requestPut: {
          key: b(op.key),
          value: b(op.value),
          lease: op.lease,
          prevKv: op.prevKv,
          ignoreValue: op.ignoreValue,
          ignoreLease: op.ignoreLease,
        },
      };
    case 'del':
      return { requestDeleteRange: { key: b(op.key), ...endBytes(op.end), prevKv: op.prevKv } };
    case 'range':
      return { requestRange: toRangeRequest(op.range) };
    case 'txn':
      return { requestTxn: toTxn(op) };
  }
}

function toTxn(op: Extract<MOp, { t: 'txn' }>): TxnRequest {
  return {
    compare: op.compare.map(toCompare),
    success: op.success.map(toOp),
    failure: op.failure.map(toOp),
  };
}

export function toCommand(c: MCommand): Command {
  switch (c.t) {
    case 'put':
      return { op: 'put', request: toOp(c).requestPut! };
    case 'del':
      return { op: 'deleteRange', request: toOp(c).requestDeleteRange! };
    case 'range':
      // A bare range is not a command; wrap it in a txn so it is applied like etcd's Txn{success:[range]}.
      return { op: 'txn', request: { compare: [], success: [toOp(c)], failure: [] } };
    case 'txn':
      return { op: 'txn', request: toTxn(c) };
    case 'compact':
      return { op: 'compact', request: { revision: c.revision } };
    case 'grant':
      return { op: 'leaseGrant', request: { id: c.id, ttl: c.ttl } };
    case 'revoke':
      return { op: 'leaseRevoke', request: { id: c.id } };
    case 'expire':
      return { op: 'leaseExpire', request: { ids: c.ids } };
  }
}

export function normKv(kv: KeyValue): MKv {
  return {
    key: text(kv.key),
    value: text(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** A real response without headers, bytes as text: the model's shape. */
export function normInner(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(normInner);
  if (r instanceof Uint8Array) return text(r);
  if (r === null || typeof r !== 'object') return r;
  const o = r as Record<string, unknown>;
  if ('createRevision' in o && 'key' in o) return normKv(o as unknown as KeyValue);
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(o)) {
    if (name === 'header') continue;
    if (name === 'responses')
      out[name] = (v as Record<string, unknown>[]).map((op) => normInner(Object.values(op)[0]));
    else out[name] = normInner(v);
  }
  return out;
}

/** Model form of a real command response. */
export function normResponse(c: MCommand, r: Record<string, unknown>): unknown {
  const revision = (r['header'] as { revision: number }).revision;
  const inner = normInner(r) as Record<string, unknown>;
  if (c.t === 'put' || c.t === 'del' || c.t === 'txn') return { revision, response: inner };
  if (c.t === 'range')
    return {
      revision,
      response: {
        succeeded: true,
        responses: [normInner((r['responses'] as Record<string, unknown>[])[0]!['responseRange'])],
      },
    };
  return { revision, ...inner };
}
