// /v3/auth/*: etcd's auth API over the JSON gateway (field names from etcd's
// rpc.proto: AuthUserAddRequest {name, password, options}, AuthRoleGetRequest
// {role}, AuthRoleGrantPermissionRequest {name, perm}, ...). Passwords are
// hashed here, on the member that received them, before anything is
// proposed; reads (get, list, authenticate) run after a read barrier, so a
// user added through another member a moment ago is seen.
import {
  AuthFailedError,
  AuthNotEnabledError,
  PermissionDeniedError,
  RoleNotFoundError,
  UserNotFoundError,
  type AuthRequest,
  type Permission,
  type PermType,
} from '@flotilla/kv';
import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { issueToken } from '../auth/token.js';
import { requireUser } from '../auth/gate.js';
import { b64, i64, type Json } from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import { readBool, readBytes, readEnum, readObject, readString } from '../codec/json-reader.js';
import type { HandlerContext } from './context.js';

const PERM_TYPES: readonly PermType[] = ['READ', 'WRITE', 'READWRITE'];
/** A password longer than this is refused before hashing (scrypt's cost grows with it). */
export const PASSWORD_BYTES_MAX = 1024;

function text(ctx: HandlerContext, field: string, path: string): string {
  return readString(ctx.body, field, path) ?? '';
}

function password(ctx: HandlerContext, path: string): string {
  const p = text(ctx, 'password', path);
  if (Buffer.byteLength(p) > PASSWORD_BYTES_MAX)
    throw GatewayError.invalidArgument(
      `${path}.password is longer than ${PASSWORD_BYTES_MAX} bytes`,
    );
  return p;
}

async function change(ctx: HandlerContext, request: AuthRequest): Promise<Json> {
  const res = await ctx.node.authChange(request, ctx.write);
  // The change was applied on the leader; make this member apply it too before answering, so the
  // caller's next request here sees it (auth disabled, a permission granted), as on a single etcd.
  await ctx.node.syncAuth();
  return { header: ctx.header(res.revision) };
}

function revisionHeader(ctx: HandlerContext): Json {
  return ctx.header(ctx.node.status().revision);
}

/** The signing key is chosen here, at random, and replicated with the command: every member verifies the same tokens. */
export const handleAuthEnable = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, { kind: 'enable', signingKey: randomBytes(32) });

export const handleAuthDisable = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, { kind: 'disable' });

/** etcd 3.5's AuthStatus: { enabled, authRevision }. */
export async function handleAuthStatus(ctx: HandlerContext): Promise<Json> {
  await ctx.node.syncAuth();
  const view = ctx.node.auth();
  return {
    header: revisionHeader(ctx),
    enabled: view.enabled || undefined,
    authRevision: i64(view.revision),
  };
}

export async function handleAuthenticate(ctx: HandlerContext): Promise<Json> {
  const name = text(ctx, 'name', 'auth.authenticate');
  const given = password(ctx, 'auth.authenticate');
  await ctx.node.syncAuth();
  const view = ctx.node.auth();
  if (!view.enabled) throw new AuthNotEnabledError();
  const user = view.user(name);
  // An unknown user costs one hash too, and gets the same answer as a wrong password.
  if (!(await verifyPassword(given, user?.password)) || !user) throw new AuthFailedError();
  const token = issueToken(view.signingKey, {
    user: name,
    revision: view.revision,
    expiresAtMs: ctx.now() + ctx.tokenTtlMs,
  });
  return { header: revisionHeader(ctx), token };
}

export async function handleUserAdd(ctx: HandlerContext): Promise<Json> {
  const path = 'auth.user.add';
  const name = text(ctx, 'name', path);
  const options = readObject(ctx.body, 'options', path);
  const noPassword = options
    ? (readBool(options, 'no_password', `${path}.options`) ?? false)
    : false;
  const hashed = noPassword ? undefined : await hashPassword(password(ctx, path));
  return change(ctx, {
    kind: 'userAdd',
    name,
    ...(hashed ? { password: hashed } : { noPassword: true }),
  });
}

export async function handleUserChangePassword(ctx: HandlerContext): Promise<Json> {
  const path = 'auth.user.changepw';
  return change(ctx, {
    kind: 'userChangePassword',
    name: text(ctx, 'name', path),
    password: await hashPassword(password(ctx, path)),
  });
}

export const handleUserDelete = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, { kind: 'userDelete', name: text(ctx, 'name', 'auth.user.delete') });

export const handleUserGrantRole = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, {
    kind: 'userGrantRole',
    user: text(ctx, 'user', 'auth.user.grant'),
    role: text(ctx, 'role', 'auth.user.grant'),
  });

export const handleUserRevokeRole = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, {
    kind: 'userRevokeRole',
    name: text(ctx, 'name', 'auth.user.revoke'),
    role: text(ctx, 'role', 'auth.user.revoke'),
  });

export const handleRoleAdd = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, { kind: 'roleAdd', name: text(ctx, 'name', 'auth.role.add') });

