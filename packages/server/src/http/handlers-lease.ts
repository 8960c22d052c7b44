// /v3/lease/*. etcd's lease messages use the JSON names `ID`, `TTL` and
// `grantedTTL`; ids are int64 strings.
import { b64, i64, type Json } from '../codec/encode-kv.js';
import { readBool, readInt64 } from '../codec/json-reader.js';
import type { HandlerContext } from './context.js';
import { requirePermission } from '../auth/gate.js';

function leaseId(ctx: HandlerContext, path: string): number {
  return readInt64(ctx.body, 'ID', path) ?? 0;
}

export async function handleLeaseGrant(ctx: HandlerContext): Promise<Json> {
  const ttlSeconds = readInt64(ctx.body, 'TTL', 'lease.grant') ?? 0;
  const res = await ctx.node.leaseGrant({ id: leaseId(ctx, 'lease.grant'), ttlSeconds }, ctx.write);
  return { header: ctx.header(res.revision), ID: i64(res.id), TTL: i64(res.ttlSeconds) };
}

export async function handleLeaseRevoke(ctx: HandlerContext): Promise<Json> {
  const res = await ctx.node.leaseRevoke(leaseId(ctx, 'lease.revoke'), ctx.write);
  return { header: ctx.header(res.revision) };
}

/**
 * etcd streams keep-alive responses as `{"result": ...}` lines; one request
 * gets one line. An unknown lease answers with TTL 0 (omitted), not an error.
 */
export async function handleLeaseKeepAlive(ctx: HandlerContext): Promise<Json> {
  const id = leaseId(ctx, 'lease.keepalive');
  let ttlSeconds = 0;
  try {
    ttlSeconds = (await ctx.node.leaseKeepAlive(id)).ttlSeconds;
  } catch (err) {
    if (
      !(
        err instanceof Error &&
        (err.name === 'LeaseNotFoundError' || err.name === 'LeaseExpiredError')
      )
    )
      throw err;
  }
  return {
    result: { header: ctx.header(ctx.node.status().revision), ID: i64(id), TTL: i64(ttlSeconds) },
  };
}

export async function handleLeaseTimeToLive(ctx: HandlerContext): Promise<Json> {
  const id = leaseId(ctx, 'lease.timetolive');
  const withKeys = readBool(ctx.body, 'keys', 'lease.timetolive') ?? false;
  const res = await ctx.node.leaseTimeToLive(id, withKeys);
  // The attached keys are data: listing them needs read permission on each (as etcd 3.5).
  for (const key of res.keys) requirePermission(ctx.node.auth(), ctx.caller, 'READ', key);
  const keys = withKeys && res.keys.length > 0 ? res.keys.map((k) => b64(k) ?? '') : undefined;
  return {
    header: ctx.header(ctx.node.status().revision),
    ID: i64(res.id),
    TTL: i64(res.ttlSeconds),
    grantedTTL: i64(res.grantedTtlSeconds),
    keys,
  };
}

export async function handleLeaseLeases(ctx: HandlerContext): Promise<Json> {
  const ids = await ctx.node.leases();
  return {
    header: ctx.header(ctx.node.status().revision),
    leases: ids.length > 0 ? ids.map((id) => ({ ID: i64(id) })) : undefined,
  };
}
