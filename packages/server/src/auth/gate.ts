// Who is calling, and what each route needs. The caller is read from the
// `Authorization` header (etcd's gateway takes the raw token; `Bearer <token>`
// is accepted too) against this member's applied auth state. Reads and
// watches are checked here; writes carry the caller to apply, where the
// replicated state decides (see @flotilla/kv auth/check.ts), so a stale
// member cannot let a write through.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import type { IncomingHttpHeaders } from 'node:http';
import {
  InvalidAuthTokenError,
  PermissionDeniedError,
  type AuthContext,
  type AuthView,
} from '@flotilla/kv';
import { validClaims } from './token.js';

/** Auth is on and the request carries no token: etcd answers "user name is empty". */
export class MissingTokenError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'MissingTokenError';
  constructor() {
    super('etcdserver: user name is empty');
  }
}

export interface Caller {
  /** Auth was on at this member when the request arrived. */
  readonly authEnabled: boolean;
  readonly user?: string;
  readonly tokenRevision?: number;
}

export const ANONYMOUS: Caller = { authEnabled: false };

/** The raw token of an Authorization header (`<token>` or `Bearer <token>`), if any. */
export function tokenOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (value === undefined || value.length === 0) return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  return bearer ? bearer[1] : value.trim();
}

/** Reads the caller; a token that is present but forged, expired or revoked is refused (InvalidAuthTokenError). */
export function identify(view: AuthView, token: string | undefined, nowMs: number): Caller {
  if (!view.enabled) return ANONYMOUS;
  if (token === undefined) return { authEnabled: true };
  const claims = validClaims(view, token, nowMs);
  if (!claims) throw new InvalidAuthTokenError();
  return { authEnabled: true, user: claims.user, tokenRevision: claims.revision };
}

/** What a write carries to apply: always set for a network caller, so apply refuses it if auth was enabled meanwhile. */
export function writeAuth(caller: Caller): AuthContext {
  return caller.user !== undefined
    ? { user: caller.user, tokenRevision: caller.tokenRevision ?? 0 }
    : {};
}

export function requireUser(caller: Caller): void {
  if (caller.authEnabled && caller.user === undefined) throw new MissingTokenError();
}

export function requireRoot(view: AuthView, caller: Caller): void {
  if (!caller.authEnabled) return;
  requireUser(caller);
  if (!view.isRoot(caller.user!)) throw new PermissionDeniedError();
}

export function requirePermission(
  view: AuthView,
  caller: Caller,
  wanted: 'READ' | 'WRITE',
  key: Uint8Array,
  rangeEnd?: Uint8Array,
): void {
  if (!caller.authEnabled) return;
  requireUser(caller);
  if (!view.permitted(caller.user!, wanted, key, rangeEnd)) throw new PermissionDeniedError();
}

/**
 * What a route needs while auth is on:
 * - `public`: nothing (logging in, the member's status, as etcd);
 * - `user`: a valid token; the handler checks key permissions (reads, watches)
 *   or apply does (writes, lease revoke);
 * - `root`: the root role (cluster, maintenance that reads or destroys data,
 *   auth management, Flotilla's peer announcements);
 * - `self`: a valid token; the handler allows root, or a user asking about
 *   itself or a role it holds (etcd's user get / role get).
 */
export type RoutePolicy = 'public' | 'user' | 'root' | 'self';

const POLICIES: ReadonlyMap<string, RoutePolicy> = new Map<string, RoutePolicy>([
  ['/v3/auth/authenticate', 'public'],
  ['/v3/maintenance/status', 'public'],
  ['/v3/auth/enable', 'root'],
  ['/v3/auth/disable', 'root'],
  ['/v3/auth/user/add', 'root'],
  ['/v3/auth/user/delete', 'root'],
  ['/v3/auth/user/list', 'root'],
  ['/v3/auth/user/changepw', 'root'],
  ['/v3/auth/user/grant', 'root'],
  ['/v3/auth/user/revoke', 'root'],
  ['/v3/auth/role/add', 'root'],
  ['/v3/auth/role/delete', 'root'],
  ['/v3/auth/role/list', 'root'],
  ['/v3/auth/role/grant', 'root'],
  ['/v3/auth/role/revoke', 'root'],
  ['/v3/auth/user/get', 'self'],
  ['/v3/auth/role/get', 'self'],
  ['/v3/kv/compaction', 'root'],
  ['/v3/maintenance/snapshot', 'root'],
  ['/v3/maintenance/transfer-leadership', 'root'],
  ['/v3/cluster/member/add', 'root'],
  ['/v3/cluster/member/remove', 'root'],
  ['/v3/cluster/member/promote', 'root'],
  ['/v3/cluster/member/update', 'root'],
  ['/v3/maintenance/hashkv', 'root'],
  ['/flotilla/peer/add', 'root'],
  ['/flotilla/session/register', 'user'], // registers the caller's own exactly-once client id
]);

export function routePolicy(path: string): RoutePolicy {
  return POLICIES.get(path) ?? 'user';
}

/**
 * Root-only routes whose effect is this member's alone (not checked at apply),
 * so a member that believes auth is off first catches up. Not
 * /flotilla/peer/add: members announce new peers to every member, including
 * one just removed that can no longer reach a leader and would stall the
 * announcement; it refuses rewriting any current member's address anyway.
 */
const CATCH_UP = new Set([
  '/v3/maintenance/snapshot',
  '/v3/maintenance/transfer-leadership',
  '/v3/cluster/member/add',
  '/v3/cluster/member/remove',
  '/v3/cluster/member/promote',
  '/v3/cluster/member/update',
  '/v3/maintenance/hashkv',
]);

export function needsCatchUp(path: string): boolean {
  return CATCH_UP.has(path);
}

/**
 * The caller for a route: public routes ignore a bad or stale token (a client
 * whose token expired must still be able to log in again); every other route
 * refuses it.
 */
export function callerFor(
  view: AuthView,
  path: string,
  token: string | undefined,
  nowMs: number,
): Caller {
  if (routePolicy(path) !== 'public') return identify(view, token, nowMs);
  try {
    return identify(view, token, nowMs);
  } catch {
    return { authEnabled: view.enabled };
  }
}

/** Applies the route's policy; `self` routes finish the check in their handler. */
export function admit(view: AuthView, caller: Caller, path: string): void {
  const policy = routePolicy(path);
  if (policy === 'public') return;
  if (policy === 'root') return requireRoot(view, caller);
  requireUser(caller);
}

/** The label of `flotilla_auth_failures_total` for an error, if it is an auth refusal. */
export function failureReason(err: unknown): string | undefined {
  const name = (err as Error | undefined)?.name;
  switch (name) {
    case 'AuthFailedError':
      return 'bad_credentials';
    case 'InvalidAuthTokenError':
      return 'invalid_token';
    case 'MissingTokenError':
      return 'missing_token';
    case 'PermissionDeniedError':
      return 'permission_denied';
    default:
      return undefined;
  }
}
