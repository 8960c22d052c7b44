// RangeRequest's min/max_mod_revision and min/max_create_revision, which
// @flotilla/kv's range does not take. etcd applies them after the read: it
// reads the whole range without the limit, drops the keys outside the bounds,
// then cuts to the limit (`more` set when it cut) and reports the count of
// the unfiltered range. Done here the same way. The etcd3 client's Election
// recipe depends on max_create_revision to find its predecessor.
import type { KeyValue, RangeRequest, RangeResponse } from '@flotilla/kv';
import { decodeRangeRequest } from '../codec/decode-kv.js';
import { encodeRangeBody, type Json } from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import { readArray, readObject, readUint, type JsonObject } from '../codec/json-reader.js';
import type { HandlerContext } from '../http/context.js';
import { checkedRead } from '../http/handlers-kv.js';
import type { ReadConsistency, ServedNode } from '../http/served-node.js';

export interface RevisionBounds {
  readonly minMod?: number;
  readonly maxMod?: number;
  readonly minCreate?: number;
  readonly maxCreate?: number;
}

const FIELDS = [
  'min_mod_revision',
  'max_mod_revision',
  'min_create_revision',
  'max_create_revision',
] as const;

/** The bounds a range request sets (0 = unbounded, as in etcd), or undefined when it sets none. */
export function readRevisionBounds(json: JsonObject, path: string): RevisionBounds | undefined {
  const [minMod, maxMod, minCreate, maxCreate] = FIELDS.map(
    (f) => readUint(json, f, path) || undefined,
  );
  if (!minMod && !maxMod && !minCreate && !maxCreate) return undefined;
  return {
    ...(minMod ? { minMod } : {}),
    ...(maxMod ? { maxMod } : {}),
    ...(minCreate ? { minCreate } : {}),
    ...(maxCreate ? { maxCreate } : {}),
  };
}

function within(kv: KeyValue, b: RevisionBounds): boolean {
  return !(
    (b.minMod && kv.modRevision < b.minMod) ||
    (b.maxMod && kv.modRevision > b.maxMod) ||
    (b.minCreate && kv.createRevision < b.minCreate) ||
    (b.maxCreate && kv.createRevision > b.maxCreate)
  );
}

export async function boundedRange(
  node: ServedNode,
  req: RangeRequest,
  consistency: ReadConsistency,
  bounds: RevisionBounds | undefined,
): Promise<RangeResponse> {
  if (!bounds) return node.range(req, consistency);
  const { limit, ...unlimited } = req;
  const res = await node.range(unlimited, consistency);
  const kvs = res.kvs.filter((kv) => within(kv, bounds));
  const cut = limit !== undefined && limit > 0 && kvs.length > limit;
  return { ...res, kvs: cut ? kvs.slice(0, limit) : kvs, more: cut || res.more };
}

/** The Range RPC: the gateway's range handler plus the revision bounds. */
export async function handleBoundedRange(ctx: HandlerContext): Promise<Json> {
  const req = decodeRangeRequest(ctx.body);
  const bounds = readRevisionBounds(ctx.body, 'range');
  const res = await checkedRead(ctx, req, (consistency) =>
    boundedRange(ctx.node, req, consistency, bounds),
  );
  return encodeRangeBody(res, ctx.header(res.header.revision));
}

/** A txn's ranges are read by the state machine in one step, where the bounds cannot be applied: refuse rather than ignore them. */
export function refuseBoundsInTxn(txn: JsonObject, path = 'txn'): void {
  for (const branch of ['success', 'failure'] as const) {
    (readArray(txn, branch, path) ?? []).forEach((op, i) => {
      const at = `${path}.${branch}[${i}]`;
      const o = (op ?? {}) as JsonObject;
      const range = readObject(o, 'request_range', at);
      if (range && readRevisionBounds(range, `${at}.request_range`)) {
        throw GatewayError.invalidArgument(
          `${at}.request_range: min/max_mod_revision and min/max_create_revision are not supported inside a txn by Flotilla; use a Range call`,
        );
      }
      const nested = readObject(o, 'request_txn', at);
      if (nested) refuseBoundsInTxn(nested, `${at}.request_txn`);
    });
  }
}