export const handleRoleDelete = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, { kind: 'roleDelete', role: text(ctx, 'role', 'auth.role.delete') });

function readPerm(ctx: HandlerContext): Permission {
  const path = 'auth.role.grant.perm';
  const perm = readObject(ctx.body, 'perm', 'auth.role.grant');
  if (!perm)
    throw GatewayError.invalidArgument(
      'auth.role.grant.perm is required: {"permType": "READ|WRITE|READWRITE", "key": base64, "range_end": base64}',
    );
  // proto3 JSON omits the default enum value: no permType is READ.
  const permType = readEnum(perm, 'permType', PERM_TYPES, path) ?? 'READ';
  const key = readBytes(perm, 'key', path) ?? new Uint8Array(0);
  const rangeEnd = readBytes(perm, 'range_end', path);
  return { permType, key, ...(rangeEnd && rangeEnd.length > 0 ? { rangeEnd } : {}) };
}

export const handleRoleGrantPermission = (ctx: HandlerContext): Promise<Json> =>
  change(ctx, {
    kind: 'roleGrantPermission',
    name: text(ctx, 'name', 'auth.role.grant'),
    perm: readPerm(ctx),
  });

export function handleRoleRevokePermission(ctx: HandlerContext): Promise<Json> {
  const path = 'auth.role.revoke';
  const rangeEnd = readBytes(ctx.body, 'range_end', path);
  const key = readBytes(ctx.body, 'key', path) ?? new Uint8Array(0);
  return change(ctx, {
    kind: 'roleRevokePermission',
    role: text(ctx, 'role', path),
    key,
    ...(rangeEnd && rangeEnd.length > 0 ? { rangeEnd } : {}),
  });
}

/** Root, or (etcd's rule) a user asking about itself / a role it holds. */
function allowSelf(ctx: HandlerContext, self: (user: string) => boolean): void {
  const { caller } = ctx;
  if (!caller.authEnabled) return;
  requireUser(caller);
  const view = ctx.node.auth();
  if (!view.isRoot(caller.user!) && !self(caller.user!)) throw new PermissionDeniedError();
}

export async function handleUserGet(ctx: HandlerContext): Promise<Json> {
  const name = text(ctx, 'name', 'auth.user.get');
  allowSelf(ctx, (user) => user === name);
  await ctx.node.syncAuth();
  const user = ctx.node.auth().user(name);
  if (!user) throw new UserNotFoundError();
  return {
    header: revisionHeader(ctx),
    roles: user.roles.length > 0 ? [...user.roles] : undefined,
  };
}

export async function handleRoleGet(ctx: HandlerContext): Promise<Json> {
  const name = text(ctx, 'role', 'auth.role.get');
  allowSelf(ctx, (user) => ctx.node.auth().user(user)?.roles.includes(name) ?? false);
  await ctx.node.syncAuth();
  const role = ctx.node.auth().role(name);
  if (!role) throw new RoleNotFoundError();
  const perm = role.perms.map((p) => ({
    permType: p.permType === 'READ' ? undefined : p.permType,
    key: b64(p.key),
    range_end: b64(p.rangeEnd),
  }));
  return { header: revisionHeader(ctx), perm: perm.length > 0 ? perm : undefined };
}

export async function handleUserList(ctx: HandlerContext): Promise<Json> {
  await ctx.node.syncAuth();
  const users = ctx.node.auth().userNames();
  return { header: revisionHeader(ctx), users: users.length > 0 ? users : undefined };
}

export async function handleRoleList(ctx: HandlerContext): Promise<Json> {
  await ctx.node.syncAuth();
  const roles = ctx.node.auth().roleNames();
  return { header: revisionHeader(ctx), roles: roles.length > 0 ? roles : undefined };
}

export const AUTH_ROUTES: readonly [string, (ctx: HandlerContext) => Promise<Json>][] = [
  ['/v3/auth/enable', handleAuthEnable],
  ['/v3/auth/disable', handleAuthDisable],
  ['/v3/auth/status', handleAuthStatus],
  ['/v3/auth/authenticate', handleAuthenticate],
  ['/v3/auth/user/add', handleUserAdd],
  ['/v3/auth/user/get', handleUserGet],
  ['/v3/auth/user/list', handleUserList],
  ['/v3/auth/user/delete', handleUserDelete],
  ['/v3/auth/user/changepw', handleUserChangePassword],
  ['/v3/auth/user/grant', handleUserGrantRole],
  ['/v3/auth/user/revoke', handleUserRevokeRole],
  ['/v3/auth/role/add', handleRoleAdd],
  ['/v3/auth/role/get', handleRoleGet],
  ['/v3/auth/role/list', handleRoleList],
  ['/v3/auth/role/delete', handleRoleDelete],
  ['/v3/auth/role/grant', handleRoleGrantPermission],
  ['/v3/auth/role/revoke', handleRoleRevokePermission],
];
