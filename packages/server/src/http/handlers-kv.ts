// /v3/kv/*: range, put, deleterange, txn, compaction.
import {
  decodeCompactionRequest,
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
} from '../codec/decode-kv.js';
import {
  encodeDeleteRangeBody,
  encodePutBody,
  encodeRangeBody,
  encodeTxnBody,
  type Json,
} from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import { CLIENT_ID_HEADER, SEQ_HEADER, type HandlerContext } from './context.js';
import { requirePermission, type Caller } from '../auth/gate.js';
import type { RangeRequest } from '@flotilla/kv';
import type { ReadConsistency } from './served-node.js';

export async function handleRange(ctx: HandlerContext): Promise<Json> {
  const req = decodeRangeRequest(ctx.body);
  const res = await checkedRead(ctx, req, (consistency) => ctx.node.range(req, consistency));
  return encodeRangeBody(res, ctx.header(res.header.revision));
}

/**
 * Reads `req` at its consistency with the caller's READ permission checked
 * (every front end's range goes through here). A serializable read answers
 * from this member's applied state, and so does its permission check. Any
 * other read is checked after its read barrier: this member has then applied
 * every auth change committed before the read began (a revocation is seen,
 * and so is a grant made through another member).
 */
export async function checkedRead<T>(
  ctx: HandlerContext,
  req: RangeRequest,
  read: (consistency: ReadConsistency) => Promise<T>,
): Promise<T> {
  if (req.serializable && ctx.leaseRead)
    throw GatewayError.invalidArgument(
      'a range is either serializable (body) or a lease read (x-flotilla-read-consistency: lease), not both',
    );
  const check = (caller: Caller): void =>
    requirePermission(ctx.node.auth(), caller, 'READ', req.key, req.rangeEnd);
  if (req.serializable) check(ctx.caller);
  const res = await read(
    req.serializable ? 'serializable' : ctx.leaseRead ? 'lease' : 'linearizable',
  );
  check(ctx.callerNow());
  return res;
}

export async function handlePut(ctx: HandlerContext): Promise<Json> {
  const res = await ctx.node.put(decodePutRequest(ctx.body), ctx.write);
  return encodePutBody(res, ctx.header(res.header.revision));
}

export async function handleDeleteRange(ctx: HandlerContext): Promise<Json> {
  const res = await ctx.node.deleteRange(decodeDeleteRangeRequest(ctx.body), ctx.write);
  return encodeDeleteRangeBody(res, ctx.header(res.header.revision));
}

export async function handleTxn(ctx: HandlerContext): Promise<Json> {
  const res = await ctx.node.txn(decodeTxnRequest(ctx.body), ctx.write);
  return encodeTxnBody(res, ctx.header(res.header.revision));
}

/**
 * POST /flotilla/session/register (Flotilla's own): registers the exactly-once
 * client id in x-flotilla-client-id, with x-flotilla-seq 1, before that id's
 * first write (seq 2). Changes no key; harmless to repeat. Any user may call it.
 */
export async function handleRegister(ctx: HandlerContext): Promise<Json> {
  const { clientId, seq } = ctx.write;
  if (clientId === undefined || seq !== 1) {
    throw GatewayError.invalidArgument(
      `a session register needs ${CLIENT_ID_HEADER} and ${SEQ_HEADER}: 1 (the id's writes follow from seq 2)`,
    );
  }
  const res = await ctx.node.register({ ...ctx.write, clientId });
  return { header: ctx.header(res.revision) };
}

export async function handleCompaction(ctx: HandlerContext): Promise<Json> {
  const res = await ctx.node.compact(decodeCompactionRequest(ctx.body), ctx.write);
  return { header: ctx.header(res.header.revision) };
}
