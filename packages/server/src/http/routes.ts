// The route table: etcd v3 gateway paths (POST) and the plain GET endpoints.
import type { Json } from '../codec/encode-kv.js';
import type { HandlerContext } from './context.js';
import { AUTH_ROUTES } from './handlers-auth.js';
import {
  handleHashKv,
  handleMemberAdd,
  handleMemberList,
  handleMemberPromote,
  handleMemberRemove,
  handleMemberUpdate,
  handleMoveLeader,
  handlePeerAdd,
  handleStatus,
} from './handlers-cluster.js';
import {
  handleCompaction,
  handleDeleteRange,
  handlePut,
  handleRange,
  handleRegister,
  handleTxn,
} from './handlers-kv.js';
import {
  handleLeaseGrant,
  handleLeaseKeepAlive,
  handleLeaseLeases,
  handleLeaseRevoke,
  handleLeaseTimeToLive,
} from './handlers-lease.js';

export type UnaryHandler = (ctx: HandlerContext) => Promise<Json>;

export const WATCH_PATH = '/v3/watch';

export const UNARY_ROUTES: ReadonlyMap<string, UnaryHandler> = new Map<string, UnaryHandler>([
  ['/v3/kv/range', handleRange],
  ['/v3/kv/put', handlePut],
  ['/v3/kv/deleterange', handleDeleteRange],
  ['/v3/kv/txn', handleTxn],
  ['/v3/kv/compaction', handleCompaction],
  ['/v3/lease/grant', handleLeaseGrant],
  ['/v3/lease/revoke', handleLeaseRevoke],
  ['/v3/kv/lease/revoke', handleLeaseRevoke],
  ['/v3/lease/keepalive', handleLeaseKeepAlive],
  ['/v3/lease/timetolive', handleLeaseTimeToLive],
  ['/v3/kv/lease/timetolive', handleLeaseTimeToLive],
  ['/v3/lease/leases', handleLeaseLeases],
  ['/v3/kv/lease/leases', handleLeaseLeases],
  ['/v3/maintenance/status', handleStatus],
  ['/v3/maintenance/transfer-leadership', handleMoveLeader],
  ['/v3/cluster/member/list', handleMemberList],
  ['/v3/cluster/member/add', handleMemberAdd],
  ['/v3/cluster/member/remove', handleMemberRemove],
  ['/v3/cluster/member/promote', handleMemberPromote],
  ['/v3/cluster/member/update', handleMemberUpdate],
  // etcd 3.4's gateway has no path for HashKV (its /v3/maintenance/hash is Hash, of the bbolt file).
  ['/v3/maintenance/hashkv', handleHashKv],
  ['/flotilla/peer/add', handlePeerAdd],
  ['/flotilla/session/register', handleRegister],
  ...AUTH_ROUTES,
]);

/** A request target of plain path characters, optionally with a query: needs no URL parsing. */
const PLAIN_TARGET = /^(\/[A-Za-z0-9/_-]*)(?:\?.*)?$/;

/**
 * The canonical path of a request target (`req.url`). The WHATWG URL parser
 * (percent-decoding, dot segments, absolute form) runs only for targets that
 * need it: on every request it cost a busy member about 1.5 % of its CPU.
 */
export function requestPath(target: string): string {
  const plain = PLAIN_TARGET.exec(target);
  if (plain) return canonicalPath(plain[1]!);
  try {
    return canonicalPath(new URL(target, 'http://x').pathname);
  } catch {
    return target; // unparseable: no route matches it, so the answer is "unknown path"
  }
}

/** etcd 3.4 also serves its gateway under /v3beta; so does Flotilla. */
export function canonicalPath(pathname: string): string {
  return pathname.startsWith('/v3beta/') ? `/v3/${pathname.slice('/v3beta/'.length)}` : pathname;
}

export const GET_PATHS = [
  '/metrics',
  '/health',
  '/readyz',
  '/version',
  '/flotilla/status',
] as const;
