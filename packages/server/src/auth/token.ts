// Auth tokens. Signed, not stored: `f1.<payload>.<mac>` where the payload is
// base64url JSON { u: user, r: auth revision at issue, e: expiry (ms since
// the epoch) } and mac = HMAC-SHA256 with the cluster's signing key, which is
// replicated auth state (chosen at random by the member that proposes auth
// enable; a new one on every enable). So a token issued by one member is
// valid on every member (etcd's `simple` tokens are node-local), and is
// revoked without any token table: a user's epoch moves past the token's
// revision when the user is deleted, re-added, changes password or loses a
// role. Expiry uses the members' wall clocks, so it is as good as their
// agreement (seconds, against a default TTL of 300 s).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthView } from '@flotilla/kv';

/** etcd's default --auth-token-ttl. */
export const TOKEN_TTL_MS_DEFAULT = 300_000;
/** A longer header is not a token (refused before any work). */
export const TOKEN_BYTES_MAX = 1024;

export interface TokenClaims {
  readonly user: string;
  /** Auth revision when issued. */
  readonly revision: number;
  readonly expiresAtMs: number;
}

function mac(key: Uint8Array, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

export function issueToken(key: Uint8Array, claims: TokenClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ u: claims.user, r: claims.revision, e: claims.expiresAtMs }),
  ).toString('base64url');
  return `f1.${payload}.${mac(key, payload).toString('base64url')}`;
}

/** The claims of a token signed with `key` and not expired at `nowMs`; undefined for anything else. */
export function readToken(key: Uint8Array, token: string, nowMs: number): TokenClaims | undefined {
  if (key.byteLength === 0 || token.length > TOKEN_BYTES_MAX) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'f1') return undefined;
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = mac(key, parts[1]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { u, r, e } = claims as { u?: unknown; r?: unknown; e?: unknown };
  if (typeof u !== 'string' || !Number.isSafeInteger(r) || typeof e !== 'number' || e <= nowMs)
    return undefined;
  return { user: u, revision: r as number, expiresAtMs: e };
}

/** A token that still names a user whose epoch is not after it (see the file comment). */
export function validClaims(view: AuthView, token: string, nowMs: number): TokenClaims | undefined {
  const claims = readToken(view.signingKey, token, nowMs);
  if (!claims) return undefined;
  const user = view.user(claims.user);
  return user && user.epoch <= claims.revision ? claims : undefined;
}
