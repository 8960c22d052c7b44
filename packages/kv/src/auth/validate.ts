// Validation of decoded auth commands and contexts (untrusted bytes from the
// log), into fresh, well-typed objects, as validate.ts does for KV commands.
import { plain } from '../bytes.js';
import { InvalidRequestError, KeyTooLargeError, KvError } from '../errors.js';
import type { KvLimits } from '../limits.js';
import type { AuthContext, AuthRequest, Permission, PermType } from './types.js';

type Obj = Record<string, unknown>;

/** Names of users and roles, in bytes (etcd has no limit; this keeps records small). */
export const AUTH_NAME_BYTES_MAX = 256;
/** Encoded password hash, in bytes. */
export const PASSWORD_HASH_BYTES_MAX = 1024;
const PERM_TYPES: readonly PermType[] = ['READ', 'WRITE', 'READWRITE'];

function fail(message: string): never {
  throw new InvalidRequestError(message);
}

function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array)
    fail(`${what} must be a map`);
  return v as Obj;
}

function name(o: Obj, field: string, what: string): string {
  const v = o[field];
  if (typeof v !== 'string') fail(`${what}.${field} must be a string`);
  if (Buffer.byteLength(v) > AUTH_NAME_BYTES_MAX)
    fail(`${what}.${field} is longer than ${AUTH_NAME_BYTES_MAX} bytes; use a shorter name`);
  return v;
}

function bytes(
  o: Obj,
  field: string,
  what: string,
  max: number,
  required: boolean,
): Uint8Array | undefined {
  const v = o[field];
  if (v === undefined || v === null) {
    if (required) fail(`${what}.${field} is required (bytes)`);
    return undefined;
  }
  if (!(v instanceof Uint8Array)) fail(`${what}.${field} must be bytes`);
  if (v.byteLength > max) fail(`${what}.${field} is longer than ${max} bytes`);
  return Uint8Array.from(plain(v));
}

function keyField(
  o: Obj,
  field: string,
  what: string,
  limits: KvLimits,
  required: boolean,
): Uint8Array | undefined {
  const v = o[field];
  if (v instanceof Uint8Array && v.byteLength > limits.keyBytesMax)
    throw KeyTooLargeError.of(v.byteLength, limits.keyBytesMax);
  const b = bytes(o, field, what, limits.keyBytesMax, required);
  return b && b.byteLength === 0 && !required ? undefined : b;
}

function parsePerm(v: unknown, limits: KvLimits): Permission {
  const o = obj(v, 'roleGrantPermission.perm');
  const permType = o['permType'];
  if (typeof permType !== 'string' || !(PERM_TYPES as readonly string[]).includes(permType))
    fail(`perm.permType must be one of ${PERM_TYPES.join(', ')}`);
  const key = keyField(o, 'key', 'perm', limits, true)!;
  const rangeEnd = keyField(o, 'rangeEnd', 'perm', limits, false);
  return { permType: permType as PermType, key, ...(rangeEnd ? { rangeEnd } : {}) };
}

export function parseAuthRequest(v: unknown, limits: KvLimits): AuthRequest {
  const o = obj(v, 'auth');
  const w = `auth.${String(o['kind'])}`;
  switch (o['kind']) {
    case 'enable':
      return { kind: 'enable', signingKey: bytes(o, 'signingKey', w, 64, true)! };
    case 'disable':
      return { kind: 'disable' };
    case 'userAdd': {
      const password = bytes(o, 'password', w, PASSWORD_HASH_BYTES_MAX, false);
      return {
        kind: 'userAdd',
        name: name(o, 'name', w),
        ...(password ? { password } : {}),
        ...(o['noPassword'] === true ? { noPassword: true } : {}),
      };
    }
    case 'userDelete':
      return { kind: 'userDelete', name: name(o, 'name', w) };
    case 'userChangePassword':
      return {
        kind: 'userChangePassword',
        name: name(o, 'name', w),
        password: bytes(o, 'password', w, PASSWORD_HASH_BYTES_MAX, true)!,
      };
    case 'userGrantRole':
      return { kind: 'userGrantRole', user: name(o, 'user', w), role: name(o, 'role', w) };
    case 'userRevokeRole':
      return { kind: 'userRevokeRole', name: name(o, 'name', w), role: name(o, 'role', w) };
    case 'roleAdd':
      return { kind: 'roleAdd', name: name(o, 'name', w) };
    case 'roleDelete':
      return { kind: 'roleDelete', role: name(o, 'role', w) };
    case 'roleGrantPermission':
      return {
        kind: 'roleGrantPermission',
        name: name(o, 'name', w),
        perm: parsePerm(o['perm'], limits),
      };
    case 'roleRevokePermission': {
      const rangeEnd = keyField(o, 'rangeEnd', w, limits, false);
      return {
        kind: 'roleRevokePermission',
        role: name(o, 'role', w),
        key: keyField(o, 'key', w, limits, true)!,
        ...(rangeEnd ? { rangeEnd } : {}),
      };
    }
    default:
      return fail(
        'auth.kind must be one of enable, disable, userAdd, userDelete, userChangePassword, userGrantRole, userRevokeRole, roleAdd, roleDelete, roleGrantPermission, roleRevokePermission',
      );
  }
}

/** The envelope's `auth` field: absent, or `{ user?, tokenRevision? }`. */
export function validateAuthContext(v: unknown): AuthContext | undefined | KvError {
  if (v === undefined || v === null) return undefined;
  try {
    const o = obj(v, 'auth context');
    const out: AuthContext = {};
    if (o['user'] !== undefined && o['user'] !== null) out.user = name(o, 'user', 'auth context');
    const rev = o['tokenRevision'];
    if (rev !== undefined && rev !== null) {
      if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0)
        fail('auth context.tokenRevision must be a non-negative safe integer');
      out.tokenRevision = rev;
    }
    return out;
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
}
