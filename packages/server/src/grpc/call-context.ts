// The HandlerContext of one gRPC call: the request message as the HTTP
// layer's JSON body, the exactly-once identity and lease-read flag from the
// call's metadata, the caller (auth) from its token, and etcd's response header.
//
// A unary RPC runs the HTTP handler of the same call, so it passes the same
// gate first: the RPC's JSON-gateway path decides the policy (public, user,
// root) and the handler checks key permissions, exactly as over HTTP. etcd's
// clients send the token as the metadata `token`; `authorization` is taken too.
import type { Metadata } from '@grpc/grpc-js';
import { admit, callerFor, identify, requireRoot, writeAuth } from '../auth/gate.js';
import { TOKEN_TTL_MS_DEFAULT } from '../auth/token.js';
import type { JsonObject } from '../codec/json-reader.js';
import {
  CLIENT_ID_HEADER,
  makeHeader,
  READ_CONSISTENCY_HEADER,
  readLeaseRead,
  readWriteContext,
  SEQ_HEADER,
  type HandlerContext,
} from '../http/context.js';
import type { ServedNode } from '../http/served-node.js';
import { metadataHeaders } from './status.js';

const METADATA_NAMES = [CLIENT_ID_HEADER, SEQ_HEADER, READ_CONSISTENCY_HEADER] as const;

/** etcd's Auth service: each RPC is the JSON gateway's /v3/auth/* call of the same name. */
export const AUTH_METHOD_PATHS: Readonly<Record<string, string>> = {
  AuthEnable: '/v3/auth/enable',
  AuthDisable: '/v3/auth/disable',
  AuthStatus: '/v3/auth/status',
  Authenticate: '/v3/auth/authenticate',
  UserAdd: '/v3/auth/user/add',
  UserGet: '/v3/auth/user/get',
  UserList: '/v3/auth/user/list',
  UserDelete: '/v3/auth/user/delete',
  UserChangePassword: '/v3/auth/user/changepw',
  UserGrantRole: '/v3/auth/user/grant',
  UserRevokeRole: '/v3/auth/user/revoke',
  RoleAdd: '/v3/auth/role/add',
  RoleGet: '/v3/auth/role/get',
  RoleList: '/v3/auth/role/list',
  RoleDelete: '/v3/auth/role/delete',
  RoleGrantPermission: '/v3/auth/role/grant',
  RoleRevokePermission: '/v3/auth/role/revoke',
};

/** The gRPC methods served by an HTTP handler, and that handler's JSON-gateway path (its auth policy). */
export const METHOD_PATHS: Readonly<Record<string, string>> = {
  Range: '/v3/kv/range',
  Put: '/v3/kv/put',
  DeleteRange: '/v3/kv/deleterange',
  Txn: '/v3/kv/txn',
  Compact: '/v3/kv/compaction',
  LeaseGrant: '/v3/lease/grant',
  LeaseRevoke: '/v3/lease/revoke',
  LeaseTimeToLive: '/v3/lease/timetolive',
  LeaseLeases: '/v3/lease/leases',
  MemberAdd: '/v3/cluster/member/add',
  MemberRemove: '/v3/cluster/member/remove',
  MemberList: '/v3/cluster/member/list',
  MemberPromote: '/v3/cluster/member/promote',
  MemberUpdate: '/v3/cluster/member/update',
  HashKV: '/v3/maintenance/hashkv',
  Status: '/v3/maintenance/status',
  MoveLeader: '/v3/maintenance/transfer-leadership',
  ...AUTH_METHOD_PATHS,
};

export interface CallAuth {
  /** Wall clock for token expiry. Default Date.now. */
  readonly now?: () => number;
  readonly tokenTtlMs?: number;
}

/** The call's token: etcd's `token` metadata, or an Authorization value (raw or Bearer). */
export function tokenOfMetadata(metadata: Metadata): string | undefined {
  const [value] = metadata.get('token').concat(metadata.get('authorization'));
  if (value === undefined) return undefined;
  const text = (typeof value === 'string' ? value : value.toString('utf8')).trim();
  if (text.length === 0) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(text)?.[1] ?? text;
}

/** Runs the route's auth gate and builds the handler's context; throws the gate's typed refusal. */
export function callContext(
  node: ServedNode,
  method: string,
  request: unknown,
  metadata: Metadata,
  auth: CallAuth = {},
): HandlerContext {
  const path = METHOD_PATHS[method];
  if (path === undefined) throw new Error(`no JSON-gateway path for gRPC method ${method}`);
  const now = auth.now ?? Date.now;
  const headers = metadataHeaders(metadata, METADATA_NAMES);
  const token = tokenOfMetadata(metadata);
  const view = node.auth();
  const caller = callerFor(view, path, token, now());
  admit(view, caller, path);
  return {
    node,
    body: (request ?? {}) as JsonObject,
    write: { ...readWriteContext(headers), auth: writeAuth(caller) },
    leaseRead: readLeaseRead(headers),
    caller,
    callerNow: () => identify(node.auth(), token, now()),
    now,
    tokenTtlMs: auth.tokenTtlMs ?? TOKEN_TTL_MS_DEFAULT,
    header: (revision) => makeHeader(node, revision),
  };
}

/**
 * The streams (Watch, LeaseKeepAlive, Snapshot) have code of their own and no
 * per-key permission checks over gRPC yet: with auth on they are root's only.
 * Throws the gate's typed refusal (or PermissionDenied) otherwise.
 */
export function admitStream(node: ServedNode, metadata: Metadata, auth: CallAuth = {}): void {
  const view = node.auth();
  if (!view.enabled) return;
  requireRoot(view, identify(view, tokenOfMetadata(metadata), (auth.now ?? Date.now)()));
}
